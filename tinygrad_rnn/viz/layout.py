"""Where everything goes: the textbook layout of an unrolled network, computed in linear time.

Graphviz's ``dot`` finds a layout by minimising edge crossings over the whole graph, which takes
minutes for a 50-step unroll and puts the steps in a staircase. But a recurrent graph's layout is
known in advance, so this module computes it, and Graphviz only draws (``neato -n2``):

* **time runs left to right**: step t is column t, all columns equally wide;
* **each layer and direction is a row**, layer 0 at the bottom; a reverse direction's row (and
  every gradient graph) flows right to left;
* **inside a step the ops flow upwards**, x_t entering at the bottom and h_t leaving at the top,
  one level per depth within the step, side by side in the same order in every step (the gates
  i, f, g, o; r, z, n); a gradient graph's steps flow downwards, back the way the values came;
* **what is not in a step sits beside its row**: inputs and the input projection where the row's
  flow starts; stacks, losses and Σ nodes where it ends; x_t at cell level below its step;
* **edges are routed here**: inside a step straight; a state from one step to the next through
  the gap between their columns; a node feeding (or fed by) many steps — a shared weight, the
  projected input, a loss, a Σ — along one bus lane above or below the row, with a drop into each
  step, so T edges read as one line.

Each stage visits every node and edge a constant number of times. Sizes are in points (1/72 in).
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from typing import Any

from .picture import BACKWARD_ROW, CHOICES, PER_STEP, Picture, chain_calls, display_label, in_order

CHAR, LINE, PAD_X, PAD_Y = 6.0, 12.0, 7.0, 6.0  # text metrics of the 10-point font; padding in a node
GAP_X, GAP_Y, COLUMN_GAP = 10.0, 16.0, 26.0  # between ops in a step, side by side and level to level; steps
LANE, BOX_PAD, BOX_LABEL = 10.0, 8.0, 12.0  # spacing of bus lanes; a step box's padding, its label's room
ARROW = 6.0  # the arrowhead's length: a route stops this short of the node's border
GATE_ORDER = "figorzn"  # gates side by side: f beside c_{t−1} (f ⊙ c_{t−1}), i beside g (i ⊙ g), then o; r, z, n


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
SLIDE_ASPECT = (1.2, 2.4)  # width : height of a figure that fills a 16:9 slide without wasting it
SLIDE_TEXT_PX, SLIDE_LABEL_PX = 24.0, 28.0  # the smallest text, and node label, a 1080p slide can show
SLIDE_SCALE = SLIDE_LABEL_PX / 10  # px per point that a slide must give: node labels are 10-point (and the
# 9-point text then lands at 25 px)
NOTE_BESIDE_CHARS = 36  # a note beside a slide's drawing is broken into lines this long
SLIDE_LINE_CHARS = (None, 16, 12, 8)  # on a slide, a node's line longer than one of these may break (picture.wrapped)
LABEL_CHAR, LABEL_LINE = 5.4, 10.0  # an arrow label's 9-point font: the width of a character, the height of a line


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
    label_at: tuple[float, float] | None = None  # the middle of the label's first line
    label_lines: list[str] | None = None  # the label as drawn, where a slide breaks it (else the label itself)


def label_lines(label: str) -> list[str]:
    """An arrow's label in two lines where that makes it narrower, broken at a space outside any brackets
    (between the factors of a product, never inside a sum): what a slide draws between two steps, so that a
    long BPTT label does not set the width of every gap. The words are the same; only the line breaks.

    >>> label_lines("(1/4) ∂(J₂ + J₃ + J₄)/∂h₁"), label_lines("(∂c₂/∂c₁)ᵀ ∂J/∂c₂"), label_lines("∂J/∂h₁")
    (['(1/4)', '∂(J₂ + J₃ + J₄)/∂h₁'], ['(∂c₂/∂c₁)ᵀ', '∂J/∂c₂'], ['∂J/∂h₁'])
    """
    depth, breaks = 0, []
    for k, char in enumerate(label):
        depth += (char in "([") - (char in ")]")
        if char == " " and depth == 0:
            breaks.append(k)
    best = min(breaks, key=lambda k: max(k, len(label) - k - 1), default=None)
    return [label] if best is None else [label[:best], label[best + 1:]]


def label_width(lines: list[str]) -> float:
    """The width of an arrow label's longest line, in points."""
    return max(len(line) for line in lines) * LABEL_CHAR


@dataclass
class Layout:
    boxes: list[Box]  # one per picture node
    routes: list[Route]  # one per picture edge
    clusters: list[tuple[str, Box]] = field(default_factory=list)  # the step boxes at op level
    texts: list[tuple[str, float, float]] = field(default_factory=list)  # (text, left x, y): row names, notes
    loops: list[tuple[int, str, Route]] = field(default_factory=list)  # the rolled view: (node, state, its loop)


def node_size(label: str, space: Spacing = FREE) -> tuple[float, float]:
    """A node's width and height from its label (the figure gives every node exactly this size)."""
    lines = label.split("\n")
    return max(len(line) for line in lines) * CHAR + 2 * space.pad_x, len(lines) * LINE + 2 * space.pad_y


def labelled_layout(picture: Picture) -> tuple[list[str], Layout]:
    """Each node's label (:func:`~.graph.display_label`) and the layout of boxes sized to them:
    what every drawing places, DOT and the lecture page's SVG alike. On a slide, long lines may be
    broken, the notes put beside the drawing and one step of ops turned: measured on each layout, the
    first that fits a 1,920 × 1,080 slide wins (the fewest changes), else the one it enlarges most."""
    choices = SLIDE_LINE_CHARS if picture.slide else (None,)
    found = []
    for line_chars in choices:
        labels = [display_label(node, line_chars) for node in picture.nodes]
        sizes = [node_size(label, SLIDE_SPACING if picture.slide else FREE) for label in labels]
        for beside in (False, True) if picture.slide and picture.notes else (False,):
            for turned in (False, True) if picture.slide and _one_step_of_ops(picture) else (False,):
                found.append((labels, layout(picture, sizes, notes_beside=beside, turned=turned)))
    # the first that fits (the fewest changes: pairs W_ih, b_ih kept together), else the one enlarged most
    fitting = [pair for pair in found if slide_scale(pair[1], picture) >= SLIDE_SCALE]
    return fitting[0] if fitting else max(found, key=lambda pair: slide_scale(pair[1], picture))


def slide_scale(placed: Layout, picture: Picture) -> float:
    """How much a 1,920 × 1,080 slide enlarges the figure: min(1920 / width, 1080 / height), in px per point."""
    left, right, bottom, top, _ = extent(placed, picture.legend is not None, bool(picture.title))
    return min(1920 / (right - left), 1080 / (top - bottom))


