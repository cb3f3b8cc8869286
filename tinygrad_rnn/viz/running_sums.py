"""A loss summed in a loop, as the PyTorch tutorials write it (``loss = loss + J_t`` at every step), or
stacked (``tr.stack(losses).mean()``).

Each ``add`` of that running sum is recorded inside the step it runs in, so grouped with its cell it
would be drawn as a second state handed from cell to cell, and the last one (J itself) as "J₄" — as
if the loss were on the last step only. It is the sum of per-step losses, as ``tr.stack(losses).sum()``
is: :func:`take_out_of_steps` finds the chain of adds (before the ops are grouped into cells) and
takes them out of their steps, and :func:`draw_as_sum` draws J_t out of each step's cell into one
Σₜ Jₜ node that is J — the node a BPTT figure hands each J_t its ∂J/∂J_t = 1 from (1/T for a mean).

The steps are found wherever they are recorded: a loop of ``nn.RNNCell`` calls without scopes records
the cell's ops in its steps but not the user's head and J_t = head(h_t).sum(), nor an add written after
the ``with`` block. Such an op belongs to the latest step it reads (J_t to step t), and J_t is drawn
out of the node it is drawn in — its cell, or the head drawn once per step — so that the head's arrow
back into cell t reads (1/T) ∂J_t/∂h_t, never a gradient written in terms of itself.

>>> import tinygrad_rnn as tr
>>> from tinygrad_rnn.viz.graph import build_picture
>>> h, loss = tr.zeros(1, 2, requires_grad=True), 0
>>> for t in range(3):
...     with tr.scope(f"t={t + 1}"):
...         h = (h + 1).tanh()
...         loss = loss + h.sum()
>>> picture = build_picture((loss,), level="cell", show_shapes=False)
>>> sorted(label for _, _, label in picture.edges if label.startswith("J"))
['J₁', 'J₂', 'J₃']
"""

from __future__ import annotations

from collections import deque
from typing import Any

from .picture import Node, subscript
from .step_states import state_name
from .user_steps import LinkMaps

SUM_OF_LOSSES = "Σₜ Jₜ"  # the node the per-step losses of a running sum meet in


def losses_summed(mean: int | str | None) -> str:
    """The label of the node the J_t meet in: their sum, or their mean over ``mean`` steps ("T": any number of them,
    as the rolled view writes it) as a layer's mean of its J_t is written.

    >>> losses_summed(None), losses_summed(4), losses_summed("T")
    ('Σₜ Jₜ', '(1/4) Σₜ Jₜ', '(1/T) Σₜ Jₜ')
    """
    return f"(1/{mean}) {SUM_OF_LOSSES}" if mean else SUM_OF_LOSSES


def sum_of_losses(what: Any, mean: int | None, scope: tuple[str, ...] = ()) -> Node:
    """The node J_t meet in: a running sum's, or a loss over a sequence's (``what`` tells them apart in its key),
    their mean over ``mean`` steps (None: their sum). Its key says it (:func:`mean_over`), not only its label."""
    return Node(("reduced", what, mean), "op", losses_summed(mean), scope)


def mean_over(node: Node) -> int | None:
    """T where ``node`` (:func:`sum_of_losses`) is the mean of T losses (the BPTT figure hands each J_t 1/T of ∂J),
    None for their sum."""
    return node.key[2]


def take_out_of_steps(nodes: list[Node], links, maps: LinkMaps) -> tuple[dict[int, list[int]], int | None]:
    """Find the per-step losses J sums, and how: a running sum ending at the first output — a chain of
    scalar adds, one a step, each reading the one before it (the first may read a constant 0) and its own
    step's loss J_t, each read only by the next — whose adds it takes out of their steps (drawn as J's sum,
    not in the cells); or ``tr.stack(losses).sum()`` or ``.mean()`` of one scalar a step. An op outside every
    step (a loop of cell calls without scopes, or ``loss = loss + J_t`` after the ``with`` block) belongs to
    the latest step it reads: J_t = head(h_t).sum() to step t. Returns ({position of the op computing J_t: its
    cone, the ops it is computed from outside the steps, nearest first, down to the first op of a step on each
    path}, T where J is their mean), or ({}, None) where J is neither. ``maps``: the links'
    (:func:`.user_steps.link_maps`)."""
    inputs, readers = maps
    roots = [tail for tail, head, _, _ in links if nodes[head].kind == "output"]
    if not roots or nodes[roots[0]].kind != "op":
        return {}, None
    step_at = _steps_read(nodes, inputs)
    stacked, mean = _stacked_losses(nodes, inputs, roots[0], step_at)
    if not stacked:
        stacked = _running_sum(nodes, inputs, readers, roots[0], step_at)
    return {p: _cone(p, nodes, inputs) for p in stacked}, mean if stacked else None


def _steps_read(nodes: list[Node], inputs: dict[int, list[int]]) -> dict[int, int]:
    """{op position: its step}: an op's own, or for an op outside every step the latest step it reads."""
    step_at: dict[int, int] = {}
    pending = [p for p, node in enumerate(nodes) if node.kind == "op"]
    done: set[int] = set()
    while pending:  # a walk in dependency order, no recursion
        position = pending[-1]
        if position in done:
            pending.pop()
            continue
        waiting = [t for t in inputs.get(position, []) if nodes[t].kind == "op" and t not in done]
        if waiting and nodes[position].step is None:
            pending.extend(waiting)
            continue
        pending.pop()
        done.add(position)
        read = [step_at[t] for t in inputs.get(position, []) if t in step_at]
        step = nodes[position].step if nodes[position].step is not None else max(read, default=None)
        if step is not None:
            step_at[position] = step
    return step_at


