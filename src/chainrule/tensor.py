"""The Tensor, and how an op records itself in the graph.

A Tensor holds a NumPy array. Every Tensor an op returns is made by ``fresh`` (or by
``result``, which spells it out). An op that gets an input which requires a gradient
records a node (``result``): the output remembers its inputs (``_parents``) and the op's
rule (``_backward``), which turns the upstream gradient into one gradient per input,
``upstream x local`` (see ``ops/xp.py``). The backward pass that walks these nodes is in
``autograd.py``.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .grad_mode import _state

__all__ = ["Tensor", "fresh", "result"]


def as_array(data, dtype=None, op: str = "tensor") -> np.ndarray:
    """Turn user data into the array a Tensor holds.

    Python numbers and lists of floats become float32, as do float16 arrays; float32 and
    float64 arrays keep their dtype; integers and booleans stay integer and boolean.
    """
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        dtype = np.dtype(dtype)
    if isinstance(data, np.ndarray):
        arr = data
    else:
        if isinstance(data, (str, bytes)) or data is None:
            raise TypeError(f"{op}: expected numbers (a number, a nested list of numbers or an "
                            f"ndarray), got {type(data).__name__} {data!r}")
        try:
            arr = np.asarray(data)
        except ValueError as e:
            raise ValueError(f"{op}: could not make an array from the data ({e}); nested lists "
                             "must be rectangular") from None
        if arr.dtype.kind == "f" and dtype is None and arr.dtype != np.float32:
            arr = arr.astype(np.float32)   # Python floats default to float32, as in PyTorch
    if arr.dtype.kind not in "biuf":
        if not arr.size:
            raise TypeError(f"{op}: expected numeric data, got dtype {arr.dtype}")
        # Name an offending item as the user wrote it: NumPy has already turned the 1 of
        # [1, "a"] into the string "1".
        bad = arr.flat[0] if arr is data else next(_non_numbers(data), arr.flat[0])
        raise TypeError(f"{op}: expected numeric data, got an array of dtype {arr.dtype} "
                        f"(for example {bad!r} of type {type(bad).__name__})")
    if dtype is not None:
        if dtype.kind not in "biuf":
            raise TypeError(f"{op}: dtype must be a numeric NumPy dtype, got {dtype}")
        if arr.dtype != dtype:
            arr = arr.astype(dtype)
    elif arr.dtype == np.float16:
        arr = arr.astype(np.float32)
    return arr


def _non_numbers(data):
    """The items of (nested lists of) data that are not numbers, in order."""
    if isinstance(data, (list, tuple)):
        for item in data:
            yield from _non_numbers(item)
    elif not (isinstance(data, (bool, int, float, np.integer, np.floating, np.bool_, Tensor))
              or isinstance(data, np.ndarray) and data.dtype.kind in "biuf"):
        yield data


class Tensor:
    """An n-dimensional array that remembers how it was computed.

    >>> x = cr.tensor(3.0, requires_grad=True)
    >>> y = x * x + 2 * x
    >>> y.backward()
    >>> x.grad.item()        # dy/dx = 2x + 2
    8.0
    """

    # _epoch, _saved: set when an op records the tensor (see versions.py); _prior: set by an
    # in-place op that gave the tensor a new node. Left unset otherwise (no cost per op).
    __slots__ = ("data", "grad", "requires_grad", "name", "_parents", "_backward", "_op",
                 "_hooks", "_retains_grad", "_epoch", "_saved", "_prior", "__weakref__")
    # NumPy defers to our reflected operators (ndarray * Tensor -> Tensor.__rmul__).
    __array_ufunc__ = None

    def __init__(self, data, requires_grad: bool = False, name: str | None = None, dtype=None):
        _init_slots(self, as_array(data, dtype))
        self.name = name
        if requires_grad:
            self.requires_grad_(True)

    # ------------------------------------------------------------------ basics
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def is_leaf(self) -> bool:
        """True for tensors the user made (no op recorded them)."""
        return self._backward is None

    @property
    def op(self) -> str | None:
        """The name of the op that made this tensor (None for a leaf)."""
        return self._op

    @property
    def parents(self) -> tuple:
        """The inputs of the op that made this tensor (empty for a leaf or a freed graph)."""
        return self._parents

    def numel(self) -> int:
        return self.data.size

    def size(self, axis: int | None = None):
        """The shape, as in PyTorch (``t.size()``, ``t.size(0)``)."""
        return self.data.shape if axis is None else self.data.shape[axis]

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self):
        # Without this Python iterates through __getitem__ until IndexError, and a 0-d
        # tensor would silently iterate as empty.
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self.data)))

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item: only a one-element tensor converts to a Python number, "
                             f"this one has shape {self.shape}")
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied)."""
        return self.data

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(f"the truth value of a tensor of shape {self.shape} is ambiguous; "
                             "use .any() or .all() on its .data")
        return bool(self.data)

    __hash__ = object.__hash__   # __eq__ is elementwise, identity stays the hash

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Turn gradient tracking on or off for a leaf, in place."""
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(f"requires_grad: only floating-point tensors can require a gradient, "
                            f"this one has dtype {self.dtype}; make it with dtype=float32 or float64")
        if not requires_grad and self._backward is not None:
            raise RuntimeError("requires_grad_: a non-leaf tensor's flag comes from its graph; "
                               "use .detach() instead")
        self.requires_grad = bool(requires_grad)
        return self

    def detach(self) -> "Tensor":
        """The same data, cut from the graph."""
        return fresh(self.data)

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (sets ``.grad`` to None, as PyTorch does)."""
        self.grad = None

    def retain_grad(self) -> None:
        """Keep the gradient of a non-leaf tensor in ``.grad`` after backward."""
        if self._backward is not None:
            self._retains_grad = True

    def register_hook(self, fn: Callable[["Tensor"], "Tensor | None"]):
        """Call ``fn(grad)`` when this tensor's gradient is complete; a returned tensor
        replaces the gradient. Returns a handle whose ``remove()`` unregisters it.

        >>> x = cr.tensor(3.0, requires_grad=True)
        >>> h = x.register_hook(lambda g: g * 2)   # doubles what flows through x
        """
        if not self.requires_grad:
            raise RuntimeError("register_hook: this tensor does not require a gradient, "
                               "so no gradient will ever reach the hook")
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(fn)
        return _HookHandle(self._hooks, fn)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(", precision=4,
                               threshold=100, edgeitems=3)
        extras = []
        if self.data.dtype != np.float32:
            extras.append(f"dtype={self.data.dtype}")
        if self._backward is not None:
            extras.append(f"grad_fn=<{self._op}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name is not None:
            extras.append(f"name={self.name!r}")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    # ------------------------------------------------------------- operators
    # Each forwards to one op in chainrule.ops, where its forward and backward live.
    def __add__(self, other): return ops.add(self, other)
    def __radd__(self, other): return ops.add(other, self)
    def __sub__(self, other): return ops.sub(self, other)
    def __rsub__(self, other): return ops.sub(other, self)
    def __mul__(self, other): return ops.mul(self, other)
    def __rmul__(self, other): return ops.mul(other, self)
    def __truediv__(self, other): return ops.div(self, other)
    def __rtruediv__(self, other): return ops.div(other, self)
    def __pow__(self, other): return ops.pow(self, other)
    def __rpow__(self, other): return ops.pow(other, self)
    def __matmul__(self, other): return ops.matmul(self, other)
    def __rmatmul__(self, other): return ops.matmul(other, self)
    def __neg__(self): return ops.neg(self)
    def __pos__(self): return self
    def __invert__(self):   # logical not of a boolean mask (bitwise for integers), no gradient
        if self.data.dtype.kind not in "biu":
            raise TypeError(f"~: defined for boolean and integer tensors, got dtype {self.dtype}")
        return fresh(~self.data)
    def __getitem__(self, index): return ops.getitem(self, index)

    # Comparisons give boolean tensors and carry no gradient.
    def __lt__(self, other): return ops.compare("lt", self, other)
    def __le__(self, other): return ops.compare("le", self, other)
    def __gt__(self, other): return ops.compare("gt", self, other)
    def __ge__(self, other): return ops.compare("ge", self, other)
    def __eq__(self, other): return ops.compare("eq", self, other)
    def __ne__(self, other): return ops.compare("ne", self, other)

    # --------------------------------------------------------------- methods
    def exp(self): return ops.exp(self)
    def log(self): return ops.log(self)
    def sqrt(self): return ops.sqrt(self)
    def sin(self): return ops.sin(self)
    def cos(self): return ops.cos(self)
    def abs(self): return ops.abs(self)
    def __abs__(self): return ops.abs(self)
    def neg(self): return ops.neg(self)
    def add(self, other, alpha=1): return ops.add(self, _scaled(other, alpha))
    def sub(self, other, alpha=1): return ops.sub(self, _scaled(other, alpha))
    def mul(self, other): return ops.mul(self, other)
    def div(self, other): return ops.div(self, other)
    def pow(self, exponent): return ops.pow(self, exponent)
    def sigmoid(self): return ops.sigmoid(self)
    def tanh(self): return ops.tanh(self)
    def relu(self): return ops.relu(self)
    def leaky_relu(self, negative_slope=0.01): return ops.leaky_relu(self, negative_slope)
    def softmax(self, axis=-1, **kw): return ops.softmax(self, axis, **kw)
    def log_softmax(self, axis=-1, **kw): return ops.log_softmax(self, axis, **kw)
    def logsumexp(self, axis=None, keepdims=False, **kw): return ops.logsumexp(self, axis, keepdims, **kw)
    def sum(self, axis=None, keepdims=False, **kw): return ops.sum(self, axis, keepdims, **kw)
    def mean(self, axis=None, keepdims=False, **kw): return ops.mean(self, axis, keepdims, **kw)
    def max(self, axis=None, keepdims=False, **kw): return ops.max(self, axis, keepdims, **kw)
    def min(self, axis=None, keepdims=False, **kw): return ops.min(self, axis, keepdims, **kw)
    def var(self, axis=None, keepdims=False, correction=1, **kw):
        return ops.var(self, axis, keepdims, correction, **kw)
    def matmul(self, other): return ops.matmul(self, other)
    def mm(self, other): return ops.mm(self, other)
    def t(self): return ops.t(self)
    def clamp(self, min=None, max=None): return ops.clip(self, min, max)
    clip = clamp
    def maximum(self, other): return ops.maximum(self, other)
    def minimum(self, other): return ops.minimum(self, other)
    def reshape(self, *shape): return ops.reshape(self, *shape)
    view = reshape
    def flatten(self, start_dim=0, end_dim=-1): return ops.flatten(self, start_dim, end_dim)
    def transpose(self, *axes): return ops.transpose(self, *axes)
    def permute(self, *axes): return ops.permute(self, *axes)
    def squeeze(self, axis=None, **kw): return ops.squeeze(self, axis, **kw)
    def unsqueeze(self, axis=None, **kw): return ops.unsqueeze(self, axis, **kw)
    def broadcast_to(self, *shape):   # (3, 4) or 3, 4, as PyTorch's expand takes it
        return ops.broadcast_to(self, shape[0] if len(shape) == 1 and
                                isinstance(shape[0], (tuple, list)) else shape)
    expand = broadcast_to
    def clone(self): return ops.clone(self)
    def astype(self, dtype): return ops.astype(self, dtype)
    def float(self): return ops.astype(self, np.float32)
    def double(self): return ops.astype(self, np.float64)
    def argmax(self, axis=None, keepdims=False):
        return Tensor(self.data.argmax(axis=axis, keepdims=keepdims))
    def argmin(self, axis=None, keepdims=False):
        return Tensor(self.data.argmin(axis=axis, keepdims=keepdims))
    def dim(self) -> int: return self.data.ndim

    # ----------------------------------------------------------- in place
    # PyTorch's rules (see inplace.py): the same object changes; a leaf that requires grad
    # may change only under no_grad(); values saved for a backward are version-checked.
    def __iadd__(self, other): return inplace.add_(self, other)
    def __isub__(self, other): return inplace.sub_(self, other)
    def __imul__(self, other): return inplace.mul_(self, other)
    def __itruediv__(self, other): return inplace.div_(self, other)
    def add_(self, other, alpha=1): return inplace.add_(self, _scaled(other, alpha))
    def sub_(self, other, alpha=1): return inplace.sub_(self, _scaled(other, alpha))
    def mul_(self, other): return inplace.mul_(self, other)
    def div_(self, other): return inplace.div_(self, other)
    def zero_(self): return inplace.fill_(self, 0, "zero_")
    def fill_(self, value): return inplace.fill_(self, value)
    def copy_(self, src): return inplace.copy_(self, src)
    def clamp_(self, min=None, max=None): return inplace.clamp_(self, min, max)
    clip_ = clamp_
    def __setitem__(self, index, value): inplace.setitem(self, index, value)

    @property
    def _version(self) -> int:
        """How many in-place writes this tensor's storage has seen (as PyTorch's)."""
        return versions.version(self.data)

    # -------------------------------------------------------------- device
    # Everything lives in NumPy on the CPU; these spellings exist so PyTorch code runs.
    @property
    def device(self):
        return device_mod.CPU

    is_cuda = False

    def to(self, *args, **kwargs) -> "Tensor":
        """``t.to("cpu")``, ``t.to(cr.float64)``, ``t.to(device, dtype)``: a cast (or the same
        tensor when nothing changes); any device but the CPU is a clear error."""
        dtype = device_mod.parse_to_args("to", args, kwargs)
        return self if dtype is None else ops.astype(self, dtype)

    def cpu(self) -> "Tensor":
        return self

    def cuda(self, *args, **kwargs):
        device_mod.device("cuda")   # raises, saying why

    @property
    def grad_fn(self):
        """The node that made this tensor (None for a leaf), as PyTorch names it:
        ``(x * y).grad_fn`` is ``<MulBackward0>``."""
        return None if self._backward is None else grad_fn_mod.GradFn(self)

    @property
    def T(self): return ops.transpose(self)

    def swapaxes(self, axis1, axis2): return ops.swapaxes(self, axis1, axis2)

    @property
    def mT(self): return ops.swapaxes(self, -1, -2)

    # ---------------------------------------------------------------- backward
    def backward(self, gradient=None, retain_graph: bool | None = None,
                 create_graph: bool = False) -> None:
        """Backpropagate from this tensor: every leaf that requires a gradient gets
        d(self)/d(leaf) added to its ``.grad``.

        The pass is seeded with 1 for a scalar (``gradient=`` is required otherwise),
        visits each node once in reverse topological order, and frees the graph unless
        ``retain_graph=True``. With ``create_graph=True`` the gradients are themselves
        tensors with a graph, so they can be differentiated again.
        """
        autograd.run_backward([self], [gradient], retain_graph, create_graph, inputs=None)


class _HookHandle:
    __slots__ = ("hooks", "fn")

    def __init__(self, hooks: list, fn) -> None:
        self.hooks, self.fn = hooks, fn

    def remove(self) -> None:
        if self.fn in self.hooks:
            self.hooks.remove(self.fn)


def _scaled(other, alpha):
    """other * alpha, for PyTorch's ``add(other, alpha=...)``."""
    return other if alpha == 1 else other * alpha


# ------------------------------------------------------------------ recording
def _init_slots(t: Tensor, data: np.ndarray) -> Tensor:
    """The one place a Tensor's slots are set: data, and nothing recorded."""
    t.data = data
    t.grad = t.name = t._hooks = t._backward = t._op = None
    t.requires_grad = t._retains_grad = False
    t._parents = ()
    return t


_new = object.__new__


def fresh(data) -> Tensor:
    """A new Tensor around an array (not copied), outside any graph: the factory every op
    result, gradient and constant is made with.

    >>> fresh(np.zeros(3)).requires_grad
    False
    """
    return _init_slots(_new(Tensor), data if type(data) is np.ndarray else np.asarray(data))


def result(data, parents: tuple, rule: Callable, op: str, saved: str | None = None,
           fast: Callable | None = None, replay: dict | None = None) -> Tensor:
    """Wrap an op's output array; record the node only if grad mode is on and some
    input requires a gradient (so inference and ``no_grad`` build nothing).

    ``rule(xp, g, out, *inputs)`` is the op's backward, written once for both passes (see
    ``ops/xp.py``). ``fast``, with the same signature, replaces it in a plain pass: a fused
    NumPy kernel, which must say next to it what the benchmark measured it to gain.
    ``saved`` says which values the rule reads, so that an in-place change to one of them is
    caught (see ``versions.py`` for the spellings; None assumes all inputs and the output).
    ``replay`` holds what ``cr.compile``'s form of the op needs besides its inputs (an axis,
    a slope; see ``replay/forms.py``).
    """
    # fresh(data), spelled out: this runs once per op, and the two calls saved are about
    # 100 ns of an add of two 0-d tensors (2-4 us), measured
    out = _new(Tensor)
    out.data = data if type(data) is np.ndarray else np.asarray(data)
    out.grad = out.name = out._hooks = out._backward = out._op = None
    out.requires_grad = out._retains_grad = False
    out._parents = ()
    if _state["grad_enabled"]:
        for p in parents:
            if p.requires_grad:
                out.requires_grad = True
                out._parents = parents
                out._backward = rule if fast is None else _xp.with_fast_path(rule, fast)
                out._op = op
                out._epoch = _state["clock"]
                out._saved = saved
                break
    if _state["recorder"] is not None:
        _state["recorder"].on_op(out, parents, op, replay, rule)
    return out


def lift(x, like: Tensor | None = None) -> Tensor:
    """Make a constant Tensor of a Python number or array met in an op.

    A Python number takes the dtype of the tensor it meets (``x * 0.5`` stays float32),
    as PyTorch and NumPy's weak scalars do.
    """
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (bool, int, float)) and like is not None:
        dt = like.data.dtype
        if dt.kind in "f":
            arr = np.asarray(x, dtype=dt)
        elif isinstance(x, float):
            arr = np.asarray(x, dtype=np.float32)
        elif isinstance(x, bool):
            arr = np.asarray(x)
        else:
            arr = np.asarray(x, dtype=dt if dt.kind in "iu" else np.int64)
    else:
        arr = as_array(x, op="tensor")
    return fresh(arr)


# The ops and the backward pass live in their own modules and need the Tensor class
# defined above; Tensor's methods look them up when called.
from . import autograd, inplace, ops, versions  # noqa: E402
from . import device as device_mod  # noqa: E402
from . import grad_fn as grad_fn_mod  # noqa: E402
from .ops import xp as _xp  # noqa: E402