def layout(picture: Picture, sizes: list[tuple[float, float]], notes_beside: bool = False,
           turned: bool = False) -> Layout:
    """Positions for every node, a box per step, and a route for every edge; the notes under the
    drawing (on a slide, broken to its width), or ``notes_beside`` it on the right. ``turned``: the
    ops of a step flow left to right instead of upwards (one step at op level, landscape on a slide)."""
    boxes = [Box(0.0, 0.0, h, w) if turned else Box(0.0, 0.0, w, h) for w, h in sizes]
    grid = _Grid(picture, boxes)
    routes = [grid.route(tail, head, label) for tail, head, label in picture.edges]
    if turned:
        _turn(boxes, routes, grid.clusters)
    loops = [(i, state, _loop(boxes[i], k, len(node.loops), state, grid.loop_label(state, len(node.loops))))
             for i, node in enumerate(picture.nodes) for k, state in enumerate(node.loops)]
    texts = []
    left = min([b.left for b in boxes], default=0.0)
    for row, name in enumerate(grid.row_names):
        if name:
            texts.append((name, left - 12 - len(name) * CHAR, grid.row_y[row]))
    low = min([b.bottom for b in boxes] + [grid.block_bottom[0] - (grid.lanes_below[0] + 1) * grid.space.lane],
              default=0.0)
    if notes_beside:  # to the right of the drawing, from its top down: a tall figure grows wider, not taller
        x = max([b.right for b in boxes] + [p[0] for route in routes for p in route.points], default=0.0) + 24
        y = max([b.top for b in boxes] + [grid.block_top[-1] if grid.block_top else 0.0], default=0.0)
        for note in picture.notes:
            for line in textwrap.wrap(note, NOTE_BESIDE_CHARS):
                y -= LINE + 2
                texts.append((line, x, y))
            y -= 6
    else:
        right = max([b.right for b in boxes], default=0.0)
        chars = max(NOTE_BESIDE_CHARS, int((right - left) / CHAR)) if picture.slide else None
        for note in picture.notes:
            for k, line in enumerate(textwrap.wrap(note, chars) if chars else [note]):
                low -= LINE + (6 if k == 0 else 2)
                texts.append((line, left, low))
    if picture.rankdir == "RL":  # mirrored: x → −x
        for box in boxes:
            box.x = -box.x
        for route in routes:
            route.points = [(-x, y) for x, y in route.points]
            route.end = (-route.end[0], route.end[1])
            route.label_at = None if route.label_at is None else (-route.label_at[0], route.label_at[1])
        for _, box in grid.clusters:
            box.x = -box.x
        for _, _, route in loops:
            route.points = [(-x, y) for x, y in route.points]
            route.end = (-route.end[0], route.end[1])
            route.label_at = None if route.label_at is None else (-route.label_at[0], route.label_at[1])
        texts = [(text, -x - len(text) * CHAR, y) for text, x, y in texts]
    return Layout(boxes, routes, grid.clusters, texts, loops)


LEGEND_CELL = 40.0  # the width of one colour of the gradient legend


def extent(placed: Layout, legend: bool = False, title: bool = False) -> tuple[float, float, float, float, float]:
    """(left, right, bottom, top) of everything a figure draws, with a margin, and the y of its colour
    bar (``legend``: under everything else); ``title`` leaves room above for one line."""
    xs = [b.left for b in placed.boxes] + [b.right for b in placed.boxes]
    ys = [b.bottom for b in placed.boxes] + [b.top for b in placed.boxes] + [y for _, _, y in placed.texts]
    xs += [x for _, x, _ in placed.texts] + [x + len(text) * CHAR for text, x, _ in placed.texts]
    for route in placed.routes + [loop for _, _, loop in placed.loops]:
        xs += [x for x, _ in route.points]
        ys += [y for _, y in route.points]
    for _, state, loop in placed.loops:  # a rolled cell's loop, and its label above it
        ys.append(loop.label_at[1] + LINE)
        xs.append(loop.label_at[0] + max(len(line) for line in loop.label_lines or [state]) * CHAR)
    for route in placed.routes:  # an arrow's label: from above its first line to below its last
        if route.label_at is not None:
            ys += [route.label_at[1] + 9, route.label_at[1] - LABEL_LINE * (len(route.label_lines or [""]) - 1) - 3]
    for _, box in placed.clusters:
        xs += [box.left, box.right]
        ys += [box.bottom, box.top + LINE]
    legend_y = min(ys) - 2 * LINE - 8
    if legend:
        ys.append(legend_y - LINE)
        xs.append(min(xs) + 12 + 9 * LEGEND_CELL)
    if title:
        ys.append(max(ys) + 2 * LINE)
    return min(xs) - 12, max(xs) + 12, min(ys) - 12, max(ys) + 12, legend_y


def slide_shaped(left: float, right: float, bottom: float, top: float,
                 inside: float = 0.0) -> tuple[float, float, float, float]:
    """The canvas widened or heightened about its centre until width : height lies in [1.2, 2.4]: a
    figure that fills a 16:9 slide. (The text keeps its size there: the longer side still decides the scale.)
    ``inside``: aim that far inside the range (for a renderer that adds its own margins around the canvas).

    >>> slide_shaped(0, 100, 0, 100), slide_shaped(0, 480, 0, 100)
    ((-10.0, 110.0, 0, 100), (0, 480, -50.0, 150.0))
    """
    width, height = right - left, top - bottom
    low, high = SLIDE_ASPECT[0] + inside, SLIDE_ASPECT[1] - inside
    if width < low * height:
        grow = (low * height - width) / 2
        return left - grow, right + grow, bottom, top
    if width > high * height:
        grow = (width / high - height) / 2
        return left, right, bottom - grow, top + grow
    return left, right, bottom, top


def _turn(boxes: list[Box], routes: list[Route], clusters: list[tuple[str, Box]]) -> None:
    """A quarter turn clockwise, (x, y) → (y, −x): what flowed upwards flows to the right, and what
    stood side by side (the gates i, f, g, o) stands top to bottom. The layout was made with every
    node's width and height swapped, so that after the turn each box has its own again."""
    for box in boxes + [box for _, box in clusters]:
        box.x, box.y, box.width, box.height = box.y, -box.x, box.height, box.width
    for _, box in clusters:  # the step's name (t=1) goes above its ops again, in a strip of its own
        box.y, box.height = box.y + BOX_LABEL / 2, box.height + BOX_LABEL
    for route in routes:
        route.points = [(y, -x) for x, y in route.points]
        route.end = (route.end[1], -route.end[0])
        if route.label_at is not None:  # beside the longest straight part: above it, or to its right
            segments = list(zip(route.points, route.points[1:] + [route.end]))
            (x0, y0), (x1, y1) = max(segments, key=lambda s: abs(s[1][0] - s[0][0]) + abs(s[1][1] - s[0][1]))
            level = abs(y1 - y0) <= abs(x1 - x0)
            route.label_at = ((x0 + x1) / 2, (y0 + y1) / 2 + 6) if level else ((x0 + x1) / 2 + 8, (y0 + y1) / 2)


def _one_step_of_ops(picture: Picture) -> bool:
    """A single step drawn op by op (one LSTM or GRU cell's gates): tall when its ops flow upwards."""
    steps = {node.step for node in picture.nodes if node.step is not None and node.kind == "op"}
    return len(steps) == 1 and not picture.backward


LOOP_HEIGHT = 14.0  # how high a rolled cell's loop rises above it (the outer one twice as high)


def _loop(box: Box, k: int, count: int, state: str, lines: list[str]) -> Route:
    """The k-th of a rolled cell's ``count`` state loops: an arch over the right half of its top,
    out and back in, the first (c) outside the second (h), so that they never cross each other,
    the edges leaving its sides, or one rising from the middle of its top. Its label (``lines``: on a
    slide a long one in two) to the right of the arch, growing upwards."""
    inset = 12.0 * k  # nested: the first arch outermost, wider and higher than the next
    height = LOOP_HEIGHT * (count - k)
    start_x, end_x = box.right - 8 - inset, box.right - 56 + inset
    points = [(start_x, box.top), (start_x, box.top + height), (end_x, box.top + height)]
    label_at = (start_x + 4 + max(len(line) for line in lines) * CHAR / 2,
                box.top + height - 2 + LABEL_LINE * (len(lines) - 1))
    route = _finish(points, (end_x, box.top), state, label_at)
    route.label_lines = lines if len(lines) > 1 else None
    return route


