"""A label's lines do not run into one another. CS224N's BPTT figure wrote (1/3)Σₜ₌₂³ over ∂J⁽ᵗ⁾/∂h^[2](1): the Σ's
lower limit dropped into the line under it, whose superscripts rose to meet it — and Graphviz, which draws the CLI's
SVG, set every label's lines a font size apart (9 points, the library's own SVG 10), and a step's list of weights 10
apart in boxes sized for 12 (W_ih⁽¹→⁾ over W_ih⁽¹←⁾, each subscript on the next line's superscript). Every writer
now sets a label's lines as geometry.label_offsets says (a line apart, more where a subscript over a superscript
would meet), and Graphviz's node lines as the library's SVG sets them."""

import math
import re
import shutil
from xml.etree import ElementTree

import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import viz
from tinygrad_rnn.cli import language_model_loss
from tinygrad_rnn.viz.dot import picture_to_dot
from tinygrad_rnn.viz.export_paint import _carries
from tinygrad_rnn.viz.geometry import (
    LABEL_ASCENT,
    LABEL_CLEAR,
    LABEL_LINE,
    LINE,
    SCRIPTS_APART,
    label_offsets,
    loops_room,
)
from tinygrad_rnn.viz.graph import build_picture
from tinygrad_rnn.viz.layout import labelled_layout
from tinygrad_rnn.viz.lecture_panel import lit_label_rows
from tinygrad_rnn.viz.legibility import label_clashes
from tinygrad_rnn.viz.render import render_file
from tinygrad_rnn.viz.routes import TWINS_APART
from tinygrad_rnn.viz.scripts import svg_markup

needs_graphviz = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
SVG = "{http://www.w3.org/2000/svg}"
SUM, UNDER_IT = "(1/3)Σₜ₌₂³", "∂J⁽ᵗ⁾/∂h^[2](1)"  # the label as drawn: its lines, in the figure's notation


@pytest.fixture(scope="module")
def cs224n_bptt(tmp_path_factory):
    """``graph --cell lstm --level cell --layers 2 --loss every --steps 3 --notation cs224n --backward``, drawn by
    Graphviz (as the command draws it where Graphviz is installed) and by the library itself: the figure ``save``
    fits to a slide, without the search for smaller figures that its warning runs (it does not fit: 21.6 px), and
    without shapes (the fit ladder's first rung leaves them out of this figure; a third of the time)."""
    loss, _ = language_model_loss("lstm", 3, layers=2)
    options = {"level": "cell", "backward": True, "notation": "cs224n", "show_shapes": False}
    picture, layout = viz._picture((loss,), **viz._defaults(options))
    path = tmp_path_factory.mktemp("cs224n") / "graphviz.svg"
    graphviz = render_file(picture_to_dot(picture, layout), path, len(picture.nodes)).read_text() \
        if shutil.which("dot") else ""
    return graphviz, viz._own_svg(picture, layout)


def lines_of(svg_text, first_words):
    """The baselines (y, down the page) of a label's lines: the label whose first line reads ``first_words``."""
    root = ElementTree.fromstring(svg_text)
    texts = [(text, "".join(text.itertext())) for text in root.iter(SVG + "text")]
    for k, (text, words) in enumerate(texts):
        lines = [span for span in text if span.tag == SVG + "tspan" and span.get("y")]
        if lines and "".join(lines[0].itertext()) == first_words:  # the library's: one text, a tspan a line
            return [float(span.get("y")) for span in lines]
        if words == first_words:  # Graphviz's: a text a line
            return [float(text.get("y")), float(texts[k + 1][0].get("y"))]
    raise AssertionError(f"no label starts {first_words!r}")


def test_label_offsets_keep_a_line_apart_and_more_where_scripts_would_meet():
    assert label_offsets(["(1/4)Σₜ₌₂⁴", "∂Jₜ/∂h₁"]) == [0.0, LABEL_LINE]  # (nothing raised under the limits)
    assert label_offsets([SUM, UNDER_IT]) == [0.0, LABEL_LINE + SCRIPTS_APART]
    assert label_offsets(["(∂c⁽³⁾/∂c⁽²⁾)ᵀ", "∂J/∂c⁽³⁾"]) == [0.0, LABEL_LINE]  # (no subscript over them)


@pytest.mark.parametrize("writer", [pytest.param("graphviz", marks=needs_graphviz), "own"])
def test_no_line_of_a_cs224n_bptt_figures_labels_runs_into_another(cs224n_bptt, writer):
    drawn = cs224n_bptt[["graphviz", "own"].index(writer)]
    below = lines_of(drawn, "(1/3)Σt=2…3")  # (as its text reads, its scripts inline)
    assert below[1] - below[0] == pytest.approx(LABEL_LINE + SCRIPTS_APART, abs=0.05), below  # (Graphviz 9, own 10)
    found = label_clashes(drawn)
    assert found.overlaps == [], found.overlaps  # (Graphviz: 10 pairs of lines, each over the next, before)


