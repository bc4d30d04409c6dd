"""A Result's numbers (any JSON) as a few readable tables: scalars as a key/value table,
per-depth or per-activation dicts as 2-D tables, long lists summarised by their length,
first and last values, minimum and maximum. The HTML report and the terminal summary
both draw from ``number_tables``.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Sequence

__all__ = ["Table", "number_tables", "key_tables", "format_value", "cell", "is_number"]

SHORT = 12          # lists up to this long are shown whole; longer ones are summarised
SERIES_HEADER = ["", "n", "first", "last", "min", "max"]
DEEPEST = 4         # nesting beyond this is shown as compact JSON


# --------------------------------------------------------------------------- tables
@dataclass
class Table:
    """A table of raw cells (numbers stay numbers until rendered, so they align right).
    header: column labels, the first one labelling the row-label column (None: no header)."""

    caption: str
    header: list | None
    rows: list[list]
    note: str = ""
    row_labels: bool = True          # the first column names the rows


def format_value(value) -> str:
    """A cell's text: floats to 4 significant digits, NaN and infinities spelled out,
    booleans as yes/no, None as a dash, big integers with thousands separators."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "∞" if value > 0 else "−∞"
        return f"{value:.4g}"
    return str(value)


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_scalar(value) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


def _is_series(value) -> bool:
    return isinstance(value, (list, tuple)) and all(_is_scalar(v) for v in value)


def _inline(values) -> str:
    return ", ".join(format_value(v) for v in values) if values else "(empty)"


def _summary(values: Sequence) -> list:
    """n, first, last, min, max of a list (min and max over its numbers, NaN ignored)."""
    finite = [v for v in values if is_number(v) and not math.isnan(v)]
    nans = sum(1 for v in values if isinstance(v, float) and math.isnan(v))
    n = f"{len(values):,} ({nans} NaN)" if nans else len(values)
    first, last = (values[0], values[-1]) if values else (None, None)
    low, high = (min(finite), max(finite)) if finite else (None, None)
    return [n, first, last, low, high]


def cell(value):
    """A value inside a 2-D table: scalars as they are, lists inline or summarised."""
    if _is_scalar(value):
        return value
    if _is_series(value):
        if len(value) <= SHORT:
            return _inline(value)
        n, first, last, low, high = _summary(value)
        return f"{format_value(first)} → {format_value(last)} ({format_value(n)} values)"
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        keys = list(dict.fromkeys(k for v in value for k in v))
        shown = ", ".join(map(str, keys[:6])) + (", …" if len(keys) > 6 else "")
        return f"{len(value)} record{'s' if len(value) != 1 else ''} of {shown}"
    return _compact(value)


def _compact(value, limit: int = 120) -> str:
    text = json.dumps(value, allow_nan=True, separators=(", ", ": "))
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _join(caption: str, key) -> str:
    return f"{caption} › {key}" if caption else str(key)


# Lists whose entries are one per layer or one per seed, by their key: shown as
# "layer 1" (the input side) .. "layer N" or "seed 1" .. "seed N", as the figures number them.
PER_LAYER = re.compile(r"grad_norm|grads?$|movement|per_layer|layers?$")
PER_SEED = re.compile(r"per_seed|seeds?$")


def _index_header(n: int, key: str = "") -> list[str]:
    """Column labels for lists shown across: layers and seeds counted from 1 (layer 1 =
    input side) when the key says what the entries are, else their JSON indices, so that
    every cell can be found in the Result's JSON file."""
    key = key.rsplit(" › ", 1)[-1]
    if PER_LAYER.search(key):
        return [f"layer {i + 1}" for i in range(n)]
    if PER_SEED.search(key):
        return [f"seed {i + 1}" for i in range(n)]
    return [f"[{i}]" for i in range(n)]


def number_tables(numbers: dict, caption: str = "") -> list[Table]:
    """Readable tables for a Result's numbers (see the module docstring)."""
    return _tables(numbers, caption, 0)


KEY_ROWS, KEY_COLUMNS, KEY_TEXT, KEY_COUNT = 12, 9, 32, 4
_POSITION = re.compile(r"\[\d+\]|(layer|seed) \d+")


def key_tables(numbers: dict) -> list[Table]:
    """The few small tables worth reading first (at most KEY_COUNT): the top level's single
    numbers, then the tables of ``number_tables`` whose cells are single measurements (not
    the entries of a list, which the figures draw; no summaries, no records), at most
    KEY_ROWS rows and KEY_COLUMNS columns.

    >>> [t.rows for t in key_tables({"ratio": 1e-5, "layer_names": ["0", "2"], "x": [1]*20})]
    [[['ratio', 1e-05]]]
    """
    top = [[str(k), v] for k, v in numbers.items() if _is_scalar(v)]
    chosen = [Table("", ["", "value"], top)] if top else []
    chosen += [t for t in number_tables(numbers) if t.caption and _is_key(t)]
    return chosen[:KEY_COUNT]


def _is_key(table: Table) -> bool:
    if table.header in (None, SERIES_HEADER) or not table.rows or "records" in table.caption:
        return False
    if any(_POSITION.fullmatch(str(h)) for h in table.header[1:]):
        return False                 # a list's entries, one per column
    if len(table.rows) > KEY_ROWS or max(map(len, table.rows)) > KEY_COLUMNS:
        return False
    return all(c is None or is_number(c) or isinstance(c, bool)
               or (isinstance(c, str) and len(c) <= KEY_TEXT and ", " not in c)
               for row in table.rows for c in row)


