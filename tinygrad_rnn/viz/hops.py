"""Line hops: where two wires of different values cross, the level one jumps the other in a small arc.

A plain "+" where two lines cross reads, at slide distance, as a junction: x_t's wire up into a GRU's cell t
across the RNN's h_t arrow read as "the RNN feeds the GRU", and e_t's riser to a reverse cell across the forward
cell's h_t arrow as a stack. Circuit diagrams draw such a crossing as a hop, and so does every figure here.

The hop is written into the route's own points (a half circle of short straight pieces), so the one layout gives
it to every drawing: Graphviz's (``dot.py``), the library's SVG (``svg.py``) and the lecture page. The more level
line hops, as in circuit diagrams, upwards; where its crossing lies too near one of its ends for the arc, the other
one does, away from that end (the level line's end is often a node's side: a hop towards it would run along the
border).
Two lines that carry the same value (forks of one edge's tail) are one wire, and cross without a hop.

>>> from tinygrad_rnn.viz.geometry import Route
>>> level, upright = Route([(0.0, 0.0), (20.0, 0.0)], (26.0, 0.0)), Route([(10.0, -10.0), (10.0, 10.0)], (10.0, 16.0))
>>> hop([level, upright], tails=[0, 1])
1
>>> [(round(x, 1), round(y, 1)) for x, y in level.points[1:4]]   # the level line leaves its track 4 before …
[(6.0, 0.0), (6.4, 1.7), (7.5, 3.1)]
>>> upright.points                                                # … and the upright one goes straight on
[(10.0, -10.0), (10.0, 10.0)]
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

from .geometry import Route

HOP = 4.0  # the hop's radius, in points: an arrowhead's width and more, so it reads at slide distance
HOP_PIECES = 7  # straight pieces in the half circle (odd: the crossed line meets the middle of one, not a corner)
HOP_ROOM = HOP + 2.0  # the least straight line kept between a hop and a corner, an end or the next hop
ALIGNED = 1e-6  # a stretch this near level (upright) is level (upright): the routes' sums leave rounding's traces


def hop(routes: Sequence[Route], tails: Sequence[int]) -> int:
    """Writes a hop into each crossing of two routes from different tails (in place); returns how many.

    Stretches are matched by sorting: the upright ones along x, the level ones along y — so the time is that of
    the sorts, a look-up per stretch and the crossings found (a 100,000-node unroll stays near linear). Two slanted
    stretches (ports' short stubs, split → add in a GRU's step) cross as an X, which no one reads as a junction,
    and a hop there came within an arrowhead of the other stub's head: they are left as they are."""
    stretches = [(k, i, p, q) for k, route in enumerate(routes)
                 for i, (p, q) in enumerate(zip(route.points, route.points[1:])) if p != q]
    uprights = sorted((p[0], s) for s in stretches for p, q in [s[2:]] if abs(p[0] - q[0]) < ALIGNED)
    levels = sorted((p[1], s) for s in stretches for p, q in [s[2:]]
                    if abs(p[1] - q[1]) < ALIGNED and abs(p[0] - q[0]) >= ALIGNED)
    slanted = [(min(p[0], q[0]), s) for s in stretches for p, q in [s[2:]]
               if abs(p[0] - q[0]) >= ALIGNED and abs(p[1] - q[1]) >= ALIGNED]
    upright_x, level_y = [x for x, _ in uprights], [y for y, _ in levels]
    hops: dict[int, dict[int, list[tuple[float, float]]]] = {}  # route → stretch → [(how far along, which side)]

    def among(keys: list[float], found: list, low: float, high: float) -> list:
        return [s for _, s in found[bisect.bisect_right(keys, low):bisect.bisect_left(keys, high)]]

    def meet(first, second) -> None:
        if tails[first[0]] != tails[second[0]] and (at := _crossing(first[2], first[3], second[2], second[3])):
            _place(first, second, at, hops)

    for _, level in levels:
        (x0, y), (x1, _) = level[2:]
        for upright in among(upright_x, uprights, min(x0, x1), max(x0, x1)):
            meet(level, upright)
    for left, one in slanted:  # (few: a port's stub beside a node; two of them cross as an X, never read as a "+")
        (x0, y0), (x1, y1) = one[2:]
        for other in among(upright_x, uprights, left, max(x0, x1)) + among(level_y, levels, min(y0, y1), max(y0, y1)):
            meet(one, other)
    for k, per_stretch in hops.items():  # each route rewritten once, its stretches from the last back
        points = routes[k].points
        routes[k].unhopped = list(points)  # (the labels' spots are sought along the straight line: label_placement)
        for i in sorted(per_stretch, reverse=True):
            points[i + 1:i + 1] = _arcs(points[i], points[i + 1], per_stretch[i])
    return sum(len(at) for per_stretch in hops.values() for at in per_stretch.values())


