"""The measures every layout shares: the text's metrics and the white space (free size, or a slide's),
a node's box, an edge's route and the layout that holds them, and the two things every route does at its
ends (leave a box at its border, stop an arrowhead short of the next). Sizes are in points (1/72 in)."""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass, field

from .font import line_width
from .scripts import SCRIPT_SCALE, script_runs

FONT_SIZE, LABEL_SIZE = 10.0, 9.0  # the figures' text (nodes, row names, notes) and an arrow label's, in points
CHAR, LINE, PAD_X, PAD_Y = 6.0, 12.0, 7.0, 6.0  # the 10-point font's average character, its line; padding in a node
GAP_X, GAP_Y, COLUMN_GAP = 10.0, 16.0, 26.0  # between ops in a step, side by side and level to level; steps
LANE, BOX_PAD, BOX_LABEL = 10.0, 8.0, 12.0  # spacing of bus lanes; a step box's padding, its label's room
ARROW = 6.0  # the arrowhead's length: a route stops this short of the node's border
LOOP_HEIGHT = 14.0  # how high a rolled cell's loop rises above it (the outer one twice as high)
LOOP_PITCH = 12.0  # along a rolled cell's top, the least room for each of its loops (both legs and a gap)
LABEL_LINE = 10.0  # an arrow label's line, in its 9-point font
SCRIPTS_APART = 2.0  # more between two of its lines where a subscript lies over a superscript (label_offsets):
# the limits of Σ clear of CS224N's ⁽ᵗ⁾ and ^[2] under them, a 2-layer tagger's BPTT still on a slide (28.1 px labels)
LABEL_ASCENT, LABEL_DESCENT = 7.0, 2.5  # a label's line above and below its baseline (a little generous)
LABEL_MIDDLE = 2.7  # a label line's middle above its baseline (where Graphviz centres it on lp)
LABEL_CLEAR = 1.5  # the white kept between an arrow's label and any other box, line or label
LABEL_OFFSET = 2.5  # between an arrow's label and its own line
NAMED_LEVEL_GAP = LABEL_ASCENT + LABEL_DESCENT + 2 * LABEL_CLEAR + 3.0  # two levels with an arrow's name between
# them lie this far apart: a line of the label, clear of both, and room to slide it along its line


@dataclass(frozen=True)
class Spacing:
    """The white space of a layout, in points: what ``slide`` tightens (text keeps its size, so on a
    1,920 × 1,080 slide it lands larger)."""
    gap_x: float = GAP_X  # between ops side by side in a step
    gap_y: float = GAP_Y  # between levels
    column_gap_min: float = COLUMN_GAP  # between the steps' columns, at least
    box_pad: float = BOX_PAD  # inside a step's box, around its ops
    own_level_heights: bool = False  # each level as tall as its tallest node (not every level as the row's)
    pad_x: float = PAD_X  # inside a node, beside its text
    pad_y: float = PAD_Y  # inside a node, above and below its text
    lane: float = LANE  # between bus lanes
    label_room: float = 2 * ARROW + 8  # along an arrow between two cells, beyond its label's width


FREE = Spacing()
# (the gap between two steps still widens to hold a state's label: see _coordinates)
SLIDE_SPACING = Spacing(GAP_X * 0.6, GAP_Y * 0.6, COLUMN_GAP * 0.7, BOX_PAD * 0.6, own_level_heights=True, pad_x=5.0,
                        pad_y=4.0, lane=LANE * 0.6, label_room=ARROW + 8)
# a strip of cells, each its t alone (gradient_strip.py): no step box to pad round a cell, and an unnamed arrow between
# two cells as long as its arrowhead and as much line (the 12-step strip 680 points wide, its labels 28 px on a slide)
STRIP_SPACING = dataclasses.replace(SLIDE_SPACING, column_gap_min=2 * ARROW, box_pad=0.0)


