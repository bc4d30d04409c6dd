"""The three remedies for vanishing gradients as building blocks.

- ``Residual``: H(x) = F(x) + x. The identity path gives dH/dx = dF/dx + I, so the
  gradient reaching early layers never has to pass through every layer's Jacobian.
- ``DenseBlock`` (DenseNet): every layer sees the concatenation of the input and all
  earlier layers' outputs, so each layer has a short path to the input and to the loss.
- ``DeepSupervision``: auxiliary heads on intermediate layers add their losses,
  loss = main_loss + w * sum(aux_losses), injecting gradient directly into early layers.
"""
from __future__ import annotations

from typing import Callable, Sequence

from .. import ops
from ..tensor import Tensor
from .activation import make_activation
from .container import ModuleList, Sequential
from .layers import Linear
from .module import Module

__all__ = ["Residual", "DenseBlock", "DeepSupervision"]


class Residual(Module):
    """``forward(x) = block(x) + shortcut(x)``; the shortcut is the identity by default, so
    block must keep the shape, or give a shortcut (e.g. ``nn.Linear(in, out)``) that maps
    x to the block's output shape.

    >>> layer = nn.Residual(nn.Sequential(nn.Linear(8, 8), nn.ReLU()))   # H(x) = F(x) + x
    """

    def __init__(self, block: Module, shortcut: Module | None = None) -> None:
        super().__init__()
        if not isinstance(block, Module):
            raise TypeError(f"Residual: block must be a Module, got {type(block).__name__}")
        self.block = block
        self.shortcut = shortcut

    def forward(self, x: Tensor) -> Tensor:
        out = self.block(x)
        skip = x if self.shortcut is None else self.shortcut(x)
        if out.data.shape != skip.data.shape:
            hint = (" (the identity shortcut returns the input unchanged; pass shortcut=, e.g. "
                    "an nn.Linear, that maps the input to the block's output shape)"
                    if self.shortcut is None else "")
            raise ValueError(f"Residual: the block's output has shape {out.shape} but the "
                             f"shortcut's has shape {skip.shape}; they must be equal{hint}")
        return out + skip


class DenseBlock(Module):
    """DenseNet-style block (Huang et al., 2017) for feature vectors: layer i receives the
    concatenation, along the last axis, of the input and the outputs of layers 0..i-1, and
    the block returns the input concatenated with every layer's output.

    Two ways to build one:

    - ``DenseBlock(in_features, growth, num_layers, activation="relu")``: layer i is
      ``Sequential(Linear(in_features + i * growth, growth), activation)``; the output has
      ``out_features = in_features + num_layers * growth`` features.
    - ``DenseBlock(layers=[...])``: your own modules; layer i must accept the input's
      features plus those of all earlier outputs (``out_features`` is then None).

    >>> block = nn.DenseBlock(4, growth=3, num_layers=2)
    >>> block(cr.randn(5, 4)).shape, block.out_features
    ((5, 10), 10)
    """

    def __init__(self, in_features: int | None = None, growth: int | None = None,
                 num_layers: int | None = None, activation="relu", *,
                 layers: Sequence[Module] | None = None) -> None:
        super().__init__()
        sizes = (in_features, growth, num_layers)
        if layers is not None:
            if any(n is not None for n in sizes):
                raise ValueError("DenseBlock: give either (in_features, growth, num_layers) "
                                 "or layers=, not both")
            self.layers = ModuleList(layers)
            self.out_features = None
            return
        if any(isinstance(n, bool) or not isinstance(n, int) or n <= 0 for n in sizes):
            raise ValueError(f"DenseBlock: in_features, growth and num_layers must be positive "
                             f"ints (or give layers=), got {sizes}")
        self.layers = ModuleList(
            Sequential(Linear(in_features + i * growth, growth), make_activation(activation))
            for i in range(num_layers))
        self.out_features = in_features + num_layers * growth

    def forward(self, x: Tensor) -> Tensor:
        features = [x]
        for i, layer in enumerate(self.layers):
            out = layer(features[0] if i == 0 else ops.concat(features, axis=-1))
            if out.ndim != x.ndim or out.shape[:-1] != x.shape[:-1]:
                raise ValueError(f"DenseBlock: layer {i} returned shape {out.shape}; to be "
                                 f"concatenated with the input of shape {x.shape} it must "
                                 f"have shape {x.shape[:-1] + ('k',)}")
            features.append(out)
        return ops.concat(features, axis=-1)

    def extra_repr(self) -> str:
        return "" if self.out_features is None else f"out_features={self.out_features}"