class _Grid:
    """The rows, columns, levels and lanes of one picture, and the routes between them."""

    def __init__(self, picture: Picture, boxes: list[Box]) -> None:
        nodes, edges = picture.nodes, picture.edges
        self.nodes, self.boxes, self.backward = nodes, boxes, picture.backward
        self.edge_list = edges
        self.space = SLIDE_SPACING if picture.slide else FREE
        self.slide = picture.slide
        count = len(nodes)
        self.successors: list[list[int]] = [[] for _ in range(count)]
        self.predecessors: list[list[int]] = [[] for _ in range(count)]
        self.gate_into: dict[int, str] = {}
        for tail, head, label in edges:
            self.successors[tail].append(head)
            self.predecessors[head].append(tail)
            if label in GATE_ORDER and label:
                self.gate_into.setdefault(head, label)

        # Rows (layer, direction) and columns (steps); without any step, everything is one block.
        in_step = [n.step is not None and n.kind in ("op", "group") for n in nodes]
        if not any(in_step):
            in_step = [n.kind != "ellipsis" for n in nodes]
        row_keys = list(dict.fromkeys(n.row for n, inside in zip(nodes, in_step) if inside))
        chains = {n.row: n.chain for n in nodes if n.chain is not None}  # what each row runs: layer, direction
        row_keys.sort(key=_row_order(row_keys, chains))
        row_keys, row_of_key = _one_timeline(row_keys, nodes, in_step, chains)
        self.rows = len(row_keys)
        self.steps = sorted({n.step for n in nodes if n.step is not None})
        self.column = {step: i for i, step in enumerate(self.steps)}
        self.block_of = {i: (row_of_key[n.row], self.column.get(n.step, 0)) for i, n in enumerate(nodes) if in_step[i]}
        flows_back = [(_layer_and_direction(key, chains)[1] != picture.backward) != (key[:1] == (BACKWARD_ROW,))
                      for key in row_keys]  # right to left
        rolled = any(n.loops for n in nodes)  # one column: nothing to mirror, its states are loops
        self.reverse = [back and not rolled for back in flows_back]
        layer_rows = sum(1 for key in row_keys if key[:1] != (PER_STEP,))
        one_layer = len({chain.layer for chain in chains.values()}) == 1  # calls apart: "call 2 →", no layer
        modules = len({key[0] for key in chains if key[:1] != (BACKWARD_ROW,)}) > 1 and not _one_timeline_only(
            row_keys, chains)  # two modules in rows of their own: say whose each row is
        self.row_names = [_row_name(key, back, layer_rows, one_layer, modules)
                          for key, back in zip(row_keys, flows_back)]

        self._arrange_blocks()
        self._place_outside()
        self._plan_lanes(edges)
        self._coordinates()

    # --- inside the steps: levels (depth within the step) and the order side by side ---------------
    def _arrange_blocks(self) -> None:
        members: dict[tuple[int, int], list[int]] = {}
        for i, key in self.block_of.items():
            members.setdefault(key, []).append(i)
        self.members = members
        self.level: dict[int, int] = {}
        self.order: dict[int, int] = {}
        self.level_size: dict[tuple[int, int, int], int] = {}
        for (row, col), inside in members.items():
            inside_set = set(inside)
            by_level: dict[int, list[int]] = {}
            for i in in_order(inside, self.predecessors, inside_set):
                self.level[i] = 1 + max((self.level[p] for p in self.predecessors[i] if p in inside_set), default=-1)
                by_level.setdefault(self.level[i], []).append(i)
            position: dict[int, float] = {}
            entering = 1.0 if self.reverse[row] else 0.0  # states come in from the previous step's side
            for level in sorted(by_level):
                ordered = sorted(by_level[level], key=lambda i: self._side_by_side_key(i, position, entering))
                for k, i in enumerate(ordered):
                    self.order[i] = k
                    position[i] = (k + 0.5) / len(ordered)
                self.level_size[(row, col, level)] = len(ordered)
        self.top_level = [0] * max(self.rows, 1)  # the highest level in each row's steps
        for (row, _, level) in self.level_size:
            self.top_level[row] = max(self.top_level[row], level)

    def _side_by_side_key(self, node: int, position: dict[int, float], entering: float) -> tuple:
        """Order within a level: under the ops it reads (their mean position; what comes from the
        previous step counts as coming from its side), then the gate order, then the label."""
        parents = [position.get(p, 0.5 if self._from_below(p) else entering) for p in self.predecessors[node]
                   if self.nodes[p].kind != "parameter"]
        named = re.match(r"([a-z])[₀₁₂₃₄₅₆₇₈₉]* = ", self.nodes[node].label)  # a gate named in its node: i₃ = σ
        gate = self.gate_into.get(node, "") or (named.group(1) if named and named.group(1) in GATE_ORDER else "")
        gate_rank = GATE_ORDER.index(gate) if gate else len(GATE_ORDER)
        return (sum(parents) / len(parents) if parents else 0.5, gate_rank, self.nodes[node].label)

    def _from_below(self, node: int) -> bool:
        """x_t: an input of one step, drawn under it — not the state coming in from the previous step's side."""
        return self.nodes[node].kind == "input" and self.nodes[node].step is not None and node not in self.block_of

    # --- outside the steps: beside the row where its flow starts or ends, or below (x_t) -----------
    def _place_outside(self) -> None:
        nodes, block_of = self.nodes, self.block_of
        depends_on_row = _rows_upstream(len(nodes), self.predecessors, block_of)
        self.place: dict[int, tuple[str, int]] = {}
        for i, node in enumerate(nodes):
            if i in block_of:
                continue
            if node.kind == "ellipsis":
                self.place[i] = ("column", 0)
            elif node.step is not None:
                rows_fed = [block_of[h][0] for h in self.successors[i] if h in block_of]
                self.place[i] = ("below", min(rows_fed, default=0))
            elif depends_on_row[i] is None and self.successors[i] and all(
                    s not in block_of and depends_on_row[s] is not None for s in self.successors[i]):
                # read only after the steps (the head's weight): beside what reads it, not across the steps
                self.place[i] = ("end", max(depends_on_row[s] for s in self.successors[i]))
            elif depends_on_row[i] is None:
                self.place[i] = ("start", _first_row_fed(i, self.successors, block_of))
            else:
                direct = [block_of[p][0] for p in self.predecessors[i] if p in block_of]  # the row it reads
                self.place[i] = ("end", max(direct) if direct else depends_on_row[i])
        # Columns beside a row, counted outwards from the steps: a node next to them feeds them
        # directly (start) or reads them directly (end). A parameter feeding every step sits outermost.
        beside = sorted(i for i, (side, _) in self.place.items() if side in ("start", "end"))
        beside_set = set(beside)
        distance: dict[int, int] = {}
        for i in reversed(in_order(beside, self.predecessors, beside_set)):  # start: towards the steps
            if self.place[i][0] == "start":
                distance[i] = 1 + max((distance[s] for s in self.successors[i] if s in distance), default=-1)
        for i in in_order(beside, self.predecessors, beside_set):  # end: away from the steps
            if self.place[i][0] == "end":
                distance[i] = 1 + max((distance[p] for p in self.predecessors[i] if p in distance), default=-1)
        for i in beside:  # what only feeds a node after the steps shares that node's column, just above it
            if self.place[i][0] == "end" and depends_on_row[i] is None:
                distance[i] = min(distance[s] for s in self.successors[i] if s in distance)
        outermost = max((d for i, d in distance.items() if self.place[i][0] == "start"), default=0)
        # the steps a node after them reads, with those its result is added to on the way to J (a user's
        # y₁ + y₂ + … + y_T): a partial sum of the first steps belongs with the rest of the sum, not beside t=1
        linked_on: dict[int, set] = {}
        for i in reversed(in_order(beside, self.predecessors, beside_set)):
            linked_on[i] = {block_of[j][1] for j in self.predecessors[i] + self.successors[i] if j in block_of}
            if self.place[i][0] == "end":
                for later in self.successors[i]:
                    if later in linked_on and self.place[later][0] == "end":
                        linked_on[i] |= linked_on[later]
        self.beside: dict[tuple[bool, int, int], list[int]] = {}  # (on the left?, row, column) → nodes
        for i in beside:
            side, row = self.place[i]
            feeds_steps = any(s in block_of for s in self.successors[i])
            # Two levels share a column, one above the other, so the figure stays slide-wide.
            column = (outermost if self.nodes[i].kind == "parameter" and feeds_steps else distance[i]) // 2
            on_left = (side == "start") != (self.reverse[row] if self.rows else False)
            linked = linked_on[i]
            middle = (len(self.steps) - 1) / 2
            near_left = bool(linked) and max(linked) < middle
            if linked and (near_left or min(linked) > middle) and on_left != near_left:
                # it reads (or feeds) one end of the rows only — J reading h_T of both directions, the reverse
                # direction's h_0 at a step that merges both, the Σ of a decoder that follows its encoder — so
                # it sits beside that end, outside what is there
                on_left = near_left
                column += 1 + outermost // 2
            self.beside.setdefault((on_left, row, column), []).append(i)
        self.beside_slot: dict[int, tuple[tuple[bool, int, int], int]] = {}  # node → (its column, place in it)
        for key, members in self.beside.items():  # top to bottom, each node just above the one it feeds
            # what feeds (or reads) a higher level of the steps sits higher: its line then passes no other
            # (a gradient graph's levels run downwards)
            height = {i: (1 if self.backward else -1) * max(
                (self.level[s] for s in self.successors[i] + self.predecessors[i] if s in block_of), default=0)
                for i in members}
            self.beside[key] = _chains(members, self.successors, distance, self.place, height)
            self.beside_slot.update({i: (key, k) for k, i in enumerate(self.beside[key])})

    # --- edges: straight, a state between steps, or a bus along a lane ----------------------------
    def _plan_lanes(self, edges) -> None:
        block_of = self.block_of
        fan: dict[tuple[int, int], int] = {}  # (node outside the steps, row) → its edges to or from that row
        partners: dict[tuple[int, int], set] = {}  # … and the nodes in the steps at their other ends
        for tail, head, _ in edges:
            for outside, inside in ((tail, head), (head, tail)):
                if outside not in block_of and inside in block_of and self.place[outside][0] in ("start", "end"):
                    fan[(outside, block_of[inside][0])] = fan.get((outside, block_of[inside][0]), 0) + 1
                    partners.setdefault((outside, block_of[inside][0]), set()).add((inside, inside == tail))
        # Nodes beside a row that the same nodes in the steps feed (the terms of ∂J/∂W_hh and ∂J/∂b_hh,
        # both from each step's linear backward) share one lane, which forks at its end: two lanes
        # would cross each other once for every pair of steps.
        sharing: dict[tuple, int] = {}
        self.lane_of: dict[tuple[int, int], int] = {}
        for (outside, row), ends in partners.items():
            key = (row, frozenset(ends), self.beside_slot[outside][0] if outside in self.beside_slot else outside)
            self.lane_of[(outside, row)] = sharing.setdefault(key, outside)
        self.kind: dict[tuple[int, int], tuple] = {}
        self.drops_into: dict[int, list[tuple]] = {}  # op → the buses dropping into it (side by side)
        self.lane: dict[tuple, int] = {}
        self.trunks: dict[Any, list[tuple]] = {}  # a column beside the row → the lanes whose trunks rise beside it
        self.lanes_above = [0] * max(self.rows, 1)
        self.lanes_below = [0] * max(self.rows, 1)
        self.gap_tracks: dict[tuple[int, int], list[str]] = {}  # (row, column gap) → labels of the states in it
        linked_up, linked_down = set(), set()  # rows with edges to the row above / below, inside the columns
        for tail, head, _ in edges:
            if tail in block_of and head in block_of and block_of[tail][0] != block_of[head][0]:
                low, high = sorted((block_of[tail][0], block_of[head][0]))
                linked_up.add(low)
                linked_down.add(high)
        self._labels = {(tail, head): label for tail, head, label in edges if label}
        for tail, head, label in edges:
            kind: tuple = ("straight",)
            if tail in block_of and head in block_of and block_of[tail][0] == block_of[head][0] \
                    and block_of[tail][1] != block_of[head][1]:
                row, gap = block_of[tail][0], min(block_of[tail][1], block_of[head][1])
                tracks = self.gap_tracks.setdefault((row, gap), [])
                if label not in tracks:
                    tracks.append(label)
                kind = ("state", row, gap, label)
            else:
                for outside, inside in ((tail, head), (head, tail)):
                    if inside in block_of and (fan.get((outside, block_of[inside][0]), 0) > 1
                                               or self._far_from_side(outside, inside)):
                        row = block_of[inside][0]
                        if self.top_level[row]:  # the lower levels read what comes in, the upper pass it on
                            above = (self.level[inside] >= (self.top_level[row] + 1) / 2) != self.backward
                        elif row in linked_down and row not in linked_up:  # one node per step: the free side
                            above = True
                        elif row in linked_up and row not in linked_down:
                            above = False
                        else:  # what it reads comes from below, what reads it lies above
                            above = (inside == tail) != self.backward
                        lane_key = (row, above, self.lane_of.get((outside, row), outside))
                        if lane_key not in self.lane:
                            counts = self.lanes_above if above else self.lanes_below
                            self.lane[lane_key] = counts[row]
                            counts[row] += 1
                        kind = ("bus", lane_key)
            self.kind[(tail, head)] = kind

    def _far_from_side(self, outside: int, inside: int) -> bool:
        """An edge between a node beside the row and a step that is not next to it (so a straight
        line would cross the steps in between)."""
        side, row = self.place.get(outside, ("", 0))
        if side not in ("start", "end"):
            return False
        at_start = side == "start"
        first, last = 0, len(self.steps) - 1
        near = (first if at_start else last) if not self.reverse[row] else (last if at_start else first)
        return self.block_of[inside][1] != near

    # --- coordinates ------------------------------------------------------------------------------
    def _coordinates(self) -> None:
        boxes, rows = self.boxes, max(self.rows, 1)
        width = [0.0] * rows
        height = [0.0] * rows
        levels = [1] * rows
        # Side by side in a level, each node as wide as its label: the k-th node of a level starts where the
        # widest k-th node of that level (over the steps) ends, so that the steps stay alike.
        slot_width: dict[tuple[int, int, int], float] = {}  # (row, level, place in the level) → its width
        for i, (row, _) in self.block_of.items():
            width[row] = max(width[row], boxes[i].width)
            height[row] = max(height[row], boxes[i].height)
            key = (row, self.level[i], self.order[i])
            slot_width[key] = max(slot_width.get(key, 0.0), boxes[i].width)
        level_span: dict[tuple[int, int], float] = {}  # (row, level) → the width of its nodes side by side
        for (row, level, _), w in slot_width.items():
            level_span[(row, level)] = level_span.get((row, level), -self.space.gap_x) + w + self.space.gap_x
        for (row, _, level) in self.level_size:
            levels[row] = max(levels[row], level + 1)
        self.pitch_x = [w + self.space.gap_x for w in width]
        self.pitch_y = [h + self.space.gap_y for h in height]
        # where each level's middle sits above the bottom of its step: every level as tall as the row's
        # tallest node (free size), or each as tall as its own (a slide's height is precious)
        level_height: dict[tuple[int, int], float] = {}
        for i, (row, _) in self.block_of.items():
            shown = levels[row] - 1 - self.level[i] if self.backward else self.level[i]
            level_height[(row, shown)] = max(level_height.get((row, shown), 0.0),
                                             boxes[i].height if self.space.own_level_heights else height[row])
        self.level_middle: dict[tuple[int, int], float] = {}
        for r in range(rows):
            below = 0.0
            for shown in range(levels[r]):
                tall = level_height.get((r, shown), 0.0)
                self.level_middle[(r, shown)] = below + tall / 2
                below += tall + self.space.gap_y
        clustered = any(self.nodes[i].kind == "op" for i in self.block_of)
        label_room = BOX_LABEL if clustered else 0.0
        block_width = [2 * self.space.box_pad + max([span for (row, _), span in level_span.items() if row == r],
                                         default=self.pitch_x[r] - self.space.gap_x) for r in range(rows)]
        block_height = [self.level_middle[(r, levels[r] - 1)] + level_height.get((r, levels[r] - 1), 0.0) / 2
                        + 2 * self.space.box_pad + label_room for r in range(rows)]
        band = list(block_height)  # a row's height: its steps, or the nodes stacked beside it
        columns_beside: dict[bool, list[float]] = {True: [], False: []}
        for (on_left, row, col), members in self.beside.items():
            band[row] = max(band[row], sum(boxes[i].height + self.space.gap_y for i in members))
            widths = columns_beside[on_left]
            widths.extend([0.0] * (col + 1 - len(widths)))
            # (a column gap as wide as between the steps: a line passing up between two columns beside a
            # row, h_T of another row into J, keeps clear of both)
            widths[col] = max(widths[col], max(boxes[i].width for i in members) + self.space.column_gap_min)
        self.column_width = max(block_width) if self.block_of else 0.0
        # a "…" standing for steps left out has a column of its own, as wide as its words
        self.column_width = max([self.column_width] + [box.width + 2 * self.space.box_pad for box, node in
                                                       zip(boxes, self.nodes) if node.kind == "ellipsis"])

        loops = max((len(n.loops) for n in self.nodes), default=0)
        loop_room = (loops + 0.5) * LOOP_HEIGHT if loops else 0.0  # a rolled cell's loops, above it
        below = [i for i, (side, _) in self.place.items() if side == "below"]
        below_height = max([boxes[i].height for i in below], default=0.0)
        below_rows = {self.place[i][1] for i in below}  # x_t under the row it feeds (each call's own)
        y, below_y = 0.0, {}
        self.row_y = []
        for r in range(rows):
            if r in below_rows:
                below_y[r] = y + below_height / 2
                y += below_height + self.space.gap_y * 2
            y += self.lanes_below[r] * self.space.lane + (self.space.lane if self.lanes_below[r] else 0.0)
            self.row_y.append(y + band[r] / 2)
            y += band[r] + (self.lanes_above[r] + 1) * self.space.lane + self.space.gap_y + loop_room
        self.block_top = [self.row_y[r] + block_height[r] / 2 for r in range(rows)]
        self.block_bottom = [self.row_y[r] - block_height[r] / 2 for r in range(rows)]
        # between the steps and the nodes beside them: room for the label of a straight edge across (h_T → J),
        # and for a line that passes up beside the first or last column (x_1 to a reverse row) clear of them
        gap = max([self.space.column_gap_min] + [len(label) * 5.4 + 2 * ARROW + 4
                                                 for (tail, head), kind in self.kind.items()
                             if kind == ("straight",) and (tail in self.block_of) != (head in self.block_of)
                             and (label := self._labels.get((tail, head)))]
                  + [max(len(line) for line in self.loop_label(loop, len(self.nodes[i].loops))) * CHAR
                     for i in self.block_of for loop in self.nodes[i].loops])  # a loop's label
        first_x = sum(columns_beside[True]) + gap + self.column_width / 2
        # a state's label sits between two cells: the gap as wide as the longest (a BPTT arrow's part of ∂J/∂h)
        self.column_gap = max([self.space.column_gap_min] + [
            label_width(self._drawn(kind[3], len(self.gap_tracks[kind[1:3]]))) + self.space.label_room
            - (self.column_width - max(boxes[tail].width, boxes[head].width))
            for (tail, head), kind in self.kind.items()
            if kind[0] == "state" and kind[3] and self.nodes[tail].kind == self.nodes[head].kind == "group"] + [
            # between two steps' boxes of ops, centred in the gap
            label_width(self._drawn(kind[3], len(self.gap_tracks[kind[1:3]]))) + 4 - 2 * self.space.box_pad
            for (tail, head), kind in self.kind.items()
            if kind[0] == "state" and kind[3] and "group" not in (self.nodes[tail].kind, self.nodes[head].kind)])
        self.column_x = [first_x + c * (self.column_width + self.column_gap) for c in range(max(len(self.steps), 1))]
        left_edge = first_x - self.column_width / 2 - gap
        right_edge = self.column_x[-1] + self.column_width / 2 + gap

        self.clusters: list[tuple[str, Box]] = []
        for (row, col), members in sorted(self.members.items()):
            centre_x = self.column_x[col]
            bottom = self.block_bottom[row] + self.space.box_pad
            for i in members:
                level = self.level[i]
                if self.backward:  # gradients flow downwards, back the way the values came
                    level = levels[row] - 1 - level
                start = centre_x - level_span[(row, self.level[i])] / 2
                before = sum(slot_width[(row, self.level[i], k)] + self.space.gap_x for k in range(self.order[i]))
                boxes[i].x = start + before + slot_width[(row, self.level[i], self.order[i])] / 2
                boxes[i].y = bottom + self.level_middle[(row, level)]
            if clustered and self.steps:
                self.clusters.append((f"t={self.steps[col]}",
                                      Box(centre_x, self.row_y[row], block_width[row], block_height[row])))
        for (on_left, row, col), members in self.beside.items():
            widths = columns_beside[on_left]
            outwards = sum(widths[:col]) + widths[col] / 2
            x = left_edge - outwards if on_left else right_edge + outwards
            top = self.row_y[row] + (sum(boxes[i].height for i in members) + self.space.gap_y * (len(members) - 1)) / 2
            for i in members:
                boxes[i].x, boxes[i].y = x, top - boxes[i].height / 2
                top -= boxes[i].height + self.space.gap_y
        for i, (side, _) in self.place.items():
            if side == "below":  # under the node it feeds, where that is one node in its step (x_t → linear)
                fed = [h for h in self.successors[i] if h in self.block_of]
                x = boxes[fed[0]].x if len(fed) == 1 else self.column_x[self.column.get(self.nodes[i].step, 0)]
                boxes[i].x, boxes[i].y = x, below_y[self.place[i][1]]
            elif side == "column":  # a "…" of steps left out: level with the row whose state it passes on
                boxes[i].x = self.column_x[self.column.get(self.nodes[i].step, 0)]
                rows = [self.block_of[n][0] for n in self.successors[i] + self.predecessors[i] if n in self.block_of]
                rows = rows or list(range(len(self.row_y)))
                boxes[i].y = sum(self.row_y[r] for r in rows) / len(rows)

    # --- routes -----------------------------------------------------------------------------------
    def route(self, tail: int, head: int, label: str) -> Route:
        a, b = self.boxes[tail], self.boxes[head]
        kind = self.kind[(tail, head)]
        if kind[0] == "state":
            return self._state_route(a, b, kind, label)
        if kind[0] == "bus":
            return self._bus_route(tail, head, a, b, kind[1], label)
        if label in CHOICES and abs(a.x - b.x) > 1 and abs(a.y - b.y) > 1:
            return self._choice_route(a, b, label)
        block_of = self.block_of
        ellipsis = [i for i in (tail, head) if self.nodes[i].kind == "ellipsis"]
        other = (head if ellipsis[0] == tail else tail) if ellipsis else None
        if ellipsis and other not in block_of and self._bus_of(other) is not None:
            return self._ellipsis_bus(tail, head, a, b, label)
        if other in block_of and abs(a.y - b.y) < 1:  # level with it: straight across, named in the middle
            # an LSTM passes two states into the steps left out: c above h, as between two cells
            tracks = sorted({found for t, h, found in self.edge_list if {t, h} == {tail, head}}, key=_state_first)
            offset = -(tracks.index(label) - (len(tracks) - 1) / 2) * min(a.height, b.height) / 4
            rightwards = b.x > a.x
            start = (a.right if rightwards else a.left, a.y + offset)
            end = (b.left if rightwards else b.right, b.y + offset)
            return _finish([start], end, label, ((start[0] + end[0]) / 2, start[1] + (7 if offset >= 0 else -8)))
        if other in block_of:  # between the steps left out and a step drawn: through the gap beside it
            return self._through_gap(a, b, self.column_x[block_of[other][1]], label)
        if tail in block_of and head in block_of and block_of[tail][1] == block_of[head][1] \
                and abs(block_of[tail][0] - block_of[head][0]) > 1:  # up past the rows in between
            side_x = self.column_x[block_of[tail][1]] + self.column_width / 2 + self.column_gap / 2
            if any(n.loops for n in self.nodes):  # a rolled cell's loops arch over its top: leave by its side
                return self._dogleg(a, b, side_x, label, from_side=True)
            return self._dogleg(a, b, side_x, label)
        if self.place.get(tail, ("",))[0] == "below" and head in block_of and block_of[head][0] > self.place[tail][1]:
            return self._dogleg(a, b, b.x - self.column_width / 2 - self.column_gap / 2, label)
        if (tail in block_of) != (head in block_of) and self.place.get(tail if head in block_of else head,
                                                                        ("",))[0] in ("start", "end"):
            inside = head if head in block_of else tail
            if self.nodes[inside].kind == "op":  # into (or out of) a step through the gap beside it
                route = self._through_gap(a, b, self.column_x[block_of[inside][1]], label)
                if tail == inside and self._crosses_a_node(route, tail, head):  # y_T into the end of a long sum
                    return self._over_beside(a, b, route, label)
                return route
            if abs(a.y - b.y) > 1:  # a cell of another row into a head beside the rows (two sentences' final
                # states into one classifier), or its gradient back: round the corner, not across what lies between
                route = self._through_gap(a, b, self.column_x[block_of[inside][1]], label)
                if not self._crosses_a_node(route, tail, head):
                    return route
        slots = self.beside_slot.get(tail), self.beside_slot.get(head)
        if slots[0] and slots[1] and slots[0][0] == slots[1][0] and abs(slots[0][1] - slots[1][1]) > 1:
            return self._around_column(a, b, slots[0][0], label)  # past the nodes between them, not through
        if slots[0] and slots[1] and slots[0][0][:2] == slots[1][0][:2] and slots[0][0] != slots[1][0] \
                and abs(a.y - b.y) > 1:  # from one column beside the row to the next: a right-angled step
            rightwards = b.x > a.x
            column = [self.boxes[i] for i in self.beside[slots[1][0]]]  # beside b's column: past its widest node
            edge = min(box.left for box in column) if rightwards else max(box.right for box in column)
            gap_x = edge - (self.space.gap_x / 2 if rightwards else -self.space.gap_x / 2)
            start = (a.right if rightwards else a.left, a.y)
            end = (b.left if rightwards else b.right, b.y)
            return _finish([start, (gap_x, a.y), (gap_x, b.y)], end, label, ((start[0] + gap_x) / 2, a.y + 7))
        if tail in block_of and block_of.get(head) == block_of[tail] and abs(self.level[head] - self.level[tail]) > 1:
            return self._past_levels(tail, head, a, b, label)
        start, end = _clip(a, (b.x, b.y)), _clip(b, (a.x, a.y))
        # beside the line, not on it: a steep line's label (centred on its point) to its right, clear of
        # it; ŷ_t → the next input crosses h_t at its middle, so that one is labelled before the middle
        steep = abs(end[0] - start[0]) < abs(end[1] - start[1])
        along, beside = (0.25 if label in CHOICES else 0.5), (3 * len(label) + 6 if steep or label in CHOICES else 4)
        return _finish([start], end, label, (start[0] + (end[0] - start[0]) * along + beside,
                                             start[1] + (end[1] - start[1]) * along + 6))

    def _bus_of(self, node: int) -> tuple | None:
        """The lane of the bus between a node beside the rows and the steps (J and its J_t), if it has one."""
        return next((kind[1] for (tail, head), kind in self.kind.items()
                     if kind[0] == "bus" and node in (tail, head)), None)

    def _ellipsis_bus(self, tail: int, head: int, a: Box, b: Box, label: str) -> Route:
        """Between the steps left out ("…") and a node beside the rows that has a bus to the steps drawn (J, the
        mean of the J_t): along that bus's lane, straight up or down from the "…" — not across the steps drawn."""
        ellipsis_is_tail = self.nodes[tail].kind == "ellipsis"
        other = head if ellipsis_is_tail else tail
        lane_key = self._bus_of(other)
        row, above, _ = lane_key
        lane = self.lane[lane_key] + 1
        y = self.block_top[row] + lane * self.space.lane if above else self.block_bottom[row] - lane * self.space.lane
        rightwards = b.x > a.x
        if ellipsis_is_tail:  # up (or down) into the lane, along it, into the node's side
            trunk = self._trunk_x(head, b, lane_key, rightwards)
            start = (a.x, a.top if y > a.y else a.bottom)
            return _finish([start, (a.x, y), (trunk, y), (trunk, b.y)], (b.left if rightwards else b.right, b.y),
                           label, (a.x + 8, y + 6))
        trunk = self._trunk_x(tail, a, lane_key, not rightwards)
        start = (a.right if rightwards else a.left, a.y)
        end = (b.x, b.top if y > b.y else b.bottom)
        return _finish([start, (trunk, a.y), (trunk, y), (b.x, y)], end, label, (b.x + 8, y + 6))

    def _crosses_a_node(self, route: Route, tail: int, head: int) -> bool:
        """Whether a route passes through a node it does not connect (it would read as an arrow into it)."""
        points = [*route.points, route.end]
        return any(segment_enters(p, q, (box.left + 1, box.bottom + 1, box.right - 1, box.top - 1))
                   for i, box in enumerate(self.boxes) if i not in (tail, head)
                   for p, q in zip(points, points[1:]))

    def _over_beside(self, a: Box, b: Box, route: Route, label: str) -> Route:
        """Out of a step through the gap beside it, over the nodes beside the row up to b's column, and
        down beside that column into b's side (a node above b in its column is passed, not entered)."""
        gap_x = route.points[1][0]
        rightwards = b.x > gap_x
        side_x = (b.left - self.space.gap_x / 2 - 3) if rightwards else (b.right + self.space.gap_x / 2 + 3)
        between = [box for box in self.boxes if min(gap_x, side_x) < box.x < max(gap_x, side_x) or box is b]
        over = max([box.top for box in between] + [a.y]) + self.space.gap_y / 2
        start = route.points[0]
        end = (b.left if rightwards else b.right, b.y)
        return _finish([start, (gap_x, a.y), (gap_x, over), (side_x, over), (side_x, b.y)], end, label,
                       ((start[0] + gap_x) / 2, a.y + 7))

    def _around_column(self, a: Box, b: Box, column: tuple[bool, int, int], label: str) -> Route:
        """Between two nodes of one column beside a row with others between them: along its left
        side (what a node there passes on leaves on its right)."""
        x = min(self.boxes[i].left for i in self.beside[column]) - self.space.gap_x / 2
        start, end = (a.left, a.y), (b.left, b.y)
        return _finish([start, (x, a.y), (x, b.y)], end, label, (x + 8, (a.y + b.y) / 2))

    def _state_route(self, a: Box, b: Box, kind: tuple, label: str) -> Route:
        """From one step to the next through the gap between their columns; where each step is one
        node (cell level, or a fused cell at op level), straight across (an LSTM's c above its h)."""
        _, row, gap, _ = kind
        tracks = sorted(self.gap_tracks[(row, gap)], key=_state_first)  # c before h: the cell state runs on top
        track = tracks.index(label) - (len(tracks) - 1) / 2
        rightwards = b.x > a.x
        one_node_per_step = self.nodes[self.members[(row, gap)][0]].kind == "group" or (
            len(tracks) > 1 and abs(a.y - b.y) < 1)  # parallel states between two nodes level with each other
        if one_node_per_step:
            offset = -track * min(a.height, b.height) / 4
            start = (a.right if rightwards else a.left, a.y + offset)
            end = (b.left if rightwards else b.right, b.y + offset)
            above = offset >= 0
            route = _finish([start], end, label, ((start[0] + end[0]) / 2, start[1] + (7 if above else -8)))
            return self._broken(route, label, above, len(tracks))
        gap_x = self.column_x[gap] + self.column_width / 2 + self.column_gap / 2 + track * 6
        start = (a.right if rightwards else a.left, a.y)
        end = (b.left if rightwards else b.right, b.y)
        points = [start, (gap_x, a.y), (gap_x, b.y)]
        # centred on the gap (not over the boxes beside it), on the side of the line away from where it turns
        above = not b.y > a.y + 1
        route = _finish(points, end, label, (gap_x, a.y + 7 if above else a.y - 9))
        return self._broken(route, label, above, len(tracks))

    def _drawn(self, label: str, tracks: int = 1) -> list[str]:
        """A state's label as drawn between two steps: on a slide in two lines where that is narrower, and
        where its gap holds at most two states (each grows away from the other; a third would meet one)."""
        return label_lines(label) if self.slide and tracks <= 2 else [label]

    def loop_label(self, state: str, loops: int) -> list[str]:
        """A rolled cell's loop label as drawn: in two lines on a slide where the cell has one loop (the
        labels of two nested loops lie a loop's height apart: room for one line each)."""
        return self._drawn(state) if loops == 1 else [state]

    def _broken(self, route: Route, label: str, above: bool, tracks: int) -> Route:
        """The route with its label's lines (:meth:`_drawn`), growing away from the arrow: upwards above it."""
        lines = self._drawn(label, tracks)
        if route.label_at is not None and len(lines) > 1:
            route.label_lines = lines
            if above:
                route.label_at = (route.label_at[0], route.label_at[1] + LABEL_LINE * (len(lines) - 1))
        return route

    def _bus_route(self, tail: int, head: int, a: Box, b: Box, lane_key: tuple, label: str) -> Route:
        """Along the row's lane: a drop into each step from a node beside the row, or a rise from
        each step to it."""
        row, above, _ = lane_key
        lane = self.lane[lane_key] + 1
        y = self.block_top[row] + lane * self.space.lane if above else self.block_bottom[row] - lane * self.space.lane
        if tail in self.block_of:  # fan in: from each step to the lane, along it, into the node
            rightwards = b.x > a.x
            trunk = self._trunk_x(head, b, lane_key, rightwards)
            x = a.x
            if not self.top_level[row]:  # one node per step: leave near its corner, clear of the edges at its middle
                x = a.right - 2 * self.space.pad_x if rightwards else a.left + 2 * self.space.pad_x
            start = (x, a.top if above else a.bottom)
            points = [start, (x, y), (trunk, y), (trunk, b.y)]
            end = (b.left, b.y) if rightwards else (b.right, b.y)
            label_at = (x + 3 + 3 * len(label), start[1] + 7 if above else start[1] - 7)
            return _finish(points, end, label, label_at)
        rightwards = b.x > a.x
        trunk = self._trunk_x(tail, a, lane_key, not rightwards)
        start = (a.right, a.y) if rightwards else (a.left, a.y)
        into = self.drops_into.setdefault(head, [])
        if lane_key not in into:
            into.append(lane_key)
        x = b.x + (into.index(lane_key) - 0.5 * (len(into) > 1)) * 10
        top_level = self.top_level[self.block_of[head][0]]
        facing = (top_level if above else 0) if not self.backward else (0 if above else top_level)
        if self.level[head] != facing:  # not the first op the lane meets: up its side, in from the side
            side_x = b.left - self.space.gap_x / 2 - 3 * into.index(lane_key)
            return _finish([start, (trunk, a.y), (trunk, y), (side_x, y), (side_x, b.y)], (b.left, b.y), label,
                           (side_x + 8, y + 6))
        end = (x, b.top if above else b.bottom)
        return _finish([start, (trunk, a.y), (trunk, y), (x, y)], end, label, (x + 8, y + 6))

    def _trunk_x(self, node: int, box: Box, lane_key: tuple, on_left: bool) -> float:
        """Where a bus's trunk rises beside ``node`` (on its left, or its right): beside the whole
        column that holds it, past its wider nodes, not through them, each lane into the column on
        a line of its own."""
        column = self.beside_slot[node][0] if node in self.beside_slot else node
        # past the widest node of that column in every row: a trunk rising from a row below to a Σ
        # beside the row above passes the Σ nodes of the rows between, not through them
        members = [i for (side, _, col), found in self.beside.items() if (side, col) == (column[0], column[2])
                   for i in found] if node in self.beside_slot else [node]
        trunks = self.trunks.setdefault(column, [])
        if lane_key not in trunks:
            trunks.append(lane_key)
        offset = self.space.gap_x / 2 + 3 * (trunks.index(lane_key) + 1)
        if on_left:
            return min(self.boxes[i].left for i in members) - offset
        return max(self.boxes[i].right for i in members) + offset

    def _past_levels(self, tail: int, head: int, a: Box, b: Box, label: str) -> Route:
        """Inside a step, to a node more than one level away: beside the nodes between (on the side
        the tail is on), then in through the face of the head that looks at the tail."""
        low, high = sorted((self.level[tail], self.level[head]))
        between = [self.boxes[i] for i in self.members[self.block_of[tail]] if low < self.level[i] < high]
        up = b.y > a.y  # from below (forward) or above (a gradient graph)
        side = 1.0 if a.x >= b.x else -1.0
        if between:
            half = self.space.gap_x / 2
            x = max(m.right for m in between) + half if side > 0 else min(m.left for m in between) - half
            x = max(x, a.x) if side > 0 else min(x, a.x)
        else:
            x = a.x
        into = (b.x + side * b.width / 4, b.bottom if up else b.top)
        turn = into[1] - self.space.gap_y / 2 if up else into[1] + self.space.gap_y / 2
        leave = a.top + self.space.gap_y / 2 if up else a.bottom - self.space.gap_y / 2
        points = [(a.x, a.top if up else a.bottom)] + ([(a.x, leave), (x, leave)] if x != a.x else []) + \
                 [(x, turn), (into[0], turn)]
        return _finish(points, into, label, (x + 8, (a.y + b.y) / 2))

    def _choice_route(self, a: Box, b: Box, label: str) -> Route:
        """ŷ_t (above step t) to the input of step t+1 (below it), a choice fed back: out of ŷ_t's side,
        down the gap between the two columns — crossing the state h_t once — and into the input's side;
        a diagonal would cut the corners of the cells it passes."""
        gap_x = (a.x + b.x) / 2  # the columns are evenly spaced: midway is the gap between them
        rightwards = b.x > a.x
        start = (a.right if rightwards else a.left, a.y)
        end = (b.left if rightwards else b.right, b.y)
        label_at = (gap_x + 4 + 3 * len(label), a.y + (b.y - a.y) * 0.25)  # beside the drop, above the state's arrow
        return _finish([start, (gap_x, a.y), (gap_x, b.y)], end, label, label_at)

    def _through_gap(self, a: Box, b: Box, column_x: float, label: str) -> Route:
        """Between a node beside the row and an op in a step: along the gap on that side of the step."""
        outside = a if abs(a.x - column_x) > abs(b.x - column_x) else b
        side = 1.0 if outside.x > column_x else -1.0
        gap_x = column_x + side * (self.column_width / 2 + self.space.gap_x / 2)
        rightwards = b.x > a.x
        start = (a.right if rightwards else a.left, a.y)
        end = (b.left if rightwards else b.right, b.y)
        # named along its longer part: a short way out of J that then turns down to another row runs on the
        # line of h_T into J, and a name over it there would lie on h_T's own
        label_at = ((start[0] + gap_x) / 2, a.y + 7) if abs(gap_x - start[0]) >= abs(b.y - a.y) else (
            gap_x + side * (3 * len(label) + 6), (a.y + b.y) / 2)
        return _finish([start, (gap_x, a.y), (gap_x, b.y)], end, label, label_at)

    def _dogleg(self, a: Box, b: Box, side_x: float, label: str, from_side: bool = False) -> Route:
        """Up from a's top (or out of its side), through the gap beside the column, into b's bottom."""
        end = (b.x, b.bottom)
        if from_side:
            start = (a.right if side_x > a.x else a.left, a.y)
            below_b = b.bottom - self.space.gap_y / 2
            points = [start, (side_x, a.y), (side_x, below_b), (b.x, below_b)]
            return _finish(points, end, label, (side_x + 10, a.y + 7))
        start = (a.x, a.top)
        above_a, below_b = a.top + self.space.gap_y / 2, b.bottom - self.space.gap_y / 2
        points = [start, (a.x, above_a), (side_x, above_a), (side_x, below_b),
                  (b.x, below_b)]
        return _finish(points, end, label, (a.x + 10, above_a + 7))


