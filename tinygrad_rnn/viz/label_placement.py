"""Where an arrow's name goes: beside its own line, never on a box, never struck through by a line.

Each route comes with a spot for its label chosen by the rule that routed it (above a state's line
mid-gap, beside a drop). Once every line is drawn, that spot is checked against everything else on
the figure; where it lies on a node, on another label or under a line, the label moves to the
nearest free spot beside its own line:

* **candidates**: points along the arrow's own line, every few points, on either side of it, the
  label's box a small gap away from the line;
* **clashes**, counted for each candidate: a node's box, a step's name (t=1 in its corner), a note,
  another label, or any line through the label's box (its own included), a step's border too (across it, a name
  reads as half in the step, and a line beyond the border through it as that line's: CMU's [W_hh h₀ + b_h″]ₙ on
  a GRU step's border, h₀'s wire through its subscript); a text lain on weighs as much as ON_TEXT lines (where no
  spot is free, a name stays legible under a line, not under another name);
* **whose label it reads as**: another arrow's line about as close to the label as its own makes it read
  as that arrow's, and so does a stretch of line shared with other arrows (a bus's trunk) far from where
  this arrow parts from them: both count against a candidate, after the clashes;
* the nearest candidate with the fewest clashes wins, so a label that was already clear stays put.

A state handed to two nodes leaves along one line that forks, named once (``layout._name_each_fork_once``): the
unnamed branches carry what the name says, so where no spot beside its own line is clear, its spots are sought
beside them too, and a branch near it reads as its own line (between two rows of cells, layer 1's h₁⁽¹←⁾ had no
free spot beside its short drop into layer 2's forward cell: it lay across the branch up to the reverse cell,
against the arrowhead).

Coordinates are the layout's (points, y upwards); a label's anchor is the middle of its first line's
baseline, as :mod:`.svg` draws it.

>>> from tinygrad_rnn.viz.geometry import Box, Layout, Route
>>> crossing = Route([(0.0, 0.0), (0.0, 60.0)], (0.0, 66.0), label_at=(30.0, 28.0))
>>> named = Route([(-40.0, 30.0), (54.0, 30.0)], (60.0, 30.0), label_at=(30.0, 28.0))  # on crossing's line?
>>> placed = Layout([Box(80.0, 30.0, 30.0, 20.0)], [crossing, named])
>>> place_labels(placed, ["h₁", "h₂"])
>>> [clashes(placed, ["h₁", "h₂"], k) for k in range(2)]
[0, 0]
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left, bisect_right

from .geometry import (
    FONT_SIZE,
    LABEL_ASCENT,
    LABEL_CLEAR,
    LABEL_DESCENT,
    LABEL_LINE,
    LABEL_OFFSET,
    LINE,
    Layout,
    Route,
    boxes_overlap,
    drawn_width,
    label_depth,
    segment_enters,
    segments_cross,
)
from .step_names import step_name_left

Rect = tuple[float, float, float, float]  # (left, bottom, right, top), y upwards
Point = tuple[float, float]

STEP = 3.0  # candidates every STEP points along the line
# a label on another label or on a box weighs as much as this many lines through it: where no spot is free, two texts
# printed over each other read as neither, a line through a name still leaves it legible (between two cells a
# name with no room beside its own arrow moved onto the next state's: the bus under it counted in two cells)
ON_TEXT = 4
NEAR_JUNCTION = 8.0  # on a stretch shared with other arrows, this close to where this arrow parts from them
CELL = 40.0  # the side of a cell of the index of what lies where
NEAR = 24.0  # lines farther from a label than this do not make it read as theirs
# a rolled cell's loop's name nearer than a line of text makes an arrow's label read as its other line ((1/T) ∂Jₜ/∂hₜ,
# 2 points over the c loop's name, read as that loop's two-line name), and a label split in two lines this near a
# box's edge reads as the box's note ((1/T), 2 points under the cell it leaves): both count against a spot, after the
# clashes. (Only these: held to every label, two states' names side by side between two cells moved onto one line.)
NEAR_LABEL = LABEL_LINE
NEAR_BOX = 4.0
TRIED = 300  # the most spots tried for one label (its own stretch of line first, nearest first)
# how far along its line from a label its spots are sought: as far as any is tried (TRIED · STEP, _candidates), and
# a little beyond, where the points lie that say whether those nearer are close to where the arrow parts from others
REACH = TRIED * STEP + 2 * NEAR_JUNCTION


def label_rect(at: Point, lines: list[str]) -> Rect:
    """The box a label's lines cover when its first line's baseline is centred on ``at``.

    >>> [round(v, 1) for v in label_rect((10.0, 0.0), ["h₁"])]  # h at 9 points, its 1 at 7.2
    [5.5, -2.5, 14.5, 7.0]
    """
    half = drawn_width(lines) / 2
    return (round(at[0] - half, 6), at[1] - LABEL_DESCENT - label_depth(lines), round(at[0] + half, 6),
            at[1] + LABEL_ASCENT)


class _Index:
    """What lies where: boxes and line segments in square cells, so that a candidate meets only its
    neighbours (a figure holds thousands of segments and a label tries a few hundred spots)."""

    def __init__(self) -> None:
        # (kind, owner, shape, the box around it): a line's box kept, not found again for each spot tried
        self.cells: dict[tuple[int, int], list[tuple[str, int, tuple, Rect]]] = {}
        # the level and upright lines by their y (or x), rounded: (owner, low, high) along them — the lines that
        # run along one another (a bus's trunk) are found by looking up one number, not by walking the cells
        self.straight: dict[tuple[bool, int], list[tuple[int, float, float, float]]] = {}
        self.by_start: dict[tuple[bool, int], tuple[list[float], list[tuple[int, float, float, float]], float]] = {}
        self.first_loop = 0  # the owners from here on are rolled cells' loops (the routes come first)

    def add(self, kind: str, owner: int, shape: tuple, rect: Rect) -> None:
        item, cells = (kind, owner, shape, rect), self.cells  # (a line across a long figure: in a thousand cells)
        for cell in _cells(rect):
            if cell in cells:
                cells[cell].append(item)
            else:
                cells[cell] = [item]
        if kind == "line":
            (x0, y0), (x1, y1) = shape
            for level, across, low, high in ((True, y0, x0, x1), (False, x0, y0, y1)):
                if (y0 if level else x0) == (y1 if level else x1):
                    self.straight.setdefault((level, round(across)), []).append(
                        (owner, across, min(low, high), max(low, high)))
                    self.by_start.pop((level, round(across)), None)

    def alongside(self, owner: int, p: Point, q: Point, near: tuple[float, float]) -> list[tuple[float, float]]:
        """Where other arrows' lines run along the level (or upright) segment pq, between ``near`` (from, to: as
        distances from p along it) or a little beyond: (from, to) as distances from p along it. Only the
        stretches there are looked at: a 500-step figure's row holds a thousand, and each label asks."""
        level = p[1] == q[1]
        if not level and p[0] != q[0]:
            return []  # a slanted line runs alone
        across, start = (p[1], p[0]) if level else (p[0], p[1])
        sign = 1.0 if (q[0] - p[0] if level else q[1] - p[1]) >= 0 else -1.0
        ends = (start + sign * near[0], start + sign * near[1])
        below, above = min(ends) - 2.0, max(ends) + 2.0  # (a stretch 0.75 from a point still holds it)
        found = []
        for key in (round(across) - 1, round(across), round(across) + 1):
            starts, stretches, longest = self._by_start((level, key))
            for other, at, low, high in stretches[bisect_left(starts, below - longest):bisect_right(starts, above)]:
                if other != owner and abs(at - across) < 0.75 and high >= below:
                    found.append(tuple(sorted(((low - start) * sign, (high - start) * sign))))
        return found

    def _by_start(self, key: tuple[bool, int]) -> tuple[list[float], list[tuple[int, float, float, float]], float]:
        """The straight stretches at ``key`` in the order they start, their starts, and the longest one's length
        (a stretch that reaches a point starts no farther before it than that)."""
        if key not in self.by_start:
            stretches = sorted(self.straight.get(key, ()), key=lambda stretch: stretch[2])
            self.by_start[key] = ([stretch[2] for stretch in stretches], stretches,
                                  max((high - low for _, _, low, high in stretches), default=0.0))
        return self.by_start[key]

    def near(self, rect: Rect) -> list[tuple[str, int, tuple, Rect]]:
        """What lies in the cells ``rect`` touches, cell by cell: a thing that spans two of them is met, and
        counts, in each (so a clash with a long line or a big box weighs more than one with a small thing)."""
        cells = self.cells
        return [item for cell in _cells(rect) for item in cells.get(cell, ())]


