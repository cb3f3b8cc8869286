"""The figures of whole models, as the lectures draw them: the language model unrolled (x_t → e_t →
h_t → ŷ_t → J_t, J their mean), BPTT (∂J/∂h_t right to left, one Σ per shared weight with T
inputs), the rolled loop; names from the module tree and from the user; legibility measured on the
drawn SVG (crossing edges, edges through nodes, text size at slide width) over the CLI's grid.
"""

import argparse
import itertools
import re
import shutil

import pytest
from drawing_cases import last_step_loss
from written import as_written, svg_written

import tinygrad_rnn as tr
from tinygrad_rnn import viz
from tinygrad_rnn.cli import _last_step_loss, main
from tinygrad_rnn.viz.graph import build_picture
from tinygrad_rnn.viz.layout import labelled_layout
from tinygrad_rnn.viz.legibility import measure, shared_lines
from tinygrad_rnn.viz.svg import picture_to_svg

DIGITS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")


def language_model_loss(cell="lstm", steps=4, fused=True, vocab=11, seed=0):
    tr.manual_seed(seed)
    model = tr.models.LanguageModel(vocab, 3, 5, cell=cell, fused=fused)
    ids = tr.tensor([list(range(1, steps + 1))])
    logits, _ = model(ids)
    loss = tr.nn.functional.cross_entropy(logits.reshape(-1, vocab), tr.tensor(list(range(2, steps + 2))))
    loss.name = "J"
    return model, loss


def step_of(label):
    found = re.search(r"t=(\d+)|[a-zA-Z]([₀₁₂₃₄₅₆₇₈₉]+)", label)
    return None if found is None else int((found.group(1) or found.group(2)).translate(DIGITS))


def measured(picture, width=1600):
    labels, placed = labelled_layout(picture)
    return measure(picture_to_svg(picture, placed, labels, "t"), width)


# --- the language model, forward -----------------------------------------------------------------------------


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "primitive"])
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_a_language_model_draws_x_e_h_y_and_j_in_every_step(cell, fused):
    _, loss = language_model_loss(cell, steps=4, fused=fused)
    picture = build_picture((loss,), level="cell")
    nodes = picture.nodes
    by_label = {n.label.split("\n")[0]: i for i, n in enumerate(nodes)}
    into = {i: [t for t, h, _ in picture.edges if h == i] for i in range(len(nodes))}
    for t in range(1, 5):
        sub = str(t).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))
        token, embedded = by_label[f"x{sub}"], by_label[f"e{sub} = embedding"]
        loss_t = by_label[f"J{sub} = cross_entropy"]
        [cell_node] = [i for i, n in enumerate(nodes) if n.label.startswith(f"{cell.upper()} cell\nt={t}")]
        [head] = [i for i, n in enumerate(nodes) if n.label.startswith(f"linear\nt={t}")]
        assert into[embedded] == [token] and embedded in into[cell_node] and into[head] == [cell_node]
        assert into[loss_t] == [head]
        assert nodes[embedded].parameters == ["E"]  # named by what they do, as the lectures name them
        assert nodes[head].parameters == ["W_hy", "b_y"]
        assert nodes[cell_node].parameters[:2] == ["W_ih", "b_ih"]
        assert "E" not in nodes[cell_node].parameters
        # in the column of step t: x_t below e_t below the cell, ŷ_t and J_t above it
        assert {nodes[i].step for i in (token, embedded, cell_node, head, loss_t)} == {t}
    [mean] = [i for i, n in enumerate(nodes) if n.label == "(1/4) Σₜ Jₜ"]
    assert sorted(nodes[i].step for i in into[mean]) == [1, 2, 3, 4]
    [output] = [i for i, n in enumerate(nodes) if n.kind == "output"]
    assert into[output] == [mean]
    found = measured(picture)
    assert (found.crossings, found.through_nodes) == (0, 0)


def test_names_given_by_the_user_label_the_figure():
    model, _ = language_model_loss("rnn")
    model.head.weight.name, model.embedding.weight.name = "W_hy", "E"
    ids = tr.tensor([[1, 2, 3]])
    logits, _ = model(ids)
    logits.name = "ŷ"
    loss = tr.nn.functional.cross_entropy(logits.reshape(-1, 11), tr.tensor([2, 3, 4]))
    labels = [n.label.split("\n")[0] for n in build_picture((loss,), level="cell").nodes]
    parameters = {p for n in build_picture((loss,), level="cell").nodes for p in n.parameters}
    assert {"ŷ₁ = linear", "ŷ₃ = linear"} <= set(labels)
    assert {"W_hy", "E", "b_y"} <= parameters  # the head's bias, unnamed: b_y by what it does


