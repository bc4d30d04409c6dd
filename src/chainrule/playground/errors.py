"""The one error the playground reports to the page: a message with its field, written
as a translatable template so each connection reads it in its own language.

>>> e = PlaygroundError(N_("{name} must be a number, got {value}"), "noise",
...                     name="noise", value="'a'")
>>> str(e)
"noise must be a number, got 'a'"
>>> e.translated(translator("vi").gettext)
"noise phải là một số, nhận được 'a'"
"""
from __future__ import annotations

from typing import Callable

from ..i18n import N_, translator

__all__ = ["PlaygroundError", "N_", "error_message"]


class PlaygroundError(ValueError):
    """A bad setup or message. ``template`` is the English message with ``{name}``
    placeholders (its msgid in the ``chainrule`` catalog), ``field`` the setting it is
    about (a URL-hash name) or None. ``lang``, when set, is the language the message
    that caused it asked for (a config with ``lang``), which its reply should use."""

    lang: str | None = None

    def __init__(self, template: str, field: str | None = None, **params) -> None:
        self.template, self.field, self.params = template, field, params
        super().__init__(template.format(**params))

    def translated(self, gettext: Callable[[str], str]) -> str:
        return gettext(self.template).format(**self.params)


def error_message(error: PlaygroundError, lang: str = "en") -> dict:
    """The ``error`` message for the page, in ``lang``."""
    return {"type": "error", "message": error.translated(translator(lang).gettext),
            "field": error.field}
