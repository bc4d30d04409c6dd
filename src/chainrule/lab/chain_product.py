"""The chain rule in the lectures' network, factor by factor, as the engine computes it.

The network is the vanishing experiment's (``vanishing.build``): ``layers`` = 10 Linear
layers of width 32 with a sigmoid after each -- the tenth sigmoid is the output
probability a_L -- and the binary cross-entropy J, on a batch of ``batch_size`` tumours
drawn (by seed) from the breast-cancer training set. In the lectures' notation
p_k = a_(k-1) W_k + b_k, a_k = f(p_k), a_0 = x, so for one weight theta_1 = W_1[i, j_1]

    dJ/dtheta_1 = dJ/da_L * sigma'(p_L) * dp_L/da_(L-1) * ... * sigma'(p_1) * dp_1/dtheta_1,

one factor f'(p_k) <= 1/4 and one weight factor per layer. A forward pass with every p_k
and a_k kept, one backward pass, and ``cr.grad`` for each factor give:

- ``path``: one weight path, for the batch's first example n. Its units: at each hidden
  layer the unit j_k with the largest |dJ/dp_k[n, j]| (where the most gradient passes),
  in the network with skip connections one unit j (the largest |dJ/dp_1[n, j]|) kept
  through every residual block, i.e. along the shortcuts; i is the input feature with the
  largest |x[n, i]|. Per layer: f'(p_k[n, j_k]), its bound, the weight factor
  dp_k[j_k]/da_(k-1)[j_(k-1)] = W_k[j_(k-1), j_k] (dp_1/dtheta_1 = x[n, i] at layer 1),
  the layer's factor (their product; in a residual block da_k/da_(k-1) = 1 + F',
  F' = f'(p_k) W_k[j, j]), the running product and, beside it, the whole gradient autograd
  gives at the same place. One path is one term: the gradient is the sum over every path
  (width^(L-1) of them per example) and every example.
- the whole gradient as a chain of Jacobian-vector products, dJ/dp_k = dJ/da_k * f'(p_k)
  and dJ/da_(k-1) = dJ/dp_k W_k^T (+ dJ/da_k through a shortcut), from the engine's
  dJ/da_L = dBCE/dsigma and factors f'(p_k): it must reproduce autograd's gradient at
  every layer (``chain_error_float64``, and in float32 ``chain_error_float32``).
- ``per_layer``: ||dJ/da_(k-1)|| / ||dJ/da_k|| split into the derivative factor
  ||dJ/dp_k|| / ||dJ/da_k|| (at most max f' = 1/4 for sigmoid) and the weight factor
  ||dJ/dp_k W_k^T|| / ||dJ/dp_k||, and the mean f'(p_k); their geometric means over the
  hidden layers 2 .. L-1 (width to width) say which factor shrinks the gradient, and by
  how much per layer; ``kept_hidden`` = ||dJ/da_1|| / ||dJ/da_(L-1)||, their product, and
  ``kept_total`` = ||dJ/da_0|| / ||dJ/da_L||, from the loss to the input.

The same is measured for ReLU (its factors are 0 or 1) and with skip connections.

Seeds: everything is measured for ``seeds`` seeds (seed, seed + 1, ...; 3 by default), each
its own initialisation and batch (the same for every network). The factors of
``OVER_SEEDS`` are reported as the mean over seeds (``kept_hidden`` ...), per seed
(``*_per_seed``) and as a spread (``*_spread``); the chain errors are the worst seed's; the
path and the per-layer lists are the first seed's (the figure adds the seeds' range of the
whole gradient). Thresholds (``numbers["thresholds"]``, printed): VANISHED = 1e-2
(vanishing's: the share of the gradient kept through the hidden layers below which it has
vanished), SATURATED = 0.025 (a mean output sigma' below it: saturated), TOLERANCE_FLOAT64 =
1e-10 and TOLERANCE_FLOAT32 = 1e-4 (the chain against autograd, relative). A claim is made
when it holds in every seed, else the conclusion says in how many. Nothing is trained.

Default run (3 networks x 3 seeds, float64 and float32): about 4 s; the tiny run (width 8,
2 seeds) about 1 s.
"""
from __future__ import annotations

