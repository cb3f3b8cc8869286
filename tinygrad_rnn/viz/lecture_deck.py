"""The lecture on recurrent networks as a deck of slides, computed from real models in one call.

``deck("rnn_deck")`` (and ``tinygrad-rnn deck -o rnn_deck``) writes the figures a lecture on RNNs
shows, each a 1,920 × 1,080 slide with a title (:mod:`.slide`), drawn from small seeded models
(:mod:`.lecture_models`): the RNN rolled and unrolled; the language model with x_t, ŷ_t and J_t;
its backpropagation through time; ∂J/∂W_hh as a sum of per-step terms; the vanishing gradient of
the tanh RNN, LSTM and GRU on one scale; the LSTM and GRU cells; stacked and bidirectional
layers; a classifier and a tagger; the encoder–decoder and its generation; gradient clipping;
and, asked for (``perplexity=True``), a perplexity table from n-grams to the LSTM. Then
``index.html`` and ``slides.pdf`` as for an exported page (:func:`.export.write_slides`). ``cell``
picks the recurrent cell of the slides that draw one; ``notation`` the lecture's names.

>>> names = [name for name, _ in SLIDES]
>>> names[:3], len(names)
(['01-rolled', '02-unrolled', '03-language-model'], 15)
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from typing import Any

import numpy

from .. import analysis, nn
from ..engine import grad, grad_contributions
from ..models.seq2seq import BEGIN_ID
from ..steps import step_of
from .export import Written, write_slides
from .gru_rows import label_candidate_rows
from .layout import labelled_layout
from .lecture_models import (
    NOW,
    NOW_TARGETS,
    ONE_WORD,
    SENTENCE,
    SOURCE_WORDS,
    TAG_NAMES,
    TAGS,
    TARGET_WORDS,
    begin_read_as_y,
    classifier_loss,
    language_model_loss,
    last_step_loss,
    layer,
    one_step_loss,
    seq2seq_loss,
    seq2seq_model,
    seq2seq_source,
    seq2seq_tokens,
    tagger_loss,
)
from .legibility import figure_sizes, legible
from .notation import BIAS_PARTS, Notation, resolve, short_name
from .slide import HEIGHT, MARGIN, WIDTH, body_top, figure_slide, paragraph, slide_number, slide_svg
from .slide_charts import bars, colour_legend, colour_rows, note, table
from .svg import picture_to_svg

Figure = tuple[str, list[str]]  # a drawing's SVG, and its notes: what its labels mean
CELLS = {"rnn": "tanh RNN", "lstm": "LSTM", "gru": "GRU"}
STEP_T = "ₜ"  # a figure's subscript t
HEAD_WITH_TANH = {"elman": "OSU CSE 5525"}  # notations whose lecture puts a tanh in the head: y_t = tanh(U h_t + b_y)
VANISHING_STEPS = 12
VANISHING_INPUT_SEED = 1  # the inputs `graph --compare` draws for its seed 0: the slide shows what it prints
CORPUS_CHARACTERS, TRAINING_STEPS, UNITS = 20_000, 100, 48  # the perplexity slide: seconds, not minutes


class Lecture:
    """What every slide is drawn with: the cell, the notation, and the names it gives the weights."""

    def __init__(self, cell: str, notation: Notation) -> None:
        self.cell, self.notation = cell, notation
        self.name = CELLS[cell]

    def symbol(self, name: str) -> str:
        return self.notation.symbol(name)

    def timed(self, text: str) -> str:
        """Text in this lecture's notation: h_t, or h^(t) (CS224N's h⁽ᵗ⁾); J, or CMU's L."""
        return self.notation.in_text(text)

    def slide(self, title: str, figure: Figure, lines: list[str] = (), footer: str = "") -> str:
        """:func:`.slide.figure_slide` with the title and lines in this lecture's notation."""
        svg, notes = figure
        return figure_slide(self.timed(title), svg, notes, [self.timed(line) for line in lines], footer)

    def figure(self, loss: Any, **options: Any) -> Figure:
        """The library's own SVG of ``loss``'s graph (no Graphviz), as ``viz.save`` draws it but without
        shapes, and its notes apart: the slide writes them at its own text size, under or beside it."""
        from . import _defaults, _picture  # the package's drawing path, complete once it is imported

        picture, _ = _picture((loss,), **_defaults({"show_shapes": False, "notation": self.notation, **options}))
        for node in picture.nodes:  # a Σ node's per-step term as the deck's own lines write it: ∂J/∂W|_(t), one form
            node.label = node.label.replace(f"|{STEP_T}", f"|₍{STEP_T}₎")  # (the figures' |ₜ: the same term)
            first, _, rest = node.label.partition("\n")
            if first.endswith(" = lerp") and node.step is not None:  # a GRU's h_t, by the lecture's equation
                first = first.removesuffix("lerp") + self.interpolation(node.step)
                node.label = first + ("\n" + rest if rest else "")
        if options.get("level") == "op":  # a GRU cell's two n rows, each riser saying which it carries
            x_rows, h_rows = self.candidate_rows(self.notation.at_step("x", "1"), self.notation.at_step("h", "0"))
            label_candidate_rows(picture, x_rows, h_rows)
        notes, picture.notes = picture.notes, []
        labels, placed = labelled_layout(picture)
        # as drawn, not widened to a slide's shape (figure=True): the slide gives it the room its body has
        return picture_to_svg(picture, placed, labels, "figure"), notes

    def candidate(self) -> str:
        """The GRU's candidate n in the names its figure writes (:meth:`candidate_rows`)."""
        x_rows, h_rows = self.candidate_rows()
        if not x_rows.startswith("["):
            return f"n = tanh({x_rows} + r ⊙ ({h_rows}))"
        return f"n = tanh({x_rows} + r ⊙ {h_rows}),   [·]ₙ: the rows that feed n"

    def candidate_rows(self, x: str = "x_t", h: str = "h_{t−1}") -> tuple[str, str]:
        """The two inputs of the GRU's candidate n: PyTorch's W_in x + b_in and W_hn h + b_hn, or the lecture's
        weights with [·]ₙ, their rows that feed n, and both of PyTorch's biases (a GRU's two do not add up to one:
        :meth:`.Notation.for_cell`; b₁′, b₁″ where a user named both b₁ all the same)."""
        gru = self.notation.for_cell("gru")
        w_ih, w_hh, b_ih, b_hh = (gru.symbol(name) for name in ("W_ih", "W_hh", "b_ih", "b_hh"))
        if (w_ih, w_hh) == ("W_ih", "W_hh"):
            return f"W_in {x} + b_in", f"W_hn {h} + b_hn"
        if b_ih == b_hh:
            b_ih, b_hh = (b_ih + mark for mark in BIAS_PARTS)
        return f"[{w_ih} {x} + {b_ih}]ₙ", f"[{w_hh} {h} + {b_hh}]ₙ"

    def interpolation(self, step: int) -> str:
        """A GRU's new state as the lectures write it, (1 − z₁) ⊙ n₁ + z₁ ⊙ h₀: what the op torch.lerp(n, h, z)
        computes, which no lecture calls lerp."""
        def at(name: str, t: int) -> str:
            return self.notation.at_step(name, str(t))
        return f"(1 − {at('z', step)}) ⊙ {at('n', step)} + {at('z', step)} ⊙ {at('h', step - 1)}"

    def shared_by_rows(self) -> str:
        """Which weights every copy of each row uses, in the lecture's names (one tensor each, the same at every
        step): what a figure drawn without its weights' names says in words. The cell's biases as its figure
        writes them: a lecture's one b where it writes their sum, a GRU's two (:meth:`.Notation.for_cell`)."""
        names = self.notation.for_cell(self.cell)
        cell = list(dict.fromkeys(names.symbol(name) for name in ("W_ih", "W_hh", "b_ih", "b_hh")))
        return (f"The same tensors on every copy: {names.symbol('E')} (embedding), {', '.join(cell)} "
                f"({self.name} cell), {names.symbol('W_hy')}, {names.symbol('b_y')} (linear)")

    def recurrence(self) -> str:
        """The cell's equation in the lecture's names, as text: both of PyTorch's biases, or the
        lecture's one where it writes their sum; CS224N's W_e multiplies an embedding, e_t = E x_t."""
        w_ih, w_hh, b_ih, b_hh = (self.symbol(name) for name in ("W_ih", "W_hh", "b_ih", "b_hh"))
        biases = b_ih if b_ih == b_hh else f"{b_ih} + {b_hh}"
        read = "e_t" if w_ih == "W_e" else "x_t"
        embedded = ",   e_t = E x_t" if read == "e_t" else ""
        return {"rnn": f"h_t = tanh({w_hh} h_{{t−1}} + {w_ih} {read} + {biases}){embedded}",
                "lstm": "c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t,   h_t = o_t ⊙ tanh(c_t)",
                "gru": "h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}"}[self.cell]


