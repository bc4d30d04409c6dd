"""Backpropagation in matrix form, by hand, next to chainrule's autograd.

The student report's example network: 2 inputs, hidden layers of 3 and 3 sigmoid units, 1
sigmoid output (``hidden`` = (3, 3)), with W^(k) of size l(k-1) x l(k) and, for one sample,
z^(k) = (W^(k))^T a^(k-1) + b^(k). With the N samples of a batch as the rows of
A^(k) (N x l(k)) the same formula reads Z^(k) = A^(k-1) W^(k) + b^(k), which is what
chainrule's ``Linear`` computes (its weight is stored (in, out), the report's layout).
J is the mean binary cross-entropy over the batch, so dJ/dY_hat carries the factor 1/N.

The report's backpropagation, with ⊙ the elementwise product:

    δ^(L)       = ∂J/∂Ŷ ⊙ ∂A^(L)/∂Z^(L)
    ∂J/∂W^(k)   = (A^(k-1))^T δ^(k)
    ∂J/∂b^(k)   = the sum of δ^(k)'s rows (over the batch)
    ∂J/∂A^(k-1) = δ^(k) (W^(k))^T
    δ^(k-1)     = ∂J/∂A^(k-1) ⊙ ∂A^(k-1)/∂Z^(k-1),   ∂A/∂Z = σ'(Z) = A (1 - A).

Measured here, in float64 on ``samples`` points of a toy data set:

- the feedforward by the report's per-sample formula in plain NumPy against ``Linear``'s
  output: max |difference| per Z^(k), Ŷ and J;
- every δ^(k), ∂J/∂W^(k), ∂J/∂b^(k), ∂J/∂A^(k-1) by the formulas above against
  autograd (``retain_grad`` on every Z^(k) and A^(k), the parameters' ``.grad``);
- the report's slip in steps 3 and 4, δ^(2) = ∂A^(2)/∂Z^(2) ⊙ ∂A^(2)/∂Z^(2) (the slipped
  layer is the last hidden one, layer L-1), and everything computed from it below, against
  autograd: the quantities it feeds disagree, the ones above it cannot.

One draw, no ``seeds``: the data set and the initialisation are drawn with ``seed``, and
the formulas are identities, so another seed changes only float64's rounding (around
1e-17) and the slip's size, not a verdict (seeds 0-9 at the defaults: largest difference
7e-18 to 4.2e-17, the slip's 0.058 to 0.064); the conclusion says that it checked the one
draw (``numbers["seed"]``). Threshold (``numbers["thresholds"]``, printed): TOLERANCE = 1e-6, the
largest |hand - autograd| that counts as a match. Default run: well under a second.
"""
from __future__ import annotations

import numpy as np

from .. import random as _random
from ..data.datasets import circles, moons, xor
from ..inspect.plots import figure_class
from ..nn import functional as F
from ..nn.layers import Linear
from ..ops import activation as _activation
from ..tensor import Tensor
from . import seeds as _seeds
from .harness import recorded
from .result import Result
from ..i18n import N_, _

NAME = "backprop-matrix"
TITLE = N_("Backpropagation in matrix form by hand on the report's 2-3-3-1 network: every "
           "matrix equals autograd's, the report's slip does not")   # the report translates it
CAPTIONS = {   # figure id -> caption, shown under the figure in the report
    "differences": N_(
        "Left: for every quantity of the backpropagation, the largest |hand − autograd| "
        "(log scale) with the matrix formulas as corrected and with the report's slip in "
        "δ of the last hidden layer; exact agreement is drawn on the bottom line. Right: "
        "that layer's ∂J/∂W by autograd, by the corrected formula and by the slip."),
}
TINY = {"samples": 8}
TOLERANCE = 1e-6        # a hand-computed matrix "matches" autograd within this, in float64
THRESHOLDS = {"TOLERANCE": TOLERANCE}
# No ``seeds``: the formulas are identities, checked on the one data set and initialisation
# drawn with ``seed``; another seed changes only float64's rounding (the conclusion says so).
DATASETS = {"xor": xor, "moons": moons, "circles": circles}

# Accepted values of run()'s parameters (checked by cr.lab.run before any work).
RANGES = {"samples": "[2, 100000]", "hidden": "[1, 1000]", "noise": "[0, 10]",
          "dataset": tuple(DATASETS)}