@dataclass
class Box:
    x: float
    y: float  # the centre
    width: float
    height: float

    @property
    def left(self) -> float:
        return self.x - self.width / 2

    @property
    def right(self) -> float:
        return self.x + self.width / 2

    @property
    def top(self) -> float:
        return self.y + self.height / 2

    @property
    def bottom(self) -> float:
        return self.y - self.height / 2


@dataclass
class Route:
    points: list[tuple[float, float]]  # a polyline from the tail's border to just before the head's
    end: tuple[float, float]  # where the arrowhead touches the head
    label_at: tuple[float, float] | None = None  # the middle of the label's first line, on its baseline
    label_lines: list[str] | None = None  # the label as drawn, where a slide breaks it (else the label itself)
    label_drawn: bool = True  # False where another edge of the same fork already names the same state
    twins: tuple[str, ...] = ()  # the labels of the edges between the same two nodes drawn beside it (routes.py)
    unhopped: list[tuple[float, float]] | None = None  # its points before hops.py wrote its arcs in, where it did


LOOPS_CLEAR = 8.0  # between the middle of a rolled cell's top (where an edge comes in or leaves) and its loops


def loops_left(box: Box, count: int) -> float:
    """Where a rolled cell's ``count`` state loops begin on its top (they arch over its right half,
    :func:`.layout._loop`), right of its middle: an edge into the middle of the top (∂J/∂h_t from the layer above)
    comes in clear of their legs, never between an arch's two (as into that loop), and one rising from the
    top leaves left of this."""
    return box.right - 8 - loop_span(box, count)


def loop_label_left(box: Box, k: int, count: int) -> float:
    """Where the name of a rolled cell's k-th state loop begins: over its own arch, from its left leg (its
    :func:`loop_label_at`)."""
    return loops_left(box, count) + k * loop_span(box, count) / count


def loop_label_at(box: Box, k: int, count: int, lines: list[str]) -> tuple[float, float]:
    """Where the name of a rolled cell's k-th of ``count`` state loops is drawn (the middle of its first line, on
    its baseline): on its own arch — just over the arch's top line, from its left leg rightwards. The arches
    stand side by side, each lower than the one on its left, so what lies right of a name is lower arches, each
    with its own name on it: a name beside the arches, right of them all (as they were), stood over the lower
    arches and read as theirs. Its lines (a slide's, of a cell's one loop) grow upwards.

    >>> cell = Box(0.0, 0.0, 80.0, 20.0)  # top at 10; two loops: c's arch (28 high) left of h's (14)
    >>> [(round(x, 1), y) for x, y in (loop_label_at(cell, k, 2, ["c"]) for k in range(2))]  # 4 over its arch
    [(10.2, 42.0), (22.2, 28.0)]
    >>> [loops_left(cell, 2) + k * loop_span(cell, 2) / 2 for k in range(2)]  # the arches' left legs
    [8.0, 20.0]
    """
    top = box.top + LOOP_HEIGHT * (count - k)  # its arch's top line (:func:`.layout._loop`)
    return (loop_label_left(box, k, count) + drawn_width(lines) / 2,
            top + LABEL_OFFSET + LABEL_CLEAR + label_depth(lines))


def drawn_width(lines: list[str], size: float = LABEL_SIZE) -> float:
    """The width of the longest of ``lines`` as drawn at ``size`` points (an arrow label's 9, a node's 10): each
    character by its own advance (:mod:`.font`: an i or a bracket narrow, a W or an arrow wide), a script (the t+1 of
    ∂c_{t+1}, the ⁽¹⁾ of h⁽¹⁾) at its own, smaller size, the braces that mark it not drawn. What a node's box, an
    arrow label's room and the gaps between steps are sized from; where a label starts matters (a loop's name from
    its arch's leg), not only where its middle is. A count of characters (0.6 of the size each) gave 59.4 points.

    >>> round(drawn_width(["∂J/∂c_{t+1}"]), 1), round(drawn_width(["W_hh", "tanh"], FONT_SIZE), 1)
    (30.6, 19.5)
    """
    return max(_line_drawn(line, size) for line in lines)


