"""The recorder: what ``cr.compile`` learns from running a step once, eagerly.

While it is installed (``grad_mode._state["recorder"]``) the engine reports to it: every op
result (``tensor.result``), every backward pass (``autograd.run_backward``), every
``optimizer.step()`` and ``zero_grad()``, every module call and every draw from the random
generator. It keeps them as a list of events in the order they happened, and the first
reason, if any, why the step cannot be replayed.
"""
from __future__ import annotations

from ..grad_mode import _state

__all__ = ["Recorder", "recording"]


class OpEvent:
    __slots__ = ("out", "parents", "op", "attrs", "rule")

    def __init__(self, out, parents, op, attrs, rule):
        self.out, self.parents, self.op, self.attrs, self.rule = out, parents, op, attrs, rule


class Recorder:
    def __init__(self) -> None:
        self.events: list = []       # ("op", OpEvent) | ("backward", order, seeds)
                                     # | ("step", optimizer, params)
                                     # | ("zero_grad", optimizer or module, set_to_none)
        self.modules: dict = {}      # id -> module called in the step (their train/eval mode)
        self.reason: str | None = None
        self._draws = 0              # generator draws not yet claimed by an op

    def unsupported(self, reason: str) -> None:
        if self.reason is None:
            self.reason = reason

    # ------------------------------------------------------------- engine reports
    def on_op(self, out, parents, op: str, attrs, rule) -> None:
        draws, self._draws = self._draws, 0
        if draws and op != "dropout":
            self.unsupported(f"random numbers drawn inside the step (before {op}); a replay "
                             "would freeze them")
        self.events.append(("op", OpEvent(out, tuple(parents), op, attrs, rule)))

    def on_random(self) -> None:
        self._draws += 1

    def on_module(self, module) -> None:
        if module._hooks:
            self.unsupported(f"forward hooks on {type(module).__name__}")
        self.modules[id(module)] = module

    def on_backward(self, order: list, seeds: dict, *, create_graph: bool, inputs,
                    observed: bool, retain_graph: bool) -> None:
        if create_graph:
            self.unsupported("backward(create_graph=True)")
        if inputs is not None:
            self.unsupported("cr.grad (a backward pass that returns gradients)")
        if observed:
            self.unsupported("an observed backward pass (cr.inspect.trace)")
        if any(node._hooks for node in order):
            self.unsupported("tensor hooks (register_hook)")
        self.events.append(("backward", list(order), dict(seeds)))

    def on_step(self, optimizer, closure) -> None:
        if closure is not None:
            self.unsupported("optimizer.step(closure)")
        # the parameters each group updates: those with a gradient now
        stepped = [[p for p in group["params"] if p.grad is not None]
                   for group in optimizer.param_groups]
        self.events.append(("step", optimizer, stepped))

    def on_zero_grad(self, optimizer, set_to_none: bool) -> None:
        self.events.append(("zero_grad", optimizer, set_to_none))

    def finish(self) -> None:
        if self._draws:
            self.unsupported("random numbers drawn inside the step (cr.randn, cr.rand, "
                             "init); a replay would freeze them")


class recording:
    """``with recording() as rec:`` installs a Recorder for the block (not re-entrant:
    a step that compiles another step inside itself is recorded as unsupported)."""

    def __enter__(self) -> Recorder:
        self.outer = _state["recorder"]
        self.rec = Recorder()
        if self.outer is not None:
            self.outer.unsupported("a compiled step called inside another one being recorded")
            self.rec.unsupported("recorded inside another compiled step")
        _state["recorder"] = self.rec
        return self.rec

    def __exit__(self, *exc) -> None:
        _state["recorder"] = self.outer
        self.rec.finish()