def last_step_loss_said(steps: int | None = None) -> str:
    """What J is on the slides that draw a bare layer (:func:`.lecture_models.last_step_loss`), and
    its number of steps where the slide fixes one: a word where T changes from slide to slide."""
    if steps is None:
        return "J = Σ h_T: a loss on the last step, which the gradient must travel back from."
    alone = " (one step: the cell alone)" if steps == 1 else ""
    return f"J = Σ h_{steps}: a loss on the last step, T = {steps}{alone}."


# --- the slides, in the lecture's order ------------------------------------------------------------

def rolled(lecture: Lecture) -> str:
    loss = last_step_loss(layer(lecture.cell), 4)
    lines = [lecture.recurrence()]
    if "e_t" in lines[0]:  # CS224N's W_e reads an embedding, which a bare layer's figure does not draw
        lines.append("The layer is drawn alone: its input x_t stands for e_t.")
    return lecture.slide(f"The {lecture.name}, rolled: one cell, its state a loop back into it",
                        lecture.figure(loss, rolled=True),
                        [*lines, "The same cell runs at every step t = 1, 2, …, T.", last_step_loss_said()])


def unrolled(lecture: Lecture) -> str:
    loss = last_step_loss(layer(lecture.cell), 4)
    w = f"{lecture.symbol('W_hh')} and {lecture.symbol('W_ih')}"
    return lecture.slide("Unrolled over 4 steps: one copy of the cell per step", lecture.figure(loss, level="cell"),
                        [f"Every copy uses the same {w}: one tensor each, so the parameter count does not grow "
                         "with the sequence.", last_step_loss_said(4)])


