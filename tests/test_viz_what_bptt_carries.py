"""A model with two losses — one GRU, a tagger's loss over its steps and a classifier's on its last state,
J = J_tag + J_cls — is drawn as its code computes it: every BPTT arrow names each loss its gradient comes from
(J_cls reads h₃, which depends on h₂ and h₁: the classifier's gradient flows back through time too), the
classifier's loss is no step's (no subscript, drawn after the steps by its head), the tagger's mean keeps the
user's name, and a warning is said once per figure, however many figures the slide's fit ladder builds. And a
layer's dropout mask is drawn in the BPTT figure where it acts on the gradient handed down to the layer below.
"""

import warnings

import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import viz
from tinygrad_rnn.viz.geometry import Box, node_size
from tinygrad_rnn.viz.graph import build_picture
from tinygrad_rnn.viz.grid import Grid

F = tr.nn.functional


@pytest.fixture(scope="module")
def two_losses():
    """J = J_tag + J_cls: a tagger's mean cross-entropy over 3 steps, a classifier's on h_n."""
    tr.manual_seed(0)
    embedding, gru = tr.nn.Embedding(10, 3), tr.nn.GRU(3, 4, batch_first=True)
    tag_head, class_head = tr.nn.Linear(4, 3), tr.nn.Linear(4, 2)
    output, h_n = gru(embedding(tr.tensor([[1, 2, 3]])))
    j_tag = F.cross_entropy(tag_head(output).reshape(-1, 3), tr.tensor([0, 1, 2]))
    j_tag.name = "J_tag"
    j_cls = F.cross_entropy(class_head(h_n[-1]), tr.tensor([1]))
    j_cls.name = "J_cls"
    loss = j_tag + j_cls
    loss.name = "J"
    return loss


def test_every_state_arrow_names_each_loss_it_carries(two_losses):
    bptt = build_picture((two_losses,), level="cell", backward=True)
    labels = {label for *_, label in bptt.edges}
    # back along h₂ → cell 3 and h₁ → cell 2: the tagger's later losses and the classifier's, which reads h₃
    assert "(1/3) ∂J_tag₃/∂h₂ + ∂J_cls/∂h₂" in labels
    assert "(1/3)Σₜ₌₂³ ∂J_tagₜ/∂h₁ + ∂J_cls/∂h₁" in labels
    # h₃'s two readers: the tagger's head at step 3 and the classifier's head, each its own loss's part
    assert {"(1/3) ∂J_tag₃/∂h₃", "∂J_cls/∂h₃", "∂J/∂J_cls"} <= labels
    assert not any("direct" in label or "J_cls₁" in label for label in labels)


def test_the_classifiers_loss_is_no_steps_and_the_mean_keeps_its_name(two_losses):
    forward = build_picture((two_losses,), level="cell", slide=True)
    (classifier,) = [node for node in forward.nodes if node.label.startswith("J_cls")]
    assert (classifier.label, classifier.step) == ("J_cls = cross_entropy", None)
    assert "J_tag = (1/3) Σₜ J_tagₜ" in {node.label for node in forward.nodes}
    assert {node.label for node in forward.nodes if node.step == 1} >= {"J_tag₁ = cross_entropy"}


@pytest.mark.parametrize("notation, loss, head, steps", [(None, "J", ("W_hy, b_y", "W_seq, b_seq"), "₂₃"),
                                                         ("cmu", "L", ("W_hy, b_y", "W_seq, b_seq"), "₂₃"),
                                                         ("cs224n", "J", ("U, b₂", "U_seq, b_seq"), ("⁽²⁾", "⁽³⁾"))])