def _chains(members: list[int], successors, distance: dict[int, int], place, height: dict[int, int]) -> list[int]:
    """Nodes sharing a column beside a row, top to bottom, so that each is followed by the node
    it feeds there (an edge between them is then a short arrow down, crossing nothing)."""
    inside = set(members)
    outward = {i: distance[i] if place[i][0] == "end" else -distance[i] for i in members}
    ordered, placed = [], set()
    for first in sorted(members, key=lambda i: (outward[i], height[i], i)):
        node = first
        while node is not None and node not in placed:
            ordered.append(node)
            placed.add(node)
            node = next((s for s in successors[node] if s in inside and s not in placed), None)
    return ordered


def _layer_and_direction(key: tuple, chains: dict) -> tuple[int, bool]:
    """A row's layer and whether it runs right to left, from the chain its cells recorded (a row of
    a loop written by hand, or of the model's own ops: layer 0, left to right)."""
    chain = chains.get(key)
    if chain is None and key[:1] == (BACKWARD_ROW,):
        chain = chains.get(key[1:])
    return (chain.layer, chain.direction == "reverse") if chain is not None else (0, False)


def _state_first(label: str) -> tuple:
    """The order of parallel state arrows: the cell state c first (on top), then h — by the state an
    arrow carries, forward (c₃) or back (∂J/∂c₃, (∂h₄/∂c₃)ᵀ ∂J/∂h₄: the part of ∂J/∂c₃ through h₄).

    >>> sorted(["(∂(h₃, c₃)/∂h₂)ᵀ ∂J/∂(h₃, c₃)", "(∂c₃/∂c₂)ᵀ ∂J/∂c₃"], key=_state_first)[0]
    '(∂c₃/∂c₂)ᵀ ∂J/∂c₃'
    """
    _, found, after = label.partition("/∂")
    state = after[:1] if found else label[:1]
    return state != "c", label