def _cells(rect: Rect) -> list[tuple[int, int]]:
    rows = range(math.floor(rect[1] / CELL), math.floor(rect[3] / CELL) + 1)
    return [(i, j) for i in range(math.floor(rect[0] / CELL), math.floor(rect[2] / CELL) + 1) for j in rows]


def _polyline(route: Route) -> list[Point]:
    return [*route.points, route.end]


def _unhopped(route: Route) -> list[Point]:
    """The route's polyline as routed, before :mod:`.hops` wrote its arcs in."""
    return [*(route.unhopped or route.points), route.end]


def _index(placed: Layout, items: list[tuple[Route, list[str] | None]]) -> _Index:
    """Every box, line, label and text of the figure, each line and label tagged with its owner (its
    place in ``items``: every route and loop, with the lines of its label where one is drawn)."""
    index = _Index()
    index.first_loop = len(placed.routes)
    for box in placed.boxes:
        rect = (box.left, box.bottom, box.right, box.top)
        index.add("box", -1, rect, rect)
    for k, (name, box) in enumerate(placed.clusters):  # the step's name along its top (step_names.py)
        left = step_name_left(placed, k)
        rect = (left - 1, box.top - 15, left + 1 + drawn_width([name], FONT_SIZE), box.top - 4)
        index.add("box", -1, rect, rect)
        corners = [(box.left, box.bottom), (box.right, box.bottom), (box.right, box.top), (box.left, box.top)]
        for p, q in zip(corners, corners[1:] + corners[:1]):
            index.add("border", -1, (p, q), _span(p, q))
    for text, x, y in placed.texts:
        rect = (x, y - LINE / 2, x + drawn_width([text], FONT_SIZE), y + LINE / 2)
        index.add("box", -1, rect, rect)
    for owner, (route, lines) in enumerate(items):
        points = _polyline(route)
        for p, q in zip(points, points[1:]):
            index.add("line", owner, (p, q), _span(p, q))
        if lines:
            rect = label_rect(route.label_at, lines)
            index.add("label", owner, rect, rect)
    return index


