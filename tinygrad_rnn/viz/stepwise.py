"""A graph with each sequence node recorded again step by step: what drawings and analyses walk.

The fast recurrent stepper (``tinygrad_rnn/fast/recurrent``) records a whole layer as one node of
the graph; a drawing shows its steps all the same. Such a node says how to record its work step by
step — its ``stepwise(*inputs)`` gives the same outputs recorded with one op (a fused cell) per
step, each in its scope t=k — and :func:`stepwise_graph` computes the graph again with it. On the
plain path (``TINYGRAD_RNN_FAST=0``) no op has ``stepwise``, and the graph is returned as it is.
"""

from __future__ import annotations

import copy
from typing import Any

from ..engine import ops_in_order, vertex_of
from ..function import Node
from ..recording import STATE
from ..tensor import Tensor


def _records_a_sequence(function: Any) -> bool:
    """True for an op that recorded a whole sequence as one node (it can record it step by step)."""
    return function is not None and callable(getattr(function, "stepwise", None))


def stepwise_graph(roots: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
    """``roots`` computed again from the same leaves by the same ops, each sequence node recorded
    step by step (its ``stepwise``): what a drawing or an analysis that follows the steps walks.
    Every op is run again on copies of its Function (in its own scope,
    its tensors named as before), so nothing of the given graph is changed and its freed arrays
    are not needed (random numbers, such as dropout's mask, are constants of the graph: the same).
    ``roots`` themselves where the graph has no sequence node (or is a gradient graph): always so
    with ``TINYGRAD_RNN_FAST=0``, where a layer records its steps itself.

    >>> import tinygrad_rnn as tr
    >>> output, _ = tr.nn.GRU(2, 3, fused=True)(tr.randn(4, 1, 2))   # (one node, where fast/ is installed)
    >>> (again,) = stepwise_graph((output.sum(),))
    >>> again.grad_fn.parents[0].grad_fn, float(again) == float(output.sum())
    (<Stack>, True)
    """
    leaves, ops = ops_in_order([vertex_of(t) for t in roots], freed=True)  # (no saved array is read)
    if not any(_records_a_sequence(f) for f in ops) or any(f.is_gradient for f in ops):
        return roots
    again: dict[Any, Tensor] = {leaf: leaf for leaf in leaves}  # a vertex of the given graph → its tensor again
    copies = []
    previous = STATE.grad_enabled, STATE.scope, STATE.step
    try:
        STATE.grad_enabled = True
        for function, reached in ops.items():
            inputs = tuple(again.get(x, x) if isinstance(x, (Tensor, Node)) else x for x in function.parents)
            STATE.scope, STATE.step = function.scope, function.step
            if _records_a_sequence(function):
                made = function.stepwise(*inputs)
            else:
                replay = copy.copy(function)
                replay.released = False
                copies.append(replay)
                made = replay._record(inputs)
            made = made if isinstance(made, tuple) else (made,)
            for vertex in reached if function.multiple_outputs else (reached,):
                tensor = made[vertex.output_index]
                tensor.name = vertex.name
                again[vertex] = tensor
    finally:
        STATE.grad_enabled, STATE.scope, STATE.step = previous
    for replay in copies:  # a generation step's link to the scores its ids were chosen from
        if getattr(replay, "chosen_from", None) in again:
            replay.chosen_from = vertex_of(again[replay.chosen_from])
    return tuple(again[vertex_of(t)] for t in roots)
