"""Where an arrow's name goes (viz/label_placement.py), on small pictures built for each rule: off a box,
off every line (its own too), off other names, nearer its own line than any other, a shared bus trunk
left to the arrows that share it; what the grid does where no free spot exists (a gap between two levels,
a column, a cell passing four states, nested loops); and :func:`misplaced_labels`, the measure the
documentation and CLI figures are held to (tests/test_slide_figures.py)."""

import math
import re
import xml.etree.ElementTree as ElementTree

import pytest
from written import svg_lines

import tinygrad_rnn as tr
from tinygrad_rnn.viz.geometry import LABEL_LINE, Box, Layout, Route, segment_enters
from tinygrad_rnn.viz.graph import build_picture
from tinygrad_rnn.viz.label_placement import clashes, label_rect, place_labels
from tinygrad_rnn.viz.layout import labelled_layout
from tinygrad_rnn.viz.legibility import label_clashes, texts_crossed
from tinygrad_rnn.viz.slide import text_width
from tinygrad_rnn.viz.svg import picture_to_svg

NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
NEARER = 1.0  # another line this much nearer than its own makes a label read as that line's


def misplaced_labels(svg_text: str) -> list[tuple[str, float, float]]:
    """The arrow labels of a library SVG that lie nearer another arrow's line than their own, by more than a
    point: (words, distance to its own line, to the nearest other), in points. A label's box is its width as drawn
    (:func:`drawn_width`; 7 above its baseline, 2.5 below, 10 a line), centred where the layout centred it (a
    rolled loop's name from its arch's leg, geometry.loop_label_at). A line that runs along its own
    (a bus's shared trunk) lies exactly as near, and is not counted; nor is a line that passes a point nearer
    than its own, 2.5 pt off (a line up past the rows beside the end of a state's name between two cells on a
    slide, 2 pt off: the name still lies along its own line). A fork of its own line — out of the same node,
    unnamed (named once: layout._name_each_fork_once) — carries what it names, and is its own too; so is a twin, an
    edge between the same two nodes drawn beside it (routes.side_by_side: J's two states of one step node), which a
    name beside the pair cannot make read as joining other nodes."""
    lines, tails, named, labels, heads = _labels_and_lines(svg_text)
    found = []
    for words, own, box in labels:
        near = [polyline_distance(line, box) for line in lines]
        forks = {k for k in range(len(lines)) if tails[k] is not None and tails[k] == tails[own]
                 and (k not in named or heads[k] == heads[own])}
        nearest_other = min((near[k] for k in range(len(lines)) if k != own and k not in forks), default=math.inf)
        nearest_own = min(near[k] for k in (own, *forks))
        if nearest_own > nearest_other + NEARER:
            found.append((words, round(nearest_own, 1), round(nearest_other, 1)))
    return found


def flipped_bundles(svg_text: str) -> list[list[str]]:
    """The bundles of more than four parallel level arrows between the same two x (the states a step node passes to
    the next) whose names do not all lie on one side of their own lines: each such bundle's names, top first, a name
    under its line marked "(under)". Where c's names lay over their lines and h's under theirs, 17 pt apart, a
    reader who learned "over its line" from the c lanes read each h name as the arrow's under it."""
    lines, _, _, labels, _ = _labels_and_lines(svg_text)
    level = []  # (left, right, y, words, over its line): a rightward arrow's ends lie a few points off a leftward one's
    for words, own, (_, top, _, bottom) in labels:
        (x0, y0), (x1, y1) = lines[own][0], lines[own][-1]
        if len(lines[own]) == 2 and y0 == y1:
            level.append((min(x0, x1), max(x0, x1), y0, words, top + bottom < 2 * y0))
    between = {tuple(sorted((k for k, (left, right, *_) in enumerate(level) if left < (low + high) / 2 < right),
                            key=lambda k: level[k][2])) for low, high, *_ in level}
    bundles = []  # each gap's arrows cut where two lie 3 lines apart or more (the rows of a cell-level figure)
    for arrows in between:
        for k in arrows:
            if bundles and bundles[-1][-1] in arrows and level[k][2] - level[bundles[-1][-1]][2] < 3 * LABEL_LINE:
                bundles[-1].append(k)
            else:
                bundles.append([k])
    return [[level[k][3] + ("" if level[k][4] else " (under)") for k in bundle]
            for bundle in bundles if len(bundle) > 4 and len({level[k][4] for k in bundle}) > 1]