import math

import numpy as np

from .. import autograd
from .. import ops
from .. import random as _random
from ..data.datasets import breast_cancer
from ..inspect.plots import ACTIVATION_COLOURS, figure_class, plot_gradient_norms
from ..nn import functional as F
from ..nn.blocks import Residual
from ..nn.layers import Linear
from ..tensor import Tensor
from . import seeds as _seeds
from .harness import recorded
from .result import Result
from .vanishing import LABELS, VANISHED, build
from ..i18n import N_, _

NAME = "chain-product"
TITLE = N_("The chain rule factor by factor: in 10 sigmoid layers each σ′ ≤ 1/4 shrinks the "
           "gradient; ReLU's 0/1 and skip connections' 1 + F′ do not")
CAPTIONS = {   # figure id -> caption, shown under the figure in the report
    "product": N_(
        "Left: the running product of the chain rule's factors along one weight path, from "
        "the loss down to layer 1; right: the norm of the whole gradient dJ/da reaching each "
        "layer, as a fraction of dJ/da_L. Dotted: (1/4)^m, the most that m sigmoid factors "
        "leave (log scale)."),
}
TINY = {"width": 8, "batch_size": 16, "seeds": 2}
NETWORKS = ("sigmoid", "relu", "sigmoid+skip")
BOUND = {"sigmoid": 0.25, "tanh": 1.0, "relu": 1.0, "leaky_relu": 1.0}   # max f'(p)
TOLERANCE = {"float64": 1e-10, "float32": 1e-4}   # chain vs autograd, relative
TOLERANCE_FLOAT64, TOLERANCE_FLOAT32 = TOLERANCE["float64"], TOLERANCE["float32"]
SATURATED = 0.025     # a mean output sigma' below a tenth of its bound: saturated
THRESHOLDS = {"VANISHED": VANISHED, "SATURATED": SATURATED,
              "TOLERANCE_FLOAT64": TOLERANCE_FLOAT64, "TOLERANCE_FLOAT32": TOLERANCE_FLOAT32}
# The per-network measurements reported as their mean over seeds, per seed and spread.
OVER_SEEDS = ("kept_hidden", "kept_total", "ratio_geomean", "derivative_factor_geomean",
              "weight_factor_geomean", "mean_derivative", "output_derivative", "loss")
# Accepted values of run()'s parameters (checked by cr.lab.run before any work). The
# batch is drawn from the 455 training tumours.
RANGES = {"seeds": "[1, inf)", "layers": "[2, 1000]", "width": "[1, 4096]", "batch_size": "[1, 455]",
          "networks": tuple(LABELS)}
# What a sweep plots, and the depth from which the sigmoid network's gradient vanishes.
SWEEP = {
    "numbers": ("per_network.sigmoid.kept_hidden", "per_network.sigmoid.derivative_factor_geomean",
                "per_network.sigmoid.weight_factor_geomean", "per_network.relu.kept_hidden"),
    "thresholds": ({"number": "per_network.sigmoid.kept_hidden", "below": VANISHED,
                    "over": "layers",
                    "what": "the share of the gradient the sigmoid network keeps through "
                            "its hidden layers"},),
}


# ------------------------------------------------------------ the forward pass, kept
class _Layer:
    """Linear layer k of the walk: p_k, h_k = f(p_k), a_k (h_k, or h_k + a_(k-1) in a
    residual block), W_k, the activation's name."""

    def __init__(self, p, h, a, weight, residual: bool, activation: str) -> None:
        self.p, self.h, self.a, self.weight = p, h, a, weight
        self.residual, self.activation = residual, activation


def _activation_name(module) -> str:
    return {"Sigmoid": "sigmoid", "Tanh": "tanh", "ReLU": "relu",
            "LeakyReLU": "leaky_relu"}.get(type(module).__name__, type(module).__name__)


