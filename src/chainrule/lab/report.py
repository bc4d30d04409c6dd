"""The lab's report: one self-contained HTML file, each experiment's conclusion beside its
evidence (figures and numbers), and the same numbers as text for the terminal.

``render_report(results)`` returns the HTML as a string and ``write_report(results, path)``
writes it atomically. Figures are embedded (base64 PNG, or inline SVG), the style sheet is
inline, there is no script: the file can be mailed, archived or opened offline.

Each experiment's section shows its conclusion, its figures with their captions (the
experiment module's ``CAPTIONS = {figure id: caption}``, else the id in words), its key
numbers (``tables.key_tables``) and, folded away in a ``<details>`` block, every number
(``tables.number_tables``), its parameters and a link to its JSON file. The terminal
summary (``format_result``, ``print_result``) shows all of ``number_tables``.

The report's own words (headings, captions, the demo's title) are in the language of
``lang`` (see ``chainrule.i18n``; ``<html lang="vi">`` in Vietnamese).
"""
from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import json
import re
import shlex
import sys
import textwrap
from pathlib import Path
from typing import Sequence

from .._version import __version__
from ..fileio import write_text
from ..i18n import N_, _, resolve_lang, translator
from . import get
from .result import Result
from .tables import Table, cell, format_value, is_number, key_tables, number_tables

__all__ = ["render_report", "write_report", "format_result", "print_result", "rerun_command",
           "caption"]

def rerun_command(result: Result) -> str:
    """The command line that reruns the experiment with the same parameters."""
    parts = ["chainrule", "lab", result.name]
    for key, value in result.params.items():
        if key == "progress":
            continue
        flag = "--" + key.replace("_", "-")
        if isinstance(value, bool):
            parts.append(flag if value else "--no-" + key.replace("_", "-"))
        elif isinstance(value, (list, tuple)):
            parts += [flag, *(str(v) for v in value)]
        elif value is not None:
            parts += [flag, str(value)]
    return shlex.join(parts)


def _duration(seconds: float) -> str:
    if seconds < 0.1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def _text_table(table: Table) -> str:
    header = [format_value(h) if h != "" else "" for h in table.header] if table.header else None
    rows = [[format_value(c) for c in row] for row in table.rows]
    grid = ([header] if header else []) + rows
    if not grid:
        return f"{table.caption}: {table.note}" if table.caption else table.note
    widths = [max(len(r[i]) for r in grid if i < len(r)) for i in range(max(map(len, grid)))]
    numeric = [all(is_number(row[i]) or row[i] is None for row in table.rows if i < len(row))
               for i in range(len(widths))]

    def line(cells):
        return "  ".join(c.rjust(w) if num else c.ljust(w)
                         for c, w, num in zip(cells, widths, numeric)).rstrip()

    out = [table.caption] if table.caption else []
    if header:
        out += [line(header), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in rows]
    return "\n".join(out)


def _transposed(table: Table) -> Table:
    header = table.header or []
    rows = [[h, *(r[j] if j < len(r) else None for r in table.rows)]
            for j, h in enumerate(header) if j > 0]
    return Table(table.caption, ["", *(r[0] for r in table.rows)], rows)


def _fit(table: Table, width: int) -> Table:
    """The table, or its transpose if only that fits in width characters (a terminal)."""
    def wide(t: Table) -> int:
        grid = [t.header or []] + t.rows
        cols = max(map(len, grid), default=0)
        return sum(max((len(format_value(r[i])) for r in grid if i < len(r)), default=0) + 3
                   for i in range(cols))
    if not (table.header and table.row_labels and table.rows) or wide(table) <= width:
        return table
    flipped = _transposed(table)
    return flipped if wide(flipped) < wide(table) else table


def format_result(result: Result, width: int = 88) -> str:
    """The Result as plain text: name, runtime and parameters, the conclusion, the numbers."""
    params = ", ".join(f"{k}={cell(v)}" for k, v in result.params.items())
    blocks = [f"{result.name}: {_title_of(result.name)}\n"
              + _("ran in {time} with {params}").format(time=_duration(result.seconds),
                                                      params=params),
              "\n\n".join(textwrap.fill(p, width) for p in _paragraphs(result.conclusion))]
    blocks += [_text_table(_fit(t, width)) for t in number_tables(result.numbers)]
    return "\n\n".join(blocks) + "\n"