def _running_sum(nodes: list[Node], inputs, readers, root: int, step_at: dict[int, int]) -> dict[int, int]:
    """loss = loss + J_t: {J_t's op: t}, the chain of adds ending at ``root`` taken out of their steps. Every add
    reads the one before it and its own step's J_t, nothing else, down to the first (0 + J₁): a chain that ends
    otherwise (J₁ + J₂, as a generation's log P(ŷ | x) adds up its steps' log-probabilities) is no running sum of
    losses, and is drawn as it is recorded."""
    chain: list[int] = []
    terms: dict[int, int] = {}
    position: int | None = root
    while position is not None:
        step = step_at.get(position)
        if not _scalar_add(nodes[position], step) or (chain and readers[position] != {chain[-1]}):
            return {}
        earlier = [p for p in inputs.get(position, []) if _scalar_add(nodes[p], step_at.get(p)) and step_at[p] < step]
        own = [p for p in inputs.get(position, []) if p not in earlier and step_at.get(p) == step]
        if len(earlier) > 1 or len(own) != 1 or len(earlier) + 1 != len(inputs.get(position, [])) or (
                chain and step >= step_at[chain[-1]]):
            return {}
        chain.append(position)
        terms[own[0]] = step
        position = earlier[0] if earlier else None
    if len(chain) < 2:  # one add is no loop
        return {}
    for position in chain:
        nodes[position].step, nodes[position].row = None, ()
    return terms


def _stacked_losses(nodes: list[Node], inputs: dict[int, list[int]], root: int,
                    step_at: dict[int, int]) -> tuple[dict[int, int], int | None]:
    """J = tr.stack(losses).sum(), or .mean() (a sum divided by T): ({J_t's op: t}, T for a mean)."""
    position, mean = root, None
    if nodes[position].key.name == "div" and len(inputs.get(position, [])) == 1:
        constants = [x for x in nodes[position].key.inputs if isinstance(x, (int, float))]
        position, mean = inputs[position][0], int(constants[0]) if constants else None
    if nodes[position].key.name != "sum" or len(inputs.get(position, [])) != 1:
        return {}, None
    stack = inputs[position][0]
    if nodes[stack].kind != "op" or nodes[stack].key.name != "stack":
        return {}, None
    terms = {p: step_at[p] for p in inputs.get(stack, []) if nodes[p].kind == "op" and nodes[p].tensors
             and tuple(nodes[p].tensors[0].shape) == () and p in step_at}
    steps = sorted(terms.values())
    one_a_step = len(terms) == len(inputs[stack]) and steps == sorted(set(steps))
    if len(terms) < 2 or not one_a_step or (mean and mean != len(steps)):
        return {}, None
    return terms, mean


def _cone(position: int, nodes: list[Node], inputs: dict[int, list[int]]) -> list[int]:
    """J_t's op and the ops outside the steps it is computed from, nearest first, down to the first op of a step
    on each path: one of them is the node J_t is drawn in (its cell, or the head drawn once per step)."""
    found, queue = {position: None}, deque([position])  # (a dict: ordered, nearest first, and a set)
    while queue:
        for tail in inputs.get(queue.popleft(), []):
            if nodes[tail].kind == "op" and tail not in found:
                found[tail] = None
                if nodes[tail].step is None:
                    queue.append(tail)
    return list(found)


def draw_as_sum(nodes: list[Node], found: tuple[dict[int, list[int]], int | None], grouped: list[Node], edges,
                level: str):
    """After grouping: the edge from each step's node that computes J_t (its cell, or its head drawn once per step)
    into J becomes J_t into one Σₜ Jₜ node (or (1/T) Σₜ Jₜ for a mean), which feeds J. ``found`` is what
    :func:`take_out_of_steps` returned (positions in ``nodes``, before grouping); ``grouped``, the nodes after
    grouping at ``level``, and ``edges`` theirs."""
    terms, mean = found
    if not terms:
        return grouped, edges
    drawn_as: dict[Any, int] = {}  # a drawn node's key → its index: a cell's (row, step), a head's ("split", op)
    for i, node in enumerate(grouped):
        if node.kind == "group" and isinstance(node.key, tuple):
            drawn_as[node.key[:2] if node.key[:1] == ("split",) else node.key] = i
    cells: dict[int, int] = {}
    for cone in terms.values():
        keys = [(nodes[p].row if level == "cell" else nodes[p].row[:1], nodes[p].step) if nodes[p].step is not None
                else ("split", p) for p in cone]
        found_in = next((drawn_as[key] for key in keys if key in drawn_as), None)
        if found_in is None or found_in in cells or grouped[found_in].step is None:
            return grouped, edges
        cells[found_in] = grouped[found_in].step
        for p, key in zip(cone, keys):  # J_t = h_t.sum() outside the cell: the cell reads h_t in itself, as if J_t were
            if key == grouped[found_in].key:  # in it — the arrow back from cell t + 1 carries only a part of ∂J/∂h_t
                grouped[found_in].read_inside.update(filter(None, (state_name(nodes[p], out)
                                                                    for out in range(len(nodes[p].tensors)))))
    output = next(i for i, node in enumerate(grouped) if node.kind == "output")
    total = len(grouped)
    grouped = [*grouped, sum_of_losses("sum of the steps' losses", mean)]
    kept = [(tail, head, label) for tail, head, label in edges if not (tail in cells and head == output)]
    return grouped, [*kept, *((cell, total, subscript("J", t)) for cell, t in cells.items()), (total, output, "")]


def _scalar_add(node: Node, step: int | None) -> bool:
    return (node.kind == "op" and step is not None and getattr(node.key, "name", "") == "add"
            and bool(node.tensors) and tuple(node.tensors[0].shape) == ())