def _row_order(keys: list[tuple[str, ...]], chains: dict):
    """Rows in the order of the lectures' figures: layer 0 at the bottom, each layer's reverse
    direction just above its forward one, the inputs of each step (e_t) below them; where a module
    ran several chains (one encoder read on two sentences), each call's rows as one block, the first
    call at the bottom; other rows (a hand-written loop) in the order first met."""
    first = {key: i for i, key in enumerate(keys)}
    call = chain_calls(chains.values())

    def order(key: tuple[str, ...]) -> tuple[int, int, int, int]:
        if key[:1] == (BACKWARD_ROW,):  # forward and backward in one figure: the backward rows under the forward
            below = order(key[1:])
            return (below[0] - (1 << 22), *below[1:])
        if key[:1] == (PER_STEP,) and key[1] != "input":  # a model's own ops, one per step: ŷ_t and J_t on top
            return 1 << 20, int(key[2]), 0, first[key]
        if key[:1] == (PER_STEP,):  # e_t below the layers of the call it feeds
            return call.get(chains.get(key[3:]), 0), -1, int(key[2]), first[key]
        layer, reverse = _layer_and_direction(key, chains)
        return call.get(chains.get(key), 0), layer, int(reverse), first.get(key, 0)

    return order


def _one_timeline(keys: list[tuple[str, ...]], nodes, in_step, chains: dict) -> tuple[list[tuple[str, ...]], dict]:
    """Rows that take turns in time share one row: an encoder's steps t = 1…S and its decoder's
    S+1…, the embeddings below each — one timeline, as the lectures draw an encoder–decoder, the
    state handed over between neighbouring columns. (Rows of one layer, direction and kind whose
    steps do not overlap.) The first key of each shared row stands for it."""
    steps: dict[tuple[str, ...], set] = {}
    for node, inside in zip(nodes, in_step):
        if inside:
            steps.setdefault(node.row, set()).add(node.step)

    def kind(key: tuple[str, ...]) -> tuple:
        if key[:1] == (BACKWARD_ROW,):
            return (BACKWARD_ROW, *kind(key[1:]))
        if key[:1] == (PER_STEP,):
            return key[:2]
        return _layer_and_direction(key, chains)

    shared: list[tuple[tuple, set, list]] = []  # (kind, steps so far, the keys)
    for key in keys:
        home = next((row for row in shared if row[0] == kind(key) and not row[1] & steps[key] and None not in
                     steps[key] | row[1]), None)
        if home is None:
            shared.append((kind(key), set(steps[key]), [key]))
        else:
            home[1].update(steps[key])
            home[2].append(key)
    row_of_key = {key: i for i, (_, _, members) in enumerate(shared) for key in members}
    return [members[0] for _, _, members in shared], row_of_key


