"""Figures of models a lecturer writes by hand, checked against the graph they were drawn from.

An encoder–decoder written with two ``nn.GRUCell`` calls, each step under a scope the user named
(``tr.scope(f"enc t={t}")``, ``tr.scope(f"dec t={t}")``), teacher-forced: every parameter a step reads — the
output layer's too — is in that step's nodes and in the Σ boxes of the backward figure, and the tokens each step
reads are drawn below it, x_t into the encoder and the true y_{t−1} into the decoder.

A classifier over two sentences of lengths 4 and 2 (packed, or ``lengths=``): the masks of the sequences still
running are no input under the cells (e_t is, below its cell), and the figure says where each sentence's h_n is
taken, h_n = (h₄ of sequence 1, h₂ of sequence 2), on the arrow into the head (h_n, not h₄) and in a key line.
"""

import functools

import pytest

import tinygrad_rnn as tr
from tinygrad_rnn.nn.utils.rnn import pack_padded_sequence
from tinygrad_rnn.viz.graph import build_picture

F = tr.nn.functional
SOURCE, TARGET = [3, 4, 5], [1, 6, 7, 2]  # 1 = [BEGIN], 2 = [END]


@functools.cache
def teacher_forced_loss() -> tuple[tr.Tensor, tr.nn.Linear]:
    """J of a hand-written GRU encoder–decoder, each step in a scope the user named, and its output layer."""
    tr.manual_seed(0)
    source_embedding, target_embedding = tr.nn.Embedding(8, 4), tr.nn.Embedding(8, 4)
    encoder, decoder, out = tr.nn.GRUCell(4, 4), tr.nn.GRUCell(4, 4), tr.nn.Linear(4, 8)
    h = tr.zeros(1, 4)
    for t, word in enumerate(SOURCE):
        with tr.scope(f"enc t={t + 1}"):
            h = encoder(source_embedding(tr.tensor([word])), h)
    losses = []
    for t in range(len(TARGET) - 1):
        with tr.scope(f"dec t={t + 1}"):
            h = decoder(target_embedding(tr.tensor([TARGET[t]])), h)  # the true previous word: teacher forcing
            losses.append(F.cross_entropy(out(h), tr.tensor([TARGET[t + 1]])))
    loss = sum(losses[1:], losses[0]) * (1 / 3)
    loss.name = "J"
    return loss, out


@functools.cache
def picture(backward: bool):
    return build_picture((teacher_forced_loss()[0],), level="cell", backward=backward, show_shapes=False)


def test_the_output_layer_a_named_step_reads_is_drawn_in_every_decoder_step_with_its_weights():
    _, out = teacher_forced_loss()
    heads = [node for node in picture(False).nodes if any(key == id(out.weight) for key in node.tensor_names)]
    assert sorted(node.step for node in heads) == [1, 2, 3]  # (before: folded into no node, W_hy drawn nowhere)
    assert all("W_hy" in node.parameters and "b_y" in node.parameters for node in heads)


def test_the_output_layers_weights_are_in_the_sigma_boxes_of_the_backward_figure():
    sums = [node.label for node in picture(True).nodes if node.kind == "output" and "Σₜ" in node.label]
    assert any("∂J/∂W_hy = Σₜ ∂J/∂W_hy|₍ₜ₎" in label for label in sums), sums
    assert any("∂J/∂b_y = Σₜ" in label for label in sums), sums


@pytest.mark.parametrize("letter, steps", [("x", {1: "x₁", 2: "x₂", 3: "x₃"}), ("y", {1: "y_0", 2: "y₁", 3: "y₂"})])
def test_each_step_reads_its_token_drawn_below_it_the_decoder_the_true_previous_word(letter, steps):
    tokens = {node.step: node.label for node in picture(False).nodes
              if node.kind == "input" and node.label.startswith(letter)}
    assert tokens == steps  # (before: no token drawn, so teacher forcing was invisible)