def walk(model, x: Tensor) -> list[_Layer]:
    """model(x) one Linear layer at a time, keeping every p_k and a_k (their gradients
    retained); the last layer's sigmoid -- the output probability a_L -- is applied here,
    so that dJ/da_L = dBCE/dsigma is one of the factors."""
    out, a, pending = [], x, None
    for module in model:
        if isinstance(module, Linear):
            pending = (module(a), module.weight)
        elif isinstance(module, Residual):
            linear, act = module.block
            p = linear(a)
            h = act(p)
            a = h + a
            out.append(_Layer(p, h, a, linear.weight, True, _activation_name(act)))
        else:
            p, weight = pending
            a = h = module(p)
            out.append(_Layer(p, h, a, weight, False, _activation_name(module)))
    p, weight = pending
    a = ops.sigmoid(p)
    out.append(_Layer(p, a, a, weight, False, "sigmoid"))
    for layer in out:
        layer.p.retain_grad()
        layer.a.retain_grad()
    return out


def _derivative(layer: _Layer) -> np.ndarray:
    """f'(p_k) at every entry, by the engine: the gradient of h_k = f(p_k) with respect to
    p_k, seeded with ones (f is elementwise, so this is its derivative at each entry)."""
    (d,) = autograd.grad(layer.h, layer.p, grad_outputs=np.ones_like(layer.h.data),
                         retain_graph=True)
    return d.data.astype(np.float64)


def _entry(output: Tensor, wrt: Tensor, at: tuple, pick: tuple) -> float:
    """d output[at] / d wrt[pick], by the engine (one-hot seed at ``at``)."""
    seed = np.zeros_like(output.data)
    seed[at] = 1
    (g,) = autograd.grad(output, wrt, grad_outputs=seed, retain_graph=True)
    return float(g.data[pick])


# ------------------------------------------------------------ measurements
def measure(model, X: np.ndarray, y: np.ndarray, example: int = 0) -> dict:
    """The chain rule's factors for model on the batch (X, y): the path of ``example``,
    the chain of Jacobian-vector products against autograd, the per-layer split. Works in
    the model's dtype (float64 for the checks)."""
    dtype = model[0].weight.dtype
    x = Tensor(X.astype(dtype), requires_grad=True)
    layers = walk(model, x)
    loss = F.binary_cross_entropy(layers[-1].a, Tensor(y.astype(dtype).reshape(-1, 1)))
    loss.backward(retain_graph=True)
    fprime = [_derivative(layer) for layer in layers]
    numbers = {"loss": float(loss.data)}
    numbers.update(_chain_check(layers, fprime, x))
    numbers.update(_per_layer(layers, fprime, x))
    numbers.update(_path(layers, fprime, x, model[0].weight, example))
    return numbers


def _grad(t: Tensor) -> np.ndarray:
    return t.grad.data.astype(np.float64)


def _relative(a: np.ndarray, b: np.ndarray) -> float:
    scale = float(np.max(np.abs(b)))
    return float(np.max(np.abs(a - b)) / scale) if scale > 0 else float(np.max(np.abs(a)))


def _chain_check(layers, fprime, x) -> dict:
    """dJ/da_L (the engine's dBCE/dsigma) carried down layer by layer, dJ/dp_k = dJ/da_k *
    f'(p_k), dJ/da_(k-1) = dJ/dp_k W_k^T (+ dJ/da_k through a shortcut), compared with
    autograd's dJ/dp_k, dJ/da_(k-1) and dJ/dW_1: the largest relative difference."""
    g = _grad(layers[-1].a)
    worst = 0.0
    for k in range(len(layers) - 1, -1, -1):
        layer = layers[k]
        delta = g * fprime[k]
        worst = max(worst, _relative(delta, _grad(layer.p)))
        g = delta @ layer.weight.data.astype(np.float64).T + (g if layer.residual else 0)
        below = layers[k - 1].a if k else x
        worst = max(worst, _relative(g, _grad(below)))
    dW1 = x.data.astype(np.float64).T @ (_grad(layers[0].a) * fprime[0])
    worst = max(worst, _relative(dW1, _grad(layers[0].weight)))
    return {"chain_error": worst}


