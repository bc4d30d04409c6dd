"""``chainrule sweep NAME --grid k=v1,v2 ... --seeds 0 1 2 [--ray [ADDRESS]]``: the
command's options and what it does, so that cli.py only wires them in.

Grid values are read with the types of the experiment's run() (``layers=2,5`` are ints,
``lr=0.1,1`` floats, ``activation=relu,tanh`` strings, a tuple parameter's values are
written with ``:`` between elements, ``depths=3:12,10:20``) and checked against its
ranges before anything runs.
"""
from __future__ import annotations

import argparse
import sys

from .. import _canonical, _check_params, get, parameters
from ..options import kinds, parse_value
from .run import DEFAULT_OUT, SweepInterrupted, sweep

__all__ = ["add_arguments", "parse_grid", "main"]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("experiment", metavar="NAME", help="the experiment (chainrule lab list)")
    p.add_argument("--grid", nargs="+", default=[], metavar="PARAM=V1,V2",
                   help="the values of each parameter to sweep, e.g. --grid layers=2,5,10 "
                        "lr=0.1,1 (a tuple parameter's elements joined by ':', "
                        "depths=3:12,10:20)")
    p.add_argument("--seeds", nargs="+", type=int, default=[0], metavar="SEED",
                   help="the seeds of every combination (default: 0)")
    p.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS",
                   help="run each combination as a Ray task: alone, on a local Ray started "
                        "for the sweep; with HOST:6379, on the cluster whose head runs "
                        "there (pip install 'chainrule[cluster]')")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="processes on this machine (default: its core count); with --ray "
                        "alone, the local Ray's CPUs")
    p.add_argument("--quick", action="store_true",
                   help="start every run from the experiment's seconds-long TINY parameters")
    p.add_argument("--out", default=None, metavar="DIR",
                   help=f"the table, figures and the cache of finished runs (default "
                        f"./{DEFAULT_OUT}/NAME/); the same DIR again resumes")


def parse_grid(name: str, tokens: list[str]) -> dict:
    """['layers=2,5', 'lr=0.1,1'] -> {'layers': [2, 5], 'lr': [0.1, 1.0]}, typed by
    run()'s signature. An unknown parameter is the registry's TypeError; text that is
    not a value of the parameter's type a one-line ValueError."""

    module = get(name)
    types = kinds(module, parameters(name))
    grid = {}
    for token in tokens:
        param, sep, text = token.partition("=")
        param = param.strip().replace("-", "_")
        if not sep or not param or not text.strip():
            raise ValueError(f"sweep {name}: a grid entry is PARAM=V1,V2,..., got {token!r}")
        _check_params(name, {param: None})
        if param in grid:
            raise ValueError(f"sweep {name}: {param} is given twice in --grid")
        grid[param] = [parse_value(name, param, v, types[param]) for v in text.split(",")]
    return grid


def _fail(error: BaseException) -> int:
    print(f"chainrule sweep: error: {error}", file=sys.stderr)
    return 2


def main(args) -> int:
    """Run the sweep args describe; print the summary, the conclusion and the files.
    Exit status: 0 (runs that raised are rows of the table), 1 when runs were lost to
    dead workers, 2 for a bad command line, 130 on Ctrl-C."""

    try:
        name = _canonical(args.experiment)
        grid = parse_grid(name, args.grid)
        out = args.out or f"{DEFAULT_OUT}/{name}"
        table = sweep(name, grid, seeds=args.seeds, quick=args.quick, out=out,
                      backend="local" if args.ray is None else "ray",
                      address=args.ray or None, workers=args.workers, progress=True)
    except SweepInterrupted as e:
        print(f"chainrule sweep: {e}", file=sys.stderr)
        return 130
    except (ValueError, TypeError, ImportError) as e:
        return _fail(e)
    print(table.format())
    print(table.conclusion)
    print()
    for path in table.written:
        print(f"wrote {path}")
    print(f"ran {table.ran} runs, {table.cached} from the cache ({out}/runs/), in "
          f"{table.seconds:.1f} s")
    lost = [row for row in table.failed if row["status"] == "lost"]
    if table.failed:
        print(f"chainrule sweep: {len(table.failed)} of {len(table)} runs failed (the "
              f"table's status and error columns say why)"
              + (f"; {len(lost)} lost to dead workers: run the same command again to retry "
                 f"them" if lost else ""), file=sys.stderr)
    # A run that raised (a divergence, a bad combination) is a result; a lost one is not.
    return 1 if lost else 0