@functools.cache
def classifier_picture(packed: bool, backward: bool):
    """A GRU classifier over two sentences, 4 and 2 words long, padded to 4: its cell-level figure."""
    tr.manual_seed(0)
    embedding, gru, head = tr.nn.Embedding(10, 3), tr.nn.GRU(3, 4, batch_first=True), tr.nn.Linear(4, 2)
    words = embedding(tr.tensor([[1, 2, 3, 4], [5, 6, 0, 0]]))
    if packed:
        _, h_n = gru(pack_padded_sequence(words, [4, 2], batch_first=True))
    else:
        _, h_n = gru(words, lengths=[4, 2])
    loss = F.cross_entropy(head(h_n[-1]), tr.tensor([0, 1]))
    return build_picture((loss,), level="cell", backward=backward, show_shapes=False)


@pytest.mark.parametrize("backward", [False, True])
@pytest.mark.parametrize("packed", [False, True])
def test_a_classifier_over_two_lengths_says_where_each_sentences_h_n_is_taken(packed, backward):
    picture = classifier_picture(packed, backward)
    assert any("hₙ = (h₄ of sequence 1, h₂ of sequence 2)" in note and "mₜ = [t ≤ lengths]" in note
               for note in picture.notes), picture.notes  # (before: the head read h₄ for both)
    into_head = [label for tail, head, label in picture.edges
                 if picture.nodes[tail if not backward else head].kind == "group" and
                 picture.nodes[head if not backward else tail].label.startswith("linear")]
    assert into_head == (["∂J/∂hₙ"] if backward else ["hₙ"])


@pytest.mark.parametrize("packed", [False, True])
def test_a_mask_of_the_sequences_running_is_no_input_under_a_cell_e_t_is(packed):
    picture = classifier_picture(packed, False)
    labels = [node.label for node in picture.nodes]
    assert not [label for label in labels if "length" in label or "padding" in label]  # (before: "t < length₃")
    for position, cell in enumerate(picture.nodes):
        if cell.kind == "group" and cell.label.startswith("GRU cell"):
            fed_by = sorted(picture.nodes[tail].label for tail, head, _ in picture.edges
                            if head == position and picture.nodes[tail].chain is None)  # (not the cell before)
            e_t = f"e{'₁₂₃₄'[cell.step - 1]} = embedding"
            assert fed_by == sorted([e_t, "h_0"] if cell.step == 1 else [e_t]), fed_by


def test_two_calls_with_lengths_each_say_their_own_lengths_and_only_a_reverse_call_names_its_h_1():
    """A one-way layer and a bidirectional one, each over a batch of two: two key lines, each with its own lengths
    and where its h_n is taken, read back from the numbers each call's h_n holds."""
    tr.manual_seed(0)
    one_way, both_ways = tr.nn.RNN(2, 3), tr.nn.RNN(2, 3, bidirectional=True)
    _, one_way_last = one_way(tr.randn(3, 2, 2), lengths=[2, 3])
    both_output, both_last = both_ways(tr.randn(3, 2, 2), lengths=[3, 1])
    for b, length in enumerate([3, 1]):  # the numbers: forward h_n at each sequence's own end, reverse at t = 1
        assert (both_last.numpy()[0, b] == both_output.numpy()[length - 1, b, :3]).all()
        assert (both_last.numpy()[1, b] == both_output.numpy()[0, b, 3:]).all()
    notes = build_picture(((one_way_last.sum() + both_last.sum()),), level="cell", show_shapes=False).notes
    kept = "a sequence that has ended keeps its state, so hₙ ="
    keys = sorted(note.split(" reads ")[0] + ": " + note.split("lengths = ")[1].replace(kept, "hₙ =")
                  for note in notes if "lengths = " in note)
    assert keys == ["Each RNN 1 cell: (2, 3): hₙ = (h₂ of sequence 1, h₃ of sequence 2)",
                    "Each RNN 2 cell: (3, 1): hₙ = (h₃ of sequence 1, h₁ of sequence 2) forward; in reverse, h₁"], keys
    # (before: one line, lengths = (5, 4), the two calls' masks added, and "in reverse" said of both)


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_a_fused_layer_run_with_lengths_says_the_lengths_it_was_given_in_either_layout(batch_first, bidirectional):
    """A fused layer zeroes its outputs past each end with one mask of the whole sequence, (T, B, 1) or (B, T, 1):
    the key line reads the lengths from the masks of the layer's own steps, one line for all its layers and
    directions, as the plain path's figure says them."""
    lengths, notes = [4, 1, 3], {}
    for fused in (False, True):
        tr.manual_seed(0)
        rnn = tr.nn.RNN(2, 2, num_layers=2, batch_first=batch_first, bidirectional=bidirectional, fused=fused)
        output, h_n = rnn(tr.randn(3, 4, 2) if batch_first else tr.randn(4, 3, 2), lengths=lengths)
        picture = build_picture((output.sum() + h_n.sum(),), level="cell", show_shapes=False)
        notes[fused] = [note for note in picture.notes if "lengths = " in note]
    assert len(notes[True]) == 1 and "lengths = (4, 1, 3):" in notes[True][0], notes[True]
    assert "hₙ = (h₄ of sequence 1, h₁ of sequence 2, h₃ of sequence 3)" in notes[True][0]
    assert notes[True] == notes[False]  # (before: "lengths = (1, 1, 1, 0, 1, …)", the (T, B, 1) mask read as steps)
    with tr.no_grad():  # nothing recorded, nothing to keep the masks on
        assert rnn(tr.randn(3, 4, 2) if batch_first else tr.randn(4, 3, 2), lengths=lengths)[0].grad_fn is None


