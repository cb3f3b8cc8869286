"""A lecturer's notes on the cs224n deck, page and figures (issue #34, items 1, 2, 8, 9): one name for each tensor
across a deck, the preset's time notation in every key, and notes that say what a setting does."""

import pytest
from test_deck_review import slide, words  # (the review's readers of a slide)

from tinygrad_rnn.viz import deck_graph_slides, deck_measured_slides


@pytest.mark.parametrize("notation, bias, rows", [("cs224n", "[b1″]n", "[Wh h(t−1) + b1″]n"),
                                                  ("usc", "[b″]n", "[U ht−1 + b″]n"),
                                                  ("pytorch", "bhn", "(Whn ht−1 + bhn)")])
def test_the_clipping_slide_names_the_grus_bias_as_the_gru_slide_does(notation, bias, rows):
    """CS224N's slide 14 said "Not so a GRU's b_hn, inside r ⊙ (W_hn h + b_hn)": PyTorch's W_hn and b_hn, which no
    slide of that deck defines, where its slide 08 writes the same rows [W_h h⁽ᵗ⁻¹⁾ + b_hh]ₙ. Now slide 14 writes
    them as slide 08 does in each notation (PyTorch's own: W_hn h_{t−1} + b_hn on both)."""
    clipping = words(slide(deck_measured_slides.clipping, notation=notation))
    gru = words(slide(deck_graph_slides.gru_cell, notation=notation))
    assert f"Not so a GRU's {bias}, inside r ⊙ {rows}." in clipping, clipping
    assert f"r ⊙ {rows}" in gru, gru


def test_a_note_of_what_the_slide_left_out_says_what_brings_it_back():
    """lstm_op.svg's caption read "Steps left out: time_steps=slice(None)", "Shapes left out: show_shapes=True": as if
    that setting had left them out, where it is the one that keeps them. The note now says what the setting does."""
    import tinygrad_rnn as tr
    from tinygrad_rnn import viz
    from tinygrad_rnn.viz import fit_notes

    tr.manual_seed(0)
    fitted = viz.to_dot(tr.nn.LSTM(2, 3)(tr.randn(2, 1, 2))[0][-1].sum())  # too tall with its shapes: left out
    assert "Shapes left out (show_shapes=True writes them)" in fitted and "left out: show_shapes" not in fitted
    assert fit_notes.left_out_notes()[1] == "Steps left out (time_steps=slice(None) draws every step)"
    with fit_notes.said_as_flags():
        assert fit_notes.left_out_notes() == ("Shapes left out (--shapes writes them)",
                                              "Steps left out (--all-steps draws every step)",
                                              "--params label writes them in every cell")  # (the weights' key's)
    assert fit_notes.left_out_notes()[2] == 'params="label" writes them in every cell'


def scores_note(loss, notation: str) -> str:
    from tinygrad_rnn import viz

    text = viz.to_dot(loss, level="cell", backward=True, notation=notation)
    return next(line for line in text.splitlines() if "onehot(" in line)


@pytest.mark.parametrize("notation, next_word, other", [("cs224n", "onehot(x⁽ᵗ⁺¹⁾)", "onehot(target⁽ᵗ⁾)"),
                                                         ("pytorch", "onehot(xₜ₊₁)", "onehot(targetₜ)")])
def test_the_scores_note_writes_each_targets_time_as_the_notation_does(notation, next_word, other):
    """CS224N's backward figure said ∂J/∂s⁽ᵗ⁾ = (1/3)(ŷ⁽ᵗ⁾ − onehot(target_t)): a subscript t beside a notation that
    writes time above. A language model's J_t predicts the next word, x⁽ᵗ⁺¹⁾ (as slide 04 writes it); a tagger's
    its own target, target⁽ᵗ⁾."""
    import tinygrad_rnn as tr
    from tinygrad_rnn.cli import language_model_loss

    language_model, _ = language_model_loss("lstm", steps=3)
    assert next_word in scores_note(language_model, notation)
    tr.manual_seed(0)
    embedding, rnn, head = tr.nn.Embedding(6, 3), tr.nn.RNN(3, 3, batch_first=True), tr.nn.Linear(3, 6)
    out, _ = rnn(embedding(tr.tensor([[1, 4, 2]])))
    tagger = tr.nn.functional.cross_entropy(head(out).reshape(-1, 6), tr.tensor([0, 1, 0]))
    said = scores_note(tagger, notation)
    assert other in said and "targetₜ" not in said.replace(other, ""), said


@pytest.mark.parametrize("backward", [False, True])
def test_a_cs224n_stacked_figure_says_what_layer_2s_w_e_reads_and_whose_b2_is(backward):
    """CS224N's 2-layer figures named layer 2's input weight W_e^[2] (W_e: the weight on the embedding e⁽ᵗ⁾, which
    layer 2 never reads) and drew the output bias b₂ beside layer 2's b₁^[2]. A key line now says both."""
    from tinygrad_rnn.cli import language_model_loss
    from tinygrad_rnn.viz.graph import build_picture
    from tinygrad_rnn.viz.notation import resolve

    def drawn(layers: int) -> tuple[str, list[str]]:
        picture = build_picture((language_model_loss("lstm", steps=3, layers=layers)[0],), level="cell",
                                backward=backward, notation=resolve("cs224n"))
        names = [node.label for node in picture.nodes] + [name for node in picture.nodes for name in node.parameters]
        return " ".join(names), picture.notes

    labels, notes = drawn(2)
    assert "W_e^[2]" in labels and "W_e^[2] reads h^[1]⁽ᵗ⁾, not e⁽ᵗ⁾" in notes, (labels, notes)
    assert "b₂: the output bias, not layer 2's" in notes, notes
    _, one_layer = drawn(1)
    assert not any("reads h^[" in note or "not layer 2's" in note for note in one_layer)  # (said where it is drawn)