def _items(placed: Layout, names: list[str]) -> list[tuple[Route, list[str] | None]]:
    """Every route (``names``: each one's label) and every rolled cell's loop, with the lines of its label
    as drawn, or None where it draws none."""
    items: list[tuple[Route, list[str] | None]] = [
        (route, (route.label_lines or [name]) if name and route.label_at is not None and route.label_drawn else None)
        for route, name in zip(placed.routes, names)]
    return items + [(route, route.label_lines or [state]) for _, state, route in placed.loops]


def _span(p: Point, q: Point) -> Rect:
    return min(p[0], q[0]), min(p[1], q[1]), max(p[0], q[0]), max(p[1], q[1])


def _grow(rect: Rect, by: float) -> Rect:
    return rect[0] - by, rect[1] - by, rect[2] + by, rect[3] + by


def _score(index: _Index, owner: int, rect: Rect, beaten: float = math.inf,
           forks: frozenset[int] = frozenset()) -> tuple[int, int]:
    """(clashes, doubts) of a label of route ``owner`` covering ``rect``: clashes with boxes, texts, labels
    and lines (a step's border one of them); where there are none, doubts: another arrow's line lies
    about as close to it as its own does (the label would read as that arrow's) — a line that runs along its
    own there, a bus's shared trunk, aside. ``beaten``: the clashes of the best spot found so far; counting
    stops once past them (such a spot cannot win, and most spots tried in a crowded figure lie on many things).
    ``forks``: the unnamed branches of its line, which carry what it names (lines of its own, as its own is)."""
    clear = _grow(rect, LABEL_CLEAR)
    clash = 0
    for kind, other, shape, box in index.near(clear):
        if kind in ("line", "border"):
            clash += _touches(clear, box) and segment_enters(*shape, clear)
        else:  # a box or a label
            clash += ON_TEXT * (other != owner and boxes_overlap(clear, shape))
        if clash > beaten:
            return clash, 0
    if clash:
        return clash, 0
    doubt, own, others = 0, [], []
    for kind, other, shape, box in index.near(_grow(rect, NEAR)):
        if kind == "label" and other >= index.first_loop:  # (a loop's name: it stays on its arch)
            doubt += other != owner and _gap(rect, box) < NEAR_LABEL
        elif kind == "label":  # (another arrow's name over or under this one where their lines cross)
            doubt += other != owner and _stacked(rect, box) and _lines_cross_near(index, owner, other, rect)
        elif kind == "box":  # (a split label's lines over its own arrow; a label under a box's edge reads as in it)
            doubt += _gap(rect, box) < NEAR_BOX
        elif kind == "line":
            (own if other == owner or other in forks else others).append((shape, box))
    centre = ((rect[0] + rect[2]) / 2, (rect[1] + rect[3]) / 2)
    nearest, at = NEAR, None
    for segment, box in own:
        if _gap(rect, box) < nearest and (distance := _rect_distance(rect, segment)) < nearest:
            nearest, at = distance, _closest(centre, segment)
    for segment, box in others:
        if _gap(rect, box) < nearest + 1.0 and _rect_distance(rect, segment) < nearest + 1.0:
            doubt += at is None or _distance(at, segment) > 0.75
    return 0, doubt


