"""Gradient descent on a plain function, ``x <- x - lr * f'(x)``, and a verdict on how it went.

The lectures' story: a small learning rate crawls, a good one converges, one too large
overshoots the minimum (oscillates) or overshoots by more each time (diverges). ``descend``
runs the update with chainrule's autograd computing f'(x), records the whole trajectory,
and ``judge`` reads the verdict off the recorded numbers. ``optimizer=`` runs one of
the backprop lecture's optimizers instead (SGD, momentum, RMSProp, Adam: ``cr.optim``'s,
stepping a tensor that holds x), judged the same way.

>>> t = cr.descend("x**2 + 2*x", x0=5, lr=0.1)
>>> t.verdict, round(t.x, 4)
('converged', -1.0)
>>> cr.descend("x**2", x0=5, lr=1.0).verdict      # x -> -x -> x ...
'oscillating'
>>> t = cr.descend("x**2/100 + y**2", x0=(-9, 1.5), lr=0.3, optimizer="adam")
>>> t.label, round(t.f, 6)
('Adam, lr 0.3', 7.9e-05)
"""
from __future__ import annotations

import inspect as _pyinspect
import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from . import optim
from .autograd import grad as _grad
from .expr import ExprError, parse, parse_values
from .grad_mode import enable_grad
from .tensor import Tensor

__all__ = ["descend", "Trajectory", "judge", "format_table", "starting_point", "pairings",
           "VERDICTS", "OPTIMIZERS"]

VERDICTS = ("converged", "still crawling", "oscillating", "diverged", "no minimum")

# Why the loop ended (Trajectory.stopped).
GRADIENT_BELOW_TOL = "gradient below tol"
STEPS_BELOW_TOL = "steps below tol"
BUDGET_USED = "step budget used"
NON_FINITE = "non-finite value"
BLEW_UP = "gradient blew up"
BLOW_UP = 1e12          # stop once |f'(x)| is this many times its start: it has diverged
PROBES = 20             # points, spaced by halves, on which f is checked to keep falling

# The optimizers ``descend(..., optimizer=NAME)`` runs, as the backprop lecture lists them,
# with how tables and legends name them. Each is cr.optim's, at PyTorch's defaults except
# the learning rate (and momentum, which PyTorch leaves at 0).
OPTIMIZERS = {"sgd": "SGD", "momentum": "momentum", "rmsprop": "RMSProp", "adam": "Adam"}
MOMENTUM = 0.9          # SGD's momentum: the value the lectures and most code use


@dataclass(frozen=True, eq=False)
class Trajectory:
    """The record of one descent.

    ``xs[k]`` is x after k steps (shape ``(steps + 1, n)`` for n variables), ``fs[k]`` is
    f(xs[k]) and ``grads[k]`` is f'(xs[k]). ``stopped`` says why the loop ended and
    ``verdict`` (one of VERDICTS) with ``note`` what the numbers show.
    """
    names: tuple
    xs: np.ndarray
    fs: np.ndarray
    grads: np.ndarray
    lr: float
    tol: float
    max_steps: int
    stopped: str
    verdict: str
    note: str
    function: Callable = field(repr=False)
    expression: str | None = None
    optimizer: str | None = None     # None: the plain update x <- x - lr * f'(x)

    @property
    def steps(self) -> int:
        """Steps taken."""
        return len(self.xs) - 1

    @property
    def x(self):
        """The final x: a float for one variable, a tuple for several."""
        last = self.xs[-1]
        return float(last[0]) if len(last) == 1 else tuple(float(v) for v in last)

    @property
    def f(self) -> float:
        """f at the final x."""
        return float(self.fs[-1])

    @property
    def label(self) -> str:
        """How tables and legends name the run: "lr 0.1" or "Adam, lr 0.1"."""
        what = OPTIMIZERS.get(self.optimizer)
        return f"{what}, lr {self.lr:g}" if what else f"lr {self.lr:g}"

    @property
    def grad_norms(self) -> np.ndarray:
        return np.linalg.norm(self.grads, axis=1)

    @property
    def oscillated(self) -> bool:
        """Whether the iterates kept jumping back and forth (most steps reverse the last)."""
        return _reversals(self.xs, len(self.xs)) >= 0.5

    def __repr__(self) -> str:
        which = f"optimizer={self.optimizer!r}, " if self.optimizer else ""
        return (f"Trajectory({which}lr={self.lr:g}, steps={self.steps}, "
                f"x={_point(self.xs[-1])}, f={self.f:.6g}, verdict={self.verdict!r})")