def _labels_and_lines(svg_text: str):
    """A library SVG's edges (each one's points, its tail's node, which are named) and its arrow labels: (words,
    the index of its own edge, its box (left, top, right, bottom), y downwards, as svg.py draws it)."""
    lines: list[list[tuple[float, float]]] = []
    tails: list[str | None] = []
    heads: list[str | None] = []
    named: set[int] = set()
    labels: list[tuple[str, int, tuple[float, float, float, float]]] = []
    for element in ElementTree.fromstring(svg_text):  # svg.py writes each edge's path, then its label
        classes = (element.get("class") or "").split()
        if element.tag.endswith("path") and "edge" in classes:
            values = [float(v) for v in NUMBER.findall(element.get("d"))]
            lines.append(list(zip(values[0::2], values[1::2])))
            tails.append(element.get("data-tail"))
            heads.append(element.get("data-head"))
        elif element.tag.endswith("text") and "edge-label" in classes:
            words = [line.strip() for line in svg_lines(element)]  # (a line's scripts with it: tests/written.py)
            x, y = float(element.get("x")), float(element.get("y"))
            half = drawn_width(element) / 2
            labels.append((" ".join(words), len(lines) - 1, (x - half, y - 7, x + half, y + 2.5 + LABEL_LINE *
                                                              (len(words) - 1))))
            named.add(len(lines) - 1)
    return lines, tails, named, labels, heads


def drawn_width(text) -> float:
    """The width of a label's longest line as the library's SVG draws it (its 9-point font, each character by its
    advance, a script — a tspan at 80% — at its own size), not the layout's estimate."""
    lines = [span for span in text if span.tag.endswith("tspan") and (span.get("x") or span.get("y"))] or [text]

    def width(element, size: float) -> float:
        here = size * 0.8 if element.get("font-size") == "80%" else size
        return text_width([(element.text or "", "base")], here) + sum(
            width(child, here) + text_width([(child.tail or "", "base")], here) for child in element)

    return max(width(line, 9.0) for line in lines)


def polyline_distance(line, box) -> float:
    return min(_segment_distance(p, q, box) for p, q in zip(line, line[1:]))


def _segment_distance(p, q, box) -> float:
    """How far the segment pq passes from the box (left, top, right, bottom): 0 where it enters it."""
    left, top, right, bottom = box
    if segment_enters(p, q, (left, top, right, bottom)):
        return 0.0

    def to_point(c, a, b):
        dx, dy = b[0] - a[0], b[1] - a[1]
        length = dx * dx + dy * dy
        t = 0.0 if length == 0 else max(0.0, min(1.0, ((c[0] - a[0]) * dx + (c[1] - a[1]) * dy) / length))
        return math.hypot(c[0] - a[0] - t * dx, c[1] - a[1] - t * dy)

    ends = [math.hypot(max(left - x, 0.0, x - right), max(top - y, 0.0, y - bottom)) for x, y in (p, q)]
    return min(ends + [to_point(c, p, q) for c in ((left, top), (right, top), (right, bottom), (left, bottom))])


def _free(placed: Layout, names: list[str]) -> None:
    for k, route in enumerate(placed.routes):
        if names[k]:
            assert clashes(placed, names, k) == 0, (names[k], route.label_at)


# --- the rule, on pictures built for it ------------------------------------------------------------------------------
def test_a_label_already_clear_of_everything_stays_where_its_route_put_it():
    route = Route([(0.0, 0.0), (94.0, 0.0)], (100.0, 0.0), label_at=(50.0, 6.0))
    place_labels(Layout([Box(120.0, 0.0, 40.0, 20.0)], [route]), ["h₁"])
    assert route.label_at == (50.0, 6.0)


def test_a_label_struck_through_by_another_line_moves_beside_its_own():
    """h₂'s name was put where the vertical line of another arrow runs: it slides along its own line."""
    vertical = Route([(40.0, -40.0), (40.0, 34.0)], (40.0, 40.0))
    named = Route([(0.0, 0.0), (94.0, 0.0)], (100.0, 0.0), label_at=(40.0, 4.0))
    placed = Layout([], [vertical, named])
    place_labels(placed, ["", "h₂"])
    _free(placed, ["", "h₂"])
    left, bottom, right, top = label_rect(named.label_at, ["h₂"])
    assert bottom > 0 or top < 0, "beside the line, not on it"
    assert min(abs(bottom), abs(top)) < 4 and 0 <= (left + right) / 2 <= 100, named.label_at


