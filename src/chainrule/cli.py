"""The ``chainrule`` command.

Each command imports what it needs when it runs, so `chainrule --help` and
`import chainrule.cli` stay fast.
"""
from __future__ import annotations

import argparse
import os
import sys
import types
import typing
from pathlib import Path

from ._version import __version__
from .i18n import ENV_VAR, LANGS, _, resolve_lang

FIGURES = "chainrule-figures"     # where figures go unless --out/-o says otherwise
LAB_OUT = "chainrule-lab"         # where `chainrule lab` writes unless --out says otherwise


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chainrule",
        description="Backpropagation you can see: autograd on NumPy, networks, and the lab.")
    parser.add_argument("--version", action="version", version=f"chainrule {__version__}")
    parser.add_argument("--lang", choices=LANGS, default=None,
                        help="the language of the messages and reports: en (default) or vi "
                             "(Vietnamese); the environment's CHAINRULE_LANG says the same")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("demo", help="a tour of about 15 seconds: backprop by hand, then the "
                                    "vanishing gradient measured")
    p.add_argument("--out", default="chainrule-report", metavar="DIR",
                   help="where the figures and the HTML report go (default ./chainrule-report/)")
    p.add_argument("--quick", action="store_true", help="a seconds-long smoke run")
    _graph_parser(sub)
    _descend_parser(sub)
    _lab_parser(sub)
    _playground_parser(sub)
    _sweep_parser(sub)
    return parser


def _graph_parser(sub) -> None:
    p = sub.add_parser(
        "graph", help="an expression's value, gradients and backward pass, step by step",
        description="Build the computational graph of EXPR, run the forward pass at the given "
                    "values and trace the backward pass: every node's value and gradient and "
                    "every edge's upstream x local = contribution. EXPR may use numbers, "
                    "variables, + - * / **, unary minus, parentheses and exp log sqrt abs "
                    "sigmoid tanh relu. Example: chainrule graph \"(x + y) * z\" --at x=3 "
                    "y=-4 z=5. (An EXPR that starts with '-' needs a leading space: \" -x**2\".)")
    p.add_argument("expression", metavar="EXPR", nargs="?",
                   help="the expression (with --quiz, default: the lecture's exercise "
                        "sigmoid(t0 + t1*x) at x=1 t0=-3 t1=3)")
    p.add_argument("--at", nargs="+", default=[], metavar="NAME=VALUE",
                   help="a value for every variable, e.g. --at x=3 y=-4")
    p.add_argument("--format", choices=("text", "dot", "svg", "json"),
                   help="text (default, or from -o's suffix), Graphviz dot, svg (drawn by "
                        "Graphviz's dot; the .dot is written too), or json")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="write to FILE instead of printing (svg defaults to "
                        f"{FIGURES}/graph.svg)")
    p.add_argument("--compare-naive", action="store_true",
                   help="count the multiplications of the per-variable chain rule against "
                        "backprop's single reverse pass, here and for networks of L layers")
    p.add_argument("--quiz", action="store_true",
                   help="hide the gradients and ask for them one by one, in the backward "
                        "pass's order (answers from stdin: numbers or fractions like 3/4)")


