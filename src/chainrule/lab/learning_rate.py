"""A learning-rate sweep: too small, good, unstable and diverging rates side by side.

The same small network (an MLP 30-16-16-1 with tanh, Xavier init, 785 parameters, the
same weights for every rate) is trained on breast cancer with plain full-batch gradient
descent (``optim.SGD`` without momentum, ``batch_size=None``: one update per step, no
sampling noise, so every wiggle in a curve comes from the rate) for the same number of
steps (200), once per learning rate, over ``seeds`` seeds (5 by default: seed, seed + 1,
...; a seed sets the weights). Each rate gets, in each seed, a verdict read from its own
loss curve:

- diverged: the loss became NaN/inf (``fit`` raises ``NonFiniteLossError``), or ended
  above its starting value, or blew up (peak > BLOWUP = 10 x the start) and never came
  back below RECOVER = 0.5 x the start;
- unstable: otherwise, if it oscillated (the loss rose -- by more than RISE_TOL = 1e-7 of
  the start -- on more than RISE_FRACTION = 5% of the steps) or spiked (peak > SPIKE =
  1.5 x the start);
- too small: a stable curve still crawling at the end: its last quarter of the steps
  removed more than TAIL_SHARE = 2% of its whole decrease (a straight line removes 25%;
  a converged curve almost nothing; on breast cancer lr 0.01 removes 2.5-7%, lr 0.1
  0.6-1.4%);
- good: a stable curve that converged (the rest).
The best rate of a seed is the one with the lowest final loss that did not diverge; it
is never called too small (if its curve is still falling, the conclusion says so: the
sweep or the budget stops short), and when it is unstable the conclusion says that it
still ended lowest. The conclusion gives each rate's verdict "in k of n seeds", the final
losses as mean (range) over the seeds, and which rate was best in how many seeds.

Default run (6 rates x 5 seeds, 200 steps each): measured 4-5 s on a busy shared 2-core
machine, 0.35 s a seed at width 16 (at width 64 keep BLAS to one thread: multi-threaded
OpenBLAS made one 200-step run take 20 s instead of 0.2 s on the busy machine).
"""
from __future__ import annotations

import math
from collections import Counter

import numpy as np

from .. import nn, optim
from ..data import datasets
from ..nn import functional as F
from ..random import manual_seed
from ..inspect.plots import faint_curves, figure_class
from . import seeds as S
from .harness import parameter_count, recorded, train
from .result import Result
from ..i18n import N_, _

NAME = "learning-rate"
TITLE = N_("A learning-rate sweep: too small crawls, too large oscillates or diverges")
CAPTIONS = {   # figure id -> caption, shown under the figure in the report
    "loss": N_(
        "The training loss per step for each learning rate: the same network, start and "
        "number of steps."),
}
TINY = dict(seeds=2, lrs=(0.001, 1.0, 100.0), steps=40)

BLOWUP = 10.0           # peak / start above which a curve "blew up"
RECOVER = 0.5           # a blown-up curve that ends above this x its start diverged
SPIKE = 1.5             # peak / start above which a curve is unstable
RISE_FRACTION = 0.05    # fraction of rising steps above which a curve is unstable
RISE_TOL = 1e-7         # a step "rises" when the loss grows by more than this x the start
TAIL_SHARE = 0.02       # "too small": the last quarter still removed this much of the decrease
THRESHOLDS = {"BLOWUP": BLOWUP, "RECOVER": RECOVER, "SPIKE": SPIKE,
              "RISE_FRACTION": RISE_FRACTION, "RISE_TOL": RISE_TOL, "TAIL_SHARE": TAIL_SHARE}
VERDICTS = ("too small", "good", "unstable", "diverged")
# Accepted values of run()'s parameters (checked by cr.lab.run before any work).
RANGES = {"seeds": "[1, inf)", "lrs": "(0, inf)", "steps": "[1, inf)", "width": "[1, inf)",
          "activation": ("sigmoid", "tanh", "relu", "leaky_relu")}


