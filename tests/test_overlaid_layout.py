"""Forward and backward on one set of nodes (viz/overlaid.py), as a slide draws them: where each weight's Σ stands
beside the first step, and the lines of h₀ and c₀ into it."""

import importlib.util
import pathlib
import re
import xml.etree.ElementTree as ElementTree

import pytest
from test_cli_grid import drawn_figure

from tinygrad_rnn import viz
from tinygrad_rnn.viz.legibility import measure

ROOT = pathlib.Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("lecture_figures", ROOT / "examples" / "lecture_figures.py")
lecture_figures = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lecture_figures)
# a step passes 8 states each way; 16 weights in one Σ; h₀ and c₀ of two layers beside the first step
STEP_LEVEL = dict(cell="lstm", level="step", layers=2, bidirectional=True, loss="last", backward="both",
                  rolled=False, steps=3, notation="pytorch")


def lstm_forward_and_backward(path: pathlib.Path) -> str:
    _, make_loss, options = next(f for f in lecture_figures.figures() if f[0] == "lstm_forward_and_backward")
    return viz.save(make_loss(), path=path, **options).read_text()


# The Σ shared h₀'s and c₀'s column, under them: its bus came down beside the column across both their lines, once
# for every step's term (lstm_forward_and_backward: 6 crossing pairs; the step-level figure: 8). It stands above them.
@pytest.mark.parametrize("figure", ["docs", "step level"])
def test_the_bus_into_a_sigma_crosses_no_line_of_the_initial_states(figure, tmp_path, library_svg, capsys):
    svg = lstm_forward_and_backward(tmp_path / "f.svg") if figure == "docs" else \
        drawn_figure(STEP_LEVEL, tmp_path / "f.svg", capsys)
    assert measure(svg).crossings == 0, measure(svg).crossing_pairs


def boxes_and_lines(svg: str) -> tuple[dict[str, tuple[float, float, float, float]], list[tuple[str, str, list]]]:
    """Each node's box (left, top, right, bottom) by its index, and each edge's (tail, head, points)."""
    boxes, lines = {}, []
    for element in ElementTree.fromstring(svg).iter():
        tag, classes = element.tag.rsplit("}", 1)[-1], (element.get("class") or "").split()
        if tag == "g" and "node" in classes:
            rect = next(child for child in element.iter() if child.tag.endswith("rect"))
            left, top, width, height = (float(rect.get(k)) for k in ("x", "y", "width", "height"))
            boxes[element.get("data-index")] = (left, top, left + width, top + height)
        elif tag == "path" and "edge" in classes:
            points = [tuple(map(float, pair)) for pair in re.findall(r"(-?[\d.]+),(-?[\d.]+)", element.get("d"))]
            lines.append((element.get("data-tail"), element.get("data-head"), points))
    return boxes, lines


# The four lines of h₀ and c₀ rise beside the first step, nested a track apart: about the gap's middle, the innermost
# ran inside the step's box (a step node is as wide as its column) and reached it from within.
def test_no_line_into_a_step_runs_inside_its_box(tmp_path, library_svg, capsys):
    boxes, lines = boxes_and_lines(drawn_figure(STEP_LEVEL, tmp_path / "f.svg", capsys))
    for tail, head, points in lines:
        left, top, right, bottom = boxes[head]
        inside = [(x, y) for x, y in points if left + 1 < x < right - 1 and top + 1 < y < bottom - 1]
        assert not inside, (tail, head, points, boxes[head])
