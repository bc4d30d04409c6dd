"""One-line builders for the lectures' networks."""
from __future__ import annotations

from . import init as _init
from .activation import make_activation
from .blocks import Residual
from .container import Sequential
from .layers import Linear

__all__ = ["mlp"]

_XAVIER_FOR = ("sigmoid", "tanh", "identity", "linear")
_KAIMING_FOR = ("relu", "leaky_relu")
_INITS = ("auto", "xavier", "kaiming", "default")


def mlp(in_features: int, out_features: int, depth: int, width: int,
        activation: str = "sigmoid", skip: bool = False, init: str = "auto") -> Sequential:
    """A multilayer perceptron as a Sequential.

    ``depth`` is the number of hidden layers, each ``Linear`` followed by the activation;
    an output ``Linear(width, out_features)`` without activation follows (the losses take
    logits: use ``BCEWithLogitsLoss``/``CrossEntropyLoss``). So there are depth + 1
    Linear layers::

        Linear(in, width), act, [Linear(width, width), act] * (depth - 1), Linear(width, out)

    ``depth=0`` is a single ``Linear(in_features, out_features)`` (width is ignored).

    ``skip=True`` wraps hidden layers 2..depth -- the ones from width to width -- as
    ``Residual(Sequential(Linear(width, width), act))``, i.e. H(x) = act(x W + b) + x. The
    first hidden layer changes the width from in_features and stays plain. Each block adds
    its output to its input, so with ReLU and Kaiming initialisation the signal's scale
    roughly doubles per block: for deep residual ReLU stacks scale the blocks' weights down
    (e.g. by 1 / number of blocks, as Fixup does; ``cr.lab``'s degradation experiment shows
    how) or normalise.

    ``init`` sets every Linear layer's weights (biases become 0):
    "auto" picks Xavier-uniform (gain 1, Glorot & Bengio) for sigmoid and tanh and
    Kaiming-normal (fan_in, the activation's gain, He et al.) for relu and leaky_relu;
    "xavier" or "kaiming" force one; "default" keeps Linear's PyTorch default
    U(-1/sqrt(in), 1/sqrt(in)) for weights and biases.

    >>> nn.mlp(2, 1, depth=3, width=16, activation="relu", skip=True)
    Sequential(
      (0): Linear(in_features=2, out_features=16, bias=True)
      (1): ReLU()
      (2): Residual(
        (block): Sequential(
          (0): Linear(in_features=16, out_features=16, bias=True)
          (1): ReLU()
        )
      )
      (3): Residual(
        (block): Sequential(
          (0): Linear(in_features=16, out_features=16, bias=True)
          (1): ReLU()
        )
      )
      (4): Linear(in_features=16, out_features=1, bias=True)
    )
    """
    for what, n in (("in_features", in_features), ("out_features", out_features),
                    ("width", width)):
        if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
            raise ValueError(f"mlp: {what} must be a positive int, got {n!r}")
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0:
        raise ValueError(f"mlp: depth (the number of hidden layers) must be an int >= 0, got "
                         f"{depth!r}")
    if not isinstance(activation, str) or activation not in _XAVIER_FOR + _KAIMING_FOR:
        raise ValueError(f"mlp: activation must be one of "
                         f"{', '.join(map(repr, _XAVIER_FOR + _KAIMING_FOR))}, got {activation!r}")
    if init not in _INITS:
        raise ValueError(f"mlp: init must be one of {', '.join(map(repr, _INITS))}, got {init!r}")

    if depth == 0:
        layers = [Linear(in_features, out_features)]
    else:
        layers = [Linear(in_features, width), make_activation(activation)]
        for _ in range(depth - 1):
            hidden = [Linear(width, width), make_activation(activation)]
            layers += [Residual(Sequential(*hidden))] if skip else hidden
        layers.append(Linear(width, out_features))
    model = Sequential(*layers)
    _initialise(model, activation, init)
    return model


def _initialise(model: Sequential, activation: str, init: str) -> None:
    if init == "default":
        return
    if init == "auto":
        init = "xavier" if activation in _XAVIER_FOR else "kaiming"
    slope = 0.01 if activation == "leaky_relu" else 0.0
    for module in model.modules():
        if isinstance(module, Linear):
            if init == "xavier":
                _init.xavier_uniform_(module.weight)
            else:
                _init.kaiming_normal_(module.weight, a=slope,
                                      nonlinearity=_kaiming_nonlinearity(activation))
            if module.bias is not None:
                _init.zeros_(module.bias)


def _kaiming_nonlinearity(activation: str) -> str:
    """The gain Kaiming init uses: the activation's own, or relu's when forced onto
    sigmoid/tanh (which have no Kaiming variant)."""
    return activation if activation in _KAIMING_FOR else "relu"