def language_model(lecture: Lecture) -> str:
    loss, _ = language_model_loss(lecture.cell, 4)
    # the weights' names on every copy put the slide's text under 24 px (labels under 28: the nodes a line or two
    # taller, the slide's height bound), so the figure leaves them off and the lines name each row's, at a size a
    # room reads. The title names the nodes as the figure draws them: the head's linear gives the scores, and
    # cross_entropy takes their softmax ŷ_t and its −log at the next word in one op
    w_hy, b_y = lecture.symbol("W_hy"), lecture.symbol("b_y")
    head = (f"linear: the scores {w_hy} h_t + {b_y};   J_t = cross_entropy = −log ŷ_t[x_{{t+1}}], "
            "ŷ_t = softmax(the scores)")
    if lecture.notation.preset in HEAD_WITH_TANH:  # the lecture's symbols, said to be for another head than its own
        head = (f"linear: the scores {w_hy} h_t + {b_y};   ŷ_t = softmax(the scores), "
                f"where {HEAD_WITH_TANH[lecture.notation.preset]} writes y_t = tanh({w_hy} h_t + {b_y}), then softmax: "
                "this model's head has no tanh;   J_t = cross_entropy = −log ŷ_t[x_{t+1}]")
    return lecture.slide("The language model: x_t → e_t → h_t → linear → J_t",
                         lecture.figure(loss, level="cell", params="hide"),
                         [f"{head};   J = (1/T) Σ_t J_t, T = 4", lecture.shared_by_rows()])


def bptt(lecture: Lecture) -> str:
    # 2 steps: every row of the backward figure and its labels legible on the slide; ∂J/∂h_1 still
    # adds a part from J_1 and one through h_2 from J_2
    loss, _ = language_model_loss(lecture.cell, 2)
    return lecture.slide("Backpropagation through time: ∂J/∂h_t from right to left",
                        lecture.figure(loss, level="cell", backward=True),
                        footer=f"the {lecture.name} language model over T = 2 steps")


def weight_sum(lecture: Lecture) -> str:
    """∂J/∂W_hh = Σ_t ∂J/∂W_hh|_(t): the terms from grad_contributions, their norms, and .grad."""
    loss, recurrent = language_model_loss(lecture.cell, 6)
    weight = recurrent.weight_hh_l0
    terms = [numpy.zeros(weight.shape) for _ in range(6)]
    for scope, gradient in grad_contributions(loss, weight):
        terms[step_of(scope) - 1] += numpy.asarray(gradient.numpy(), dtype=numpy.float64)
    (total,) = grad(loss, weight, retain_graph=True)
    name = lecture.symbol("W_hh")
    title = lecture.timed(f"∂J/∂{name} is a sum of one term per step")
    top = body_top(title)
    norms = [float(numpy.linalg.norm(term)) for term in terms]
    # a linear axis: the bars are compared and added by eye, against the sum's norm below them
    parts = bars(norms, [f"t = {t}" for t in range(1, 7)], (MARGIN, top, 1100, HEIGHT - top - 120),
                 axis_label=lecture.timed(f"‖∂J/∂{name}|_(t)‖"), log=False)
    lines = [f"∂J/∂{name} = Σ_t ∂J/∂{name}|_(t)", f"one term per step t = 1 … 6: the bars, ‖∂J/∂{name}|_(t)‖",
             f"‖Σ_t ∂J/∂{name}|_(t)‖ = {slide_number(numpy.linalg.norm(sum(terms)))}",
             f"‖{name}.grad‖ = {slide_number(numpy.linalg.norm(total.numpy()))}: the same",
             # the bars' heights add up to more than the sum's norm: say why, or it reads as an error
             f"The bars add up to {slide_number(sum(norms))}: a norm of a sum ≤ the sum of norms, the terms point "
             "different ways and partly cancel.",
             "The term of step 1 is 0: there it multiplies h_0 = 0."]
    y = top + 60
    for line in lines:
        more, y = paragraph(lecture.timed(line), 1240, y, WIDTH - MARGIN - 1240)
        parts += more
        y += 24
    # the call as a program writes it (its argument the parameter, not the lecture's symbol for it)
    said = (f"the {lecture.name} language model, 6 steps; terms from tr.grad_contributions(J, rnn.weight_hh_l0), "
            f"PyTorch's name for {name}")
    parts.append(note(lecture.timed(said), MARGIN, HEIGHT - 60))
    return slide_svg(title, parts)