def _curve(lr: float, X, y, steps: int, width: int, activation: str, seed: int,
           progress: bool) -> dict:
    """Train from the seed's weights; the loss before each step and after the last."""
    manual_seed(seed)
    model = nn.mlp(X.shape[1], 1, depth=2, width=width, activation=activation)
    parameters = parameter_count(model)
    t = train(model, F.binary_cross_entropy_with_logits, optim.SGD(model.parameters(), lr=lr),
              (X, y), steps, batch_size=None, seed=seed, shuffle=False, progress=progress)
    losses = [float(v) for v in t.history.step_loss]
    if t.diverged:
        losses.append(float(t.error.loss))
        return {"loss": losses, "non_finite": True, "non_finite_step": len(losses) - 1,
                "parameters": parameters}
    return {"loss": losses + [t.train_loss], "non_finite": not math.isfinite(t.train_loss),
            "non_finite_step": None, "parameters": parameters}


def _tail_share(loss: np.ndarray) -> float:
    """The share of the whole decrease (start - final) that the last quarter of the steps
    made: 0.25 for a straight line, ~0 for a curve that converged early."""
    total = loss[0] - loss[-1]
    if len(loss) < 2 or not total > 0:
        return 0.0
    quarter = len(loss) - 1 - (len(loss) - 1) // 4
    return float((loss[quarter] - loss[-1]) / total)


def _shape(loss: np.ndarray, non_finite: bool, t: dict) -> dict:
    """A curve's own measurements and its verdict before the ranking: diverged, unstable,
    "still falling" (too small, unless it is the best) or good."""
    finite = bool(np.all(np.isfinite(loss))) and not non_finite
    start, final = float(loss[0]), float(loss[-1])
    peak = float(np.max(loss)) if finite else float("inf")
    rises = float(np.mean(np.diff(loss) > t["RISE_TOL"] * max(start, 1e-12))) \
        if len(loss) > 1 else 0.0
    tail = _tail_share(loss) if finite else float("nan")
    if not finite or final > start or (peak > t["BLOWUP"] * start
                                       and final > t["RECOVER"] * start):
        verdict = "diverged"
    elif rises > t["RISE_FRACTION"] or peak > t["SPIKE"] * start:
        verdict = "unstable"
    else:
        verdict = "too small" if tail > t["TAIL_SHARE"] else "good"
    return {"start": start, "final": final if finite else float("nan"), "peak": peak,
            "peak_ratio": peak / start if start > 0 else float("inf"),
            "rising_fraction": rises, "tail_share": tail, "verdict": verdict}


def classify(curves: dict, steps: int, thresholds: dict | None = None) -> dict:
    """One seed's sweep. Per rate (keyed by its string): start, final, peak, peak_ratio,
    rising_fraction, tail_share and verdict, each from that rate's own curve; plus the
    best rate (lowest final loss among those that did not diverge), which is called good,
    not too small, when its curve is still falling (``still_falling``). ``curves`` maps
    the rate to {"loss": [...], "non_finite": bool}; ``steps`` is the budget.

    >>> classify({"0.1": {"loss": [1.0, 0.5, 0.4, 0.39, 0.39]}}, 4)["best_lr"]
    0.1
    """
    t = {**THRESHOLDS, **(thresholds or {})}
    out = {key: _shape(np.asarray(c["loss"], dtype=np.float64), c.get("non_finite", False), t)
           for key, c in curves.items()}
    candidates = [k for k, v in out.items() if v["verdict"] != "diverged"]
    best = min(candidates, key=lambda k: out[k]["final"]) if candidates else None
    for key, v in out.items():
        v["still_falling"] = v["verdict"] in ("too small", "good") and \
            v["tail_share"] > t["TAIL_SHARE"]
        if key == best and v["verdict"] == "too small":
            v["verdict"] = "good"        # the best of the sweep; the conclusion says it crawls
    return {"per_lr": out, "best_lr": None if best is None else float(best), "steps": steps}


