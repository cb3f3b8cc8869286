"""The lecture as a deck: every slide standalone and legible at 1,920 × 1,080, one PDF page per
slide, --cell and --notation applied, and the numbers printed on the slides the models' own."""

import re
import shutil
import xml.etree.ElementTree as ElementTree

import numpy
import pytest
from deck_slides import deck_slide, deck_slides
from slide_checks import (
    SLIDE_TEXT_PX,
    SVG,
    TITLE_PX,
    figures,
    pdf_pages,
    slide_text_sizes,
    smallest_figure_text,
    standalone,
    title_px,
)
from written import flat, printed_value

import tinygrad_rnn as tr
from tinygrad_rnn import analysis, cli, viz
from tinygrad_rnn.viz import deck_graph_slides, deck_lecture, deck_measured_slides, lecture_deck
from tinygrad_rnn.viz.lecture_models import LANGUAGE_MODEL_STEPS, language_model_loss, last_step_loss, layer
from tinygrad_rnn.viz.notation import resolve
from tinygrad_rnn.viz.slide import MARGIN, slide_number

NAMES = [name for name, _ in lecture_deck.slides_of()]  # the default deck's


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return viz.deck(tmp_path_factory.mktemp("deck"))


def text_of(directory, name):
    return "".join(ElementTree.fromstring((directory / f"{name}.svg").read_text("utf-8")).itertext())


def test_the_deck_writes_every_slide_an_index_and_a_pdf(built):
    assert [p.stem for p in built.slides] == NAMES
    expected = {f"{name}.svg" for name in NAMES} | {"index.html"} | ({"slides.pdf"} if built.pdf else set())
    assert {p.name for p in built.html.parent.iterdir()} == expected
    for path in built.slides:
        root = standalone(path.read_text(encoding="utf-8"))
        assert title_px(root) >= TITLE_PX and "".join(root.find(SVG + "text").itertext()).strip(), path.name


@pytest.mark.skipif(shutil.which("rsvg-convert") is None, reason="rsvg-convert is not installed (apt install "
                                                                  "librsvg2-bin)")