@functools.lru_cache(maxsize=8192)
def _line_drawn(line: str, size: float) -> float:
    """One line's drawn width (:func:`drawn_width`), kept: the label placement measures each label at every spot
    it tries (half a million times for a two-layer bidirectional BPTT figure, two thirds of its time)."""
    return sum(line_width(part, size * (1.0 if kind == "base" else SCRIPT_SCALE)) for part, kind in script_runs(line))


def loops_room(count: int, lines: list[str]) -> float:
    """How far above a rolled cell its ``count`` state loops reach with their names: the outer arch, its name
    on it (``lines``, as drawn: a slide breaks a cell's one loop's name in two, set apart as :func:`label_offsets`
    sets them, as :func:`loop_label_at` places it) and the white above it, in whole points (Graphviz, given the
    positions, places nodes on whole points: a half moved them from where the SVG has them).

    >>> loops_room(2, ["c"]), loops_room(1, ["(∂hₜ₊₁/∂hₜ)ᵀ", "∂J/∂hₜ₊₁"])
    (41, 37)
    >>> loops_room(1, ["(∂hₜ₊₁⁽¹⁾/∂hₜ⁽¹⁾)ᵀ", "∂J/∂hₜ₊₁⁽¹⁾"])  # (ₜ₊₁ over ⁽¹⁾: the lines 2 points further apart)
    39
    """
    return math.ceil(LOOP_HEIGHT * count + LABEL_OFFSET + 2 * LABEL_CLEAR + label_depth(lines) + LABEL_ASCENT)


def loop_span(box: Box, count: int) -> float:
    """The stretch of a rolled cell's top its ``count`` state loops stand on: in its right half, LOOPS_CLEAR
    right of the middle.

    >>> cell = Box(0.0, 0.0, 104.0, 20.0)  # three loops (a lower layer's c, h and the layer above's): 8 right of 0
    >>> loop_span(cell, 3), loops_left(cell, 3)
    (36.0, 8.0)
    """
    return min(max(48.0, 20.0 * count), box.width / 2 - 8 - LOOPS_CLEAR)


def loops_width(count: int) -> float:
    """The least width of a rolled cell with ``count`` state loops: each loop's legs LOOP_PITCH / 2 apart, as far
    from the next loop's (a bidirectional LSTM's six loops on a 58-point cell stood 7 apart: each arch's two legs
    1 point apart, one line up and down with an arrowhead on it), all in the cell's right half.

    >>> loops_width(6) / 2 - 8 - LOOPS_CLEAR == 6 * LOOP_PITCH
    True
    """
    return 2 * (LOOP_PITCH * count + 8 + LOOPS_CLEAR)


def label_lines(label: str) -> list[str]:
    """An arrow's label in two lines where that makes it narrower, broken at a space outside any brackets
    (between the factors of a product, never inside a sum): what a slide draws between two steps, so that a
    long BPTT label does not set the width of every gap. The words are the same; only the line breaks.

    >>> label_lines("(1/4) ∂(J₂ + J₃ + J₄)/∂h₁"), label_lines("(∂c₂/∂c₁)ᵀ ∂J/∂c₂"), label_lines("∂J/∂h₁")
    (['(1/4)', '∂(J₂ + J₃ + J₄)/∂h₁'], ['(∂c₂/∂c₁)ᵀ', '∂J/∂c₂'], ['∂J/∂h₁'])
    """
    breaks = _breaks(label)
    best = min(breaks, key=lambda k: max(k, len(label) - k - 1), default=None)
    return [label] if best is None else [label[:best], label[best + 1:]]


def _breaks(label: str) -> list[int]:
    """Where a label may break: its spaces outside any brackets."""
    depth, breaks = 0, []
    for k, char in enumerate(label):
        depth += (char in "([") - (char in ")]")
        if char == " " and depth == 0:
            breaks.append(k)
    return breaks


