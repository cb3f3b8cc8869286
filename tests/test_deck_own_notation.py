"""Each deck in its lecture's own notation: one mark for whose a tensor is (CS224N's brackets on states and weights
alike), each decoder state named where the head reads it. Every slide is read from deck_slides.py's cache (drawn
once per run)."""

import re
import xml.etree.ElementTree as ElementTree

import pytest
from deck_slides import deck_slide
from written import flat

from tinygrad_rnn.viz.chains import module_marks
from tinygrad_rnn.viz.notation import resolve


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