def _descend_parser(sub) -> None:
    p = sub.add_parser(
        "descend", help="gradient descent on a function, for several learning rates",
        description="Run x <- x - lr * f'(x) from x0 for each learning rate, print the steps "
                    "taken, the final x and f(x) and a verdict (converged, still crawling, "
                    "oscillating, diverged, no minimum), and draw f with each trajectory on "
                    "it (PNG and SVG). The defaults tell the lectures' story: a small "
                    "learning rate crawls, a good one converges, a large one oscillates, a "
                    "larger one diverges.")
    p.add_argument("expression", metavar="EXPR", nargs="?", default="x**2 + 2*x",
                   help="f, in the grammar of `chainrule graph` (default: x**2 + 2*x)")
    p.add_argument("--x0", nargs="+", metavar="X0",
                   help="the start: one number per variable, in the order of their names "
                        "sorted, or NAME=VALUE pairs (default: 5 for every variable)")
    p.add_argument("--lr", nargs="+", type=float, default=None,
                   help="learning rates (default: 0.01 0.1 1.0 1.1; with --optimizer one "
                        "value for every optimizer or one per optimizer, default 0.1)")
    p.add_argument("--optimizer", nargs="+", metavar="NAME",
                   choices=("sgd", "momentum", "rmsprop", "adam"),
                   help="run these optimizers instead of plain gradient descent (sgd, "
                        "momentum = SGD with momentum 0.9, rmsprop, adam: cr.optim's) and "
                        "draw their paths together, e.g. --optimizer sgd momentum rmsprop "
                        "adam --lr 0.9 0.3 0.1 0.3")
    p.add_argument("--steps", type=int, default=100, help="most steps per run (default 100)")
    p.add_argument("--tol", type=float, default=1e-6,
                   help="stop when |f'(x)| or the distance left is below this (default 1e-6)")
    p.add_argument("--out", default=FIGURES, metavar="DIR",
                   help=f"where the figure goes (default ./{FIGURES}/)")
    p.add_argument("--no-figure", action="store_true", help="print the table only")


def _lab_parser(sub) -> None:
    from . import lab

    p = sub.add_parser(
        "lab", help="run the lab's experiments: the lectures' claims, measured",
        usage="chainrule lab {list | all [--out DIR] [--quick] [--seed N] | "
              "NAME [--options] [--out DIR] [--quick] [--seed N]}",
        description="Run an experiment and print its conclusion and its numbers; the "
                    "numbers (JSON) and figures (PNG, SVG) go to --out. `chainrule lab list` "
                    "names the experiments, `chainrule lab all` runs every one and writes an "
                    "HTML report. Each experiment's options come from its parameters: "
                    "`chainrule lab NAME --help` lists them with their defaults. --quick "
                    "runs a seconds-long version.",
        epilog=f"experiments: {', '.join(lab.names())}")
    p.add_argument("experiment", metavar="NAME", help="an experiment, `all` or `list`")
    p.add_argument("options", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)


def _sweep_parser(sub) -> None:
    from .lab.sweeps.cli import add_arguments

    p = sub.add_parser(
        "sweep", help="run an experiment over a grid of parameters and seeds, in parallel",
        description="Run experiment NAME for every combination of --grid and every seed, on "
                    "this machine's cores or on Ray (--ray); write a table (JSON, CSV), a "
                    "figure of each main number with its mean and spread over seeds, and "
                    "the conclusion. Finished runs are cached in --out: the same command "
                    "again, or after Ctrl-C, runs only what is missing. Example: chainrule "
                    "sweep vanishing --grid layers=2,5,10,20 lr=0.1,1 --seeds 0 1 2 --quick")
    add_arguments(p)


def _playground_parser(sub) -> None:
    p = sub.add_parser(
        "playground", help="train a network in the browser and watch the gradient flow",
        description="Serve the playground (a local web page driven by chainrule itself) and "
                    "open it in the browser. It prints one line with its URL once it is ready; "
                    "Ctrl-C or SIGTERM stop it.")
    p.add_argument("--host", default="127.0.0.1",
                   help="the address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000,
                   help="the port (default 8000; 0 picks a free one)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")


def _lab_common(p, seed: bool) -> None:
    p.add_argument("--out", default=LAB_OUT, metavar="DIR",
                   help=f"where the JSON and figures go (default ./{LAB_OUT}/)")
    p.add_argument("--quick", action="store_true",
                   help="a seconds-long smoke run (the experiment's TINY parameters; options "
                        "given still apply)")
    if seed:
        p.add_argument("--seed", type=int, default=None,
                       help="the seed for every experiment (default: each one's own)")


