"""Every slide of the deck, drawn once per test run for each cell and notation, with the figures drawn on it.

test_deck_every_slide.py, test_lecture_text.py, test_deck.py and test_figure_scripts.py each check every slide
of some decks; drawing the same slide again in each file took seconds of the suite for the same SVG text. A
slide is a function of its cell and notation alone (its models are seeded), so each file reads it from here.
A test that patches what a slide is drawn with (test_deck_review.py) draws its own slide, never this one.
"""

from __future__ import annotations

import functools

from tinygrad_rnn.viz import deck_lecture, lecture_deck
from tinygrad_rnn.viz.notation import resolve

CELLS = tuple(deck_lecture.CELLS)  # ("rnn", "lstm", "gru")
# the perplexity slide trains its models whatever the cell and notation: test_deck.py draws it, in a deck
SLIDES = {name: make for name, make in lecture_deck.SLIDES if name != "14-perplexity"}


@functools.cache
def deck_slide(cell: str, notation: str, name: str) -> tuple[str, list]:
    """Slide ``name`` of the ``cell`` deck in ``notation``: its SVG, and each figure it drew as
    ``Lecture.figure`` returned it (the figure's SVG and its notes)."""
    figures, original = [], deck_lecture.Lecture.figure

    def recorded(self, loss, **options):
        figures.append(original(self, loss, **options))
        return figures[-1]

    deck_lecture.Lecture.figure = recorded
    try:
        svg = SLIDES[name](deck_lecture.Lecture(cell, resolve(notation)))
    finally:
        deck_lecture.Lecture.figure = original
    return svg, figures


def deck_slides(cell: str, notation: str) -> dict[str, str]:
    """Every slide's SVG (the perplexity slide's aside) of the ``cell`` deck in ``notation``, by name."""
    return {name: deck_slide(cell, notation, name)[0] for name in SLIDES}