def lines_within(label: str, width: float) -> list[str]:
    """An arrow's label in lines at most ``width`` points wide where it can be: :func:`label_lines`, and where that
    is still wider, its words (broken only at spaces outside brackets) each joined to the line before while that
    fits. The words are the same; only the line breaks.

    >>> lines_within("gradient stops (detach)", 60.0), lines_within("gradient stops (detach)", 40.0)
    (['gradient', 'stops (detach)'], ['gradient', 'stops', '(detach)'])
    """
    lines = label_lines(label)
    if drawn_width(lines) <= width:
        return lines
    cuts = _breaks(label)
    words = [label[start + 1:end] for start, end in zip([-1, *cuts], [*cuts, len(label)])]
    joined = [words[0]]
    for word in words[1:]:
        if drawn_width([f"{joined[-1]} {word}"]) <= width:
            joined[-1] += f" {word}"
        else:
            joined.append(word)
    return joined


def label_offsets(lines: list[str]) -> list[float]:
    """How far each of an arrow label's lines lies under its first: a line (LABEL_LINE) apart, and SCRIPTS_APART more
    under a line whose subscript lies over a superscript of the line under it (the lines centred, as drawn) — the
    limits of (1/3)Σₜ₌₂³ ran into the ⁽ᵗ⁾ and ^[2] of ∂J⁽ᵗ⁾/∂h^[2](1) under them. The library's SVG, Graphviz's and
    an exported stage's write a label's lines so, and every room kept for them reads it (:func:`label_depth`).

    >>> label_offsets(["(1/4)Σₜ₌₂⁴", "∂Jₜ/∂h₁"]), label_offsets(["(1/3)Σₜ₌₂³", "∂J⁽ᵗ⁾/∂h^[2](1)"])
    ([0.0, 10.0], [0.0, 12.0])
    >>> label_offsets(["(1/4)", "∂J⁽³⁾/∂h⁽²⁾"])  # (no subscript over its superscripts)
    [0.0, 10.0]
    """
    return list(_offsets(tuple(lines)))


@functools.lru_cache(maxsize=8192)
def _offsets(lines: tuple[str, ...]) -> tuple[float, ...]:
    """:func:`label_offsets`, kept: label placement measures each label at every spot it tries."""
    return tuple(lines_apart([script_runs(line) for line in lines]))


def lines_apart(lines: list[list[tuple[str, str]]]) -> list[float]:
    """:func:`label_offsets` of lines given as runs of text and their kind ("base", "sub", "sup")."""
    spans = [_scripts_spans(runs) for runs in lines]
    offsets = [0.0]
    for upper, lower in zip(spans, spans[1:]):
        meet = any(left < far_right + 1 and far_left < right + 1 for left, right in upper["sub"]
                   for far_left, far_right in lower["sup"])
        offsets.append(offsets[-1] + LABEL_LINE + (SCRIPTS_APART if meet else 0.0))
    return offsets


def _scripts_spans(runs: list[tuple[str, str]]) -> dict[str, list[tuple[float, float]]]:
    """{"sub": …, "sup": …}: where a centred line's scripts lie, (left, right) from its middle, at a label's size."""
    x, found = 0.0, {"sub": [], "sup": []}
    for part, kind in runs:
        width = line_width(part, LABEL_SIZE * (1.0 if kind == "base" else SCRIPT_SCALE))
        if kind in found and part.strip():
            found[kind].append((x, x + width))
        x += width
    return {kind: [(left - x / 2, right - x / 2) for left, right in spans] for kind, spans in found.items()}


def label_depth(lines: list[str]) -> float:
    """From an arrow label's first baseline to its last (:func:`label_offsets`): 0 for one line."""
    return _offsets(tuple(lines))[-1] if len(lines) > 1 else 0.0


@dataclass
class Layout:
    boxes: list[Box]  # one per picture node
    routes: list[Route]  # one per picture edge
    clusters: list[tuple[str, Box]] = field(default_factory=list)  # the step boxes at op level
    texts: list[tuple[str, float, float]] = field(default_factory=list)  # (text, left x, y): row names, notes
    loops: list[tuple[int, str, Route]] = field(default_factory=list)  # the rolled view: (node, state, its loop)
    step_names: dict[int, float] = field(default_factory=dict)  # a step name moved off its corner: its x
    gaps_narrowable: bool = False  # a gap between steps wider than what it carries needs (all as the widest)