def _lab_experiment_parser(name: str) -> argparse.ArgumentParser:
    """`chainrule lab NAME`'s options, one per parameter of the experiment's run()."""

    from .lab import get, parameters, title

    module = get(name)
    doc = (module.run.__doc__ or "").strip().split("\n\n")[0]
    p = argparse.ArgumentParser(prog=f"chainrule lab {module.NAME}",
                                description=f"{title(name)}. {' '.join(doc.split())}")
    try:
        hints = typing.get_type_hints(module.run)
    except Exception:       # noqa: BLE001 -- an unresolvable annotation: use the defaults
        hints = {}
    for param in parameters(name).values():
        option = _signature_option(param, hints.get(param.name))
        if param.name in module.TINY:
            quick = module.TINY[param.name]
            quick = " ".join(map(str, quick)) if isinstance(quick, (tuple, list)) else quick
            option["help"] = option["help"][:-1] + f"; with --quick: {quick})"
        p.add_argument("--" + param.name.replace("_", "-"), **option)
    _lab_common(p, seed=False)
    return p


def _signature_option(param, hint) -> dict:
    """argparse keywords for one keyword parameter of an experiment's run(): the type from
    the annotation or the default; a tuple or list takes one or more values; a bool becomes
    --flag/--no-flag. Only options given on the command line reach run() (the rest keep
    run()'s own defaults, or --quick's)."""

    default = param.default
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType) and args:        # X | None: an X
        hint, origin, args = args[0], typing.get_origin(args[0]), typing.get_args(args[0])
    shown = " ".join(map(str, default)) if isinstance(default, (tuple, list)) else default
    kwargs = {"default": argparse.SUPPRESS, "dest": param.name,
              "help": f"(default: {shown})" if default is not param.empty else "(required)"}
    if hint is bool or isinstance(default, bool):
        return {**kwargs, "action": argparse.BooleanOptionalAction}
    if origin in (tuple, list) or hint in (tuple, list) or isinstance(default, (tuple, list)):
        element = next((a for a in args if a in (int, float, str)), None)
        if element is None:
            element = type(default[0]) if isinstance(default, (tuple, list)) and default else str
        fixed = origin is tuple and args and Ellipsis not in args
        return {**kwargs, "type": element, "nargs": len(args) if fixed else "+",
                "metavar": element.__name__.upper()}
    kind = hint if hint in (int, float, str) else (
        type(default) if default not in (param.empty, None) else str)
    return {**kwargs, "type": kind, "metavar": kind.__name__.upper()}


def demo(args) -> int:
    from .lab.demo import run_demo

    if (failed := _unwritable("demo", args.out, directory=True)) is not None:
        return failed
    try:
        run_demo(args.out, quick=args.quick)
    except (FloatingPointError, OSError) as e:
        return _fail("demo", e, status=1)
    return 0


def _fail(command: str, error: Exception, status: int = 2) -> int:
    """A user error: one line on stderr, exit status 2 (as argparse's own errors); a run
    that failed (training diverged, a write failed) exits with 1."""
    print(_("chainrule {command}: error: {error}").format(command=command, error=error),
          file=sys.stderr)
    return status


def _unwritable(command: str, path, directory: bool = False) -> int | None:
    """None if the output path can be written, else _fail's status: checked before the
    work starts, so that a long run's results are never lost at the end."""
    from .fileio import check_writable

    try:
        check_writable(path, directory=directory)
    except ValueError as e:
        return _fail(command, e)
    return None