def test_a_label_on_a_box_moves_off_it_and_a_short_line_between_two_boxes_names_itself_in_the_gap():
    """A gate's r from a split up into an add one level above: the label was on the add's box."""
    below, above = Box(0.0, 0.0, 60.0, 20.0), Box(0.0, 36.0, 60.0, 20.0)  # a 16-point gap between them
    route = Route([(0.0, 10.0), (0.0, 20.0)], (0.0, 26.0), label_at=(0.0, 30.0))
    placed = Layout([below, above], [route])
    place_labels(placed, ["r"])
    _free(placed, ["r"])
    _, low, _, high = label_rect(route.label_at, ["r"])
    assert 10.0 < low and high < 26.0, route.label_at  # in the gap, beside its line


def test_two_labels_never_land_on_one_another():
    first = Route([(0.0, 0.0), (94.0, 0.0)], (100.0, 0.0), label_at=(50.0, 4.0))
    second = Route([(0.0, 0.0), (94.0, 0.0)], (100.0, 0.0), label_at=(52.0, 5.0))  # the same spot, nearly
    parallel = Route([(0.0, -30.0), (94.0, -30.0)], (100.0, -30.0), label_at=(50.0, -26.0))
    placed = Layout([], [first, second, parallel])
    names = ["c₁", "h₁", "x"]
    place_labels(placed, names)
    _free(placed, names)


def test_a_label_does_not_sit_nearer_another_line_than_its_own():
    """Close beside a second line (3 pt off, its own 4 pt) the name reads as that line's: it moves."""
    own = Route([(0.0, 0.0), (94.0, 0.0)], (100.0, 0.0), label_at=(50.0, 6.5))
    other = Route([(0.0, 16.0), (94.0, 16.0)], (100.0, 16.0))  # its name's top would be 2.5 below it
    placed = Layout([], [own, other])
    place_labels(placed, ["h₁", ""])
    _, bottom, _, top = label_rect(own.label_at, ["h₁"])
    assert top < 0 or (bottom - 0) + 1 < 16 - top, own.label_at


def test_a_name_on_a_bus_sits_where_its_own_drop_leaves_the_shared_trunk():
    """Three steps' terms run along one trunk into a Σ: each t=k is named by its own drop, not along the
    trunk where it would read as another step's (its first spot lay on the trunk itself)."""
    drops = [Route([(x, 0.0), (x, 12.0), (200.0, 12.0), (200.0, -14.0)], (206.0, -14.0), label_at=(x + 9, 10.0))
             for x in (20.0, 80.0, 140.0)]
    boxes = [Box(x, -10.0, 40.0, 20.0) for x in (20.0, 80.0, 140.0)] + [Box(220.0, -14.0, 28.0, 20.0)]
    placed = Layout(boxes, drops)
    names = ["t=1", "t=2", "t=3"]
    place_labels(placed, names)
    _free(placed, names)
    for x, route in zip((20.0, 80.0, 140.0), drops):
        assert abs(route.label_at[0] - x) < 20, (x, route.label_at)


# --- where no free spot exists, the grid makes one -------------------------------------------------------------------
def drawn(picture) -> str:
    labels, placed = labelled_layout(picture)
    return picture_to_svg(picture, placed, labels, "f", figure=True)


def test_a_gru_cells_splits_point_into_their_adds_not_between_them_on_a_slide():
    """On a slide the levels of a step were 9.6 pt apart: the gates' names lay on the adds they enter (they are
    no longer drawn: a split's part is W_ir x + b_ir, not r). The hidden split feeds the left add and the input
    split the right one: the two lines cross, and their heads met in the gap between the adds, pointing at
    neither. Each head now lands on its add's face, clear of its corners: the bottom, or (the n part, round r)
    the side it comes round by."""
    model = tr.nn.GRU(2, 3)
    picture = build_picture((model(tr.randn(2, 1, 2))[0].sum(),), level="op", slide=True)
    labels, placed = labelled_layout(picture)
    text = picture_to_svg(picture, placed, labels, "f", figure=True)
    assert label_clashes(text).count == 0, label_clashes(text)
    assert misplaced_labels(text) == []
    into_adds = [(placed.boxes[head], route.end) for (tail, head, _), route in zip(picture.edges, placed.routes)
                 if picture.nodes[tail].label.startswith("split") and picture.nodes[head].label.startswith("add")
                 and abs(placed.boxes[tail].x - placed.boxes[head].x) > placed.boxes[head].width / 2]
    assert len(into_adds) >= 4  # across, in each of the two steps (and the n parts, round r)
    for box, (x, y) in into_adds:
        on_bottom = abs(y - box.bottom) < 1e-6 and box.left + 4 <= x <= box.right - 4
        on_side = min(abs(x - box.left), abs(x - box.right)) < 1e-6 and box.bottom + 4 <= y <= box.top - 4
        assert on_bottom or on_side, (box, x, y)