def node_size(label: str, space: Spacing = FREE) -> tuple[float, float]:
    """A node's width and height from its label (the figure gives every node exactly this size)."""
    lines = label.split("\n")
    return drawn_width(lines, FONT_SIZE) + 2 * space.pad_x, len(lines) * LINE + 2 * space.pad_y



def finish(points, end, label, label_at=None) -> Route:
    """Stop the polyline an arrowhead short of ``end`` (Graphviz draws the head up to ``end``). A last
    turn closer to ``end`` than an arrowhead moves back (with the part before it), so that the head
    points along a line of its own into the node, not along the part before the turn."""
    last = points[-1]
    dx, dy = end[0] - last[0], end[1] - last[1]
    length = (dx * dx + dy * dy) ** 0.5
    if 0 < length < ARROW + 2 and len(points) > 2:
        back = (ARROW + 2 - length) / length
        points = points[:-2] + [(x - dx * back, y - dy * back) for x, y in points[-2:]]
        last = points[-1]
        dx, dy = end[0] - last[0], end[1] - last[1]
        length = (dx * dx + dy * dy) ** 0.5
    if length > ARROW:
        points = points + [(end[0] - dx / length * ARROW, end[1] - dy / length * ARROW)]
    elif len(points) == 1:
        points = points + [points[0]]
    return Route(points, end, label_at if label else None)


def clip(box: Box, towards: tuple[float, float]) -> tuple[float, float]:
    """Where the line from the box's centre towards a point leaves the box."""
    dx, dy = towards[0] - box.x, towards[1] - box.y
    if dx == 0 and dy == 0:
        return box.x, box.y
    scale = min(box.width / 2 / abs(dx) if dx else float("inf"), box.height / 2 / abs(dy) if dy else float("inf"))
    return box.x + dx * scale, box.y + dy * scale


def off_the_corner(box: Box, point: tuple[float, float], other: Box) -> tuple[float, float]:
    """``point`` on ``box``'s border, moved onto the face that looks at ``other`` (above or below it) and at
    least a quarter of the box (at most 8 pt) in from that face's corners. A line between two boxes side by side
    on two levels leaves and enters near their corners: there two crossing arrows' heads met in the gap between
    the boxes they enter (a GRU's two splits into the two adds), pointing at no node.

    >>> off_the_corner(Box(0.0, 0.0, 40.0, 20.0), (20.0, 9.0), Box(60.0, 50.0, 40.0, 20.0))
    (12.0, 10.0)
    """
    face = box.top if other.y > box.y else box.bottom
    return clear_of_corners(box, point[0]), face


def clear_of_corners(box: Box, x: float) -> float:
    """``x`` moved onto ``box``'s face at least a quarter of the box (at most 8 pt) in from its corners.

    >>> clear_of_corners(Box(0.0, 0.0, 40.0, 20.0), 30.0)
    12.0
    """
    inset = min(box.width / 4, 8.0)
    return min(max(x, box.left + inset), box.right - inset)


def segment_enters(p: tuple[float, float], q: tuple[float, float], box: tuple[float, float, float, float]) -> bool:
    """Liang–Barsky: does the segment pq pass through the inside of the box (left, bottom, right, top)?"""
    low, high = 0.0, 1.0
    dx, dy = q[0] - p[0], q[1] - p[1]
    for step, distance in ((-dx, p[0] - box[0]), (dx, box[2] - p[0]), (-dy, p[1] - box[1]), (dy, box[3] - p[1])):
        if step == 0:
            if distance <= 0:
                return False
            continue
        ratio = distance / step
        if step < 0:
            low = max(low, ratio)
        else:
            high = min(high, ratio)
        if low >= high:
            return False
    return True


