"""What a lecturer found false on the deck's slides, each slide built alone (seconds): one bias said once,
arrows that name what they carry, gates timed as the states are, the scores of generation not called ŷ."""

import re
import xml.etree.ElementTree as ElementTree

import pytest
from slide_checks import SVG, figures
from written import flat, printed_value

from tinygrad_rnn.viz import deck_graph_slides, deck_lecture, deck_measured_slides, lecture_deck
from tinygrad_rnn.viz.lecture_models import LANGUAGE_MODEL_STEPS
from tinygrad_rnn.viz.notation import resolve


def slide(make, cell="rnn", notation="pytorch"):
    return ElementTree.fromstring(make(deck_lecture.Lecture(cell, resolve(notation))))


def words(root):
    return " ".join("".join(root.itertext()).split())


def figure_texts(root):
    """Each <text> of the slide's figure, its runs (subscripts, superscripts) joined."""
    return ["".join(text.itertext()) for nested, _ in figures(root) for text in nested.iter(SVG + "text")]


@pytest.mark.parametrize("notation, bias", [("cs224n", "b₁"), ("usc", "b")])
def test_a_cell_at_op_level_names_each_part_of_the_one_bias_apart(notation, bias):
    root = slide(deck_graph_slides.lstm_cell, notation=notation)
    labels = figure_texts(root)
    bias = flat(bias)  # (b₁ reads b1 with its tspans joined)
    assert sum(label.endswith(f", {bias}′") for label in labels) == 1, labels  # the linear of W_e (W_x)
    assert sum(label.endswith(f", {bias}″") for label in labels) == 1, labels  # the linear of W_h
    assert not any(label.endswith(f", {bias}") for label in labels), "a bare b₁ where only a part is added"
    assert (f"PyTorch's bias_ih, bias_hh: {bias}′, {bias}″, two tensors that add up to the lecture's one bias, "
            f"{bias} = {bias}′ + {bias}″") in words(root)


@pytest.mark.parametrize("notation, weights", [("cs224n", ("W_e", "W_h")), ("usc", ("W", "U")),
                                               ("elman", ("W", "V")), ("cmu", ("W_xh", "W_hh"))])
def test_the_gru_cell_keeps_both_biases_where_the_lecture_writes_one_for_an_rnn(notation, weights):
    """A GRU adds b_hn inside r ⊙ (W_hn h + b_hn): bias_ih and bias_hh are no parts of one bias (the slide
    said "b₁ = b₁′ + b₁″, two tensors that add up to the lecture's one bias"). They are named as the lecture's parts
    b₁′ (bias_ih) and b₁″ (bias_hh), as its RNN's and LSTM's slides name them: PyTorch's b_ih and b_hh beside them
    were two symbols the lecture never defines."""
    root = slide(deck_graph_slides.gru_cell, notation=notation)
    labels, text = figure_texts(root), words(root)
    w_ih, w_hh = (flat(weight) for weight in weights)
    b_ih, b_hh = (resolve(notation).symbol("b_ih") + part for part in "′″")
    assert sum(label.endswith(f"{w_ih}, {flat(b_ih)}") for label in labels) == 1, labels
    assert sum(label.endswith(f"{w_hh}, {flat(b_hh)}") for label in labels) == 1, labels
    assert "add up" not in text and "bih" not in text and "bhh" not in text, text
    assert "two biases in a GRU, not one" in text
    read = "e_t" if notation == "cs224n" else "x_t"  # (CS224N's W_e multiplies an embedding, e⁽ᵗ⁾ = E x⁽ᵗ⁾)
    assert flat(resolve(notation).in_text(f"n = tanh([{w_ih} {read} + {b_ih}]ₙ + r ⊙ [{w_hh} h_{{t−1}} + {b_hh}]ₙ)")) \
        in text