# What a sweep (cr.lab.sweep) plots: the corrected formulas' and the slip's largest
# differences from autograd, over the batch size or the seed; and whether the slip ever
# comes within the tolerance (it should not, at any batch size).
SWEEP = {"numbers": ("largest_difference", "slip_difference", "slip_downstream_difference",
                     "loss"),
         "thresholds": ({"number": "slip_difference", "below": TOLERANCE, "over": "samples",
                         "what": "the report's slip's largest difference from autograd"},)}


# ------------------------------------------------------------ the report's notation
def _z(k: int) -> str:
    return f"Z^({k})"


def _delta(k: int) -> str:
    return f"δ^({k})"


def _dw(k: int) -> str:
    return f"∂J/∂W^({k})"


def _db(k: int) -> str:
    return f"∂J/∂b^({k})"


def _da(k: int) -> str:
    return f"∂J/∂A^({k})"


DY = "∂J/∂Ŷ"


def _shape(a: np.ndarray) -> str:
    return " × ".join(map(str, a.shape))


# ------------------------------------------------------------ the two computations
def _network(sizes: list[int]) -> list[Linear]:
    """One float64 ``Linear`` per layer, drawn from chainrule's generator (seeded by run)."""
    return [Linear(a, b, dtype=np.float64) for a, b in zip(sizes[:-1], sizes[1:])]


def _by_autograd(layers: list[Linear], X: np.ndarray, Y: np.ndarray) -> dict:
    """Forward through the Linear layers with sigmoids, J = mean BCE, one backward pass;
    every Z^(k), A^(k) and their gradients (kept with ``retain_grad``), the parameters'."""
    a = Tensor(X, requires_grad=True, dtype=np.float64)
    A, Z = [a], []
    for layer in layers:
        z = layer(A[-1])
        z.retain_grad()
        a = _activation.sigmoid(z)
        a.retain_grad()
        Z.append(z)
        A.append(a)
    loss = F.binary_cross_entropy(A[-1], Y)
    loss.backward()
    return {"J": float(loss.data), "Z": [z.data for z in Z], "A": [x.data for x in A],
            "dZ": [z.grad.data for z in Z], "dA": [x.grad.data for x in A],
            "dW": [layer.weight.grad.data for layer in layers],
            "db": [layer.bias.grad.data for layer in layers]}


def feedforward(W: list[np.ndarray], b: list[np.ndarray], X: np.ndarray) -> dict:
    """The report's feedforward in plain NumPy, its per-sample formula z^(k) =
    (W^(k))^T a^(k-1) + b^(k) applied to every sample (the columns of (A^(k-1))^T);
    Z[k-1] and A[k] are the batch's Z^(k) and A^(k) with the samples as rows.

    >>> f = feedforward([np.eye(2)], [np.zeros(2)], np.zeros((1, 2)))
    >>> f["A"][1]
    array([[0.5, 0.5]])
    """
    A, Z = [X], []
    for Wk, bk in zip(W, b):
        z = (Wk.T @ A[-1].T + bk[:, None]).T      # one column per sample, turned to rows
        Z.append(z)
        A.append(_activation.sigmoid_array(z))
    return {"Z": Z, "A": A}


def bce(Y_hat: np.ndarray, Y: np.ndarray) -> float:
    """J = -(1/N) sum_n [y_n log ŷ_n + (1 - y_n) log(1 - ŷ_n)]: the mean over the batch."""
    return float(-np.mean(Y * np.log(Y_hat) + (1 - Y) * np.log1p(-Y_hat)))


