"""Detours: an edge whose route would pass through a node it does not connect goes round, through the white
space between the rows and columns of nodes, instead.

The grid routes every edge by what it connects (a state between steps, a bus along a lane, a line into a
step through the gap beside it); an edge between two nodes beside different rows on opposite ends of the
figure — a bidirectional layer's forward stack into the cat beside its reverse row — fell through to a
straight line, one diagonal across both rows and every node on its way: to a student, an arrow into each of
them. What Graphviz's dot does with its virtual nodes — a point in every rank the edge crosses, in a gap —
is done here with the free channels of the finished layout: the horizontal bands no node reaches into
and the vertical ones, found by sweeping the nodes' extents along each axis. The detour is the shortest
route of at most four right-angled legs through those channels that enters no node; where none exists the
route stays as it was (and the grid tests count it).

Only a plain edge is rerouted: a bus, or a state between two steps, says something by its shape (one line
for T terms, time running along the row). A channel is one line wide: two detours through it (a linear's ∂J/∂W
on its way to the Σ of another row, the cat's δ to the stack), or a detour and a bus's lane in it, ran along one
line, to a student one arrow; a detour's leg that would run along another line moves off it, within its channel
(:func:`_apart`), as dot's virtual nodes of two long edges take places of their own in a rank.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy

from .geometry import Box, Route, finish, line_enters

CLEAR = 1.0  # how far inside a node's border a line may graze without entering it, in points
APART = 2.0  # a detour's leg nearer another line than this runs along it (on a slide, a point is about two pixels)
# where a leg moves to run along none, tried in turn, nearest the channel's middle first: in steps of APART (a channel
# between rows holds their lanes, a lane's pitch apart: a leg finds its place between two of them)
SHIFTS = tuple(sign * APART * n for n in range(1, 9) for sign in (1, -1))
BEND = 24.0  # a right angle costs as much as this much more line: of two detours the simpler wins


def mend(boxes: list[Box], steps: list[Box], routes: list[Route], edges: list[tuple[int, int, str]],
         plain: list[bool], crosses: Callable[[Route, int, int], bool]) -> None:
    """Reroute each ``plain`` edge whose route enters a node it does not connect (``edges[k]``: tail, head,
    label of route k) by the shortest detour through the free channels that enters none. A detour keeps out
    of the steps' boxes (``steps``) too, but for its own ends' steps: a line along the inside of a step, between
    two of its levels, ran among the step's own arrows and read as one of them. ``crosses(route, tail, head)``:
    whether the route enters a node other than its ends (the grid's, which tries the nodes near it only, so a
    long unroll stays linear)."""
    channels, extents = None, numpy.empty((0, 4))
    for k, ((tail, head, label), route) in enumerate(zip(edges, routes)):
        if not plain[k] or not crosses(route, tail, head):
            continue
        if channels is None:  # (found once, and only for a figure that needs a detour)
            channels = _free(boxes + steps, 1), _free(boxes + steps, 0)
            extents = _extents(boxes + steps)
        kept = [j for j, step in enumerate(steps) if not any(_inside(step, boxes[end]) for end in (tail, head))]
        walls = [steps[j] for j in kept]
        found = _detour(boxes + walls, tail, head, *channels,
                        extents[numpy.r_[0:len(boxes), len(boxes) + numpy.array(kept, dtype=int)]])
        if found is not None:
            points, end = _apart(found, [other for j, other in enumerate(routes) if j != k], boxes + walls,
                                 (tail, head))
            (x0, y0), (x1, y1) = max(zip(points, points[1:] + [end]),
                                     key=lambda leg: abs(leg[1][0] - leg[0][0]) + abs(leg[1][1] - leg[0][1]))
            routes[k] = finish(points, end, label, ((x0 + x1) / 2 + (8 if x0 == x1 else 0), (y0 + y1) / 2 + 6))


def _apart(found: tuple[list, tuple], others: list[Route], boxes: list[Box],
           ends: tuple[int, int]) -> tuple[list, tuple]:
    """The detour ``found`` (points, end) with each leg between its first and last that runs along another route's
    line moved off it, by the first of :data:`SHIFTS` that runs along none and enters no node (else left).

    >>> lane = finish([(0.0, 10.0)], (100.0, 10.0), "")
    >>> _apart(([(20.0, 0.0), (20.0, 10.0), (80.0, 10.0)], (80.0, 0.0)), [lane], [], (0, 1))
    ([(20.0, 0.0), (20.0, 12.0), (80.0, 12.0)], (80.0, 0.0))
    """
    line = [*found[0], found[1]]
    stretches = [(p, q) for route in others for p, q in zip(route.points, route.points[1:] + [route.end])]
    for n in range(1, len(line) - 2):  # (the first and last legs leave and enter a face where they must)
        across = abs(line[n][1] - line[n + 1][1]) < 1e-6  # a level leg moves up or down, an upright one sideways
        if not _along(line[n], line[n + 1], across, stretches):
            continue
        for shift in SHIFTS:
            moved = [(x, y + shift) if across else (x + shift, y) for x, y in line[n:n + 2]]
            tried = line[:n] + moved + line[n + 2:]
            if not _along(*moved, across, stretches) and not _enters(boxes, tried, ends):
                line = tried
                break
    return line[:-1], line[-1]


def _along(p: tuple[float, float], q: tuple[float, float], across: bool, stretches: list) -> bool:
    """Whether the leg p–q (level where ``across``) runs along one of the stretches, nearer than :data:`APART`,
    for 3 points or more (legibility.shared_lines's measure of one line)."""
    at, low, high = (p[1], *sorted((p[0], q[0]))) if across else (p[0], *sorted((p[1], q[1])))
    k = 1 if across else 0  # the coordinate that stays the same along the leg
    for r, t in stretches:
        if abs(r[k] - t[k]) < 1e-6 and abs(r[k] - at) < APART:
            if min(high, max(r[1 - k], t[1 - k])) - max(low, min(r[1 - k], t[1 - k])) >= 3.0:
                return True
    return False


def _inside(step: Box, box: Box) -> bool:
    """Whether a node's middle lies in a step's box."""
    return step.left <= box.x <= step.right and step.bottom <= box.y <= step.top


def _enters(boxes: list[Box], line: list[tuple[float, float]], ends: tuple[int, int],
            among: list[int] | None = None) -> bool:
    """Whether the polyline passes through the inside of a node other than its two ends (of the nodes ``among``,
    where given: the others known not to meet it)."""
    return any(line_enters(line, (boxes[i].left, boxes[i].bottom, boxes[i].right, boxes[i].top), CLEAR)
               for i in (range(len(boxes)) if among is None else among) if i not in ends)


def _free(boxes: list[Box], axis: int) -> list[float]:
    """The middles of the bands across the whole figure that no node reaches into, along ``axis`` (1: the ys of
    horizontal channels, 0: the xs of vertical ones), with one beyond each end."""
    spans = sorted((box.bottom, box.top) if axis else (box.left, box.right) for box in boxes)
    if not spans:
        return []
    middles, reach = [spans[0][0] - 12.0], spans[0][1]
    for low, high in spans[1:]:
        if low > reach + 2 * CLEAR:
            middles.append((reach + low) / 2)
        reach = max(reach, high)
    return middles + [reach + 12.0]


def _extents(boxes: list[Box]) -> numpy.ndarray:
    """Each box's (left, bottom, right, top) shrunk by :data:`CLEAR`, as :func:`_enters` shrinks it: one row a box,
    built once for a figure's detours (:func:`_detour` matches a leg's extent against them)."""
    extents = numpy.array([(box.left, box.bottom, box.right, box.top) for box in boxes]).reshape(-1, 4)
    return extents + (CLEAR, CLEAR, -CLEAR, -CLEAR)


def _detour(boxes: list[Box], tail: int, head: int, ys: list[float], xs: list[float], extents: numpy.ndarray):
    """(points, end) of the shortest right-angled route from the tail's border to the head's through the
    channels (``ys`` across, ``xs`` up and down) that enters no other node, or None. ``extents``: the boxes'
    (:func:`_extents`), a row for each.

    A route's legs between its first and last run along channels, which no node reaches into: only its first leg
    (out of the tail, towards a channel) and its last (into the head) can enter one. Each such leg is tried once
    for every route it begins or ends, and against the nodes whose extents meet its own only (a node apart from
    it cannot be entered): trying every node for every pair of channels made a long unroll's detour take seconds."""
    left, bottom, right, top = extents.T
    tried: dict[tuple, bool] = {}

    def enters(leg: list[tuple[float, float]]) -> bool:
        (x0, y0), (x1, y1) = leg
        if (x0, y0, x1, y1) not in tried:
            near = numpy.flatnonzero((left <= max(x0, x1)) & (right >= min(x0, x1)) & (bottom <= max(y0, y1))
                                     & (top >= min(y0, y1)))
            tried[(x0, y0, x1, y1)] = _enters(boxes, leg, (tail, head), near.tolist())
        return tried[(x0, y0, x1, y1)]

    for line in _candidates(boxes[tail], boxes[head], ys, xs):
        if not enters(line[:2]) and not enters(line[-2:]):
            return line[:-1], line[-1]
    return None


def _candidates(a: Box, b: Box, ys: list[float], xs: list[float]) -> list[list[tuple[float, float]]]:
    """Every right-angled route of at most four legs from ``a``'s border to ``b``'s through the channels, as
    points, the shortest first (a right angle costs :data:`BEND`; of equal ones, the first made)."""
    candidates = []
    for y in ys:  # out of a's top or bottom, across, into b's bottom or top
        candidates.append([_face(a, a.x, y), (a.x, y), (b.x, y), _face(b, b.x, y)])
        for x in xs:  # … or across, then along a channel, into b's side
            candidates.append([_face(a, a.x, y), (a.x, y), (x, y), (x, b.y), _side(b, x)])
            candidates.append([_side(a, x), (x, a.y), (x, y), (b.x, y), _face(b, b.x, y)])
    for x in xs:  # out of a's side, along a channel, into b's side
        candidates.append([_side(a, x), (x, a.y), (x, b.y), _side(b, x)])
    costed = []
    for line in candidates:
        if None in line:
            continue
        line = [p for n, p in enumerate(line) if n == 0 or p != line[n - 1]]
        costed.append((sum(abs(q[0] - p[0]) + abs(q[1] - p[1]) for p, q in zip(line, line[1:]))
                       + BEND * (len(line) - 2), line))
    costed.sort(key=lambda pair: pair[0])  # the shortest first: the first that enters no node is the one
    return [line for _, line in costed]


def _face(box: Box, x: float, y: float) -> tuple[float, float] | None:
    """Where a vertical line at ``x`` towards height ``y`` leaves the box (its top or bottom), or None where
    ``y`` lies level with the box (a channel through its own height is no way out of it)."""
    if y > box.top:
        return x, box.top
    if y < box.bottom:
        return x, box.bottom
    return None


def _side(box: Box, x: float) -> tuple[float, float] | None:
    """Where a level line towards ``x`` leaves the box (its left or right side), or None within its width."""
    if x > box.right:
        return box.right, box.y
    if x < box.left:
        return box.left, box.y
    return None
