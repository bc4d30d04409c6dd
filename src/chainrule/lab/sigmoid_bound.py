"""sigma'(x) <= 1/4, and what (1/4)^L does to a float.

The lectures: the derivative of the sigmoid, sigma'(x) = sigma(x) (1 - sigma(x)), is at most
1/4, reached at x = 0. Backpropagation through L sigmoid layers multiplies L such factors, so
the gradient reaching the first layer carries a factor of at most (1/4)^L -- and for L large
enough "the computer rounds it to 0".

Measured here:

- sigma' by chainrule's autograd (``backward`` through ``cr.sigmoid``) on a fine symmetric
  grid that contains 0 exactly: its maximum, where it is reached, that no point exceeds 1/4,
  and the largest differences from the formula sigma (1 - sigma) and from central finite
  differences of sigma itself;
- (1/4)^L for L = 1..max_depth;
- the products 1/4 * 1/4 * ... computed by repeated multiplication in float32 and in float64,
  until they become exactly 0: the first depth at which the product falls below the smallest
  *normal* number (from there on it is a subnormal, with fewer significant bits), and the
  first depth at which it is exactly 0. 1/4 = 2^-2, so every product 2^-2L is exact until it
  leaves the range: float32 holds normals down to 2^-126 and subnormals down to 2^-149, so
  the product is subnormal from L = 64 and 0 from L = 75 (2^-150 is half the smallest
  subnormal and rounds to even, 0); float64 (2^-1022, 2^-1074): subnormal from L = 512, 0
  from L = 538.

Nothing here is random (a fixed grid, exact products): there is no ``seeds`` option, the
seed is recorded only, and the conclusion says so. Threshold (``numbers["thresholds"]``,
printed): BOUND_TOLERANCE = 1e-12, within which the measured maximum of sigma' counts as
1/4. Default run: well under a second.
"""
from __future__ import annotations

import numpy as np

from .. import ops
from ..tensor import Tensor
from ..inspect.plots import figure_class
from . import seeds as _seeds
from .harness import recorded
from .result import Result
from ..i18n import N_, _

NAME = "sigmoid-bound"
TITLE = N_("σ′(x) = σ(x)(1 − σ(x)) ≤ 1/4, so L sigmoid layers scale the gradient by at most (1/4)^L")
CAPTIONS = {   # figure id -> caption, shown under the figure in the report
    "sigmoid": N_(
        "The sigmoid σ(x) and its derivative σ′(x) = σ(x)(1 − σ(x)), measured by "
        "backpropagation at every point of the grid: the derivative is at most 1/4, at x = 0."),
    "underflow": N_(
        "(1/4)^L, the most that L sigmoid layers leave of a gradient, multiplied out in "
        "float32 and in float64 until it is exactly 0."),
}
TINY = {"grid_points": 2001, "max_depth": 20}
LECTURE_DEPTH = 10      # the lectures' network: 10 sigmoid layers
BOUND_TOLERANCE = 1e-12  # the measured max sigma' counts as 1/4 within this
THRESHOLDS = {"BOUND_TOLERANCE": BOUND_TOLERANCE}
# Accepted values of run()'s parameters (checked by cr.lab.run before any work). Beyond
# |x| = 1000 the grid is all saturated sigmoid; the grid and depth bounds keep the arrays
# in memory.
RANGES = {"x_max": "(0, 1000]", "grid_points": "[3, 1e7]", "max_depth": "[1, 1e5]"}