def print_result(result: Result, file=None) -> None:
    """Print the Result to the terminal: with rich's tables if rich is installed, as
    ``format_result``'s plain text otherwise."""
    file = file or sys.stdout
    try:
        # rich is optional: imported when a table is printed, so the lab runs without it
        from rich.console import Console
        from rich.table import Table as RichTable
        from rich.text import Text
    except ImportError:
        print(format_result(result), end="", file=file)
        return
    console = Console(file=file, highlight=False)
    params = ", ".join(f"{k}={cell(v)}" for k, v in result.params.items())
    console.print(Text(f"{result.name}: {_title_of(result.name)}", style="bold"))
    console.print(Text(_("ran in {time} with {params}").format(
        time=_duration(result.seconds), params=params), style="dim"))
    console.print()
    for p in _paragraphs(result.conclusion):
        console.print(Text(p))
        console.print()
    for table in number_tables(result.numbers):
        table = _fit(table, console.width)
        rich_table = RichTable(title=Text(table.caption) if table.caption else None,
                               title_justify="left", show_header=table.header is not None)
        width = max((len(r) for r in table.rows), default=len(table.header or []))
        header = table.header or [""] * width
        for i, h in enumerate(header):
            numeric = all(is_number(r[i]) or r[i] is None for r in table.rows if i < len(r))
            rich_table.add_column(Text(format_value(h)) if h != "" else "",
                                  justify="right" if numeric else "left")
        for row in table.rows:
            rich_table.add_row(*(Text(format_value(c)) for c in row))
        if not table.rows:
            rich_table.add_row(Text(table.note))
        console.print(rich_table)


def _paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]


# --------------------------------------------------------------------------- HTML
CSS = """
:root { color-scheme: light; }
body { margin: 0; background: #fafafa; color: #1f2328;
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; }
main { max-width: 1000px; margin: 0 auto; padding: 28px 32px 48px; background: #fff;
  box-shadow: 0 0 0 1px #eaecef; }
h1 { font-size: 1.7em; margin: 0 0 .2em; }
h2 { font-size: 1.3em; margin: 0 0 .3em; line-height: 1.3; }
h2 .num { color: #8a8f98; font-weight: 500; margin-right: .4em; }
h3 { font-size: 1em; margin: 1.2em 0 .5em; color: #444; }
.meta { color: #5f6670; margin: 0 0 .6em; font-size: .92em; }
.note { background: #fff8e1; border: 1px solid #f0d98a; border-radius: 4px; padding: .5em .8em;
  font-size: .92em; }
nav ol { padding-left: 1.6em; margin: .4em 0 0; }
nav li { margin: .15em 0; }
nav .name, .cmd { color: #5f6670; }
a { color: #0b57d0; text-decoration: none; }
a:hover { text-decoration: underline; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: .88em; }
section { border-top: 1px solid #e3e6ea; margin-top: 2.2em; padding-top: 1.4em; }
.conclusion { background: #f1f6fd; border-left: 4px solid #3b78c4; border-radius: 0 4px 4px 0;
  padding: .7em 1em; margin: .9em 0 1em; }
.conclusion p { margin: .3em 0; }
.failed .conclusion, .error { background: #fdf1f1; border-left: 4px solid #c62828; }
.error { padding: .7em 1em; border-radius: 0 4px 4px 0; }
.badge { display: inline-block; font-size: .75em; font-weight: 600; color: #fff;
  background: #c62828; border-radius: 3px; padding: 0 .45em; vertical-align: middle; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr));
  gap: 1em 1.4em; margin: 0 0 .6em; }
figure { margin: 0; text-align: center; }
figure img, figure svg { width: 100%; max-width: 560px; height: auto; }
figcaption { color: #444; font-size: .88em; text-align: left; margin-top: .2em; }
figure.wide { grid-column: span 2; }
figure.wide img { max-width: 100%; }
figcaption .fig { font-weight: 600; margin-right: .3em; }
details { margin: .6em 0; border: 1px solid #e3e6ea; border-radius: 4px; padding: .3em .8em; }
details > summary { cursor: pointer; color: #0b57d0; }
details[open] > summary { margin-bottom: .5em; }
@media (max-width: 700px) { figure.wide { grid-column: auto; } }
.tables { display: flex; flex-wrap: wrap; gap: .4em 1.6em; align-items: flex-start; }
.table { max-width: 100%; overflow-x: auto; }
table { border-collapse: collapse; font-size: .86em; margin: .2em 0 .8em; }
caption { text-align: left; font-weight: 600; color: #444; padding: 0 0 .25em;
  white-space: nowrap; }
th, td { border: 1px solid #dfe2e6; padding: 2px 8px; vertical-align: top; }
thead th { background: #f4f5f7; font-weight: 600; }
tbody th { background: #fafbfc; font-weight: 500; text-align: left; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.params td, table.params th { font-size: .95em; }
pre { background: #f6f8fa; border: 1px solid #e3e6ea; border-radius: 4px; padding: .7em;
  overflow-x: auto; font-size: .8em; line-height: 1.4; }
footer { margin-top: 2.5em; color: #8a8f98; font-size: .85em; }
@media print { body { background: #fff; } main { box-shadow: none; }
  section { break-inside: avoid-page; } }
"""


