"""The deck's slides that draw a network's graph, and what each says beside it: the RNN rolled and unrolled, the
language model and its backpropagation through time, the LSTM and GRU cells, stacked and bidirectional layers, a
classifier and a tagger, the encoder–decoder and its greedy generation.

Each is a function of a :class:`.deck_lecture.Lecture` that returns the slide's SVG: the graph of a small seeded
model's loss (:mod:`.lecture_models`) drawn by :meth:`.deck_lecture.Lecture.figure`, with a title and lines in the
lecture's notation. The slides that chart measured numbers instead are :mod:`.deck_measured_slides`; the order of
both in the deck is :data:`.lecture_deck.SLIDES`.

>>> last_step_loss_said(4)
'J = Σ h_4: a loss on the last step, T = 4.'
"""

from __future__ import annotations

from collections.abc import Callable

from ..models.seq2seq import BEGIN_ID, END_ID
from .deck_lecture import Figure, Lecture
from .lecture_models import (
    LANGUAGE_MODEL_STEPS,
    SENTENCE,
    SOURCE_WORDS,
    TAG_NAMES,
    TAGS,
    TARGET_WORDS,
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
from .notation import PRESETS

HEAD_WITH_TANH = {"elman": "OSU CSE 5525"}  # notations whose lecture puts a tanh in the head: y_t = tanh(U h_t + b_y)


def last_step_loss_said(steps: int | None = None) -> str:
    """What J is on the slides that draw a bare layer (:func:`.lecture_models.last_step_loss`), and
    its number of steps where the slide fixes one: a word where T changes from slide to slide."""
    if steps is None:
        return "J = Σ h_T: a loss on the last step, which the gradient must travel back from."
    alone = " (one step: the cell alone)" if steps == 1 else ""
    return f"J = Σ h_{steps}: a loss on the last step, T = {steps}{alone}."


def rolled(lecture: Lecture) -> str:
    loss = last_step_loss(layer(lecture.cell), 4)
    lines = [lecture.recurrence()]
    if lecture.notation.reads_embedding:  # CS224N's W_e reads an embedding, which a bare layer's figure does not draw
        lines.append(lecture.notation.input_stands_for())  # (the other figures' note: a rolled one's is this line)
    return lecture.slide(f"The {lecture.name}, rolled: one cell, its state a loop back into it",
                        lecture.figure(loss, rolled=True),
                        [*lines, "The same cell runs at every step t = 1, 2, …, T.", last_step_loss_said()])


def unrolled(lecture: Lecture) -> str:
    loss = last_step_loss(layer(lecture.cell), 4)
    w = f"{lecture.cell_symbol('W_hh')} and {lecture.cell_symbol('W_ih')}"  # the drawn cell's, as its copies name them
    return lecture.slide("Unrolled over 4 steps: one copy of the cell per step", lecture.figure(loss, level="cell"),
                        [f"Every copy uses the same {w}: one tensor each, so the parameter count does not grow "
                         "with the sequence.", last_step_loss_said(4)])


LANGUAGE_MODEL_WORDS = "the students opened their books".split()  # the page's: x_1 … x_4 and the last target


def language_model(lecture: Lecture) -> str:
    loss, _ = language_model_loss(lecture.cell, LANGUAGE_MODEL_STEPS, words=LANGUAGE_MODEL_WORDS)
    # the weights' names on every copy put the slide's text under 24 px (labels under 28: the nodes a line or two
    # taller, the slide's height bound), so the figure leaves them off and the lines name each row's, at a size a
    # room reads. The title names the nodes as the figure draws them: the head's linear gives the scores, and
    # cross_entropy takes their softmax ŷ_t and its −log at the next word in one op
    w_hy, b_y = lecture.symbol("W_hy"), lecture.symbol("b_y")
    head = (f"s_t = linear: the scores {w_hy} h_t + {b_y};   J_t = cross_entropy = −log ŷ_t[x_{{t+1}}], "
            "ŷ_t = softmax(s_t)")
    if lecture.notation.preset in HEAD_WITH_TANH:  # the lecture's symbols, said to be for another head than its own
        head = (f"s_t = linear: the scores {w_hy} h_t + {b_y};   ŷ_t = softmax(s_t), "
                f"where {HEAD_WITH_TANH[lecture.notation.preset]} writes y_t = tanh({w_hy} h_t + {b_y}), then softmax: "
                "this model's head has no tanh;   J_t = cross_entropy = −log ŷ_t[x_{t+1}]")
    lines = [f"{head};   J = (1/T) Σ_t J_t, T = {LANGUAGE_MODEL_STEPS}", lecture.shared_by_rows()]
    if PRESETS[lecture.notation.preset].get("no_bias"):  # the slide names b_y too: the lecture's head has none either
        # (one line: a second set an LSTM's figure smaller, its labels at 27.5 px; slides 01, 02 and 04 say the rest)
        b_ih, b_hh = lecture.cell_symbol("b_ih"), lecture.cell_symbol("b_hh")
        biases = b_ih if b_ih == b_hh else f"{b_ih}, {b_hh}"
        lines.append(f"The lecture writes no bias: {biases} and {b_y} are this model's; its head is ŷ_t = "
                     f"softmax({w_hy} h_t)")
    return lecture.slide("The language model: x_t → e_t → h_t → s_t → J_t",
                         lecture.figure(loss, level="cell", params="hide", scores="s", tokens=LANGUAGE_MODEL_WORDS),
                         lines)


def bptt(lecture: Lecture) -> str:
    # 2 steps: every row of the backward figure and its labels legible on the slide; ∂J/∂h_1 still
    # adds a part from J_1 and one through h_2 from J_2
    loss, _ = language_model_loss(lecture.cell, 2)
    borrowed = lecture.head_borrowed()  # its Σ names the head's weights: whose names they are, as slide 03 says
    head = [f"{lecture.symbol('W_hy')}, {lecture.symbol('b_y')}: the head's weights, {borrowed}"] if borrowed else []
    return lecture.slide("Backpropagation through time: ∂J/∂h_t from right to left",
                        lecture.figure(loss, level="cell", backward=True, target="x_{t+1}"), head,
                        footer=f"the {lecture.name} language model of slide 03, cut from T = {LANGUAGE_MODEL_STEPS} to "
                               "T = 2 steps to fit: hence the factors 1/2")



def one_step_figure(lecture: Lecture, kind: str) -> Figure:
    """Step 1 of two at op level, step 2 left out ("…"): the states the cell makes leave it to the right, into the
    step that reads them, as the lectures draw h_t (and c_t) handed on — J = Σ h₂ read from the state the cell
    makes (:func:`.lecture_models.one_step_loss`). Of one step alone (J = Σ h₁) nothing left the cell but J's read."""
    return lecture.figure(one_step_loss(layer(kind), steps=2), level="op", time_steps=(0,))


def lstm_cell(lecture: Lecture) -> str:
    figure = one_step_figure(lecture, "lstm")
    # CMU's footnote, which writes no bias, gives the gates' equation as this model computes it: said once
    said = " ".join(figure[1])
    gates = [line for line in lecture.gates("lstm")
             if lecture.timed(line.replace("\u00a0", " ").partition(", each")[0]) not in said]
    return lecture.slide("The LSTM cell: three gates and a candidate, two states", figure,
                        [*gates, *lecture.gate_rows("lstm"), "c_t = f ⊙ c_{t−1} + i ⊙ g", "h_t = o ⊙ tanh(c_t)",
                         "The cell state c only meets a multiply by f and an add: the path along which "
                         "gradients survive.", last_step_loss_said(2),
                         "Step 2, the same cell, is left out: it reads c_1 and h_1."])


def gru_cell(lecture: Lecture) -> str:
    return lecture.slide("The GRU cell: a reset and an update gate", one_step_figure(lecture, "gru"),
                        [*lecture.gates("gru"), lecture.candidate(), *lecture.gate_rows("gru"),
                         "h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}", last_step_loss_said(2),
                         "Step 2, the same cell, is left out: it reads h_1."])


def stacked(lecture: Lecture) -> str:
    # 2 steps: four rows of cells (an LSTM's with h and c between them) stay legible on the slide. J reads
    # output[-1]; a classifier's h_n (the reverse state at t = 1) moves J to the left, and the LSTM's figure
    # would then be drawn under 24 px: the slide says what J reads instead
    loss = last_step_loss(layer(lecture.cell, num_layers=2, bidirectional=True), 2)

    def top(direction: str, step: str) -> str:  # layer 2's state, marked as the figure marks it
        return lecture.notation.at_step("h", step, "2" + direction)

    # what a classifier's head reads: the two last states as one vector (a no-break space keeps it on one line)
    joined = f"[{top('→', '2')};\u00a0{top('←', '1')}]"
    return lecture.slide(f"Stacked and bidirectional: two layers of {lecture.name}, each both ways",
                        lecture.figure(loss, level="cell", params="hide"),
                        ["Two steps, t = 1, 2; layer 1 at the bottom; each reverse direction runs right to left; "
                         "layer 2 reads both directions' states.",
                         f"J = Σ ({top('→', '2')}, {top('←', '2')}): layer 2's states at t = 2 (PyTorch's "
                         "output[-1]); the reverse one has taken one step, reading layer 1's states at t = 2 "
                         "(the forward one of them has read x_1 and x_2). A classifier reads layer 2's last state in "
                         f"each direction (PyTorch's h_n[-2:]), the two concatenated into one vector: "
                         f"{joined}, the reverse one's at t = 1."])


MIDDLE_LEFT_OUT = (0, 1, len(SENTENCE) - 1)  # the sentence's steps drawn where its middle words are one "…"


def every_word(lecture: Lecture, title: str, draw: Callable[[tuple[int, ...]], Figure], lines: list[str],
               footer: str = "") -> str:
    """A slide of the sentence's figure with every word drawn, as a figure of up to 8 steps is — "to the"
    between the keys and the cabinet is the agreement example's point, the words the verb's number must be
    carried past — or, where a slide would then write under 24 px (labels 28), with its middle words as one
    "…" (t = 3…4), which the figure says. ``draw(steps)``: the figure of those steps (indices from 0). Measured
    on the slide, each figure in the box it has there (:func:`.legibility.figure_sizes`)."""
    whole = lecture.slide(title, draw(tuple(range(len(SENTENCE)))), lines, footer)
    return whole if legible(*figure_sizes(whole)) else lecture.slide(title, draw(MIDDLE_LEFT_OUT), lines, footer)


def classifier(lecture: Lecture) -> str:
    # whole in most notations; in CS224N's, whose h⁽ᵗ⁾ widen the gaps, its labels would be 26.6–27.5 px
    return every_word(lecture, "Many to one: a sentence classifier",
                      lambda steps: lecture.figure(classifier_loss(lecture.cell), level="cell",
                                                   tokens=SENTENCE, time_steps=steps),
                      [f"x_1 … x_{len(SENTENCE)} = “{' '.join(SENTENCE)}”, T = {len(SENTENCE)}. Only the last "
                       "state h_T reaches the loss: is the subject plural (“the keys … are”)?"])


def tagger(lecture: Lecture) -> str:
    # each word under its x_t and by its J_t its own tag (tokens= alone would write the next word there, a language
    # model's target), every word drawn: "to the" is the agreement example's middle, left out only past 8 steps.
    # Each J_t is written "J₃: TO" and a line says what it is: with "J₃ = cross_entropy / target "TO"" the five
    # columns put its text at 23.4 px (22.8 in CS224N's names), and its middle words were left out for it
    tags = [TAG_NAMES[TAGS[word]] for word in SENTENCE]
    return every_word(lecture, "Many to many: a tag for every word",
                      lambda steps: lecture.figure(tagger_loss(lecture.cell), level="cell", params="hide",
                                                   time_steps=steps, tokens=SENTENCE, targets=tags,
                                                   short_losses=True),
                      [f"x_1 … x_{len(SENTENCE)} = “{' '.join(SENTENCE)}”, T = {len(SENTENCE)}, tagged "
                       f"{' '.join(tags)} (Penn Treebank). J_3: TO is the cross-entropy of step 3's scores with the "
                       f"tag TO; J is the mean of the J_t. {lecture.shared_by_rows(roles=False)}"])


PAIR_SOURCE, PAIR_TARGETS = [4, 5], [5, 7, END_ID]  # "il pleut", French for "it rains": two words in, two and [END] out


def encoder_decoder(lecture: Lecture) -> str:
    """Teacher forcing on one pair, "il pleut" → "it rains", [END]: an encoder row of two words (S = 2; one word
    drew a "row" of one cell) and a decoder of three steps, each input's word under it — y₀ = [BEGIN], then the
    true previous target — and each J_t's target by it. The pair is trained as a real one is, its last target [END]
    (which teaches the decoder to stop: Seq2Seq.score and a training set's targets end so). Five columns fit a slide
    at a size a room reads as the tagger's do: each loss written "J₁: it" and each head s_t = linear, its scores, as
    slides 03 and 13 write it (written J₁ = cross_entropy / target "it" over "linear t=1", an LSTM's labels come out
    at 26.2–26.8 px; "J₁: it" over "linear t=1", 27.5–27.6: under the 28 a node's label needs)."""
    pair = {"source": PAIR_SOURCE, "targets": PAIR_TARGETS}
    source, written = ([words[i] for i in ids] for words, ids in ((SOURCE_WORDS, PAIR_SOURCE),
                                                                  (TARGET_WORDS, PAIR_TARGETS)))
    return lecture.slide("The encoder–decoder: the encoder's last state starts the decoder",
                        with_key(lecture.figure(seq2seq_loss(cell=lecture.cell, **pair), level="cell",
                                                params="hide", tokens=seq2seq_tokens(**pair), scores="s",
                                                short_losses=True), lecture.shared_by_two_rows()),
                        # one line: a second puts an LSTM's labels under 28 px (27.0)
                        ["Teacher forcing: decoder step t reads y_{t−1} (y_0 = [BEGIN]), never its own guess; "
                         f"J_1: {written[0]} is s_1's cross-entropy with “{written[0]}”. "
                         f"S = {len(PAIR_SOURCE)}, T′ = {len(PAIR_TARGETS)}."],
                        footer=f"“{' '.join(source)}”: French for “{' '.join(written[:-1])}”. The last target is "
                               "[END], as in every pair it trains on: the step that teaches the decoder to stop")


def with_key(figure: Figure, said: str) -> Figure:
    """The figure with ``said`` added to its key (the notes under it, at their size), on its last line — an
    encoder–decoder's is "⁽ᵉ⁾: encoder, ⁽ᵈ⁾: decoder", short: a line of its own, or a body line, would shrink an
    LSTM's figure under the size a room reads (labels 27.3 px)."""
    svg, notes = figure
    return svg, [*notes[:-1], f"{notes[-1]}; {said}"] if notes else [said]


GENERATION_SOURCE = [7, 8]  # "llueve ahora", Spanish for "it rains now": an encoder row of two words


def generation(lecture: Lecture) -> str:
    """Greedy generation by an untrained encoder–decoder: the first seed whose decoder writes two
    tokens (an untrained one may stop at once), so that the figure shows a choice fed back — the scores s₁, the
    word chosen from them (y₁, its word under it), and its embedding e₂⁽ᵈ⁾, as the code runs (argmax id →
    embedding); the source's words and two written, so that the figure fits the slide at a size a room reads. The
    decoder's scores are s_t (ŷ_t = softmax(s_t), as on every other slide), and the words it chose are written."""
    source = seq2seq_source(ids=GENERATION_SOURCE)
    seed = next((k for k in range(20) if len(seq2seq_model(cell=lecture.cell, seed=k).greedy(source, 2)[0]) == 2), 0)
    model = seq2seq_model(cell=lecture.cell, seed=seed)
    limit = 2
    written = [TARGET_WORDS[token] for token in model.greedy(source, limit)[0]]
    stop = "it wrote [END]" if len(written) < limit else f"after {limit} tokens, the most this slide lets it write"
    steps = len(written) + (len(written) < limit)  # T′: the decoder's steps, the last one's choice fed to none
    score = model.greedy_graph(source, max_length=limit)
    score.name = "log P(output | x)"  # the score of the words written: not of a ŷ, which the slide calls s_t
    source_words = [SOURCE_WORDS[i] for i in GENERATION_SOURCE]
    words = source_words + [TARGET_WORDS[BEGIN_ID]] + written[: steps - 1]  # x_1 … x_S, then y₀ … y_{T′−1}
    chosen = "; ".join(f"argmax s_{step} = “{word}”" for step, word in enumerate(written, start=1))  # its own t
    return lecture.slide("Greedy generation: each output is fed back as the next input",
                        # s_t, the decoder's scores, written as the notation writes a step (s⁽¹⁾ in CS224N's), as the
                        # lines under the figure write it
                        with_key(lecture.figure(score, level="cell", params="hide",
                                                notation=lecture.notation.renamed({"s": "s"}), tokens=words),
                                 lecture.shared_by_two_rows()),
                        [f"x = “{' '.join(source_words)}”; s_t: step t's scores (logits), ŷ_t = softmax(s_t); "
                         "the argmax of s_t is fed back as the next input y_t.",
                         f"It wrote “{' '.join(written)}”: {chosen}; S = {len(GENERATION_SOURCE)}, T′ = {steps}.",
                         f"Dashed: a choice, no gradient flows through it. Generation stops at [END] or, here, "
                         f"{stop}."],
                        footer=f"an untrained {lecture.name} encoder–decoder (seed {seed}): its choices are arbitrary")
