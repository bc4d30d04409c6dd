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
on a grid of logits and compares them with the formulas (MATCH_TOL = 1e-9); MSE's gradient
"vanishes" where it is below VANISH = 0.1 of BCE's.

Part (b) trains logistic regression (Linear(30, 1) + sigmoid, 31 parameters) on breast
cancer with plain full-batch gradient descent, once with each loss, from the same weights
(copied), with the same learning rate (0.5) and budget (300 steps), over ``seeds`` seeds
(5 by default: seed, seed + 1, ...). The treated start is the default init multiplied by
``init_scale`` (10): its logits are large, and some training samples start confidently
wrong (p < CONFIDENT = 0.01 for a 1, p > 0.99 for a 0) -- from 1% to 55% of them over
seeds 0-4, as the init's direction happens to agree with the classes or not. The control
starts from the unscaled init (no confidently wrong samples). The measure is the slowdown,
MSE's steps to 95% training accuracy over BCE's, per seed and start; MSE is slower even
from the control (its dL/dz is 2p(1 - p) <= 1/2 times BCE's), so only the difference
between the starts can be put on the saturation. The effect counts only when the treated
start's smallest slowdown over the seeds is at least CAUSE_MARGIN = 1.25 times the
control's largest (the ranges over seeds are apart, by more than their spread), and the
confidently wrong samples are blamed only if every seed's treated start has at least
MIN_WRONG = 5% of them. BCE is computed from the logits
(``binary_cross_entropy_with_logits``): in float32, sigmoid rounds to exactly 1 beyond
z ~ 17, and the composed sigmoid + binary_cross_entropy would then lose the gradient that
BCE's math promises.

Default run (401 logits, 5 seeds x 4 x 300 steps): measured 8-10 s on a busy shared
2-core machine (load 6-8), 0.5-1 s a seed.
"""
from __future__ import annotations

import numpy as np

from .. import nn
from .. import optim, train
from ..data import datasets
from ..nn import functional as F
from ..random import manual_seed
from ..tensor import Tensor
from ..inspect.plots import faint_curves, figure_class
from . import seeds as S
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
TINY = dict(seeds=2, grid_points=41, steps=150)

CONFIDENT = 0.01        # "confidently wrong": p < 0.01 for a 1 (p > 0.99 for a 0)
MATCH_TOL = 1e-9        # float64 autograd against the closed forms
VANISH = 0.1            # MSE's gradient "vanishes": below this fraction of BCE's
CAUSE_MARGIN = 1.25     # the scaled start's smallest slowdown over the control's largest
MIN_WRONG = 0.05        # fewer confidently wrong samples than this cannot be blamed
THRESHOLDS = {"MATCH_TOL": MATCH_TOL, "VANISH": VANISH, "CONFIDENT": CONFIDENT,
              "CAUSE_MARGIN": CAUSE_MARGIN, "MIN_WRONG": MIN_WRONG}
PARAMETERS = 31         # Linear(30, 1): 30 weights and a bias
# Accepted values of run()'s parameters (checked by cr.lab.run before any work).
# The logit grid stays where float64 sigmoids are still distinguishable from 0 and 1
# to within exp(-1000); a target accuracy is a fraction of the training set.
RANGES = {"seeds": "[1, inf)", "logit_min": "[-1000, 1000]", "logit_max": "[-1000, 1000]",
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
    """One seed's race: both losses from the scaled init and both from the unscaled one."""
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


def slowdown(race: dict, steps: int) -> tuple[float | None, bool]:
    """MSE's steps to the target over BCE's, and whether that is only a lower bound (MSE
    never got there: it needed more than ``steps``). None when BCE never got there: the
    budget cannot compare them. A start already at the target counts as 1 step.

    >>> slowdown({"bce": {"steps_to_target": 20}, "mse": {"steps_to_target": 70}}, 300)
    (3.5, False)
    """
    b, m = race["bce"]["steps_to_target"], race["mse"]["steps_to_target"]
    if b is None:
        return None, False
    if m is None:
        return (steps + 1) / max(b, 1), True
    return max(m, 1) / max(b, 1), False


def _summary(races: list, steps: int) -> dict:
    """Per start (scaled, control): the per-seed slowdowns, steps and confidently wrong
    fractions, with their spreads over the seeds."""
    out = {}
    for label in ("scaled", "control"):
        pairs = [slowdown(r[label], steps) for r in races]
        slow = [v for v, _bound in pairs]
        wrong = [r[label]["confidently_wrong"] for r in races]
        bce = [r[label]["bce"]["steps_to_target"] for r in races]
        mse = [r[label]["mse"]["steps_to_target"] for r in races]
        out[label] = {
            "slowdown_per_seed": slow, "slowdown_is_lower_bound_per_seed":
                [bound for _v, bound in pairs],
            "slowdown": S.spread(slow), "bce_steps_per_seed": bce, "mse_steps_per_seed": mse,
            "confidently_wrong_per_seed": wrong, "confidently_wrong": S.spread(wrong)}
    return out


@recorded
def run(*, seed: int = 0, seeds: int = 5, logit_min: float = -10.0, logit_max: float = 10.0,
        grid_points: int = 401, init_scale: float = 10.0, lr: float = 0.5, steps: int = 300,
        target_accuracy: float = 0.95, progress: bool = False) -> Result:
    """Measure both losses' gradients on a grid, then race them on breast cancer from a
    scaled and an unscaled start, over seeds seed, seed + 1, ..."""
    if not logit_min < logit_max or grid_points < 2:
        raise ValueError(f"losses: need logit_min < logit_max and grid_points >= 2, got "
                         f"{logit_min}, {logit_max}, {grid_points}")
    seed_list = S.seed_list(seed, seeds)
    races = [training_race(s, init_scale, lr, steps, target_accuracy, progress)
             for s in seed_list]
    numbers = {"gradient": gradient_curves(logit_min, logit_max, grid_points),
               "seeds": seed_list, "training_per_seed": races,
               "race": _summary(races, steps), "init_scale": float(init_scale),
               "lr": lr, "steps": steps, "target_accuracy": target_accuracy,
               "parameters": PARAMETERS, "thresholds": dict(THRESHOLDS)}
    return Result(NAME, numbers=numbers, conclusion=conclude(numbers))


# ------------------------------------------------------------------ conclusion
def _gradient_sentences(g: dict, vanish: float, tol: float) -> list[str]:
    """Part (a): autograd against the formulas, and MSE's gradient where p is most wrong."""
    match = max(g["bce_max_abs_error"], g["mse_max_abs_error"]) <= tol
    sentence = (_("Autograd's dL/dz matches the formulas p - 1 (BCE) and 2(p - 1)p(1 - p) (MSE) "
                  "on {logits} logits (largest differences {bce:.1e} and {mse:.1e}).") if match
                else _("Autograd's dL/dz does NOT match the formulas p - 1 (BCE) and "
                       "2(p - 1)p(1 - p) (MSE) on {logits} logits (largest differences {bce:.1e} "
                       "and {mse:.1e})."))
    parts = [sentence.format(logits=len(g["logits"]), bce=g["bce_max_abs_error"],
                             mse=g["mse_max_abs_error"])]
    w = g["most_wrong"]
    ratio = abs(w["bce"]) / abs(w["mse"]) if w["mse"] else float("inf")
    if abs(w["mse"]) < vanish * abs(w["bce"]):
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
    return parts


def _slowdown_text(side: dict) -> str:
    """'3.8 (2.7-4.1)', with '>' before a seed's value when MSE never reached the target."""
    values = [f"{v:.2g}" if v is not None else _("none") for v in side["slowdown_per_seed"]]
    values = [f"> {v}" if bound else v
              for v, bound in zip(values, side["slowdown_is_lower_bound_per_seed"])]
    return ", ".join(values)


def _slowdown_spread(side: dict) -> str:
    """Mean (range) over the seeds; '> ' before it when some seed's is a lower bound."""
    text = S.spread_text(side["slowdown"], ".2g")
    return "> " + text if any(side["slowdown_is_lower_bound_per_seed"]) else text


def _race_sentences(numbers: dict) -> list[str]:
    """Part (b): the budget, both starts' slowdowns, and whether the scaled start slowed
    MSE beyond the seed spread (and, only then, what the numbers say about the cause)."""
    race, seeds = numbers["race"], numbers["seeds"]
    margin = S.threshold(numbers, "CAUSE_MARGIN", CAUSE_MARGIN)
    min_wrong = S.threshold(numbers, "MIN_WRONG", MIN_WRONG)
    confident = S.threshold(numbers, "CONFIDENT", CONFIDENT)
    scaled, control = race["scaled"], race["control"]
    parts = [_(
        "Race over seeds {seeds}: logistic regression ({parameters} parameters) trained with "
        "each loss from the same weights, {steps} full-batch gradient-descent steps at lr "
        "{lr:g} for both (the same rate is not the same step: MSE's dL/dz is 2p(1 - p) <= 1/2 "
        "times BCE's, so the unscaled start is the control); slowdown = MSE's steps to "
        "{target:.0%} training accuracy divided by BCE's, per seed.").format(
            seeds=", ".join(map(str, seeds)), parameters=numbers.get("parameters", PARAMETERS),
            steps=numbers["steps"], lr=numbers["lr"], target=numbers["target_accuracy"])]
    parts.append(_(
        "From the init scaled x{scale:g} ({wrong} of the training samples confidently wrong, "
        "p < {confident:g} for a 1 or > 1 - {confident:g} for a 0) the slowdown was "
        "{treated} (per seed {treated_seeds}); from the unscaled init ({control_wrong} "
        "confidently wrong) {control} (per seed {control_seeds}).").format(
            scale=numbers["init_scale"], confident=confident,
            wrong=S.spread_text(scaled["confidently_wrong"], ".0%"),
            control_wrong=S.spread_text(control["confidently_wrong"], ".0%"),
            treated=_slowdown_spread(scaled), treated_seeds=_slowdown_text(scaled),
            control=_slowdown_spread(control), control_seeds=_slowdown_text(control)))
    effect = effect_of(numbers)
    treated_values, control_values = scaled["slowdown_per_seed"], control["slowdown_per_seed"]
    few = [w < min_wrong for w in scaled["confidently_wrong_per_seed"]]
    if effect == "no comparison":
        never = [v is None for v in treated_values + control_values]
        parts.append(_("BCE never reached the target in {k} of the {n} races, so this budget "
                       "cannot compare the losses: the effect did not show.").format(
            k=sum(never), n=len(never)))
    elif effect == "control unbounded":
        parts.append(_("From the unscaled init MSE never reached the target {where}, so the "
                       "control's slowdown has no upper bound: the effect did not show.").format(
            where=S.in_seeds(control["slowdown_is_lower_bound_per_seed"])))
    elif effect == "shows":
        parts.append(_(
            "The scaled start slowed MSE beyond the seed spread: its smallest slowdown, "
            "{low:.2g}, is at least CAUSE_MARGIN = {margin:g} times the control's largest, "
            "{high:.2g} (the two ranges over seeds do not meet).").format(
                low=min(treated_values), high=max(control_values), margin=margin))
    else:
        parts.append(_(
            "The scaled start's smallest slowdown, {low:.2g}, is not CAUSE_MARGIN = {margin:g} "
            "times the control's largest, {high:.2g}: the two starts do not differ beyond the "
            "seed spread, so the effect of a saturated start on MSE did not show.").format(
                low=min(treated_values), high=max(control_values), margin=margin))
    parts.append(_cause_sentence(effect, few, scaled, min_wrong))
    return parts


def effect_of(numbers: dict) -> str:
    """Did the scaled start slow MSE (relative to BCE) more than the control did, beyond
    the seed spread? "shows" when the scaled start's smallest slowdown (a lower bound where
    MSE never got there) is at least CAUSE_MARGIN times the control's largest; "absent"
    when not; "no comparison" when BCE never reached the target somewhere; "control
    unbounded" when the control's MSE never did (its slowdown has no upper bound)."""
    race = numbers["race"]
    margin = S.threshold(numbers, "CAUSE_MARGIN", CAUSE_MARGIN)
    treated, control = race["scaled"]["slowdown_per_seed"], race["control"]["slowdown_per_seed"]
    if any(v is None for v in treated + control):
        return "no comparison"
    if any(race["control"]["slowdown_is_lower_bound_per_seed"]):
        return "control unbounded"
    return "shows" if min(treated) >= margin * max(control) else "absent"


def _cause_sentence(effect: str, few: list, scaled: dict, min_wrong: float) -> str:
    """Blame the confidently wrong samples only when the effect showed and every seed's
    scaled start had at least MIN_WRONG of them."""
    least = min(scaled["confidently_wrong_per_seed"])
    if effect == "shows" and not any(few):
        return _("In every seed at least {min_wrong:.0%} of the samples started confidently "
                 "wrong, and squared error lost far more to that start than cross-entropy did: "
                 "consistent with its gradient vanishing on those samples, as the lectures "
                 "say.").format(min_wrong=min_wrong)
    if effect == "shows":
        return _("But {where} fewer than {min_wrong:.0%} of the samples started confidently "
                 "wrong (as few as {least:.0%}) and MSE was slowed there as well: the slowdown "
                 "comes from the large logits of the scaled start, not from the confidently "
                 "wrong samples alone.").format(where=S.in_seeds(few), min_wrong=min_wrong,
                                                least=least)
    if any(few):
        return _("The scaled start had fewer than {min_wrong:.0%} confidently wrong samples "
                 "{where} (as few as {least:.0%}), so this run says nothing about what such "
                 "samples do to MSE.").format(where=S.in_seeds(few), min_wrong=min_wrong,
                                              least=least)
    return _("Nothing here blames the confidently wrong samples: the effect they would cause "
             "did not show.")


def conclude(numbers: dict) -> str:
    g = numbers["gradient"]
    thresholds = S.thresholds(numbers, THRESHOLDS)
    parts = _gradient_sentences(g, thresholds["VANISH"], thresholds["MATCH_TOL"])
    parts += _race_sentences(numbers)
    parts.append(S.thresholds_text(thresholds))
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

    races = n["training_per_seed"]
    first = races[0]
    fig_a = Figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig_a.subplots()
    for loss, label in (("bce", "BCE"), ("mse", "MSE")):
        # the other seeds, faint: how much the curves vary
        faint_curves(ax, [r["scaled"][loss]["accuracy"] for r in races[1:]], colors[loss],
                     start=0)
        faint_curves(ax, [r["control"][loss]["accuracy"] for r in races[1:]], colors[loss],
                     start=0, ls="--", alpha=0.2)
        reached = first["scaled"][loss]["steps_to_target"]
        when = (_("{target:.0%} never reached") if reached is None
                else _("{target:.0%} at step {step}")).format(target=n["target_accuracy"],
                                                              step=reached)
        ax.plot(first["scaled"][loss]["accuracy"], color=colors[loss], lw=2,
                label=_("{loss}, init x{scale:g} ({when})").format(
                    loss=label, scale=first["scaled"]["init_scale"], when=when))
        ax.plot(first["control"][loss]["accuracy"], color=colors[loss], lw=1, ls="--",
                alpha=0.7, label=_("{loss}, unscaled init").format(loss=label))
        if reached is not None:
            ax.plot([reached], [first["scaled"][loss]["accuracy"][reached]], "o",
                    color=colors[loss], ms=6)
    ax.axhline(n["target_accuracy"], color="0.5", lw=0.8, ls=":")
    ax.set_xlabel(_("gradient-descent step"))
    ax.set_ylabel(_("training accuracy"))
    ax.set_ylim(0, 1.01)
    seeds = n["seeds"]
    ax.set_title((_("Logistic regression on breast cancer, lr {lr:g}, same start; seed "
                    "{first} bold, the other seeds ({others}) faint") if len(seeds) > 1 else
                  _("Logistic regression on breast cancer, lr {lr:g}, same start")).format(
        lr=n["lr"], first=seeds[0], others=", ".join(map(str, seeds[1:]))),
        fontsize=8)
    ax.legend(loc="lower right", fontsize=8)
    return {"gradient": fig_g, "accuracy": fig_a}
