"""A recorded step turned into a flat list of NumPy calls over buffers.

``Program(recorder, inputs, returned, arenas)`` walks the recorder's events once and
allocates a buffer for every value and gradient the step makes. ``run(tensors)`` copies the
new inputs into their buffers and calls the steps in order: the forward ops, the backward
pass in the order the eager pass took (the recording's reverse topological order, so no
sort), ``zero_grad`` and the optimizer updates over the arenas. No Tensor and no graph node
is made, except the one returned.
"""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor, fresh
from .arena import Arena
from .forms import FORMS, Node, Unreplayable, View

__all__ = ["Program", "Unreplayable"]


class Program:
    def __init__(self, rec, inputs: tuple, returned, arenas: dict) -> None:
        self.input_bufs = [np.empty_like(t.data) for t in inputs]
        self._values = {id(t): buf for t, buf in zip(inputs, self.input_bufs)}
        self._input_of = {id(t): k for k, t in enumerate(inputs)}
        # where each input is read: (node.inputs list, position), or None once something
        # reads its buffer at build time (then each call copies the input into it)
        self._uses: list = [[] for _ in inputs]
        self._nodes: dict = {}        # id(output tensor) -> (Node, form, parent tensors)
        self.steps: list = []
        self._stepped = _arena_params(rec, arenas)
        self._pool = Pool()
        self._temps: dict = {}
        # Buffer reuse: when each value is read for the last time (a count of the steps as
        # they are built), and the op outputs whose buffers came from the pool.
        self._last = last_reads(rec.events, returned)
        self._clock = 0
        self._expiring: dict = {}     # clock -> buffers to give back once that step is built
        for index, event in enumerate(rec.events):
            kind = event[0]
            if kind == "op":
                self._tick()
                self._op(event[1])
            elif kind == "backward":
                self._backward(rec.events, index)
            elif kind == "step":
                self._tick()
                self.steps.extend(a.update for a in arenas_of(arenas, event[1]))
            else:   # zero_grad, exactly as eager (it also serves parameters not replayed)
                self._tick()
                self.steps.append(_zero_grad(event[1], event[2]))
        self._tick()
        self._returned = self._result_of(returned)
        self._copied = [k for k, uses in enumerate(self._uses) if uses is None]
        self._rebound = [(k, uses) for k, uses in enumerate(self._uses) if uses]
        del self._values, self._nodes, self._uses, self._input_of

    # ------------------------------------------------------------------ values
    def _array(self, t) -> np.ndarray:
        """The array standing for tensor t: its buffer if the step made it, else its data
        (a parameter's arena view, or a constant frozen at record time)."""
        if not isinstance(t, Tensor):
            return np.asarray(t)
        k = self._input_of.get(id(t))
        if k is not None:
            self._uses[k] = None
        a = self._values.get(id(t))
        if a is None:
            if t._backward is not None:
                raise Unreplayable("the step uses a tensor with a graph made before it "
                                   "(compute it inside the step, or detach it)")
            a = self._values[id(t)] = t.data
        return a

    # ------------------------------------------------------------------ forward
    def _op(self, ev) -> None:
        form = FORMS.get(ev.op)
        if form is None:
            raise Unreplayable(f"{ev.op} has no replay form (see replay/forms.py)")
        late = getattr(form, "late_inputs", False)
        inputs = [self._values[id(p)] if late and id(p) in self._input_of else self._array(p)
                  for p in ev.parents]
        attrs = dict(ev.attrs or {})
        if "labels" in attrs:
            attrs["labels"] = self._array(attrs["labels"])
        needs = [p.requires_grad for p in ev.parents]
        if isinstance(form, View):
            out = form.view(inputs[0], ev.out.shape)
            node = Node(ev.op, inputs, out, attrs, ev.rule, needs, self._temp)
        else:
            out = self._pool.take(ev.out.data)
            self._expiring.setdefault(self._last.get(id(ev.out), self._clock), []).append(out)
            node = Node(ev.op, inputs, out, attrs, ev.rule, needs, self._temp)
            self.steps.append(form.forward(node))
            if late:
                for position, p in enumerate(ev.parents):
                    k = self._input_of.get(id(p))
                    if k is not None and self._uses[k] is not None:
                        self._uses[k].append((node.inputs, position))
        self._values[id(ev.out)] = node.out
        self._nodes[id(ev.out)] = (node, form, ev.parents)

    def _tick(self) -> None:
        """One more step built: the buffers whose last reader it was go back to the pool."""
        for buf in self._expiring.pop(self._clock, ()):
            self._pool.give(buf)
        self._clock += 1

    def _temp(self, shape: tuple, dtype) -> np.ndarray:
        key = (tuple(shape), np.dtype(dtype))
        if key not in self._temps:
            self._temps[key] = np.empty(shape, dtype)
        return self._temps[key]

    # ----------------------------------------------------------------- backward
    def _backward(self, events: list, index: int) -> None:
        _, order, seeds = events[index]
        nodes = self._nodes
        arena_grad = {}        # id(param) -> (param, its grad tensor, a view into the arena)
        for arena in self._stepped:
            for p, gt in zip(arena.params, arena.grad_tensors):
                arena_grad[id(p)] = (p, gt)
        leaves: list = []
        for t in order:
            if t._backward is None:          # a leaf
                leaves.append(t)
            elif id(t) not in nodes:
                raise Unreplayable("the backward pass reaches a tensor computed outside the "
                                   "step")
            if t._retains_grad and t._backward is not None:
                raise Unreplayable("retain_grad() on an intermediate tensor")
        pool = self._pool
        grads: dict = {}       # id(tensor) -> its gradient buffer, from its first contribution
        owned: set = set()     # ids of the buffers taken from the pool

        def first_buffer(t):
            """Where t's first contribution goes: straight into .grad for a parameter whose
            gradient was cleared, else a pooled buffer."""
            if id(t) in arena_grad and _zeroed_before(events, index, t):
                return arena_grad[id(t)][1].data
            buf = pool.take(self._array(t))
            owned.add(id(buf))
            return buf

        steps = self.steps
        for root, seed in seeds.items():
            buf = grads[id(root)] = first_buffer(root)
            value = np.asarray(seed)
            steps.append(lambda buf=buf, value=value: np.copyto(buf, value))
        for t in reversed(order):
            if t._backward is None:
                continue                     # a leaf
            self._tick()
            if id(t) not in grads:
                continue                     # no gradient reaches it
            node, form, parents = nodes[id(t)]
            g = grads[id(t)]
            passes = form.passes(node) if hasattr(form, "passes") else [False] * len(parents)
            dests, adds, aliased = [], [], False
            for p, need, passing in zip(parents, node.needs, passes):
                if not need:
                    dests.append(None)
                elif id(p) not in grads:     # p's first contribution
                    if passing and not aliased and p._backward is not None:
                        # p's gradient is t's: share the buffer (one input only, so no
                        # later accumulation into p can change what another input reads)
                        shape = self._array(p).shape    # (a reshape passes g reshaped)
                        grads[id(p)] = g if g.shape == shape else g.reshape(shape)
                        aliased = True
                        dests.append(None)
                    else:
                        grads[id(p)] = first_buffer(p)
                        dests.append(grads[id(p)])
                else:                         # later ones: into a scratch buffer, then added
                    scratch = pool.take(grads[id(p)])
                    dests.append(scratch)
                    adds.append((grads[id(p)], scratch))
            step = form.backward(node, g, dests)
            if step is not None:
                steps.append(step)
            for target, scratch in adds:
                steps.append(_adder(target, scratch))
                pool.give(scratch)
            if not aliased and id(g) in owned:   # t's gradient is used up: reuse it
                pool.give(g)
        adopted = []          # parameters whose .grad the pass wrote straight into
        for leaf in leaves:
            if id(leaf) not in grads or not leaf.requires_grad:
                continue
            buf = grads[id(leaf)]
            if id(leaf) in arena_grad:
                p, gt = arena_grad[id(leaf)]
                if buf is gt.data:
                    adopted.append((p, gt))
                else:   # accumulates, as eager does once .grad exists
                    steps.append(_accumulate_into(p, gt, buf))
            else:
                steps.append(_eager_leaf(leaf, buf))
        if adopted:
            steps.append(_adopt(adopted))

    # ------------------------------------------------------------------- result
    def _result_of(self, returned):
        if returned is None:
            return lambda: None
        if isinstance(returned, Tensor):
            buf = self._array(returned)
            return lambda: fresh(np.array(buf))
        if isinstance(returned, (tuple, list)):
            makers = [self._result_of(r) for r in returned]
            kind = type(returned)
            return lambda: kind(m() for m in makers)
        raise Unreplayable(f"the step returns a {type(returned).__name__}, which a replay "
                           "would freeze; return the loss tensor (not loss.item())")

    def valid(self) -> bool:
        """The parameters still hold their arena views and no optimizer reloaded its state
        (otherwise the step is recorded again)."""
        return all(a.owns() for a in self._stepped)

    def run(self, tensors: tuple):
        for k in self._copied:
            np.copyto(self.input_bufs[k], tensors[k].data)
        for k, uses in self._rebound:   # read where they are: no copy
            data = tensors[k].data
            for inputs, position in uses:
                inputs[position] = data
        # (sigmoid's e**-x is inf below the exponent range, its value 0: not an error)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            for step in self.steps:
                step()
        return self._returned()


