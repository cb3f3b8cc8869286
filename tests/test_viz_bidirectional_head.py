"""A bidirectional classifier written in Python, ``fc(cat([h_n[-2], h_n[-1]]))`` (tests/test_viz_loss_targets.py),
drawn as a class reads it: the head (linear, cross_entropy, J) right of the last column, where h_T⁽→⁾ ends, with
h₁⁽←⁾ brought to it — not left of t=1 in the reverse row's name column, J read as part of that row, with h_T⁽→⁾
routed back across every e_t's riser into the reverse row.
"""

import pytest
from drawn_lines import crossings, read
from test_deck_cells import crossings_at_an_arrowhead
from test_viz_loss_targets import bidirectional_classifier_loss

import tinygrad_rnn as tr
from tinygrad_rnn.viz.legibility import texts_crossed

HEAD = ("linear", "cross_entropy", "J")


def forward_figure(tmp_path, slide: bool):
    return read(tr.viz.save(bidirectional_classifier_loss(), path=tmp_path / "f.svg", level="cell",
                            slide=slide).read_text())


def head_node(words: str) -> str | None:
    """Which of the head's nodes these are the words of (a node's lines are read run together: "linear[h₄…")."""
    return next((name for name in HEAD if words == name or name != "J" and words.startswith(name)), None)


@pytest.mark.parametrize("slide", [True, False])
def test_the_head_and_j_stand_right_of_the_last_column(tmp_path, library_svg, slide):
    _, nodes = forward_figure(tmp_path, slide)
    cells_right = max(box[2] for words, box in nodes.values() if "RNN cell" in words)
    head = {head_node(words): box for words, box in nodes.values() if head_node(words)}
    assert set(head) == set(HEAD)
    assert {name: round(box[0] - cells_right) for name, box in head.items() if box[0] <= cells_right} == {}, \
        "the head stands beside the columns of cells, not past the last one (left of t=1: the rows' name column)"
    forward_row = [box for words, box in nodes.values() if "RNN cell" in words and "→" in words]
    top, bottom = min(box[1] for box in forward_row), max(box[3] for box in forward_row)
    assert top <= head["linear"][1] and head["linear"][3] <= bottom + 1e-6 or \
        head["linear"][1] <= (top + bottom) / 2 <= head["linear"][3], "fc sits level with the forward row's h_T"


@pytest.mark.parametrize("slide", [True, False])
def test_no_line_into_the_head_crosses_an_e_t_riser(tmp_path, library_svg, slide):
    arrows, nodes = forward_figure(tmp_path, slide)
    words = {index: text for index, (text, _) in nodes.items()}
    risers = [a for a in arrows if "embedding" in words.get(a.tail, "") and "RNN cell" in words.get(a.head, "")]
    assert len(risers) == 8  # e_t into both directions' cells at t = 1 … 4
    into_the_head = [a for a in arrows if head_node(words.get(a.head, "")) or head_node(words.get(a.tail, ""))]
    assert sorted(a.name for a in into_the_head) == ["", "", "h1(←)", "h4(→)"]  # (subscripts read as plain text)
    # e_t's riser into the reverse cell passes its forward cell on one side, so it crosses the state that leaves
    # there: h_t⁽→⁾ in the gap after step t, as every state of a bidirectional layer does, h_T⁽→⁾ after the last.
    # Nothing more: before, h_T⁽→⁾ ran back left over every riser to a head left of t=1.
    crossed = [(a.name, words[riser.tail][:2]) for a in into_the_head for riser in risers
               for _ in crossings(a, riser)]
    assert crossed == [("h4(→)", "e4")], "a line into the head crosses the e_t risers"


def test_the_bptt_head_stands_in_one_column_as_near_the_steps_as_its_arrow_s_name_needs(tmp_path, library_svg):
    """On a slide (save's default), the BPTT figure's head, where the gradient starts: J over cross_entropy over
    linear in one column right of the last step, linear level with h₄⁽→⁾ (J and cross_entropy stood in a second
    column beyond linear, 91 points more of a figure bound by its width), and linear's arrow into h₄⁽→⁾ as long as
    its name needs, not as the reverse row's Σ above linear is wide (its ∂J/∂h₄⁽→⁾ ran 95 points, 45 wider than its
    name and arrowheads)."""
    from test_viz_sum_buses_apart import drawn

    from tinygrad_rnn.viz.geometry import ARROW, COLUMN_GAP, drawn_width

    arrows, nodes = read(drawn("bidirectional_classifier", True, tmp_path))  # (drawn once for the tests there too)
    words = {index: text for index, (text, _) in nodes.items()}
    head = {head_node(text): box for text, box in nodes.values() if head_node(text)}
    assert set(head) == set(HEAD)
    middles = [(box[0] + box[2]) / 2 for box in head.values()]
    assert max(middles) - min(middles) < 0.5, {name: (box[0] + box[2]) / 2 for name, box in head.items()}
    assert head["J"][3] < head["cross_entropy"][1] and head["cross_entropy"][3] < head["linear"][1]  # (y downwards)
    (into_h_t,) = [a for a in arrows if words.get(a.tail) == "linear" and a.name == "∂J/∂h4(→)"]
    run = max(x for x, _ in into_h_t.line) - min(x for x, _ in into_h_t.line)
    assert run <= drawn_width(["∂J/∂h₄⁽→⁾"]) + 2 * ARROW + 4 + COLUMN_GAP, (into_h_t.name, run)
    # linear level with the cell it hands ∂J/∂h₄⁽→⁾ to, J and cross_entropy above it: one straight line (the stack
    # centred on the row, linear stood a node lower and the line bent up into the cell past where ∂J/∂h₁⁽←⁾ forks)
    cell = nodes[into_h_t.head][1]
    assert abs((head["linear"][1] + head["linear"][3]) / 2 - (cell[1] + cell[3]) / 2) < 0.5, (head["linear"], cell)
    assert len({round(y, 1) for _, y in into_h_t.line}) == 1, into_h_t.line