def _per_layer(layers, fprime, x) -> dict:
    """Per layer (1 = input side): ||dJ/da_(k-1)|| / ||dJ/da_k|| and its two factors."""
    def norm(a):
        return float(np.linalg.norm(a))

    sigma, weight, ratio, mean_d, kept = [], [], [], [], []
    top = norm(_grad(layers[-1].a))
    for k, layer in enumerate(layers):
        upstream, delta = norm(_grad(layer.a)), norm(_grad(layer.p))
        below = norm(_grad(layers[k - 1].a if k else x))
        branch = norm(_grad(layer.p) @ layer.weight.data.astype(np.float64).T)
        sigma.append(_ratio(delta, upstream))
        weight.append(_ratio(branch, delta))
        ratio.append(_ratio(below, upstream))
        mean_d.append(float(fprime[k].mean()))
        kept.append(_ratio(below, top))
    # The per-layer means are over the hidden layers 2 .. L-1, width to width: the ones a
    # skip connection wraps and that a deeper network adds (layer 1 maps the 30 features,
    # layer L gives the one logit, so their weight factors are not comparable).
    inner = slice(1, len(layers) - 1) if len(layers) > 2 else slice(None)
    return {
        "kept_total": kept[0],
        "kept_hidden": (_ratio(norm(_grad(layers[0].a)), norm(_grad(layers[-2].a)))
                        if len(layers) > 2 else kept[0]),
        "ratio_geomean": _geomean(ratio[inner]),
        "derivative_factor_geomean": _geomean(sigma[inner]),
        "weight_factor_geomean": _geomean(weight[inner]),
        "mean_derivative": float(np.mean(mean_d[inner])),
        "output_derivative": mean_d[-1],
        "per_layer": {"derivative_factor_per_layer": sigma, "weight_factor_per_layer": weight,
                      "ratio_per_layer": ratio, "mean_derivative_per_layer": mean_d,
                      "grad_norm_kept": kept},
    }


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else math.nan


def _geomean(values) -> float:
    v = np.asarray(values, dtype=np.float64)
    if np.any(v == 0):
        return 0.0                       # a factor of exactly 0 (a ReLU layer all off)
    if v.size == 0 or not np.all(v > 0):
        return math.nan
    return float(np.exp(np.mean(np.log(v))))


def _units(layers, n: int) -> list[int]:
    """The path's unit j_k at each layer k (1-based list index k-1): see the module's
    docstring. The output layer has the single unit 0."""
    # |dJ/dp_k| is 0 at a unit whose derivative is 0 (an inactive ReLU): the path avoids it
    hidden = [int(np.argmax(np.abs(_grad(layer.p)[n]))) for layer in layers[:-1]]
    if any(layer.residual for layer in layers):
        hidden = [hidden[0]] * len(hidden)     # along the shortcuts: the same unit
    return hidden + [0]


def _path(layers, fprime, x, weight_1, n: int) -> dict:
    """The factors along one path for example n, from the loss down to theta_1."""
    units = _units(layers, n)
    X = x.data.astype(np.float64)
    i = int(np.argmax(np.abs(X[n])))
    dbce = float(_grad(layers[-1].a)[n, 0])
    product, derivatives, records = dbce, 1.0, []
    for k in range(len(layers) - 1, -1, -1):
        layer, j = layers[k], units[k]
        d = float(fprime[k][n, j])
        if k == 0:                                    # dp_1/dtheta_1 = x[n, i]
            w = _entry(layer.p, weight_1, (n, j), (i, j))
            factor, whole = d * w, float(_grad(layer.p)[n, j] * X[n, i])
        else:
            below, j_below = layers[k - 1].a, units[k - 1]
            w = _entry(layer.p, below, (n, j), (n, j_below))
            # in a residual block the engine's da_k/da_(k-1) is 1 + f'(p_k) W_k[j, j]
            factor = (_entry(layer.a, below, (n, j), (n, j_below)) if layer.residual
                      else d * w)
            whole = float(_grad(below)[n, j_below])
        product *= factor
        derivatives *= d
        records.append({"layer": k + 1, "unit": j, "derivative": d,
                        "bound": BOUND.get(layer.activation, math.nan), "weight": w,
                        "shortcut": 1 if layer.residual else 0, "factor": factor,
                        "product": product, "autograd": whole,
                        "share": product / whole if whole else math.nan})
    bound = math.prod(r["bound"] for r in records)
    return {"dbce_dsigma": dbce, "theta": f"W1[{i}, {units[0]}]",
            "grad_theta": float(_grad(weight_1)[i, units[0]]),
            "path_product": product, "path_derivatives": derivatives, "path_bound": bound,
            "path_share": records[-1]["share"], "path": records}