def graph(args) -> int:
    from . import inspect
    from .expr import ExprError, parse, parse_values

    if args.quiz:
        return _graph_quiz(args)
    if args.expression is None:
        return _fail("graph", "EXPR is required (or --quiz, for the lecture's exercise)")
    try:
        values = parse_values(args.at, "--at")
        f, _ = parse(args.expression).build(values)
    except ExprError as e:
        return _fail("graph", e)
    fmt = args.format or inspect.render.format_of(args.output) or "text"
    output = args.output or (f"{FIGURES}/graph.svg" if fmt == "svg" else None)
    if output and (failed := _unwritable("graph", output)) is not None:
        return failed
    trace = inspect.trace(f)
    at = ", ".join(f"{k} = {v:g}" for k, v in values.items())
    title = f"f = {args.expression}" + (f"   at {at}" if at else "")
    counts = inspect.count_multiplications(f) if args.compare_naive else None
    if fmt == "svg":
        return _graph_svg(trace, title, output, counts)
    text = inspect.render.render(trace, fmt, title, counts)
    if args.output:
        try:
            print(f"wrote {inspect.render.save_text(args.output, text)}")
        except OSError as e:
            return _fail("graph", e, status=1)
    else:
        print(text, end="")
    if counts is not None and (args.output or fmt == "dot"):
        print(inspect.render.counts_text(counts), file=sys.stdout if args.output else sys.stderr)
    if not trace.finite():
        print("chainrule graph: note: a value or a gradient is not a finite number "
              "(a log or sqrt of a negative number, or a division by zero?)", file=sys.stderr)
    return 0


def _graph_quiz(args) -> int:
    """`chainrule graph [EXPR] --quiz`: the gradients asked for, answers from stdin."""
    from . import inspect
    from .expr import ExprError, parse, parse_values
    from .inspect.quiz import EXERCISE, run_quiz

    given = [flag for flag, on in (("--format", args.format), ("-o", args.output),
                                   ("--compare-naive", args.compare_naive)) if on]
    if given:
        return _fail("graph", f"--quiz asks in the terminal; it cannot be combined with "
                              f"{given[0]}")
    expression = args.expression or EXERCISE[0]
    try:
        values = (parse_values(args.at, "--at") if args.at or args.expression
                  else dict(EXERCISE[1]))
        f, _ = parse(expression).build(values)
        trace = inspect.trace(f)
    except ExprError as e:
        return _fail("graph", e)
    at = ", ".join(f"{k} = {v:g}" for k, v in values.items())
    which = "" if args.expression else "the lecture's exercise: "
    try:
        run_quiz(trace, title=f"{which}f = {expression}" + (f"   at {at}" if at else ""))
    except ValueError as e:         # a graph the quiz cannot ask about
        return _fail("graph", e)
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    return 0


