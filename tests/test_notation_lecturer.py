"""What a lecturer found false or mixed in the notations of the deck and the figures (issue #34), each slide or
figure built alone: the clipping slide's call and numbers, one meaning per bracket, |V| for a vocabulary's size."""

import re
import xml.etree.ElementTree as ElementTree

import numpy
import pytest
from slide_checks import SVG, figures
from written import flat, printed_value

import tinygrad_rnn as tr
from tinygrad_rnn.nn import functional as F
from tinygrad_rnn.viz import deck_graph_slides, deck_lecture, deck_measured_slides
from tinygrad_rnn.viz.graph import build_picture
from tinygrad_rnn.viz.legibility import figure_sizes, legible
from tinygrad_rnn.viz.notation import resolve


def slide(make, cell="rnn", notation="pytorch"):
    return ElementTree.fromstring(make(deck_lecture.Lecture(cell, resolve(notation))))


def words(root):
    return " ".join("".join(root.itertext()).split())


def table_rows(text):
    table = text.split("after clipping at τ = 1 ")[1].split(" all together")[0]
    return re.findall(r"(\S+) ([\d.]+) ([\d.]+)", table)


@pytest.mark.parametrize("notation, bias", [("cs224n", "b₁"), ("elman", "b_h"), ("cmu", "b_h"), ("usc", "b")])
def test_the_clipping_slide_shows_the_call_that_ran_and_its_numbers_in_every_notation(notation, bias):
    """Slide 14 in a one-bias notation printed clip_grad_norm_([W_e, W_h, b₁], 1.0) — no b₁ tensor exists — and
    ‖g‖ = 113, which no model ran: it clips model.parameters(), as the default deck does, and prints the same
    numbers, PyTorch's two biases as the parts b′ and b″ of the lecture's b."""
    default, text = words(slide(deck_measured_slides.clipping)), words(slide(deck_measured_slides.clipping,
                                                                             notation=notation))
    assert "tr.nn.utils.clip_grad_norm_(model.parameters(), 1.0)" in text and "clip_grad_norm_([" not in text, text
    rows, pytorch_rows = table_rows(text), table_rows(default)
    assert [name for name, _, _ in rows][2:] == [flat(bias) + "′", flat(bias) + "″"], rows
    assert [numbers for _, *numbers in rows] == [numbers for _, *numbers in pytorch_rows], (rows, pytorch_rows)
    total = re.search(r"all together, ‖g‖ ([\d.]+)", text).group(1)
    assert total == re.search(r"all together, ‖g‖ ([\d.]+)", default).group(1)
    norm = numpy.sqrt(sum(printed_value(before) ** 2 for _, before, _ in rows))
    assert abs(norm - printed_value(total)) <= 0.005 * norm, f"√Σ‖·‖² of the rows is {norm:.3g}, printed {total}"
    model = deck_measured_slides.exploding("rnn")
    ran = numpy.sqrt(sum(float(numpy.sum(p.grad.numpy() ** 2)) for p in model.parameters()))
    assert abs(ran - printed_value(total)) <= 0.005 * ran, (ran, total)
    parts = f"{flat(bias)} = {flat(bias)}′ + {flat(bias)}″"
    assert parts in text, text  # the footnote says what b′ and b″ are


def two_layer_language_model(cell="lstm"):
    tr.manual_seed(0)
    model = tr.models.LanguageModel(12, 4, 5, cell=cell, num_layers=2)
    logits, _ = model(tr.tensor([[1, 5, 3, 7]]))
    return F.cross_entropy(logits.reshape(-1, 12), tr.tensor([5, 3, 7, 2]))


def bidirectional_two_layers():
    tr.manual_seed(0)
    output, _ = tr.nn.RNN(3, 4, num_layers=2, bidirectional=True)(tr.randn(3, 1, 3))
    return output[-1].sum()


def every_text(picture):
    return [node.label for node in picture.nodes] + [label for _, _, label in picture.edges] + \
        [name for node in picture.nodes for name in node.parameters] + list(picture.notes)


