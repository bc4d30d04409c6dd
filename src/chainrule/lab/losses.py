"""Cross-entropy against squared error behind a sigmoid output.

With p = sigmoid(z) and target y = 1 the two losses hand the logit z very different
gradients (chain rule, sigmoid'(z) = p (1 - p)):

    BCE  L = -log p           dL/dz = -(1/p) p (1 - p)      = p - 1
    MSE  L = (p - 1)**2       dL/dz = 2 (p - 1) p (1 - p)

BCE's 1/p cancels the sigmoid's p (1 - p), so a confidently wrong output (p -> 0) gets a
gradient of almost -1. MSE keeps the factor p (1 - p): its gradient vanishes exactly where
the output is most wrong, and is largest, 8/27, at p = 1/3.

Part (a) measures both gradients with chainrule's autograd (float64, sigmoid followed by
``F.binary_cross_entropy`` or ``F.mse_loss``, summed so each element's gradient is its own)
on a grid of logits and compares them with the formulas. Part (b) trains logistic
regression (Linear(30, 1) + sigmoid) on breast cancer with plain full-batch gradient
descent, once with each loss, from the same weights (copied) and with the same learning
rate. The initial weights are the default init multiplied by ``init_scale`` (10), so
about a third of the training samples start confidently wrong (p < 0.01 for a 1, p > 0.99
for a 0): the saturated regime where MSE's gradient vanishes. A control pair starts from
the unscaled init. BCE is computed from the logits (``binary_cross_entropy_with_logits``):
in float32, sigmoid rounds to exactly 1 beyond z ~ 17, and the composed
sigmoid + binary_cross_entropy would then lose the gradient that BCE's math promises.

Default run (401 logits, 4 x 300 steps, lr 0.5): about 1 s on 2 cores.
"""
from __future__ import annotations

import numpy as np

from .. import nn
from .. import optim, train
from ..data import datasets
from ..nn import functional as F
from ..random import manual_seed
from ..tensor import Tensor
from ..inspect.plots import figure_class
from .harness import ACCURACY, recorded, train as train_model
from .result import Result
from ..i18n import N_, _

NAME = "losses"
TITLE = N_("Cross-entropy vs squared error behind a sigmoid: MSE's gradient vanishes when the "
         "output is confidently wrong")
CAPTIONS = {   # figure id -> caption, shown under the figure in the report
    "gradient": N_(
        "The gradient dL/dz that a sigmoid output receives for target 1, against its "
        "prediction p, for cross-entropy and squared error: measured by autograd and from the"
        " formulas."),
    "accuracy": N_(
        "The training accuracy per step with cross-entropy and with squared error, from "
        "confidently wrong initial weights and from an ordinary start."),
}
TINY = dict(grid_points=41, steps=60)

CONFIDENT = 0.01        # "confidently wrong": p < 0.01 for a 1 (p > 0.99 for a 0)
MATCH_TOL = 1e-9        # float64 autograd against the closed forms
# Accepted values of run()'s parameters (checked by cr.lab.run before any work).
# The logit grid stays where float64 sigmoids are still distinguishable from 0 and 1
# to within exp(-1000); a target accuracy is a fraction of the training set.
RANGES = {"logit_min": "[-1000, 1000]", "logit_max": "[-1000, 1000]",
          "grid_points": "[2, 1e7]", "init_scale": "(0, inf)", "lr": "(0, inf)",
          "steps": "[1, inf)", "target_accuracy": "(0, 1]"}


# --------------------------------------------------------------------- part (a)
def _measured_gradient(logits: np.ndarray, loss: str) -> np.ndarray:
    """dL_i/dz_i for target 1, by autograd: z -> sigmoid -> loss, summed over the grid."""
    z = Tensor(logits, requires_grad=True)
    p = z.sigmoid()
    ones = np.ones_like(logits)
    if loss == "bce":
        total = F.binary_cross_entropy(p, ones, reduction="sum")
    else:
        total = F.mse_loss(p, ones, reduction="sum")
    total.backward()
    return z.grad.data.copy()