@needs_graphviz
def test_graphviz_sets_a_nodes_lines_as_its_box_was_sized(cs224n_bptt):
    """A Σ node's lines (Σₜ ∂J/∂W_e^[2]|₍ₜ₎ over Σₜ ∂J/∂b₁^[2]|₍ₜ₎) a LINE apart, as node_size sized the box."""
    root = ElementTree.fromstring(cs224n_bptt[0])
    checked = 0
    for group in root.iter(SVG + "g"):
        if group.get("class") == "node" and re.fullmatch(r"n\d+", group.findtext(SVG + "title") or ""):
            texts = list(group.iter(SVG + "text"))
            if not any(text.find(SVG + "tspan") is not None for text in texts):  # (plain lines: no script to meet)
                continue
            ys = sorted({float(text.get("y")) for text in texts})
            assert all(b - a == pytest.approx(LINE, abs=0.05) for a, b in zip(ys, ys[1:])), ys  # (10 before)
            checked += len(ys) > 1
    assert checked >= 3  # the Σ nodes of the two layers and of the head (the embedding's is one line)


def test_an_exported_stages_lit_label_sets_its_lines_apart_where_scripts_would_meet():
    """The page's lit label (lecture.js) and an exported stage's (export.py) write a label's lines 1.1 em apart,
    0.35 of a line more where a subscript over a superscript would meet: CS224N's page, stage 11."""
    svg = "http://www.w3.org/2000/svg"
    label = ElementTree.fromstring(f'<text xmlns="{svg}" class="edge-label" x="50" y="30" font-size="9">h</text>')
    lines = [svg_markup(SUM), svg_markup(UNDER_IT)]
    _carries(label, "M100,20 L70,20", lines, lit_label_rows({0: lines})[0])  # a 30-point gap: two lines
    first, second = (float(span.get("y")) for span in label)
    assert second - first == pytest.approx(1.1 * 9 * (LABEL_LINE + SCRIPTS_APART) / LABEL_LINE, abs=0.06)
    lines = [svg_markup("(1/4)Σₜ₌₂⁴"), svg_markup("∂Jₜ/∂h₁")]
    _carries(label, "M100,20 L70,20", lines, lit_label_rows({0: lines})[0])
    first, second = (float(span.get("y")) for span in label)
    assert second - first == pytest.approx(1.1 * 9, abs=0.06)


def test_a_rolled_cell_keeps_room_above_for_its_loops_name_as_its_lines_are_set():
    """A rolled 2-layer RNN's gradient on a slide names each cell's one loop in two lines, (∂hₜ₊₁⁽¹⁾/∂hₜ⁽¹⁾)ᵀ over
    ∂J/∂hₜ₊₁⁽¹⁾: the subscript ₜ₊₁ over the ⁽¹⁾ under it, so the lines are set 12 points apart, and the name drawn so
    (geometry.loop_label_at). The room kept above the cell for it (geometry.loops_room) counted its lines 10 apart:
    37 points where the name and the white above it reach 38.5."""
    tr.manual_seed(0)
    loss = tr.nn.RNN(2, 3, num_layers=2)(tr.randn(3, 1, 2))[0].sum()
    picture = build_picture((loss,), level="cell", backward=True, rolled=True, slide=True)
    placed = labelled_layout(picture)[1]
    found = 0
    for node, state, route in placed.loops:
        lines, cell = route.label_lines or [state], placed.boxes[node]
        reach = route.label_at[1] + LABEL_ASCENT + LABEL_CLEAR - cell.top  # its first line's top, and the white
        assert loops_room(len(picture.nodes[node].loops), lines) == math.ceil(reach), (lines, reach)
        found += label_offsets(lines)[-1] == LABEL_LINE + SCRIPTS_APART
    assert found == 2  # both layers' names are such (not a case where the two measures agree)


@pytest.mark.parametrize("backward", [False, "both"])
def test_two_states_of_one_step_into_j_are_two_arrows_each_named_clear_of_the_other(backward):
    """A step node of both directions hands J two states, h₃⁽→⁾ and h₃⁽←⁾ (J = Σ output[-1]), and J hands each its
    gradient back: both were drawn along one line, one name floating off it (look #6). Now each is a line of its
    own, TWINS_APART from the other all the way, and each name lies clear of every line."""
    tr.manual_seed(0)
    output, _ = tr.nn.RNN(2, 3, bidirectional=True)(tr.randn(3, 1, 2))
    loss = output[-1].sum()
    loss.name = "J"
    picture = build_picture((loss,), level="step", backward=backward, slide=True)
    layout = labelled_layout(picture)
    at_j = {}
    for (tail, head, _), route in zip(picture.edges, layout[1].routes):
        if "J" in (picture.nodes[tail].label, picture.nodes[head].label):
            at_j.setdefault((tail, head), []).append(route.points + [route.end])
    assert len(at_j) == (2 if backward else 1) and all(len(pair) == 2 for pair in at_j.values()), at_j
    for first, second in at_j.values():  # apart at every corner (one line, before: the same points)
        assert min(math.dist(p, q) for p in first for q in second) >= TWINS_APART - 0.01, (first, second)
    found = label_clashes(viz._own_svg(picture, layout))
    assert found.crossed == [] and found.overlaps == [], found