class DeepSupervision(Module):
    """A trunk of stages with auxiliary heads attached after some of them (Lee et al.,
    2015). ``forward(x)`` runs the stages in order and returns the last stage's output (the
    main output); the heads' outputs are kept in ``aux_outputs``. ``loss(loss_fn, target)``
    then gives

        loss = loss_fn(main, target) + sum_k weights[k] * loss_fn(aux_k, target),

    so every head must produce an output comparable with the target. ``forward_all(x)``
    returns (main, [aux...]) without keeping anything.

    trunk: the stages, in order. heads: {stage index: head}, the head reading that stage's
    output (any stage but the last). weights: one weight for all heads, or one per head in
    increasing stage order.

    >>> model = nn.DeepSupervision(
    ...     trunk=[nn.Sequential(nn.Linear(2, 16), nn.Tanh()),
    ...            nn.Sequential(nn.Linear(16, 16), nn.Tanh()),
    ...            nn.Linear(16, 1)],
    ...     heads={0: nn.Linear(16, 1), 1: nn.Linear(16, 1)}, weights=0.3)
    >>> x, y = cr.randn(4, 2), cr.ones(4, 1)
    >>> out = model(x)                                          # main output, (N, 1)
    >>> loss = model.loss(F.binary_cross_entropy_with_logits, y)  # main + 0.3 * (aux0 + aux1)
    """

    def __init__(self, trunk: Sequence[Module], heads: dict, weights=0.3) -> None:
        super().__init__()
        self.trunk = ModuleList(trunk)
        if not isinstance(heads, dict) or not heads:
            raise TypeError("DeepSupervision: heads must be a non-empty dict {stage index: "
                            f"head module}}, got {heads!r}")
        n = len(self.trunk)
        stage_of = {}
        for k in heads:
            if isinstance(k, bool) or not isinstance(k, int) or not -n <= k < n \
                    or k % n == n - 1:
                raise ValueError(f"DeepSupervision: head index {k!r} must name a stage before "
                                 f"the last, in [0, {n - 2}] for {n} stages")
            stage_of[k] = k % n
        if len(set(stage_of.values())) != len(stage_of):
            raise ValueError(f"DeepSupervision: head indices {list(heads)} name the same stage "
                             "twice")
        order = sorted(heads, key=stage_of.get)
        self.head_after = tuple(stage_of[k] for k in order)
        self.heads = ModuleList(heads[k] for k in order)
        self.weights = _head_weights(weights, len(order))
        self.aux_outputs: list = []
        self._last: tuple | None = None

    def forward_all(self, x: Tensor) -> tuple[Tensor, list]:
        """(main output, [auxiliary outputs in stage order])."""
        heads = dict(zip(self.head_after, self.heads))
        aux = []
        for i, stage in enumerate(self.trunk):
            x = stage(x)
            if i in heads:
                aux.append(heads[i](x))
        return x, aux

    def forward(self, x: Tensor) -> Tensor:
        main, aux = self.forward_all(x)
        self.aux_outputs = aux
        self._last = (main, aux)
        return main

    def loss(self, loss_fn: Callable, target) -> Tensor:
        """loss_fn(main, target) + sum of weight * loss_fn(aux, target), on the outputs of the
        last forward call."""
        if self._last is None:
            raise RuntimeError("DeepSupervision.loss: call the model on a batch first; the "
                               "loss uses the outputs of the last forward")
        main, aux = self._last
        total = loss_fn(main, target)
        for w, out in zip(self.weights, aux):
            total = total + w * loss_fn(out, target)
        return total

    def extra_repr(self) -> str:
        return f"head_after={self.head_after}, weights={self.weights}"


def _head_weights(weights, count: int) -> tuple:
    if isinstance(weights, (int, float)) and not isinstance(weights, bool):
        return (float(weights),) * count
    weights = tuple(float(w) for w in weights)
    if len(weights) != count:
        raise ValueError(f"DeepSupervision: got {len(weights)} weights for {count} heads; give "
                         "one number for all or one per head")
    return weights