def backward(W: list[np.ndarray], A: list[np.ndarray], Y: np.ndarray,
             slip_layer: int | None = None) -> dict:
    """The report's backpropagation in matrix form. A[k] is A^(k) (A[0] = X), W[k-1] is
    W^(k); J the mean BCE, so ∂J/∂Ŷ = (Ŷ - Y) / (Ŷ (1 - Ŷ)) / N. slip_layer: compute δ of
    that layer as the report's slip writes it, ∂A/∂Z ⊙ ∂A/∂Z, instead of ∂J/∂A ⊙ ∂A/∂Z.
    Returns the report's name of each quantity -> its matrix, from the output down.

    >>> A = [np.ones((2, 1)), np.full((2, 1), 0.5)]
    >>> backward([np.ones((1, 1))], A, np.ones((2, 1)))["δ^(1)"]      # (Ŷ - Y) / N
    array([[-0.25],
           [-0.25]])
    """
    L = len(W)
    Y_hat = A[L]
    out = {DY: (Y_hat - Y) / (Y_hat * (1 - Y_hat)) / Y.shape[0]}
    upstream = out[DY]                                   # ∂J/∂A^(L) = ∂J/∂Ŷ
    for k in range(L, 0, -1):
        dA_dZ = A[k] * (1 - A[k])                        # σ'(Z^(k)) = A^(k) (1 - A^(k))
        delta = dA_dZ * dA_dZ if k == slip_layer else upstream * dA_dZ
        out[_delta(k)] = delta
        out[_dw(k)] = A[k - 1].T @ delta
        out[_db(k)] = delta.sum(axis=0)
        upstream = out[_da(k - 1)] = delta @ W[k - 1].T
    return out


# ------------------------------------------------------------ the experiment
def _data(dataset: str, samples: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    X, y = DATASETS[dataset](samples, noise=noise, seed=seed)
    return X.astype(np.float64), y.astype(np.float64).reshape(-1, 1)


def _gap(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))


def _row(shape: str, gap: float) -> dict:
    return {"shape": shape, "max_difference": gap, "matches": bool(gap <= TOLERANCE)}


@recorded
def run(*, seed: int = 0, samples: int = 32, hidden: tuple[int, ...] = (3, 3),
        dataset: str = "xor", noise: float = 0.1) -> Result:
    """Build the sigmoid network of layer sizes 2, *hidden, 1 (chainrule's
    default initialisation after ``cr.manual_seed(seed)``), take ``samples`` points of
    ``dataset`` (seeded by seed), and compare the hand-computed feedforward and
    backpropagation with chainrule's, quantity by quantity."""
    if not hidden:
        raise ValueError(f"backprop-matrix: hidden must list at least one hidden layer's "
                         f"size (the report's is (3, 3)), got {tuple(hidden)}")
    if dataset not in DATASETS:
        raise ValueError(f"backprop-matrix: dataset must be one of {', '.join(DATASETS)}, "
                         f"got {dataset!r}")
    X, Y = _data(dataset, samples, noise, seed)
    sizes = [X.shape[1], *hidden, 1]
    L = len(sizes) - 1
    _random.manual_seed(seed)
    layers = _network(sizes)
    auto = _by_autograd(layers, X, Y)
    W = [layer.weight.data for layer in layers]
    b = [layer.bias.data for layer in layers]

    hand = feedforward(W, b, X)
    forward = {_z(k): _row(_shape(hand["Z"][k - 1]), _gap(hand["Z"][k - 1], auto["Z"][k - 1]))
               for k in range(1, L + 1)}
    forward[f"Ŷ = A^({L})"] = _row(_shape(hand["A"][L]), _gap(hand["A"][L], auto["A"][L]))
    forward["J"] = _row("1", abs(bce(hand["A"][L], Y) - auto["J"]))

    # The same activations for both backward passes, the hand's own: the formulas are
    # checked on their own feedforward, not on autograd's.
    right = backward(W, hand["A"], Y)
    slip_layer = L - 1                                   # the last hidden layer (>= 1)
    slipped = backward(W, hand["A"], Y, slip_layer=slip_layer)
    truth = _autograd_quantities(auto, L)
    output_layer, hidden_layers = {}, {}
    for name, matrix in right.items():
        row = _row(_shape(matrix), _gap(matrix, truth[name]))
        k = _layer_of(name)
        if k > slip_layer:                               # above the slip: out of its reach
            output_layer[name] = row
        else:
            gap = _gap(slipped[name], truth[name])
            hidden_layers[name] = {**row, "slip_difference": gap,
                                   "slip_matches": bool(gap <= TOLERANCE)}
    every = {**output_layer, **hidden_layers}
    numbers = {
        "network": "-".join(map(str, sizes)),
        "samples": samples,
        "dataset": dataset,
        "loss": auto["J"],
        "seed": seed,
        "tolerance": TOLERANCE,
        "thresholds": dict(THRESHOLDS),
        "largest_forward_difference": max(r["max_difference"] for r in forward.values()),
        "largest_difference": max(r["max_difference"] for r in every.values()),
        "slip_layer": slip_layer,
        "slip_difference": hidden_layers[_delta(slip_layer)]["slip_difference"],
        "slip_downstream_difference": max(r["slip_difference"] for n, r in
                                          hidden_layers.items() if n != _delta(slip_layer)),
        "forward": forward,
        "output_layer": output_layer,
        "hidden_layers": hidden_layers,
    }
    name = _dw(slip_layer)     # the figure's heatmaps: the slipped layer's ∂J/∂W three ways
    numbers["slipped_weight_gradient"] = {
        "quantity": name, "autograd": truth[name].tolist(), "hand": right[name].tolist(),
        "slip": slipped[name].tolist()}
    return Result(NAME, numbers=numbers, conclusion=conclude(numbers))


