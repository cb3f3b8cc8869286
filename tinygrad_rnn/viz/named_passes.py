"""A named line past the levels of its step, and the room its name needs there.

Inside a step a line to a node more than one level away runs up beside the levels in between and comes in
level with its head, into the head's side (:meth:`.routes.Routes._past_levels`). Where such a line carries a name
(a GRU cell's n rows, [W_hh h₀ + b_h″]ₙ into r ⊙ (·)), the name goes over that last level leg, between the head and
the step's border: beside the upright leg it lies among the levels' nodes. In CMU's names the leg was shorter than
half the name and the border nearer than the whole of it, so no spot along the line was clear: the name straddled
the border, h₀'s wire outside the step struck through its subscript. So:

* :func:`upright_x`: the upright leg stands far enough out from the head's side for the name's middle to sit over
  the last leg with the name clear of the head (a label this near a box reads as in it:
  :data:`.label_placement.NEAR_BOX`); and a line that passes beside such a leg on its way to a node higher up (the
  GRU's z₁ into the side of h₁) runs outside the name, a name's offset clear of it, not through it;
* :func:`border_room`: each row's steps leave that much more room inside their borders, on either side, where the
  nodes do not leave it already: the whole name, and a line passing outside it, lie inside their step.

Sides are told apart by where the tail stands across its level against the head across its own (the grid's
``position``): the side its line comes in by.

>>> round(name_reach("W_hn h₀ + b_hn"), 1)  # from the head's side to the name's far end
56.3
"""

from __future__ import annotations

from .geometry import ARROW, LABEL_CLEAR, LABEL_OFFSET, drawn_width
from .label_placement import NEAR_BOX

NAME_CLEAR = LABEL_OFFSET + 2 * LABEL_CLEAR  # between a name and a line passing it (nearer, it reads as that line's)


def leg_reach(label: str) -> float:
    """How far from its head's side a named line's upright leg stands: half the name clear of the head, with a
    point to spare (a name exactly NEAR_BOX from a box lies, in floating point, a hair nearer). The corner is one of
    the label placer's spots along the line: the name's middle over it."""
    return drawn_width([label]) / 2 + NEAR_BOX + 1.0


def name_reach(label: str) -> float:
    """How far from its head's side a named line's name reaches at most, lying over its last leg."""
    return leg_reach(label) + drawn_width([label]) / 2


def _past_levels(grid, tail: int, head: int) -> bool:
    step = grid.block_of.get(tail)
    return step is not None and grid.block_of.get(head) == step and abs(grid.level[head] - grid.level[tail]) > 1


def _on_right(grid, tail: int, head: int) -> bool:
    return grid.position[tail] >= grid.position[head]


def names_passed(grid, tail: int, head: int) -> list[tuple[int, int, str]]:
    """(tail, head, name) of each named line past levels whose last leg the line from ``tail`` past levels to ``head``
    passes beside: in its step, on its side, into a level between its two ends."""
    low, high = sorted((grid.level[tail], grid.level[head]))
    return [(other_tail, other_head, label) for other_tail, other_head, label in grid.edge_list
            if label and (other_tail, other_head) != (tail, head) and _past_levels(grid, other_tail, other_head)
            and grid.block_of[other_tail] == grid.block_of[tail] and low < grid.level[other_head] < high
            and _on_right(grid, other_tail, other_head) == _on_right(grid, tail, head)]


def _out(label: str, passed: list[tuple[float, str]]) -> float:
    """How far out from its head's side a line past levels runs up: an arrowhead and a little (a shorter last leg
    left the head no line to point along: drawn askew at the corner), far enough for its own name over its last
    leg, and outside each name it passes (``passed``: how far that name's head's side lies out from its own head's,
    and the name)."""
    reach = [ARROW + 4.0] + ([leg_reach(label)] if label else [])
    return max(reach + [beyond + name_reach(name) + NAME_CLEAR for beyond, name in passed])


def upright_x(grid, tail: int, head: int, label: str, x: float, side: float) -> float:
    """The x of the upright leg of the line past levels from ``tail`` into the ``side`` (1: right, −1: left) of
    ``head``: at ``x`` (beside the nodes of the levels between) or as far out as :func:`_out` says."""
    into = grid.boxes[head].right if side > 0 else grid.boxes[head].left
    passed = [(((grid.boxes[other].right if side > 0 else grid.boxes[other].left) - into) * side, name)
              for _, other, name in names_passed(grid, tail, head)]
    return side * max(x * side, into * side + _out(label, passed))


def border_room(grid, slot_width: dict, level_span: dict, extra: dict) -> dict[int, float]:
    """Row → the room to add inside each side of its steps' borders for the names of the lines past levels that
    come into a head's side (:func:`name_reach`, clear of the border), and for a line that runs outside such names
    (a node's padding from the border). ``slot_width``, ``level_span`` (with ``extra`` in it) and ``extra``: the
    grid's widths of each slot and level, and the room added between a level's slots (:func:`.passages.widening`)."""
    gap, pad = grid.space.gap_x, grid.space.box_pad
    widest: dict[int, float] = {}
    for (row, _), span in level_span.items():
        widest[row] = max(widest.get(row, 0.0), span)

    def beside(tail: int, head: int) -> float:  # from the head's side that the line comes in by to the border
        row, level, order, width = grid.block_of[head][0], grid.level[head], grid.order[head], grid.boxes[head].width
        before = sum(slot_width[(row, level, k)] + gap for k in range(order)) + sum(
            extra.get((row, level, k), 0.0) for k in range(order + 1))
        left = pad + (widest[row] - level_span[(row, level)]) / 2 + before + (slot_width[(row, level, order)]
                                                                                - width) / 2
        return widest[row] + 2 * pad - left - width if _on_right(grid, tail, head) else left

    room: dict[int, float] = {}
    for tail, head, label in grid.edge_list:
        if not _past_levels(grid, tail, head):
            continue
        own = beside(tail, head)
        passed = [(own - beside(*other), name) for *other, name in names_passed(grid, tail, head)]
        needs = [name_reach(label) + LABEL_CLEAR - own] if label else []
        if passed and _out(label, passed) > _out(label, []):  # (out where the names put it: inside the step)
            needs.append(_out(label, passed) + pad - own)
        row = grid.block_of[head][0]
        room[row] = max([room.get(row, 0.0)] + needs)
    return {row: need for row, need in room.items() if need > 0}