def test_the_gru_cell_names_no_wire_n_and_writes_its_candidate_in_the_notation():
    labels = figure_texts(slide(deck_graph_slides.gru_cell, notation="cs224n"))
    assert not {"n", "r", "z"} & set(labels), "the wire of W_in x + b_in is not n"
    text = words(slide(deck_graph_slides.gru_cell, notation="cs224n"))
    assert "Win" not in text and "bin" not in text and "bhn" not in text
    assert flat("n = tanh([We e(t) + b₁′]ₙ + r ⊙ [Wh h(t−1) + b₁″]ₙ)") in text  # W_e reads e⁽ᵗ⁾, never x⁽ᵗ⁾
    assert "n = tanh(Win xt + bin + r ⊙ (Whn ht−1 + bhn))" in words(slide(deck_graph_slides.gru_cell))


@pytest.mark.parametrize("make, gates", [(deck_graph_slides.lstm_cell, "ifgo"), (deck_graph_slides.gru_cell, "rzn")])
def test_gates_carry_the_time_step_where_the_states_do(make, gates):
    cs224n, pytorch = figure_texts(slide(make, notation="cs224n")), figure_texts(slide(make))
    for gate in gates:
        # (i⁽¹⁾ reads i(1) with its tspans joined, i₁ reads i1)
        assert flat(f"{gate}⁽¹⁾ = ") in " ".join(cs224n) and flat(f"{gate}₁ = ") not in " ".join(cs224n), cs224n
        assert flat(f"{gate}₁ = ") in " ".join(pytorch), pytorch


def test_generation_calls_the_scores_s_and_writes_the_words_the_decoder_chose():
    from tinygrad_rnn.viz.deck_graph_slides import GENERATION_SOURCE
    from tinygrad_rnn.viz.lecture_models import TARGET_WORDS, seq2seq_model, seq2seq_source

    root = slide(deck_graph_slides.generation)
    labels, text = figure_texts(root), words(root)
    assert flat("s₂ = linear") in labels and not any(label.startswith("ŷ") for label in labels), labels
    assert "ŷt = softmax(st)" in text and "log P(output | x)" in labels
    seed = int(re.search(r"\(seed (\d+)\)", text).group(1))
    model = seq2seq_model(cell="rnn", seed=seed)
    chosen = [TARGET_WORDS[t] for t in model.greedy(seq2seq_source(ids=GENERATION_SOURCE), 2)[0]]
    said = f"It wrote “{' '.join(chosen)}”: argmax s1 = “{chosen[0]}”; argmax s2 = “{chosen[1]}”; S = 2, T′ = 2."
    assert said in text


def test_the_perplexity_slide_claims_no_winner_it_did_not_measure_and_prints_no_wall_time(quick):
    text = words(slide(deck_measured_slides.perplexity))
    # the table's rows only (under its header; each ends in how it was trained), not a model the title or the
    # paragraph names before a number
    values = {name: float(value) for name, value in re.findall(r"(unigram|\d-gram|fixed window of \d|tanh RNN|LSTM)"
                                                                 r"[^\d]*?[, ](?:add-one|Kneser–Ney|48 units) "
                                                                 r"([\d.]+)(?= (?:counts|\d+ steps))",
                                                                 text.partition(" trained ")[2])}
    assert len(values) == 7, values
    best = min(values, key=values.get)
    assert f"(best here: the {best})" in text and "from counts to the LSTM" not in text
    assert not re.search(r"\d s\b", text), "a wall time: the slide would differ from run to run"


def test_the_deck_is_the_same_bytes_on_every_run(tmp_path, quick):
    first, second = (lecture_deck.deck(tmp_path / name) for name in ("a", "b"))
    for one, other in zip(first.slides + [first.html], second.slides + [second.html]):
        assert one.read_bytes() == other.read_bytes(), f"{one.name} differs between two runs"


