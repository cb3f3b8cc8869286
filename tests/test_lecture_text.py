"""What a class reads, for every cell and every notation: the lecture page (its data and figures), each
exported stage and each slide of the deck write the lecture's notation — h₇, h⁽⁷⁾, W with hh lowered —
never code's h_7, h_{t−1}, x**2; and every slide of every deck is legible on a 1,920 × 1,080 slide.

Each page and deck is built once (a module fixture): fifteen of each take seconds.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree

import pytest
from deck_slides import deck_slides
from slide_checks import SLIDE_TEXT_PX, slide_text_sizes, standalone
from written import as_written, svg_written

import tinygrad_rnn as tr
from tinygrad_rnn import viz
from tinygrad_rnn.viz.export import stage_slides
from tinygrad_rnn.viz.lecture_models import language_model_loss, last_step_loss, layer
from tinygrad_rnn.viz.legibility import figure_sizes
from tinygrad_rnn.viz.notation import PRESETS
from tinygrad_rnn.viz.slide import _title_lines, text_of_html

CELLS, NOTATIONS = ("rnn", "lstm", "gru"), sorted(PRESETS)
SLIDE_LABEL_PX = 28  # a node's label on a slide: larger than the slide's smallest text
CODE = re.compile(r"_|\{|\}|\^|\*\*")  # h_7, h_{t−1}, h^(t), x**2: how a program writes what a lecture sets
# Names that are code by design: PyTorch's functions (a node says it computes cross_entropy), a call the
# slide quotes, and a parameter's own name where the text says it names PyTorch's parameter.
FUNCTIONS = re.compile(r"\b(?:cross_entropy|nll_loss|grad_contributions|clip_grad_norm_|max_length)|\b[hc]_n\[")
PARAMETERS = re.compile(r"\b(?:weight|bias)_(?:ih|hh|hr)(?:_l\d+(?:_reverse)?)?\b")
NAMING = ("PyTorch's", "not summed here")


def code_in(text: str) -> str | None:
    """The code spelling in ``text`` that a lecture would not write, or None."""
    text = FUNCTIONS.sub("", text)
    if any(words in text for words in NAMING):
        text = PARAMETERS.sub("", text)
    found = CODE.search(text)
    return None if found is None else text[max(0, found.start() - 20):found.end() + 20]


def svg_texts(svg: str) -> list[str]:
    """Every <text> of a drawing or slide as it reads (its tspans joined: a lowered script is a script)."""
    root = ElementTree.fromstring(svg)
    return ["".join(t.itertext()) for t in root.iter() if t.tag.rsplit("}", 1)[-1] == "text"]


def html_text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def page_texts(page) -> list[str]:
    """What the page shows: its stage lines, equations, weights' words, tooltips and figures' labels."""
    data = page.data
    texts = [data["title"], *map(html_text, data["words"].values())]
    for panel in data["panels"]:
        texts.append(panel["name"])
        for stage in panel["stages"]:
            texts.append(html_text(stage["text"]))
            texts += ["".join(row.itertext()) for row in ElementTree.fromstring(stage["math"]).iter()
                      if row.tag.endswith("mtr")]
        texts += [html_text(w[key]) for w in panel["weights"] for key in ("html", "sum_html", "bars_html", "grad_html")]
        texts += [html_text(str(node[key])) for node in panel["nodes"]
                  for key in ("name", "op", "scope", "quantity", "gradient_of")]
        texts += svg_texts(panel["svg"]) + svg_texts(panel["rolled_svg"])
    return texts


@pytest.fixture(scope="module")
def pages():
    """A language model's page and its exported stages, for each cell and notation."""
    built = {}
    for cell in CELLS:
        for notation in NOTATIONS:
            loss, _ = language_model_loss(cell, 3)
            built[cell, notation] = viz.lecture(loss, notation=notation)
    return built


@pytest.fixture(scope="module")
def decks():
    """Every slide of the deck for each cell and notation (the perplexity slide, the same for all of them
    and the only slow one, is test_deck.py's), each drawn once for the files that check it (deck_slides.py)."""
    return {(cell, notation): deck_slides(cell, notation) for cell in CELLS for notation in NOTATIONS}


