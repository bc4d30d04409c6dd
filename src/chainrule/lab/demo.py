"""``chainrule demo``: the main job, a tour of about fifteen seconds.

1. The lectures' worked example, f = (x + y) * z at x = 3, y = -4, z = 5, with its backward
   pass printed node by node (``cr.inspect.trace``).
2. The lectures' network -- 10 Linear layers with a sigmoid after each, on breast cancer --
   trained next to the same network with ReLU and with skip connections (the ``vanishing``
   experiment with those three variants): the gradient norm reaching each layer at
   initialisation, and the final accuracy.
3. The figures and an HTML report in ./chainrule-report/.

Every number printed is measured in that run; nothing is stored in advance. The words
are in the run's language (``chainrule --lang vi demo``, see ``chainrule.i18n``); layers are
numbered 1 (the input side) to 10 in the table, the report and the figures alike.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from .. import inspect
from ..i18n import N_, _
from ..tensor import Tensor
from . import run as run_experiment
from .report import write_report
from .tables import Table
from .vanishing import LABELS

VARIANTS = ("sigmoid", "relu", "sigmoid+skip")
FULL = {"epochs": 50}
QUICK = {"epochs": 2, "width": 8}
# The report's heading for the demo's run: the vanishing experiment's own title names the
# variants the full experiment runs (tanh ...), not the three the demo runs.
N_("sigmoid + skip connections")     # vanishing.LABELS["sigmoid+skip"], in the table
HEADING = N_("10 sigmoid layers: the first layer's gradient vanishes; ReLU and skip "
             "connections keep it")


def worked_example() -> str:
    """The trace of f = (x + y) * z at (3, -4, 5), as text."""
    x = Tensor(3.0, requires_grad=True, name="x")
    y = Tensor(-4.0, requires_grad=True, name="y")
    z = Tensor(5.0, requires_grad=True, name="z")
    return inspect.trace((x + y) * z).text(title="f = (x + y) * z   at x = 3, y = -4, z = 5")


def gradient_table(numbers: dict) -> tuple[list[str], list[list[str]]]:
    """Header and rows: the gradient norm per layer at initialisation for each variant,
    then the first/last ratio and the final accuracies."""
    per = numbers["per_activation"]
    header = [_("layer")] + [_(LABELS[v]) for v in per]
    rows = [[str(i + 1)] + [f"{v['init_grad_norm'][i]:.2e}" for v in per.values()]
            for i in range(len(numbers["layer_names"]))]
    rows.append([_("first / last")] + [f"{v['init_ratio']:.1e}" for v in per.values()])
    rows.append([_("train accuracy")] + [f"{v['train_accuracy']:.1%}" for v in per.values()])
    rows.append([_("test accuracy")] + [f"{v['test_accuracy']:.1%}" for v in per.values()])
    return header, rows


def report_table(numbers: dict) -> Table:
    """The gradient norm per layer at initialisation, one column per variant, as the
    report's first key numbers (the cells stay numbers)."""
    per = numbers["per_activation"]
    rows = [[_("layer {n}").format(n=i + 1), *(v["init_grad_norm"][i] for v in per.values())]
            for i in range(len(numbers["layer_names"]))]
    rows.append([_("first / last"), *(v["init_ratio"] for v in per.values())])
    return Table(table_title(numbers), ["", *(_(LABELS[v]) for v in per)], rows)


def table_title(numbers: dict) -> str:
    """The gradient table's title, naming the seeds its numbers are the mean over."""
    seeds = numbers["seeds"]
    if len(seeds) == 1:
        return _("gradient norm ||dL/dW|| per layer at initialisation (layer 1 = input "
                 "side), seed {seed}").format(seed=seeds[0])
    return _("gradient norm ||dL/dW|| per layer at initialisation (layer 1 = input side), "
             "mean over seeds {first}-{last}").format(first=seeds[0], last=seeds[-1])


def _print_table(title: str, header: list[str], rows: list[list[str]], echo: Callable) -> None:
    try:
        # rich is optional: imported when a table is printed, so the demo runs without it
        from rich.console import Console
        from rich.table import Table as RichTable
    except ImportError:
        widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
        echo(title)
        for r in [header] + rows:
            echo("  ".join(c.rjust(w) for c, w in zip(r, widths)))
        return
    table = RichTable(title=title)
    for i, h in enumerate(header):
        table.add_column(h, justify="left" if i == 0 else "right")
    for r in rows:
        table.add_row(*r)
    Console().print(table)


def run_demo(out_dir="chainrule-report", quick: bool = False,
             echo: Callable[[str], None] = print) -> Path:
    """Run the tour, print as it goes, write the report; return the report's path."""
    out = Path(out_dir)
    echo("chainrule demo\n")
    echo(_("1. Backpropagation by hand: the lectures' worked example") + "\n")
    example = worked_example()
    echo(example)
    echo("\n" + _("2. The vanishing gradient: 10 Linear layers with a sigmoid after each, on "
                  "breast cancer,\n   against the same network with ReLU and with skip "
                  "connections (training ...)") + "\n")
    result = run_experiment("vanishing", activations=VARIANTS, **(QUICK if quick else FULL))
    _print_table(table_title(result.numbers), *gradient_table(result.numbers), echo)
    echo("\n" + result.conclusion + "\n")
    written = result.save(out)
    report = write_report([result], out / "index.html", title="chainrule demo",
                          note=N_("Backpropagation by hand, then the vanishing gradient "
                                  "measured: every number comes from this run."),
                          preface=example, figure_dir=out, titles={"vanishing": HEADING},
                          tables={"vanishing": [report_table(result.numbers)]})
    echo(_("3. Measured in {seconds} s. Figures and numbers in {out}/:").format(
        seconds=f"{result.seconds:.1f}", out=out))
    for path in written:
        echo(f"   {path}")
    echo("   " + _("report: {path}").format(path=report))
    return report