def gradient_curves(logit_min: float, logit_max: float, points: int) -> dict:
    """Both losses' gradient with respect to the logit, measured and from the formulas."""
    z = np.linspace(logit_min, logit_max, points, dtype=np.float64)
    p = 1.0 / (1.0 + np.exp(-z))
    bce, mse = _measured_gradient(z, "bce"), _measured_gradient(z, "mse")
    bce_formula, mse_formula = p - 1.0, 2.0 * (p - 1.0) * p * (1.0 - p)
    worst = int(np.argmin(p))             # the most confidently wrong point of the grid
    peak = int(np.argmax(np.abs(mse)))
    return {
        "logits": z.tolist(), "p": p.tolist(),
        "bce_measured": bce.tolist(), "bce_formula": bce_formula.tolist(),
        "mse_measured": mse.tolist(), "mse_formula": mse_formula.tolist(),
        "bce_max_abs_error": float(np.max(np.abs(bce - bce_formula))),
        "mse_max_abs_error": float(np.max(np.abs(mse - mse_formula))),
        "most_wrong": {"p": float(p[worst]), "bce": float(bce[worst]),
                       "mse": float(mse[worst])},
        "mse_peak": {"p": float(p[peak]), "gradient": float(mse[peak])},
    }


# --------------------------------------------------------------------- part (b)
def _mse_of_sigmoid(logits: Tensor, target) -> Tensor:
    return F.mse_loss(logits.sigmoid(), target)


LOSSES = {"bce": F.binary_cross_entropy_with_logits, "mse": _mse_of_sigmoid}


def _train(state: dict, loss: str, X, y, lr: float, steps: int, target: float,
           test: tuple, progress: bool) -> dict:
    """Plain full-batch gradient descent from the weights in ``state``; the training
    loss and accuracy after 0, 1, ..., steps updates."""
    model = nn.Linear(X.shape[1], 1)
    model.load_state_dict(state)
    loss_fn = LOSSES[loss]
    start = train.evaluate(model, loss_fn, X, y, {"accuracy": ACCURACY})
    trained = train_model(model, loss_fn, optim.SGD(model.parameters(), lr=lr), (X, y), steps,
                          batch_size=None, seed=0, shuffle=False, test=test,
                          metrics={"accuracy": ACCURACY}, progress=progress)
    history = trained.history
    accuracy = [start["accuracy"]] + history["train_accuracy"]
    reached = next((k for k, a in enumerate(accuracy) if a >= target), None)
    return {"loss": [float(v) for v in history.step_loss] + [trained.train_loss],
            "accuracy": accuracy, "steps_to_target": reached,
            "final_train_accuracy": accuracy[-1], "test_accuracy": trained.test_accuracy}


def _initial_state(n_features: int, scale: float) -> dict:
    layer = nn.Linear(n_features, 1)
    state = layer.state_dict()
    state["weight"] = state["weight"] * np.float32(scale)
    return state


def _start(state: dict, X, y) -> dict:
    """How the initial weights do: accuracy and the fraction confidently wrong."""
    z = X @ state["weight"][:, 0] + state["bias"][0]
    p = 1.0 / (1.0 + np.exp(-z.astype(np.float64)))
    wrong_1 = (y[:, 0] == 1) & (p < CONFIDENT)
    wrong_0 = (y[:, 0] == 0) & (p > 1 - CONFIDENT)
    return {"accuracy": float(np.mean((z > 0) == (y[:, 0] == 1))),
            "confidently_wrong": float(np.mean(wrong_1 | wrong_0))}


def training_race(seed: int, init_scale: float, lr: float, steps: int, target: float,
                  progress: bool = False) -> dict:
    X_train, X_test, y_train, y_test = datasets.breast_cancer(split=True)
    y_train = y_train.reshape(-1, 1).astype(np.float32)
    y_test = y_test.reshape(-1, 1).astype(np.float32)
    out = {}
    for label, scale in (("scaled", init_scale), ("control", 1.0)):
        manual_seed(seed)
        state = _initial_state(X_train.shape[1], scale)
        out[label] = {"init_scale": float(scale), **_start(state, X_train, y_train)}
        for loss in LOSSES:
            out[label][loss] = _train(state, loss, X_train, y_train, lr, steps, target,
                                      (X_test, y_test), progress)
    return out


