"""What a lecturer found false or mixed in the notations of the deck and the figures (issue #34), each slide or
figure built alone: the clipping slide's call and numbers, one meaning per bracket, |V| for a vocabulary's size."""

import re
import xml.etree.ElementTree as ElementTree

import numpy
import pytest
from written import flat, printed_value

from tinygrad_rnn.viz import deck_lecture, deck_measured_slides
from tinygrad_rnn.viz.notation import resolve


def slide(make, cell="rnn", notation="pytorch"):
    return ElementTree.fromstring(make(deck_lecture.Lecture(cell, resolve(notation))))


def words(root):
    return " ".join("".join(root.itertext()).split())


def table_rows(text):
    table = text.split("after clipping at τ = 1 ")[1].split(" all together")[0]
    return re.findall(r"(\S+) ([\d.]+) ([\d.]+)", table)


@pytest.mark.parametrize("notation, bias", [("cs224n", "b₁"), ("elman", "b_h"), ("cmu", "b_h"), ("usc", "b")])
def test_the_clipping_slide_shows_the_call_that_ran_and_its_numbers_in_every_notation(notation, bias):
    """Slide 14 in a one-bias notation printed clip_grad_norm_([W_e, W_h, b₁], 1.0) — no b₁ tensor exists — and
    ‖g‖ = 113, which no model ran: it clips model.parameters(), as the default deck does, and prints the same
    numbers, PyTorch's two biases as the parts b′ and b″ of the lecture's b."""
    default, text = words(slide(deck_measured_slides.clipping)), words(slide(deck_measured_slides.clipping,
                                                                             notation=notation))
    assert "tr.nn.utils.clip_grad_norm_(model.parameters(), 1.0)" in text and "clip_grad_norm_([" not in text, text
    rows, pytorch_rows = table_rows(text), table_rows(default)
    assert [name for name, _, _ in rows][2:] == [flat(bias) + "′", flat(bias) + "″"], rows
    assert [numbers for _, *numbers in rows] == [numbers for _, *numbers in pytorch_rows], (rows, pytorch_rows)
    total = re.search(r"all together, ‖g‖ ([\d.]+)", text).group(1)
    assert total == re.search(r"all together, ‖g‖ ([\d.]+)", default).group(1)
    norm = numpy.sqrt(sum(printed_value(before) ** 2 for _, before, _ in rows))
    assert abs(norm - printed_value(total)) <= 0.005 * norm, f"√Σ‖·‖² of the rows is {norm:.3g}, printed {total}"
    model = deck_measured_slides.exploding("rnn")
    ran = numpy.sqrt(sum(float(numpy.sum(p.grad.numpy() ** 2)) for p in model.parameters()))
    assert abs(ran - printed_value(total)) <= 0.005 * ran, (ran, total)
    parts = f"{flat(bias)} = {flat(bias)}′ + {flat(bias)}″"
    assert parts in text, text  # the footnote says what b′ and b″ are