def _stacked(rect: Rect, box: Rect) -> bool:
    """Two labels one over the other, less than a line apart: read as one arrow's name in two lines.

    >>> low = (0.0, 0.0, 20.0, 9.5)
    >>> _stacked(low, (10.0, 11.0, 30.0, 20.5)), _stacked(low, (22.0, 0.0, 40.0, 9.5))  # over it; beside it
    (True, False)
    """
    overlap = min(rect[2], box[2]) - max(rect[0], box[0])
    return overlap > 0 and max(rect[1] - box[3], box[1] - rect[3]) < LABEL_LINE


def _lines_cross_near(index: _Index, owner: int, other: int, rect: Rect) -> bool:
    """Whether the lines of routes ``owner`` and ``other`` cross within NEAR of ``rect``: there two names stacked
    read as one arrow's (between two cells, c_t's name over its line and h_t's under its own, parallel, do not)."""
    lines = [(item_owner, shape) for kind, item_owner, shape, _ in index.near(_grow(rect, NEAR)) if kind == "line"]
    mine = [shape for item_owner, shape in lines if item_owner == owner]
    return any(segments_cross(*segment, *theirs) for item_owner, theirs in lines if item_owner == other
               for segment in mine)


def _touches(rect: Rect, box: Rect) -> bool:
    """The boxes meet (their edges touching counts): where a segment's box does not touch ``rect``, the
    segment cannot enter it."""
    return box[2] >= rect[0] and box[0] <= rect[2] and box[3] >= rect[1] and box[1] <= rect[3]


def _gap(rect: Rect, box: Rect) -> float:
    """How far ``box`` lies from ``rect`` (0 where they meet): a segment lies no nearer than its box."""
    return math.hypot(max(rect[0] - box[2], 0.0, box[0] - rect[2]), max(rect[1] - box[3], 0.0, box[1] - rect[3]))


def _closest(point: Point, segment: tuple[Point, Point]) -> Point:
    """The point of the segment nearest to ``point``."""
    (x0, y0), (x1, y1) = segment
    dx, dy = x1 - x0, y1 - y0
    length = dx * dx + dy * dy
    t = 0.0 if length == 0 else max(0.0, min(1.0, ((point[0] - x0) * dx + (point[1] - y0) * dy) / length))
    return x0 + t * dx, y0 + t * dy


def _distance(point: Point, segment: tuple[Point, Point]) -> float:
    return math.dist(point, _closest(point, segment))


def _rect_distance(rect: Rect, segment: tuple[Point, Point]) -> float:
    """How far a segment passes from a box (0 where it enters it)."""
    if segment_enters(*segment, rect):
        return 0.0
    left, bottom, right, top = rect
    corners = [(left, bottom), (right, bottom), (right, top), (left, top)]
    ends = [math.hypot(max(left - x, 0.0, x - right), max(bottom - y, 0.0, y - top)) for x, y in segment]
    return min(ends + [_distance(corner, segment) for corner in corners])