@pytest.mark.parametrize("make, level", [(two_layer_language_model, "cell"), (bidirectional_two_layers, "cell"),
                                         (bidirectional_two_layers, "step")])
def test_in_cs224n_a_parenthesised_superscript_is_the_time_step_alone(make, level):
    """CS224N writes time as h⁽ᵗ⁾, yet its figures wrote a layer the same way on the weights (b₁⁽²⁾, W_h⁽¹→⁾ —
    "b₁ at step 2"), and a step-level figure both at once (h⁽²⁾⁽¹→⁾): the layer and direction are [ℓ] there,
    W_h^[2], h^[2]⁽³⁾, and one footnote line says which bracket is which."""
    texts = every_text(build_picture((make(),), level=level, notation="cs224n"))
    for text in texts:
        for found in re.findall(r"⁽([^⁾]*)⁾", text):  # (ᵗ, ᵗ⁻¹: a step; ⁰ h's start)
            assert re.fullmatch(r"[⁰¹²³⁴⁵⁶⁷⁸⁹ᵗᵀ]+(−¹)?", found), (found, text)
        assert "⁾⁽" not in text, text
    weights = [text for text in texts if re.search(r"W_[eh]", text)]
    assert weights and all(re.search(r"W_[eh]\^\[\d", text) for text in weights if "W_" in text), weights
    assert any(re.search(r"h\^\[\d[→←]?\]⁽", text) for text in texts), texts  # a state: its layer, then its time
    said = [note for note in texts if note.startswith("⁽ᵗ⁾: the time step; [·]: the layer") or
            re.match(r"h\^\[2[→←]?\]⁽.⁾: the state h of layer 2 (\(\w+\) )?at step \d", note)]
    assert len(said) == 1, texts  # one line, an example or the rule


def test_the_default_notation_keeps_its_layer_marks():
    """PyTorch's names write the time below (h₃), so ⁽·⁾ is the layer alone there: h₂⁽¹⁾, W_hh⁽¹⁾ stay."""
    texts = every_text(build_picture((two_layer_language_model(),), level="cell"))
    assert any("W_hh⁽²⁾" in text for text in texts) and any("h₂⁽¹⁾" in text for text in texts), texts
    assert not any("^[" in text for text in texts)


def tied_language_model():
    tr.manual_seed(0)
    model = tr.models.LanguageModel(vocab_size=10, embedding_dim=3, hidden_size=3, cell="rnn")
    model.head.weight = model.embedding.weight
    ids = tr.tensor([[2, 5, 7, 3]])
    logits, _ = model(ids[:, :-1])
    return F.cross_entropy(logits.reshape(-1, 10), ids[:, 1:].reshape(-1))


@pytest.mark.parametrize("notation", ["pytorch", "elman", "cmu", "usc", "cs224n"])
def test_a_tied_tables_shape_writes_the_vocabularys_size_as_v_in_bars(notation):
    """Elman's V is the recurrent matrix, and the tied footnote wrote the head's shape "(V × H)": a student read V
    times H. The vocabulary's size is |V| in every preset, as CS224N's d × |V| writes it."""
    notes = build_picture((tied_language_model(),), level="cell", notation=notation).notes
    tied = [note for note in notes if "(tied)" in note]
    assert tied and not any(re.search(r"(?<!\|)V\| ×|(?<!\|)V × ", note) for note in tied), tied
    assert notation == "cs224n" or any("(|V| × H)" in note for note in tied), tied


@pytest.mark.parametrize("level", ["cell", "op"])
def test_cmus_notation_says_its_lecture_writes_no_bias(level):
    """CMU's recurrence is h_t = tanh(W_hh h_{t−1} + W_xh x_t): its preset named the model's two biases b_h and said
    "the lecture writes their sum", which it does not. One footnote line says the lecture writes none, then (a
    sentence of its own) the recurrence this model computes, its bias in it: the lecture's has none."""
    tr.manual_seed(0)
    output, _ = tr.nn.RNN(2, 3)(tr.randn(2, 1, 2))
    notes = build_picture((output.sum(),), level=level, notation="cmu").notes
    bias = [note for note in notes if "bias_ih" in note]
    assert len(bias) == 1 and "; CMU writes no bias. Here h_t = tanh(W_hh h_{t−1} + W_xh x_t + b_h)" in bias[0], notes
    assert not any("the lecture writes their sum" in note or "lecture's one bias" in note for note in notes), notes
    others = build_picture((output.sum(),), level=level, notation="usc").notes
    assert any("the lecture writes their sum" in note or "lecture's one bias" in note for note in others), others