def boxes_overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    """Whether two boxes (left, bottom, right, top) — or (left, top, right, bottom) — overlap (touching is not).

    >>> boxes_overlap((0, 0, 2, 2), (1, 1, 3, 3)), boxes_overlap((0, 0, 1, 1), (1, 0, 2, 1))
    (True, False)
    """
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def line_enters(line: list[tuple[float, float]], box: tuple[float, float, float, float], margin: float = 0.0) -> bool:
    """Does the polyline pass through the inside of the box (left, bottom, right, top: the smaller x and y first)
    shrunk by ``margin`` on every side (a line may graze a border that far)? One rule for the routes, the
    detours and the legibility measures.

    >>> line_enters([(0.0, 5.0), (20.0, 5.0)], (5.0, 0.0, 15.0, 10.0)), line_enters([(0.0, 0.5), (20.0, 0.5)],
    ...                                                                             (5.0, 0.0, 15.0, 10.0), 1.0)
    (True, False)
    """
    left, bottom, right, top = box[0] + margin, box[1] + margin, box[2] - margin, box[3] - margin
    if left >= right or bottom >= top:  # (shrunk to nothing: nothing to enter)
        return False
    return any(segment_enters(p, q, (left, bottom, right, top)) for p, q in zip(line, line[1:]))


def segments_cross(p: tuple[float, float], q: tuple[float, float], r: tuple[float, float],
                   s: tuple[float, float]) -> bool:
    """True when the segments pq and rs cross at one point inside both (touching or running
    along each other is not a crossing).

    >>> segments_cross((0, 0), (10, 0), (5, -5), (5, 5)), segments_cross((0, 0), (10, 0), (10, 0), (10, 5))
    (True, False)
    """
    if max(p[0], q[0]) < min(r[0], s[0]) or max(r[0], s[0]) < min(p[0], q[0]) or \
            max(p[1], q[1]) < min(r[1], s[1]) or max(r[1], s[1]) < min(p[1], q[1]):
        return False
    d1, d2 = orientation(r, s, p), orientation(r, s, q)
    d3, d4 = orientation(p, q, r), orientation(p, q, s)
    return d1 * d2 < 0 and d3 * d4 < 0


def orientation(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]) -> int:
    """Which way c lies from the line through a and b: 1 to its left, −1 to its right, 0 on it."""
    value = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
    return 0 if abs(value) < 1e-6 else (1 if value > 0 else -1)


def spread_apart(centres: list[float], widths: list[float], gap: float, held: list[bool]) -> list[float]:
    """New centres for boxes in one line, in the order of ``centres``, none closer to the next than ``gap``: each
    run of boxes that would overlap moves as one, to the mean of where its boxes stand, or where its ``held`` ones
    stand (x_t right under the linear it feeds: its line up stays upright), the others moving aside. Boxes
    already apart stay where they are.

    >>> spread_apart([0.0, 10.0], [20.0, 20.0], 4.0, [False, False])  # 10 points apart where 24 are needed: 7 each
    [-7.0, 17.0]
    >>> spread_apart([0.0, 10.0, 100.0], [20.0, 20.0, 20.0], 4.0, [False, True, False])  # the first moves aside
    [-14.0, 10.0, 100.0]
    """
    runs: list[list[int]] = []  # each a run of indices that moves as one, placed by its first box's centre
    start: list[float] = []

    def offset(k: int, first: int) -> float:  # from the run's first centre to box k's, each box its gap apart
        return sum((widths[j] + widths[j + 1]) / 2 + gap for j in range(first, k))

    def placed(run: list[int]) -> float:
        wishes = [centres[k] - offset(k, run[0]) for k in run if held[k]] or \
                 [centres[k] - offset(k, run[0]) for k in run]
        return sum(wishes) / len(wishes)

    for k in range(len(centres)):
        runs.append([k])
        start.append(centres[k])
        while len(runs) > 1 and start[-2] + offset(runs[-1][0], runs[-2][0]) > start[-1]:  # overlaps the run before
            last = runs.pop()
            runs[-1] += last
            start.pop()
            start[-1] = placed(runs[-1])
    return [first + offset(k, run[0]) for run, first in zip(runs, start) for k in run]