def test_the_pdf_has_a_page_per_slide(built):
    assert pdf_pages(built.pdf.read_bytes()) == len(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_every_slide_passes_the_text_test(built, name):
    root = ElementTree.fromstring((built.html.parent / f"{name}.svg").read_text("utf-8"))
    assert min(slide_text_sizes(root)) >= SLIDE_TEXT_PX
    figure = smallest_figure_text(root)
    assert figure is None or figure >= SLIDE_TEXT_PX, f"{name}: the figure's smallest text is {figure} px"


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_every_slide_of_an_lstm_or_gru_deck_passes_the_text_test(cell):
    # (the perplexity slide aside: it trains its models whatever the cell, and the deck above has it)
    for name, svg in deck_slides(cell, "pytorch").items():
        root = standalone(svg)
        figure = smallest_figure_text(root)
        assert min(slide_text_sizes(root)) >= SLIDE_TEXT_PX and (figure is None or figure >= SLIDE_TEXT_PX), \
            f"{cell}, {name}: the smallest text is {min(slide_text_sizes(root))} px, the figure's {figure} px"


def test_the_weight_sum_slide_prints_the_gradient_backward_computes(built):
    loss, recurrent = language_model_loss("rnn", LANGUAGE_MODEL_STEPS)
    loss.backward()
    text = text_of(built.html.parent, "05-weight-sum")
    assert f"‖Whh.grad‖ = {slide_number(numpy.linalg.norm(recurrent.weight_hh_l0.grad.numpy()))}: the same" in text


def test_the_vanishing_slide_prints_the_ratios_the_documented_command_prints(built, tmp_path, capsys):
    """The slide and `graph --compare` both say seed 0: a lecturer who runs the command gets the slide's numbers
    (the deck once drew its inputs from seed 0, the command from seed 1: 35 times apart for the tanh RNN)."""
    text = text_of(built.html.parent, "06-vanishing")
    assert cli.main(["graph", "--compare", "--steps", str(deck_measured_slides.VANISHING_STEPS), "--level", "cell",
                     "--forget-bias", "1", "-o", str(tmp_path / "vanishing.svg")]) == 0
    printed = re.findall(r"= ([0-9.e+-]+)", capsys.readouterr().out)
    assert len(printed) == 3
    for ratio in printed:  # (printed to 3 digits, written to 2: 1.55e-03 may be the slide's 1.6·10⁻³)
        written = {flat(f"ratio {slide_number(float(ratio) * near)}") for near in (0.997, 1.0, 1.003)}
        assert any(words in text for words in written), (written, text)  # (10⁻⁵ reads 10−5: its power raised)


def test_generation_shows_a_choice_fed_back(built):
    root = ElementTree.fromstring((built.html.parent / "13-generation.svg").read_text("utf-8"))
    assert any("stroke-dasharray" in path.attrib for path in root.iter(SVG + "path")), \
        "the slide says a dashed edge is a choice: the decoder must write a token and read it back"


def test_cell_and_notation_apply(tmp_path, quick):
    viz.deck(tmp_path, cell="lstm", notation="cs224n")
    assert "LSTM cell" in text_of(tmp_path, "02-unrolled")
    assert "∂J/∂Wh is a sum" in text_of(tmp_path, "05-weight-sum")  # cs224n writes W_hh as W_h
    with pytest.raises(ValueError, match="cell must be one of"):
        viz.deck(tmp_path, cell="transformer")


def test_the_command_line_writes_the_deck(tmp_path, capsys, quick):
    assert cli.main(["deck", "-o", str(tmp_path / "d"), "--cell", "gru", "--notation", "cmu"]) == 0
    assert f"wrote {len(NAMES)} slides (SVG) and index.html in {tmp_path / 'd'}" in capsys.readouterr().out
    assert "GRU cell" in text_of(tmp_path / "d", "02-unrolled")


def figure_box(root):
    """(left, top, right, bottom) of the slide's one figure, as shown."""
    (nested, scale), = figures(root)
    _, _, width, height = (float(v) for v in nested.get("viewBox").split())
    left = float(nested.get("x")) + (float(nested.get("width")) - scale * width) / 2
    top = float(nested.get("y")) + (float(nested.get("height")) - scale * height) / 2
    return left, top, left + scale * width, top + scale * height


def body_text(root, starting):
    """The slide's own <text> elements (not the title, not the figure's) whose words start with ``starting``."""
    return [t for t in root.findall(SVG + "text") if "".join(t.itertext()).startswith(starting)]


def test_an_upright_cell_has_its_text_beside_it_and_a_wide_figure_under_it(built):
    cell = ElementTree.fromstring((built.html.parent / "07-lstm-cell.svg").read_text("utf-8"))
    right = figure_box(cell)[2]
    assert all(float(t.get("x")) > right for t in body_text(cell, "c") + body_text(cell, "The cell state")), \
        "beside the upright cell: the text"
    wide = ElementTree.fromstring((built.html.parent / "03-language-model.svg").read_text("utf-8"))
    (equation,) = body_text(wide, "st = linear: the scores")
    assert float(equation.get("y")) > figure_box(wide)[3] and float(equation.get("x")) == MARGIN


def test_the_figures_notes_are_slide_text_and_their_shapes_are_left_off(built):
    bptt = ElementTree.fromstring((built.html.parent / "04-bptt.svg").read_text("utf-8"))
    (note,) = body_text(bptt, "Σ: the terms one weight")  # (beside a narrow figure, in lines of its own)
    box = figure_box(bptt)
    assert float(note.get("font-size")) >= SLIDE_TEXT_PX
    assert float(note.get("y")) > box[3] or float(note.get("x")) > box[2]  # under the figure or beside it
    for name in NAMES:
        root = ElementTree.fromstring((built.html.parent / f"{name}.svg").read_text("utf-8"))
        for nested, _ in figures(root):
            drawn = "".join(nested.itertext())
            assert not re.search(r"\(\)|\(\d+(, \d+)*\)", drawn), f"{name}: a shape such as (1, 3) on a slide"


def test_a_slide_that_draws_fewer_steps_says_so(built):
    bptt = text_of(built.html.parent, "04-bptt")
    assert "cut from T = 4 to T = 2 steps to fit" in bptt and "t=2" in bptt and "t=3" not in bptt
    assert "Two steps, t = 1, 2" in text_of(built.html.parent, "09-stacked-bidirectional")


def test_the_classifier_draws_every_word_and_the_tagger_its_words_and_tags(built):
    """Five words fit the classifier's slide whole: "… 2 steps t=3…4" hid "to the" of "the keys to the cabinet",
    the agreement example's point, with 40% of the slide empty. The tagger wrote no word under its x_t; now each
    drawn x_t has its word and each J_t its word's tag (a language model's target would be the next word)."""
    def drawn(name):
        [(nested, _)] = figures(ElementTree.fromstring((built.html.parent / f"{name}.svg").read_text("utf-8")))
        return ["".join(text.itertext()) for text in nested.iter(SVG + "text")]  # a node's lines run together

    def by_step(texts, pattern):
        return dict(found.groups() for text in texts if (found := re.match(pattern, text)))

    classifier = drawn("10-classifier")
    assert "…" not in " ".join(classifier) and all(any(f"t={t}" in text for text in classifier) for t in range(1, 6))
    assert by_step(classifier, r'x(\d)"(.+)"$') == dict(zip("12345", "the keys to the cabinet".split(), strict=True))
    tagger = drawn("11-tagger")  # every word too: "to the" was left out (t=3…4) for labels J₃ = cross_entropy
    assert by_step(tagger, r'x(\d)"(.+)"$') == dict(zip("12345", "the keys to the cabinet".split(), strict=True))
    assert by_step(tagger, r'J(\d): (\w+)$') == dict(zip("12345", "DT NNS TO DT NN".split(), strict=True))
    assert "…" not in " ".join(tagger)


def test_the_tagger_slide_writes_the_penn_treebank_tags(built):
    """The Treebank tags "to" TO in every use, a preposition's included: the slide wrote IN."""
    treebank = {"the": "DT", "keys": "NNS", "to": "TO", "cabinet": "NN"}
    text = text_of(built.html.parent, "11-tagger")
    assert flat(" ".join(treebank[word] for word in "the keys to the cabinet".split())) + " (Penn Treebank)" in text


@pytest.mark.parametrize("name", ["07-lstm-cell", "08-gru-cell"])
def test_the_cell_slides_draw_the_cell_and_j_from_its_h(built, name):
    """J = Σ h_T read from the cell's h_T: the layer's output[-1] drew stack and index, which are no part of the
    cell, between h_T and J. Each slide draws step 1 of two, step 2 left out (it reads h₁, and the LSTM's c₁):
    J = Σ h₂ through the "…", and the weights are the same in step 2, as its footnote says (one step had none)."""
    [(nested, _)] = figures(ElementTree.fromstring((built.html.parent / f"{name}.svg").read_text("utf-8")))
    drawn = ["".join(text.itertext()) for text in nested.iter(SVG + "text")]
    assert "sum" in drawn and not {"stack", "index"} & set(drawn), drawn
    said = " ".join(text_of(built.html.parent, name).split())  # (a note broken in lines read as one)
    assert "the same at every step" in said and "Step 2, the same cell, is left out" in said, said


def test_generation_labels_its_inputs_as_the_encoder_decoder_does(built):
    """Slide 12 writes x₁ "il", y₀ "[BEGIN]" and y₁ "it"; slide 13 wrote a bare x₁ (its word only in the text)
    and a bare [BEGIN], and drew no y₁ at all: its dashed argmax line went straight into e₂⁽ᵈ⁾, so generation
    showed less than training. It draws the word chosen where it is fed back, y₁ with its word, as the code runs
    (the argmax's id → the embedding), and an encoder row of two words."""
    from tinygrad_rnn.viz.deck_graph_slides import GENERATION_SOURCE
    from tinygrad_rnn.viz.lecture_models import SOURCE_WORDS, TARGET_WORDS, seq2seq_model, seq2seq_source

    def drawn(name):
        [(nested, _)] = figures(ElementTree.fromstring((built.html.parent / f"{name}.svg").read_text("utf-8")))
        return {"".join(text.itertext()) for text in nested.iter(SVG + "text")}

    assert {'x1"il"', 'x2"pleut"', 'y0"[BEGIN]"', 'y1"it"', 'y2"rains"'} <= drawn("12-encoder-decoder")
    seed = int(re.search(r"\(seed (\d+)\)", text_of(built.html.parent, "13-generation")).group(1))
    first = TARGET_WORDS[seq2seq_model(cell="rnn", seed=seed).greedy(seq2seq_source(ids=GENERATION_SOURCE), 2)[0][0]]
    sources = {f'x{t}"{SOURCE_WORDS[i]}"' for t, i in enumerate(GENERATION_SOURCE, start=1)}
    assert len(sources) >= 2 and sources | {'y0"[BEGIN]"', f'y1"{first}"'} <= drawn("13-generation")


def test_the_perplexity_slide_is_asked_for(tmp_path, quick, capsys):
    """Left out of the default deck (trained for seconds, the networks lose to a 5-gram: docs/lecture.md), added
    by perplexity=True and --perplexity, the slides numbered in order either way."""
    assert "14-perplexity" not in NAMES and NAMES[-1] == "14-clipping"
    written = viz.deck(tmp_path / "with", perplexity=True)
    assert [p.stem for p in written.slides][-2:] == ["14-perplexity", "15-clipping"]
    assert cli.main(["deck", "-o", str(tmp_path / "cli"), "--perplexity"]) == 0
    assert (tmp_path / "cli" / "14-perplexity.svg").exists() and (tmp_path / "cli" / "15-clipping.svg").exists()


def test_the_encoder_decoder_shows_teacher_forcing_inputs_and_targets(built):
    """Each decoder step is given [BEGIN] or the previous target, never the word it must predict. The encoder reads
    two words (S = 2): with one, "ahora", its "row" was a single cell. Each J_t is written "J₁: it", its head s₁, as
    the tagger's and the language model's are, so that five columns hold 24 px (every slide's text test)."""
    text = text_of(built.html.parent, "12-encoder-decoder")
    assert text.count("encoder cell") == 2 and text.count("decoder cell") == 3, text
    assert '"[BEGIN]"' in text and "J1: it" in text and "J2: rains" in text and "J3: [END]" in text
    assert text.count('"[END]"') == 0, "the last target is no decoder step's input"
    assert text.count('"it"') == text.count('"rains"') == 1, "J_t's target is the next step's input: teacher forcing"
    assert "own guess; J1: it is s1's cross-entropy with “it”. S = 2, T′ = 3." in text, text
    assert "“il pleut”: French for “it rains”. The last target is [END], as in every pair it trains on" in text
    # the decoder's own steps, as the lectures number them: y₀ = [BEGIN] under step 1, "it" = y₁ is J₁'s target
    assert 'y0"[BEGIN]"' in text and 'y1"it"' in text and 's1 = linear' in text, text
    assert not any(f"J{d}" in text or f"y{d}" in text for d in "45"), "the decoder counts on from the encoder"


def test_the_rolled_equation_has_the_biases_drawn_and_cs224n_embeds_its_input(built):
    assert "bih + bhh)" in text_of(built.html.parent, "01-rolled"), "the figure draws b_hh: so does the equation"
    pytorch = deck_lecture.Lecture("rnn", resolve(None))
    assert pytorch.recurrence() == "h_t = tanh(W_hh h_{t−1} + W_ih x_t + b_ih + b_hh)"
    cs224n = deck_lecture.Lecture("rnn", resolve("cs224n"))
    assert cs224n.recurrence() == "h_t = tanh(W_h h_{t−1} + W_e e_t + b₁),   e_t = E x_t"  # b₁ = b_ih + b_hh
    rolled = " ".join("".join(standalone(deck_graph_slides.rolled(cs224n)).itertext()).split())
    assert "stands for the embedding e(t)" in rolled


def test_generation_says_what_y_hat_is_and_why_it_stopped(built):
    from tinygrad_rnn.viz.deck_graph_slides import GENERATION_SOURCE
    from tinygrad_rnn.viz.lecture_models import seq2seq_model, seq2seq_source

    text = " ".join(text_of(built.html.parent, "13-generation").split())
    assert "s2 = linear" in text.replace("₂", "2") and "s₃" not in text  # the decoder's own steps: s₁, s₂
    assert "st: step t's scores (logits), ŷt = softmax(st)" in text
    assert "argmax of step t's distribution" not in text  # the boxes hold logits, not a chosen word
    seed = int(re.search(r"\(seed (\d+)\)", text).group(1))
    written = seq2seq_model(cell="rnn", seed=seed).greedy(seq2seq_source(ids=GENERATION_SOURCE), 2)[0]
    assert len(written) == 2
    assert "Generation stops at [END] or, here, after 2 tokens, the most this slide lets it write" in text


def test_the_stacked_slide_says_what_j_reads(built):
    text = " ".join(text_of(built.html.parent, "09-stacked-bidirectional").split())  # the lines as wrapped, joined
    # the states as the figure marks them: the step, then the layer and direction
    assert flat("J = Σ (h₂⁽²→⁾, h₂⁽²←⁾): layer 2's states at t = 2 (PyTorch's output[-1]); the reverse one has taken "
                "one step, reading layer 1's states at t = 2 (the forward one of them has read x_1 and x_2).") in text
    assert flat("A classifier reads layer 2's last state in each direction (PyTorch's h_n[-2:]), the two "
                "concatenated into one vector: [h₂⁽²→⁾; h₁⁽²←⁾], the reverse one's at t = 1.") in text


@pytest.mark.parametrize("cell, notation, joined", [
    ("lstm", "cs224n", "[h^[2→]⁽²⁾; h^[2←]⁽¹⁾]"), ("lstm", "usc", "[h₂⁽²→⁾; h₁⁽²←⁾]")], ids=["lstm-cs224n", "lstm-usc"])
def test_the_stacked_slide_says_the_classifier_reads_both_directions_concatenated(cell, notation, joined):
    """The classifier's sentence named the two last states, "h⁽²→⁾₂ and h⁽²←⁾₁", never that its head reads them as
    one vector: now [h⁽²→⁾₂; h⁽²←⁾₁], in the notation's symbols, on one line (a no-break space between the two)."""
    svg, _ = deck_slide(cell, notation, "09-stacked-bidirectional")
    root = ElementTree.fromstring(svg)
    text = " ".join("".join(root.itertext()).split())
    assert flat(f"the two concatenated into one vector: {joined}, the reverse one's at t = 1.") in text, text
    lines = ["".join(line.itertext()) for line in root.iter(SVG + "text")]
    assert any(flat(joined).replace(" ", "\u00a0") in line for line in lines), lines  # the vector never split


def test_the_clipping_slides_numbers_add_up_as_printed(built):
    text = " ".join(text_of(built.html.parent, "14-clipping").split())
    rows = re.findall(r"(?:W|b)(?:ih|hh) ([\d.]+) ([\d.]+)", text)
    total, clipped = re.search(r"all together, ‖g‖ ([\d.]+) ([\d.]+)", text).groups()
    factor = re.search(r"τ / ‖g‖ = ([\d.]+·10[−\d]+)", text).group(1)
    assert len(rows) == 4 and printed_value(clipped) == 1.0
    norm = numpy.sqrt(sum(printed_value(before) ** 2 for before, _ in rows))
    assert abs(norm - printed_value(total)) <= 0.005 * norm, f"√Σ‖·‖² of the rows is {norm:.3g}, printed {total}"
    for before, after in rows:  # each gradient times τ/‖g‖, as printed, is its printed norm after clipping
        scaled = printed_value(before) * printed_value(factor)
        assert abs(scaled - printed_value(after)) <= 0.005 * scaled, f"{before} × {factor} is not {after}"


def test_the_vanishing_slide_has_the_lstm_cell_states_row(built):
    """The LSTM's ‖∂J/∂h_t‖ vanishes too; the path its cell state protects is ∂J/∂c_t: measured, drawn, said."""
    text = " ".join(text_of(built.html.parent, "06-vanishing").split())
    recurrent = layer("lstm")
    tr.nn.init.lstm_forget_gate_bias_(recurrent, 1.0)
    loss = last_step_loss(recurrent, deck_measured_slides.VANISHING_STEPS,
                          seed=deck_measured_slides.VANISHING_INPUT_SEED)
    found = analysis.find_recurrence(loss)
    cells = analysis.hidden_state_gradient_norms(loss, found.cell_states)
    hidden = analysis.hidden_state_gradient_norms(loss, found.hidden_states)
    assert cells[0] / cells[-1] > 10 * hidden[0] / hidden[-1]  # the claim the slide makes, checked
    assert flat("LSTM, ∂J/∂c_t") in text and flat(f"ratio {slide_number(cells[0] / cells[-1])}") in text
    assert flat(f"‖∂J/∂c_t‖ falls to {slide_number(cells[0] / cells[-1])} of its value") in text


@pytest.mark.parametrize("cell, notation", [("rnn", "cmu"), ("gru", "cmu"), ("rnn", "cs224n")])
def test_the_language_model_slide_says_the_lecture_writes_neither_bias_it_names(cell, notation):
    """Slide 03 names b_h and b_y; where the lecture writes no bias (CMU's h_t = tanh(W_hh h_{t−1} + W_xh x_t),
    ŷ = softmax(W_hy h)), the slide says so of both, not of b_h alone."""
    svg, _ = deck_slide(cell, notation, "03-language-model")
    text = " ".join("".join(ElementTree.fromstring(svg).itertext()).split())
    biases = "b_h′, b_h″" if cell == "gru" else "b_h"  # (a GRU's two are no parts of one b_h)
    said = flat(f"The lecture writes no bias: {biases} and b_y are this model's; its head is ŷ_t = softmax(W_hy h_t)")
    assert (said in text) == (notation == "cmu"), text


@pytest.mark.parametrize("cell, notation", [("rnn", "cmu"), ("lstm", "cmu"), ("rnn", "pytorch")])
def test_cmus_weight_sum_slide_writes_its_sum_of_products_under_the_sum(cell, notation):
    """CMU writes ∂L/∂W_hh out as a sum of products of ∂h_j/∂h_{j−1}: its deck shows that form beside the bars (an
    LSTM's chain through its whole state); a lecture that does not write it gets no such line."""
    lecture = deck_lecture.Lecture(cell, resolve(notation))
    text = " ".join("".join(ElementTree.fromstring(deck_measured_slides.weight_sum(lecture)).itertext()).split())
    form = flat("∂L/∂W_hh = (1/T) Σ_t Σ_{s≥t} ∂L_s/∂h_s (Π_{j=t+1…s} ∂h_j/∂h_{j−1}) ∂⁺h_t/∂W_hh")
    assert (form in text) == (notation == "cmu")
    if notation == "cmu":  # under the Σ, and before the bars are said
        assert text.index(flat("∂L/∂W_hh = Σ_t")) < text.index(form) < text.index("one term per step t = 1")
        assert ("(h_j, c_j) for h_j" in " ".join(deck_measured_slides.sum_of_products(lecture))) == (cell == "lstm")


def test_the_vanishing_slide_writes_one_step_backs_factor_and_their_product(built):
    """Colours and ratios say that ‖∂J/∂h_t‖ fades; the factor says why: each step back multiplies by the same kind
    of Jacobian, diag(1 − h_t²) W_hh for a tanh RNN, 11 of them from step 12 to step 1."""
    text = " ".join(text_of(built.html.parent, "06-vanishing").split())
    assert flat("∂h_t/∂h_{t−1} = diag(1 − h_{t}²) W_hh;") in text
    assert flat("∂h_12/∂h_1 = ∂h_12/∂h_11 ⋯ ∂h_2/∂h_1, a product of 11 such factors") in text


@pytest.mark.parametrize("notation", ["cmu", "usc", "cs224n", "elman", "pytorch"])
@pytest.mark.parametrize("cell, words", [("rnn", ["= diag(1 − h", "a product of 11"]),
                                         ("gru", ["= diag(z", "plus the paths through r", "a product of 11"]),
                                         ("lstm", ["runs through o", "the gates i", "and the candidate g",
                                                   "no product of these alone",
                                                   "= diag(f"])])
def test_the_vanishing_factor_is_the_decks_cell_in_its_notation_as_the_page_writes_it(cell, words, notation):
    lecture = deck_lecture.Lecture(cell, resolve(notation))
    said = deck_measured_slides.vanishing_factor(lecture)
    assert said.startswith(f"The {lecture.name}'s factor: ") and all(word in said for word in words), said
    if cell == "rnn":  # the weight the deck's cell names (CMU's W_hh, CS224N's W_h, OSU's V), raised h²
        assert f") {lecture.cell_symbol('W_hh')};" in said and "²)" in said, said
    steps = ["h^(t)", "h^(t−1)", "h^(12)"] if notation == "cs224n" else ["h_t", "h_{t−1}", "h_12"]
    assert all(step in said for step in steps) and "^{" not in said, said


def test_the_perplexity_slide_smooths_the_unigram_by_add_one_and_says_characters_are_not_words():
    from tinygrad_rnn import data, models

    text = " ".join("".join(standalone(deck_measured_slides.perplexity(deck_lecture.Lecture("rnn", resolve(None))))
                            .itertext()).split())
    corpus = data.standard_library_text(deck_measured_slides.CORPUS_CHARACTERS)
    vocabulary = data.Vocabulary.from_text(corpus, level="char")
    ids = numpy.array(vocabulary.encode(corpus))
    cut = int(0.9 * ids.size)
    unigram = models.NGramLM(1, smoothing="add-k", k=1.0).fit(ids[:cut], vocabulary_size=len(vocabulary))
    assert f"unigram, add-one {unigram.perplexity(ids[cut:]):.2f}" in text
    assert "unigram, Kneser–Ney" not in text  # Kneser–Ney needs a lower order to back off to
    assert "perplexities per character: not comparable with the lecture's per word" in text


@pytest.mark.parametrize("name, said", [("01-rolled", "J = Σ hT: a loss on the last step"),
                                        ("02-unrolled", "J = Σ h4: a loss on the last step, T = 4."),
                                        ("07-lstm-cell", "J = Σ h2: a loss on the last step, T = 2."),
                                        ("08-gru-cell", "J = Σ h2: a loss on the last step, T = 2.")])
def test_a_slide_that_draws_j_says_what_it_is_and_its_steps(built, name, said):
    assert said in " ".join(text_of(built.html.parent, name).split())
