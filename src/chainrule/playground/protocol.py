"""Checking what the page sends (PROTOCOL.md): one JSON object per message, with a known
``type`` and well-formed fields, under 64 KiB. ``parse_message`` returns the message as a
dict or raises a PlaygroundError, which the server answers with an ``error`` message.

>>> parse_message('{"type": "graph", "expression": "x*x", "at": {"x": 2}}')["at"]
{'x': 2.0}
"""
from __future__ import annotations

import json
import math

from ..i18n import LANGS
from .config import LIMITS, parse_config
from .errors import N_, PlaygroundError

__all__ = ["MAX_MESSAGE_BYTES", "TYPES", "parse_message", "dumps", "hello_message"]

MAX_MESSAGE_BYTES = 64 * 1024
MAX_EXPRESSION = 1000       # characters
MAX_VALUES = 50             # variables of a graph message
TYPES = ("config", "play", "pause", "step", "reset", "export", "graph")


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def parse_message(raw) -> dict:
    """The checked message (``config`` carries the parsed Config under "config")."""
    if isinstance(raw, (bytes, bytearray)):
        raise PlaygroundError(N_("send messages as JSON text, not binary"))
    if not isinstance(raw, str):
        raise PlaygroundError(N_("empty message"))
    if len(raw) > MAX_MESSAGE_BYTES or len(raw.encode("utf-8")) > MAX_MESSAGE_BYTES:
        raise PlaygroundError(N_("the message is larger than {high} bytes"),
                              high=MAX_MESSAGE_BYTES)
    try:
        msg = json.loads(raw, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise PlaygroundError(N_("the message is not valid JSON")) from None
    if not isinstance(msg, dict):
        raise PlaygroundError(N_("a message must be a JSON object with a \"type\""))
    kind = msg.get("type")
    if kind not in TYPES:
        raise PlaygroundError(N_("unknown message type {value}; expected one of {options}"),
                              "type", value=repr(kind)[:40], options=", ".join(TYPES))
    if kind == "config":
        if "config" not in msg:
            raise PlaygroundError(N_("a config message needs a \"config\" object"), "config")
        try:
            return {"type": kind, "config": parse_config(msg["config"])}
        except PlaygroundError as e:
            e.lang = _asked_lang(msg["config"])    # explain it in the language asked for
            raise
    if kind == "graph":
        return {"type": kind, **_graph_fields(msg)}
    return {"type": kind}


def _asked_lang(raw) -> str | None:
    lang = raw.get("lang") if isinstance(raw, dict) else None
    return lang if lang in LANGS else None


def _graph_fields(msg: dict) -> dict:
    expression, at = msg.get("expression"), msg.get("at", {})
    if not isinstance(expression, str) or not expression.strip():
        raise PlaygroundError(N_("a graph message needs an \"expression\" string"),
                              "expression")
    if len(expression) > MAX_EXPRESSION:
        raise PlaygroundError(N_("the expression is longer than {high} characters"),
                              "expression", high=MAX_EXPRESSION)
    if not isinstance(at, dict) or len(at) > MAX_VALUES:
        raise PlaygroundError(N_("\"at\" must be an object of at most {high} name: number "
                                 "pairs"), "at", high=MAX_VALUES)
    values = {}
    for name, value in at.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value):
            raise PlaygroundError(N_("the value of {name} must be a finite number, got "
                                     "{value}"), "at", name=str(name)[:40],
                                  value=repr(value)[:40])
        values[name] = float(value)
    return {"expression": expression, "at": values}


def dumps(msg: dict) -> str:
    """A message as JSON; a NaN that slipped through is a bug, not something to send."""
    return json.dumps(msg, allow_nan=False, separators=(",", ":"))


def hello_message(version: str, defaults: dict, presets: list) -> dict:
    return {"type": "hello", "version": version, "defaults": defaults, "presets": presets,
            "langs": list(LANGS),
            "limits": {**LIMITS, "maxMessageBytes": MAX_MESSAGE_BYTES,
                       "maxExpression": MAX_EXPRESSION}}