def test_a_hand_written_loop_with_named_states_draws_its_names():
    w = tr.randn(3, 3, requires_grad=True)
    w.name = "W_hh"
    h = tr.zeros(1, 3)
    for t in range(1, 4):
        with tr.scope(f"t={t}"):
            h = (h @ w).tanh()
            h.name = f"h_{t}"  # a name that already carries its step
            y = h * 2.0
            y.name = "y"  # subscripted by the step it is made in
    op_labels = [n.label.split("\n")[0] for n in build_picture((y.sum(),), level="op").nodes]
    assert "h_2 = tanh" in op_labels and "y₃ = mul · 2.0" in op_labels
    edges = {label for _, _, label in build_picture((y.sum(),), level="cell").edges}
    assert {"h_1", "h_2"} <= edges


# --- BPTT ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_bptt_runs_right_to_left_with_the_gradient_on_every_edge_and_one_sum_per_row(cell):
    layer, loss = last_step_loss(cell, steps=4)
    picture = build_picture((loss,), level="cell", backward=True)
    assert picture.backward
    nodes = picture.nodes
    cells = {n.step: i for i, n in enumerate(nodes) if n.kind == "group"}
    sub = str.maketrans('0123456789', '₀₁₂₃₄₅₆₇₈₉')
    for t in range(1, 4):  # from cell t+1 back to cell t: ∂J/∂h_t, and c_t's part through c_{t+1} (test_bptt_labels)
        labels = sorted(label for a, b, label in picture.edges if a == cells[t + 1] and b == cells[t])
        now, after = str(t).translate(sub), str(t + 1).translate(sub)
        # c₃ reaches J through c₄ alone, the last step too (c₄ is passed on to nothing, but cell 4 computes it)
        expected = [f"∂J/∂h{now}"] + ([f"(∂c{after}/∂c{now})ᵀ ∂J/∂c{after}"] if cell == "lstm" else [])
        assert labels == sorted(expected)
    [start] = [i for i, n in enumerate(nodes) if n.label == "J"]
    assert [b for a, b, _ in picture.edges if a == start] == [cells[4]]  # J = Σ h_T: the gradient starts at t=4
    [total] = [i for i, n in enumerate(nodes) if n.label.startswith("∂J/∂W_ih = Σₜ")]
    assert sorted(label for _, b, label in picture.edges if b == total) == ["t=1", "t=2", "t=3", "t=4"]
    for weight in ("W_ih", "b_ih", "W_hh", "b_hh"):
        assert f"∂J/∂{weight} = Σₜ ∂J/∂{weight}|₍ₜ₎" in nodes[total].label
    assert measured(picture).crossings == 0 and measured(picture).through_nodes == 0


def test_bptt_of_a_language_model_shows_both_contributions_to_dj_dh():
    _, loss = language_model_loss("rnn", steps=3)
    picture = build_picture((loss,), level="cell", backward=True)
    labels = {label for _, _, label in picture.edges}
    # from above the part of ∂J/∂h_t through J_t, from the right the part through h_{t+1} (test_bptt_labels.py)
    assert {"(1/3) ∂J₁/∂h₁", "(1/3) ∂J₂/∂h₂", "(1/3)Σₜ₌₂³ ∂Jₜ/∂h₁", "(1/3) ∂J₃/∂h₂"} <= labels
    assert {"∂J/∂J₁ = 1/3", "∂J/∂J₃ = 1/3"} <= labels
    sums = [n.label for n in picture.nodes if "= Σₜ" in n.label]
    assert len(sums) == 3  # the embedding's, the cells' and the head's shared weights, one Σ per row
    assert any("∂J/∂W_hy = Σₜ" in s for s in sums) and any("∂J/∂W_hh = Σₜ" in s for s in sums)


