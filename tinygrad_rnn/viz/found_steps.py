"""Steps found from the graph alone: a loop that calls a plain function as its cell, no module and no scope,

    def rnn_cell(x, h):
        return tr.tanh(x @ W_x + h @ W_h + b)

    for t in range(T):
        h = rnn_cell(xs[t], h)

records no step (no module's call is seen: :func:`~tinygrad_rnn.nn.chains.call_user_module`) and names none (no
``tr.scope(f"t={t}")``). Its recurrence is still in the graph, and is drawn where it is found there honestly: one
weight read once a repetition, each read's other operand the state the repetition before computed (h_{t−1} @ W_h),
and every repetition the same ops reading the same weights. Each repetition's ops are then marked as the scope
``t=k`` would have marked them, so the figure is the one the loop written under ``tr.scope(f"t={t + 1}")`` draws —
cells t = 1 … T, h_t between them, x_t under each, one Σ per weight in BPTT — and a note says the steps were found
so. Where no such weight is found, nothing is marked, and the figure says how to mark the steps.
"""

from __future__ import annotations

import re
import weakref
from collections import Counter
from typing import Any

from ..function import Node
from ..tensor import Tensor

FOUND_NOTE = "Steps found from the graph (no tr.scope): the same ops repeated, each fed the state the one before made"
_STEP_SCOPE = re.compile(r"(?:^|\s)t=\d+$")  # "t=3", "enc t=3": a step the user's scope names
# the ops a drawing marked with the steps it found: later drawings of the same graph say so too
_FOUND: weakref.WeakSet = weakref.WeakSet()


def find_steps(roots: tuple[Tensor, ...]) -> bool:
    """Mark the steps of a recurrence found in the graph of ``roots`` that records none (see the module's
    docstring); True where the graph's steps were found so (now or by an earlier drawing).

    >>> import tinygrad_rnn as tr
    >>> W_x, W_h = tr.randn(2, 3, requires_grad=True), tr.randn(3, 3, requires_grad=True)
    >>> def rnn_cell(x, h):
    ...     return tr.tanh(x @ W_x + h @ W_h)
    >>> h = tr.zeros(1, 3)
    >>> for t in range(3):
    ...     h = rnn_cell(tr.randn(1, 2), h)
    >>> find_steps((h.sum(),)), h.grad_fn.scope, h.name
    (True, ('t=3',), 'h')
    """
    functions, readers_of, made, stepped = _gathered(roots)
    if stepped is not None:  # steps recorded, or written (or found by an earlier drawing): none to find
        return stepped in _FOUND
    weights: dict[int, tuple[Any, list]] = {}  # {id: (a weight, the ops that read it, in the order recorded)}
    for function in sorted(functions, key=lambda f: f.sequence_nr):
        for parent in function.parents:
            if _is_weight(parent):
                weights.setdefault(id(parent), (parent, []))[1].append(function)
    for weight, reads in weights.values():
        steps = _repetitions(weight, reads, readers_of, made) if len(reads) > 1 else None
        if steps is not None:
            for t, (ops, state) in enumerate(steps, start=1):
                for function in ops:
                    function.scope = (f"t={t}", *function.scope)
                    _FOUND.add(function)
                if state.name is None:
                    state.name = "h"  # the state the next repetition reads: the lectures' h_t
            return True
    return False


def _gathered(roots: tuple[Tensor, ...]) -> tuple[list, dict[int, list], dict[int, Node], Any]:
    """Every op that computed ``roots``, {id of an op: the ops that read its output}, {id of an op: its output}, and
    None — or, as soon as one is met, the op that records a step or whose scope names one (walked without
    recursion)."""
    stack = [root._node.grad_fn for root in roots if root._node is not None]
    seen, functions, readers_of = {id(function) for function in stack}, [], {}
    made = {id(root._node.grad_fn): root._node for root in roots if root._node is not None}
    while stack:
        function = stack.pop()
        if function.step is not None or any(_STEP_SCOPE.search(part) for part in function.scope):
            return functions, readers_of, made, function
        functions.append(function)
        for parent in function.parents:
            if isinstance(parent, Node):
                readers_of.setdefault(id(parent.grad_fn), []).append(function)
                made.setdefault(id(parent.grad_fn), parent)
                if id(parent.grad_fn) not in seen:
                    seen.add(id(parent.grad_fn))
                    stack.append(parent.grad_fn)
    return functions, readers_of, made, None


