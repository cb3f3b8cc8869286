"""Figures that used to be drawn wrong: a slice of the steps, a classifier's head, the fixed-window
language model, a hand-written Elman RNN at op level. Each test fails on the drawing it replaced."""

import pytest
from drawing_cases import last_step_loss

import tinygrad_rnn as tr
from tinygrad_rnn.cli import language_model_loss
from tinygrad_rnn.viz.graph import build_picture
from tinygrad_rnn.viz.layout import labelled_layout
from tinygrad_rnn.viz.legibility import measure
from tinygrad_rnn.viz.svg import picture_to_svg


def first_line(node):
    return node.label.split("\n")[0]


def edges_named(picture):
    return [(first_line(picture.nodes[a]), first_line(picture.nodes[b]), label) for a, b, label in picture.edges]


# --- a slice of the steps (time_steps) ---------------------------------------------------------------------------


def test_a_slice_reaches_j_through_the_later_steps_and_keeps_the_whole_sequences_colours():
    _, loss = last_step_loss("rnn", steps=8)
    whole = build_picture((loss,), level="cell", show_grads=True)
    picture = build_picture((loss,), level="cell", show_grads=True, time_steps=slice(0, 3))
    named = edges_named(picture)
    assert ("RNN cell", "… 5 more time steps", "h₃") in named  # the state flows from step 3 into the later steps
    assert ("… 5 more time steps", "J", "") in named  # and J is reached through them
    assert not any(b == "RNN cell" for a, b, _ in named if a.startswith("…"))  # no arrow from the later steps back
    assert picture.legend == whole.legend  # 3 of 8 steps on the scale of all 8: a 2× range stays a 2× range
    assert any("scale of all 8 time steps" in note for note in picture.notes)


def test_a_slice_in_the_middle_has_the_earlier_steps_before_it_and_the_later_after():
    _, loss = last_step_loss("lstm", steps=8)
    picture = build_picture((loss,), level="cell", time_steps=slice(3, 6))
    named = edges_named(picture)
    assert {("… 3 earlier time steps", "LSTM cell", "h₃"), ("… 3 earlier time steps", "LSTM cell", "c₃"),
            ("LSTM cell", "… 2 more time steps", "h₆"), ("… 2 more time steps", "J", "")} <= set(named)
    places = {first_line(n): n.step for n in picture.nodes if n.kind == "ellipsis"}
    assert places == {"… 3 earlier time steps": 3, "… 2 more time steps": 7}  # the columns either side


def test_the_bptt_of_a_slice_names_what_comes_back_from_the_steps_left_out():
    loss, _ = language_model_loss("rnn", 8)
    picture = build_picture((loss,), level="cell", backward=True, time_steps=slice(0, 3))
    named = edges_named(picture)
    assert ("… 5 more time steps", "RNN cell, backward", "(1/8)Σₜ₌₄⁸ ∂Jₜ/∂h₃") in named
    assert ("J", "… 5 more time steps", "") in named  # the gradient starts at J for those steps too
    assert ("J", "cross_entropy, backward", "∂J/∂J₁ = 1/8") in named  # J = (1/8) Σ J_t, not (1/3)
    assert any("t=4…8" in note for note in picture.notes)  # the Σ of each weight has their terms too


# --- a classifier (many-to-one) --------------------------------------------------------------------------------


def classifier_loss(name="ŷ"):
    """Embedding → RNN → the last state → a linear head (its result named by the user) → cross-entropy."""
    tr.manual_seed(0)
    embedding, rnn, head = tr.nn.Embedding(10, 3), tr.nn.RNN(3, 4, batch_first=True), tr.nn.Linear(4, 2)
    output, _ = rnn(embedding(tr.tensor([[1, 5, 2, 7]])))
    scores = head(output[:, -1])
    scores.name = name
    loss = tr.nn.functional.cross_entropy(scores, tr.tensor([1]))
    loss.name = "J"
    return loss


@pytest.mark.parametrize("level", ["cell", "step"])
def test_a_classifier_draws_its_head_and_loss_after_the_last_step(level):
    picture = build_picture((classifier_loss("ŷ"),), level=level)
    named = edges_named(picture)
    last = "RNN cell" if level == "cell" else "step"
    assert (last, "ŷ = linear", "h₄") in named  # the head reads h_T, and its result keeps the user's name
    assert ("ŷ = linear", "cross_entropy", "") in named and ("cross_entropy", "J", "") in named
    [head] = [n for n in picture.nodes if first_line(n) == "ŷ = linear"]
    # a free nn.Linear is named by its role, the head's W_hy and b_y, not a bare "weight" and "bias"
    assert head.parameters == ["W_hy", "b_y"] and head.step is None  # after the last step
    renamed = build_picture((classifier_loss("logits"),), level=level)  # any name the user gives
    assert "logits = linear" in {first_line(n) for n in renamed.nodes}