def test_bptt_equals_the_engine_term_by_term():
    """The figure's structure is the engine's: W_hh's gradient is the sum of one term per step."""
    layer, loss = last_step_loss("rnn", steps=4)
    terms = tr.grad_contributions(loss, layer.weight_hh_l0)
    picture = build_picture((loss,), level="cell", backward=True)
    [total] = [i for i, n in enumerate(picture.nodes) if "∂J/∂W_hh = Σₜ" in n.label]
    steps_drawn = sorted(int(label[2:]) for _, b, label in picture.edges if b == total)
    assert steps_drawn == sorted(tr.steps.step_of(scope) for scope, _ in terms)


# --- rolled ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backward", [False, True], ids=["forward", "backward"])
@pytest.mark.parametrize("make", [lambda steps: last_step_loss("lstm", steps=steps)[1],
                                  lambda steps: language_model_loss("gru", steps=steps)[1],
                                  lambda steps: language_model_loss("rnn", steps=steps, fused=False)[1]],
                         ids=["lstm", "gru-lm-fused", "rnn-lm-primitive"])
def test_the_rolled_view_has_the_same_nodes_whatever_the_length(make, backward):
    short, long = (build_picture((make(steps),), rolled=True, backward=backward) for steps in (3, 8))
    assert len(short.nodes) == len(long.nodes) and [n.label for n in short.nodes] == [n.label for n in long.nodes]
    loops = [n.loops for n in long.nodes if n.loops]
    backward_loops = ("(∂cₜ₊₁/∂cₜ)ᵀ ∂J/∂cₜ₊₁", "∂J/∂hₜ", "(1/T) ∂(Jₜ₊₁ + … + J_T)/∂hₜ")
    assert loops and all(state in ("c", "h", *backward_loops) for states in loops for state in states)
    found = measured(long)
    assert (found.crossings, found.through_nodes) == (0, 0)


def test_an_lstm_rolls_up_with_both_states_as_loops():
    picture = build_picture((last_step_loss("lstm", steps=5)[1],), rolled=True)
    [cell] = [n for n in picture.nodes if n.kind == "group"]
    assert cell.loops == ["c", "h"] and cell.label == "LSTM cell"
    assert any(n.label == "xₜ" for n in picture.nodes)
    with pytest.raises(ValueError, match="rolled=True .*show_grads"):
        build_picture((last_step_loss("lstm", steps=5)[1],), rolled=True, show_grads=True)


@pytest.mark.parametrize("steps", [3, 4])
def test_a_rolled_bptt_draws_one_loop_per_state_of_each_layer(steps):
    """Layer 1 of a 2-layer LSTM drew a third loop: the last step's arrow back to h (c_T has no reader after it,
    so (∂h_T/∂h_T-1)ᵀ ∂J/∂h_T) and the other steps' ((∂(hₜ₊₁, cₜ₊₁)/∂hₜ)ᵀ …) each drew one, for one state. What
    comes from layer 2 is an arrow between the layers, not a loop; each cell has a loop for c and one for h."""
    from tinygrad_rnn.cli import language_model_loss

    loss, _ = language_model_loss("lstm", steps, layers=2)
    picture = build_picture((loss,), level="cell", backward=True, rolled=True)
    cells = [n for n in picture.nodes if n.kind == "group" and n.label.startswith("LSTM")]
    assert len(cells) == 2
    for cell in cells:
        assert [re.findall(r"/∂([a-z])", loop)[0] for loop in cell.loops] == ["c", "h"], cell.loops
    between = [label for tail, head, label in picture.edges if {tail, head} == {picture.nodes.index(c) for c in cells}]
    assert len(between) == 1 and between[0], between  # layer 2's gradient into layer 1: an arrow of its own


def test_the_cli_draws_the_language_model_its_bptt_and_the_rolled_loop(tmp_path, capsys):
    for flags in (["--loss", "every"], ["--loss", "every", "--backward"], ["--rolled", "--cell", "lstm"],
                  ["--loss", "every", "--rolled", "--vocab", "5"]):
        assert main(["graph", "--level", "cell", *flags, "-o", str(tmp_path / "figure.dot")]
                    if "--rolled" not in flags else ["graph", *flags, "-o", str(tmp_path / "figure.dot")]) == 0
        text = (tmp_path / "figure.dot").read_text()
        assert ("W_hy" in text) == ("--loss" in flags)  # the language model carries the lectures' names
    assert main(["graph", "--rolled", "--level", "op", "-o", str(tmp_path / "x.svg")]) == 2
    assert "--level cannot apply" in capsys.readouterr().err


