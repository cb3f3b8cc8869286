"""Every slide of the deck, in every cell and every notation: what a figure's notes name, the figure draws (a note
that explains a b_h no label writes teaches a tensor the slide does not have), and every title line fits the slide
as it is drawn, in bold."""

import html
import itertools
import re
import shutil
import subprocess
import xml.etree.ElementTree as ElementTree

import pytest
from deck_slides import SLIDES, deck_slide  # (the perplexity slide, which trains, is test_deck.py's)

from tinygrad_rnn.viz import deck_lecture
from tinygrad_rnn.viz.font import line_width
from tinygrad_rnn.viz.notation import BIAS_PARTS, LAYER_WEIGHTS, MODEL_WEIGHTS, PRESETS, resolve
from tinygrad_rnn.viz.slide import MARGIN, WIDTH, runs_of, script_px

SVG = "{http://www.w3.org/2000/svg}"
TITLE = re.compile(r'<text [^>]*font-weight="bold"[^>]*>(.*?)</text>')


@pytest.fixture(scope="module")
def every_slide():
    """{(cell, notation, slide): (its SVG, [(each figure's SVG, its notes)])}, each figure as Lecture.figure drew it
    (deck_slides.py: each slide drawn once for the files that check it)."""
    return {(cell, notation, name): deck_slide(cell, notation, name)
            for cell in deck_lecture.CELLS for notation in PRESETS for name in SLIDES}


def as_read(text: str) -> str:
    """Text as a reader sees it, its scripts run into their base: b_ih → "bih", as a figure's SVG writes it."""
    return "".join(part for part, _ in runs_of(text))


def figure_text(svg: str) -> str:
    """A figure's words: each label's line apart, a script run into its base (b<tspan>ih</tspan> → "bih")."""
    return html.unescape(re.sub(r"<[^>]+>", "", re.sub(r"<text[^>]*>|<tspan x=[^>]*>", " ", svg)))


def names(symbol: str, text: str) -> bool:
    """Whether ``text`` names ``symbol`` itself: b_h, not b_hh, b_h′ or bias_h."""
    return re.search(rf"(?<![\w′″]){re.escape(as_read(symbol))}(?![\w′″])", text) is not None


def symbols(notation: str) -> set[str]:
    """Every tensor's symbol the notation writes, for any cell (a GRU's own too), and the two parts of one bias."""
    written = {resolve(notation).for_cell(cell).symbol(name) for cell in deck_lecture.CELLS
               for name in LAYER_WEIGHTS + MODEL_WEIGHTS}
    return written | {symbol + mark for symbol in written for mark in BIAS_PARTS}


def test_a_figures_notes_name_only_what_it_draws(every_slide):
    # the GRU's BPTT slide drew Σₜ ∂J/∂b_ih|ₜ and Σₜ ∂J/∂b_hh|ₜ under the note "b_h = bias_ih + bias_hh: the lecture
    # writes their sum", in every notation with one bias: a b_h the slide does not have. A note may define a symbol
    # from two it draws (b_h = b_h′ + b_h″: the LSTM cell's parts of the lecture's one bias)
    wrong = []
    for (cell, notation, name), (_, figures) in every_slide.items():
        for svg, notes in figures:
            drawn = figure_text(svg)
            for note in notes:
                read = as_read(note)
                for symbol in symbols(notation):
                    defined = all(names(symbol + mark, drawn) for mark in BIAS_PARTS) and \
                        as_read(f"{symbol} = {symbol}{BIAS_PARTS[0]} + {symbol}{BIAS_PARTS[1]}") in read
                    if names(symbol, read) and not names(symbol, drawn) and not defined:
                        wrong.append(f"{cell}, {notation}, {name}: {symbol!r} in {note!r}")
    assert not wrong, "\n".join(wrong)


def test_the_gru_bptt_slide_says_what_the_other_gru_slides_say_of_its_two_biases(every_slide):
    for notation in ("cs224n", "cmu", "usc", "elman"):
        (_, bptt_notes), = every_slide["gru", notation, "04-bptt"][1]
        (_, cell_notes), = every_slide["gru", notation, "08-gru-cell"][1]
        said = [note for note in cell_notes if "two biases in a GRU, not one" in note]
        assert said and said[0] in bptt_notes, (notation, bptt_notes)
        assert not any("bias_ih + bias_hh" in note for note in bptt_notes), (notation, bptt_notes)


