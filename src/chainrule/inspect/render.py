"""Renderers of a GraphTrace: aligned text, DOT, SVG (through Graphviz), JSON, HTML.

Scalars are printed as numbers (6 significant digits); a tensor as its few values, nested
as its shape is (``[[1, 2], [3, 4]]``), when it has at most four, else as its mean, min and
max. The gradients at the top of the text are printed whole, as arrays, up to
``SHOWN_WHOLE`` values.
"""
from __future__ import annotations

import html as _html
import json as _json
import shutil
import subprocess
from pathlib import Path

import numpy as np

from .. import fileio as _files
from .count import format_network_table

__all__ = ["to_text", "to_dot", "to_svg", "to_json", "to_dict", "to_html", "save", "render",
           "format_of", "save_text", "counts_text", "describe", "array_text", "dot_available",
           "GraphvizNotFound"]

GRAPHVIZ_HELP = ("Graphviz's `dot` program draws the SVG and it is not installed. Get it with "
                 "`apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS) "
                 "or `conda install graphviz`, then run `dot -Tsvg FILE.dot -o FILE.svg`.")


class GraphvizNotFound(RuntimeError):
    """Graphviz's ``dot`` is not on PATH, so no SVG can be drawn."""


# ------------------------------------------------------------------- numbers
def fmt(v, digits: int = 6) -> str:
    """A number in at most ``digits`` significant digits; -0 prints as 0."""
    v = float(v)
    if v == 0:
        return "0"
    return f"{v:.{digits}g}"


def describe(a) -> str:
    """A value for people: the number, up to four values, or mean/min/max."""
    a = np.asarray(a)
    if a.size == 1:
        return fmt(a.reshape(-1)[0])
    if a.size == 0:
        return "[] (empty)"
    if a.size <= 4:
        return _nested(a)
    flat = a.reshape(-1).astype(np.float64)
    finite = flat[np.isfinite(flat)]
    bad = flat.size - finite.size
    if not finite.size:
        stats = "no finite values"
    elif finite.min() == finite.max():
        stats = f"all {fmt(finite[0])}"
    else:
        stats = (f"mean {fmt(finite.mean(), 4)}, min {fmt(finite.min(), 4)}, "
                 f"max {fmt(finite.max(), 4)}")
    return stats + (f" ({bad} non-finite)" if bad else "")


def _nested(a: np.ndarray) -> str:
    """A small array on one line, bracketed as its shape is: [[1, 2], [3, 4]]."""
    if a.ndim == 0:
        return fmt(a)
    return "[" + ", ".join(_nested(row) for row in a) + "]"


SHOWN_WHOLE = 36     # gradients with at most this many values are printed whole


def array_text(a, indent: str = "") -> str:
    """An array as rows of right-aligned numbers (as NumPy prints it, 6 significant digits);
    lines after the first start with indent."""
    a = np.asarray(a)
    if a.ndim == 0:
        return fmt(a)
    if a.ndim > 2:
        return np.array2string(a, separator=", ", formatter={"all": fmt},
                               prefix=indent).replace("\n", "\n" + indent)
    cells = [[fmt(v) for v in row] for row in np.atleast_2d(a)]
    width = max(len(c) for row in cells for c in row)
    rows = ["[" + ", ".join(c.rjust(width) for c in row) + "]" for row in cells]
    if a.ndim == 1:
        return ", ".join(cells[0]).join("[]")
    return "[" + (",\n" + indent + " ").join(rows) + "]"


def _shape(shape: tuple) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _number(v):
    """A JSON-safe number: non-finite values as the strings "nan", "inf", "-inf"."""
    v = float(v)
    if np.isfinite(v):
        return v
    return "nan" if np.isnan(v) else ("inf" if v > 0 else "-inf")


def _summary(a):
    """JSON form of a value: a number for a scalar, else shape, mean/min/max (and the
    values themselves when there are at most four)."""
    if a is None:
        return None
    a = np.asarray(a)
    if a.size == 1:
        return _number(a.reshape(-1)[0])
    flat = a.reshape(-1).astype(np.float64)
    finite = flat[np.isfinite(flat)]
    out = {"shape": list(a.shape)}
    if finite.size:
        out.update(mean=float(finite.mean()), min=float(finite.min()), max=float(finite.max()))
    if flat.size - finite.size:
        out["non_finite"] = int(flat.size - finite.size)
    if a.size <= 4:
        out["values"] = [_number(v) for v in flat]
    return out


