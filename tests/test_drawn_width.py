"""The width the layout reserves for a line of text (geometry.drawn_width, from font.py's advances) against the width
a browser draws it: node labels with scripts (h₀⁽¹→⁾, W_hh), long BPTT labels ((∂(h₂, c₂)/∂h₁)ᵀ ∂J/∂(h₂, c₂)),
the lines of a Σ, loop names, row names, measured in Chromium on the SVG as the library writes it. A box or a gap
sized from a width that falls short holds a label wider than itself: it runs over its box's border or into what
stands next to it. Skips without Chromium (Debian's ``chromium``) or Playwright."""

import shutil

import pytest
from test_slide_figures import DOCS

from tinygrad_rnn.viz.geometry import FONT_SIZE, LABEL_SIZE, drawn_width
from tinygrad_rnn.viz.graph import build_picture
from tinygrad_rnn.viz.layout import labelled_layout
from tinygrad_rnn.viz.svg import picture_to_svg

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (tests/setup.sh installs it)")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is missing (tests/setup.sh installs it)")

# scripts both ways and arrows (the stacked bidirectional LSTM), long BPTT labels and Σ lines (the language model's
# BPTT, the LSTM's), loop names (rolled), op-level names (the GRU's 1 − z_t, ⊙)
FIGURES = ["lstm_stacked_bidirectional", "language_model_bptt", "lstm_backward_cell", "lstm_rolled", "gru_op",
           "rnn_backward"]
SHORT_BY_AT_MOST = 0.03  # of the drawn width: a box or gap sized from the estimate may be this much too narrow
WIDER_BY_AT_MOST = 0.08  # … and this much too wide (room a slide's figure spends on nothing)

# every line's width in the browser: each node's lines (by data-index), each arrow's label (after its path, by the
# edge's number; a loop's after its own), the row names and notes
MEASURE = """() => {
  const lines = text => { const each = [...text.children].filter(span => span.hasAttribute('x'));
                          return (each.length ? each : [text]).map(line => line.getComputedTextLength()); };
  const edges = {}, loops = [];
  for (const label of document.querySelectorAll('text.edge-label')) {
    const path = label.previousElementSibling;
    if (path.classList.contains('loop')) loops.push(lines(label)); else edges[path.id.split('-e')[1]] = lines(label);
  }
  return {nodes: [...document.querySelectorAll('g.node')].map(node => lines(node.querySelector('text'))),
          edges, loops, notes: [...document.querySelectorAll('text.note')].map(note => note.getComputedTextLength())};
}"""


def lines_and_widths(page, name: str) -> list[tuple[str, float, float]]:
    """(a line of ``name``'s text, its width as the layout reserves it, as Chromium draws it) for every line."""
    _, make_loss, options = next(figure for figure in DOCS if figure[0] == name)
    picture = build_picture((make_loss(),), **{k: v for k, v in options.items() if k != "path"})
    labels, placed = labelled_layout(picture)
    page.set_content(picture_to_svg(picture, placed, labels, "f", figure=True))
    drawn = page.evaluate(MEASURE)
    found = [(line, drawn_width([line], FONT_SIZE), width)
             for label, widths in zip(labels, drawn["nodes"]) for line, width in zip(label.split("\n"), widths)]
    for k, ((_, _, label), route) in enumerate(zip(picture.edges, placed.routes)):
        if str(k) in drawn["edges"]:
            found += [(line, drawn_width([line], LABEL_SIZE), width)
                      for line, width in zip(route.label_lines or [label], drawn["edges"][str(k)])]
    for (_, state, route), widths in zip(placed.loops, drawn["loops"]):
        found += [(line, drawn_width([line], LABEL_SIZE), width) for line, width in zip(route.label_lines or [state],
                                                                                       widths)]
    found += [(text, drawn_width([text], FONT_SIZE), width) for (text, _, _), width in zip(placed.texts,
                                                                                          drawn["notes"])]
    return found


@pytest.fixture(scope="module")
def measured(browser) -> dict[str, tuple[float, float]]:
    """Every distinct line of the figures: (the layout's width, Chromium's), in a page of conftest.py's browser."""
    page = browser.new_page()
    found = {line: (estimate, width) for name in FIGURES for line, estimate, width in lines_and_widths(page, name)
             if line.strip()}
    page.close()
    return found


def test_the_sample_holds_the_lines_that_bind_a_figure(measured):
    lines = list(measured)
    assert len(lines) >= 40, lines
    assert any("⁽" in line or "^" in line for line in lines), lines  # a superscript (a layer, a direction)
    assert any(line.startswith("Σ") for line in lines), lines
    assert any(len(line) >= 20 and "∂" in line for line in lines), lines  # a long BPTT label


def test_no_line_is_drawn_wider_than_the_layout_reserves(measured):
    short = {line: (round(estimate, 1), round(width, 1)) for line, (estimate, width) in measured.items()
             if estimate < (1 - SHORT_BY_AT_MOST) * width}
    assert not short, f"reserved, drawn: {short}"


def test_the_layout_reserves_little_more_than_is_drawn(measured):
    wide = {line: (round(estimate, 1), round(width, 1)) for line, (estimate, width) in measured.items()
            if estimate > (1 + WIDER_BY_AT_MOST) * width + 0.5}
    assert not wide, f"reserved, drawn: {wide}"
