"""Figures of models a lecturer writes by hand, checked against the graph they were drawn from.

An encoder–decoder written with two ``nn.GRUCell`` calls, each step under a scope the user named
(``tr.scope(f"enc t={t}")``, ``tr.scope(f"dec t={t}")``), teacher-forced: every parameter a step reads — the
output layer's too — is in that step's nodes and in the Σ boxes of the backward figure, and the tokens each step
reads are drawn below it, x_t into the encoder and the true y_{t−1} into the decoder.
"""

import functools

import pytest

import tinygrad_rnn as tr
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