def _autograd_quantities(auto: dict, L: int) -> dict:
    """Autograd's value of each quantity, under the report's name: δ^(k) is ∂J/∂Z^(k)."""
    out = {DY: auto["dA"][L]}
    for k in range(L, 0, -1):
        out[_delta(k)] = auto["dZ"][k - 1]
        out[_dw(k)] = auto["dW"][k - 1]
        out[_db(k)] = auto["db"][k - 1]
        out[_da(k - 1)] = auto["dA"][k - 1]
    return out


def _layer_of(name: str) -> int:
    """The layer a quantity belongs to: k for δ^(k), ∂J/∂W^(k), ∂J/∂b^(k); k + 1 for
    ∂J/∂A^(k), computed from layer k + 1's δ; the output's for ∂J/∂Ŷ."""
    if name == DY:
        return 10 ** 9
    k = int(name.rsplit("(", 1)[1].rstrip(")"))
    return k + 1 if name.startswith("∂J/∂A") else k


# ------------------------------------------------------------ conclusion
def conclude(numbers: dict) -> str:
    tol = _seeds.threshold(numbers, "TOLERANCE", numbers["tolerance"])
    parts = [_("Checked on the one data set and initialisation drawn with seed {seed} "
               "({samples} {dataset} points): the matrix formulas are identities, so on "
               "another draw their differences from autograd change only within float64's "
               "rounding; one draw is run.").format(
        seed=numbers.get("seed", 0), samples=numbers["samples"], dataset=numbers["dataset"])]
    fwd = numbers["largest_forward_difference"]
    if fwd <= tol:
        parts.append(_("The feedforward by the report's formula z^(k) = (W^(k))^T a^(k-1) + "
                       "b^(k), in plain NumPy, gives the Z^(k) of chainrule's Linear layers "
                       "to {gap:.1e} on the {network} network: the same W^(k) of size "
                       "l(k-1) × l(k).").format(gap=fwd, network=numbers["network"]))
    else:
        parts.append(_("The feedforward did not show the same numbers: the report's formula "
                       "and chainrule's Linear differ by up to {gap:.2g}.").format(gap=fwd))
    rows = {**numbers["output_layer"], **numbers["hidden_layers"]}
    off = [name for name, r in rows.items() if not r["max_difference"] <= tol]
    if not off:
        parts.append(_("Every one of the {count} matrices of the backpropagation computed "
                       "by hand (δ^(k), ∂J/∂W^(k), ∂J/∂b^(k), ∂J/∂A^(k-1)) matches "
                       "autograd: the largest difference is {gap:.1e}, with J the mean "
                       "binary cross-entropy over the N = {samples} samples, so that ∂J/∂Ŷ "
                       "carries the factor 1/N.").format(
            count=len(rows), gap=numbers["largest_difference"], samples=numbers["samples"]))
    else:
        parts.append(_("The matrix formulas did not show agreement with autograd: {names} "
                       "differ by up to {gap:.2g} (more than {tol:g}).").format(
            names=", ".join(off), gap=numbers["largest_difference"], tol=tol))
    parts.append(_slip_sentence(numbers, tol))
    parts.append(_seeds.thresholds_text({"TOLERANCE": tol}))
    return " ".join(parts)