def title_lines(svg: str) -> list[float]:
    """The drawn width of each line of a slide's title, in bold at its own size, scripts at theirs."""
    widths = []
    for line in TITLE.findall(svg):
        size = float(re.search(r'font-size="([\d.]+)"', line).group(1))
        width = 0.0
        for px, text in re.findall(r'<tspan [^>]*font-size="([\d.]+)"[^>]*>([^<]*)</tspan>', line):
            width += line_width(html.unescape(text), float(px), bold=True)
        assert all(float(px) in (size, script_px(size)) for px, _ in re.findall(r'font-size="([\d.]+)"()', line))
        widths.append(width)
    return widths


def test_every_title_line_fits_the_slide(every_slide):
    # the GRU deck's clipping title was wrapped as if regular text: its bold first line ran to 1,930 px, "only" cut
    room = WIDTH - 2 * MARGIN
    wide = [f"{key}: {width:.0f} px" for key, (svg, _) in every_slide.items() for width in title_lines(svg)
            if width > room + 0.3 * 40]  # a line's last space is no ink (a 40 px title's: 11 px)
    assert not wide, wide


FONT = shutil.which("fc-match") and subprocess.run(["fc-match", "-f", "%{file}", "Liberation Sans:bold"],
                                                   capture_output=True, text=True).stdout


@pytest.mark.skipif(not FONT or "Bold" not in FONT, reason="Liberation Sans Bold is not installed")
def test_the_bold_advances_are_the_fonts_own():
    image_font = pytest.importorskip("PIL.ImageFont")
    title = ("Gradient clipping: if ‖g‖ ≥ τ, g ← τ g / ‖g‖ — on a tanh RNN: a GRU, its V scaled alike, reaches only "
             "‖g‖ = 2.5 (Σ, σ, ∂J/∂W_hh)")
    drawn = image_font.truetype(FONT, 40).getlength(title)
    assert line_width(title, 40, bold=True) == pytest.approx(drawn, rel=0.005)


def edge_labels(svg: str) -> list[tuple[tuple[str, str], str]]:
    """Each edge's (the words of its tail, of its head) and the words of its label, read off a figure's SVG (a label
    is the element right after its edge's path)."""
    root = ElementTree.fromstring(svg)
    words = {g.get("data-index"): "".join(g.itertext()).strip() for g in root.iter(SVG + "g") if g.get("data-index")}
    drawn = list(root.iter())
    labels = []
    for k, element in enumerate(drawn):
        if element.tag == SVG + "path" and element.get("class") == "edge":
            after = next((e for e in drawn[k + 1:] if e.tag in (SVG + "text", SVG + "path")), None)
            label = "".join(after.itertext()) if after is not None and after.get("class") == "edge-label" else ""
            labels.append(((words[element.get("data-tail")], words[element.get("data-head")]), label))
    return labels


def test_the_gru_cells_two_n_rows_say_which_one_r_multiplies(every_slide):
    # the h side's n rows up to r ⊙ (·) and the x side's up to the add after it ran along one track under the gates'
    # adds and read as one line: that r multiplies only [W_h h + b_hh]ₙ, the slide's point, could not be read
    for notation in PRESETS:
        (svg, _), = every_slide["gru", notation, "08-gru-cell"][1]
        lecture = deck_lecture.Lecture("gru", resolve(notation))
        read = lecture.notation.at_step(lecture.reads().partition("_")[0], "1")  # (CS224N's e⁽¹⁾, else x₁)
        x_rows, h_rows = (as_read(rows) for rows in lecture.candidate_rows(read, lecture.notation.at_step("h", "0")))
        labels = edge_labels(svg)
        assert [ends for ends, label in labels if label == h_rows] == [("split", "mul")], (notation, labels)
        assert [ends for ends, label in labels if label == x_rows] == [("split", "add")], (notation, labels)