def _one_timeline_only(row_keys: list, chains: dict) -> bool:
    """Whether the modules drawn share their rows (an encoder and its decoder on one timeline)."""
    return len({key[0] for key in row_keys if key in chains}) <= 1


def _row_name(key: tuple[str, ...], reverse: bool, rows: int, one_layer: bool = False, modules: bool = False) -> str:
    """'layer 1 →' beside each row, when there are several (layers counted from 1, as on a slide);
    'call 2 →' for a module's second chain ('call 2 layer 1 →' where it has several layers); the
    module first where several modules have rows of their own ('RNN 2 layer 1 →')."""
    if key[:1] == (BACKWARD_ROW,):
        name = _row_name(key[1:], reverse, rows, one_layer, modules)
        return f"∂ {name}" if name else ""
    if key[:1] == (PER_STEP,):
        return ""
    calls = any(part.startswith("call ") for part in key)
    words = [_on_slide(part) for part in key[0 if modules else 1:] if part not in ("forward",)
             and not (calls and one_layer and part.startswith("layer "))] or list(key)
    return (" ".join(words) + (" ←" if reverse else " →")) if rows > 1 and words else ""


def _on_slide(part: str) -> str:
    """'layer 0' → 'layer 1': a slide counts layers from 1 (h⁽¹⁾ at the bottom), PyTorch's names from 0 (_l0)."""
    words = part.split()
    return f"layer {int(words[1]) + 1}" if len(words) == 2 and words[0] == "layer" and words[1].isdigit() else part