def vanishing(lecture: Lecture) -> str:
    """‖∂J/∂h_t‖ for a loss on step 12 of a tanh RNN, an LSTM and a GRU, on one colour scale, and the
    LSTM's ‖∂J/∂c_t‖: the path its cell state protects."""
    rows, notes = {}, {}
    h, c = lecture.timed("∂J/∂h_t"), lecture.timed("∂J/∂c_t")
    for kind, name in CELLS.items():
        recurrent = layer(kind)
        if kind == "lstm":
            nn.init.lstm_forget_gate_bias_(recurrent, 1.0)
        loss = last_step_loss(recurrent, VANISHING_STEPS, seed=VANISHING_INPUT_SEED)
        found = analysis.find_recurrence(loss)
        paths = [(h, found.hidden_states)] + ([(c, found.cell_states)] if kind == "lstm" else [])
        for gradient, states in paths:
            norms = [float(v) for v in analysis.hidden_state_gradient_norms(loss, states)]
            rows[f"{name}, {gradient}"] = norms
            notes[f"{name}, {gradient}"] = f"ratio {slide_number(norms[0] / norms[-1])}"
    lstm_h, lstm_c = rows[f"LSTM, {h}"], rows[f"LSTM, {c}"]
    positive = [v for values in rows.values() for v in values if v > 0]
    scale = (min(positive), max(positive))
    title = lecture.timed("The vanishing gradient: ‖∂J/∂h_t‖ for a loss on the last step")
    top = body_top(title)
    parts = colour_rows(rows, (MARGIN, top + 20, WIDTH - 2 * MARGIN, 480), scale, notes)
    parts += colour_legend(*scale, MARGIN, top + 520, lecture.timed("‖∂J/∂h_t‖, ‖∂J/∂c_t‖, log scale"))
    said = [f"ratio: the norm at step 1 over the one at step {VANISHING_STEPS}; one colour scale for all rows.",
            f"The LSTM's cell state c is the protected path: from step {VANISHING_STEPS} back to step 1, ‖{c}‖ "
            f"falls to {slide_number(lstm_c[0] / lstm_c[-1])} of its value, ‖{h}‖ to "
            f"{slide_number(lstm_h[0] / lstm_h[-1])}, of which × {slide_number(lstm_h[-2] / lstm_h[-1])} in the "
            f"first step back (J reads h_{VANISHING_STEPS} itself)."]
    y = top + 600
    for line in said:
        more, y = paragraph(lecture.timed(line), MARGIN, y, WIDTH - 2 * MARGIN)
        parts += more
        y += 14
    parts.append(note(lecture.timed(f"fresh layers (2 inputs, 3 units, seed 0; the LSTM's forget bias 1), the "
                                    f"same {VANISHING_STEPS} random inputs (seed {VANISHING_INPUT_SEED}), "
                                    f"J = Σ h_{VANISHING_STEPS}"),
                      MARGIN, HEIGHT - 60))
    return slide_svg(title, parts)


def one_step_figure(lecture: Lecture, kind: str) -> Figure:
    """One step of the cell at op level, J = Σ h₁ read from the cell's h₁ (its footnote says nothing of the
    weights being the same at every step: a figure of one step has none, :func:`.notation.parameter_notes`)."""
    return lecture.figure(one_step_loss(layer(kind)), level="op")


def lstm_cell(lecture: Lecture) -> str:
    return lecture.slide("The LSTM cell: four gates, two states", one_step_figure(lecture, "lstm"),
                        ["i, f, o = σ(·),   g = tanh(·)", "c_t = f ⊙ c_{t−1} + i ⊙ g", "h_t = o ⊙ tanh(c_t)",
                         "The cell state c only meets a multiply by f and an add: the path along which "
                         "gradients survive.", last_step_loss_said(1)])