@pytest.mark.parametrize("slide", [True, False])
def test_a_rolled_cell_with_four_loops_names_each_beside_its_own_arch(slide):
    """A rolled bidirectional LSTM's gradients hand four states back: nested, the inner arches shrank to
    nothing and their long names ran across the outer loops' legs. Six loops (every output read, each state
    marked with its direction, h's in two forms) on a slide's 58-point cell stood 7 points apart, each arch's
    legs 1 apart: the cell is now as wide as its loops need (geometry.loops_width)."""
    model = tr.nn.LSTM(2, 3, bidirectional=True)
    loss = model(tr.randn(3, 1, 2))[0].sum()  # every step read: all four states hand a gradient back (with only
    # output[-1] read, the reverse direction's states before it hand back 0, and no loop is drawn for them)
    picture = build_picture((loss,), level="step", rolled=True, backward=True, slide=slide)
    labels, placed = labelled_layout(picture)
    assert len(placed.loops) == sum(len(node.loops) for node in picture.nodes) >= 4
    arches = sorted((route.points[2][0], route.points[0][0], route.points[1][1]) for _, _, route in placed.loops)
    for (back, out, height), (next_back, _, next_height) in zip(arches, arches[1:]):
        assert out - back > 4 and out < next_back and height > next_height  # side by side, lower to the right
    text = picture_to_svg(picture, placed, labels, "f", figure=True)
    assert label_clashes(text).count == 0, label_clashes(text)
    assert misplaced_labels(text) == []


def test_the_measure_sees_a_label_nearer_another_line():
    text = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 50">'
            '<path class="edge" d="M0,40 L100,40"/><text class="edge-label" x="50" y="20">h₁</text>'
            '<path class="edge" d="M0,24 L100,24"/></svg>')
    assert misplaced_labels(text) == [("h₁", 17.5, 1.5)]


def stacked_lstm_bptt_svg() -> str:
    """``graph --cell lstm --layers 2 --loss every --level cell --backward`` as the CLI draws it (on a slide)."""
    from tinygrad_rnn.cli import language_model_loss

    loss, _ = language_model_loss("lstm", steps=4, layers=2)
    return drawn(build_picture((loss,), level="cell", backward=True, slide=True))


def test_a_layers_chain_rule_into_the_layer_below_sits_beside_its_own_arrow():
    """Layer 2 → 1 at step t, (∂(h_t⁽²⁾, c_t⁽²⁾)/∂h_t⁽¹⁾)ᵀ ∂J/∂(h_t⁽²⁾, c_t⁽²⁾), is wider than a column's gap: in
    one line it was pushed left of its own arrow — t=1's under the Σ beside the first column, t=2's and t=3's
    mid-gap, across the previous column's arrow. On a slide it breaks in two, as the states between steps do,
    and each lies right of its own arrow, nearer it than any other line (:func:`misplaced_labels`)."""
    text = stacked_lstm_bptt_svg()
    root = ElementTree.fromstring(text)
    downs, names = [], []
    for element in root:  # each edge's path, then its label (svg.py)
        classes = (element.get("class") or "").split()
        if element.tag.endswith("path") and "edge" in classes:
            downs.append([float(v) for v in NUMBER.findall(element.get("d"))])
        elif element.tag.endswith("text") and "edge-label" in classes:
            words = " ".join(line.strip() for line in svg_lines(element))
            if re.match(r"\(∂\(h\d\(2\), c\d\(2\)\)/∂h\d\(1\)\)T", words):
                names.append((words, float(element.get("x")), downs[-1]))
    assert len(names) == 3, names  # t = 1, 2, 3 (t=4's, ∂J/∂h₄⁽¹⁾, is all of it)
    columns = sorted(path[0] for *_, path in names)
    for words, x, path in names:
        own = path[0]
        assert path[0] == path[2], path  # a straight line down
        assert own < x < own + (columns[1] - columns[0]) / 2, (words, own, x)  # right of its own, before mid-gap
    crowded = {words for words, _, _ in misplaced_labels(text)}
    assert not {words for words, _, _ in names} & crowded, crowded