@pytest.mark.parametrize("notation", NOTATIONS)
def test_the_page_and_its_exported_stages_write_the_notation_not_code(pages, notation):
    for cell in CELLS:
        page = pages[cell, notation]
        found = {text: code_in(text) for text in page_texts(page) if code_in(text)}
        assert not found, f"{cell}, {notation}: the page shows {sorted(found.values())[:6]}"
        for name, svg in stage_slides(page):
            found = {text: code_in(text) for text in svg_texts(svg) if code_in(text)}
            assert not found, f"{cell}, {notation}, {name}: {sorted(found.values())[:6]}"


def test_the_sums_stages_title_stays_on_one_line(pages):
    """An exported sums stage's title is one line in every cell and notation (it wrapped, ".grad" alone on the
    second line of a GRU's)."""
    for (cell, notation), page in pages.items():
        sums = page.data["panels"][0]["stages"][-1]
        assert sums["phase"] == "sums"
        assert len(_title_lines(text_of_html(sums["text"]))[1]) == 1, (cell, notation, sums["text"])


def test_a_last_step_loss_page_writes_the_notation_too():
    recurrent = layer("lstm")
    page = viz.lecture(last_step_loss(recurrent, 3), recurrent, notation="cs224n")
    found = [code_in(text) for text in page_texts(page) if code_in(text)]
    assert not found, found
    start = next(s for s in page.data["panels"][0]["stages"] if s["phase"] == "backward")
    assert "h<sup>(3)</sup>" in start["text"] and "h_3" not in start["text"]


@pytest.mark.parametrize("notation", NOTATIONS)
def test_every_deck_slide_writes_the_notation_not_code(decks, notation):
    for cell in CELLS:
        for name, svg in decks[cell, notation].items():
            found = [code_in(text) for text in svg_texts(svg) if code_in(text)]
            assert not found, f"{cell}, {notation}, {name}: {found[:6]}"


def test_the_check_finds_code_spellings():
    assert code_in("Forward, step 7: h_7 from h_6") and code_in("h_{t−1}") and code_in("x**2")
    assert code_in("W_hh") and code_in("weight_hh_l0 is summed")  # a parameter's name, not said to be one
    assert code_in("J₃ = cross_entropy") is None and code_in("not summed here: weight_hh_l1 (layer 2)") is None


@pytest.mark.parametrize("notation", NOTATIONS)
def test_every_slide_of_every_deck_is_legible(decks, notation):
    for cell in CELLS:
        for name, svg in decks[cell, notation].items():
            root = standalone(svg)
            text, label = figure_sizes(svg)
            assert min(slide_text_sizes(root)) >= SLIDE_TEXT_PX, f"{cell}, {notation}, {name}: the slide's own text"
            assert text >= SLIDE_TEXT_PX and label >= SLIDE_LABEL_PX, \
                f"{cell}, {notation}, {name}: figure text {text:.1f} px, labels {label:.1f} px"


def test_the_decoders_inputs_are_written_in_the_notation(decks):
    """y_{t−1}, what the decoder reads at its step t, goes where the lecture writes time: y⁽¹⁾ in CS224N's,
    y₁ in PyTorch's (its step 2 reads y₁; step 1 reads y₀ = [BEGIN])."""
    assert as_written("y⁽¹⁾") in svg_written(decks["rnn", "cs224n"]["12-encoder-decoder"])
    assert as_written("y₁") in svg_written(decks["rnn", "pytorch"]["12-encoder-decoder"])


def test_cmus_loss_is_l_everywhere_the_page_its_stages_and_the_deck_write_it(pages, decks):
    """CMU's lecture calls the loss L: no J is left on the page, an exported stage or a slide (the colour
    scale's caption, the weight-sum slide's title and an LSTM's BPTT arrow ᵀ∂J/∂h₂ wrote J)."""
    loss_j = re.compile(r"(?<![A-Za-z])J(?![A-Za-z])")
    for cell in CELLS:
        page = pages[cell, "cmu"]
        texts = page_texts(page) + [text for _, svg in stage_slides(page) for text in svg_texts(svg)]
        texts += [text for svg in decks[cell, "cmu"].values() for text in svg_texts(svg)]
        assert not [text for text in texts if loss_j.search(text)], cell