def _majority(verdicts: list) -> str:
    """The verdict of most seeds; a tie goes to the first seed's among the tied."""
    counts = Counter(verdicts)
    top = max(counts.values())
    return next(v for v in verdicts if counts[v] == top)


def _per_rate(key: str, sweeps: list, curves: list) -> dict:
    """One rate over the seeds: per-seed lists and spreads of its measurements."""
    d = [sw["per_lr"][key] for sw in sweeps]
    verdicts = [v["verdict"] for v in d]
    out = {f"{m}_per_seed": [v[m] for v in d]
           for m in ("final", "peak_ratio", "rising_fraction", "tail_share", "still_falling")}
    out.update({"start_per_seed": [v["start"] for v in d], "verdict_per_seed": verdicts,
                "verdict": _majority(verdicts),
                "non_finite_step_per_seed": [c[key]["non_finite_step"] for c in curves],
                "loss_per_seed": [c[key]["loss"] for c in curves]})
    for m in ("final", "peak_ratio", "rising_fraction", "tail_share"):
        out[m] = S.spread(out[f"{m}_per_seed"])
    out["start"] = S.spread(out["start_per_seed"])
    return out


@recorded
def run(*, seed: int = 0, seeds: int = 5,
        lrs: tuple[float, ...] = (0.001, 0.01, 0.1, 1.0, 10.0, 100.0),
        steps: int = 200, width: int = 16, activation: str = "tanh",
        progress: bool = False) -> Result:
    """Train the same network with each learning rate, over seeds seed, seed + 1, ...,
    and classify each loss curve."""
    lrs = tuple(float(v) for v in lrs)
    if not lrs or any(not v > 0 for v in lrs):
        raise ValueError(f"learning-rate: lrs must be positive numbers, got {lrs!r}")
    seed_list = S.seed_list(seed, seeds)
    X, _X_test, y, _y_test = datasets.breast_cancer(split=True)
    y = y.reshape(-1, 1).astype(np.float32)
    keys = [repr(lr) for lr in lrs]
    curves = [{key: _curve(lr, X, y, steps, width, activation, s, progress)
               for key, lr in zip(keys, lrs)} for s in seed_list]
    sweeps = [classify(c, steps) for c in curves]
    best_per_seed = [sw["best_lr"] for sw in sweeps]
    counts = Counter(b for b in best_per_seed if b is not None)
    best = max(counts, key=lambda b: (counts[b], -best_per_seed.index(b))) if counts else None
    per_lr = {key: _per_rate(key, sweeps, curves) for key in keys}
    numbers = {"lrs": list(lrs), "steps": steps, "width": width, "activation": activation,
               "parameters": curves[0][keys[0]]["parameters"], "seeds": seed_list,
               "per_lr": per_lr, "verdict": {k: v["verdict"] for k, v in per_lr.items()},
               "best_lr_per_seed": best_per_seed, "best_lr": best,
               "thresholds": dict(THRESHOLDS)}
    return Result(NAME, numbers=numbers, conclusion=conclude(numbers))


# ------------------------------------------------------------------ conclusion
# The verdicts' names, for extraction (the numbers keep them in English; _ translates them).
_VERDICTS = (N_("too small"), N_("good"), N_("unstable"), N_("diverged"))


def _where(d: dict, verdict: str) -> str:
    return S.in_seeds([v == verdict for v in d["verdict_per_seed"]])


def _fraction(s: dict) -> str:
    return S.spread_text(s, ".0%")


def _good_seeds(d: dict) -> list[bool]:
    return [v == "good" for v in d["verdict_per_seed"]]