def _graph_svg(trace, title: str, path: str, counts) -> int:
    from .inspect import GraphvizNotFound

    try:
        written = trace.save(path, "svg", title)
    except GraphvizNotFound as e:
        print(f"wrote {Path(path).with_suffix('.dot')} (the graph in DOT)")
        print(f"chainrule graph: no SVG: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        return _fail("graph", e, status=1)
    for p in written:
        print(f"wrote {p}")
    if counts is not None:
        from .inspect.render import counts_text
        print(counts_text(counts))
    return 0


def descend(args) -> int:
    from .descent import descend as run, format_table, pairings, starting_point
    from .expr import ExprError

    if not args.no_figure and (failed := _unwritable("descend", args.out, True)) is not None:
        return failed
    try:
        x0 = starting_point(args.expression, args.x0, what="--x0")
        plan = (pairings(args.optimizer, args.lr or [0.1], "--lr") if args.optimizer else
                [(None, lr) for lr in args.lr or [0.01, 0.1, 1.0, 1.1]])
        runs = [run(args.expression, x0, lr, args.steps, args.tol, optimizer=name)
                for name, lr in plan]
    except (ExprError, ValueError, TypeError) as e:
        return _fail("descend", e)
    print(format_table(runs), end="")
    if args.no_figure:
        return 0
    from .inspect import plots
    try:
        if args.optimizer:          # the optimizers' paths together, on one plot
            from .inspect.overlay import overlay_figure
            figure = overlay_figure(runs)
        else:
            figure = plots.descent_figure(runs)
        paths = plots.save_figure(figure, args.out, "descend")
    except plots.MatplotlibMissing as e:
        print(f"chainrule descend: no figure: {e}", file=sys.stderr)
        return 0
    except OSError as e:
        return _fail("descend", e, status=1)
    for p in paths:
        print(f"wrote {p}")
    return 0


def lab(args) -> int:
    from . import lab as _lab

    name = args.experiment
    if name == "list":
        return _lab_list(args.options)
    if name == "all":
        return _lab_all(args.options)
    try:
        parser = _lab_experiment_parser(name)
    except (ValueError, ImportError) as e:
        return _fail("lab", e)
    opts = {k: tuple(v) if isinstance(v, list) else v
            for k, v in vars(parser.parse_args(args.options)).items()}
    out, quick = opts.pop("out"), opts.pop("quick")
    if (failed := _unwritable(f"lab {name}", out, directory=True)) is not None:
        return failed
    try:
        result = _lab.run(name, quick=quick, **opts)
    except ValueError as e:
        return _fail(f"lab {name}", e)
    except FloatingPointError as e:     # train.NonFiniteLossError: the run diverged
        return _fail(f"lab {name}", e, status=1)
    from .lab.report import print_result
    print_result(result)
    if not result.figures:
        print("chainrule lab: no figures (they need matplotlib: pip install "
              "'chainrule[demo]')", file=sys.stderr)
    try:
        for path in result.save(out):
            print(f"wrote {path}")
    except OSError as e:
        return _fail(f"lab {name}", e, status=1)
    return 0


def _lab_list(argv) -> int:
    from . import lab as _lab

    parser = argparse.ArgumentParser(prog="chainrule lab list",
                                     description="The lab's experiments, in the report's order.")
    parser.parse_args(argv)
    width = max(map(len, _lab.names()))
    for name in _lab.names():
        print(f"{name:<{width}}  {_lab.title(name)}")
    return 0


def _lab_all(argv) -> int:
    from . import lab as _lab

    p = argparse.ArgumentParser(prog="chainrule lab all",
                                description="Run every experiment in turn, save each one's "
                                            "JSON and figures and write DIR/report.html "
                                            "(measured on 2 cores: about 3.5 minutes, "
                                            "25 s with --quick).")
    _lab_common(p, seed=True)
    opts = p.parse_args(argv)
    if (failed := _unwritable("lab all", opts.out, directory=True)) is not None:
        return failed
    try:
        results = _lab.run_all(opts.out, quick=opts.quick, progress=True, seed=opts.seed)
    except _lab.LabRunError as e:
        for failure in e.failures:
            print(failure.traceback, file=sys.stderr)
        print(f"chainrule lab all: {e}", file=sys.stderr)
        print(_("report: {path}").format(path=e.report))
        return 1
    print(_("ran {n} experiments; JSON and figures in {out}/").format(n=len(results),
                                                                     out=opts.out))
    print(_("report: {path}").format(path=Path(opts.out) / "report.html"))
    return 0


def playground(args) -> int:
    from .playground import serve

    return serve(host=args.host, port=args.port, open_browser=not args.no_browser)


def main(argv=None) -> int:
    saved = os.environ.get(ENV_VAR)
    try:
        return _dispatch(argv)
    except BrokenPipeError:      # `chainrule ... | head`: the reader left; nothing to report
        sys.stderr.close()
        return 0
    finally:                     # --lang holds for this command only (main() may be called again)
        if saved is None:
            os.environ.pop(ENV_VAR, None)
        else:
            os.environ[ENV_VAR] = saved


def _dispatch(argv) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.lang is not None:    # everything below reads the language from the environment
        os.environ[ENV_VAR] = args.lang
    try:
        resolve_lang()
    except ValueError as e:      # CHAINRULE_LANG=klingon
        print(f"chainrule: error: {e}", file=sys.stderr)
        return 2
    if args.command == "demo":
        return demo(args)
    if args.command == "graph":
        return graph(args)
    if args.command == "descend":
        return descend(args)
    if args.command == "lab":
        return lab(args)
    if args.command == "playground":
        return playground(args)
    if args.command == "sweep":
        from .lab.sweeps.cli import main as sweep
        return sweep(args)
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
