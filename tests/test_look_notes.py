"""A lecturer's notes on the cs224n deck, page and figures (issue #34, items 1, 2, 8, 9): one name for each tensor
across a deck, the preset's time notation in every key, and notes that say what a setting does."""

import pytest
from test_deck_review import slide, words  # (the review's readers of a slide)

from tinygrad_rnn.viz import deck_graph_slides, deck_measured_slides


@pytest.mark.parametrize("notation, bias, rows", [("cs224n", "[bhh]n", "[Wh h(t−1) + bhh]n"),
                                                  ("usc", "[bhh]n", "[U ht−1 + bhh]n"),
                                                  ("pytorch", "bhn", "(Whn ht−1 + bhn)")])
def test_the_clipping_slide_names_the_grus_bias_as_the_gru_slide_does(notation, bias, rows):
    """CS224N's slide 14 said "Not so a GRU's b_hn, inside r ⊙ (W_hn h + b_hn)": PyTorch's W_hn and b_hn, which no
    slide of that deck defines, where its slide 08 writes the same rows [W_h h⁽ᵗ⁻¹⁾ + b_hh]ₙ. Now slide 14 writes
    them as slide 08 does in each notation (PyTorch's own: W_hn h_{t−1} + b_hn on both)."""
    clipping = words(slide(deck_measured_slides.clipping, notation=notation))
    gru = words(slide(deck_graph_slides.gru_cell, notation=notation))
    assert f"Not so a GRU's {bias}, inside r ⊙ {rows}." in clipping, clipping
    assert f"r ⊙ {rows}" in gru, gru