def gru_cell(lecture: Lecture) -> str:
    return lecture.slide("The GRU cell: a reset and an update gate", one_step_figure(lecture, "gru"),
                        ["r, z = σ(·)", lecture.candidate(), "h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}",
                         last_step_loss_said(1)])


def stacked(lecture: Lecture) -> str:
    # 2 steps: four rows of cells (an LSTM's with h and c between them) stay legible on the slide. J reads
    # output[-1]; a classifier's h_n (the reverse state at t = 1) moves J to the left, and the LSTM's figure
    # would then be drawn under 24 px: the slide says what J reads instead
    loss = last_step_loss(layer(lecture.cell, num_layers=2, bidirectional=True), 2)

    def top(direction: str, step: str) -> str:  # layer 2's state, marked as the figure marks it
        return lecture.notation.at_step("h", step, "2" + direction)

    return lecture.slide(f"Stacked and bidirectional: two layers of {lecture.name}, each both ways",
                        lecture.figure(loss, level="cell", params="hide"),
                        ["Two steps, t = 1, 2; layer 1 at the bottom; each reverse direction runs right to left; "
                         "layer 2 reads both directions' states.",
                         f"J = Σ ({top('→', '2')}, {top('←', '2')}): layer 2's states at t = 2 (PyTorch's "
                         "output[-1]); the reverse one has taken one step, reading layer 1's states at t = 2 "
                         "(the forward one of them has read x_1 and x_2). A classifier reads layer 2's last state in "
                         f"each direction (PyTorch's h_n[-2:]): {top('→', '2')} and {top('←', '1')}, the reverse "
                         "one's at t = 1."])


MIDDLE_LEFT_OUT = (0, 1, len(SENTENCE) - 1)  # the sentence's steps drawn where its middle words are one "…"


def every_word(lecture: Lecture, title: str, draw: Callable[[tuple[int, ...]], Figure], lines: list[str]) -> str:
    """A slide of the sentence's figure with every word drawn, as a figure of up to 8 steps is — "to the"
    between the keys and the cabinet is the agreement example's point, the words the verb's number must be
    carried past — or, where a slide would then write under 24 px (labels 28), with its middle words as one
    "…" (t = 3…4), which the figure says. ``draw(steps)``: the figure of those steps (indices from 0). Measured
    on the slide, each figure in the box it has there (:func:`.legibility.figure_sizes`)."""
    whole = lecture.slide(title, draw(tuple(range(len(SENTENCE)))), lines)
    return whole if legible(*figure_sizes(whole)) else lecture.slide(title, draw(MIDDLE_LEFT_OUT), lines)


def classifier(lecture: Lecture) -> str:
    # whole in most notations; in CS224N's, whose h⁽ᵗ⁾ widen the gaps, its labels would be 26.6–27.5 px
    return every_word(lecture, "Many to one: a sentence classifier",
                      lambda steps: lecture.figure(classifier_loss(lecture.cell), level="cell",
                                                   tokens=[SENTENCE[t] for t in steps], time_steps=steps),
                      [f"x_1 … x_{len(SENTENCE)} = “{' '.join(SENTENCE)}”, T = {len(SENTENCE)}. Only the last "
                       "state h_T reaches the loss: is the subject plural (“the keys … are”)?"])


def tagger(lecture: Lecture) -> str:
    # each drawn word under its x_t and by its J_t its own tag (tokens= alone would write the next word there, a
    # language model's target). Drawn whole, five columns of J_t = cross_entropy, h₀ and the Σ put its text at
    # 23.4 px and its labels at 25.9 (22.8 and 25.4 in CS224N's names), in every notation and cell: drawn with its
    # middle words as one "…" at once, not drawn whole first to be measured and thrown away (as every_word does)
    tags = [TAG_NAMES[TAGS[word]] for word in SENTENCE]
    return lecture.slide("Many to many: a tag for every word",
                         lecture.figure(tagger_loss(lecture.cell), level="cell", params="hide",
                                        time_steps=MIDDLE_LEFT_OUT, tokens=[SENTENCE[t] for t in MIDDLE_LEFT_OUT],
                                        targets=[tags[t] for t in MIDDLE_LEFT_OUT]),
                         [f"x_1 … x_{len(SENTENCE)} = “{' '.join(SENTENCE)}”, T = {len(SENTENCE)}, tagged "
                          f"{' '.join(tags)} (Penn Treebank); J is the mean of the J_t."])