def test_the_bptt_rows_go_unnamed_only_where_every_arrow_along_them_says_their_direction():
    """A width-bound slide may leave out "layer 1 →" and "layer 1 reverse ←" (57 points of the classifier's 726: it
    then fits) only where the names say nothing the arrows do not: one layer's two directions, each arrow between two
    of a row's cells written with its direction (∂J/∂h₂⁽←⁾), a note saying what → and ← mean. An arrow without its
    direction keeps the names."""
    from tinygrad_rnn.viz.geometry import Box
    from tinygrad_rnn.viz.grid import Grid, directions_said_on_arrows

    picture = tr.viz._drawn((bidirectional_classifier_loss(),), **tr.viz._defaults({"level": "cell",
                                                                                   "backward": True}), fit=False)[0]
    def names(**options):
        return Grid(picture, [Box(0.0, 0.0, 40.0, 20.0) for _ in picture.nodes], **options).row_names

    assert sorted(names()) == ["", "layer 1 reverse ←", "layer 1 →"]
    assert names(rows_named=False) == ["", "", ""] and directions_said_on_arrows(picture)
    k, (tail, head, label) = next((k, edge) for k, edge in enumerate(picture.edges) if "⁽←⁾" in edge[2]
                                  and picture.nodes[edge[0]].kind == picture.nodes[edge[1]].kind == "group"
                                  and picture.nodes[edge[0]].row == picture.nodes[edge[1]].row)
    picture.edges[k] = (tail, head, label.replace("⁽←⁾", ""))
    assert not directions_said_on_arrows(picture)


@pytest.mark.parametrize("layer", ["RNN", "LSTM"])
def test_no_line_of_the_bptt_slide_runs_through_a_text_or_across_an_arrowhead(tmp_path, library_svg, layer):
    """The reverse row's lines down past the forward row into e_t. On a slide (∂h₂⁽→⁾/∂e₂)ᵀ ∂J/∂h₂⁽→⁾, one line 91
    points wide in a 48-point gap, was struck through by the one beside its column (3 names a slide, a GRU's and an
    LSTM's too; they are in two lines: Risers._narrow_past_risers), and the lines ran down the side the forward
    row's gradients come in by, across the heads of an LSTM's ∂J/∂h_t⁽→⁾ and ∂J/∂c_t⁽→⁾ (7, at any size). They run
    down the side those leave by (Risers._rises_on_left). Not yet: the last column's, past a cell that no state
    comes into from a neighbour, runs down its right as before, across the head of linear's ∂J/∂h₄⁽→⁾ into it."""
    from test_viz_sum_buses_apart import drawn

    # (the LSTM's at free size: on a slide it fits no variant, and drawing them all took 10 s)
    text = drawn("bidirectional_classifier", True, tmp_path) if layer == "RNN" else tr.viz.save(
        bidirectional_classifier_loss(layer), path=tmp_path / "f.svg", level="cell", backward=True,
        slide=False).read_text()
    assert texts_crossed(text) == []
    _, nodes = read(text)
    heads_crossed = [nodes[arrow.split("→")[0]][0] for _, arrow, _ in crossings_at_an_arrowhead(text)]
    assert heads_crossed in ([], ["linear, backward"]), heads_crossed


def test_the_bptt_slide_without_its_rows_names_says_which_row_runs_backwards_in_time(tmp_path, library_svg):
    """The classifier's BPTT fits a slide only without "layer 1 →" and "layer 1 reverse ←": its arrows then said each
    value's direction (∂J/∂h₂⁽←⁾, all pointing right), but nothing said which row runs from the last step back. The
    note on → and ← says it, in the line it had: the upper row of cells, whose arrows carry ⁽←⁾."""
    from xml.etree import ElementTree

    from test_viz_sum_buses_apart import drawn

    from tinygrad_rnn.viz.rows import ROWS_RUN_UNNAMED

    text = drawn("bidirectional_classifier", True, tmp_path)
    texts = ["".join(element.itertext()) for element in ElementTree.fromstring(text).iter()
             if element.tag.endswith("}text")]
    assert not [words for words in texts if words.startswith("layer")], "the rows' names are left out"
    assert ROWS_RUN_UNNAMED.format(module="RNN") in texts
    arrows, nodes = read(text)
    cells = {index: box for index, (words, box) in nodes.items() if words.startswith("RNN cell")}
    upper = min(box[1] for box in cells.values())  # (y downwards)
    along = [a for a in arrows if a.tail in cells and a.head in cells]
    assert len(along) == 6 and all(("(←)" in a.name) == (cells[a.tail][1] == upper) for a in along), \
        [(a.name, cells[a.tail][1]) for a in along]