# --- legibility over the grid the CLI draws ----------------------------------------------------------------------

GRID = [(cell, level, backward, layers, loss, steps)
        for cell, level, backward, layers, loss, steps in itertools.product(
            ["rnn", "lstm", "gru"], ["cell", "step"], [False, True], [1, 2], ["last", "every"], [3, 8])]


@pytest.mark.parametrize("cell, level, backward, layers, loss, steps", GRID)
def test_cell_and_step_figures_have_no_crossings_and_no_edge_through_a_node(cell, level, backward, layers, loss, steps):
    args = argparse.Namespace(seed=0, input_size=2, hidden_size=3, layers=layers, bidirectional=False, steps=steps,
                              loss=loss, vocab=10, device="cpu")
    found = measured(build_picture((_last_step_loss(cell, args)[0],), level=level, backward=backward))
    assert found.through_nodes == 0
    if backward and loss == "every":
        # J's fan into every J_t and the Σ of the head's and of the cells' weights each reach every step: a K₃,ₜ
        # minor, which no drawing can show without crossings. The lane of each Σ whose row has edges above and below
        # it (the head's, and each layer's but the embedding's) crosses the edges of the earlier steps once.
        crossed_rows = 1 + (layers if level == "cell" else 1)
        assert found.crossings <= crossed_rows * steps * (steps - 1) // 2
    else:
        assert found.crossings == 0, found.crossing_pairs[:4]


@pytest.mark.parametrize("level, limit", [("cell", 14.0), ("step", 14.0)])
def test_a_three_step_figure_is_legible_at_slide_width(level, limit):
    for cell in ("rnn", "lstm", "gru"):
        _, loss = last_step_loss(cell, steps=3)
        assert measured(build_picture((loss,), level=level)).smallest_text_px >= limit


@pytest.mark.skipif(shutil.which("neato") is None, reason="Graphviz is missing (tests/setup.sh installs it)")
def test_the_counter_reads_graphviz_svg_as_it_reads_ours(tmp_path):
    _, loss = language_model_loss("lstm", steps=3)
    for options in ({"level": "cell"}, {"level": "cell", "backward": True}, {"level": "op"}, {"rolled": True}):
        # the same layout both ways: build_picture draws free-size, as save does with slide=False
        drawn = measure(viz.save(loss, path=tmp_path / "figure.svg", slide=False, **options).read_text())
        ours = measured(build_picture((loss,), **options))
        assert (drawn.crossings, drawn.through_nodes) == (ours.crossings, ours.through_nodes), options


# --- without Graphviz ----------------------------------------------------------------------------------------


def node_centres(svg_text):
    """Each node's centre (x, y, one after the other), relative to the first node's: Graphviz's frame and ours
    differ by a shift. Not rounded: rounding put a centre of −420.5 (Graphviz's, its box sizes written to a tenth)
    and ours at −420.55 a whole pixel apart; compared within half a pixel, where rounding let up to one through."""
    import xml.etree.ElementTree as ElementTree

    from tinygrad_rnn.viz.legibility import _read

    nodes, _, _ = _read(ElementTree.fromstring(svg_text))
    drawn = {int(name.lstrip("n")): box for name, box in nodes.items() if re.fullmatch(r"n?\d+", name)}
    centres = [((b[0] + b[2]) / 2, (b[1] + b[3]) / 2) for _, b in sorted(drawn.items())]
    return [coordinate for x, y in centres for coordinate in (x - centres[0][0], y - centres[0][1])]


