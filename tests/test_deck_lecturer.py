"""The deck and figures as a lecturer reviewed them: the language model's slide names each row's weights, says where
OSU's head differs from this model's; CS224N's deck writes each step one way (s⁽¹⁾, y⁽⁰⁾, ∂J/∂U|₍ₜ₎)."""

import itertools
import pathlib
import re
import xml.etree.ElementTree as ElementTree

import pytest
from test_deck_review import figure_texts, slide, words  # (the review's readers of a slide)
from written import flat

from tinygrad_rnn.viz import deck_graph_slides, deck_lecture, deck_measured_slides
from tinygrad_rnn.viz.legibility import figure_sizes, legible
from tinygrad_rnn.viz.notation import resolve
from tinygrad_rnn.viz.slide import slide_number


@pytest.mark.parametrize("cell, notation, said", [
    ("rnn", "cs224n", "The same tensors on every copy: E (embedding), We, Wh, b1 (tanh RNN cell), U, b2 (linear)"),
    ("rnn", "elman", "The same tensors on every copy: E (embedding), W, V, bh (tanh RNN cell), U, by (linear)"),
    ("gru", "elman", "The same tensors on every copy: E (embedding), W, V, bh′, bh″ (GRU cell), U, by (linear)"),
    ("lstm", "cs224n", "The same tensors on every copy: E (embedding), We, Wh, b1 (LSTM cell), U, b2 (linear)"),
    ("rnn", "usc", "The same tensors on every copy: E (embedding), Wx, Wh, b (tanh RNN cell), Why, by (linear; CMU's "
                   "names: this lecture names none)"),
    ("lstm", "pytorch",
     "The same tensors on every copy: E (embedding), Wih, Whh, bih, bhh (LSTM cell), Why, by (linear)")])
def test_the_language_models_slide_names_the_weights_every_copy_shares(cell, notation, said):
    """Slide 03, the one figure every lecture shows, named no weight but U (the lines): its rows' weights, each one
    tensor, are named in the lecture's names (drawn on every copy, its text fell under 24 px), and it still reads."""
    made = deck_graph_slides.language_model(deck_lecture.Lecture(cell, resolve(notation)))
    assert said in words(ElementTree.fromstring(made)), words(ElementTree.fromstring(made))
    assert legible(*figure_sizes(made))


def test_the_elman_deck_says_its_head_has_no_tanh_where_osu_writes_one():
    """OSU writes y_t = tanh(U h_t + b_y), then softmax; this model's head is linear: the slide gave OSU's symbols
    to another equation without saying so."""
    elman, cs224n = (words(slide(deck_graph_slides.language_model, notation=notation))
                     for notation in ("elman", "cs224n"))
    assert "OSU CSE 5525 writes yt = tanh(U ht + by), then softmax: this model's head has no tanh" in elman, elman
    assert "tanh(" not in cs224n and "no tanh" not in cs224n  # CS224N's ŷ = softmax(U h + b₂) is this model's own


def test_cs224n_writes_the_decoders_scores_and_first_input_at_their_step_as_its_lines_do():
    """Slide 13's nodes read s₁ = linear under a caption of s⁽¹⁾; slide 12's text said y₀ under a figure of y⁽⁰⁾."""
    generation = slide(deck_graph_slides.generation, notation="cs224n")
    labels = figure_texts(generation)
    assert flat("s⁽¹⁾ = linear") in labels and flat("s⁽²⁾ = linear") in labels, labels
    assert not any(label.startswith("s₁") or label.startswith(flat("s₁")) for label in labels), labels
    assert words(generation).count("here") <= 1, words(generation)
    encoder_decoder = words(slide(deck_graph_slides.encoder_decoder, notation="cs224n"))
    assert "(y(0) = [BEGIN])" in encoder_decoder and "y0" not in encoder_decoder, encoder_decoder


@pytest.mark.parametrize("notation", ["pytorch", "cs224n"])
def test_the_bptt_slide_writes_the_per_step_term_as_the_weight_sum_slide_does(notation):
    """Slide 04's Σ nodes wrote ∂J/∂U|ₜ, slide 05 (and CS224N) ∂J/∂U|₍ₜ₎: one form in a deck."""
    sums = [label for label in figure_texts(slide(deck_graph_slides.bptt, notation=notation)) if label.startswith("Σ")]
    assert sums and all(label.endswith("|(t)") for label in sums), sums
    assert "|(t)" in words(slide(deck_measured_slides.weight_sum, notation=notation))


def test_a_gru_decks_perplexity_table_has_a_gru_row(quick):
    """`deck --cell gru --perplexity` measured a tanh RNN and an LSTM only (its small print said so)."""
    gru, rnn = (words(slide(deck_measured_slides.perplexity, cell=cell)) for cell in ("gru", "rnn"))
    assert "GRU, 48 units" in gru and "a tanh RNN, an LSTM and a GRU" in gru, gru
    assert "GRU" not in rnn and "a tanh RNN and an LSTM" in rnn


