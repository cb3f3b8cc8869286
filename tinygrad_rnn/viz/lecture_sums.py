"""The sums stage's figure on the page: each Σ of a row's shared weights set over the row, not beside it.

The BPTT figures put a row's Σ in the column of its initial states, left of the cells, and its bus runs
over the cells into the Σ's side. A page's figure holds every step at once, and that column cost the row
its width: beside an 8-step tanh RNN the figure's text was 23.98 px at 1,920 × 1,080 (an LSTM's in
CS224N's notation 22.8 px), where the row alone holds 24 px. Where nothing stands over the bus (a loss
on the last step: the row, its inputs under it and J at its end), the Σ goes up over the row's start,
its left edge at the figure's, and the bus turns up into it: the window that holds every drop is then
no wider than the row. A language model's heads and losses stand over its cells, and its Σ stay
where the layout put them.

>>> import tinygrad_rnn as tr
>>> from tinygrad_rnn.viz.graph import build_picture
>>> from tinygrad_rnn.viz.layout import labelled_layout
>>> loss = tr.nn.RNN(2, 3)(tr.randn(3, 1, 2))[0][-1].sum()
>>> picture = build_picture((loss,), level="cell", slide=True, weight_sums=True)
>>> _, placed = labelled_layout(picture)
>>> sigma = len(picture.nodes) - 1
>>> beside = placed.boxes[sigma].left < min(box.left for box in placed.boxes[:sigma])
>>> moved = sums_over_the_row(picture, placed, [sigma])
>>> beside, moved == [sigma], placed.boxes[sigma].left == min(box.left for box in placed.boxes[:sigma])
(True, True, True)
"""

from __future__ import annotations

from dataclasses import replace

from .geometry import ARROW, LABEL_LINE, Box, Layout, finish
from .picture import Picture

CLEAR = 4.0  # between the Σ and the drops' labels under it, and between its rising leg and the first drop


def sums_over_the_row(picture: Picture, placed: Layout, sums: list[int]) -> list[int]:
    """Move each Σ in ``sums`` whose bus runs over everything else of the figure up over the row's start, and
    route its terms' arrows along the bus and up into its bottom, in ``placed`` (changed in place); the Σ moved."""
    moved = []
    for sigma in sums:
        others = [box for i, box in enumerate(placed.boxes) if i not in sums]
        terms = [k for k, (_, head, _) in enumerate(picture.edges) if head == sigma]
        routes = [placed.routes[k] for k in terms]
        bus = {route.end[1] for route in routes}
        if not routes or len(bus) != 1:
            continue
        bus_y = bus.pop()
        if any(box.top > bus_y for box in others) or any(route.points[-1][1] != bus_y for route in routes):
            continue  # (something stands over the bus, or a term comes into the Σ otherwise than along it)
        risers = [next(x for x, y in route.points if y == bus_y) for route in routes]
        box = placed.boxes[sigma]
        _closer_to_the_row(picture, placed, sigma, sums)
        left = min(box.left for i, box in enumerate(placed.boxes) if i not in sums)
        x = min(left + box.width / 2, min(risers) - CLEAR - ARROW)
        # over the bus and over the drops' labels it stands above (t=1 is right of it: the Σ only clears the bus)
        labels = [route.label_at[1] + LABEL_LINE for route in routes if route.label_at is not None and
                  abs(route.label_at[0] - x) < box.width / 2 + LABEL_LINE]
        bottom = max([bus_y + 2 * ARROW, *labels]) + CLEAR
        placed.boxes[sigma] = Box(x, bottom + box.height / 2, box.width, box.height)
        for k, route in zip(terms, routes):
            rise = route.points[:next(i for i, (_, y) in enumerate(route.points) if y == bus_y) + 1]
            up = finish([*rise, (x, bus_y)], (x, bottom), picture.edges[k][2])
            placed.routes[k] = replace(route, points=up.points, end=up.end)
        moved.append(sigma)
    return moved


def _closer_to_the_row(picture: Picture, placed: Layout, sigma: int, sums: list[int]) -> None:
    """The Σ's column-mates (h₀, c₀: the initial states under it) moved right by the room the Σ's width gave their
    column, as far as their arrows into cell 1 keep a run of two arrowheads before they turn: the row's start
    comes that much nearer its cells (an LSTM's c₀ and h₀ stood 19 units clear of their column's right edge)."""
    column = placed.boxes[sigma]
    mates = [i for i, box in enumerate(placed.boxes) if i not in sums and abs(box.x - column.x) < 0.5]
    if not mates:
        return
    room = [column.right - max(placed.boxes[i].right for i in mates)]
    leaving = [k for k, (tail, head, label) in enumerate(picture.edges) if tail in mates or head in mates]
    for k in leaving:
        tail, head, label = picture.edges[k]
        points = placed.routes[k].points
        if head in mates or label or len(points) < 2 or abs(points[0][0] - placed.boxes[tail].right) > 0.5:
            return  # (an arrow into it, a label, or one leaving otherwise than from its right side: left as it is)
        room.append(points[1][0] - 2 * ARROW - points[0][0])
    shift = max(0.0, min(room))
    for i in mates:
        placed.boxes[i] = replace(placed.boxes[i], x=placed.boxes[i].x + shift)
    for k in leaving:
        (x, y), *rest = placed.routes[k].points
        placed.routes[k] = replace(placed.routes[k], points=[(x + shift, y), *rest])
