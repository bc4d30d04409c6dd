"""The lab's report: one self-contained HTML file, each experiment's conclusion beside its
evidence (figures and numbers), and the same numbers as text for the terminal.

``render_report(results)`` returns the HTML as a string and ``write_report(results, path)``
writes it atomically. Figures are embedded (base64 PNG, or inline SVG), the style sheet is
inline, there is no script: the file can be mailed, archived or opened offline.

The numbers are shown as the tables of ``tables.number_tables``, in the HTML and in the
terminal summary (``format_result``, ``print_result``) alike.
"""
from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import re
import shlex
import sys
import textwrap
from pathlib import Path
from typing import Sequence

from .. import __version__
from ..fileio import write_text
from .result import Result
from .tables import Table, cell, format_value, is_number, number_tables

__all__ = ["render_report", "write_report", "format_result", "print_result", "rerun_command"]

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
              f"ran in {_duration(result.seconds)} with {params}",
              "\n\n".join(textwrap.fill(p, width) for p in _paragraphs(result.conclusion))]
    blocks += [_text_table(_fit(t, width)) for t in number_tables(result.numbers)]
    return "\n\n".join(blocks) + "\n"


def print_result(result: Result, file=None) -> None:
    """Print the Result to the terminal: with rich's tables if rich is installed, as
    ``format_result``'s plain text otherwise."""
    file = file or sys.stdout
    try:
        from rich.console import Console
        from rich.table import Table as RichTable
        from rich.text import Text
    except ImportError:
        print(format_result(result), end="", file=file)
        return
    console = Console(file=file, highlight=False)
    params = ", ".join(f"{k}={cell(v)}" for k, v in result.params.items())
    console.print(Text(f"{result.name}: {_title_of(result.name)}", style="bold"))
    console.print(Text(f"ran in {_duration(result.seconds)} with {params}", style="dim"))
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
figure { margin: 0 0 1em; text-align: center; }
figure img, figure svg { max-width: 100%; height: auto; }
figcaption { color: #5f6670; font-size: .85em; }
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


def _html_table(table: Table, css_class: str = "") -> str:
    width = max((len(r) for r in table.rows), default=len(table.header or []))
    numeric = [all(is_number(r[i]) or r[i] is None for r in table.rows if i < len(r))
               and any(i < len(r) for r in table.rows) for i in range(width)]
    attr = f' class="{css_class}"' if css_class else ""
    parts = [f'<div class="table"><table{attr}>']
    if table.caption:
        parts.append(f"<caption>{_e(table.caption)}</caption>")
    if table.header:
        heads = "".join(f'<th{" class=num" if i < width and numeric[i] else ""}>'
                        f"{_e(format_value(h)) if h != '' else ''}</th>"
                        for i, h in enumerate(table.header))
        parts.append(f"<thead><tr>{heads}</tr></thead>")
    parts.append("<tbody>")
    for row in table.rows:
        cells = []
        for i, c in enumerate(row):
            tag = "th" if i == 0 and table.row_labels and table.header is not None else "td"
            cls = " class=num" if is_number(c) else ""
            cells.append(f"<{tag}{cls}>{_e(format_value(c))}</{tag}>")
        parts.append(f"<tr>{''.join(cells)}</tr>")
    if not table.rows:
        parts.append(f"<tr><td>{_e(table.note or '(empty)')}</td></tr>")
    parts.append("</tbody></table></div>")
    return "".join(parts)


PNG_DPI = 120        # as Result.save writes them; shown at 96 CSS pixels an inch (sharp on hi-dpi)


def _png_img(name: str, png: bytes) -> str:
    width = int.from_bytes(png[16:20], "big") if png[12:16] == b"IHDR" else 0
    size = f' width="{round(width * 96 / PNG_DPI)}"' if width else ""
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{_e(name)}"{size} src="data:image/png;base64,{data}">'


def _figure_html(name: str, fig, fmt: str, saved: Path | None = None) -> str:
    """One figure as HTML: drawn again, or (saved) the PNG that Result.save wrote."""
    if fmt not in ("png", "svg"):
        raise ValueError(f"render_report: figure_format must be 'png' or 'svg', got {fmt!r}")
    buffer = io.BytesIO()
    if fmt == "png" and saved is not None and saved.is_file():
        body = _png_img(name, saved.read_bytes())
    elif fmt == "png":
        fig.savefig(buffer, format="png", dpi=PNG_DPI, bbox_inches="tight")
        body = _png_img(name, buffer.getvalue())
    else:
        fig.savefig(buffer, format="svg", bbox_inches="tight")
        svg = buffer.getvalue().decode("utf-8")
        body = svg[svg.index("<svg"):]           # drop the XML declaration and DOCTYPE
    return f"<figure>{body}<figcaption>{_e(name)}</figcaption></figure>"


def _conclusion_html(text: str) -> str:
    return "".join(f"<p>{_e(p)}</p>" for p in _paragraphs(text)) or "<p>(no conclusion)</p>"


def _params_table(params: dict) -> str:
    shown = {k: v for k, v in params.items() if k != "progress"}
    if not shown:
        return ""
    return _html_table(Table("parameters", [str(k) for k in shown],
                             [[cell(v) for v in shown.values()]], row_labels=False), "params")


def _result_section(i: int, result: Result, title: str, fig_format: str,
                    figure_dir: Path | None) -> str:
    figures = "".join(
        _figure_html(n, f, fig_format,
                     figure_dir / f"{result.name}-{n}.png" if figure_dir else None)
        for n, f in result.figures.items())
    tables = "".join(_html_table(t) for t in number_tables(result.numbers))
    return (f'<section id="{_anchor(result.name)}">'
            f'<h2><span class="num">{i}</span>{_e(title)}</h2>'
            f'<p class="meta"><code>{_e(result.name)}</code> · ran in '
            f"{_e(_duration(result.seconds))} · chainrule {_e(result.version)}</p>"
            f'<div class="conclusion">{_conclusion_html(result.conclusion)}</div>'
            f"{figures}"
            f'<h3>Numbers</h3><div class="tables">{tables or "<p>(none)</p>"}</div>'
            f'<h3>Run</h3><div class="tables">{_params_table(result.params)}</div>'
            f'<p class="cmd">Rerun: <code>{_e(rerun_command(result))}</code></p>'
            "</section>")


def _failure_section(i: int, failure, title: str) -> str:
    return (f'<section id="{_anchor(failure.name)}" class="failed">'
            f'<h2><span class="num">{i}</span>{_e(title)} <span class="badge">failed</span></h2>'
            f'<p class="meta"><code>{_e(failure.name)}</code> · failed after '
            f"{_e(_duration(failure.seconds))}</p>"
            f'<div class="error"><p>This experiment raised an error, so it has no numbers: '
            f"<code>{_e(failure.error)}</code></p></div>"
            f"<pre>{_e(failure.traceback)}</pre></section>")


def _title_of(name: str) -> str:
    from . import title
    return title(name)


def render_report(results: Sequence, title: str = "chainrule lab report", *,
                  note: str | None = None, date: _dt.datetime | None = None,
                  figure_format: str = "png", figure_dir=None,
                  preface: str | None = None) -> str:
    """The report as one HTML string.

    results: Results (and ``lab.Failure`` records, shown with their traceback), in the
    order they should appear. note: a line shown under the title (e.g. that this was a
    quick run). figure_format: "png" (base64 data URIs) or "svg" (inline ``<svg>``).
    figure_dir: the folder ``Result.save`` has just written the figures to; their PNG files
    are embedded instead of drawing every figure again (which is the slow part).
    preface: preformatted text shown before the experiments (the demo's worked example).
    """
    figure_dir = Path(figure_dir) if figure_dir is not None else None
    date = date or _dt.datetime.now()
    items = list(results)
    titles = [_title_of(r.name) for r in items]
    total = sum(r.seconds for r in items)
    failed = sum(not isinstance(r, Result) for r in items)
    contents = "".join(
        f'<li><a href="#{_anchor(r.name)}">{_e(t)}</a> <span class="name">— '
        f"<code>{_e(r.name)}</code>, {_e(_duration(r.seconds))}</span>"
        f'{" <span class=badge>failed</span>" if not isinstance(r, Result) else ""}</li>'
        for r, t in zip(items, titles))
    sections = "".join(
        _result_section(i, r, t, figure_format, figure_dir) if isinstance(r, Result)
        else _failure_section(i, r, t)
        for i, (r, t) in enumerate(zip(items, titles), 1))
    count = f"{len(items)} experiment{'s' if len(items) != 1 else ''}"
    if failed:
        count += f" ({failed} failed)"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body><main>"
        f"<header><h1>{_e(title)}</h1>"
        f'<p class="meta">chainrule {_e(__version__)} · {_e(date.strftime("%Y-%m-%d %H:%M"))} · '
        f"{_e(count)}, {_e(_duration(total))} of computing</p>"
        + (f'<p class="note">{_e(note)}</p>' if note else "")
        + f"<nav><h3>Contents</h3><ol>{contents}</ol></nav></header>"
        + (f"<section><pre>{_e(preface)}</pre></section>" if preface else "")
        + f"{sections}"
        f"<footer>Written by chainrule {_e(__version__)}. Every number above comes from the "
        f"experiment's JSON file; each experiment reruns with the command under it, and the "
        f"whole report with <code>chainrule lab all</code>.</footer>"
        "</main></body></html>\n")


def write_report(results: Sequence, path, title: str = "chainrule lab report",
                 **kwargs) -> Path:
    """Write ``render_report(results, title, **kwargs)`` to path (atomically); return it."""
    return write_text(path, render_report(results, title, **kwargs))