@recorded
def run(*, seed: int = 0, logit_min: float = -10.0, logit_max: float = 10.0,
        grid_points: int = 401, init_scale: float = 10.0, lr: float = 0.5, steps: int = 300,
        target_accuracy: float = 0.95, progress: bool = False) -> Result:
    """Measure both losses' gradients on a grid, then race them on breast cancer."""
    if not logit_min < logit_max or grid_points < 2:
        raise ValueError(f"losses: need logit_min < logit_max and grid_points >= 2, got "
                         f"{logit_min}, {logit_max}, {grid_points}")
    numbers = {"gradient": gradient_curves(logit_min, logit_max, grid_points),
               "training": training_race(seed, init_scale, lr, steps, target_accuracy,
                                         progress),
               "lr": lr, "steps": steps, "target_accuracy": target_accuracy}
    return Result(NAME, numbers=numbers, conclusion=conclude(numbers))


# ------------------------------------------------------------------ conclusion
def _steps(n) -> str:
    return _("never") if n is None else str(n)


def _race_sentence(race: dict, target: float, steps: int) -> tuple[str, bool]:
    """One clause on a BCE/MSE pair, and whether MSE was clearly slower."""
    b, m = race["bce"]["steps_to_target"], race["mse"]["steps_to_target"]
    values = dict(target=target, budget=steps, bce=_steps(b), mse=_steps(m))
    if b is None and m is None:
        return _("the steps to reach {target:.0%} training accuracy (budget {budget}) were BCE "
                 "{bce}, MSE {mse}: neither got there, so this budget cannot compare "
                 "them").format(**values), False
    if m is None:
        return _("the steps to reach {target:.0%} training accuracy (budget {budget}) were BCE "
                 "{bce}, MSE {mse} (MSE ended at {accuracy:.1%})").format(
            accuracy=race["mse"]["final_train_accuracy"], **values), True
    if b is None:
        return _("the steps to reach {target:.0%} training accuracy (budget {budget}) were BCE "
                 "{bce}, MSE {mse} (BCE ended at {accuracy:.1%})").format(
            accuracy=race["bce"]["final_train_accuracy"], **values), False
    ratio = m / max(b, 1)
    return _("the steps to reach {target:.0%} training accuracy (budget {budget}) were BCE "
             "{bce}, MSE {mse}, {ratio:.1f}x as many for MSE").format(
        ratio=ratio, **values), ratio >= 1.5


def conclude(numbers: dict) -> str:
    g, t = numbers["gradient"], numbers["training"]
    target, steps = numbers["target_accuracy"], numbers["steps"]
    parts = []
    match = max(g["bce_max_abs_error"], g["mse_max_abs_error"]) <= MATCH_TOL
    sentence = (_("Autograd's dL/dz matches the formulas p - 1 (BCE) and 2(p - 1)p(1 - p) (MSE) "
                  "on {logits} logits (largest differences {bce:.1e} and {mse:.1e}).") if match
                else _("Autograd's dL/dz does NOT match the formulas p - 1 (BCE) and "
                       "2(p - 1)p(1 - p) (MSE) on {logits} logits (largest differences {bce:.1e} "
                       "and {mse:.1e})."))
    parts.append(sentence.format(logits=len(g["logits"]), bce=g["bce_max_abs_error"],
                                 mse=g["mse_max_abs_error"]))
    w = g["most_wrong"]
    small = abs(w["mse"]) < 0.1 * abs(w["bce"])
    ratio = abs(w["bce"]) / abs(w["mse"]) if w["mse"] else float("inf")
    if small:
        parts.append(_(
            "Where the output is most wrong (p = {p:.2g} for a target of 1) BCE's "
            "gradient is {bce:.3f} but MSE's only {mse:.2e}, {ratio:.0f}x smaller: "
            "MSE's gradient vanishes as the sigmoid saturates (it peaks at "
            "{peak:.3f} near p = {peak_p:.2f}).").format(
                p=w["p"], bce=w["bce"], mse=w["mse"], ratio=ratio,
                peak=abs(g["mse_peak"]["gradient"]), peak_p=g["mse_peak"]["p"]))
    else:
        parts.append(_(
            "On this grid the outputs are not confidently wrong enough for MSE's gradient to "
            "vanish (at p = {p:.2g}: BCE {bce:.3f}, MSE {mse:.3f}); the "
            "saturation effect did not show.").format(p=w["p"], bce=w["bce"], mse=w["mse"]))
    scaled, control = t["scaled"], t["control"]
    sentence, slower = _race_sentence(scaled, target, steps)
    parts.append(_(
        "Training logistic regression from the same weights (scaled x{scale:g}, "
        "{wrong:.0%} of the training samples confidently wrong) with "
        "the same learning rate, {race}.").format(
            scale=scaled["init_scale"], wrong=scaled["confidently_wrong"], race=sentence))
    if slower:
        parts.append(_("Squared error is slowed by the confidently wrong samples, as the "
                       "lectures say; cross-entropy is not."))
    else:
        parts.append(_("The expected effect (MSE clearly slower than BCE) did not show in this "
                       "run."))
    c_sentence, _slower = _race_sentence(control, target, steps)
    parts.append(_("Control from the unscaled init ({wrong:.0%} confidently wrong): "
                   "{race}.").format(wrong=control["confidently_wrong"], race=c_sentence))
    return " ".join(parts)