def _tables(numbers: dict, caption: str, depth: int) -> list[Table]:
    scalars, series, tables = [], [], []
    for key, value in numbers.items():
        label = str(key)
        if _is_scalar(value):
            scalars.append([label, value])
        elif _is_series(value) and key == "layer_names" and value:
            # the modules behind "layer 1" .. "layer N": the one place their names show
            tables.append(Table(_join(caption, label), ["", *_index_header(len(value), "layer")],
                                [["module", *value]]))
        elif _is_series(value):
            if len(value) <= SHORT:
                scalars.append([label, _inline(value)])
            else:
                series.append([label, *_summary(value)])
        elif depth >= DEEPEST:
            scalars.append([label, _compact(value)])
        elif isinstance(value, dict):
            tables.extend(_dict_tables(_join(caption, label), value, depth + 1))
        elif value and all(isinstance(v, dict) for v in value):
            tables.append(_records_table(_join(caption, label), value))
        elif value and all(_is_series(v) for v in value):
            tables.append(_matrix_table(_join(caption, label), value))
        else:
            scalars.append([label, _compact(value)])
    head = []
    if scalars:
        head.append(Table(caption, ["", "value"], scalars))
    if series:
        head.append(Table(_join(caption, "series") if caption else "series", SERIES_HEADER,
                          series))
    return head + tables


def _dict_tables(caption: str, d: dict, depth: int) -> list[Table]:
    values = list(d.values())
    if not values:
        return [Table(caption, None, [], note="(empty)")]
    if all(_is_scalar(v) for v in values):
        if len(d) <= SHORT:                          # one row, the keys across
            return [Table(caption, [str(k) for k in d], [list(values)], row_labels=False)]
        return [Table(caption, ["", "value"], [[str(k), v] for k, v in d.items()])]
    if all(_is_series(v) for v in values):
        return [_series_table(caption, d)]
    if all(isinstance(v, dict) for v in values):
        return _pivot(caption, d, depth)
    return _tables(d, caption, depth)


def _series_table(caption: str, d: dict) -> Table:
    """A dict of lists: one row per key; the lists across if they are short and of one
    length, else each summarised."""
    lengths = {len(v) for v in d.values()}
    if len(lengths) == 1 and 0 < (n := lengths.pop()) <= SHORT:
        return Table(caption, ["", *_index_header(n, caption)],
                     [[str(k), *v] for k, v in d.items()])
    return Table(caption, SERIES_HEADER, [[str(k), *_summary(v)] for k, v in d.items()])


def _pivot(caption: str, d: dict, depth: int) -> list[Table]:
    """A dict of dicts (per activation, per depth ...): rows are the outer keys. The inner
    scalars make one table; each inner list or dict gets its own, rows still the outer keys."""
    inner: list = []
    for row in d.values():
        inner.extend(k for k in row if k not in inner)
    scalar_cols = [k for k in inner if all(_is_scalar(row.get(k)) for row in d.values())]
    tables = []
    if scalar_cols:
        rows = [[str(k), *(row.get(c) for c in scalar_cols)] for k, row in d.items()]
        table = Table(caption, ["", *map(str, scalar_cols)], rows)
        if len(scalar_cols) > 8 and len(scalar_cols) > len(d):       # tall beats wide
            table = Table(caption, ["", *map(str, d)],
                          [[str(c), *(row.get(c) for row in d.values())] for c in scalar_cols])
        tables.append(table)
    for col in (k for k in inner if k not in scalar_cols):
        column = {k: row[col] for k, row in d.items() if col in row}
        sub = _join(caption, col)
        if all(_is_series(v) for v in column.values()):
            tables.append(_series_table(sub, column))
        elif depth < DEEPEST and all(isinstance(v, dict) for v in column.values()):
            tables.extend(_dict_tables(sub, column, depth + 1))
        else:
            tables.append(Table(sub, ["", "value"],
                                [[str(k), cell(v)] for k, v in column.items()]))
    return tables


def _records_table(caption: str, records: list) -> Table:
    """A list of dicts (e.g. one per epoch): whole if short, else summarised per column."""
    cols: list = []
    for r in records:
        cols.extend(k for k in r if k not in cols)
    if len(records) <= SHORT:
        return Table(caption, [str(c) for c in cols],
                     [[cell(r.get(c)) for c in cols] for r in records], row_labels=False)
    by_col = {c: [r.get(c) for r in records] for c in cols}
    return Table(f"{caption} ({len(records):,} records)", SERIES_HEADER,
                 [[str(c), *_summary(v)] for c, v in by_col.items() if _is_series(v)])


def _matrix_table(caption: str, rows: list) -> Table:
    width = max(len(r) for r in rows)
    if len(rows) <= SHORT and width <= SHORT:
        return Table(caption, ["", *_index_header(width)],
                     [[f"[{i}]", *r] for i, r in enumerate(rows)])
    flat = [v for r in rows for v in r]
    n, _, _, low, high = _summary(flat)
    return Table(caption, ["rows", "columns", "min", "max"], [[len(rows), width, low, high]],
                 row_labels=False)


# --------------------------------------------------------------------------- text