def encoder_decoder(lecture: Lecture) -> str:
    # each input's word under it and each J_t's target beside it: what teacher forcing feeds is read off.
    # One source word and one written, then [END]: the pair is trained as a real one is (its last target [END],
    # which teaches the decoder to stop: Seq2Seq.score and a training set's targets end so), and the figure
    # fits the slide at a size a room reads in every notation (CS224N's h⁽ᵉ⁾⁽¹⁾ widens each column)
    return lecture.slide("The encoder–decoder: the encoder's last state starts the decoder",
                        lecture.figure(seq2seq_loss(cell=lecture.cell, source=NOW, targets=NOW_TARGETS), level="cell",
                                       params="hide", tokens=seq2seq_tokens(source=NOW, targets=NOW_TARGETS)),
                        ["Teacher forcing: decoder step t reads y_{t−1} (y_0 = [BEGIN]), never its own guess. "
                         f"S = {len(NOW)}, T′ = {len(NOW_TARGETS)}."],  # one line: two put the labels under 28 px
                        footer=f"“{SOURCE_WORDS[NOW[0]]}”: Spanish for “now”. The last target is [END], as in every "
                               "pair it trains on: the step that teaches the decoder to stop")


def generation(lecture: Lecture) -> str:
    """Greedy generation by an untrained encoder–decoder: the first seed whose decoder writes two
    tokens (an untrained one may stop at once), so that the figure shows a choice fed back; one source
    word and two written, so that the figure fits the slide at a size a room reads. The decoder's
    scores are s_t (ŷ_t = softmax(s_t), as on every other slide), and the words it chose are written."""
    source = seq2seq_source(ids=ONE_WORD)
    seed = next((k for k in range(20) if len(seq2seq_model(cell=lecture.cell, seed=k).greedy(source, 2)[0]) == 2), 0)
    model = seq2seq_model(cell=lecture.cell, seed=seed)
    limit = 2
    written = [TARGET_WORDS[token] for token in model.greedy(source, limit)[0]]
    stop = "it wrote [END]" if len(written) < limit else f"after {limit} tokens, the most this slide lets it write"
    score = model.greedy_graph(source, max_length=limit)
    score.name = "log P(output | x)"  # the score of the words written: not of a ŷ, which the slide calls s_t
    begin_read_as_y(score)  # y₀ "[BEGIN]" and x₁ "llueve", as the encoder–decoder's slide writes them
    words = [SOURCE_WORDS[i] for i in ONE_WORD] + [TARGET_WORDS[BEGIN_ID]]
    chosen = "; ".join(f"argmax s_{step} = “{word}”" for step, word in enumerate(written, start=1))  # its own t
    return lecture.slide("Greedy generation: each output is fed back as the next input",
                        # s_t, the decoder's scores, written as the notation writes a step (s⁽¹⁾ in CS224N's), as the
                        # lines under the figure write it
                        lecture.figure(score, level="cell", params="hide",
                                       notation=lecture.notation.renamed({"s": "s"}),
                                       tokens=words),
                        [f"x_1 = “{SOURCE_WORDS[ONE_WORD[0]]}”; s_t: step t's scores (logits), ŷ_t = softmax(s_t); "
                         "the argmax of s_t is fed back as the next input.",
                         f"It wrote “{' '.join(written)}”: {chosen}; S = {len(ONE_WORD)}, "
                         f"T′ = {len(written) + (len(written) < limit)}.",
                         f"Dashed: a choice, no gradient flows through it. Generation stops at [END] or, here, "
                         f"{stop}."],
                        footer=f"an untrained {lecture.name} encoder–decoder (seed {seed}): its choices are arbitrary")