@pytest.mark.parametrize("cell, said", [("LSTM", "i, f, g, o = σ, σ, tanh, σ of (W_hh h_{t−1} + W_xh x_t + b_h)"),
                                        ("GRU", "r, z and n read W_xh x_t + b_h′ and W_hh h_{t−1} + b_h″")])
def test_cmus_no_bias_footnote_writes_the_cells_own_equation(cell, said):
    """The LSTM's footnote (deck slide 07) quoted the tanh RNN's recurrence, h_t = tanh(W_hh h_{t−1} + W_xh x_t), and
    the GRU's named its biases b_ih, b_hh, which CMU's lecture never defines: each cell's own gates, b_h′ and b_h″,
    with the biases this model adds (CMU writes no LSTM or GRU: the equation is the model's, not the lecture's)."""
    tr.manual_seed(0)
    output, _ = getattr(tr.nn, cell)(2, 3)(tr.randn(2, 1, 2))
    notes = build_picture((output.sum(),), level="op", notation="cmu").notes
    bias = [note for note in notes if "bias_ih" in note]  # (PyTorch's names, said of its two biases)
    assert len(bias) == 1 and f"; CMU writes no bias. Here {said}" in bias[0], notes
    assert "b_h′" in bias[0] and "b_ih," not in bias[0] and "tanh(W_hh" not in bias[0], bias


@pytest.mark.parametrize("cell, notation", [("rnn", "pytorch"), ("lstm", "cs224n"), ("gru", "cmu")])
def test_the_tagger_slide_draws_all_five_words_at_a_size_a_room_reads(cell, notation):
    """Slide 11 left out "to the" at T = 5 (steps are left out only past 8) for 23.4 px labels: with each loss
    written "J₃: TO" and a line saying what that is, all five columns fit at 24 px (labels 28)."""
    svg = deck_graph_slides.tagger(deck_lecture.Lecture(cell, resolve(notation)))
    root = ElementTree.fromstring(svg)
    drawn = " ".join("".join(text.itertext()) for nested, _ in figures(root) for text in nested.iter(SVG + "text"))
    for word, tag in zip("the keys to the cabinet".split(), "DT NNS TO DT NN".split(), strict=True):
        assert f'"{word}"' in drawn and f": {tag}" in drawn, drawn
    assert "…" not in drawn and "cross-entropy of step 3's scores with the tag TO" in words(root)
    assert legible(*figure_sizes(svg))


def test_the_weight_sum_slides_axis_writes_its_ticks_in_one_format():
    """Slide 05's y axis read 0, 2.0·10⁻², …, 8.0·10⁻², 0.10: one format per axis, 0 … 0.10 in two places."""
    root = slide(deck_measured_slides.weight_sum)
    ticks = ["".join(text.itertext()) for text in root.iter(SVG + "text") if text.get("text-anchor") == "end"
             and re.fullmatch(r"[\d.·⁻¹²³⁴⁵⁶⁷⁸⁹⁰−10]+", "".join(text.itertext()))]
    assert ticks == ["0", "0.02", "0.04", "0.06", "0.08", "0.10"], ticks


def test_a_gru_decks_stacked_slide_draws_gru_cells_and_says_so():
    """The review read slide 09 of `deck --cell gru` as "two layers of tanh RNN": it draws the deck's cell."""
    root = slide(deck_graph_slides.stacked, cell="gru")
    drawn = " ".join("".join(text.itertext()) for nested, _ in figures(root) for text in nested.iter(SVG + "text"))
    assert "two layers of GRU, each both ways" in words(root) and "tanh RNN" not in words(root)
    assert drawn.count("GRU cell") == 8 and "RNN cell" not in drawn, drawn