def test_the_perplexity_table_has_the_fixed_window_model_between_the_counts_and_the_rnns(quick):
    """Stanford's sequence runs n-gram → fixed-window neural model (Bengio et al. 2003) → RNN: its row, with the same
    embeddings and units, a window of the 5-gram's n − 1 = 4, its perplexity measured as the slide trains it."""
    text = words(slide(deck_measured_slides.perplexity))
    measured = fixed_window_perplexity(0, deck_measured_slides.TRAINING_STEPS)
    row = f"fixed window of 4, tanh, 48 units {measured:.2f} {deck_measured_slides.TRAINING_STEPS} steps"
    assert row in text, text
    assert text.index("5-gram, Kneser–Ney") < text.index(row) < text.index("tanh RNN, 48 units")
    assert "n-grams, a fixed window, a tanh RNN and an LSTM" in text and "(Bengio et al. 2003)" in text


def fixed_window_perplexity(seed: int, steps: int) -> float:
    """The held-out perplexity of the perplexity slide's fixed-window model, trained as the slide trains it."""
    import numpy

    from tinygrad_rnn import data, models, optim, training
    from tinygrad_rnn.creation import manual_seed

    corpus = data.standard_library_text(deck_measured_slides.CORPUS_CHARACTERS)
    vocabulary = data.Vocabulary.from_text(corpus, level="char")
    ids = numpy.array(vocabulary.encode(corpus))
    cut = int(0.9 * ids.size)
    manual_seed(seed)
    model = models.FixedWindowLM(len(vocabulary), window=deck_measured_slides.WINDOW, embedding_dim=16,
                                 hidden_size=deck_measured_slides.UNITS)
    training.train_language_model(model, optim.Adam(model.parameters(), lr=1e-2), ids[:cut], steps=steps,
                                  batch_size=16, bptt=32, clip=1.0, progress=False)
    return float(numpy.exp(training.evaluate(model, ids[cut:], batch_size=1, bptt=256)))


def test_the_seed_table_of_the_perplexity_slide_has_the_fixed_window_model_over_seeds():
    """docs/lecture.md's table of the slide's models over seeds 0, 1, 2 had no fixed-window column (the slide has its
    row): a range in every row, and seed 0 at the slide's 100 steps, measured again, inside the slide's row's."""
    lines = (pathlib.Path(__file__).resolve().parents[1] / "docs" / "lecture.md").read_text("utf-8").splitlines()
    header = next(k for k, line in enumerate(lines) if line.startswith("| corpus, training steps |"))
    column = [cell.strip() for cell in lines[header].split("|")].index("fixed window")
    rows = {line.split("|")[1].strip(): line.split("|")[column].strip()
            for line in itertools.takewhile(lambda line: line.startswith("|"), lines[header + 2:])}
    ranges = {name: [float(value) for value in cell.split("–")] for name, cell in rows.items()}
    assert len(ranges) == 5 and all(low <= high for low, high in ranges.values()), rows
    low, high = ranges["20,000 characters, 100 (the slide's)"]
    measured = round(fixed_window_perplexity(0, deck_measured_slides.TRAINING_STEPS), 2)
    assert low <= measured <= high, (measured, low, high)


def test_a_gru_decks_clipping_slide_says_why_it_clips_a_tanh_rnn_in_its_footnote():
    """The clipping slide of a GRU deck was a tanh RNN's, said in small print; then its title said why, in a 2-line
    aside that wrapped: the footnote says it, with the GRU's own ‖g‖ measured alike (its gates keep it small)."""
    text = words(slide(deck_measured_slides.clipping, cell="gru"))
    title, footnote = text.split(" gradient of ")[0], text.split("a tanh RNN of 8 units")[1]
    measured = slide_number(deck_measured_slides.exploding_norm("gru"))
    assert title == "Gradient clipping: if ‖g‖ ≥ τ, g ← τ g / ‖g‖", title
    assert f"; not this deck's GRU: its Whh scaled alike, it reaches only ‖g‖ = {measured}" in footnote, footnote
    exploding_norm = deck_measured_slides.exploding_norm
    assert exploding_norm("gru") < 10 < exploding_norm("rnn")  # what the footnote claims
    assert "not this deck's" not in words(slide(deck_measured_slides.clipping, cell="rnn"))


@pytest.mark.parametrize("notation, said", [("pytorch", "h1 = (1 − z1) ⊙ n1 + z1 ⊙ h0"),
                                            ("cs224n", "h(1) = (1 − z(1)) ⊙ n(1) + z(1) ⊙ h(0)")])
def test_the_gru_cells_new_state_is_written_as_the_lecture_writes_it_not_lerp(notation, said):
    labels = figure_texts(slide(deck_graph_slides.gru_cell, cell="gru", notation=notation))
    assert said in labels and not any("lerp" in label for label in labels), labels