def descend(f, x0, lr: float, steps: int = 100, tol: float = 1e-6,
            optimizer: str | None = None) -> Trajectory:
    """Gradient descent from x0: ``x <- x - lr * f'(x)``, at most ``steps`` times.

    ``f`` is an expression string (``"x**2 + 2*x"``, see ``chainrule.expr``) or a callable
    taking one scalar Tensor per variable and returning a scalar Tensor. ``x0`` is a number
    for one variable or a sequence with one number per variable; for an expression the
    variables take the values in order of their names sorted (``"y**2 + x"`` with
    x0=(1, 2) starts at x=1, y=2). Values are float64.

    The loop stops when |f'(x)| < tol, or when the steps have shrunk so much that the
    distance still to go, estimated from the last two steps as ``step * r / (1 - r)``
    (r = step_k / step_(k-1)), is below tol (both: "converged"), when the budget is used,
    or when a value is not finite or |f'(x)| has grown a trillionfold (diverged).
    A tiny |f'(x)| is not taken for a minimum when f keeps falling beyond x downhill, or
    when it only underflowed (``exp(x)`` far left): that is "no minimum".

    ``optimizer`` ("sgd", "momentum", "rmsprop" or "adam", see OPTIMIZERS) makes each step
    that optimizer's (``cr.optim.SGD``, ``SGD(momentum=0.9)``, ``RMSprop``, ``Adam``)
    on a float64 tensor holding x, with f'(x) as its ``.grad``; "sgd" takes the same
    steps as the default plain update.

    >>> t = cr.descend(lambda x, y: x**2 + 10 * y**2, x0=(3.0, 1.0), lr=0.05, steps=200)
    >>> t.verdict, t.names
    ('converged', ('x', 'y'))
    """
    function, names, expression = _function(f, x0)
    x = _start(x0, len(names))
    lr, steps, tol = _check_settings(lr, steps, tol)
    update = _update_rule(optimizer, lr, x)

    xs, fs, gs = [], [], []
    last_step = prev_step = None
    while True:
        value, g, underflowed = _value_and_grad(function, x, names)
        xs.append(x)
        fs.append(value)
        gs.append(g)
        k = len(xs) - 1
        gnorm = float(np.linalg.norm(g))
        if not (math.isfinite(value) and np.all(np.isfinite(g)) and np.all(np.isfinite(x))):
            stopped = NON_FINITE
        elif gnorm < tol:
            stopped = GRADIENT_BELOW_TOL
        elif _steps_converged(last_step, prev_step, tol):
            stopped = STEPS_BELOW_TOL
        elif k >= steps:
            stopped = BUDGET_USED
        elif gnorm > BLOW_UP * max(float(np.linalg.norm(gs[0])), tol):
            stopped = BLEW_UP
        else:
            with np.errstate(over="ignore", invalid="ignore"):   # checked on the next round
                new = update(x, g)
            prev_step, last_step = last_step, float(np.linalg.norm(new - x))
            x = new
            continue
        break
    xs, fs, gs = np.array(xs), np.array(fs), np.array(gs)
    why_not = None
    if stopped in (GRADIENT_BELOW_TOL, STEPS_BELOW_TOL):
        why_not = _not_a_minimum(function, names, xs, gs[-1], underflowed)
    verdict, note = judge(xs, fs, gs, stopped, tol, not_a_minimum=why_not)
    return Trajectory(names, xs, fs, gs, lr, tol, steps, stopped, verdict, note,
                      function, expression, optimizer)