# --------------------------------------------------------------------- helpers
class Pool:
    """Gradient buffers by shape and dtype, handed out again once the value they held is
    used up (the steps run in the order they are built, so a buffer given back while
    building is free at that point of the run too). Reusing a few buffers instead of one
    per value keeps the backward pass in cache, as freshly allocated NumPy temporaries
    are: measured on the residual MLP, 50 blocks, it is most of the gap to hand-written
    NumPy."""

    def __init__(self) -> None:
        self._free: dict = {}

    def take(self, like: np.ndarray) -> np.ndarray:
        free = self._free.get((like.shape, like.dtype))
        return free.pop() if free else np.empty(like.shape, like.dtype)

    def give(self, buf: np.ndarray) -> None:
        self._free.setdefault((buf.shape, buf.dtype), []).append(buf)


def _zeroed_before(events: list, index: int, p) -> bool:
    """Whether p's gradient was cleared since the last backward pass that reached it,
    looking back from event ``index`` and around the end (the step repeats)."""
    n = len(events)
    for k in range(1, n + 1):
        event = events[(index - k) % n]
        if event[0] == "zero_grad" and any(p is q for q in _params_of(event[1])):
            return True
        if event[0] == "backward" and any(p is q for q in event[1]):
            return False
    return False


def last_reads(events: list, returned) -> dict:
    """id(tensor) -> the count of the step that reads it last, counting steps as
    ``Program`` builds them: one per op, per zero_grad and per optimizer step, one per node
    of a backward pass (in its order). Views extend their base's life; what the step
    returns is read after everything."""
    last: dict = {}
    views: list = []
    recorded = {id(e[1].out): e[1] for e in events if e[0] == "op"}
    clock = 0
    for event in events:
        clock += 1
        if event[0] == "op":
            ev = event[1]
            for p in ev.parents:
                last[id(p)] = clock
            labels = (ev.attrs or {}).get("labels")
            if isinstance(labels, Tensor):
                last[id(labels)] = clock
            last.setdefault(id(ev.out), clock)
            if isinstance(FORMS.get(ev.op), View):
                views.append((ev.out, ev.parents[0]))
        elif event[0] == "backward":
            clock -= 1                       # (the pass counts per node, not as a whole)
            for t in reversed(event[1]):
                if t._backward is None:
                    continue
                clock += 1
                ev = recorded.get(id(t))
                if ev is None:
                    continue
                reads = getattr(FORMS.get(ev.op), "reads", ("inputs", "out"))
                if "out" in reads:
                    last[id(t)] = clock
                readers = ev.parents if "inputs" in reads else \
                    ev.parents[:1] if "x" in reads else ()
                for p in readers:
                    last[id(p)] = clock
    for view, base in reversed(views):      # a view lives as long as its base
        last[id(base)] = max(last.get(id(base), 0), last.get(id(view), 0))
    for t in _tensors_in(returned):
        last[id(t)] = float("inf")
    return last


