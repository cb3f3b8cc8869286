"""Three of the deck's slides as a lecturer read them (issue #34): names stacked where two lines cross (slide 09),
two lines of opposite direction side by side and a line across an arrowhead (slides 08 and 13), and the LSTM's
cell state on one line (slide 07). Each is measured on every slide of every deck (cell × notation), as drawn."""

from __future__ import annotations

import pytest
from deck_slides import SLIDES, deck_slide
from drawn_lines import crossings, point_gap, read

from tinygrad_rnn.viz import deck_lecture
from tinygrad_rnn.viz.geometry import LABEL_LINE
from tinygrad_rnn.viz.label_placement import NEAR
from tinygrad_rnn.viz.notation import PRESETS

DECKS = [(cell, notation) for cell in deck_lecture.CELLS for notation in PRESETS]


def figures(cell: str, notation: str):
    """(slide, figure SVG) for every figure of the deck's slides."""
    return [(name, svg) for name in SLIDES for svg, _ in deck_slide(cell, notation, name)[1]]


def names_stacked_at_a_crossing(figure_svg: str) -> list[tuple[str, str, float]]:
    """Pairs of names of two arrows whose lines cross, one name over the other less than a line apart, with the
    crossing within NEAR points of them: (name, name, the gap between them). A student reads such a pair as one
    arrow's name in two lines (h₁⁽¹→⁾ over h₁⁽²→⁾ where layer 1's line up crosses layer 2's arrow)."""
    arrows = [arrow for arrow in read(figure_svg)[0] if arrow.name_box is not None]
    found = []
    for k, first in enumerate(arrows):
        for second in arrows[k + 1:]:
            a, b = first.name_box, second.name_box
            if (first.tail, first.name) == (second.tail, second.name) or min(a[2], b[2]) <= max(a[0], b[0]):
                continue  # (one state forking: named once) (side by side, not one over the other)
            apart = max(a[1] - b[3], b[1] - a[3])
            if apart < LABEL_LINE and any(min(point_gap(a, at), point_gap(b, at)) < NEAR
                                          for at in crossings(first, second)):
                found.append((first.name, second.name, round(apart, 1)))
    return found


def test_names_stacked_at_a_crossing_are_found():
    """The measure, on two arrows that cross with their names one over the other, and apart by a line."""
    arrow = '<path class="edge" data-tail="{}" data-head="9" d="{}"/>'
    name = '<text class="edge-label" x="{}" y="{}">h<tspan dy="0.25em" font-size="80%">{}</tspan></text>'
    up, across = arrow.format(0, "M0,100 L0,0"), arrow.format(1, "M-40,50 L40,50")
    svg = '<svg xmlns="http://www.w3.org/2000/svg">{}</svg>'
    assert names_stacked_at_a_crossing(svg.format(up + name.format(12, 40, 1) + across + name.format(14, 47, 2))) \
        == [("h1", "h2", -2.5)]
    assert names_stacked_at_a_crossing(svg.format(up + name.format(12, 20, 1) + across + name.format(14, 47, 2))) \
        == []


@pytest.mark.parametrize("cell, notation", DECKS)
def test_no_two_arrows_names_stand_one_over_the_other_where_their_lines_cross(cell, notation):
    """Slide 09: layer 1's h₁⁽¹→⁾, up to layer 2's reverse row, crosses layer 2's h₁⁽²→⁾ between the cells t=1 and
    t=2, and the two names stood there one over the other, 1.6 points apart: one arrow with two names. Each name
    now sits by its own line, a line clear of the other's where the two cross (label_placement._score)."""
    for name, svg in figures(cell, notation):
        assert names_stacked_at_a_crossing(svg) == [], name
