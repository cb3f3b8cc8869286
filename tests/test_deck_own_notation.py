"""Each deck in its lecture's own notation: one mark for whose a tensor is (CS224N's brackets on states and weights
alike), each decoder state named where the head reads it, CMU's key line in two sentences with the model's bias in
its equation, each lecture's own form of ∂J/∂W_hh on slide 05 where it writes one, and the LSTM's g called the
candidate, not a gate. Every slide is read from deck_slides.py's cache (drawn once per run)."""

import re
import xml.etree.ElementTree as ElementTree

import pytest
from deck_slides import deck_slide
from written import flat

from tinygrad_rnn.viz.chains import module_marks
from tinygrad_rnn.viz.lecture_stages import local_jacobian
from tinygrad_rnn.viz.notation import resolve


def slide_text(cell: str, notation: str, name: str) -> str:
    """A slide's words as read, its tspans joined (scripts inline: h⁽ᵗ⁾ reads "h(t)")."""
    return " ".join("".join(ElementTree.fromstring(deck_slide(cell, notation, name)[0]).itertext()).split())


def labels(svg: str) -> list[str]:
    """Each text a figure draws, its scripts run into their base (h^[dec]⁽¹⁾ reads "h[dec](1)")."""
    return ["".join(ElementTree.fromstring(text).itertext()).strip()
            for text in re.findall(r"<text\b.*?</text>", svg, flags=re.S)]


@pytest.mark.parametrize("notation", ["cs224n", "elman"])
@pytest.mark.parametrize("name, steps", [("12-encoder-decoder", 3), ("13-generation", 2)])
def test_the_encoder_decoder_marks_whose_a_state_is_as_its_weights_and_names_each_decoder_state(notation, name,
                                                                                               steps):
    """CS224N's slides 12–13 marked the module under the states (h_enc⁽¹⁾) and raised in brackets on the weights
    (W_h^[enc]), beside slide 09's h^[2→]⁽²⁾: now h^[enc]⁽¹⁾ beside W_h^[enc]. And the decoder's h⁽¹⁾, h⁽²⁾ left
    their cell twice (to the next step, up to its scores) but were named once, the riser to s⁽¹⁾ bare, where the
    Elman deck's names each: a state's name, wider than the gap between its two lines, was taken for a fork's."""
    lecture = resolve(notation)
    marks = module_marks({"encoder", "decoder"}, lecture.module_letters)
    (figure, _), = deck_slide("rnn", notation, name)[1]
    drawn = labels(figure)
    for module, mark in marks.items():
        state = flat(lecture.at_step("h", "1", mark))
        assert state in drawn, (module, state, drawn)
        if notation == "cs224n":
            assert state == f"h[{mark}](1)" and flat(f"W_h{lecture.marked(mark)}") == f"Wh[{mark}]"
    for t in range(1, steps + 1):  # each but the last to the next step and up to its head; the last up only
        state = flat(lecture.at_step("h", str(t), marks["decoder"]))
        assert drawn.count(state) == (2 if t < steps else 1), (t, state, drawn)


@pytest.mark.parametrize("name", ["01-rolled", "02-unrolled", "07-lstm-cell", "10-classifier"])
def test_cmus_lstm_key_line_says_whose_the_bias_is_then_the_gates_with_it(name):
    """"b_h = bias_ih + bias_hh, PyTorch's two biases: the lecture writes no bias, i, f, g, o = σ, σ, tanh, σ of
    (W_hh h_{t−1} + W_xh x_t)" ran two clauses together and left out the b_h every cell names; CMU writes no LSTM, so
    the equation is this model's, bias and all."""
    notes = [note for _, notes in deck_slide("lstm", "cmu", name)[1] for note in notes]
    said = [note for note in notes if "writes no bias" in note]
    assert len(said) == 1, notes
    assert said[0].endswith("; CMU writes no bias. Here i, f, g, o = σ, σ, tanh, σ of "
                            "(W_hh h_{t−1} + W_xh x_t + b_h)"), said
    opening = "b_h = b_h′ + b_h″ (PyTorch's bias_ih, bias_hh)" if name == "07-lstm-cell" else \
        "b_h = bias_ih + bias_hh, PyTorch's two biases"
    assert said[0].startswith(opening), said


@pytest.mark.parametrize("notation, form", [
    ("cs224n", "as CS224N writes it, one loss at a time: ∂J^(t)/∂W_h = Σ_{i≤t} ∂J^(t)/∂W_h|_(i)"),
    ("usc", "as USC writes it: δhₜ/δhₜ₋₁ = tanh′(·) · W_h, “the same parameter over and over”"),
    ("elman", None)])  # (OSU's Elman lecture writes no form of its own)
def test_slide_05_gives_each_lecture_its_own_form_of_the_sum(notation, form):
    """CMU's deck had its "as CMU writes it" line on slide 05; CS224N's per-loss Σ_{i≤t} and USC's δh_t/δh_{t−1}
    were nowhere. Each is under the slide's Σ, before the bars are said."""
    text = slide_text("rnn", notation, "05-weight-sum")
    if form is None:
        assert "writes it" not in text, text
        return
    assert flat(form) in text, text
    assert text.index(flat("= Σ_t ∂J/∂")) < text.index(flat(form)) < text.index("one term per step t = 1"), text


def test_the_lstms_g_is_the_candidate_not_a_gate():
    """Slide 06 (and the page's backward stage, the same words) said "the gates i_t, f_t, g_t": g is tanh's
    candidate, as slide 07 writes it."""
    text = slide_text("lstm", "cmu", "06-vanishing")
    assert flat("the gates i_t, f_t and the candidate g_t") in text and flat("f_t, g_t") not in text, text
    assert "The LSTM cell: three gates and a candidate" in slide_text("lstm", "cmu", "07-lstm-cell")
    page = "".join(re.sub(r"<[^>]+>", "", part) for part in local_jacobian("lstm", "6", "5", "W_hh")[1]).replace(
        "\xa0", " ")
    assert "the gates i6, f6 and the candidate g6)" in page, page