def judge(xs: np.ndarray, fs: np.ndarray, grads: np.ndarray, stopped: str,
          tol: float, not_a_minimum: str | None = None) -> tuple:
    """The verdict on a trajectory and a sentence saying why, from its numbers only.

    - "diverged": a value is not finite, or |f'(x)| has grown more than 10x its start and
      is still growing;
    - "no minimum": the loop stopped on tol but ``not_a_minimum`` says why the point is no
      minimum (``descend`` finds that out by evaluating f beyond it);
    - "converged": the loop stopped on tol (noting when the iterates jumped back and forth
      across the minimum on the way);
    - "oscillating": the recent steps keep reversing direction while |f'(x)| stays at
      least half its start;
    - "still crawling": none of these; |f'(x)| is not below tol within the step budget.
    """
    xs, grads = np.asarray(xs, dtype=float), np.asarray(grads, dtype=float)
    fs = np.asarray(fs, dtype=float)
    k = len(xs) - 1
    finite = np.isfinite(xs).all(axis=1) & np.isfinite(fs) & np.isfinite(grads).all(axis=1)
    if not finite.all():
        first = int(np.argmin(finite))
        return "diverged", f"x, f(x) or f'(x) stopped being a finite number at step {first}"
    gn = np.linalg.norm(grads, axis=1)
    g0, gl = float(gn[0]), float(gn[-1])
    if stopped in (GRADIENT_BELOW_TOL, STEPS_BELOW_TOL) and not_a_minimum:
        return "no minimum", (f"|f'(x)| fell to {gl:.2g}, below tol, in {k} step"
                              f"{'s' if k != 1 else ''}, but {not_a_minimum}")
    if stopped in (GRADIENT_BELOW_TOL, STEPS_BELOW_TOL):
        plural = "s" if k != 1 else ""
        note = (f"in {k} step{plural}: |f'(x)| = {gl:.2g} is below tol"
                if stopped == GRADIENT_BELOW_TOL else
                f"in {k} step{plural}: the steps shrank until less than tol was left to go "
                f"(|f'(x)| = {gl:.2g})")
        if _reversals(xs, len(xs)) >= 0.5:
            note += ", oscillating on the way: it jumped across the minimum at most steps"
        return "converged", note
    growing = k >= 1 and gn[-1] > gn[-2]
    if stopped == BLEW_UP or (gl > 10 * g0 and growing):
        return "diverged", (f"|f'(x)| grew from {g0:.3g} to {gl:.3g} in {k} steps: each step "
                            "overshoots the minimum by more than the last")
    jumping = _reversals(xs, 10) >= 0.8
    if jumping and gl >= 0.5 * g0:
        trend = (f"stays near {gl:.3g}" if gl <= 1.5 * g0 else f"grows slowly to {gl:.3g}")
        return "oscillating", (f"the iterates jump back and forth between "
                               f"{_point(xs[-2])} and {_point(xs[-1])} while |f'(x)| {trend} "
                               f"(it started at {g0:.3g})")
    if gl < g0:
        how = ("it jumps back and forth across the minimum; try a smaller lr"
               if jumping else "try more steps or a larger lr")
        return "still crawling", (f"|f'(x)| fell from {g0:.3g} to {gl:.3g} but not below tol "
                                  f"{tol:g} in {k} steps; {how}")
    return "still crawling", (f"|f'(x)| is not shrinking ({g0:.3g} -> {gl:.3g}) after {k} "
                              "steps: f may have no minimum that way")