def _crossing(p, q, r, s) -> tuple[float, float] | None:
    """How far along pq and along rs (in points) the two cross, inside both; None where they do not."""
    d = (q[0] - p[0]) * (s[1] - r[1]) - (q[1] - p[1]) * (s[0] - r[0])
    if abs(d) < 1e-9:
        return None
    t = ((r[0] - p[0]) * (s[1] - r[1]) - (r[1] - p[1]) * (s[0] - r[0])) / d
    u = ((r[0] - p[0]) * (q[1] - p[1]) - (r[1] - p[1]) * (q[0] - p[0])) / d
    if 0 < t < 1 and 0 < u < 1:
        return t * math.dist(p, q), u * math.dist(r, s)
    return None


def _place(first, second, at: tuple[float, float], hops: dict) -> None:
    """The hop of one crossing: on the more level stretch, upwards, where it has room; else on the other, away
    from the end of the first that the crossing lies near."""
    def slope(stretch) -> float:
        (x0, y0), (x1, y1) = stretch[2:]
        return abs(y1 - y0) / math.dist((x0, y0), (x1, y1))

    (one, one_at), (other, other_at) = sorted([(first, at[0]), (second, at[1])], key=lambda pair: slope(pair[0]))
    one_length, other_length = math.dist(*one[2:]), math.dist(*other[2:])
    if min(one_at, one_length - one_at) >= HOP_ROOM:
        away = (0.0, 1.0)
    elif min(other_at, other_length - other_at) >= HOP_ROOM:
        (x0, y0), (x1, y1) = one[2:]
        towards = 1.0 if one_at < one_length / 2 else -1.0  # from the near end of ``one`` on along it
        away, one, one_at = ((x1 - x0) * towards, (y1 - y0) * towards), other, other_at
    else:
        return  # (no room on either: the figure's measures find it)
    (x0, y0), (x1, y1) = one[2:]
    normal = (y0 - y1, x1 - x0)  # the stretch's left, seen along it
    side = 1.0 if normal[0] * away[0] + normal[1] * away[1] >= 0 else -1.0
    hops.setdefault(one[0], {}).setdefault(one[1], []).append((one_at, side))


def _arcs(start: tuple[float, float], stop: tuple[float, float], at: list[tuple[float, float]]) -> list:
    """The points of the half circles on the stretch from ``start`` to ``stop``, one centred on each of ``at``
    (how far along, and to which side: +1 its left); hops closer than ``HOP_ROOM`` merge into one wider arc (a
    flat top), on the first one's side."""
    length = math.dist(start, stop)
    along = ((stop[0] - start[0]) / length, (stop[1] - start[1]) / length)
    left = (-along[1], along[0])
    spans: list[list[float]] = []
    for centre, side in sorted(at):
        if spans and centre - spans[-1][1] < 2 * HOP_ROOM:
            spans[-1][1] = centre
        else:
            spans.append([centre, centre, side])
    points = []
    for first, last, side in spans:
        for k in range(HOP_PIECES + 1):
            angle = math.pi * k / HOP_PIECES
            forward = (first if k <= HOP_PIECES / 2 else last) - HOP * math.cos(angle)
            aside = side * HOP * math.sin(angle)
            points.append((start[0] + forward * along[0] + aside * left[0],
                           start[1] + forward * along[1] + aside * left[1]))
    return points
