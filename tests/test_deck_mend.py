"""The deck's slides as a lecturer read them (issue #34, item 4): each symbol a slide writes is one it defines,
in its own notation."""

import re

import pytest
from test_deck_review import figure_texts, slide, words  # (the review's readers of a slide)

from tinygrad_rnn.viz import deck_graph_slides


@pytest.mark.parametrize("notation, said", [("pytorch", "(1/2)(ŷt − onehot(xt+1))"),
                                            ("cs224n", "(1/2)(ŷ(t) − onehot(x(t+1)))"),
                                            ("elman", "(1/2)(ŷt − onehot(xt+1))")])
def test_the_bptt_slide_compares_the_prediction_with_the_next_word_not_an_undefined_y(notation, said):
    """Slide 04's note read ∂J/∂sₜ = (1/2)(ŷₜ − yₜ): no slide defines yₜ, and slides 12–13 use y for the decoder's
    input words. The language model's target is the next word, written in the slide's own notation."""
    text = words(slide(deck_graph_slides.bptt, notation=notation))
    assert said in text, text
    assert " yt" not in text and "y(t)" not in text.replace("ŷ(t)", ""), text


@pytest.mark.parametrize("notation", ["pytorch", "cs224n", "elman"])
def test_the_encoder_decoder_slides_never_write_two_indices_side_by_side(notation):
    """CS224N's slides 12–13 wrote e⁽ᵉ⁾⁽¹⁾ = embedding: e, its embedding's letter, as the encoder's mark, and two
    parenthesised superscripts side by side (read as a product or a second index). Where the time is above, each
    module is marked by a word under the symbol, e_enc⁽¹⁾; where it is below, the mark is the one index above."""
    for make in (deck_graph_slides.encoder_decoder, deck_graph_slides.generation):
        labels = figure_texts(slide(make, notation=notation))
        assert not any(re.search(r"\)\(", label) for label in labels), labels  # no h⁽ᵃ⁾⁽¹⁾
        if notation == "cs224n":
            assert not any(re.search(r"\((e|d)\)", label) for label in labels), labels
        drawn = {"cs224n": "henc(0)"}.get(notation, "h0(e)")
        assert make is deck_graph_slides.generation or drawn in labels, labels