def test_the_weight_sum_slide_says_the_terms_partly_cancel_and_draws_them_to_scale():
    root = slide(deck_measured_slides.weight_sum)
    text = words(root)
    bars = [printed_value(v) for v in re.findall(r"(\S+) t = \d", text.split("‖∂J/∂Whh|(t)‖")[0])]
    said = printed_value(re.search(r"The bars add up to ([\d.]+(?:·10[⁻⁰-⁹¹²³]+)?)", text).group(1))
    total = printed_value(re.search(r"‖Σt ∂J/∂Whh\|\(t\)‖ = ([\d.]+)", text).group(1))
    assert len(bars) == LANGUAGE_MODEL_STEPS and abs(said - sum(bars)) <= 0.05 * said and total < said
    assert "a norm of a sum ≤ the sum of norms" in text and "partly cancel" in text
    # terms to be added by eye: each bar as long as its value (a log axis drew 0.028 as half of 0.077)
    heights = [float(rect.get("height")) for rect in root.iter(SVG + "rect") if rect.get("class") == "bar"]
    assert len(heights) == LANGUAGE_MODEL_STEPS and "log axis" not in text
    tallest = max(range(LANGUAGE_MODEL_STEPS), key=lambda i: bars[i])
    for value, height in zip(bars, heights):
        assert abs(height / heights[tallest] - value / bars[tallest]) < 0.02 + 0.05 * (value == 0)


def test_the_pages_sums_stage_says_the_terms_partly_cancel():
    from tinygrad_rnn import viz
    from tinygrad_rnn.viz.lecture_models import language_model_loss

    loss, _ = language_model_loss("rnn", 4)
    [panel] = viz.lecture(loss).data["panels"]
    sums = next(stage for stage in panel["stages"] if stage["phase"] == "sums")
    w_hh = panel["weights"][0]
    assert w_hh["name"] == "W_hh" and sum(w_hh["terms"]) > w_hh["running"][0]
    assert "<mo>≤</mo>" in sums["math"] and "the terms partly cancel" in sums["math"].replace("\xa0", " ")


@pytest.mark.parametrize("make, steps", [(deck_graph_slides.unrolled, 4), (deck_graph_slides.language_model, 4),
                                         (deck_graph_slides.bptt, 2), (deck_graph_slides.classifier, 5),
                                         (deck_graph_slides.tagger, 5),
                                         (deck_graph_slides.encoder_decoder, "S = 2, T′ = 3"),
                                         (deck_graph_slides.generation, "S = 2, T′ = 2"),
                                         (deck_graph_slides.lstm_cell, 2)])  # (step 2 left out: c₁ handed on)
def test_every_slide_that_draws_steps_states_its_t(make, steps):
    # an encoder–decoder states both lengths: the source's S and the decoder's own T′ (its steps 1…T′)
    said = steps if isinstance(steps, str) else f"T = {steps}"
    assert said in words(slide(make)), "T changes from slide to slide: each says its own"


def test_the_language_models_title_names_the_nodes_the_figure_draws():
    root = slide(deck_graph_slides.language_model)
    title = "".join(next(root.iter(SVG + "text")).itertext())
    assert title == "The language model: xt → et → ht → st → Jt"
    assert any(label.startswith("s1 = linear") for label in figure_texts(root))
    assert not any(label.startswith("ŷ") for label in figure_texts(root)), "no ŷ drawn: the title promises none"


def test_generations_dashed_choice_runs_clear_of_the_states_names(monkeypatch):
    """Slide 13: the dashed argmax line ran down the middle of the gap between the decoder's cells, through the
    name h₂⁽ᵈ⁾ of the state between them; it now goes round the last decoder cell's far side (choice_routes),
    clear of every state's name and arrow."""
    from tinygrad_rnn.viz.geometry import segment_enters
    from tinygrad_rnn.viz.label_placement import label_rect
    from tinygrad_rnn.viz.picture import CHOICES

    drawn = []

    def kept(picture):
        labels, placed = layout(picture)
        drawn.append((picture, placed))
        return labels, placed

    layout = deck_lecture.labelled_layout
    monkeypatch.setattr(deck_lecture, "labelled_layout", kept)
    slide(deck_graph_slides.generation)
    (picture, placed), = drawn
    routes = list(zip((label for *_, label in picture.edges), placed.routes))
    choices = [route for label, route in routes if label in CHOICES]
    names = [label_rect(route.label_at, route.label_lines or [label]) for label, route in routes
             if label and label not in CHOICES and route.label_at is not None]
    assert choices and any(name.startswith("h") for name, _ in routes if name)
    for route in choices:
        points = route.points + [route.end]
        for p, q in zip(points, points[1:]):
            assert not any(segment_enters(p, q, rect) for rect in names), (p, q, names)