def perplexity(lecture: Lecture) -> str:
    """Held-out perplexity of n-gram models and of a tanh RNN and an LSTM, on a corpus small enough to take seconds."""
    from .. import data, models, optim, training
    from ..creation import manual_seed

    text = data.standard_library_text(CORPUS_CHARACTERS)
    vocabulary = data.Vocabulary.from_text(text, level="char")
    ids = numpy.array(vocabulary.encode(text))
    cut = int(0.9 * ids.size)
    train, held_out = ids[:cut], ids[cut:]
    rows = []
    # Kneser–Ney backs off to a lower order, which a unigram has not: it is smoothed by add-one instead
    for order, smoothing, name in [(1, "add-k", "unigram, add-one"), (2, "kneser-ney", "2-gram, Kneser–Ney"),
                                   (3, "kneser-ney", "3-gram, Kneser–Ney"), (5, "kneser-ney", "5-gram, Kneser–Ney")]:
        model = models.NGramLM(order, smoothing=smoothing, k=1.0).fit(train, vocabulary_size=len(vocabulary))
        rows.append([name, f"{model.perplexity(held_out):.2f}", "counts"])
    kinds = ["rnn", "lstm"] + ([lecture.cell] if lecture.cell not in ("rnn", "lstm") else [])  # the deck's own cell
    for kind in kinds:
        manual_seed(0)
        model = models.LanguageModel(len(vocabulary), embedding_dim=16, hidden_size=UNITS, cell=kind)
        training.train_language_model(model, optim.Adam(model.parameters(), lr=1e-2), train, steps=TRAINING_STEPS,
                                      batch_size=16, bptt=32, clip=1.0, progress=False)
        value = float(numpy.exp(training.evaluate(model, held_out, batch_size=1, bptt=256)))
        # no wall time: the deck is the same bytes on every run (steps, not seconds, say how long it trained)
        rows.append([f"{CELLS[kind]}, {UNITS} units", f"{value:.2f}", f"{TRAINING_STEPS} steps"])
    best = min(rows, key=lambda row: float(row[1]))[0].split(",")[0]
    # the title says what was measured: on these few seconds of training the counts may well win
    named = ", ".join(f"a{'n' if kind == 'lstm' else ''} {CELLS[kind]}" for kind in kinds[:-1]) + \
        f" and a{'n' if kinds[-1] == 'lstm' else ''} {CELLS[kinds[-1]]}"
    title = f"Perplexity on held-out text: n-grams, {named} (best here: the {best})"
    top = body_top(title)
    parts = table(["model (characters)", "perplexity", "trained"], rows, (MARGIN, top, 1300, 600))
    rnn, lstm = (float(row[1]) for row in rows[4:6])
    versus = "has no edge over the tanh RNN yet" if lstm >= rnn else "beats the tanh RNN"
    parts += paragraph(f"Measured here on {cut:,} characters of Python's standard-library source (held out: the "
                       f"last {ids.size - cut:,}; a vocabulary of {len(vocabulary)}); lower is better. On so little "
                       f"text and training the {best} is best, and the LSTM {versus}. These are perplexities per "
                       "character: not comparable with the lecture's per word on the One Billion Word benchmark "
                       "(a Kneser–Ney 5-gram at 67.6, LSTMs at 30–44).", MARGIN, top + 420, WIDTH - 2 * MARGIN)[0]
    return slide_svg(title, parts)


def exploding(kind: str) -> Any:
    """A layer of 8 units whose W_hh is scaled by 6, after J = Σ h_30's backward: a tanh RNN's gradient explodes
    (‖g‖ = 116); a GRU's and an LSTM's gates keep theirs small (2.5 and 3.9)."""
    from ..recording import no_grad

    recurrent = layer(kind, hidden_size=8)
    with no_grad():
        recurrent.weight_hh_l0.mul_(6.0)  # large recurrent weights: a tanh RNN's gradient explodes
    last_step_loss(recurrent, 30).backward()
    return recurrent


def exploding_norm(kind: str) -> float:
    """‖g‖ of :func:`exploding`'s every parameter."""
    return float(numpy.sqrt(sum(float(numpy.sum(p.grad.numpy() ** 2)) for p in exploding(kind).parameters())))