def test_h0_shows_its_shape_only_where_the_figure_shows_shapes():
    """`graph --compare`, --forward-and-backward, a user's cell-level figure: h₀ alone wrote (1, 3) beside cells
    and x_t that write none. At op level, where every op shows its shape, h₀ keeps its own."""
    from tinygrad_rnn import viz
    from tinygrad_rnn.viz.lecture_models import last_step_loss, layer

    for options in ({"level": "cell"}, {"level": "cell", "backward": "both"}, {"level": "step"}):
        text = viz.to_dot(last_step_loss(layer("rnn"), 4), **options)  # (a slide-shaped figure, as the CLI draws)
        assert "h<SUB>0</SUB>" in text.replace("h_0", "h<SUB>0</SUB>") and "(1, 3)" not in text, options
    op = viz.to_dot(last_step_loss(layer("rnn"), 2), level="op", show_shapes=True)
    assert op.count("(1, 3)") > 2  # every op's shape, and h₀'s


def test_the_gradient_legend_writes_its_norms_as_a_slide_does():
    """The --compare legends wrote 7e-04 … 2e+00 where the deck writes 6.6·10⁻⁴: code, not a slide's numbers."""
    from tinygrad_rnn import viz
    from tinygrad_rnn.viz.dot import legend_labels, legend_values
    from tinygrad_rnn.viz.lecture_models import last_step_loss, layer
    from tinygrad_rnn.viz.numbers import slide_number

    assert legend_labels(6.6e-4, 1.7)[::4] == ["7·10⁻⁴", "3·10⁻²", "2"]
    assert legend_labels(0.9, 1.6) == [slide_number(v, 2) for v in legend_values(0.9, 1.6)]
    text = viz.to_dot(last_step_loss(layer("rnn"), 12), level="cell", show_grads=True)
    written = re.findall(r'POINT-SIZE="9">([^<]+)<', text)  # the legend's stops
    assert len(written) == 9 and any("·10⁻" in w for w in written) and not any("e-" in w for w in written), written


@pytest.mark.parametrize("make, said", [
    (deck_graph_slides.tagger, "The same tensors on every copy: E, Wx, Wh, b, Why, by (CMU's names: this lecture "
                               "names none)"),
    (deck_graph_slides.encoder_decoder, "(e): encoder, (d): decoder; two sets of weights, each the same along its "
                                        "row: Ex, Wx(e), Wh(e), b(e); Ey, Wx(d), Wh(d), b(d), Why, by"),
    (deck_graph_slides.generation, "(e): encoder, (d): decoder; two sets of weights, each the same along its row: "
                                   "Ex, Wx(e), Wh(e), b(e); Ey, Wx(d), Wh(d), b(d), Why, by")])
def test_slides_11_to_13_say_which_weights_are_shared(make, said):
    """The tagger, the encoder–decoder and its generation named no weight (their figures hide them): which tensors
    every copy shares, the encoder's and the decoder's apart, and in USC's names the head's W_hy said to be CMU's."""
    made = make(deck_lecture.Lecture("rnn", resolve("usc")))
    assert said in words(ElementTree.fromstring(made)), words(ElementTree.fromstring(made))
    assert legible(*figure_sizes(made))


BORROWED = "W_hy, b_y (CMU's names: this lecture names none)"  # as the notes write it, its scripts as typed


def test_a_lecture_that_names_no_head_says_whose_w_hy_is_wherever_a_figure_writes_it():
    """USC names no output layer: a figure writing W_hy, b_y — in its cells (label), in its key, in its BPTT Σ —
    says they are CMU's, as slides 03 and 11–13 do (before: no figure said it; the key's BPTT footnote ended
    '(params="label" writes them in every cell)', no key there). CMU's own names need no such note."""
    from tinygrad_rnn.cli import language_model_loss
    from tinygrad_rnn.viz.graph import build_picture

    loss, _ = language_model_loss("lstm", steps=3)
    for params, backward in (("label", False), ("key", False), ("key", True)):
        notes = build_picture((loss,), level="cell", params=params, backward=backward, notation="usc").notes
        assert BORROWED in notes, notes
        if backward:  # (the BPTT figure names its Σ, and keys no row: nothing for params="label" to write back)
            assert not any('params="label"' in note for note in notes), notes
    assert not [note for note in build_picture((loss,), level="cell", notation="cmu").notes if "CMU's" in note]


def test_slide_10_in_uscs_names_says_its_heads_names_are_cmus():
    """The classifier's head is drawn 'linear W_hy, b_y': the one slide of USC's deck that wrote them unsaid."""
    made = deck_graph_slides.classifier(deck_lecture.Lecture("lstm", resolve("usc")))
    assert "Why, by (CMU's names: this lecture names none)" in words(ElementTree.fromstring(made))
    assert legible(*figure_sizes(made))
