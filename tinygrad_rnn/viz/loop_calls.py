"""Which calls of a user's module belong to a loop's steps, and which come after them.

A module called once a step is drawn once a step (``levels.py``: ``linear t`` above or below each cell). The same
module may be called again after the loop — ``proj(h)`` on the last state of a loop that calls
``cell(proj(emb(x_t)), h)`` — reading the same shapes as its calls in the loop. That call is no step's: it is
drawn after the steps, beside J, as the lectures draw a classifier's head on h_T. A hand loop's own leaves, one a step,
are its x_t (:func:`inputs_of_each_step`).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..steps import step_of
from .picture import Node, subscript


def calls_after_the_steps(nodes: list[Node], doing: dict[int, Any], group_of: dict[int, Any]) -> set[int]:
    """The positions of the calls made after a loop's steps, among the calls of one op on the same parameters and
    shapes (``doing``: position → that key; a key held by one position is no loop's). Where some calls of a key
    are inside the user's ``tr.scope("t=…")`` steps, a call outside every such scope is after them. Where none is
    (a loop with no scopes), the calls are taken in the order they ran: a key called more often than the loop has
    steps, its last calls after the last cell's ops, are the calls after the loop.

    >>> import tinygrad_rnn as tr
    >>> from tinygrad_rnn.viz.graph import build_picture
    >>> cell, proj = tr.nn.RNNCell(2, 2), tr.nn.Linear(2, 2)
    >>> h = tr.zeros(1, 2)
    >>> for t in range(2):
    ...     with tr.scope(f"t={t + 1}"):
    ...         h = cell(proj(tr.ones(1, 2)), h)
    >>> picture = build_picture(((proj(h) ** 2).sum(),), level="cell", show_shapes=False)
    >>> sorted(node.label.replace("\\n", " ") for node in picture.nodes if node.kind in ("group", "op"))
    ['RNN cell t=1', 'RNN cell t=2', 'linear', 'linear t=1', 'linear t=2']
    """
    calls: dict[Any, list[int]] = {}
    for position, key in doing.items():
        if isinstance(key, tuple):
            calls.setdefault(key, []).append(position)
    steps_per_row = Counter(row for row, _ in set(group_of.values()))
    steps = max(steps_per_row.values(), default=0)
    last_cell_op = max((_order(nodes[p]) for p in group_of), default=-1)
    after: set[int] = set()
    for positions in calls.values():
        if len(positions) < 2:
            continue
        in_steps = [p for p in positions if any(step_of((part,)) is not None for part in nodes[p].scope)]
        if in_steps:  # the scopes say which calls are the steps'
            after.update(p for p in positions if p not in in_steps)
        elif len(positions) > steps > 0:  # no scopes: the calls beyond one a step, run after the last cell
            late = sorted((p for p in positions if _order(nodes[p]) > last_cell_op), key=lambda p: _order(nodes[p]))
            after.update(late[len(late) - min(len(late), len(positions) - steps):])
    return after


def inputs_of_each_step(nodes: list[Node], edges) -> None:
    """A loop written by hand that reads one new leaf a step (xs[t] of a tensor that needs no gradient: a leaf
    of its own each step): each is that step's input x_t, drawn under its cell as the lectures draw x_t — beside
    the row they sat wherever there was room (x₃ right of J, x₁ on h_0's arrowhead). An initial state (h_0, read by
    the first cell alone) is not one: the leaves must feed every cell of a row, one each, alike in name."""
    readers: dict[int, list[int]] = {}
    for tail, head, _ in edges:
        readers.setdefault(tail, []).append(head)
    by_row: dict[tuple, list[tuple[int, int]]] = {}  # (row, the leaf's label) → (leaf, the cell reading it)
    for i, node in enumerate(nodes):
        heads = readers.get(i, [])
        if node.kind == "input" and node.step is None and len(heads) == 1 and nodes[heads[0]].kind == "group":
            by_row.setdefault((nodes[heads[0]].row, node.label), []).append((i, heads[0]))
    placed = []
    for (row, _), pairs in by_row.items():
        cells = {j for j, node in enumerate(nodes) if node.kind == "group" and node.row == row and node.step}
        if len(pairs) >= 2 and {cell for _, cell in pairs} == cells and len(pairs) == len(cells):
            placed.append(pairs)
    unnamed = sum(nodes[pairs[0][0]].label.partition("\n")[0] == "input" for pairs in placed)
    for pairs in placed:
        for leaf, cell in pairs:
            node, step = nodes[leaf], nodes[cell].step
            name, _, rest = node.label.partition("\n")
            name = "x" if name == "input" and unnamed == 1 else name  # two rows' inputs are not both x_t
            node.step = step
            node.label = subscript(name, step) + ("\n" + rest if rest else "")


def _order(node: Node) -> int:
    """When an op ran: its place in the order ops were recorded."""
    return getattr(node.key, "sequence_nr", -1)
