"""The lecture page's equations in a real browser (Debian's Chromium, as test_lecture_browser.py drives it): their
text on a 1,280 × 720 projector at every stage, and their scripts set on their bases at 1,920 × 1,080 — "W ih e t",
the subscript hanging detached, read as two symbols."""

import pytest
from test_lecture_browser import browser, go_to, open_page, read_at, settle  # noqa: F401  (browser: the module's fixture)

from tinygrad_rnn import cli

TOKENS = "the students opened their books"


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """``tinygrad-rnn lecture --cell CELL --loss every --tokens "the students opened their books"``, each cell, and the
    LSTM's in CS224N's notation (``--notation cs224n``), whose h⁽ᵗ⁾ set its lines wider and taller."""
    folder = tmp_path_factory.mktemp("math")
    options = {"lstm": [], "gru": [], "rnn": [], "lstm-cs224n": ["--notation", "cs224n"]}
    for name, more in options.items():
        argv = ["lecture", "--cell", name.split("-")[0], "--loss", "every", "--tokens", TOKENS, *more,
                "-o", str(folder / f"{name}.html")]
        assert cli.main(argv) == 0
    return {name: folder / f"{name}.html" for name in options}


# The equation's text (its <math> element's, as the lecturer measured it) and its smallest script, in px, beside the
# page's own text size.
EQUATION_PX = """() => {
  const root = document.querySelector('.tgr-lecture'), math = root.querySelector('.equation math');
  const shown = [...math.querySelectorAll('mi, mn, mo, mtext')].filter((e) => e.getClientRects().length);
  return {math: parseFloat(getComputedStyle(math).fontSize), page: parseFloat(getComputedStyle(root).fontSize),
          scripts: Math.min(...shown.map((e) => parseFloat(getComputedStyle(e).fontSize)))};
}"""


def equation_sizes(page, pages):
    """(cell, stage, the equation's px, its smallest script's px, the page's px) at every stage of every page."""
    sizes = []
    for cell, path in pages.items():
        page.goto(path.resolve().as_uri())
        stages = len(page.evaluate("JSON.parse(document.querySelector('script.tgr-data').textContent)")
                     ["panels"][0]["stages"])
        for stage in range(1, stages + 1):
            [found] = read_at(page, stage, EQUATION_PX, frames=2)  # (as settle: two frames after the stage)
            sizes.append((cell, stage, round(found["math"], 1), round(found["scripts"], 1), found["page"]))
    return sizes


def test_at_1280_every_stages_equation_is_as_large_as_the_pages_text(browser, pages):  # noqa: F811
    """What docs/lecture.md's 18.8 px at 1,280 wide means for the equations: none under the page's text, their scripts
    at 0.8 of it. An LSTM's backward stages were at 15.6–17.7 px, a GRU's 17.1–18.3, a tanh RNN's 18.3 (once
    15.5–17.5, their scripts 11.0–12.4): their lines were too wide for the column beside the figure. Now a line too
    wide goes on, indented, in a row of its own at a mark where it reads on, the column is 45 % of the page's width
    (it was 40 %), and the bars under it are 5 lines tall (7): every stage's equation at 18.8 px or more. In CS224N's
    notation an LSTM's t = 1 was at 17.8 px (16.9 with the row that says what the lit h arrow carries), its sums at
    17.5: going back the colour scale's lines now run under the figure too (two lines the column beside it lost),
    and the sums' "(term t: ∂J/∂e⁽ᵗ⁾ in the column of word x⁽ᵗ⁾)" goes on in a row of its own."""
    page, problems = open_page(browser, pages["lstm"], 1280, 720, motion="reduce")
    small = [(cell, stage, px, script) for cell, stage, px, script, text in equation_sizes(page, pages)
             if px < text - 0.05 or script < 0.8 * text - 0.05]
    assert small == [], small
    assert problems == []


# Each subscript beside its base, in ems of the base's text: how large it is, how far its box hangs below the base's,
# and the room left after it (MathML's space after a script).
SCRIPTS = """() => {
  const math = document.querySelector('.tgr-lecture .equation math');
  const scripts = [...math.querySelectorAll('msub')].filter((m) => m.getClientRects().length).map((m) => {
    const [base, script] = m.children, size = parseFloat(getComputedStyle(base).fontSize);
    const b = base.getBoundingClientRect(), s = script.getBoundingClientRect(), next = m.nextElementSibling;
    // (after: to the next symbol where it is one that takes no space of its own, an identifier or a number: W_ih e_t)
    const after = next && ['msub', 'msup', 'mi', 'mn'].includes(next.tagName) ?
      (next.getBoundingClientRect().left - s.right) / size : null;
    return {text: m.textContent, size: parseFloat(getComputedStyle(script).fontSize) / size,
            drop: (s.bottom - b.bottom) / size, after, simple: base.tagName === 'mi'};
  });
  return {scripts};
}"""


@pytest.mark.parametrize("cell, stage", [("rnn", 1), ("gru", 3), ("lstm", 8)])
def test_at_1920_the_scripts_sit_on_their_bases(browser, pages, cell, stage):  # noqa: F811
    """h_t = tanh(W_ih e_t + …) at 1,920 × 1,080: the scripts were 0.71 of their line, hung 0.23 of it below their
    base, and left a fifth of the line empty after them (before the e of W_ih e_t) — "W ih e t", "g t ,". Now 0.8
    of the line, 0.2 below at most, a tenth after."""
    page, problems = open_page(browser, pages[cell], 1920, 1080, motion="reduce")
    go_to(page, stage)
    settle(page)
    found = page.evaluate(SCRIPTS)
    simple = [s for s in found["scripts"] if s["simple"]]  # (a base of its own: not ∂J/∂W_hh|_(t)'s bar)
    assert simple, found
    assert all(s["size"] >= 0.8 - 0.005 for s in simple), simple
    assert all(s["drop"] <= 0.2 for s in simple), [(s["text"], round(s["drop"], 3)) for s in simple]
    followed = [s for s in simple if s["after"] is not None]
    assert followed or cell != "rnn", found  # (W_ih e_t, W_hh h_{t−1})
    assert all(s["after"] <= 0.1 for s in followed), [(s["text"], round(s["after"], 3)) for s in followed]
    assert problems == []