def _repetitions(weight: Any, reads: list, readers_of: dict[int, list],
                 made: dict[int, Node]) -> list[tuple[list, Node]] | None:
    """[(the ops of repetition k, the state it computed)] where ``weight``'s k-th read is in repetition k and reads the
    state repetition k − 1 computed, and every repetition is the same ops reading the same weights; else None."""
    operands = [[parent for parent in read.parents if parent is not weight and not _is_weight(parent)]
                for read in reads]  # (linear(h, W, b): h, beside the weights)
    if len(operands[0]) > 1 or any(len(other) != 1 or not isinstance(other[0], Node) for other in operands[1:]):
        return None  # (x_t @ W_x: the other operand is a new input each time, no state)
    states = [other[0] for other in operands[1:]]  # h_1 … h_{T−1}: what the next read multiplies
    seen: set[int] = set()
    before_first: list = []  # the ops that made h_0, if ops did (an encoder's): those are no repetition
    if operands[0] and isinstance(operands[0][0], Node):
        before_first = _ops_back_to(operands[0][0].grad_fn, seen)
    steps = []
    for read, state in zip(reads, states):
        ops = _ops_back_to(state.grad_fn, seen)
        if read not in ops:
            return None
        steps.append((ops, state))
    last = _last_repetition(reads[-1], steps[-1], readers_of, made, seen)
    if last is None:
        return None
    steps.append(last)
    pattern = _signature(steps[0][0])
    if _weights_read(before_first) & _weights_read(steps[0][0]):  # h_0 made with the cell's own weights: a first
        return None  # step written apart (h = tanh(x @ W_x + b) when h is None) — which op is step 1 is not certain
    return steps if all(_signature(ops) == pattern for ops, _ in steps[1:]) else None


def _last_repetition(read: Any, before: tuple[list, Node], readers_of: dict[int, list], made: dict[int, Node],
                     seen: set[int]) -> tuple[list, Node] | None:
    """The last repetition, which no later read shows: the first op after ``read`` that computes what the repetition
    ``before`` computed its state with, from ops that are the same as that repetition's."""
    ops_before, state_before = before
    made_by, stack, found = state_before.grad_fn.name, [read], []
    visited = {id(read)}
    while stack:  # (everything computed from the read: the state's op among it)
        function = stack.pop()
        if function.name == made_by:
            found.append(function)
        for reader in readers_of.get(id(function), ()):
            if id(reader) not in visited:
                visited.add(id(reader))
                stack.append(reader)
    for candidate in sorted(found, key=lambda f: f.sequence_nr):
        ops = _ops_back_to(candidate, set(seen), limit=len(ops_before))
        if ops is not None and read in ops and _signature(ops) == _signature(ops_before):
            _ops_back_to(candidate, seen)
            return ops, made[id(candidate)]
    return None


def _ops_back_to(function: Any, seen: set[int], limit: int | None = None) -> list | None:
    """The ops ``function`` was computed from, itself included, not yet in ``seen`` (which takes them in); None past
    ``limit`` of them."""
    if id(function) in seen:
        return []
    seen.add(id(function))
    stack, ops = [function], []
    while stack:
        current = stack.pop()
        ops.append(current)
        if limit is not None and len(ops) > limit:
            return None
        for parent in current.parents:
            if isinstance(parent, Node) and id(parent.grad_fn) not in seen:
                seen.add(id(parent.grad_fn))
                stack.append(parent.grad_fn)
    return ops


def _signature(ops: list) -> Counter:
    """What a repetition computes, whatever its inputs' values: each op's name and the weights it reads."""
    return Counter((function.name, *sorted(id(parent) for parent in function.parents if _is_weight(parent)))
                   for function in ops)


def _weights_read(ops: list) -> set[int]:
    """The weights ``ops`` read (by id)."""
    return {id(parent) for function in ops for parent in function.parents if _is_weight(parent)}


def _is_weight(parent: Any) -> bool:
    """Whether an op's input is a tensor that learns and no op made (a weight, a bias)."""
    return not isinstance(parent, Node) and getattr(parent, "requires_grad", False)