def _local_text(trace, e) -> str:
    if e.local is not None:
        return describe(e.local)
    out, inp = trace.nodes[e.output - 1], trace.nodes[e.input - 1]
    return f"J[{out.value.size}x{inp.value.size}]"


MAX_TERMS = 8      # a gradient summed from more contributions is shown as their count


def _grad_text(trace, node) -> str:
    """The node's gradient, as the sum of its contributions when there are several."""
    if node.id == trace.root:
        return f"{describe(node.grad)} (seed)"
    parts = trace.edges_into(node.id)
    total = describe(node.grad)
    if 1 < len(parts) <= MAX_TERMS and node.is_scalar:
        return " + ".join(describe(e.contribution) for e in parts) + f" = {total}"
    if len(parts) > 1:
        return f"{total} (the sum of {len(parts)} contributions)"
    return total


# ---------------------------------------------------------------------- text
def _how(trace, node) -> str:
    if node.kind != "op":
        return node.kind
    return f"{node.op}(" + ", ".join(f"#{i}" for i in node.inputs) + ")"


def _table(rows, indent: str = "  ") -> list:
    """Left-aligned columns (the last one unpadded)."""
    if not rows:
        return []
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [indent + "  ".join(c.ljust(w) for c, w in zip(r[:-1], widths)) + "  " + r[-1]
            for r in rows]


def to_text(trace, title: str | None = None) -> str:
    out = trace.output
    # The output is called by its name, else f (its op is shown in the tables below).
    f = out.label if out.label != out.op and out.kind == "op" else "f"
    lines = [title] if title else []
    lines.append(f"value: {f} = {describe(out.value)}")
    lines += _gradient_lines(trace, f)

    tensors = any(not n.is_scalar for n in trace.nodes)
    lines += ["", "forward pass (inputs first):"]
    rows = []
    for n in trace.nodes:
        row = [f"#{n.id}", n.label, _how(trace, n)]
        if tensors:
            row.append(_shape(n.shape))
        rows.append(row + [describe(n.value)])
    lines += _table(rows)

    if not trace.order:
        return "\n".join(lines) + "\n"
    lines += ["", f"backward pass, in the order it visits the nodes (seed 1 at #{trace.root}):",
              "  each node hands upstream x local to each input; "
              "an input's gradient is the sum of what reaches it"]
    rows = []
    for node_id in trace.order:
        n = trace.nodes[node_id - 1]
        rows.append([f"#{n.id}", n.label, "grad", _grad_text(trace, n), "", "", ""])
        for e in trace.edges_from(node_id):
            to = trace.nodes[e.input - 1]
            rows.append(["", "", f"-> #{to.id} {to.label}", f"upstream {describe(e.upstream)}",
                         f"x local {_local_text(trace, e)}", "=",
                         describe(e.contribution)])
    lines += _edge_table(rows)
    if any(e.local is None for e in trace.edges):
        lines += ["", "J[m x n]: the local derivative of a tensor node is an m x n Jacobian; "
                      "its op's backward rule applies it to the upstream gradient without "
                      "forming it."]
    return "\n".join(lines) + "\n"


def _gradient_lines(trace, f: str) -> list:
    """d f / d each variable: on one line when all are scalars, else one entry per
    variable with its shape and the array itself (or its summary when it is large)."""
    grads = trace.gradients()
    if not grads:
        return ["gradients: none (no input requires a gradient)"]
    variables = trace.variables()
    if all(n.shape == () for n in variables):
        return ["gradients: " + ", ".join(f"d{f}/d{k} = {describe(v)}"
                                          for k, v in grads.items())]
    lines = ["gradients:"]
    for (k, v), n in zip(grads.items(), variables):
        head = f"  d{f}/d{k} {_shape(n.shape)}: "
        if n.grad.size <= SHOWN_WHOLE:
            lines.append(head + array_text(n.grad, " " * len(head)))
        else:
            lines.append(head + describe(n.grad))
    unnamed = [n.label for n in variables if n.unnamed]
    if unnamed:
        lines += [f"  ({', '.join(unnamed)}: tensors without a name, numbered in forward order;",
                  "   name them with cr.tensor(..., name='W'), or trace(loss, params=model))"]
    return lines