def test_no_label_of_a_stacked_lstms_bptt_figure_lies_nearer_another_line():
    """h's name between two cells lies under its arrow, c's above: broken in two lines on a slide, h's reached
    below the row, and the Σ's bus ran 0.8 pt under layer 1's (∂h₄⁽¹⁾/∂h₃⁽¹⁾)ᵀ ∂J/∂h₄⁽¹⁾ (2.5 from its own) —
    every h label of both layers lay across or against a bus. The lanes below a row now begin under its names."""
    text = stacked_lstm_bptt_svg()
    assert misplaced_labels(text) == []
    assert label_clashes(text).count == 0, label_clashes(text)


def scopeless_lstm_cell_loop():
    """tr.nn.LSTMCell called in a plain loop, no tr.scope: J = Σ_t sum(h_t)."""
    tr.manual_seed(0)
    cell = tr.nn.LSTMCell(2, 3)
    h = c = tr.zeros(1, 3)
    loss = 0
    for _ in range(3):
        h, c = cell(tr.randn(1, 2), (h, c))
        loss = loss + h.sum()
    return loss


def test_a_scopeless_loop_of_lstm_cells_names_c_and_h_apart():
    """tr.nn.LSTMCell called in a plain loop (no tr.scope), drawn backward at cell level on a slide: with no room
    under the row, h's two-line name between cells 1 and 2 had nowhere beside its arrow clear of the bus below,
    and moved up onto c's name (the two printed over each other); between cells 2 and 3 the bus ran under it."""
    text = drawn(build_picture((scopeless_lstm_cell_loop(),), level="cell", backward=True, slide=True))
    assert label_clashes(text).count == 0, label_clashes(text)
    assert misplaced_labels(text) == []


def test_where_no_spot_beside_its_arrow_is_free_a_name_stays_off_the_other_names(monkeypatch):
    """The same loop laid out as before the room under the row: h's name has no free spot, and it moved onto c's
    (a line through it counted once in each cell it crosses, the name lain on once). A name lain on weighs as
    much as ON_TEXT lines: it stays under its own arrow, the bus beside it, legible. (The placer's own choice, seen
    without the numbered markers that then take such a name into a key: wire_markers.py.)"""
    from tinygrad_rnn.viz.coordinates import Coordinates

    reach = Coordinates._state_label_reach
    monkeypatch.setattr(Coordinates, "_state_label_reach",  # no room under the row
                        lambda self, row, gap, above: reach(self, row, gap, above) if above else 0.0)
    monkeypatch.setattr("tinygrad_rnn.viz.layout.mark_crowded_labels", lambda placed, names: None)
    text = drawn(build_picture((scopeless_lstm_cell_loop(),), level="cell", backward=True, slide=True))
    assert misplaced_labels(text), "the layout before the room under the row"
    assert label_clashes(text).overlaps == [], label_clashes(text)


def test_three_states_between_two_steps_each_name_lies_between_its_own_line_and_the_next():
    """A stacked bidirectional GRU at step level hands three states back across each gap (h⁽¹←⁾, h⁽¹→⁾ and
    h⁽²→⁾), a quarter of a step's height apart. The step stood three names tall, its lines 12.75 apart: a name 2.5
    over its own line lay 0.8 under the next one's. It now stands as tall as for four."""
    tr.manual_seed(0)
    model = tr.nn.GRU(2, 3, num_layers=2, bidirectional=True)
    loss = model(tr.randn(3, 1, 2))[0][-1].sum()
    text = drawn(build_picture((loss,), level="step", backward=True, slide=True))
    assert label_clashes(text).count == 0, label_clashes(text)
    assert misplaced_labels(text) == []