@pytest.mark.parametrize("fused", [False, True])
def test_at_op_level_h_0_of_a_layer_run_with_lengths_enters_beside_the_row_not_under_step_1(fused):
    """Each step's where reads its own mask m_t, a leaf under that step; h_0 is read at step 1 by that where and by
    the op that reads h_{t−1} at later steps: the state entering the row, drawn beside it (before: under step 1,
    on top of x₁ and m₁)."""
    tr.manual_seed(0)
    output, _ = tr.nn.RNN(2, 2, fused=fused)(tr.randn(3, 2, 2), lengths=[3, 1])
    picture = build_picture((output.sum(),), level="op", show_shapes=False)
    steps = {node.label: node.step for node in picture.nodes if node.kind == "input"}
    assert steps["h_0"] is None, steps
    masks = {node.step for node in picture.nodes if node.kind == "input" and node.label == "t ≤ lengths"}
    assert {1, 2} <= masks, masks  # under their steps (the fused layer's steps read the module's m_t too)


@pytest.mark.parametrize("fused", [False, True])
def test_at_op_level_the_mask_and_x_t_under_a_step_stand_apart(fused):
    """m_t (under the wheres it feeds, 60 pt wide) and x_t (under linear W_ih) overlapped by 10.7 pt at every step,
    plain path and fused alike: the inputs under the steps are spread apart (geometry.spread_apart), x_t held under
    its linear, its line up upright."""
    from tinygrad_rnn.viz.layout import labelled_layout

    tr.manual_seed(0)
    output, _ = tr.nn.RNN(2, 2, fused=fused)(tr.randn(3, 2, 2), lengths=[3, 1])
    picture = build_picture((output.sum(),), level="op", show_shapes=False)
    _, layout = labelled_layout(picture)
    below = {}
    for i, node in enumerate(picture.nodes):
        if node.kind == "input" and node.step is not None:
            below.setdefault(node.step, []).append(layout.boxes[i])
    for boxes in below.values():
        boxes.sort(key=lambda box: box.x)
        for left, right in zip(boxes, boxes[1:]):
            assert right.x - right.width / 2 >= left.x + left.width / 2  # (measured: 10.7 pt into each other)
    for i, node in enumerate(picture.nodes):  # x_t right under the linear it feeds
        if node.kind == "input" and node.step is not None and node.label.startswith("x"):
            (fed,) = [layout.boxes[h] for t, h, _ in picture.edges if t == i]
            assert layout.boxes[i].x == fed.x, node.label
