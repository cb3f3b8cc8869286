"""How much of its slide each deck figure takes: a figure is as large as the slide's free area lets
it be (it spans the body's width, or the body's height with the text beside or under it), so the
blank left on a slide is the drawing's own shape, not the slide's placement of it.

Measured at 1,920 × 1,080 (default deck, --cell gru, --notation cs224n): every figure reaches the
free area's edges in one dimension, and the figures' smallest text is 26.0–33.5 px on slides 03, 04
and 07–13 (42.2–52.5 px on 01 and 02). Larger text than that needs drawings of another shape (a wide
chain shorter between its steps, an upright cell wider), which no fitting on the slide can give.
"""

import xml.etree.ElementTree as ElementTree

import pytest
from deck_slides import deck_slides
from slide_checks import SVG, figures, standalone

from tinygrad_rnn.viz.slide import FIGURE_MARGIN, HEIGHT, WIDTH

DECKS = [("rnn", "pytorch"), ("gru", "pytorch"), ("rnn", "cs224n")]


def shown(nested: ElementTree.Element, scale: float) -> tuple[float, float, float, float]:
    """(left, top, width, height) of the drawing as the slide shows it: its box, less what ``meet`` leaves
    blank about a drawing of another shape."""
    _, _, box_width, box_height = (float(v) for v in nested.get("viewBox").split())
    width, height = scale * box_width, scale * box_height
    left = float(nested.get("x")) + (float(nested.get("width")) - width) / 2
    top = float(nested.get("y")) + (float(nested.get("height")) - height) / 2
    return left, top, width, height


def lowest_body_text(root: ElementTree.Element) -> float:
    """The baseline of the slide's lowest line of body text (its footer, anchored at the right, aside)."""
    return max((float(text.get("y")) for text in root.findall(SVG + "text") if text.get("text-anchor") != "end"),
               default=0.0)


@pytest.mark.parametrize("cell, notation", DECKS)
def test_every_figure_fills_the_free_area_of_its_slide_in_one_dimension(cell, notation):
    for name, svg in deck_slides(cell, notation).items():
        root = standalone(svg)
        bottom = HEIGHT - (56 if root.find(f"{SVG}text[@text-anchor='end']") is not None else 32)
        for nested, scale in figures(root):
            left, top, width, height = shown(nested, scale)
            spans_the_width = width >= 0.99 * (WIDTH - 2 * FIGURE_MARGIN)
            # the text under it or beside it: the drawing, or the text under it, reaches the body's bottom
            reaches_the_bottom = max(top + height, lowest_body_text(root) + 30) >= bottom - 1
            assert spans_the_width or reaches_the_bottom, (
                f"{cell}, {notation}, {name}: the figure is shown {width:.0f} × {height:.0f} px at ({left:.0f}, "
                f"{top:.0f}); it could grow until it spans the slide's width or reaches y = {bottom}")

