"""A rolled cell's loops, each named on its own arch: the loops stand side by side on the cell's top, each lower
than the one on its left, and a name stood right of them all at its arch's height, over the lower arches — which
arch it named was a guess (an LSTM's c and h, a lower layer's third). Measured on the library's SVG with the
text's drawn width (not the layout's estimate of it): each name lies nearer its own arch than any other line.
And the arches stand in the cell's right half, clear of an arrow into the middle of its top: the gradient from the
layer above came in between the outer arch's legs."""

import re
import xml.etree.ElementTree as ElementTree

import pytest
from test_label_placement import drawn_width, polyline_distance

from tinygrad_rnn.cli import language_model_loss
from tinygrad_rnn.viz.graph import build_picture
from tinygrad_rnn.viz.layout import labelled_layout
from tinygrad_rnn.viz.svg import picture_to_svg

NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def label_box(text) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of a label in SVG points, y downwards: its lines as drawn, centred on x."""
    lines = [span for span in text if span.tag.endswith("tspan") and span.get("y")] or [text]
    half = drawn_width(text) / 2
    x, y = float(text.get("x")), float(text.get("y"))
    return x - half, y - 7.0, x + half, y + 2.5 + 10.0 * (len(lines) - 1)


def rolled_bptt(layers: int) -> str:
    loss, _ = language_model_loss("lstm", 4, layers=layers)
    picture = build_picture((loss,), level="cell", backward=True, rolled=True, slide=True)
    labels, placed = labelled_layout(picture)
    return picture_to_svg(picture, placed, labels, "f", figure=True)


@pytest.mark.parametrize("layers", [1, 2])
def test_each_loop_is_named_on_its_own_arch(layers):
    lines, loops, names = [], [], []
    for element in ElementTree.fromstring(rolled_bptt(layers)):
        classes = (element.get("class") or "").split()
        if element.tag.endswith("path") and "edge" in classes:
            values = [float(v) for v in NUMBER.findall(element.get("d"))]
            lines.append(list(zip(values[0::2], values[1::2])))
            if "loop" in classes:
                loops.append(len(lines) - 1)
        elif element.tag.endswith("text") and "edge-label" in classes and lines and len(lines) - 1 in loops:
            names.append((len(lines) - 1, element))
    assert len(names) == len(loops) == 2 * layers  # c and h: one loop per state of each layer
    for own, text in names:
        box = label_box(text)
        near = sorted((polyline_distance(line, box), k) for k, line in enumerate(lines))
        words = "".join(text.itertext())
        assert near[0][1] == own, f"{words!r}: nearer another line ({near[0][0]:.1f}) than its own arch"
        assert near[0][0] < 3.0 and near[1][0] > near[0][0] + 4.0, (words, near[:2])  # on it, and clear of others


@pytest.mark.parametrize("layers", [1, 2])
def test_an_arrow_into_the_middle_of_a_cell_comes_in_clear_of_its_loops(layers):
    root = ElementTree.fromstring(rolled_bptt(layers))
    paths = [(element.get("class").split(), [float(v) for v in NUMBER.findall(element.get("d"))])
             for element in root if element.tag.endswith("path") and "edge" in (element.get("class") or "")]
    loops = [values for classes, values in paths if "loop" in classes]
    for classes, values in paths:
        if "loop" in classes or values[0] != values[-2]:
            continue  # a vertical line only: an arrow down into (or up from) the middle of a cell's top
        x, bottom = values[0], max(values[1], values[-1])
        for loop in loops:
            legs = sorted((loop[0], loop[-2]))
            arch_top = min(loop[1::2])
            if arch_top < bottom <= max(loop[1::2]) + 6:  # the arrow ends on the cell the loop stands on
                assert not legs[0] - 3 <= x <= legs[1] + 3, f"a line at x={x} between the legs {legs} of a loop"
