"""The deck's slides as a lecturer read them (issue #34, item 4): each symbol a slide writes is one it defines,
in its own notation."""

import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from test_deck_review import figure_texts, slide, words  # (the review's readers of a slide)

from tinygrad_rnn.viz import deck_graph_slides, deck_measured_slides
from tinygrad_rnn.viz.legibility import figure_sizes, legible


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
    module is marked by a word raised in brackets, e^[enc]⁽¹⁾, as its weights are (W_e^[enc]); where it is below, the
    mark is the one index above."""
    for make in (deck_graph_slides.encoder_decoder, deck_graph_slides.generation):
        labels = figure_texts(slide(make, notation=notation))
        assert not any(re.search(r"\)\(", label) for label in labels), labels  # no h⁽ᵃ⁾⁽¹⁾
        if notation == "cs224n":
            assert not any(re.search(r"\((e|d)\)", label) for label in labels), labels
        drawn = {"cs224n": "h[enc](0)"}.get(notation, "h0(e)")
        assert make is deck_graph_slides.generation or drawn in labels, labels


def test_the_language_model_has_one_number_of_steps_across_its_slides_or_says_why_not():
    """Slides 03, 04 and 05 drew the same model at T = 4, 2 and 6 (factors 1/4, 1/2, 1/6): the bars of slide 05
    are the language model's 4 steps, and slide 04 says it cut them to 2 to fit."""
    model, sums = words(slide(deck_graph_slides.language_model)), words(slide(deck_measured_slides.weight_sum))
    assert "T = 4" in model and "t = 1 … 4" in sums and "T = 4" in sums and "t = 5" not in sums, sums
    bptt = words(slide(deck_graph_slides.bptt))
    assert "cut from T = 4 to T = 2 steps to fit" in bptt, bptt


def test_the_clipping_slide_says_why_its_two_biases_have_one_gradient():
    """Slide 14's b_ih and b_hh rows both read 25.4, and nothing said why (a GRU's b_hn would differ)."""
    text = words(slide(deck_measured_slides.clipping))
    rows = re.findall(r"b(ih|hh) ([\d.]+) ", text)
    assert len({value for _, value in rows[:2]}) == 1, rows
    assert "bih and bhh have equal gradients: both are added at the same place" in text, text
    assert "Not so a GRU's bhn" in text, text


@pytest.mark.parametrize("notation", ["pytorch", "cs224n"])
def test_the_classifier_draws_every_word_as_docs_lecture_says(notation):
    """docs/lecture.md said CS224N's classifier slide draws t = 3…4 as one "…": it draws all five words."""
    drawn = " ".join(figure_texts(slide(deck_graph_slides.classifier, notation=notation)))
    assert '"to"' in drawn and '"the"' in drawn and "…" not in drawn, drawn
    docs = " ".join((Path(__file__).parents[1] / "docs" / "lecture.md").read_text().split())
    assert "in every notation but CS224N's" not in docs and "in every notation and cell, CS224N's" in docs


@pytest.mark.parametrize("cell, notation, scores", [
    ("rnn", "pytorch", "s1 = linear"), ("rnn", "cs224n", "s(1) = linear"), ("lstm", "elman", "s1 = linear")])
def test_the_language_models_slide_names_its_heads_scores_and_each_losss_target_word(cell, notation, scores):
    """Slide 03 drew "linear t=1" and no words: each head is named by what it computes, the scores s_t that J_t
    reads (ŷ_t = softmax(s_t), as the lines say), and each J_t shows its target, the next word, as the page does."""
    made = slide(deck_graph_slides.language_model, cell=cell, notation=notation)
    labels = figure_texts(made)
    assert scores in labels and not any(label.startswith("linear") for label in labels), labels
    targets = [label for label in labels if "target" in label]
    assert sorted(label.split("target ")[1] for label in targets) == ['"books"', '"opened"', '"students"', '"their"']
    assert "ŷ" in words(made) and "softmax(s" in words(made)
    assert legible(*figure_sizes(ElementTree.tostring(made, encoding="unicode")))