def _slip_sentence(numbers: dict, tol: float) -> str:
    k = numbers["slip_layer"]
    gap = numbers["slip_difference"]
    if gap <= tol:
        return _("The slip did not show: δ^({k}) as the report writes it, ∂A^({k})/∂Z^({k}) "
                 "⊙ ∂A^({k})/∂Z^({k}), differs from autograd by only {gap:.1e} here, so these "
                 "numbers do not tell it from the corrected formula.").format(k=k, gap=gap)
    hidden = numbers["hidden_layers"]
    wrong = [n for n, r in hidden.items() if not r["slip_difference"] <= tol]
    return _("The report's slip, δ^({k}) = ∂A^({k})/∂Z^({k}) ⊙ ∂A^({k})/∂Z^({k}), disagrees "
             "with autograd by {gap:.2g}, and {wrong} of the {count} quantities computed from "
             "it disagree too (up to {downstream:.2g}): it multiplies σ′ by itself and drops "
             "∂J/∂A^({k}), the only place where the loss reaches layer {k}. The corrected "
             "δ^({k}) = ∂J/∂A^({k}) ⊙ ∂A^({k})/∂Z^({k}) is the chain rule, and it is "
             "the one that agrees.").format(
        k=k, gap=gap, wrong=len(wrong) - (_delta(k) in wrong), count=len(hidden) - 1,
        downstream=numbers["slip_downstream_difference"])


# ------------------------------------------------------------ figure
FLOOR = 1e-20           # where an exact 0 is drawn on the log axis


def plot(result: Result) -> dict:
    Figure = figure_class()
    n = result.numbers
    fig = Figure(figsize=(11, 6.4), layout="constrained")
    grid = fig.add_gridspec(3, 2, width_ratios=[3, 1])   # the three ∂J/∂W on the right
    _differences_panel(fig.add_subplot(grid[:, 0]), n)
    _heatmaps(fig, [fig.add_subplot(grid[i, 1]) for i in range(3)],
              n["slipped_weight_gradient"])
    return {"differences": fig}


def _shown(gap: float) -> float:
    return max(gap, FLOOR)


def _differences_panel(ax, n: dict) -> None:
    rows = {**n["output_layer"], **n["hidden_layers"]}
    names = list(rows)
    x = np.arange(len(names))
    right = [_shown(r["max_difference"]) for r in rows.values()]
    ax.plot(x, right, "o", color="C2", ms=8, label=_("corrected formula"))
    slip = [(i, _shown(r["slip_difference"])) for i, r in enumerate(rows.values())
            if "slip_difference" in r]
    ax.plot(*zip(*slip), "X", color="C3", ms=9,
            label=_("the report's slip in δ^({k})").format(k=n["slip_layer"]))
    ax.axhline(n["tolerance"], color="0.3", ls="--", lw=1,
               label=_("tolerance {tol:g}").format(tol=n["tolerance"]))
    ax.axhline(FLOOR, color="0.6", ls=":", lw=1, label=_("exactly 0"))
    first = names.index(_delta(n["slip_layer"]))
    ax.axvspan(first - 0.5, len(names) - 0.5, color="C3", alpha=0.06, lw=0)
    ax.text((first + len(names) - 1) / 2, 1e-9,
            _("computed from δ^({k})").format(k=n["slip_layer"]), ha="center",
            va="center", fontsize=9, color="C3")
    ax.set_yscale("log")
    ax.set_ylim(FLOOR / 10, 10)
    ax.set_xticks(x, names, rotation=60, ha="right", fontsize=9)
    ax.set_ylabel(_("max |hand − autograd| (log scale)"))
    ax.set_title(_("backpropagation in matrix form, {network} network, N = {samples}").format(
        network=n["network"], samples=n["samples"]))
    ax.legend(loc="center left", fontsize=8)
    ax.grid(alpha=0.3)


def _heatmaps(fig, axes, grads: dict) -> None:
    mats = [np.asarray(grads[key]) for key in ("autograd", "hand", "slip")]
    limit = max(float(np.max(np.abs(m))) for m in mats) or 1.0
    titles = (_("autograd"), _("corrected formula"), _("the report's slip"))
    for ax, m, title in zip(axes, mats, titles):
        image = ax.imshow(m, cmap="RdBu_r", vmin=-limit, vmax=limit)
        for (i, j), v in np.ndenumerate(m):
            ax.text(j, i, f"{v:.2g}", ha="center", va="center", fontsize=7)
        ax.set_title(_("{quantity}, {how}").format(quantity=grads["quantity"], how=title),
                     fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    # One colour scale for the three: the slip's matrix is orders of magnitude off
    fig.colorbar(image, ax=list(axes), shrink=0.8, location="right")