# ------------------------------------------------------------------------ figures
def plot(result: Result) -> dict:
    Figure = figure_class()   # (a clear error when matplotlib is missing)

    n = result.numbers
    g = n["gradient"]
    colors = {"bce": "#1565c0", "mse": "#c62828"}

    fig_g = Figure(figsize=(11, 4.2), layout="constrained")
    lin, log = fig_g.subplots(1, 2)
    p = np.asarray(g["p"])
    every = max(1, len(p) // 25)
    for loss, label in (("bce", "BCE: p - 1"), ("mse", "MSE: 2(p - 1) p (1 - p)")):
        formula, measured = np.asarray(g[f"{loss}_formula"]), np.asarray(g[f"{loss}_measured"])
        marker = "o" if loss == "bce" else "s"
        lin.plot(p, formula, color=colors[loss], lw=2, label=label)
        lin.plot(p[::every], measured[::every], marker, ms=4, mfc="none", color=colors[loss],
                 label=_("autograd ({loss})").format(loss=loss.upper()))
        log.loglog(p, np.abs(formula), color=colors[loss], lw=2, label=label)
        log.loglog(p[::every], np.abs(measured[::every]), marker, ms=4, mfc="none",
                   color=colors[loss])
    lin.axhline(0, color="0.6", lw=0.8)
    lin.set_xlim(0, 1)
    lin.set_ylabel(_("dL / dz  (gradient w.r.t. the logit)"))
    lin.set_title(_("dL/dz against p, target y = 1"))
    lin.legend(loc="lower right", fontsize=8)
    log.axvspan(p.min(), CONFIDENT, color="0.88", zorder=0,
                label=_("confidently wrong (p < {p:g})").format(p=CONFIDENT))
    log.set_ylabel(_("|dL / dz|  (log scale)"))
    log.set_title(_("|dL/dz| on log scales: MSE's vanishes as p -> 0"))
    log.legend(loc="lower right", fontsize=8)
    for ax in (lin, log):
        ax.set_xlabel(_("predicted probability p = sigmoid(z)"))
    fig_g.suptitle(_("Gradient a sigmoid output receives: cross-entropy vs squared error"))

    t = n["training"]
    fig_a = Figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig_a.subplots()
    for loss, label in (("bce", "BCE"), ("mse", "MSE")):
        reached = t["scaled"][loss]["steps_to_target"]
        when = (_("{target:.0%} never reached") if reached is None
                else _("{target:.0%} at step {step}")).format(target=n["target_accuracy"],
                                                              step=reached)
        ax.plot(t["scaled"][loss]["accuracy"], color=colors[loss], lw=2,
                label=_("{loss}, init x{scale:g} ({when})").format(
                    loss=label, scale=t["scaled"]["init_scale"], when=when))
        ax.plot(t["control"][loss]["accuracy"], color=colors[loss], lw=1, ls="--",
                alpha=0.7, label=_("{loss}, unscaled init").format(loss=label))
        if reached is not None:
            ax.plot([reached], [t["scaled"][loss]["accuracy"][reached]], "o",
                    color=colors[loss], ms=6)
    ax.axhline(n["target_accuracy"], color="0.5", lw=0.8, ls=":")
    ax.set_xlabel(_("gradient-descent step"))
    ax.set_ylabel(_("training accuracy"))
    ax.set_ylim(0, 1.01)
    ax.set_title(_("Logistic regression on breast cancer, lr {lr:g}, same start").format(
        lr=n["lr"]))
    ax.legend(loc="lower right", fontsize=8)
    return {"gradient": fig_g, "accuracy": fig_a}