def format_table(trajectories: Sequence[Trajectory]) -> str:
    """One row per run (steps, final x, f(x), verdict), then each verdict's why. Runs
    with an optimizer get an optimizer column (see ``descend``)."""
    if not trajectories:
        return ""
    t0 = trajectories[0]
    named = any(t.optimizer for t in trajectories)
    what = t0.expression if t0.expression is not None else "the function"
    lines = [_headline(trajectories, f"f({', '.join(t0.names)}) = {what}"),
             f"from {_assign(t0.names, t0.xs[0])}, at most {t0.max_steps} steps, "
             f"tol {t0.tol:g}", ""]
    point = t0.names[0] if len(t0.names) == 1 else "(" + ", ".join(t0.names) + ")"
    rows = [("optimizer",) * named + ("lr", "steps", f"final {point}",
             f"f{point if len(t0.names) > 1 else f'({point})'}", "verdict")]
    for t in trajectories:
        rows.append((OPTIMIZERS.get(t.optimizer, "plain"),) * named
                    + (f"{t.lr:g}", str(t.steps), _point(t.xs[-1]), f"{t.f:.6g}", t.verdict))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    numeric = (named, named + 1)       # lr and steps align right
    for r in rows:
        lines.append("  " + "  ".join(c.rjust(w) if i in numeric else c.ljust(w)
                                      for i, (c, w) in enumerate(zip(r, widths))).rstrip())
    lines.append("")
    width = max(len(t.label) for t in trajectories)
    for t in trajectories:
        lines.append(f"  {t.label:<{width}}  {t.verdict}: {t.note}")
    return "\n".join(lines) + "\n"


def _headline(trajectories: Sequence[Trajectory], function: str) -> str:
    """The table's first line: the update rule, or the optimizers that were run."""
    names = list(dict.fromkeys(OPTIMIZERS[t.optimizer] for t in trajectories if t.optimizer))
    if not names:
        x = trajectories[0].names[0] if len(trajectories[0].names) == 1 else "x"
        return f"gradient descent on {function}, {x} <- {x} - lr * f'({x})"
    names = [f"{n} {MOMENTUM:g}" if n == OPTIMIZERS["momentum"] else n for n in names]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"{listed} on {function}, each step cr.optim's"


def pairings(optimizers: Sequence[str], lrs: Sequence[float], what: str = "lr") -> list:
    """(optimizer, lr) for each run the command line asks for: one lr for every
    optimizer, one per optimizer, or one optimizer at several lrs.

    >>> pairings(["sgd", "adam"], [0.1])
    [('sgd', 0.1), ('adam', 0.1)]
    >>> pairings(["adam"], [0.01, 0.1])
    [('adam', 0.01), ('adam', 0.1)]
    """
    optimizers, lrs = list(optimizers), list(lrs)
    for name in optimizers:
        _check_optimizer(name)
    if len(lrs) == 1:
        return [(name, lrs[0]) for name in optimizers]
    if len(optimizers) == 1:
        return [(optimizers[0], lr) for lr in lrs]
    if len(lrs) != len(optimizers):
        raise ValueError(f"descend: {what} takes one value, or one per optimizer "
                         f"({len(optimizers)}), got {len(lrs)}")
    return list(zip(optimizers, lrs))


def starting_point(expression: str, items: Sequence[str] | None, default: float = 5.0,
                   what: str = "x0"):
    """x0 for ``descend(expression, ...)`` from command-line words: numbers in the order of
    the variables' sorted names (``["3", "1"]``), or ``NAME=VALUE`` pairs; None gives
    ``default`` for every variable. Returns a float or a list of floats. ``what`` names the
    values in errors (the CLI passes its flag, ``--x0``)."""
    names = sorted(parse(expression).variables)
    if not items:
        values = [default] * len(names)
    elif all("=" in item for item in items):
        given = parse_values(items, what)
        missing = [n for n in names if n not in given]
        extra = [n for n in given if n not in names]
        if missing or extra:
            raise ExprError(f"{what}: the variables are {', '.join(names)}; "
                            + (f"no value for {missing[0]}" if missing
                               else f"{extra[0]} is not one of them"))
        values = [given[n] for n in names]
    else:
        try:
            values = [float(v) for v in items]
        except ValueError:
            raise ExprError(f"{what}: expected numbers or NAME=VALUE pairs, got "
                            f"{' '.join(items)!r}") from None
        if not all(math.isfinite(v) for v in values):
            raise ExprError(f"{what}: the starting values must be finite")
    return values[0] if len(values) == 1 else values


