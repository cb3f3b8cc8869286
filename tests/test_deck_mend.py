"""The deck's slides as a lecturer read them (issue #34, item 4): each symbol a slide writes is one it defines,
in its own notation."""

import pytest
from test_deck_review import slide, words  # (the review's readers of a slide)

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