def _describe(key: str, d: dict) -> str:
    """One rate over the seeds: its majority verdict (in k of n seeds), the other seeds'
    verdicts, and the measurement behind the verdict as mean (range)."""
    v, values = d["verdict"], dict(lr=f"{float(key):g}", final=S.spread_text(d["final"]))
    values["where"] = _where(d, v)
    if v == "diverged":
        text = _("lr {lr} diverged {where} (peak {peak} times the start, final loss "
                 "{final})").format(peak=S.spread_text(d["peak_ratio"]), **values)
    elif v == "unstable":
        text = _("lr {lr} was unstable {where} (the loss rose on {rising} of the steps and "
                 "peaked at {peak} times its start; final loss {final})").format(
            rising=_fraction(d["rising_fraction"]), peak=S.spread_text(d["peak_ratio"]),
            **values)
    elif v == "too small":
        text = _("lr {lr} was too small {where} (still crawling: the last quarter of the steps "
                 "removed {tail} of its decrease; final loss {final})").format(
            tail=_fraction(d["tail_share"]), **values)
    elif any(g and f for g, f in zip(_good_seeds(d), d["still_falling_per_seed"])):
        # good only as the sweep's best: its own curve had not converged
        text = _("lr {lr} was good {where} (still falling {falling}, where it was the "
                 "sweep's best: the last quarter of the steps removed {tail} of its decrease; "
                 "final loss {final})").format(
            falling=S.in_seeds([g and f for g, f in zip(_good_seeds(d),
                                                        d["still_falling_per_seed"])]),
            tail=_fraction(d["tail_share"]), **values)
    else:
        text = _("lr {lr} was good {where} (it converged: the last quarter of the steps "
                 "removed {tail} of its decrease; final loss {final})").format(
            tail=_fraction(d["tail_share"]), **values)
    others = [o for o in VERDICTS if o != v and o in d["verdict_per_seed"]]
    if others:
        text = _("{text}, and {others}").format(text=text, others=", ".join(
            _("{verdict} {where}").format(verdict=_(o), where=_where(d, o)) for o in others))
    return text


def _best_sentences(numbers: dict) -> list[str]:
    """Which rate was best in how many seeds, and what its own curve says about it."""
    best, per_seed, steps = numbers["best_lr"], numbers["best_lr_per_seed"], numbers["steps"]
    if best is None:
        return [_("Every rate diverged in every seed: no good rate in this sweep.")]
    d = numbers["per_lr"][repr(float(best))]
    won = [b == best for b in per_seed]
    parts = [_("The best rate (the lowest final loss among the rates that did not diverge) was "
               "{lr:g} {where} (final loss {final}).").format(
        lr=best, where=S.in_seeds(won), final=S.spread_text(d["final"]))]
    others = sorted({b for b in per_seed if b != best}, key=lambda b: per_seed.index(b))
    if others:
        parts.append(_("In the other seeds it was {others}.").format(others=", ".join(
            _("no rate (all diverged)") if b is None else f"{b:g}" for b in others)))
    # What each seed's best rate's own curve says: unstable yet lowest, or still falling.
    own = [None if b is None else numbers["per_lr"][repr(float(b))] for b in per_seed]
    unstable = [o is not None and o["verdict_per_seed"][i] == "unstable"
                for i, o in enumerate(own)]
    if any(unstable):
        parts.append(_("The seed's best rate was unstable {where} ({rates}): its loss peaked at "
                       "up to {peak:.3g} times its start, yet recovered within the {steps} "
                       "steps and still ended lowest; a lowest final loss does not mean a "
                       "smooth curve.").format(
            where=S.in_seeds(unstable), steps=steps,
            rates=", ".join(sorted({f"lr {per_seed[i]:g}" for i, u in enumerate(unstable) if u})),
            peak=max(o["peak_ratio_per_seed"][i] for i, o in enumerate(own) if unstable[i])))
    falling = [o is not None and o["still_falling_per_seed"][i] for i, o in enumerate(own)]
    if any(falling):
        parts.append(_("The seed's best rate was still falling at the end {where}: a larger "
                       "rate or more steps may do better than this sweep shows.").format(
            where=S.in_seeds(falling)))
    return parts