def test_two_unnamed_losses_are_named_as_the_figure_defines_them_forward_and_back(notation, loss, head, steps):
    """The same two losses, neither named, the heads two bare nn.Linear: the classifier's loss is drawn
    "J_seq = cross_entropy" (L_seq in CMU's letters) and a key line says what it is, in the forward figure and the
    BPTT figure alike, whose arrows say ∂J_seq/∂h₂ — before, a bare "cross_entropy" and "∂JN₍ₒₙₑ₎/∂h₂", a step
    None written as a subscript. The tagger's head is the lecture's output layer (W_hy, b_y), the classifier's its
    own (W_seq, b_seq) — before, linear.weight⁽²⁾ and linear.weight⁽¹⁾, the marks of two layers."""
    tr.manual_seed(0)
    gru, tag, cls = tr.nn.GRU(3, 4), tr.nn.Linear(4, 2), tr.nn.Linear(4, 2)
    out, h = gru(tr.randn(3, 1, 3))
    J = F.cross_entropy(tag(out.reshape(-1, 4)), tr.tensor([0, 1, 0])) + F.cross_entropy(cls(h[-1]), tr.tensor([1]))
    forward = build_picture((J,), level="cell", notation=notation, params="label")
    bptt = build_picture((J,), level="cell", backward=True, notation=notation, params="label")
    said = [node.label for node in forward.nodes + bptt.nodes] + [e[2] for e in forward.edges + bptt.edges]
    assert not [text for text in said + forward.notes + bptt.notes if "None" in text or "ₒₙₑ" in text]  # (JN₍ₒₙₑ₎)
    seq = f"{loss}_seq"
    assert [node.step for node in forward.nodes if node.label == f"{seq} = cross_entropy"] == [None]
    heads = {node.step: ", ".join(node.parameters) for node in forward.nodes if node.label.startswith("linear")}
    assert heads == {1: head[0], 2: head[0], 3: head[0], None: head[1]}, heads  # (no ⁽ˡ⁾: a layer's mark)
    key = f"{seq}: the loss on one step’s state, not one per step; {head[1]}: its head"
    assert key in forward.notes and key in bptt.notes
    labels = {label for *_, label in bptt.edges}
    two, three = steps
    assert {f"∂{loss}/∂{seq}", f"∂{seq}/∂h{three}", f"(1/3) ∂{loss}{three}/∂h{two} + ∂{seq}/∂h{two}"} <= labels


def test_a_warning_is_said_once_per_figure(two_losses):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        viz.to_dot(two_losses, level="cell", tokens=["the", "dog", "ran"])
    said = [str(w.message) for w in caught if str(w.message).startswith("tokens:")]
    assert len(said) == 1, said


def test_the_dropout_mask_is_drawn_where_it_acts_on_the_gradient():
    """nn.LSTM(num_layers=2, dropout=0.5): the forward's mask, drawn into each layer-2 cell, is drawn into the
    same cells going back — their backward hands layer 1 its gradient times the mask — and a key line says that
    a dropped unit passes no gradient."""
    tr.manual_seed(0)
    output, _ = tr.nn.LSTM(2, 3, num_layers=2, dropout=0.5)(tr.randn(3, 1, 2))
    bptt = build_picture((output.sum(),), level="cell", backward=True)
    (mask,) = [i for i, node in enumerate(bptt.nodes) if node.label.startswith("dropout mask, p = 0.5")]
    fed = sorted((bptt.nodes[head].chain.layer, bptt.nodes[head].step) for tail, head, _ in bptt.edges if tail == mask)
    assert fed == [(1, 1), (1, 2), (1, 3)]  # (layers counted from 0: layer 2's cells)
    assert any("dropped unit passes none" in note and "gradient it hands down" in note for note in bptt.notes)


def test_a_classifier_s_dropout_mask_runs_below_layer_2_not_along_the_bus_of_j_s_gradient():
    """nn.GRU(num_layers=2, dropout=0.5) read at its last step: the mask's lane ran above layer 2, the bus that
    carries J's gradient into the cells on other BPTT figures, and hopped under the head where ∂J/∂h₃⁽²⁾ stands.
    Below the row, as the tagger's: between the rows, beside the arrows it scales."""
    tr.manual_seed(0)
    gru, head = tr.nn.GRU(3, 4, num_layers=2, dropout=0.5), tr.nn.Linear(4, 2)
    loss = tr.nn.functional.cross_entropy(head(gru(tr.randn(3, 1, 3))[0][-1]), tr.tensor([1]))
    bptt = build_picture((loss,), level="cell", backward=True)
    grid = Grid(bptt, [Box(0.0, 0.0, *node_size(node.label)) for node in bptt.nodes])
    (mask,) = [i for i, node in enumerate(bptt.nodes) if node.label.startswith("dropout mask")]
    lanes = {grid.kind[(tail, head)] for tail, head, _ in bptt.edges if tail == mask}
    assert lanes and all(kind[0] == "bus" and kind[1][1] is False for kind in lanes), lanes  # (row, above, …)