def test_a_rolled_cells_arrow_labels_stand_a_line_clear_of_its_loops_names_and_of_the_boxes():
    """A rolled LSTM's BPTT figure on a slide: (1/T) ∂Jₜ/∂hₜ, down into the cell, sat 2 points over the c loop's
    name and read as its first line; the embedding arrow's (1/T), the first line of its split label, sat 2 points
    under the cell and read as the cell's note. Here every arrow's name keeps a line's height from every other name
    (the loops' names included) and 4 points from every box."""
    from tinygrad_rnn.cli import language_model_loss
    from tinygrad_rnn.viz.label_placement import NEAR_BOX, NEAR_LABEL

    loss, _ = language_model_loss("lstm", 4)
    picture = build_picture((loss,), level="cell", backward=True, rolled=True, slide=True)
    placed = labelled_layout(picture)[1]
    edge_names = [label for _, _, label in picture.edges]
    named = [(route.label_lines or [name], route) for route, name in zip(placed.routes, edge_names)
             if name and route.label_at is not None and route.label_drawn]
    loops = [(route.label_lines or [state], route) for _, state, route in placed.loops]
    boxes = [label_rect(route.label_at, lines) for lines, route in named + loops]
    assert len(named) == 7 and len(loops) == 2  # (∂J/∂sₜ, J_t → the head, labelled too)

    def gap(a, b):
        return math.hypot(max(a[0] - b[2], 0.0, b[0] - a[2]), max(a[1] - b[3], 0.0, b[1] - a[3]))

    for k, (lines, _) in enumerate(named):
        others = [gap(boxes[k], box) for j, box in enumerate(boxes) if j != k]
        assert min(others) >= NEAR_LABEL >= LABEL_LINE, (lines, min(others))
        nodes = [gap(boxes[k], (b.left, b.bottom, b.right, b.top)) for b in placed.boxes]
        assert min(nodes) >= NEAR_BOX, (lines, min(nodes))


def test_a_step_nodes_bundle_of_states_names_each_over_its_own_line():
    """The issue's figure (graph --cell lstm --level step --layers 2 --bidirectional --loss last --steps 3
    --forward-and-backward): a step passes 8 states each way, 17 pt apart. c's names lay 7 over their lines, h's 8
    under theirs: halfway down the bundle the side flipped, and h₂⁽²←⁾ read as naming the h₁⁽²→⁾ under it. Each
    name now lies over its own line, 2.5 clear of it and 5 under the next."""
    tr.manual_seed(0)
    model = tr.nn.LSTM(2, 3, num_layers=2, bidirectional=True)
    loss = model(tr.randn(3, 1, 2))[0][-1].sum()
    text = drawn(build_picture((loss,), level="step", backward="both"))
    assert flipped_bundles(text) == []
    assert misplaced_labels(text) == []
    assert label_clashes(text).count == 0, label_clashes(text)


@pytest.mark.parametrize("notation", ["pytorch", "cs224n"])
def test_a_forked_states_name_may_lie_beside_its_unnamed_branch(notation):
    """The deck's stacked bidirectional slide: layer 1's h₁⁽¹←⁾ goes up into both directions of layer 2 along one
    line that forks, named once. Its short drop into the forward cell, between two rows of cells, had no free spot
    beside it: the name lay across the branch up to the reverse cell, its ")" against the forward cell's
    arrowhead. The branch carries what the name says, so the name may lie beside it."""
    from tinygrad_rnn.viz import _defaults, _picture
    from tinygrad_rnn.viz.lecture_models import last_step_loss, layer

    loss = last_step_loss(layer("rnn", num_layers=2, bidirectional=True), 2)
    picture, _ = _picture((loss,), **_defaults({"show_shapes": False, "level": "cell", "params": "hide",
                                                "slide": True, "notation": notation}))
    text = drawn(picture)
    assert label_clashes(text).count == 0, label_clashes(text)
    assert misplaced_labels(text) == []