def _tensors_in(returned) -> list:
    if isinstance(returned, Tensor):
        return [returned]
    if isinstance(returned, (tuple, list)):
        return [t for r in returned for t in _tensors_in(r)]
    return []


def _params_of(owner) -> list:
    """The parameters an optimizer or a module clears in zero_grad."""
    if hasattr(owner, "param_groups"):
        return [q for g in owner.param_groups for q in g["params"]]
    return list(owner.parameters())


def _arena_params(rec, arenas: dict) -> list:
    found, seen = [], set()
    for event in rec.events:
        if event[0] == "step":
            for arena in arenas_of(arenas, event[1]):
                if id(arena) not in seen:
                    seen.add(id(arena))
                    found.append(arena)
    return found


def arenas_of(arenas: dict, optimizer) -> list:
    return arenas.get(id(optimizer), [])


def build_arenas(rec, arenas: dict) -> dict:
    """The arenas of every optimizer the step steps, reused where they still hold."""
    for event in rec.events:
        if event[0] != "step":
            continue
        opt, stepped = event[1], event[2]
        known = arenas.get(id(opt))
        if known is not None and all(a.owns() for a in known) and \
                [a.params for a in known] == [ps for ps in stepped if ps]:
            for a in known:
                a.adopt()
            continue
        arenas[id(opt)] = [Arena(opt, group, ps)
                           for group, ps in zip(opt.param_groups, stepped) if ps]
    return arenas


def _zero_grad(owner, set_to_none: bool):
    """An optimizer's or a module's zero_grad, as eager (it also clears what the replay does
    not write)."""
    return lambda: owner.zero_grad(set_to_none)


def _adder(target: np.ndarray, scratch: np.ndarray):
    return lambda: np.add(target, scratch, out=target)


def _adopt(pairs: list):
    """p.grad = its arena tensor (zero_grad may have set it to None)."""
    def step():
        for p, gt in pairs:
            p.grad = gt
    return step


def _accumulate_into(p: Tensor, gt: Tensor, total: np.ndarray):
    def step():
        if p.grad is None:
            np.copyto(gt.data, total)
            p.grad = gt
        else:
            p.grad.data += total
    return step


def _eager_leaf(leaf: Tensor, total: np.ndarray):
    def step():
        if leaf.grad is None:
            leaf.grad = fresh(np.array(total))
        else:
            leaf.grad.data += total
    return step