@pytest.mark.skipif(shutil.which("neato") is None, reason="Graphviz is missing (tests/setup.sh installs it)")
def test_without_graphviz_the_same_figure_is_written_as_svg(tmp_path, monkeypatch):
    _, loss = language_model_loss("lstm", steps=3)
    for options in ({"level": "cell"}, {"level": "cell", "backward": True}, {"rolled": True}, {"level": "op"},
                    {"level": "cell", "show_grads": True, "title": "‖∂J/∂h_t‖"}):
        drawn = viz.save(loss, path=tmp_path / "graphviz.svg", **options).read_text()
        monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` on the PATH
        assert not viz.dot_available() and not viz.graphviz_renders()
        ours = viz.save(loss, path=tmp_path / "ours.svg", **options).read_text()
        figure = viz.draw(loss, **options)
        monkeypatch.undo()
        assert isinstance(figure, viz.SVGFigure) and figure._repr_svg_() == ours
        assert node_centres(ours) == pytest.approx(node_centres(drawn), abs=0.5), options
        if "title" in options:
            assert as_written("‖∂J/∂h_t‖") in svg_written(ours) and "gradient norm" in ours and "#440154" in ours
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(viz.GraphvizNotFoundError, match="apt-get install graphviz"):
        viz.save(loss, path=tmp_path / "figure.png", level="cell")
    assert main(["graph", "--loss", "every", "--level", "cell", "-o", str(tmp_path / "cli.svg")]) == 0
    assert (tmp_path / "cli.svg").read_text().startswith("<svg")


# --- op level ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cell, per_step", [("rnn", 0), ("lstm", 2), ("gru", 2)])
@pytest.mark.parametrize("steps", [3, 6])
def test_op_level_forward_is_legible(cell, per_step, steps):
    """No edge through a node; crossings per step: none for the tanh RNN, two for the LSTM (c_t's line to the
    next step meets o_t's way up to h_t, and h_t's beside it in the gap: c_t runs from the middle of the step to
    the middle of the next, h_t from its top to the next one's bottom, on a track of its own, not along c_t's
    line), two for the GRU (its two splits feed r and z crosswise)."""
    _, loss = last_step_loss(cell, steps=steps)
    found = measured(build_picture((loss,), level="op"))
    assert found.through_nodes == 0
    assert found.crossings <= per_step * steps, found.crossing_pairs


def test_a_three_step_op_level_lstm_has_slide_sized_text_and_named_gates():
    _, loss = last_step_loss("lstm", steps=3)
    picture = build_picture((loss,), level="op")
    assert measured(picture).smallest_text_px >= 14.0  # at 1,600 px wide
    labels = [n.label for n in picture.nodes]
    assert all(f"{gate}{sub} = {op}" in "\n".join(labels) for sub in "₁₂₃" for gate, op in
               (("i", "σ"), ("f", "σ"), ("g", "tanh"), ("o", "σ")))
    assert sum("split\n(1, 12)\n→ 4 × (1, 3)" in label for label in labels) == 3  # true to what it splits
    projections = [n for n in picture.nodes if n.label.startswith("linear") and "W_ih" in n.parameters]
    assert sorted(n.step for n in projections) == [1, 2, 3]  # each step's x_t W_ihᵀ in its own column


@pytest.mark.parametrize("make", [lambda: last_step_loss("lstm", steps=4)[1], lambda: language_model_loss("rnn", 3)[1]],
                         ids=["lstm", "language-model"])
def test_forward_and_backward_in_one_figure(make):
    loss = make()
    picture = build_picture((loss,), level="cell", backward="both")
    forward, backward = build_picture((loss,), level="cell"), build_picture((loss,), level="cell", backward=True)
    assert len(picture.nodes) == len(forward.nodes) + len(backward.nodes) - 1  # one J, where the gradient starts
    labels = {label for _, _, label in picture.edges}
    assert "h₁" in labels and ({"∂J/∂h₁"} <= labels or {"(1/3)Σₜ₌₂³ ∂Jₜ/∂h₁", "(1/3) ∂J₁/∂h₁"} <= labels)
    placed = labelled_layout(picture)[1]
    cells = [i for i, n in enumerate(picture.nodes) if n.kind == "group"]
    high = min(placed.boxes[i].y for i in cells if "backward" not in picture.nodes[i].label)
    assert all(placed.boxes[i].y < high for i in cells if "backward" in picture.nodes[i].label)  # under it
    found = measured(picture)
    assert found.through_nodes == 0
    language_model = any(n.label.startswith("J₁") for n in forward.nodes)
    assert found.crossings == 0 or language_model  # the language model's K₃,ₜ, as in its BPTT figure
    with pytest.raises(ValueError, match="backward='both' draws cells"):
        build_picture((loss,), level="op", backward="both")


def test_a_backward_rule_of_an_unnamed_output_writes_the_op_not_an_undefined_y():
    """An LSTM's tanh(c_t) has no name: its rule read δ ⊙ (1 − y²), a y the figure never defines (and a lecture's
    y is the prediction); then δ ⊙ (1 − tanh(·)²) beside the forward's tanh(c₂): now the forward's own tanh(c_t)."""
    _, loss = last_step_loss("lstm", steps=2)
    labels = [n.label for n in build_picture((loss,), level="op", backward=True).nodes]
    rules = [label.split("\n", 1)[1] for label in labels if "backward\n" in label]
    assert {"δ ⊙ (1 − tanh(c₁)²)", "δ ⊙ (1 − tanh(c₂)²)"} <= set(rules), rules
    assert not [rule for rule in rules if re.search(r"\by\b", rule)], rules


def test_the_recorded_gradient_graph_names_each_backward_rule_by_what_it_does():
    _, loss = last_step_loss("rnn", steps=3)
    picture = build_picture((loss,), level="op", backward=True)
    labels = [n.label for n in picture.nodes]
    for sub in "₁₂₃":
        assert f"h{sub} = tanh, backward\nδ ⊙ (1 − h{sub}²)" in labels
    assert not any(label.startswith(("sub", "permute", "mul")) for label in labels)  # no plumbing of its own
    assert all(n.key.is_gradient for n in picture.nodes if n.kind == "op")
    weight_sums = [n for n in picture.nodes if n.label.startswith("Σ (3 terms)")]
    assert len(weight_sums) == 2  # ∂J/∂W_hh and ∂J/∂b_hh: one term per step
    # no Σ for the zero δ that a loss on the last step sends to the earlier steps' outputs
    assert not any(label.startswith("Σ (2 terms)") for label in labels)
    assert {"∂J/∂h₁", "∂J/∂h₂"} <= {label for _, _, label in picture.edges}  # the right-to-left arrows


@pytest.mark.parametrize("steps", [3, 6, 8])
def test_the_recorded_gradient_graph_of_a_tanh_rnn_is_untangled(steps):
    """∂J/∂W_hh and ∂J/∂b_hh take their terms from the same node of each step, each on a lane of its own (on one
    lane a term of one Σ ran along the terms of the other, as if one quantity): the only crossings are a term
    of one crossing the other's lane on its way down, once for each step after its own, at right angles; the
    lanes' trunks nest beside the column of Σ nodes, crossing no lane, and pass beside it, not through it."""
    _, loss = last_step_loss("rnn", steps=steps)
    picture = build_picture((loss,), level="op", backward=True)
    labels, placed = labelled_layout(picture)
    text = picture_to_svg(picture, placed, labels, "t")
    found = measure(text, 1600)
    assert found.through_nodes == 0 and shared_lines(text) == []
    sums = {f"n{i}" for i, node in enumerate(picture.nodes) if node.label.startswith("Σ")}
    assert all({first.split("->")[1], second.split("->")[1]} == sums for first, second in found.crossing_pairs)
    assert found.crossings == steps * (steps - 1) // 2, found.crossing_pairs


def test_a_stack_of_layers_keeps_the_sum_of_the_two_gradients_of_h_t():
    _, loss = last_step_loss("rnn", steps=3, layers=2)
    labels = [n.label for n in build_picture((loss,), level="op", backward=True).nodes]
    assert sum(label.startswith("Σ (2 terms)") for label in labels) == 2  # from above and from the right


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("level, backward", [("cell", False), ("cell", True), ("step", False), ("step", True)])
@pytest.mark.parametrize("steps", [3, 8])
def test_a_bidirectional_layer_crosses_at_most_once_a_step(cell, level, backward, steps):
    """x_t feeds both rows; its line up to the reverse row crosses the states leaving the forward cell
    t (h_t; and c_t for the LSTM; h_T's line into J) once each: no drawing with the rows one above the other
    avoids that. J reads h_T of both directions, so it sits at that end, beside the rows, outside the reverse
    row's h_0. At step level, both directions share the step: nothing crosses."""
    _, loss = last_step_loss(cell, steps=steps, bidirectional=True)
    found = measured(build_picture((loss,), level=level, backward=backward))
    assert found.through_nodes == 0
    states = 2 if cell == "lstm" and not backward else 1
    assert found.crossings <= (states * steps if level == "cell" else 0), found.crossing_pairs
