"""The lecture page's equations in a real browser (Debian's Chromium, as test_lecture_browser.py drives it): their
text on a 1,280 × 720 projector at every stage, and their scripts set on their bases at 1,920 × 1,080 — "W ih e t",
the subscript hanging detached, read as two symbols."""

import pytest
from test_lecture_browser import go_to, open_page, read_at, settle

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


def test_at_1280_every_stages_equation_is_as_large_as_the_pages_text(browser, pages):
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
def test_at_1920_the_scripts_sit_on_their_bases(browser, pages, cell, stage):
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


@pytest.fixture(scope="module")
def usc_gru(tmp_path_factory):
    """``tinygrad-rnn lecture --cell gru --notation usc``: the lecturer's page, its candidate written [W x_t + b′]ₙ."""
    path = tmp_path_factory.mktemp("usc") / "gru.html"
    assert cli.main(["lecture", "--cell", "gru", "--notation", "usc", "-o", str(path)]) == 0
    return path


# The equation panel as a slide would set it: how far its first line's text stands inside the panel's top border (in
# the page's ems), the faces and styles its runs are set in, and each script's baseline under its line's (in the
# script's ems: each text box's bottom is its baseline plus its font's descent, the same for every run of one size).
PANEL_TYPE = """() => {
  const root = document.querySelector('.tgr-lecture'), equation = root.querySelector('.equation');
  const runs = [...equation.querySelectorAll('mi, mn, mo, mtext')].filter((e) => e.getClientRects().length);
  const box = (element) => { const range = document.createRange(); range.selectNodeContents(element);
                             return range.getBoundingClientRect(); };
  const page = parseFloat(getComputedStyle(root).fontSize);
  const inside = equation.getBoundingClientRect().top + parseFloat(getComputedStyle(equation).borderTopWidth);
  const drops = [...equation.querySelectorAll('msub')].filter((m) => m.getClientRects().length &&
      /^[^gjpqyŷ|]+$/.test(m.children[0].textContent)).map((m) => [m.textContent,  // (a descender drops its script)
    (box(m.children[1]).bottom - box(m.closest('mtr').querySelector('mi')).bottom) /
      parseFloat(getComputedStyle(m.children[1]).fontSize)]);
  return {top: (Math.min(...runs.map((run) => box(run).top)) - inside) / page, page,
          faces: [...new Set(runs.map((run) => { const style = getComputedStyle(run);
            return `${style.fontFamily} ${style.fontStyle} ${style.textTransform}`; }))], drops};
}"""


def test_the_equation_panel_is_set_as_a_slide_sets_it(browser, usc_gru):
    """The lecturer's finding 12 on ``lecture --cell gru --notation usc``, every stage at 1,280 × 720 and
    1,920 × 1,080: the first line's text stood 0.29 of the page's em inside the panel's top border (it touched
    it), now 0.45 at least (0.50 measured); the runs were set in two faces, serif italic W, x, h (the browser's math
    font) beside sans b′, b″, "t−1", now all in the figures' sans, upright; the n of [·]ₙ hung 0.56 of its size
    lower than every other script, now each script's baseline within 0.1 of the others'. And the page's text grows
    with the window as the figure does: at 3,840 × 2,160 40 px, 1.67 times its 24 at 1,920 (the header, panels and
    bars at 0.83 of the figure's scale), now twice it."""
    near, faces, drops, pages = [], set(), [], {}
    for width, height in ((1280, 720), (1920, 1080)):
        page, problems = open_page(browser, usc_gru, width, height, motion="reduce")
        stages = len(page.evaluate("JSON.parse(document.querySelector('script.tgr-data').textContent)")["panels"][0][
            "stages"])
        for stage in range(1, stages + 1):
            [found] = read_at(page, stage, PANEL_TYPE)
            near += [(width, stage, round(found["top"], 2))] if found["top"] < 0.45 else []
            faces.update(found["faces"])
            drops += [(width, stage, text, round(drop, 2)) for text, drop in found["drops"]]
            pages[width] = found["page"]
        assert problems == []
    assert near == [], near
    assert faces == {"Helvetica, Arial, sans-serif normal none"}, faces
    assert any("]" in text for _, _, text, _ in drops), drops  # ([W x_t + b′]ₙ, [U h_{t−1} + b″]ₙ)
    lowest, highest = max(drops, key=lambda d: d[3]), min(drops, key=lambda d: d[3])
    assert lowest[3] - highest[3] <= 0.1, (lowest, highest)
    page.set_viewport_size({"width": 3840, "height": 2160})  # (the page's text size: the window's, no stage's)
    at_3840 = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.tgr-lecture')).fontSize)")
    assert at_3840 / pages[1920] >= 1.95, (at_3840, pages[1920])


# Each of the equation's rows: its height, and the tops of its brackets [ and ] (a [·]ₙ's)
EQUATION_LINES = """() => [...document.querySelectorAll('.tgr-lecture .equation mtr')].map((row) => ({
  height: row.getBoundingClientRect().height,
  brackets: [...row.querySelectorAll('mo')].filter((mo) => /^[\\[\\]]$/.test(mo.textContent.trim()))
    .map((mo) => mo.getBoundingClientRect().top)}))"""


def test_the_equations_lines_stand_evenly_apart(browser, usc_gru):  # noqa: F811
    """Stage 2's equation (r_t, z_t = σ(·); n_t = tanh([W x_t + b′]ₙ + r_t ⊙ [U h_{t−1} + b″]ₙ); h_t = …) had its first
    two lines closer than the rest: the line of n_t 41.2 px tall, the others 29.2 (1,920 × 1,080), its "]" set 7 px
    under its "[" and the room its lifted ₙ left under the line still taken. Now every line as tall, the brackets
    level."""
    page, problems = open_page(browser, usc_gru, 1920, 1080, motion="reduce")
    go_to(page, 2)
    settle(page)
    lines = page.evaluate(EQUATION_LINES)
    heights = [line["height"] for line in lines]
    assert len(lines) == 3 and max(heights) - min(heights) <= 0.5, heights
    brackets = lines[1]["brackets"]
    assert len(brackets) == 4 and max(brackets) - min(brackets) <= 0.5, brackets
    assert problems == []