def _sigmoid_derivative_by_autograd(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """sigma(x) and d sigma / dx at every point, the latter by one backward pass (the
    points are independent, so the gradient of the sum is the derivative at each)."""
    t = Tensor(x, requires_grad=True, dtype=np.float64)
    s = ops.sigmoid(t)
    s.sum().backward()
    return s.data.copy(), t.grad.data.copy()


def _finite_difference_gap(x: np.ndarray, ds: np.ndarray, h: float = 1e-5) -> float:
    """The largest |autograd - central difference (sigma(x+h) - sigma(x-h)) / 2h|: the
    derivative checked against the function itself, not against its formula."""
    def sig(v):                                          # sigma, written another way
        return 0.5 * (1 + np.tanh(v / 2))
    return float(np.max(np.abs(ds - (sig(x + h) - sig(x - h)) / (2 * h))))


def _underflow(dtype, factor: float = 0.25) -> dict:
    """Multiply factor into a running product in dtype until it is exactly 0."""
    dtype = np.dtype(dtype)
    info = np.finfo(dtype)
    f = dtype.type(factor)
    product = dtype.type(1)
    products = []
    below_normal = None
    with np.errstate(under="ignore"):
        while product != 0:
            product = product * f
            products.append(float(product))
            if below_normal is None and 0 < product < info.tiny:
                below_normal = len(products)
    return {"dtype": dtype.name, "smallest_normal": float(info.tiny),
            "smallest_subnormal": float(info.smallest_subnormal),
            "below_normal_depth": below_normal, "zero_depth": len(products),
            "products": products}


@recorded
def run(*, seed: int = 0, x_max: float = 10.0, grid_points: int = 80001,
        max_depth: int = 60, progress: bool = False) -> Result:
    """Measure sigma' on [-x_max, x_max] (grid_points points, 0 included exactly), list
    (1/4)^L for L = 1..max_depth, and find where the product underflows in float32 and
    float64. seed is recorded only: nothing here is random."""
    if grid_points < 3:
        raise ValueError(f"sigmoid-bound: grid_points must be >= 3, got {grid_points}")
    if max_depth < 1:
        raise ValueError(f"sigmoid-bound: max_depth must be >= 1, got {max_depth}")
    half = (grid_points - 1) // 2
    x = x_max * np.arange(-half, half + 1, dtype=np.float64) / half    # x[half] == 0.0
    s, ds = _sigmoid_derivative_by_autograd(x)
    i_max = int(np.argmax(ds))
    quarter = [0.25 ** L for L in range(1, max_depth + 1)]
    numbers = {
        "grid": {"x_min": float(x[0]), "x_max": float(x[-1]), "points": int(x.size),
                 "spacing": float(x[1] - x[0])},
        "max_derivative": float(ds[i_max]),
        "argmax_x": float(x[i_max]),
        "points_above_quarter": int(np.sum(ds > 0.25)),
        "max_abs_diff_from_formula": float(np.max(np.abs(ds - s * (1 - s)))),
        "max_abs_diff_from_finite_difference": _finite_difference_gap(x, ds),
        "derivative_at": {str(v): float(ds[int(np.argmin(np.abs(x - v)))])
                          for v in (0.0, 1.0, 2.0, 5.0) if v <= x_max},
        "depths": list(range(1, max_depth + 1)),
        "quarter_power": quarter,
        "float32": _underflow(np.float32),
        "float64": _underflow(np.float64),
        "thresholds": dict(THRESHOLDS),
    }
    # Figures only: sigma and sigma' on a coarse copy of the grid.
    step = max(1, x.size // 400)
    numbers["curve"] = {"x": x[::step].tolist(), "sigmoid": s[::step].tolist(),
                        "derivative": ds[::step].tolist()}
    return Result(NAME, numbers=numbers, conclusion=conclude(numbers))


def conclude(numbers: dict) -> str:
    m, at = numbers["max_derivative"], numbers["argmax_x"]
    above = numbers["points_above_quarter"]
    grid = numbers["grid"]
    tolerance = _seeds.threshold(numbers, "BOUND_TOLERANCE", BOUND_TOLERANCE)
    holds = above == 0 and abs(m - 0.25) <= tolerance and at == 0.0
    parts = [_("Nothing here is random (a fixed grid and exact products), so it is run "
               "once: the seed does not enter.")]
    if holds:
        parts.append(_("Autograd's σ′ on {points} points in [{x_min:g}, {x_max:g}] never "
                       "exceeds 1/4: its maximum is {max:.17g}, at x = {at:g}, as the lectures "
                       "say (it agrees with finite differences to {gap:.1e}).").format(
            points=grid["points"], x_min=grid["x_min"], x_max=grid["x_max"], max=m, at=at,
            gap=numbers["max_abs_diff_from_finite_difference"]))
    else:
        parts.append(_("The bound did not show as stated: the largest σ′ measured is {max:.17g} "
                       "at x = {at:g}, with {above} point(s) above 1/4.").format(
            max=m, at=at, above=above))
    powers = dict(zip(numbers["depths"], numbers["quarter_power"]))
    if 10 in powers:
        parts.append(_("Through 10 sigmoid layers the gradient keeps at most (1/4)^10 = "
                       "{power:.3g} of its size.").format(power=powers[10]))
    f32, f64 = numbers["float32"], numbers["float64"]
    for f in (f32, f64):
        if f["zero_depth"] is None or f["below_normal_depth"] is None:
            parts.append(_("In {dtype} the product did not underflow.").format(
                dtype=f["dtype"]))
    if f32["zero_depth"] is not None and f64["zero_depth"] is not None:
        parts.append(_("Multiplied out in float32 the product leaves the normal range at L = "
                       "{f32_subnormal} and is rounded to exactly 0 at L = {f32_zero}; in "
                       "float64 at L = {f64_subnormal} and L = {f64_zero}: the computer does "
                       "round it to 0.").format(
            f32_subnormal=f32["below_normal_depth"], f32_zero=f32["zero_depth"],
            f64_subnormal=f64["below_normal_depth"], f64_zero=f64["zero_depth"]))
    parts.append(_seeds.thresholds_text({"BOUND_TOLERANCE": tolerance}))
    return " ".join(parts)


def plot(result: Result) -> dict:
    Figure = figure_class()
    n = result.numbers
    figs = {}

    fig = Figure(figsize=(7, 4.2), layout="constrained")
    ax = fig.subplots()
    c = n["curve"]
    ax.plot(c["x"], c["sigmoid"], color="C0", lw=2, label="σ(x)")
    ax.plot(c["x"], c["derivative"], color="C3", lw=2, label=_("σ′(x) by autograd"))
    ax.axhline(0.25, color="0.3", ls="--", lw=1, label="1/4")
    ax.plot([n["argmax_x"]], [n["max_derivative"]], "o", color="C3", ms=7)
    ax.annotate(_("max σ′ = {max:g} at x = {at:g}").format(max=n["max_derivative"],
                                                          at=n["argmax_x"]),
                (n["argmax_x"], n["max_derivative"]), xytext=(12, 18),
                textcoords="offset points", fontsize=9)
    ax.set_xlabel("x")
    ax.set_ylabel(_("value"))
    ax.set_title(_("the sigmoid and its derivative: σ′ = σ(1 − σ) ≤ 1/4"))
    ax.legend(loc="center right")
    ax.grid(alpha=0.3)
    figs["sigmoid"] = fig

    fig = Figure(figsize=(11, 4.4), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, key, color in zip(axes, ("float32", "float64"), ("C1", "C0")):
        _underflow_panel(ax, n[key], color)
    fig.suptitle(_("(1/4)^L, the largest factor L sigmoid layers leave, multiplied out until "
                   "the computer rounds it to 0"))
    figs["underflow"] = fig
    return figs


def _underflow_panel(ax, f: dict, color: str) -> None:
    """One dtype: the running product on a log scale, the smallest normal and subnormal
    numbers as horizontal lines, the two depths as vertical ones."""
    # matplotlib is optional: imported only when a figure is drawn
    from matplotlib.transforms import blended_transform_factory

    prods = np.asarray(f["products"])
    depth = np.arange(1, prods.size + 1)
    nz = prods > 0
    ax.plot(depth[nz], prods[nz], color=color, lw=2, label=_("1/4 · 1/4 · … (L factors)"))
    ax.axhline(f["smallest_normal"], color="0.4", ls=":", lw=1,
               label=_("smallest normal {value:.3g}").format(value=f["smallest_normal"]))
    ax.axhline(f["smallest_subnormal"], color="0.4", ls="--", lw=1,
               label=_("smallest subnormal {value:.3g}").format(value=f["smallest_subnormal"]))
    if prods.size >= LECTURE_DEPTH:     # the lectures' network: where it sits on the curve
        at = prods[LECTURE_DEPTH - 1]
        ax.axvline(LECTURE_DEPTH, color="C2", ls="-.", lw=1.2)
        ax.plot([LECTURE_DEPTH], [at], "o", color="C2", ms=6,
                label=_("the lectures' L = {depth}: (1/4)^{depth} = {value:.2g}").format(
                    depth=LECTURE_DEPTH, value=at))
    top = blended_transform_factory(ax.transData, ax.transAxes)
    for d, style, what in ((f["below_normal_depth"], ":", _("subnormal\nfrom L = {depth}")),
                           (f["zero_depth"], "-", _("exactly 0\nat L = {depth}"))):
        if d is None:
            continue
        ax.axvline(d, color="C3", ls=style, lw=1.3)
        ax.text(d, 0.97 if style == "-" else 0.80, what.format(depth=d), transform=top,
                ha="right", va="top", fontsize=8.5, color="C3",
                bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="none", alpha=0.85))
    if f["zero_depth"] is not None:
        ax.plot([f["zero_depth"]], [0.02], "v", color="C3", ms=8, transform=top,
                clip_on=False)
    ax.set_yscale("log")
    # Room below the smallest subnormal where there is any (float64 has none: 5e-324 / 1e3
    # is 0).
    bottom = f["smallest_subnormal"] / 1e3
    ax.set_ylim(bottom if bottom > 0 else f["smallest_subnormal"] / 1.0001, 10)
    ax.set_xlim(0, prods.size * 1.04)
    ax.set_xlabel(_("L, the number of sigmoid layers"))
    ax.set_ylabel(_("(1/4)^L (log scale)"))
    ax.set_title(_("in {dtype}").format(dtype=f["dtype"]))
    ax.legend(loc="lower left", fontsize=8)
    ax.grid(alpha=0.3)
