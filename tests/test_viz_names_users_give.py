"""What a user's figure says of the model it draws (a lecturer's review): a ReLU RNN says relu at cell level, not a
tanh RNN's "RNN cell"; a padded batch's BPTT says the steps past a sequence's end add nothing for it."""

import pytest

import tinygrad_rnn as tr
from tinygrad_rnn.cli import main
from tinygrad_rnn.viz.graph import build_picture


def first_lines(picture) -> set[str]:
    return {node.label.partition("\n")[0] for node in picture.nodes}


@pytest.mark.parametrize("fused", [False, "step"])
def test_a_relu_rnn_is_drawn_as_one_at_cell_level_forward_and_back_in_any_notation(fused):
    """nn.RNN(nonlinearity="relu") was "RNN cell" in every cell-level figure, relu nowhere (op level said it)."""
    tr.manual_seed(0)
    relu, tanh = (tr.nn.RNN(2, 3, nonlinearity=kind, fused=fused) for kind in ("relu", "tanh"))
    relu_loss, tanh_loss = (layer(tr.randn(3, 1, 2))[0][-1].sum() for layer in (relu, tanh))
    for backward, notation in ((False, None), (True, None), (False, "usc")):
        drawn = first_lines(build_picture((relu_loss,), level="cell", backward=backward, notation=notation))
        cells = {line.partition(",")[0] for line in drawn if "cell" in line}  # ("RNN cell, backward": its call)
        assert cells == {"ReLU RNN cell"}, drawn
    assert "RNN cell" in first_lines(build_picture((tanh_loss,), level="cell"))  # a tanh RNN stays the plain name


def test_the_cli_draws_a_relu_rnn_and_refuses_the_option_where_no_rnn_is_drawn(tmp_path, capsys):
    path = tmp_path / "relu.svg"
    assert main(["graph", "--nonlinearity", "relu", "--level", "cell", "--steps", "3", "-o", str(path)]) == 0
    assert path.read_text().count("ReLU RNN cell") == 3
    assert main(["graph", "--cell", "gru", "--nonlinearity", "relu", "-o", str(tmp_path / "gru.svg")]) == 2
    assert "--nonlinearity cannot apply" in capsys.readouterr().err


@pytest.fixture(scope="module")
def padded_classifier():
    """The review's lengths= classifier, smaller: a GRU over a batch of 2, lengths [4, 2], a loss on h_n."""
    def build(lengths, name="J"):
        tr.manual_seed(0)
        gru, head = tr.nn.GRU(2, 3, batch_first=True), tr.nn.Linear(3, 2)
        _, h_n = gru(tr.randn(2, 4, 2), lengths=lengths)
        loss = tr.nn.functional.cross_entropy(head(h_n[-1]), tr.tensor([1, 0]))
        loss.name = name
        return loss
    return build


def test_a_padded_batch_s_bptt_says_the_steps_past_a_sequence_s_end_pass_its_gradient_on_and_add_nothing(
        padded_classifier):
    """Four equal drops into Σ, nothing saying that sequence 2's steps 3 and 4 (m_t = 0) add nothing for it."""
    bptt = build_picture((padded_classifier([4, 2]),), level="cell", backward=True).notes
    assert "Sequence 2 at t = 3, 4 (mₜ = 0): ∂J/∂hₜ passes back unchanged, and those steps add nothing to Σ for it" \
        in bptt, bptt
    named = build_picture((padded_classifier([4, 2], "L"),), level="cell", backward=True).notes
    assert [note for note in named if note.startswith("Sequence 2") and "∂L/∂hₜ" in note]  # the loss's own letter
    forward = build_picture((padded_classifier([4, 2]),), level="cell").notes
    full = build_picture((padded_classifier([4, 4]),), level="cell", backward=True).notes
    assert not [note for note in forward + full if "passes back unchanged" in note]  # no padding, or no gradient


def encoder_decoder(scopes=("encoder", "decoder")):
    """Two GRUs no model holds, their input sequences unnamed, each call under the user's scope (or none)."""
    tr.manual_seed(0)
    enc, dec = tr.nn.GRU(3, 4), tr.nn.GRU(3, 4)
    with tr.scope(*scopes[:1]):
        _, h = enc(tr.randn(3, 1, 3))
    with tr.scope(*scopes[1:]):
        out, _ = dec(tr.randn(2, 1, 3), h)
    return out.sum()


@pytest.mark.parametrize("notation, x, y", [(None, "x₁", "y₁"), ("cs224n", "x⁽¹⁾", "y⁽¹⁾")])
def test_two_modules_unnamed_inputs_are_two_letters_and_the_user_s_scopes_name_the_layers(notation, x, y):
    """input₁…₃ under the encoder and input₁, input₂ again under the decoder: one name for two tensors; and the
    cells were "GRU 1", "GRU 2" (⁽ᵃ⁾, ⁽ᵇ⁾) under tr.scope("encoder") / tr.scope("decoder")."""
    for level in ("cell", "step", "op")[: 3 if notation is None else 1]:
        drawn = build_picture((encoder_decoder(),), level=level, show_shapes=False, notation=notation)
        inputs = {node.label for node in drawn.nodes if node.kind == "input" and node.step is not None}
        assert {x, y} <= inputs and not [label for label in inputs if "input" in label], (level, inputs)
    picture = build_picture((encoder_decoder(),), level="cell", show_shapes=False, notation=notation)
    cells = {node.label.partition("\n")[0] for node in picture.nodes if node.kind == "group"}
    assert cells == {"encoder cell", "decoder cell"}, cells
    assert any(": encoder" in note and ": decoder" in note for note in picture.notes), picture.notes  # (⁽ᵉ⁾, ⁽ᵈ⁾)


def test_one_scope_around_both_layers_names_neither_and_says_how_to_name_a_layer():
    with pytest.warns(UserWarning, match=r"layer\.scope_name"):
        picture = build_picture((encoder_decoder(("model", "model")),), level="cell", show_shapes=False)
    assert {node.label.partition("\n")[0] for node in picture.nodes if node.kind == "group"} == {"GRU 1 cell",
                                                                                                 "GRU 2 cell"}