def _regime_sentence(numbers: dict) -> str:
    """Whether each regime showed in every seed (some rate too small, some good and
    converged, some unstable or diverged)."""
    per_lr = numbers["per_lr"].values()
    n = len(numbers["seeds"])
    seen = [{d["verdict_per_seed"][i] for d in per_lr} for i in range(n)]
    small = [("too small" in s) for s in seen]
    good = [any(d["verdict_per_seed"][i] == "good" and not d["still_falling_per_seed"][i]
                for d in per_lr) for i in range(n)]      # a good rate that converged
    large = [bool({"unstable", "diverged"} & s) for s in seen]
    if S.holds(small) and S.holds(good) and S.holds(large):
        return _("All three regimes show {where}: too small a rate crawls, a good one "
                 "converges, too large a one oscillates or diverges.").format(
            where=S.in_seeds(small))
    return _("Not every regime showed in every seed: a too-small rate showed {small}, a good "
             "one {good}, a too-large one (unstable or diverged) {large}; widen the sweep to "
             "see all three.").format(small=S.in_seeds(small), good=S.in_seeds(good),
                                      large=S.in_seeds(large))


def conclude(numbers: dict) -> str:
    t = S.thresholds(numbers, THRESHOLDS)
    keys = [repr(float(v)) for v in numbers["lrs"]]
    parts = [_("Over seeds {seeds}: the same MLP ({parameters} parameters, width {width}, "
               "{activation}) from each seed's weights, {steps} full-batch gradient-descent "
               "steps for every rate: {rates}.").format(
        seeds=", ".join(map(str, numbers["seeds"])), parameters=numbers["parameters"],
        width=numbers["width"], activation=numbers["activation"], steps=numbers["steps"],
        rates="; ".join(_describe(k, numbers["per_lr"][k]) for k in keys))]
    parts += _best_sentences(numbers)
    parts.append(_regime_sentence(numbers))
    parts.append(S.thresholds_text(t))
    return " ".join(parts)


# ------------------------------------------------------------------------ figures
STYLES = {"too small": "--", "good": "-", "unstable": "-.", "diverged": ":"}


def plot(result: Result) -> dict:
    Figure = figure_class()   # (a clear error when matplotlib is missing)
    # matplotlib is optional: imported only when a figure is drawn
    from matplotlib import colormaps

    n = result.numbers
    fig = Figure(figsize=(7.5, 4.6), layout="constrained")
    ax = fig.subplots()
    keys = [repr(float(v)) for v in n["lrs"]]
    best = None if n["best_lr"] is None else repr(float(n["best_lr"]))
    cmap = colormaps["plasma"]
    for i, key in enumerate(keys):
        d = n["per_lr"][key]
        verdict = d["verdict"]
        color = cmap(0.85 * i / max(len(keys) - 1, 1))
        faint_curves(ax, d["loss_per_seed"][1:], color, start=0, ls=STYLES.get(verdict, "-"))
        loss = np.asarray(d["loss_per_seed"][0], dtype=np.float64)
        shown = np.where(np.isfinite(loss), loss, np.nan)
        label = (_("lr {lr:g}: {verdict} (best)") if key == best else
                 _("lr {lr:g}: {verdict}")).format(lr=float(key), verdict=_(verdict))
        ax.plot(np.arange(len(loss)), shown, color=color, ls=STYLES.get(verdict, "-"),
                lw=2.6 if key == best else 1.6, label=label)
        k = d["non_finite_step_per_seed"][0]
        if k is not None and k > 0:
            ax.plot([k - 1], [np.nanmax(shown[:k])], "x", color=color, ms=9, mew=2)
    ax.set_yscale("log")
    ax.set_xlabel(_("gradient-descent step (full batch)"))
    ax.set_ylabel(_("training loss (BCE, log scale)"))
    seeds = n["seeds"]
    ax.set_title((_("Learning-rate sweep: the same network and start, {steps} steps each; "
                    "seed {first} bold, the other seeds ({others}) faint") if len(seeds) > 1 else
                  _("Learning-rate sweep: the same network and start, {steps} steps "
                    "each")).format(steps=n["steps"], first=seeds[0],
                                    others=", ".join(map(str, seeds[1:]))),
                 fontsize=9)
    ax.legend(fontsize=8, loc="best")
    return {"loss": fig}