def test_the_gru_cell_slide_names_its_input_weights_product_one_way(every_slide):
    # CS224N's slide 08 drew the riser [W_e x⁽¹⁾ + b₁′]ₙ beside the equation n = tanh([W_e e⁽ᵗ⁾ + b₁′]ₙ + …): one
    # product, two names on one slide. W_e multiplies e wherever it is written (the x⁽¹⁾ drawn, a line says, stands
    # for e⁽¹⁾); every other lecture's input weight, x
    for notation in PRESETS:
        svg, _ = every_slide["gru", notation, "08-gru-cell"]
        lecture = deck_lecture.Lecture("gru", resolve(notation))
        weight = as_read(lecture.candidate_rows("@")[0].lstrip("[").partition(" @")[0])  # W_e, or PyTorch's W_in
        products = set(re.findall(rf"{re.escape(weight)} (\w)", figure_text(svg)))
        assert products == {"e" if notation == "cs224n" else "x"}, (notation, products)


@pytest.mark.parametrize("cell, name, opens", [("lstm", "07-lstm-cell", r"i = σ\(|σ, σ, tanh, σ of \("),
                                               ("gru", "08-gru-cell", r"r = σ\(|r, z = σ\(|z = σ\(")])
def test_the_cell_slides_write_what_each_gate_reads(every_slide, cell, name, opens):
    # "r, z = σ(·)" and "i, f, o = σ(·), g = tanh(·)" left out what the gates read, while n (c, h) was written in full,
    # and USC's own GRU gate, z = σ(W x_t + U h_{t−1}), never appeared: each gate's sum names both of its weights
    for notation in PRESETS:
        svg, _ = every_slide["rnn" if cell == "lstm" else cell, notation, name]
        text = " ".join("".join(ElementTree.fromstring(svg).itertext()).split())  # (a no-break space read as one)
        gate = re.search(rf"(?:{opens})(.{{0,50}})", text)  # (the sum's first words: h⁽ᵗ⁻¹⁾ reads "h(t−1)")
        assert "(·)" not in text and gate, (notation, text)
        read = {as_read(resolve(notation).for_cell(cell).symbol(w)) for w in ("W_ih", "W_hh")}
        if read == {"Wih", "Whh"}:  # (PyTorch's gate reads its own rows of each: W_ii, W_hi; W_ir, W_hr)
            read = {"Wi" + gate.group()[0], "Wh" + gate.group()[0]}
        assert read <= set(re.findall(r"\w+", gate.group(1))), (notation, gate)
    pytorch, usc = (" ".join("".join(ElementTree.fromstring(every_slide["gru", notation, "08-gru-cell"][0]).itertext())
                             .split()) for notation in ("pytorch", "usc"))
    assert as_read("r = σ(W_ir x_t + b_ir + W_hr h_{t−1} + b_hr)") in pytorch
    assert as_read("z = σ(W_iz x_t + b_iz + W_hz h_{t−1} + b_hz)") in pytorch
    assert as_read("z = σ(W x_t + U h_{t−1}) as USC writes it") in usc and as_read("b′ + b″") in usc


def test_the_cell_slides_say_how_the_figures_weights_hold_the_per_gate_ones_where_the_lecture_names_them(every_slide):
    """LECTURES.md: PyTorch's equations name each gate's weights (W_ii, W_if, …; CS 383's per-gate W_f is written in
    PyTorch's names), CS224N's, CMU's, USC's and Elman's one W for all the gates. The PyTorch slides wrote W_ii …
    beside a figure whose linear nodes read W_ih and W_hh, nothing saying that these stack the gates' rows; the
    others keep their lecture's one W (each gate "its own rows of it") and borrow no per-gate names."""
    for (cell, name, gates), notation in itertools.product(
            (("lstm", "07-lstm-cell", "ifgo"), ("gru", "08-gru-cell", "rzn")), PRESETS):
        text = " ".join(figure_text(every_slide["rnn" if cell == "lstm" else cell, notation, name][0]).split())
        stacked = [f"W{side} = [{'; '.join(f'W{side[0]}{gate}' for gate in gates)}]" for side in ("ih", "hh")]
        assert all(rows in text for rows in stacked) == (notation == "pytorch"), (notation, stacked, text)
        if notation != "pytorch":
            assert not re.search(rf"W_?[{gates}]\b|U_?[{gates}]\b", text), (notation, text)


