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

import re
import xml.etree.ElementTree as ElementTree
from dataclasses import replace

from .figure_boxes import EDGE
from .geometry import ARROW, LABEL_LINE, Box, Layout, drawn_width, finish
from .picture import Picture
from .stage_window import named_box

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


def weight_boxes(figure: str, held: list[int], own: list[list[int]]) -> tuple[list, list]:
    """Each weight's :func:`weight_box` (``own``: each weight's Σ node, or none), with the rows its terms come from
    and without what those feed: the page holds the first where its text keeps its size, else the second
    (lecture_fit.js, ``namedBox``: an LSTM language model's J⁽ᵗ⁾ over the head's Σ set the figure's text at 23.7 px
    at 1,920 × 1,080)."""
    sums = {node for mine in own for node in mine}
    return ([weight_box(figure, held, mine, sorted(sums - set(mine))) for mine in own],
            [weight_box(figure, held, mine, sorted(sums - set(mine)), sources=False) for mine in own])


def weight_box(figure: str, held: list[int], chosen: list[int], hidden: list[int],
               sources: bool = True) -> tuple[float, ...] | None:
    """The box the sums stage's window holds with one weight chosen (``chosen``: its Σ node, or none): the row the
    stage names and that Σ (:func:`.stage_window.named_box`; ``hidden``, the other rows' Σ, not drawn), the rows its
    terms come from (where its terms' arrows leave nodes outside the row: those and, with ``sources``, what they
    feed), and the step
    labels t=1 … T on the arrows of its terms, a unit to spare (a label has no outline). The head's Σ of a GRU
    language model (U, b₂ in CS224N's names) stands over the head's row, its bus over that row and the labels over
    the bus: the box of the Σ and the rows it reached cut them in half at 1,920 × 1,080, J_t out of view.

    >>> figure = ('<g data-index="0"><rect x="0" y="50" width="20" height="10"/></g>'
    ...           '<g data-index="1"><rect x="40" y="30" width="20" height="10"/></g>'
    ...           '<path class="edge" data-tail="0" data-head="1" d="M10,50 L10,35 L40,35"/>'
    ...           '<text class="edge-label" x="10" y="30" font-size="9" text-anchor="middle">t=1</text>')
    >>> [round(v, 1) for v in weight_box(figure, [0], [1], [])][1]  # over the Σ's top (26): the label's
    21.8
    """
    # the nodes its terms' arrows leave that the row does not hold (U's: the head's linear), and what those feed (J_t,
    # which ∂J/∂s_t comes from): held whole, the arrows between them cut no side of the window, which moved in clear
    # of them and cut the labels
    tails = {int(tail) for tail, head, _ in EDGE.findall(figure) if int(head) in chosen} - set(held)
    fed = {int(head) for tail, head, _ in EDGE.findall(figure) if int(tail) in tails and int(head) not in chosen
           and sources}
    box = named_box(figure, held + chosen + sorted(tails | fed), hidden)
    labels = []
    for found in TERM_LABEL.finditer(figure):
        if box is None or int(found.group(1)) not in chosen:
            continue
        label = ElementTree.fromstring(found.group(2))
        size, x, y = (float(label.get(key, "0")) for key in ("font-size", "x", "y"))
        wide = drawn_width(["".join(label.itertext())], size)
        start = {"middle": x - wide / 2, "end": x - wide}.get(label.get("text-anchor", "start"), x)
        labels.append((start - 1, y - 0.8 * size - 1, start + wide + 1, y + 0.25 * size + 1))
    return box if not labels else (min(b[0] for b in [box, *labels]), min(b[1] for b in [box, *labels]),
                                   max(b[2] for b in [box, *labels]), max(b[3] for b in [box, *labels]))


# an arrow's route and its label, which the library's SVG writes right after it
TERM_LABEL = re.compile(r'<path [^>]*data-head="(\d+)"[^>]*/>\s*(<text [^>]*class="edge-label[^"]*"[^>]*>.*?</text>)',
                        re.DOTALL)