def _edge_table(rows) -> list:
    """Node rows (#id label grad value) and edge rows (-> target upstream x local = c),
    each kind aligned in its own columns."""
    node_rows = [r for r in rows if r[0]]
    id_w = max(len(r[0]) for r in node_rows)
    label_w = max(len(r[1]) for r in node_rows)
    edge_rows = [r for r in rows if not r[0]]
    widths = [max((len(r[i]) for r in edge_rows), default=0) for i in range(7)]
    lines = []
    for r in rows:
        if r[0]:
            lines.append(f"  {r[0].ljust(id_w)}  {r[1].ljust(label_w)}  {r[2]} {r[3]}")
        else:
            cells = [r[i].ljust(widths[i]) for i in (2, 3, 4, 5)] + [r[6]]
            lines.append("      " + "  ".join(cells))
    return lines


# ----------------------------------------------------------------------- DOT
def _dot_escape(s: str) -> str:
    return _html.escape(str(s), quote=True)


def to_dot(trace, title: str | None = None) -> str:
    """DOT source: inputs on the left, the output on the right; each node shows its value
    (green) and gradient (red); each edge the backward step upstream x local = contribution."""
    lines = ["digraph chainrule {", "  rankdir=LR;",
             '  node [fontname="Helvetica", fontsize=11];',
             '  edge [fontname="Helvetica", fontsize=10];']
    if title:
        lines.append(f'  labelloc="t"; label=<{_dot_escape(title)}>;')
    for n in trace.nodes:
        named = n.kind != "constant" or n.label != describe(n.value)
        rows = [f"<b>#{n.id}{' ' + _dot_escape(n.label) if named else ''}</b>"]
        if n.kind == "op" and n.label != n.op:
            rows.append(f"<i>{_dot_escape(n.op)}</i>")
        if not n.is_scalar:
            rows.append(_dot_escape(_shape(n.shape)))
        rows.append(f'<font color="#1a7f37">{_dot_escape(describe(n.value))}</font>')
        if n.grad is not None:
            rows.append(f'<font color="#c62828">grad {_dot_escape(describe(n.grad))}</font>')
        style = {"variable": 'shape=ellipse, style=filled, fillcolor="#e3eefa"',
                 "constant": 'shape=ellipse, style=dashed, color="#888888"',
                 "op": 'shape=box, style=rounded'}[n.kind]
        lines.append(f"  n{n.id} [{style}, label=<{'<br/>'.join(rows)}>];")
    backward = {(e.output, e.slot): e for e in trace.edges}
    for n in trace.nodes:
        for slot, i in enumerate(n.inputs):
            e = backward.get((n.id, slot))
            if e is None:
                lines.append(f'  n{i} -> n{n.id} [color="#888888"];')
                continue
            if e.upstream.size == 1 and e.contribution.size == 1:
                label = (f"{describe(e.upstream)} × {_local_text(trace, e)} = "
                         f"{describe(e.contribution)}")
            else:   # tensors: the shapes; the summaries are on the nodes
                label = (f"{_shape(e.upstream.shape)} × {_local_text(trace, e)} → "
                         f"{_shape(e.contribution.shape)}")
            lines.append(f'  n{i} -> n{n.id} [label=<<font color="#c62828">'
                         f'{_dot_escape(label)}</font>>];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def dot_available() -> bool:
    return shutil.which("dot") is not None


def to_svg(trace, title: str | None = None) -> str:
    """The graph drawn by Graphviz's ``dot`` as SVG text."""
    dot = shutil.which("dot")
    if dot is None:
        raise GraphvizNotFound(GRAPHVIZ_HELP)
    done = subprocess.run([dot, "-Tsvg"], input=to_dot(trace, title), capture_output=True,
                          text=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"inspect: Graphviz's dot failed: {done.stderr.strip()}")
    return done.stdout


# ---------------------------------------------------------------------- JSON
def to_dict(trace) -> dict:
    nodes = [{"id": n.id, "label": n.label, "kind": n.kind, "op": n.op,
              "shape": list(n.shape), "value": _summary(n.value), "grad": _summary(n.grad),
              "parents": list(n.inputs)} for n in trace.nodes]
    edges = []
    for e in trace.edges:
        out, inp = trace.nodes[e.output - 1], trace.nodes[e.input - 1]
        local = (_summary(e.local) if e.local is not None
                 else {"jacobian": [int(out.value.size), int(inp.value.size)]})
        edges.append({"output": e.output, "input": e.input, "slot": e.slot,
                      "upstream": _summary(e.upstream), "local": local,
                      "contribution": _summary(e.contribution)})
    return {"root": trace.root, "value": _summary(trace.output.value),
            "gradients": {k: _summary(v) for k, v in trace.gradients().items()},
            "order": list(trace.order), "nodes": nodes, "edges": edges}


def to_json(trace, indent: int | None = 2) -> str:
    return _json.dumps(to_dict(trace), indent=indent, allow_nan=False)


# ---------------------------------------------------------------------- HTML
def to_html(trace) -> str:
    """A table of the backward pass, for Jupyter when Graphviz is missing."""
    esc = _html.escape
    head = ("<tr><th>node</th><th>op</th><th>value</th><th>grad</th>"
            "<th>to its inputs: upstream × local = contribution</th></tr>")
    rows = []
    for node_id in trace.order or (trace.root,):
        n = trace.nodes[node_id - 1]
        steps = "<br/>".join(
            f"→ #{e.input} {esc(trace.nodes[e.input - 1].label)}: {esc(describe(e.upstream))}"
            f" × {esc(_local_text(trace, e))} = {esc(describe(e.contribution))}"
            for e in trace.edges_from(node_id))
        grad = "" if n.grad is None else esc(_grad_text(trace, n))
        rows.append(f"<tr><td>#{n.id} {esc(n.label)}</td><td>{esc(_how(trace, n))}</td>"
                    f"<td>{esc(describe(n.value))}</td><td>{grad}</td><td>{steps}</td></tr>")
    return ("<table><caption>backward pass, in the order it visits the nodes</caption>"
            + head + "".join(rows) + "</table>")


# ---------------------------------------------------------------------- files
_FORMATS = {".txt": "text", ".dot": "dot", ".gv": "dot", ".svg": "svg", ".json": "json",
            ".html": "html"}


def save(trace, path, format: str | None = None, title: str | None = None) -> list:
    """Write the trace in one format; .svg also writes the .dot beside it (and raises
    GraphvizNotFound, after writing the DOT, when Graphviz is missing)."""
    path = Path(path)
    format = format or _FORMATS.get(path.suffix.lower())
    if format not in ("text", "dot", "svg", "json", "html"):
        raise ValueError(f"inspect.save: unknown format for {path.name!r}; use one of "
                         f"{', '.join(sorted(_FORMATS))} or format=text|dot|svg|json|html")
    if format == "svg":
        dot_path = _files.write_text(path.with_suffix(".dot"), to_dot(trace, title))
        if not dot_available():
            raise GraphvizNotFound(GRAPHVIZ_HELP.replace("FILE.dot", str(dot_path))
                                   .replace("FILE.svg", str(path)))
        return [dot_path, _files.write_text(path, to_svg(trace, title))]
    text = {"text": lambda: to_text(trace, title), "dot": lambda: to_dot(trace, title),
            "json": lambda: to_json(trace), "html": lambda: to_html(trace)}[format]()
    return [_files.write_text(path, text)]


def format_of(path) -> str | None:
    """The format a file name asks for (by its suffix), or None."""
    return None if path is None else _FORMATS.get(Path(path).suffix.lower())


def save_text(path, text: str) -> Path:
    """Write already rendered text to path, atomically."""
    return _files.write_text(path, text)


def counts_text(counts) -> str:
    """The naive-vs-backprop count of one graph, then the table for networks by depth."""
    return counts.text() + "\n\n" + format_network_table() + "\n"


def render(trace, format: str, title: str | None = None, counts=None) -> str:
    """The trace as text, dot or json (with the multiplication counts, when given, added to
    text and json)."""
    if format == "text":
        return to_text(trace, title) + ("" if counts is None else "\n" + counts_text(counts))
    if format == "dot":
        return to_dot(trace, title)
    if format == "json":
        data = to_dict(trace)
        if counts is not None:
            data["compare_naive"] = {
                "naive": counts.naive, "backprop": counts.backprop,
                "variables": {k: {"paths": p, "multiplications": m}
                              for k, (p, m) in counts.variables.items()}}
        return _json.dumps(data, indent=2, allow_nan=False) + "\n"
    raise ValueError(f"inspect.render: unknown format {format!r}; use text, dot or json "
                     "(svg goes through save)")