# ------------------------------------------------------------------- helpers
def _function(f, x0) -> tuple:
    """(callable on tensors, variable names, expression source or None)."""
    if isinstance(f, str):
        e = parse(f)
        names = tuple(sorted(e.variables))
        if not names:
            raise ValueError(f"descend: {f!r} has no variables to descend on")
        return (lambda *ts: e.evaluate(dict(zip(names, ts)))), names, f
    if not callable(f):
        raise TypeError(f"descend: f must be an expression string or a callable on tensors, "
                        f"got {type(f).__name__}")
    n = 1 if _is_number(x0) else len(x0)
    names = None
    try:
        params = [p.name for p in _pyinspect.signature(f).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        if len(params) == n:
            names = tuple(params)
    except (TypeError, ValueError):
        pass
    if names is None:
        names = ("x",) if n == 1 else tuple(f"x{i + 1}" for i in range(n))
    return f, names, None


def _is_number(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def _start(x0, n: int) -> np.ndarray:
    if _is_number(x0):
        values = [x0]
    elif isinstance(x0, (str, bytes)) or not hasattr(x0, "__len__"):
        raise TypeError(f"descend: x0 must be a number or a sequence of numbers, got "
                        f"{type(x0).__name__}")
    else:
        values = list(np.asarray(x0, dtype=float).reshape(-1))
    if len(values) != n:
        raise ValueError(f"descend: f has {n} variable{'s' if n != 1 else ''} but x0 gives "
                         f"{len(values)} value{'s' if len(values) != 1 else ''}; pass one "
                         "number per variable (in order of their names for an expression)")
    x = np.array(values, dtype=np.float64)
    if not np.all(np.isfinite(x)):
        raise ValueError(f"descend: x0 must be finite, got {x0!r}")
    return x


def _check_settings(lr, steps, tol) -> tuple:
    if not _is_number(lr) or not math.isfinite(lr) or lr <= 0:
        raise ValueError(f"descend: lr must be a positive number, got {lr!r}")
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool) or steps < 0:
        raise ValueError(f"descend: steps must be a non-negative int, got {steps!r}")
    if not _is_number(tol) or not tol >= 0:
        raise ValueError(f"descend: tol must be a non-negative number, got {tol!r}")
    return float(lr), int(steps), float(tol)


def _check_optimizer(name) -> str:
    if name not in OPTIMIZERS:
        raise ValueError(f"descend: optimizer must be one of {', '.join(OPTIMIZERS)}, got "
                         f"{name!r}")
    return name


def _update_rule(optimizer: str | None, lr: float, x0: np.ndarray) -> Callable:
    """update(x, g) -> the next x: the plain ``x - lr * g``, or one step of a cr.optim
    optimizer on a tensor holding x (its state, e.g. Adam's moments, kept between calls)."""
    if optimizer is None:
        return lambda x, g: x - lr * g
    param = Tensor(np.array(x0, dtype=np.float64), requires_grad=True)
    make = {"sgd": lambda: optim.SGD([param], lr=lr),
            "momentum": lambda: optim.SGD([param], lr=lr, momentum=MOMENTUM),
            "rmsprop": lambda: optim.RMSprop([param], lr=lr),
            "adam": lambda: optim.Adam([param], lr=lr)}
    opt = make[_check_optimizer(optimizer)]()

    def update(x: np.ndarray, g: np.ndarray) -> np.ndarray:
        param.data[...] = x
        param.grad = Tensor(np.array(g, dtype=np.float64))
        opt.step()
        return param.data.copy()
    return update


def _value_and_grad(function, x: np.ndarray, names: tuple) -> tuple:
    """f(x), f'(x) and whether a number underflowed to zero on the way (then a tiny f'(x)
    may be an artefact of float64, not a sign of a minimum)."""
    leaves = [Tensor(np.asarray(v, dtype=np.float64), requires_grad=True, name=n)
              for v, n in zip(x, names)]
    underflows = []
    with enable_grad(), np.errstate(all="ignore", under="call",
                                    call=lambda kind, flag: underflows.append(kind)):
        out = function(*leaves)
        if not isinstance(out, Tensor) or out.data.size != 1:
            got = (f"a tensor of shape {out.shape}" if isinstance(out, Tensor)
                   else type(out).__name__)
            raise TypeError(f"descend: f must return a scalar Tensor built from the tensors it "
                            f"is given, got {got}")
        if not out.requires_grad:       # f does not depend on x
            return float(out.item()), np.zeros(len(x)), False
        found = _grad(out, leaves, allow_unused=True)
    g = np.array([0.0 if d is None else float(d.item()) for d in found])
    return float(out.item()), g, bool(underflows)


def _not_a_minimum(function, names: tuple, xs: np.ndarray, g: np.ndarray,
                   underflowed: bool) -> str | None:
    """Why the point descent stopped at is no minimum although |f'(x)| = |g| is below tol,
    or None when nothing says so.

    f is evaluated downhill from x (along -g) at PROBES + 1 points spaced by halves up to
    the length of the first step. At a true minimum f rises again within about
    |g| / curvature, far less than that; if instead f falls at every point, it has no
    minimum that way. Where g is 0, or f stays flat downhill, and the evaluation at x
    underflowed (a number too small for float64 became 0), the tiny gradient is an
    artefact of floating point, not a minimum.
    """
    x = xs[-1]
    values = _downhill(function, names, xs, g)
    if values and all(np.diff(values) < 0):
        return (f"f keeps falling beyond {_point(x)} downhill (f = {values[-1]:.3g} a "
                f"first step's length further): f has no minimum that way")
    if values and max(values) > values[0]:
        return None          # f rises again: a minimum
    if underflowed:
        return (f"only because it underflowed (a number too small for float64 became 0) at "
                f"{_point(x)}: f flattens out there without reaching a minimum")
    return None


def _downhill(function, names: tuple, xs: np.ndarray, g: np.ndarray) -> list:
    """f at x and at the probe points downhill from it (see _not_a_minimum); [] when there
    is no downhill (g is 0) or no step to measure by, or a value is not finite."""
    if len(xs) < 2:
        return []
    x, scale, length = xs[-1], float(np.linalg.norm(xs[1] - xs[0])), float(np.linalg.norm(g))
    if not (length > 0 and math.isfinite(length) and math.isfinite(scale) and scale > 0):
        return []
    with np.errstate(all="ignore"):
        points = [x] + [x - h * g / length for h in scale * 2.0 ** -np.arange(PROBES, -1, -1)]
        values = [_value_and_grad(function, p, names)[0] for p in points]
    return values if all(math.isfinite(v) for v in values) else []


def _steps_converged(last, prev, tol: float) -> bool:
    """Whether shrinking steps say the limit is within tol: for steps shrinking by a ratio
    r, the distance still to go is last * r / (1 - r)."""
    if last is None or prev is None or prev == 0:
        return last == 0.0
    r = last / prev
    return r < 1 and last * r / (1 - r) < tol


def _reversals(xs: np.ndarray, window: int) -> float:
    """The share of the last ``window`` pairs of consecutive steps that reverse direction
    (0 when there are fewer than two such pairs)."""
    d = np.diff(np.asarray(xs, dtype=float), axis=0)[-(window + 1):]
    d = d[np.linalg.norm(d, axis=1) > 0]
    if len(d) < 3:
        return 0.0
    dots = np.sum(d[:-1] * d[1:], axis=1)
    return float(np.mean(dots < 0))


def _point(x) -> str:
    x = np.asarray(x).reshape(-1)
    return f"{x[0]:.6g}" if len(x) == 1 else "(" + ", ".join(f"{v:.6g}" for v in x) + ")"


def _assign(names, x) -> str:
    return ", ".join(f"{n} = {v:.6g}" for n, v in zip(names, np.asarray(x).reshape(-1)))