def _e(value) -> str:
    return html.escape(str(value), quote=True)


def _anchor(name: str) -> str:
    return "x-" + re.sub(r"[^a-z0-9-]+", "-", name.lower())


# The tables' own words (the JSON's keys stay as they are), translated in the report.
WORDS = (N_("value"), N_("module"), N_("first"), N_("last"), N_("min"), N_("max"),
         N_("rows"), N_("columns"), N_("yes"), N_("no"))
_NUMBERED = re.compile(r"(layer|seed) (\d+)")


def _word(text: str, _) -> str:
    """A table's label or cell in the report's language: "layer 3", "value", "yes" ..."""
    if m := _NUMBERED.fullmatch(text):
        words = _("layer {n}") if m.group(1) == "layer" else _("seed {n}")
        return words.format(n=m.group(2))
    return _(text) if text in WORDS else text


def _html_table(table: Table, css_class: str = "", _=str) -> str:
    width = max((len(r) for r in table.rows), default=len(table.header or []))
    numeric = [all(is_number(r[i]) or r[i] is None for r in table.rows if i < len(r))
               and any(i < len(r) for r in table.rows) for i in range(width)]
    attr = f' class="{css_class}"' if css_class else ""
    parts = [f'<div class="table"><table{attr}>']
    if table.caption:
        parts.append(f"<caption>{_e(table.caption)}</caption>")
    if table.header:
        heads = "".join(f'<th{" class=num" if i < width and numeric[i] else ""}>'
                        f"{_e(_word(format_value(h), _)) if h != '' else ''}</th>"
                        for i, h in enumerate(table.header))
        parts.append(f"<thead><tr>{heads}</tr></thead>")
    parts.append("<tbody>")
    for row in table.rows:
        cells = []
        for i, c in enumerate(row):
            tag = "th" if i == 0 and table.row_labels and table.header is not None else "td"
            cls = " class=num" if is_number(c) else ""
            text = format_value(c) if is_number(c) else _word(format_value(c), _)
            cells.append(f"<{tag}{cls}>{_e(text)}</{tag}>")
        parts.append(f"<tr>{''.join(cells)}</tr>")
    if not table.rows:
        parts.append(f"<tr><td>{_e(table.note or '(empty)')}</td></tr>")
    parts.append("</tbody></table></div>")
    return "".join(parts)


PNG_DPI = 120        # as Result.save writes them; shown at 96 CSS pixels an inch (sharp on hi-dpi)


def _png_img(name: str, png: bytes) -> str:
    ihdr = png[12:16] == b"IHDR"
    width = int.from_bytes(png[16:20], "big") if ihdr else 0
    height = int.from_bytes(png[20:24], "big") if ihdr else 0
    size = (f' width="{round(width * 96 / PNG_DPI)}" height="{round(height * 96 / PNG_DPI)}"'
            if width and height else "")
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{_e(name)}"{size} src="data:image/png;base64,{data}">'


def caption(name: str, figure: str) -> str:
    """The caption of an experiment's figure: its module's ``CAPTIONS[figure]``, else the
    figure's id in words ("init-gradients" -> "Init gradients"); in English (the report
    translates it).

    >>> caption("no-such-experiment", "init-gradients")
    'Init gradients'
    """
    try:
        captions = getattr(get(name), "CAPTIONS", {})
    except (ValueError, ImportError):        # a Result of no registered experiment
        captions = {}
    text = captions.get(figure) if isinstance(captions, dict) else None
    return text or figure.replace("-", " ").replace("_", " ").capitalize()