def _rows_upstream(count: int, predecessors, block_of) -> list[int | None]:
    """For each node outside the steps, the highest row of the steps it depends on (None: none)."""
    found: list[int | None] = [None] * count
    for i in in_order(list(range(count)), predecessors, set(range(count))):
        rows = [block_of[p][0] if p in block_of else found[p] for p in predecessors[i]]
        rows = [r for r in rows if r is not None]
        if i not in block_of and rows:
            found[i] = max(rows)
    return found


def _first_row_fed(start: int, successors, block_of) -> int:
    """The lowest row of the steps a node feeds, directly or through other nodes outside steps."""
    stack, seen, rows = [start], {start}, []
    while stack:
        i = stack.pop()
        for j in successors[i]:
            if j in block_of:
                rows.append(block_of[j][0])
            elif j not in seen:
                seen.add(j)
                stack.append(j)
    return min(rows, default=0)


def _finish(points, end, label, label_at=None) -> Route:
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


def _clip(box: Box, towards: tuple[float, float]) -> tuple[float, float]:
    """Where the line from the box's centre towards a point leaves the box."""
    dx, dy = towards[0] - box.x, towards[1] - box.y
    if dx == 0 and dy == 0:
        return box.x, box.y
    scale = min(box.width / 2 / abs(dx) if dx else float("inf"), box.height / 2 / abs(dy) if dy else float("inf"))
    return box.x + dx * scale, box.y + dy * scale


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