def _samples(index: _Index, owner: int, points: list[Point], around: Point):
    """(point, the line's direction there, shared) every STEP points along a route, from its tail to its
    arrowhead, within REACH of ``around`` (the label's spot); ``shared``: another arrow's line runs along it
    there (a bus's trunk). Only the TRIED nearest spots are ever tried, and they lie well within REACH: a
    bus's trunk across a 500-step figure sampled whole, for each of its 500 drops, made placing them
    quadratic."""
    found = []
    for p, q in zip(points, points[1:]):
        length = math.dist(p, q)
        if length == 0:
            continue
        direction = ((q[0] - p[0]) / length, (q[1] - p[1]) / length)
        nearest = (around[0] - p[0]) * direction[0] + (around[1] - p[1]) * direction[1]  # along pq
        first, last = max(0, math.floor((nearest - REACH) / STEP)), min(math.ceil(length / STEP),
                                                                       math.ceil((nearest + REACH) / STEP))
        if first >= last:
            continue
        along = _merged(index.alongside(owner, p, q, (first * STEP, (last - 1) * STEP)))  # a trunk: a few stretches
        starts = [low for low, _ in along]
        for n in range(first, last):
            at = (p[0] + direction[0] * n * STEP, p[1] + direction[1] * n * STEP)
            last_before = bisect_right(starts, n * STEP + 0.75) - 1  # the stretch that could hold it
            found.append((at, direction, last_before >= 0 and n * STEP <= along[last_before][1] + 0.75))
    return found


def _merged(stretches: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """(low, high) stretches joined where they overlap, in order: each point lies in at most one.

    >>> _merged([(5.0, 9.0), (0.0, 2.0), (1.0, 3.0)])
    [(0.0, 3.0), (5.0, 9.0)]
    """
    joined: list[tuple[float, float]] = []
    for low, high in sorted(stretches):
        if joined and low <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(joined[-1][1], high))
        else:
            joined.append((low, high))
    return joined


def _candidates(samples, lines: list[str], far: bool, around: Point):
    """Label anchors beside the line on either side at every sample that lies (``far``) or does not lie
    farther along the line than NEAR_JUNCTION from where this arrow parts from the lines it shares (far
    along a shared trunk, a label reads as another's), within TRIED · STEP of ``around`` (of those farther,
    none would be among the TRIED nearest)."""
    parting = [math.inf] * len(samples)
    last = -math.inf
    for k, (_, _, shared) in enumerate(samples):  # distance from the nearest stretch of its own, both ways
        last = k if not shared else last
        parting[k] = (k - last) * STEP
    last = math.inf
    for k in range(len(samples) - 1, -1, -1):
        last = k if not samples[k][2] else last
        parting[k] = min(parting[k], (last - k) * STEP)
    box = label_rect((0.0, 0.0), lines)
    centre = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
    offsets: dict[Point, list[Point]] = {}  # the same at every point of a straight stretch: found once for each
    for (at, direction, _), away in zip(samples, parting):
        if (away > NEAR_JUNCTION) != far or abs(at[0] - around[0]) + abs(at[1] - around[1]) > TRIED * STEP:
            continue
        if direction not in offsets:
            offsets[direction] = _beside(direction, box)
        for x, y in offsets[direction]:
            yield at[0] + x - centre[0], at[1] + y - centre[1]


def _beside(direction: Point, box: Rect) -> list[Point]:
    """Where a label's box (``box``, as :func:`label_rect` gives it at the origin) goes from a point of a line
    running in ``direction``: just clear of the line, straight away from it on either side, and (beside a
    slanted line, where the straight way out runs into the boxes it joins) level with the point, or above or
    below it."""
    left, bottom, right, top = box
    dx, dy = direction
    normal = (-dy, dx)
    reach = (right - left) / 2 * abs(normal[0]) + (top - bottom) / 2 * abs(normal[1]) + LABEL_OFFSET
    found = []
    for ux, uy in ((-dy, dx), (dy, -dx), (1.0, 0.0), (-1.0, 0.0), (0.0, 1.0), (0.0, -1.0)):
        facing = ux * normal[0] + uy * normal[1]
        if abs(facing) > 0.2 and (abs(dx) > 0.01 and abs(dy) > 0.01 or abs(facing) > 0.99):
            t = reach / abs(facing)
            found.append((ux * t, uy * t))
    return found


def clashes(placed: Layout, names: list[str], k: int) -> int:
    """How many things the label of route ``k`` (``names``: every route's label) lies on, or is struck
    through by (a box or a label lain on counted ON_TEXT times): 0 where it lies clear."""
    items = _items(placed, names)
    route, lines = items[k]
    return _score(_index(placed, items), k, label_rect(route.label_at, lines))[0]