def _figure_html(name: str, fig, fmt: str, saved: Path | None = None, text: str = "",
                 number: str = "") -> str:
    """One figure as HTML: drawn again, or (saved) the PNG that Result.save wrote; under it
    number ("Figure 1.") and text, its caption (else its name)."""
    label = text or name
    if fmt not in ("png", "svg"):
        raise ValueError(f"render_report: figure_format must be 'png' or 'svg', got {fmt!r}")
    buffer = io.BytesIO()
    if fmt == "png" and saved is not None and saved.is_file():
        body = _png_img(label, saved.read_bytes())
    elif fmt == "png":
        fig.savefig(buffer, format="png", dpi=PNG_DPI, bbox_inches="tight")
        body = _png_img(label, buffer.getvalue())
    else:
        fig.savefig(buffer, format="svg", bbox_inches="tight")
        svg = buffer.getvalue().decode("utf-8")
        body = svg[svg.index("<svg"):]           # drop the XML declaration and DOCTYPE
    wide = ' class="wide"' if _aspect(body) >= WIDE else ""
    number = f'<span class="fig">{_e(number)}</span>' if number else ""
    return f"<figure{wide}>{body}<figcaption>{number}{_e(label)}</figcaption></figure>"


WIDE = 1.8           # a figure this much wider than tall (side-by-side panels) takes two columns


def _aspect(body: str) -> float:
    """Width / height of an <img> or <svg> (0 if not found)."""
    m = re.search(r'width="([\d.]+)(?:pt|px)?" height="([\d.]+)', body)
    return float(m.group(1)) / float(m.group(2)) if m and float(m.group(2)) else 0.0


def _conclusion_html(text: str, _) -> str:
    empty = _("(no conclusion)")
    return "".join(f"<p>{_e(p)}</p>" for p in _paragraphs(text)) or f"<p>{_e(empty)}</p>"


def _params_table(params: dict, _) -> str:
    shown = {k: v for k, v in params.items() if k != "progress"}
    if not shown:
        return ""
    return _html_table(Table(_("parameters"), [str(k) for k in shown],
                             [[cell(v) for v in shown.values()]], row_labels=False), "params",
                       _)


def _figures_html(result: Result, fig_format: str, figure_dir: Path | None, _) -> str:
    parts = []
    for k, (n, f) in enumerate(result.figures.items(), 1):
        number = _("Figure {n}.").format(n=k)
        saved = figure_dir / f"{result.name}-{n}.png" if figure_dir else None
        parts.append(_figure_html(n, f, fig_format, saved, _(caption(result.name, n)), number))
    return f'<div class="figures">{"".join(parts)}</div>' if parts else ""


def _raw_json(result: Result, figure_dir: Path | None, _) -> str:
    """A link to the Result's JSON file when it was saved next to the report, else the
    JSON itself (folded away with the rest)."""
    if figure_dir is not None and (figure_dir / f"{result.name}.json").is_file():
        words = _("The raw numbers:")
        return (f'<p>{_e(words)} <a href="{_e(result.name)}.json">'
                f"<code>{_e(result.name)}.json</code></a></p>")
    text = json.dumps(result.numbers, indent=1, allow_nan=True)
    heading = _("The raw numbers (JSON)")
    return f"<h3>{_e(heading)}</h3><pre>{_e(text)}</pre>"


def _result_section(i: int, result: Result, title: str, fig_format: str,
                    figure_dir: Path | None, _, first: Sequence = ()) -> str:
    key = "".join(_html_table(t, _=_) for t in [*first, *key_tables(result.numbers)])
    every = "".join(_html_table(t, _=_) for t in number_tables(result.numbers))
    meta = _("ran in {time}").format(time=_duration(result.seconds))
    words = {"key": _("Key numbers"), "all": _("All numbers, the parameters and the raw JSON"),
             "none": _("(none)"), "rerun": _("Rerun:")}
    return (f'<section id="{_anchor(result.name)}">'
            f'<h2><span class="num">{i}</span>{_e(title)}</h2>'
            f'<p class="meta"><code>{_e(result.name)}</code> · {_e(meta)} · chainrule '
            f"{_e(result.version)}</p>"
            f'<div class="conclusion">{_conclusion_html(result.conclusion, _)}</div>'
            f"{_figures_html(result, fig_format, figure_dir, _)}"
            + (f'<h3>{_e(words["key"])}</h3><div class="tables">{key}</div>' if key else "")
            + f'<details><summary>{_e(words["all"])}</summary>'
            f'<div class="tables">{every or _e(words["none"])}</div>'
            f'<div class="tables">{_params_table(result.params, _)}</div>'
            f"{_raw_json(result, figure_dir, _)}</details>"
            f'<p class="cmd">{_e(words["rerun"])} <code>{_e(rerun_command(result))}</code></p>'
            "</section>")