def clipping(lecture: Lecture) -> str:
    """One exploding gradient, before and after clip_grad_norm_ at 1, of the lecture's parameters: one row
    per symbol. Where the notation has one bias b for PyTorch's two (b = bias_ih + bias_hh), ∂J/∂b is
    the gradient of either (both are added where b is), so b's row and ‖g‖ count it once, as the
    lecture's model has it; the slide says what PyTorch's model.parameters(), with both, gives."""
    recurrent = exploding("rnn")
    parameters = dict(recurrent.named_parameters())
    norms = {name: float(numpy.linalg.norm(p.grad.numpy())) for name, p in parameters.items()}  # each once, unclipped
    symbols: dict[str, Any] = {}  # the lecture's symbol → its parameter's name (the first of PyTorch's, for one b)
    for name in parameters:
        symbols.setdefault(lecture.symbol(short_name(name)), name)
    before = {symbol: norms[name] for symbol, name in symbols.items()}
    total = float(nn.utils.clip_grad_norm_([parameters[name] for name in symbols.values()], 1.0).item())
    after = {symbol: float(numpy.linalg.norm(parameters[name].grad.numpy())) for symbol, name in symbols.items()}
    clipped = float(numpy.sqrt(sum(v * v for v in after.values())))

    def printed(value: float) -> str:  # 3 digits: the printed norms add up (√Σ‖·‖²) and scale (× τ/‖g‖) as shown
        return slide_number(value, digits=3)

    rows = [[symbol, printed(before[symbol]), printed(after[symbol])] for symbol in symbols]
    rows.append(["all together, ‖g‖", printed(total), printed(clipped)])
    title = "Gradient clipping: if ‖g‖ ≥ τ, g ← τ g / ‖g‖"
    if lecture.cell != "rnn":  # the deck's cell, scaled alike, measured: why the slide clips a tanh RNN's instead
        title += (f" — on a tanh RNN: a {lecture.name}, its {lecture.symbol('W_hh')} scaled alike, reaches only "
                  f"‖g‖ = {slide_number(exploding_norm(lecture.cell))}")
    top = body_top(title)
    parts = table(["gradient of", "‖·‖ before", "after clipping at τ = 1"], rows, (MARGIN, top, 1100, 500))
    parts += bars([total, clipped], ["‖g‖ before", "after"], (1300, top, WIDTH - MARGIN - 1300, 560), digits=3)
    parts += paragraph(f"Every gradient is scaled by the same τ / ‖g‖ = {printed(1.0 / total)}: the step keeps "
                       "its direction and loses its size.", MARGIN, top + 360, 1100)[0]
    clipped_what = "model.parameters()"
    if len(symbols) < len(parameters):  # the lecture's one bias: PyTorch's model has it twice
        clipped_what = "[" + ", ".join(symbols) + "]"
        pytorch_total = float(numpy.sqrt(sum(norm ** 2 for norm in norms.values())))  # what it clips: every one
        bias = lecture.symbol("b_ih")
        parts.append(note(f"{bias} = bias_ih + bias_hh, PyTorch's two biases, each with the gradient "
                          f"{lecture.timed('∂J/∂')}{bias}: clip_grad_norm_(model.parameters(), 1.0) counts it twice, "
                          f"‖g‖ = {printed(pytorch_total)}", MARGIN, top + 620))  # (below the bars: a long line)
    parts.append(note(f"tr.nn.utils.clip_grad_norm_({clipped_what}, 1.0), as Pascanu et al. (2013) propose",
                      MARGIN, top + 520))
    parts.append(note(lecture.timed(f"a tanh RNN of 8 units, {lecture.symbol('W_hh')} scaled by 6 so that it "
                                    "explodes, J = Σ h_30"), MARGIN, HEIGHT - 60))
    return slide_svg(title, parts)


SLIDES: list[tuple[str, Callable[[Lecture], str]]] = [  # every slide the deck can write, in the lecture's order
    ("01-rolled", rolled), ("02-unrolled", unrolled), ("03-language-model", language_model),
    ("04-bptt", bptt), ("05-weight-sum", weight_sum), ("06-vanishing", vanishing), ("07-lstm-cell", lstm_cell),
    ("08-gru-cell", gru_cell), ("09-stacked-bidirectional", stacked), ("10-classifier", classifier),
    ("11-tagger", tagger), ("12-encoder-decoder", encoder_decoder), ("13-generation", generation),
    ("14-perplexity", perplexity), ("15-clipping", clipping)]
# Asked for only (perplexity=True, --perplexity): trained for the seconds a deck has, the tanh RNN and the LSTM
# lose to a 5-gram on every seed measured, however long within them (docs/lecture.md gives the numbers) — an
# honest table that teaches the opposite of the lecture's point
ASKED_FOR_ONLY = {"14-perplexity"}


def slides_of(perplexity: bool = False) -> list[tuple[str, Callable[[Lecture], str]]]:
    """The deck's slides, numbered in order: all of :data:`SLIDES`, the perplexity table only if asked for.

    >>> [name for name, _ in slides_of()][-2:], [name for name, _ in slides_of(perplexity=True)][-2:]
    (['13-generation', '14-clipping'], ['14-perplexity', '15-clipping'])
    """
    kept = [(name.split("-", 1)[1], make) for name, make in SLIDES if perplexity or name not in ASKED_FOR_ONLY]
    return [(f"{k:02d}-{name}", make) for k, (name, make) in enumerate(kept, 1)]


def deck(directory: str | pathlib.Path = "rnn_deck", cell: str = "rnn",
         notation: str | dict | Notation | None = None, perplexity: bool = False) -> Written:
    """Write the lecture's slides into ``directory`` (SVG each, index.html, slides.pdf where a converter
    is installed); ``cell`` ("rnn", "lstm" or "gru") is the network of the slides that draw one;
    ``perplexity``: add the perplexity table of n-grams, a tanh RNN and an LSTM (left out by default:
    trained for the seconds a deck has, the networks lose to a 5-gram; docs/lecture.md gives the numbers).

    >>> written = deck("rnn_deck")  # doctest: +SKIP
    >>> len(written.slides)  # doctest: +SKIP
    14
    """
    if cell not in CELLS:
        raise ValueError(f"deck: cell must be one of {sorted(CELLS)}, got {cell!r}")
    lecture = Lecture(cell, resolve(notation))
    slides = [(name, make(lecture)) for name, make in slides_of(perplexity)]
    return write_slides(directory, slides, f"Recurrent networks: the lecture's figures, computed ({lecture.name})")
