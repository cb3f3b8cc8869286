"""8-step lecture pages in Chromium: the unrolled stage framed (the row at 1,920 × 1,080; at 1,280 × 720 the steps it
names from x_t to their heads), and the sums stage's every drop into the Σ at the page's 24 px
(test_lecture_browser.py's helpers, conftest.py's browser; skipped where Chromium or Playwright is missing, as
there)."""

import re

import pytest
from test_lecture_browser import (
    DROPS_IN_VIEW,
    FRAME,
    GEOMETRY,
    SHOWN_NAMES,
    STEPS_SAID_AND_SHOWN,
    go_to,
    open_page,
    settle,
)

from tinygrad_rnn import cli


@pytest.fixture(scope="module")
def lstm_in_cs224n(tmp_path_factory):
    """``tinygrad-rnn lecture --cell lstm --notation cs224n``: 8 steps, J = Σ h_T, c⁽ᵗ⁾ and h⁽ᵗ⁾ between its cells."""
    path = tmp_path_factory.mktemp("fit20") / "lstm.html"
    assert cli.main(["lecture", "--cell", "lstm", "--notation", "cs224n", "-o", str(path)]) == 0
    return path


def test_an_lstm_rows_unrolled_stage_and_sums_at_24_px(browser, lstm_in_cs224n):
    """The unrolled stage showed steps 1–2 of 8 in a box with room for 7 (the padded cells and the c⁽ᵗ⁾, h⁽ᵗ⁾ labels
    between them ran together, and the window's right side stepped back over all of them); the sums stage, its Σ
    beside the row, was 22.8 px. Now 7 steps whole, and every drop into the Σ over the row at 24 px."""
    page, problems = open_page(browser, lstm_in_cs224n, 1920, 1080, motion="reduce")
    panel = page.evaluate("JSON.parse(document.querySelector('script.tgr-data').textContent)")["panels"][0]
    go_to(page, 2)
    settle(page)
    said, whole = page.evaluate(STEPS_SAID_AND_SHOWN, panel["cells"])
    assert said == [1, 7] and whole == list(range(1, 8)), (said, whole)
    assert page.evaluate(GEOMETRY)["figureText"] >= 24
    go_to(page, len(panel["stages"]))
    settle(page)
    drops = page.evaluate(DROPS_IN_VIEW)
    assert sorted(drops, key=lambda label: int(re.sub(r"\D", "", label))) == [f"t={t}" for t in range(1, 9)]
    found = page.evaluate(GEOMETRY)
    assert found["figureText"] >= 24 and found["scroll"] == [0, 0] and not found["outside"], found
    assert problems == []


# Of the given nodes, those whole in the figure's window, by index
WHOLE_IN_VIEW = """(indices) => {""" + FRAME + """
  return indices.filter((i) => inFrame(svg.querySelector(`[data-index="${i}"]`).getBoundingClientRect()));
}"""


def test_an_8_step_language_models_unrolled_stage_at_1280_is_framed_as_a_4_step_ones(browser, tmp_path):
    """At 1,280 × 720 the unrolled stage of ``lecture --loss every --tokens "a b c d e f g h i"`` showed a bare row of
    cells, every other row cut by the window's edge (e₆ and J₆ wider than cell 6) and clipped away, empty above and
    below: as a 4-step page's, steps 1 and 2, which its text names, stand whole from x_t with its word up to the head,
    the row around them, at the page's text size."""
    path = tmp_path / "lm.html"
    assert cli.main(["lecture", "--loss", "every", "--tokens", "a b c d e f g h i", "-o", str(path)]) == 0
    page, problems = open_page(browser, path, 1280, 720, motion="reduce")
    panel = page.evaluate("JSON.parse(document.querySelector('script.tgr-data').textContent)")["panels"][0]
    go_to(page, 2)
    settle(page)
    named = panel["stages"][1]["named"]
    heads = [min(panel["above"][t], key=lambda i: panel["nodes"][i]["name"].startswith("J")) for t in ("1", "2")]
    assert page.evaluate(WHOLE_IN_VIEW, named + heads) == named + heads
    shown = page.evaluate(SHOWN_NAMES)
    assert {"x₁", "x₂", "e₁", "e₂"} <= {re.sub(r"<[^>]+>", "", name).split(" ")[0] for name in shown}, shown
    said, whole = page.evaluate(STEPS_SAID_AND_SHOWN, panel["cells"])
    assert said[0] == 1 and len(whole) >= 4, (said, whole)
    found = page.evaluate(GEOMETRY)
    assert found["scroll"] == [0, 0] and not found["outside"] and found["figureText"] >= found["page"] - 0.05, found
    assert problems == []


# Each node's and each label's span across the figure (its left and right, in the figure's units), as the window's
# sides see them (lecture_fit.js, ``wholeBoxes``), and the page's pads around them (``tinygradRnnPads``)
SPANS_AND_PADS = """(cases) => {
  const svg = [...document.querySelectorAll('.tgr-lecture .figure svg')].find((s) => s.getClientRects().length);
  const spans = [...svg.querySelectorAll('.node rect, text')].map((e) => e.getBBox()).filter((b) => b.width > 0)
    .map((b) => [b.x, b.x + b.width]);
  return [spans, [spans, ...cases].map((each) => tinygradRnnPads(each, 4))];
}"""


def test_the_page_and_an_exported_stage_pad_the_nodes_alike(browser, lstm_in_cs224n):
    """The page's window pads a node (and a label) where two stand closer than two pads only to the middle of their
    gap, and the exported stage's padded each fully, so a side moved past one landed in the next and stepped over it
    (the page's unrolled LSTM showed 2 of its 8 steps so): one rule now, stage_window.padded_spans and the page's
    tinygradRnnPads alike on this figure's row and on spans that touch, overlap and nest."""
    from tinygrad_rnn.viz.stage_window import PAD, _whole_nodes, padded_spans

    page, problems = open_page(browser, lstm_in_cs224n, 1920, 1080, motion="reduce")
    go_to(page, 2)
    cases = [[[0, 10], [14, 20], [40, 50]], [[0, 10], [10, 20]], [[0, 30], [5, 12], [31, 40]], [[5, 9]]]
    spans, padded = page.evaluate(SPANS_AND_PADS, cases)
    for each, page_padded in zip([spans, *cases], padded):
        python_padded = padded_spans([tuple(span) for span in each], PAD)
        assert [v for pair in python_padded for v in pair] == pytest.approx([v for pair in page_padded for v in pair])
    assert any(high - low < 2 * PAD for (_, low), (high, _) in zip(sorted(spans), sorted(spans)[1:]) if high > low)
    assert _whole_nodes(50.0, 200.0, 0.0, 300.0, [(40.0, 60.0), (66.0, 90.0)], (100.0, 150.0))[0] == 63.0
    assert problems == []