# ------------------------------------------------------------ the experiment
def _batch(seed: int, batch_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X_train, _, y_train, _ = breast_cancer(split=True)
    idx = np.random.default_rng(seed).choice(len(X_train), size=batch_size, replace=False)
    return X_train[idx], y_train[idx].astype(np.float64), idx


def _network(name: str, seed: int, layers: int, width: int, dtype) -> object:
    _random.manual_seed(seed)
    return build(name, layers, width).to(dtype)


def _one(name: str, seed: int, layers: int, width: int, batch_size: int) -> dict:
    """One network, one seed (its own batch and initialisation), float64 and float32."""
    X, y, idx = _batch(seed, batch_size)
    numbers = measure(_network(name, seed, layers, width, np.float64), X, y)
    numbers["chain_error_float64"] = numbers.pop("chain_error")
    single = measure(_network(name, seed, layers, width, np.float32), X, y)
    numbers["chain_error_float32"] = single["chain_error"]
    numbers["paths_per_example"] = float(width) ** (layers - 1)
    numbers["example"], numbers["label"] = int(idx[0]), int(y[0])
    return numbers


def _summary(runs: list) -> dict:
    """One network over the seeds: the first seed's path numbers, each factor of
    OVER_SEEDS as the mean, per seed and spread, the chain errors as the worst seed's."""
    first = {k: v for k, v in runs[0].items() if k not in ("path", "per_layer")}
    for key in OVER_SEEDS:
        values = [r[key] for r in runs]
        spread = _seeds.spread(values)
        first[key], first[key + "_per_seed"], first[key + "_spread"] = \
            spread["mean"], values, spread
    for key in ("chain_error_float64", "chain_error_float32"):
        first[key] = max(r[key] for r in runs)
    first["grad_norm_kept_per_seed"] = [r["per_layer"]["grad_norm_kept"] for r in runs]
    return first


@recorded
def run(*, seed: int = 0, seeds: int = _seeds.DEFAULT_SEEDS, layers: int = 10,
        width: int = 32, batch_size: int = 32, networks: tuple[str, ...] = NETWORKS,
        progress: bool = False) -> Result:
    """Measure the chain rule's factors in each network, for each of ``seeds`` seeds (each
    seed its own initialisation and batch of batch_size tumours, the same for every
    network), in float64 and, for the check, in float32. The path and per-layer lists
    are the first seed's; the factors are reported over all seeds."""
    if layers < 2:
        raise ValueError(f"chain-product: layers must be >= 2 (a first and a last), got "
                         f"{layers}")
    unknown = [a for a in networks if a not in LABELS]
    if not networks or unknown:
        raise ValueError(f"chain-product: networks must be a non-empty selection of "
                         f"{', '.join(LABELS)}; got {list(networks)}")
    seed_list = _seeds.seed_list(seed, seeds)
    per, paths, per_layer = {}, {}, {}
    for name in networks:
        runs = [_one(name, s, layers, width, batch_size) for s in seed_list]
        paths[name], per_layer[name] = runs[0]["path"], runs[0]["per_layer"]
        per[name] = _summary(runs)
    first = per[networks[0]]
    result = {"seeds": seed_list, "thresholds": dict(THRESHOLDS), "layers": layers,
              "width": width, "batch_size": batch_size, "example": first["example"],
              "label": first["label"], "networks": list(networks),
              "per_network": per, "path": paths, "per_layer": per_layer}
    return Result(NAME, numbers=result, conclusion=conclude(result))


# ------------------------------------------------------------ the conclusion
def _label(name: str) -> str:
    return _(LABELS[name]) if name in LABELS else name


def conclude(numbers: dict) -> str:
    per = numbers["per_network"]
    if not per:
        return _("No network was run, so there is nothing to conclude.")
    th = _seeds.thresholds(numbers, THRESHOLDS)
    seed_list = numbers.get("seeds", [0])
    parts = [(_("Over seeds {first}–{last} (each its own initialisation and batch of {batch} "
                "tumours) the factors are the mean (range); the path is seed {first}'s.")
              if len(seed_list) > 1 else _("Seed {first}: one initialisation and batch of "
                                           "{batch} tumours.")).format(
        first=seed_list[0], last=seed_list[-1], batch=numbers["batch_size"])]
    if "sigmoid" in per:
        parts.append(_path_sentence(numbers, per["sigmoid"], numbers["path"]["sigmoid"]))
    parts.append(_check_sentence(per, th))
    inner = _hidden_layers(numbers["layers"])
    for name, v in per.items():
        parts.append(_split_sentence(name, v, inner))
        if v["output_derivative"] < th["SATURATED"]:
            parts.append(_("Its output sigmoid is saturated: σ′(p_L) = {d:.2g} on average, "
                           "which alone shrinks the gradient that much before any hidden "
                           "layer.").format(d=v["output_derivative"]))
    if "sigmoid" in per:
        v = per["sigmoid"]
        flags = [k < th["VANISHED"] for k in _per_seed(v, "kept_hidden")]
        kept, total = _kept_text(v, "kept_hidden"), _kept_text(v, "kept_total")
        if _seeds.holds(flags):
            parts.append(_("Through the hidden layers {layers} the sigmoid network keeps "
                           "{kept} of the gradient (and {total} from the loss to the input), "
                           "below VANISHED {where}: the gradient vanishes.").format(
                layers=inner, kept=kept, total=total, where=_seeds.in_seeds(flags)))
        elif any(flags):
            parts.append(_("Through the hidden layers {layers} the sigmoid network keeps "
                           "{kept} of the gradient: below VANISHED only {where}, so the "
                           "vanishing gradient did not show in every seed.").format(
                layers=inner, kept=kept, where=_seeds.in_seeds(flags)))
        else:
            parts.append(_("The vanishing gradient did not show with sigmoid: through the "
                           "hidden layers {layers} it keeps {kept} of the gradient, not "
                           "below {bound:g}.").format(layers=inner, kept=kept,
                                                      bound=th["VANISHED"]))
    for name, v in per.items():
        if name != "sigmoid":
            parts.append(_remedy_sentence(name, v, numbers["path"][name], inner, th))
    parts.append(_seeds.thresholds_text(th))
    return " ".join(parts)


def _per_seed(v: dict, key: str) -> list:
    """A factor's per-seed values (one value in numbers saved before seeds were run)."""
    return v.get(key + "_per_seed", [v[key]])


def _kept_text(v: dict, key: str) -> str:
    spread = v.get(key + "_spread") or _seeds.spread([v[key]])
    return _seeds.spread_text(spread, ".2g")




def _hidden_layers(layers: int) -> str:
    """"2–9": the layers the per-layer means are over (all of them in a 2-layer net)."""
    return "2–{last}".format(last=layers - 1) if layers > 2 else "1–2"


def _path_sentence(numbers: dict, v: dict, path: list) -> str:
    hidden = [r["derivative"] for r in path]
    text = _("Along one path of the sigmoid network (example {example}, theta_1 = {theta}) "
             "the chain rule's factors are dBCE/dσ = {dbce:.3g}, then per layer σ′(p_k) "
             "between {low:.3f} and {high:.3f} times a weight; they multiply to "
             "{product:.3g}. The σ′ factors alone multiply to {derivatives:.3g}, within "
             "their bound (1/4)^{layers} = {bound:.3g}.").format(
        example=numbers["example"], theta=v["theta"], dbce=v["dbce_dsigma"], low=min(hidden),
        high=max(hidden), product=v["path_product"], derivatives=v["path_derivatives"],
        layers=len(hidden), bound=v["path_bound"])
    if v["path_derivatives"] > v["path_bound"] * (1 + 1e-12):
        text += " " + _("The bound did not show: the σ′ factors exceed it.")
    return text + " " + _("This one path is {share:.2g} of the example's dJ/dtheta_1: the "
                          "gradient sums {paths:.3g} such paths per example.").format(
        share=v["path_share"], paths=v["paths_per_example"])


def _check_sentence(per: dict, th: dict) -> str:
    e64 = max(v["chain_error_float64"] for v in per.values())     # the worst seed's
    e32 = max(v["chain_error_float32"] for v in per.values())
    if e64 <= th["TOLERANCE_FLOAT64"] and e32 <= th["TOLERANCE_FLOAT32"]:
        return _("Multiplied layer by layer, dJ/da_(k−1) = (dJ/da_k · f′(p_k)) W_kᵀ, the "
                 "factors reproduce autograd's gradient at every layer of every network, to "
                 "a relative {e64:.1e} in float64 and {e32:.1e} in float32.").format(
            e64=e64, e32=e32)
    return _("The layer-by-layer product of the factors did not reproduce autograd's "
             "gradient: it differs by a relative {e64:.1e} in float64 and {e32:.1e} in "
             "float32.").format(e64=e64, e32=e32)


def _split_sentence(name: str, v: dict, inner: str) -> str:
    s, w = v["derivative_factor_geomean"], v["weight_factor_geomean"]
    r = v["ratio_geomean"]
    shown = {key: _seeds.spread_text(v.get(key + "_spread") or _seeds.spread([v[key]]), spec)
             for key, spec in (("ratio_geomean", ".3g"), ("derivative_factor_geomean", ".3g"),
                               ("weight_factor_geomean", ".3g"), ("mean_derivative", ".3f"))}
    if name.endswith("+skip"):
        return _("{network}: per hidden layer ({layers}) the gradient's norm is multiplied by "
                 "{ratio} (geometric mean); the branch F alone would multiply it by "
                 "{branch:.3g} (derivative factor {s}, weight factor {w}; means over the "
                 "seeds), the shortcut passes it on whole.").format(
            network=_label(name), layers=inner, ratio=shown["ratio_geomean"], branch=s * w,
            s=shown["derivative_factor_geomean"], w=shown["weight_factor_geomean"])
    text = _("{network}: per hidden layer ({layers}) the gradient's norm is multiplied by "
             "{ratio} (geometric mean), the derivative factor by {s} (mean f′ = {mean}) and "
             "the weight factor by {w}.").format(
        network=_label(name), layers=inner, ratio=shown["ratio_geomean"],
        s=shown["derivative_factor_geomean"], mean=shown["mean_derivative"],
        w=shown["weight_factor_geomean"])
    shrinking = {f: x for f, x in ((_("the derivative f′"), s), (_("the weights"), w))
                 if math.isfinite(x) and x < 1}
    if not shrinking:
        return text + " " + _("Neither factor shrinks it: the shrinking did not show.")
    which = min(shrinking, key=shrinking.get)
    if not r < 1:   # one factor shrinks, the other more than makes up for it
        return text + " " + _("{which} shrinks it by ×{factor:.3g} per layer, but the other "
                              "factor more than makes up for it: the gradient does not "
                              "shrink.").format(which=which[:1].upper() + which[1:],
                                                factor=shrinking[which])
    derivative_smaller = [d < w and r < 1 for d, w, r in zip(
        _per_seed(v, "derivative_factor_geomean"), _per_seed(v, "weight_factor_geomean"),
        _per_seed(v, "ratio_geomean"))]
    weight_smaller = [w < d and r < 1 for d, w, r in zip(
        _per_seed(v, "derivative_factor_geomean"), _per_seed(v, "weight_factor_geomean"),
        _per_seed(v, "ratio_geomean"))]
    flags = derivative_smaller if which == _("the derivative f′") else weight_smaller
    return text + " " + _("What shrinks it is {which}, by ×{factor:.3g} per layer (the "
                          "smaller factor, and the gradient shrinking, {where}).").format(
        which=which, factor=shrinking[which], where=_seeds.in_seeds(flags))


def _remedy_sentence(name: str, v: dict, path: list, inner: str, th: dict) -> str:
    kept, label = _kept_text(v, "kept_hidden"), _label(name)
    kept_flags = [k >= th["VANISHED"] for k in _per_seed(v, "kept_hidden")]
    hidden = path[1:-1]                # the path's hidden layers L-1 .. 2
    if name.endswith("+skip"):
        factors = [r["factor"] for r in hidden if r["shortcut"]] or [math.nan]
        head = _("With {network} each factor along the shortcuts is 1 + F′, from {low:.3f} to "
                 "{high:.3f}.").format(network=label, low=min(factors), high=max(factors))
    elif name == "relu":
        head = _("With ReLU the derivative factors are 0 or 1: {ones:.0%} of them are 1 in "
                 "the hidden layers; the path goes through units where it is 1.").format(
            ones=v["mean_derivative"])
    else:
        head = ""
    if _seeds.holds(kept_flags):
        tail = _("Through the hidden layers {layers} {network} keeps {kept} of the "
                 "gradient: it does not vanish, {where}.").format(
            layers=inner, network=label, kept=kept, where=_seeds.in_seeds(kept_flags))
    else:
        tail = _("Through the hidden layers {layers} {network} keeps only {kept} of the "
                 "gradient: it vanished too (it stayed above VANISHED in {k} of {n} seeds), "
                 "so that remedy did not show.").format(
            layers=inner, network=label, kept=kept, k=sum(kept_flags), n=len(kept_flags))
    return f"{head} {tail}".strip()


# ------------------------------------------------------------ the figure
def plot(result: Result) -> dict:
    Figure = figure_class()
    n = result.numbers
    per, L = n["per_network"], n["layers"]
    fig = Figure(figsize=(12, 4.6), layout="constrained")
    left, right = fig.subplots(1, 2)
    colours = [ACTIVATION_COLOURS.get(a, "0.3") for a in per]
    # layer k's entry: what is left after the factors of layers L .. k
    path = {_label(a): [abs(r["product"] / per[a]["dbce_dsigma"]) for r in reversed(records)]
            for a, records in n["path"].items()}
    plot_gradient_norms(path, ax=left, colors=colours,
                        ylabel=_("|product of the factors of layers L … k| (log scale)"),
                        title=_("along one weight path (example {example})").format(
                            example=n["example"]))
    whole = {_label(a): v["grad_norm_kept"] for a, v in n["per_layer"].items()}
    plot_gradient_norms(whole, ax=right, colors=colours,
                        ylabel=_("‖dJ/da_(k−1)‖ / ‖dJ/da_L‖ (log scale)"),
                        title=_("the whole gradient, summed over every path") if
                        len(n.get("seeds", [0])) < 2 else
                        _("the whole gradient, summed over every path\n(seed {seed}; band: "
                          "the range of {seeds} seeds)").format(seed=n["seeds"][0],
                                                                seeds=len(n["seeds"])))
    for v, colour in zip(per.values(), colours):
        kept = np.asarray(v.get("grad_norm_kept_per_seed", []), dtype=np.float64)
        if kept.shape[0] > 1 and np.all(np.isfinite(kept)) and np.all(kept > 0):
            right.fill_between(np.arange(1, kept.shape[1] + 1), kept.min(axis=0),
                               kept.max(axis=0), color=colour, alpha=0.15, lw=0)
    k = np.arange(1, L + 1)
    for ax in (left, right):
        ax.plot(k, 0.25 ** (L - k + 1), color="0.3", ls=":", lw=1.5,
                label=_("(1/4)^m, m = {layers} − k + 1 sigmoid factors").format(layers=L))
        ax.set_xlabel(_("layer k (1 = next to the input; the loss is above layer {layers})"
                        ).format(layers=L))
        ax.legend(fontsize=8, loc="lower right")
    fig.suptitle(_("the chain rule's running product, layer by layer from the loss, "
                   "{layers} Linear layers of width {width}").format(layers=L, width=n["width"]))
    return {"product": fig}