def test_a_classifiers_bptt_passes_the_gradient_back_through_its_head():
    picture = build_picture((classifier_loss(),), level="cell", backward=True)
    named = edges_named(picture)
    assert ("J", "cross_entropy, backward", "") in named
    assert ("cross_entropy, backward", "linear, backward", "∂J/∂ŷ") in named
    assert ("linear, backward", "RNN cell, backward", "∂J/∂h₄") in named  # all of it: h₄ has one reader


def test_a_bare_sum_that_is_j_itself_still_folds_into_j():
    _, loss = last_step_loss("rnn", steps=3)  # J = Σ h_T: no node for the sum
    named = edges_named(build_picture((loss,), level="cell"))
    assert ("RNN cell", "J", "h₃") in named


# --- the fixed-window language model ---------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["op", "cell"])
def test_the_fixed_window_model_draws_its_tokens_and_no_weight_it_lacks(level):
    tr.manual_seed(0)
    model = tr.models.FixedWindowLM(10, window=3, embedding_dim=2, hidden_size=4)
    logits, _ = model(tr.tensor([[1, 5, 2, 7]]))
    loss = tr.nn.functional.cross_entropy(logits.reshape(-1, 10), tr.tensor([5, 2, 7, 3]))
    loss.name = "J"
    picture = build_picture((loss,), level=level)
    named = edges_named(picture)
    assert ("x", "embedding", "") in named  # the tokens of the window (two of padding before the four)
    assert [n.label for n in picture.nodes if n.kind == "input"] == ["x\n(1, 6)"]
    assert ("linear", "tanh", "") in named and ("cross_entropy", "J", "") in named  # no recurrence: every op
    assert not any("W_hh" in note or "every step" in note for note in picture.notes)
    assert ["head.weight", "head.bias"] in [n.parameters for n in picture.nodes]  # the weights it has


# --- an Elman RNN written from ops (W, V, U) --------------------------------------------------------------------


def elman_loss(steps=3):
    """A user's own loop, as the Elman lecture writes it: h_t = tanh(W x_t + V h_{t−1} + b_h), y_t = U h_t."""
    tr.manual_seed(0)
    W, V, U = tr.randn(3, 2, requires_grad=True), tr.randn(3, 3, requires_grad=True), tr.randn(2, 3, requires_grad=True)
    b = tr.zeros(3, requires_grad=True)
    W.name, V.name, U.name, b.name = "W", "V", "U", "b_h"
    x, h, outputs = tr.randn(steps, 1, 2), tr.zeros(1, 3), []
    h.name = "h_0"
    for t in range(steps):
        with tr.scope(f"t={t + 1}"):
            h = (x[t] @ W.T + h @ V.T + b).tanh()
            h.name = "h"
            y = h @ U.T
            y.name = "y"
            outputs.append(y)
    loss = sum(outputs[1:], outputs[0]).sum()
    loss.name = "J"
    return loss


@pytest.mark.parametrize("steps", [3, 6])
def test_the_elman_rnn_from_ops_has_no_edge_through_a_node(steps):
    picture = build_picture((elman_loss(steps),), level="op")
    labels, placed = labelled_layout(picture)
    found = measure(picture_to_svg(picture, placed, labels, "e"))
    assert found.through_nodes == 0, found.passes  # h_{t−1} no longer runs through W's node, nor y_T through the Σ
    # the user's y₁ + y₂ + … as Python adds them: a chain whose T inputs cross on the way to it, past 3 steps
    assert found.crossings == 0 if steps == 3 else found.crossings <= steps * (steps - 1) // 2
    by_step = {}
    for i, node in enumerate(picture.nodes):
        by_step.setdefault(node.step, []).append(i)
    for t in range(1, steps + 1):  # x_t under the step that reads it, V h_{t−1} on the side the state comes from
        [x_t] = [i for i in by_step[t] if picture.nodes[i].kind == "input"]
        [w, v] = [next(i for i in by_step[t] if picture.nodes[i].parameters == [name]) for name in ("W", "V")]
        assert placed.boxes[x_t].y < placed.boxes[w].y and placed.boxes[x_t].x == placed.boxes[w].x
        assert placed.boxes[v].x < placed.boxes[w].x
    [h_0] = [i for i, n in enumerate(picture.nodes) if n.label.startswith("h_0")]
    assert picture.nodes[h_0].step is None  # h_0 enters from the left, as the state does


def test_the_language_model_at_op_level_draws_its_tokens_and_no_edge_through_a_node():
    loss, _ = language_model_loss("rnn", 3)
    picture = build_picture((loss,), level="op")
    assert ("x", "embedding", "") in edges_named(picture)  # the tokens the embedding reads
    labels, placed = labelled_layout(picture)
    found = measure(picture_to_svg(picture, placed, labels, "m"))
    assert found.through_nodes == 0, found.passes  # the head's linear → reshape passed through cross_entropy