def test_the_usc_bptt_slide_says_whose_names_its_heads_weights_are(every_slide):
    """USC names no output layer: slide 03 said W_hy, b_y are CMU's names; slide 04's Σ wrote them unsaid."""
    for notation in PRESETS:
        text = " ".join(figure_text(every_slide["rnn", notation, "04-bptt"][0]).split())
        assert ("Why, by: the head's weights, CMU's names: this lecture names none" in text) == (notation == "usc")


GATE_BOX = re.compile(r'<rect x="([\d.]+)"[^>]*/><text[^>]*><tspan[^>]*>([fgio])<tspan[^>]*>[^<]*</tspan>'
                      r'<tspan[^>]*> = (?:σ|tanh)<')  # an LSTM gate's node: its box's left, its letter (f⁽¹⁾ = σ)


def test_the_lstm_cell_draws_its_gates_in_one_order_in_every_notation(every_slide):
    # CS224N's f⁽¹⁾ = σ went unread as a gate (only f₁ = σ was), so its gates stood in the order of their labels:
    # f, g, i, o, where every other notation's slide drew f, i, g, o
    for notation in PRESETS:
        (svg, _), = every_slide["rnn", notation, "07-lstm-cell"][1]
        gates = "".join(gate for _, gate in sorted((float(x), gate) for x, gate in GATE_BOX.findall(svg)))
        assert gates == "figo", (notation, gates)


def test_the_encoder_decoder_slides_give_the_two_modules_weights_two_names(every_slide):
    # "two sets of weights: E_x, W_ih, W_hh, b_ih, b_hh (encoder); E_y, W_ih, W_hh, …" named the decoder's W_hh as the
    # encoder's: one symbol for two tensors, though the states were marked h⁽ᵉ⁾ and h⁽ᵈ⁾
    for (cell, notation, name), (svg, _) in every_slide.items():
        if name not in ("12-encoder-decoder", "13-generation"):
            continue
        lecture = deck_lecture.Lecture(cell, resolve(notation))
        said = lecture.shared_by_two_rows().partition(": ")[2]
        encoder, decoder = (set(part.split(", ")) for part in said.split("; "))
        assert not encoder & decoder, (cell, notation, encoder & decoder)
        mark = "enc" if notation == "cs224n" else "e"  # as the states are marked: h^[enc]⁽¹⁾, h₁⁽ᵉ⁾
        w_hh = lecture.notation.for_cell(cell).symbol("W_hh") + lecture.notation.marked(mark)
        assert w_hh in encoder and as_read(said) in " ".join(figure_text(svg).split()), (cell, notation, said)
        # USC's lecture names no output layer: its W_hy, b_y are CMU's, said so here too, not only on slides 03, 11
        assert said.endswith("b_y (CMU's)") == (notation == "usc"), (cell, notation, said)


def test_the_weight_slides_02_and_05_name_is_the_one_the_decks_cell_is_drawn_with(every_slide):
    # the GRU deck under USC said "Every copy uses the same W_h and W_x" (slide 02) and titled slide 05 "∂J/∂W_h is a
    # sum of one term per step", where its figures, slide 03's list and USC's own GRU name the recurrent weight U and
    # the input weight W: a student took W_h for W. Each slide names the deck's cell's weights as its figures do
    wrong = []
    for cell in deck_lecture.CELLS:
        for notation in PRESETS:
            recurrent, given = (resolve(notation).for_cell(cell).symbol(name) for name in ("W_hh", "W_ih"))
            listed, unrolled, weight_sum = ("".join(ElementTree.fromstring(every_slide[cell, notation, name][0])
                                                    .itertext()).strip()
                                            for name in ("03-language-model", "02-unrolled", "05-weight-sum"))
            if not (names(recurrent, listed) and names(given, listed)):
                wrong.append(f"{cell}, {notation}: slide 03 does not list {recurrent}, {given}")
            if f"same {as_read(recurrent)} and {as_read(given)}:" not in unrolled:
                wrong.append(f"{cell}, {notation}: slide 02 does not say {recurrent} and {given}")
            if not weight_sum.startswith(f"∂J/∂{as_read(recurrent)} is a sum") and \
                    not weight_sum.startswith(f"∂L/∂{as_read(recurrent)} is a sum"):
                wrong.append(f"{cell}, {notation}: slide 05 is titled {weight_sum[:30]!r}")
    assert not wrong, "\n".join(wrong)