def place_labels(placed: Layout, names: list[str], tails: list[int] | None = None,
                 heads: list[int] | None = None) -> None:
    """Move every arrow label (``names``: each route's) that lies on a box, a label or a line to the nearest
    free spot beside its own line, else beside an unnamed branch of it (``tails``: each route's tail node; routes
    from one tail with one name are one line that forks), or beside its twins (``heads``: each route's head node;
    the edges between the same two nodes drawn beside it). A rolled cell's loops name their states on their own arches
    (:func:`.geometry.loop_label_at`), where nothing else is drawn: each stays there, in the way of the others
    (moved, one took the nearest free spot along its arch — beside another's, or left of the cell)."""
    items = _items(placed, names)
    index = _index(placed, items)
    unnamed_branches: dict[tuple[int, str], list[int]] = {}  # (tail, name) → its routes drawn without a label
    for j in range(len(placed.routes) if tails is not None else 0):  # (grouped once: a scan per label is n²)
        if items[j][1] is None:
            unnamed_branches.setdefault((tails[j], names[j]), []).append(j)
    # twice: a label placed early meets the later ones at the spots their routes gave them, which they may leave (a
    # cell's ∂J/∂h₂, kept off ∂J/∂e₂'s and t=3's first spots under its line, took the only spot over the c line
    # beside it, and ∂J/∂c₃'s then lay on it); the second time, only those still on something move, among settled ones
    for again, k, (route, lines) in [(again, k, item) for again in (False, True) for k, item in enumerate(items)]:
        if not lines or k >= len(placed.routes):
            continue
        forks = frozenset(unnamed_branches.get((tails[k], names[k]), ())) if tails is not None else frozenset()
        if route.twins and tails is not None and heads is not None:  # the edges drawn beside it between the same
            # two nodes: where no spot beside its own line is clear (it lies between theirs and a box), beside theirs,
            # clear of them all. (Not every edge from its tail with a twin's name: J's h₈⁽²→⁾ from step 8 lay
            # beside h₈⁽²←⁾'s line into step 7, 25 points from its own and 2.5 from h₇⁽²→⁾'s, as if that line's)
            forks |= {j for j in range(len(placed.routes))
                      if (tails[j], heads[j]) == (tails[k], heads[k]) and names[j] in route.twins}
        rect = label_rect(route.label_at, lines)
        now = _score(index, k, rect, forks=forks)
        if now == (0, 0) or again and now[0] == 0:
            continue
        best = None
        for along in ((k,), tuple(sorted(forks))):  # its branches only where no spot beside its own line is clear
            if not along or best is not None and best[0][0] == 0:
                break
            # (along each line as routed, its hops straightened: an arc's first pieces, nearly level, sent a label's
            # spots level with them 40 points off beside no line, where h_t⁽¹←⁾ lay 32 points from its own riser)
            samples = [sample for j in along for sample in _samples(index, j, _unhopped(placed.routes[j]),
                                                                    route.label_at)]
            tried = 0
            for far in (False, True):  # far along a shared trunk only where nothing nearer is free
                # nearest first: a heap popped only as far as the first free spot (most labels find one early)
                spots = [(math.dist(anchor, route.label_at), anchor)
                         for anchor in _candidates(samples, lines, far, route.label_at)]
                heapq.heapify(spots)
                count = min(TRIED - tried, len(spots))
                tried += count
                for _ in range(count):
                    distance, anchor = heapq.heappop(spots)
                    clash, doubt = _score(index, k, label_rect(anchor, lines),
                                          math.inf if best is None else best[0][0], forks)
                    key = (clash, doubt + far, distance)
                    if best is None or key < best[0]:
                        best = (key, anchor)
                    if (clash, doubt) == (0, 0):
                        break  # the nearest free spot
                if best is not None and best[0][:2] == (0, far):
                    break
        if best is not None and best[0][:2] < now:
            _forget(index, k, rect)
            route.label_at = best[1]
            new = label_rect(best[1], lines)
            index.add("label", k, new, new)


def _forget(index: _Index, owner: int, rect: Rect) -> None:
    """Take a label's old box out of the index."""
    for cell in _cells(rect):
        items = index.cells.get(cell, [])
        index.cells[cell] = [item for item in items if item[:3] != ("label", owner, rect)]