def _failure_section(i: int, failure, title: str, _) -> str:
    meta = _("failed after {time}").format(time=_duration(failure.seconds))
    failed, why = _("failed"), _("This experiment raised an error, so it has no numbers:")
    return (f'<section id="{_anchor(failure.name)}" class="failed">'
            f'<h2><span class="num">{i}</span>{_e(title)} <span class="badge">'
            f"{_e(failed)}</span></h2>"
            f'<p class="meta"><code>{_e(failure.name)}</code> · {_e(meta)}</p>'
            f'<div class="error"><p>{_e(why)} '
            f"<code>{_e(failure.error)}</code></p></div>"
            f"<pre>{_e(failure.traceback)}</pre></section>")


def _title_of(name: str) -> str:
    from . import title   # here, not at the top: read when called (tests replace lab.title)
    return title(name)


def _count(items: list, _) -> str:
    failed = sum(not isinstance(r, Result) for r in items)
    text = (_("1 experiment") if len(items) == 1
            else _("{n} experiments").format(n=len(items)))
    return text + (_(" ({n} failed)").format(n=failed) if failed else "")


def render_report(results: Sequence, title: str = "chainrule lab report", *,
                  note: str | None = None, date: _dt.datetime | None = None,
                  figure_format: str = "png", figure_dir=None,
                  preface: str | None = None, titles: dict | None = None,
                  tables: dict | None = None, lang: str | None = None) -> str:
    """The report as one HTML string.

    results: Results (and ``lab.Failure`` records, shown with their traceback), in the
    order they should appear. note: a line shown under the title (e.g. that this was a
    quick run). figure_format: "png" (base64 data URIs) or "svg" (inline ``<svg>``).
    figure_dir: the folder ``Result.save`` has just written the figures to; their PNG files
    are embedded instead of drawing every figure again (which is the slow part), and the
    JSON files there are linked. preface: preformatted text shown before the experiments
    (the demo's worked example). titles: {experiment name: heading} instead of the
    experiments' own titles. tables: {experiment name: [Table]} shown first among its key
    numbers (the demo's per-layer table). lang: the report's language (default: ``CHAINRULE_LANG``);
    title, note and the headings are looked up in its catalog.
    """
    lang = resolve_lang(lang)
    catalog = translator(lang)

    def _(message: str) -> str:          # gettext("") would be the catalog's header
        return catalog.gettext(message) if message else message

    headings = titles or {}
    figure_dir = Path(figure_dir) if figure_dir is not None else None
    date = date or _dt.datetime.now()
    items = list(results)
    titles = [_(headings.get(r.name) or _title_of(r.name)) for r in items]
    total = sum(r.seconds for r in items)
    failed, contents_heading = _("failed"), _("Contents")
    contents = "".join(
        f'<li><a href="#{_anchor(r.name)}">{_e(t)}</a> <span class="name">— '
        f"<code>{_e(r.name)}</code>, {_e(_duration(r.seconds))}</span>"
        + (f" <span class=badge>{_e(failed)}</span>" if not isinstance(r, Result) else "")
        + "</li>" for r, t in zip(items, titles))
    sections = "".join(
        _result_section(i, r, t, figure_format, figure_dir, _, (tables or {}).get(r.name, ()))
        if isinstance(r, Result)
        else _failure_section(i, r, t, _)
        for i, (r, t) in enumerate(zip(items, titles), 1))
    computing = _("{count}, {time} of computing").format(count=_count(items, _),
                                                         time=_duration(total))
    footer = _("Written by chainrule {version}. Every number above comes from the "
               "experiment's JSON file; each experiment reruns with the command under it, "
               "and the whole report with {command}.").format(version=__version__,
                                                              command="\0")
    footer = _e(footer).replace("\0", "<code>chainrule lab all</code>")
    return (
        f"<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(_(title))}</title><style>{CSS}</style></head><body><main>"
        f"<header><h1>{_e(_(title))}</h1>"
        f'<p class="meta">chainrule {_e(__version__)} · {_e(date.strftime("%Y-%m-%d %H:%M"))} · '
        f"{_e(computing)}</p>"
        + (f'<p class="note">{_e(_(note))}</p>' if note else "")
        + f"<nav><h3>{_e(contents_heading)}</h3><ol>{contents}</ol></nav></header>"
        + (f"<section><pre>{_e(preface)}</pre></section>" if preface else "")
        + f"{sections}<footer>{footer}</footer></main></body></html>\n")


def write_report(results: Sequence, path, title: str = "chainrule lab report",
                 **kwargs) -> Path:
    """Write ``render_report(results, title, **kwargs)`` to path (atomically); return it."""
    return write_text(path, render_report(results, title, **kwargs))