def test_an_lstms_forward_stage_gives_its_cell_state_beside_h(pages):
    """The LSTM's forward panel gave f_t and h_t but never c_t, the state its equation c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t
    computes: each forward stage writes c_t's values (as h_t's are written), named as the notation names c_t, just
    before h_t's."""
    from tinygrad_rnn import analysis
    from tinygrad_rnn.viz.lecture_numbers import vector
    from tinygrad_rnn.viz.numbers import digits_to_tell_apart, slide_number

    found = analysis.find_recurrence(language_model_loss("lstm", 3)[0])  # (the pages' loss, built alike)

    def written(values):
        return "=[" + ",".join(slide_number(v, digits_to_tell_apart(values)) for v in values) + "]"

    for notation in NOTATIONS:
        forward = [s for s in pages["lstm", notation].data["panels"][0]["stages"] if s["phase"] == "forward"]
        assert [s["t"] for s in forward] == [1, 2, 3]
        for stage in forward:
            t, text = stage["t"], html_text(stage["math"])
            c, h = written(vector(found.cell_states[t - 1])), written(vector(found.hidden_states[t - 1]))
            assert c in text and h in text, (notation, t, text)
            # c_t's line just before h_t's, each named as the notation writes it (c₁ and h₁, c⁽¹⁾ and h⁽¹⁾)
            h_name = text[text.index(c) + len(c):text.index(h)]
            assert h_name.startswith("h") and len(h_name) <= 6, (notation, t, text)
            assert text[:text.index(c)].endswith("c" + h_name[1:]), (notation, t, text)


def _sums_rows(page) -> list[str]:
    """The sums stage's equation, a row a line, its spaces plain (the text keeps its words together with no-break
    spaces) and runs of them one."""
    sums = page.data["panels"][0]["stages"][-1]
    rows = ["".join(row.itertext()) for row in ElementTree.fromstring(sums["math"]).iter() if row.tag.endswith("mtr")]
    return [re.sub(r"\s+", " ", row.replace("\u00a0", " ")) for row in rows]


FIRST_TERM = re.compile(r"the term of step 1 is 0: ∂[JL]/∂(\S+)\|\(1\)=0, there (\S+) multiplies (h\S*)=0$")


def test_the_sums_stage_says_why_step_1s_term_is_0_where_h0_is_0(pages):
    """The bar of step 1 of the state-to-state weight is 0, and the deck's slide says why ("there it multiplies
    h₀ = 0"): the page's sums stage and its export said nothing. Each page (h₀ = 0: a layer called without one) writes
    the line in its notation, the weight's symbol that of its first sum (W_hh, W_h, U); a page whose h₀ is not 0
    does not."""
    for (cell, notation), page in pages.items():
        rows = _sums_rows(page)
        said = [FIRST_TERM.match(row) for row in rows if FIRST_TERM.match(row)]
        assert len(said) == 1, (cell, notation, rows)
        weight, multiplier, h0 = said[0].groups()
        assert multiplier == weight and f"∂{weight}|(t)" in rows[0], (cell, notation, rows)
        assert h0 in ("h0", "h(0)"), (cell, notation, h0)  # h₀, or CS224N's h⁽⁰⁾
    exported = svg_texts(stage_slides(pages["gru", "usc"])[-1][1])
    assert any("the term of step 1 is 0" in text.replace("\u00a0", " ") for text in exported), exported
    recurrent = tr.nn.RNN(2, 3)
    out, _ = recurrent(tr.randn(3, 1, 2), tr.ones(1, 1, 3))  # h₀ = 1: step 1's term is not 0
    started = viz.lecture(out[-1].sum(), recurrent)
    assert not any(FIRST_TERM.match(row) for row in _sums_rows(started)), _sums_rows(started)
