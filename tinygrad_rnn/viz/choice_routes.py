"""A choice fed back into the row's last step goes round that step's far side, crossing no state.

Greedy generation feeds the word chosen from step t's scores (s_t, above step t) to step t+1 as its input (under
it), along a dashed line: a choice, no gradient through it. Down the gap between the two steps, that line crossed
the state h_t (and an LSTM's c_t) running from step t to step t+1 — a dashed line across a solid state's arrow,
read as joining it (the deck's slide 13, just past the names h₁⁽ᵈ⁾ and c₁⁽ᵈ⁾). Into the row's last step it need not:
it rises to a lane of its own just over the heads (the bus to the loss one lane further out), passes over the last
step's head (crossing its line up to the bus: a score on its way to the loss, not a state) and comes down beyond
the last step's far side — where no state leaves it — into the input's side. Into a step further in there is no
way round (every step's states run on to the next): the line drops down the gap between the two steps
(:meth:`.routes.Routes._choice_route`).
"""

from __future__ import annotations

from .geometry import LABEL_OFFSET, Box, Route, drawn_width, finish
from .picture import passes_no_gradient
from .risers import BESIDE_COLUMN


def feeds_the_last_step(grid, tail: int, head: int) -> bool:
    """Whether the choice from ``tail`` (step t's head) to the input ``head`` feeds the last step of its row, to
    the right of step t."""
    fed = [grid.block_of[node] for node in grid.successors[head] if node in grid.block_of]
    last = max((column for _, column in grid.block_of.values()), default=-1)
    return tail in grid.block_of and len(fed) == 1 and fed[0][1] == last > grid.block_of[tail][1]


def drops_in_a_gap(grid) -> bool:
    """Whether a choice of the grid drops down the gap between two steps (its width then holds it beside the
    state's name there: :meth:`.coordinates.Coordinates._coordinates`)."""
    return any(passes_no_gradient(label) and not feeds_the_last_step(grid, tail, head)
               for tail, head, label in grid.edge_list)


CHOICE_CLEAR = 2  # lanes between a choice's way over the heads and the buses over it (one lane empty between)


def keep_a_lane(grid) -> None:
    """The lane nearest the heads' row kept for a choice that goes round the last step, the buses' lanes over it
    ``CHOICE_CLEAR`` further out: midway between the heads and the bus to the loss, it ran 5 points under the bus,
    along it, read as one bundle with it; a lane under it (6 points on a slide, 15 px) the dashed line still read
    as the solid bus's second line."""
    for tail, head, label in grid.edge_list:
        if passes_no_gradient(label) and feeds_the_last_step(grid, tail, head):
            row = grid.block_of[tail][0]
            grid.lane.update({key: lane + CHOICE_CLEAR for key, lane in grid.lane.items() if key[:2] == (row, True)})
            grid.lanes_above[row] += CHOICE_CLEAR
            return


def round_the_last_step(grid, tail: int, a: Box, b: Box, label: str) -> Route:
    """Out of the side of step t's head (``a``) that faces the last step (out of its top, it ran up a few points
    beside the head's line up to the bus), up to the lane kept for it over the heads (:func:`keep_a_lane`), over
    them, down beyond the last step's column and into the input's (``b``) far side; named beside the way down,
    level with the gap over the input."""
    over = grid.lane_top[grid.block_of[tail][0]] + grid.space.lane
    beyond = grid.column_x[-1] + grid.column_width / 2 + BESIDE_COLUMN
    turn = a.right + 2 * grid.space.lane
    label_at = (beyond + LABEL_OFFSET + drawn_width([label]) / 2, b.top + grid.space.gap_y / 2)
    return finish([(a.right, a.y), (turn, a.y), (turn, over), (beyond, over), (beyond, b.y)], (b.right, b.y), label,
                  label_at)