def test_a_bidirectional_taggers_forward_state_is_named_away_from_the_input_into_the_reverse_cell():
    """A bidirectional GRU tagger at cell level (embedding → GRU(bidirectional) → linear at every step): the
    forward cell's h_t⁽→⁾ rises up the column's left into the linear head, and e_t up its right into the reverse
    cell t, a few points right of that stem. Named right of the stem, h_t⁽→⁾ lay 2.5 pt from its own line and 4.5
    from e_t's arrow into the reverse cell: it read as the name of what enters that cell, layer → feeding layer ←
    (a two-layer stack). Named over the stretch it turns along, it lies left of its stem, e_t's arrow on the
    other side, a label's line (13 pt) off it."""
    import tinygrad_rnn.nn.functional as F

    tr.manual_seed(0)
    embedding, gru, head = tr.nn.Embedding(10, 3), tr.nn.GRU(3, 4, bidirectional=True, batch_first=True), \
        tr.nn.Linear(8, 5)
    out, _ = gru(embedding(tr.tensor([[1, 2, 3, 4]])))
    loss = F.cross_entropy(head(out).reshape(-1, 5), tr.tensor([0, 1, 2, 0]))
    text = drawn(build_picture((loss,), level="cell", slide=True))
    assert misplaced_labels(text) == []
    lines, tails, _, labels, heads = _labels_and_lines(text)
    into = {}  # head → the lines into it
    for k, head_node in enumerate(heads):
        into.setdefault(head_node, []).append(k)
    risers = [(words, own, box) for words, own, box in labels  # h_t⁽→⁾ up past the reverse row into the head
              if "(→)" in words and lines[own][-1][1] < lines[own][0][1] - 40]
    assert len(risers) == 4, [words for words, _, _ in labels]
    for words, own, box in risers:
        stem_x = lines[own][0][0]
        # the cell right above the stem: the reverse cell t, and the input's arrow into it from below
        reverse_inputs = [k for k in range(len(lines)) if k != own and abs(lines[k][-1][0] - stem_x) < 15
                          and lines[own][-1][1] < lines[k][-1][1] < lines[own][0][1]]
        assert reverse_inputs, (words, stem_x)
        assert box[2] < stem_x < min(lines[k][-1][0] for k in reverse_inputs), (words, box, stem_x)
        nearest_other = min(polyline_distance(lines[k], box) for k in range(len(lines)) if k != own)
        assert nearest_other >= LABEL_LINE > polyline_distance(lines[own], box), (words, nearest_other)


def hand_written_cross_entropy_lstm_cell_loop():
    """A lecturer's language model: nn.LSTMCell in a hand loop, each step under tr.scope, its cross-entropy written
    out (log-softmax by hand, the target's entry picked, negated), a loss at every step, J their mean."""
    tr.manual_seed(0)
    emb, cell, head = tr.nn.Embedding(6, 3), tr.nn.LSTMCell(3, 4), tr.nn.Linear(4, 6)
    tokens = [1, 3, 2, 5, 4]
    h = c = tr.zeros(1, 4)
    losses = []
    for t in range(4):
        with tr.scope(f"t={t + 1}"):
            h, c = cell(emb(tr.tensor([tokens[t]])), (h, c))
            logits = head(h)
            log_p = logits - logits.exp().sum(-1, keepdim=True).log()
            losses.append(-log_p[0, tokens[t + 1]])
    loss = tr.stack(losses).mean()
    loss.name = "J"
    return loss, {"tokens": [str(token) for token in tokens]}


def bidirectional_two_layer_lstm_with_projection():
    """nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2), J = Σ of the last output squared."""
    tr.manual_seed(0)
    output, _ = tr.nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2)(tr.randn(3, 1, 3))
    loss = output[-1].pow(2).sum()
    loss.name = "J"
    return loss, {}


@pytest.mark.parametrize("model", [hand_written_cross_entropy_lstm_cell_loop,
                                   bidirectional_two_layer_lstm_with_projection])
def test_a_users_bptt_figure_prints_no_name_over_another_or_across_a_line(model):
    """Figures written in Python, backward at cell level on a slide. Names were placed one after another, each
    kept off the others' first spots, which later names then left. In the hand-written cross-entropy loop ∂J/∂h₂'s
    name, kept off ∂J/∂e₂'s and t=3's first spots under its line, took the only spot over the c line between cells
    2 and 3, and ∂J/∂c₃'s name lay on it (3 overlaps, 1 crossed). In the bidirectional LSTM layer 2's
    (∂h₃⁽²→⁾/∂h₃⁽¹←⁾)ᵀ ∂J/∂h₃⁽²→⁾ lay across the three lines down past layer 1 reverse, and
    (∂(h₂⁽²→⁾, c₂⁽²→⁾)/∂h₂⁽¹←⁾)ᵀ across one (8 crossed). Those still on something are now placed again once the
    others have settled."""
    loss, options = model()
    text = drawn(build_picture((loss,), level="cell", backward=True, slide=True, **options))
    found = label_clashes(text)
    assert found.count == 0, f"{found}: {found.overlaps} {found.crossed} {found.on_nodes}"
    assert texts_crossed(text) == []  # (a step's or a row's name, a note: struck through by no line either)
