"""The deck's slides that chart numbers the engine measures when the slide is drawn: ∂J/∂W_hh as a sum of one
term per step (tr.grad_contributions, against .grad), the vanishing gradient of a tanh RNN, an LSTM and a GRU on
one colour scale, perplexity from n-grams to an LSTM, and the clipping of an exploding gradient.

Each is a function of a :class:`.deck_lecture.Lecture` that returns the slide's SVG, drawn with
:mod:`.slide_charts` (bars, rows of colours, a table) and written in the lecture's notation. The slides that draw a
graph are :mod:`.deck_graph_slides`; the order of both in the deck is :data:`.lecture_deck.SLIDES`.

>>> exploding_norm("gru") < 10 < exploding_norm("rnn")  # scaled alike: a GRU's gates keep ‖g‖ small
True
"""

from __future__ import annotations

import re
from typing import Any

import numpy

from .. import analysis, nn
from ..engine import grad, grad_contributions
from ..steps import step_of
from .deck_lecture import CELLS, Lecture
from .export import equation_lines
from .lecture_models import LANGUAGE_MODEL_STEPS, language_model_loss, last_step_loss, layer
from .lecture_stages import local_jacobian
from .mathml import _math, _row
from .notation import PRESETS, short_name
from .slide import BODY_PX, HEIGHT, MARGIN, MUTED, SMALLEST_PX, WIDTH, body_top, paragraph, slide_number, slide_svg
from .slide_charts import bars, colour_legend, colour_rows, note, table

VANISHING_STEPS = 12
VANISHING_INPUT_SEED = 1  # the inputs `graph --compare` draws for its seed 0: the slide shows what it prints
CORPUS_CHARACTERS, TRAINING_STEPS, UNITS = 20_000, 100, 48  # the perplexity slide: seconds, not minutes
WINDOW, WINDOW_ROW = 4, "window"  # the fixed-window model's context: the 5-gram's n − 1 tokens


def weight_sum(lecture: Lecture) -> str:
    """∂J/∂W_hh = Σ_t ∂J/∂W_hh|_(t): the terms from grad_contributions, their norms, and .grad."""
    steps = LANGUAGE_MODEL_STEPS  # the language model of slide 03, its T: students follow one model across slides
    loss, recurrent = language_model_loss(lecture.cell, steps)
    weight = recurrent.weight_hh_l0
    terms = [numpy.zeros(weight.shape) for _ in range(steps)]
    for scope, gradient in grad_contributions(loss, weight):
        terms[step_of(scope) - 1] += numpy.asarray(gradient.numpy(), dtype=numpy.float64)
    (total,) = grad(loss, weight, retain_graph=True)
    name = lecture.cell_symbol("W_hh")  # the recurrent weight as the deck's cell names it (a GRU's U under USC)
    title = lecture.timed(f"∂J/∂{name} is a sum of one term per step")
    top = body_top(title)
    norms = [float(numpy.linalg.norm(term)) for term in terms]
    # a linear axis: the bars are compared and added by eye, against the sum's norm below them
    parts = bars(norms, [f"t = {t}" for t in range(1, steps + 1)], (MARGIN, top, 1100, HEIGHT - top - 120),
                 axis_label=lecture.timed(f"‖∂J/∂{name}|_(t)‖"), log=False)
    lines = [f"∂J/∂{name} = Σ_t ∂J/∂{name}|_(t)", f"one term per step t = 1 … {steps}: the bars, ‖∂J/∂{name}|_(t)‖",
             f"‖Σ_t ∂J/∂{name}|_(t)‖ = {slide_number(numpy.linalg.norm(sum(terms)))}",
             f"‖{name}.grad‖ = {slide_number(numpy.linalg.norm(total.numpy()))}: the same",
             # the bars' heights add up to more than the sum's norm: say why, or it reads as an error
             f"The bars add up to {slide_number(sum(norms))}: a norm of a sum ≤ the sum of norms, the terms point "
             "different ways and partly cancel.",
             "The term of step 1 is 0: there it multiplies h_0 = 0."]
    if lecture.notation.preset in OWN_FORMS:  # the lecture's own form of the same sum, under its Σ
        lines[1:1] = OWN_FORMS[lecture.notation.preset](lecture)
    y = top + 60
    for line in lines:
        more, y = paragraph(lecture.timed(line), 1240, y, WIDTH - MARGIN - 1240)
        parts += more
        y += 24
    # the call as a program writes it (its argument the parameter, not the lecture's symbol for it)
    said = (f"the {lecture.name} language model of slide 03, T = {steps}; terms from "
            f"tr.grad_contributions(J, rnn.weight_hh_l0), PyTorch's name for {name}")
    parts.append(note(lecture.timed(said), MARGIN, HEIGHT - 60))
    return slide_svg(title, parts)


def lecture_of(lecture: Lecture) -> str:
    """The name of the lecture whose notation the deck writes (CMU), for "as CMU writes it"."""
    return PRESETS[lecture.notation.preset]["lecture"]


def sum_of_products(lecture: Lecture) -> list[str]:
    """∂J/∂W_hh as the lecture writes it out (CMU's): for each step t and each loss J_s that h_t reaches (s ≥ t), the
    chain of one-step Jacobians from h_t up to h_s; one t's terms are the slide's bar of step t, ∂J/∂W_hh|_(t).

    >>> from tinygrad_rnn.viz.notation import resolve
    >>> print(sum_of_products(Lecture("rnn", resolve("cmu")))[0])
    as CMU writes it: ∂L/∂W_hh = (1/T) Σ_t Σ_{s≥t} ∂L_s/∂h_s (Π_{j=t+1…s} ∂h_j/∂h_{j−1}) ∂⁺h_t/∂W_hh
    """
    name = lecture.cell_symbol("W_hh")
    lines = [f"as {lecture_of(lecture)} writes it: ∂J/∂{name} = (1/T) Σ_t Σ_{{s≥t}} ∂J_s/∂h_s "
             f"(Π_{{j=t+1…s}} ∂h_j/∂h_{{j−1}}) ∂⁺h_t/∂{name}",
             f"∂⁺h_t/∂{name}: step t's own, h_{{t−1}} held; one t's terms are ∂J/∂{name}|_(t)"]
    if lecture.cell == "lstm":  # its state is (h, c): the chain runs through both
        lines[1] += "; an LSTM's chain runs through its whole state, (h_j, c_j) for h_j"
    return [lecture.timed(line) for line in lines]


def per_loss_sums(lecture: Lecture) -> list[str]:
    """∂J/∂W_h as CS224N writes it: one loss J⁽ᵗ⁾ at a time, a sum over the steps i ≤ t that use W_h up to it; the
    slide's bars are the same terms summed over the losses, J = (1/T) Σ_t J⁽ᵗ⁾, by the step that uses W_h.

    >>> from tinygrad_rnn.viz.notation import resolve
    >>> print(per_loss_sums(Lecture("rnn", resolve("cs224n")))[0])
    as CS224N writes it, one loss at a time: ∂J^(t)/∂W_h = Σ_{i≤t} ∂J^(t)/∂W_h|_(i), i each step that uses W_h up to t
    """
    name = lecture.cell_symbol("W_hh")
    lines = [f"as {lecture_of(lecture)} writes it, one loss at a time: ∂J_t/∂{name} = Σ_{{i≤t}} ∂J_t/∂{name}|_(i), "
             f"i each step that uses {name} up to t",
             f"J = (1/T) Σ_t J_t: the bars are the same terms, summed over the losses by the step that uses {name}"]
    return [lecture.timed(line) for line in lines]


def same_parameter(lecture: Lecture) -> list[str]:
    """One step back's factor as USC writes it for a tanh RNN, with the same W_h at every step; each step's term
    reaches the later losses through a product of such factors (an LSTM's and a GRU's are their own).

    >>> from tinygrad_rnn.viz.notation import resolve
    >>> print(same_parameter(Lecture("lstm", resolve("usc")))[0])
    as USC writes it for a tanh RNN: δhₜ/δhₜ₋₁ = tanh′(·) · W_h, “the same parameter over and over”
    """
    whose = "" if lecture.cell == "rnn" else " for a tanh RNN"
    # (its steps lowered as written, δhₜ: after δ, a letter of a word, h_t reads as a name, not h at step t)
    return [lecture.timed(f"as {lecture_of(lecture)} writes it{whose}: δhₜ/δhₜ₋₁ = tanh′(·) · "
                          f"{lecture.symbol('W_hh')}, “the same parameter over and over”"),
            "each step's term reaches the losses after it through a product of " +
            ("these factors" if lecture.cell == "rnn" else f"the {lecture.name}'s own one-step factors")]


# the lectures that write ∂J/∂W_hh in a form of their own, under the Σ (OSU's Elman lecture writes none)
OWN_FORMS = {"cmu": sum_of_products, "cs224n": per_loss_sums, "usc": same_parameter}


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
    said.append(vanishing_factor(lecture))
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


def vanishing_factor(lecture: Lecture) -> str:
    """One step back's factor of ∂h_T/∂h_1 for the deck's cell, in the words of the page's stage
    (:func:`.lecture_stages.local_jacobian`), and what the product over the slide's steps is.

    >>> from tinygrad_rnn.viz.notation import resolve
    >>> print(*vanishing_factor(Lecture("rnn", resolve("cmu"))).split("; "), sep=chr(10))
    The tanh RNN's factor: ∂h_t/∂h_{t−1} = diag(1 − h_{t}²) W_hh
    ∂h_12/∂h_1 = ∂h_12/∂h_11 ⋯ ∂h_2/∂h_1, a product of 11 such factors, one per step back.
    """
    written, comment = local_jacobian(lecture.cell, "t", "t−1", lecture.cell_symbol("W_hh"))
    factor = _text_of(written) if written else \
        f"∂h_t/∂h_{{t−1}} {_runs(_text_of(comment).strip().removeprefix('(').removesuffix(')'))}"
    last = VANISHING_STEPS
    if lecture.cell == "lstm":  # the state is (h, c): ∂h_T/∂h_1 also runs along c, which no h→h factor follows
        product = (f"∂h_{last}/∂h_1 is no product of these alone: the state is (h_t, c_t), and along c each step "
                   "back multiplies by f_t (∂c_t/∂c_{t−1} = diag(f_t))")
    else:
        product = (f"∂h_{last}/∂h_1 = ∂h_{last}/∂h_{last - 1} ⋯ ∂h_2/∂h_1, a product of {last - 1} such factors, "
                   "one per step back")
    return _powers(lecture.timed(f"The {lecture.name}'s factor: {factor}; {product}."))


def _runs(comment: str) -> str:
    """The page's comment on what a Jacobian runs through, as the rest of a sentence about it."""
    return f"runs {comment}" if comment.startswith("through") else f"= {comment}"


def _text_of(parts: list[str]) -> str:
    """MathML parts of one line as a slide's text (:func:`.slide.runs_of`), for :meth:`.Lecture.timed`: h_t, h_{t−1},
    W_hh — a name's subscript bare (W_h is no step h) — and a power as ^{2}, which :func:`_powers` raises once the
    steps are timed (h_{t}^{2}: timed reads no h_t before a digit); a product of two factors spaced.

    >>> from tinygrad_rnn.viz.mathml import _fenced, _msup, _symbol
    >>> _text_of([_symbol("∂h_t/∂h_t−1"), _fenced(_msup(_symbol("h_t"), "2")), _symbol("W_hh")])
    '∂h_t/∂h_{t−1}(h_{t}^{2}) W_hh'
    """
    (runs,) = equation_lines(_math(_row(*parts)))
    text = "".join(f"^{{{part}}}" if kind == "sup" else part if kind == "base" else
                   f"_{part}" if part.isalnum() and following != "sup" else f"_{{{part}}}"
                   for (part, kind), (_, following) in zip(runs, runs[1:] + [("", "")]))
    return re.sub(r"\)(?=[A-Za-z∂])", ") ", text)  # diag(…) W_hh: MathML leaves the product's space to the renderer


def _powers(text: str) -> str:
    """h_{t}^{2} as h_{t}² (and CS224N's h^(t)^{2} as h^(t)²): a digit raised, as a slide writes 10⁻²."""
    return re.sub(r"\^\{(\d+)\}", lambda found: found.group(1).translate(SUPERSCRIPTS), text)


SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def perplexity(lecture: Lecture) -> str:
    """Held-out perplexity of n-gram models, a fixed-window model, a tanh RNN, an LSTM and the deck's own cell, on a
    corpus small enough to take seconds."""
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
    # Stanford's sequence: counts, then a fixed window of the 5-gram's n − 1 = 4 tokens (Bengio et al. 2003), then
    # the RNNs; every neural model with the same embeddings and units, trained alike by the same loop
    for kind in [WINDOW_ROW] + kinds:
        manual_seed(0)
        model = models.FixedWindowLM(len(vocabulary), window=WINDOW, embedding_dim=16, hidden_size=UNITS) \
            if kind == WINDOW_ROW else models.LanguageModel(len(vocabulary), embedding_dim=16, hidden_size=UNITS,
                                                            cell=kind)
        training.train_language_model(model, optim.Adam(model.parameters(), lr=1e-2), train, steps=TRAINING_STEPS,
                                      batch_size=16, bptt=32, clip=1.0, progress=False)
        value = float(numpy.exp(training.evaluate(model, held_out, batch_size=1, bptt=256)))
        # no wall time: the deck is the same bytes on every run (steps, not seconds, say how long it trained)
        name = f"fixed window of {WINDOW}, tanh" if kind == WINDOW_ROW else CELLS[kind]
        rows.append([f"{name}, {UNITS} units", f"{value:.2f}", f"{TRAINING_STEPS} steps"])
    best = min(rows, key=lambda row: float(row[1]))[0].split(",")[0]
    # the title says what was measured: on these few seconds of training the counts may well win
    named = ", ".join(f"a{'n' if kind == 'lstm' else ''} {CELLS[kind]}" for kind in kinds[:-1]) + \
        f" and a{'n' if kinds[-1] == 'lstm' else ''} {CELLS[kinds[-1]]}"
    title = f"Perplexity on held-out text: n-grams, a fixed window, {named} (best here: the {best})"
    top = body_top(title)
    parts = table(["model (characters)", "perplexity", "trained"], rows, (MARGIN, top, 1300, 600))
    window, rnn, lstm = (float(row[1]) for row in rows[4:7])
    versus = "has no edge over the tanh RNN yet" if lstm >= rnn else "beats the tanh RNN"
    seen = "no better than" if rnn >= window else "better than"
    under = top + BODY_PX * (1 + 1.55 * (len(rows) + 1.5))  # the table's last row, and half a row
    parts += paragraph(f"Measured here on {cut:,} characters of Python's standard-library source (held out: the "
                       f"last {ids.size - cut:,}; a vocabulary of {len(vocabulary)}); lower is better. The fixed "
                       f"window (Bengio et al. 2003) reads the 5-gram's last {WINDOW} characters through one tanh "
                       f"layer, its own weights for each position; the tanh RNN, whose state reaches past them, is "
                       f"{seen} it here. On so little text and training the {best} is best, and the LSTM {versus}. "
                       "These are perplexities per character: not comparable with the lecture's per word on the One "
                       "Billion Word benchmark (a Kneser–Ney 5-gram at 67.6, LSTMs at 30–44).", MARGIN, under,
                       WIDTH - 2 * MARGIN)[0]
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
    """One exploding gradient, before and after clip_grad_norm_(model.parameters(), 1) — the call that runs —
    one row per tensor it clips, named in the lecture's notation. Where the notation writes one bias b for
    PyTorch's two, the rows are b′ and b″ (b = b′ + b″), as its cell figures draw them: no b tensor exists to
    clip, and each of the two has the gradient ∂J/∂b, so ‖g‖ counts it twice."""
    recurrent = exploding("rnn")
    parameters = dict(recurrent.named_parameters())
    named = rows_of(lecture, list(parameters))

    def norms() -> dict[str, float]:  # each tensor's ‖∂J/∂·‖ as its .grad stands now
        return {name: float(numpy.linalg.norm(parameters[name].grad.numpy())) for name in named}

    before = norms()
    total = float(nn.utils.clip_grad_norm_(recurrent.parameters(), 1.0).item())
    after = norms()
    clipped = float(numpy.sqrt(sum(v * v for v in after.values())))

    def printed(value: float) -> str:  # 3 digits: the printed norms add up (√Σ‖·‖²) and scale (× τ/‖g‖) as shown
        return slide_number(value, digits=3)

    rows = [[symbol, printed(before[name]), printed(after[name])] for name, symbol in named.items()]
    rows.append(["all together, ‖g‖", printed(total), printed(clipped)])
    title = "Gradient clipping: if ‖g‖ ≥ τ, g ← τ g / ‖g‖"
    top = body_top(title)
    parts = table(["gradient of", "‖·‖ before", "after clipping at τ = 1"], rows, (MARGIN, top, 1100, 500))
    parts += bars([total, clipped], ["‖g‖ before", "after"], (1300, top, WIDTH - MARGIN - 1300, 560), digits=3)
    parts += paragraph(f"Every gradient is scaled by the same τ / ‖g‖ = {printed(1.0 / total)}: the step keeps "
                       "its direction and loses its size.", MARGIN, top + 360, 1100)[0]
    parts.append(note("tr.nn.utils.clip_grad_norm_(model.parameters(), 1.0), as Pascanu et al. (2013) propose",
                      MARGIN, top + 520))
    b_ih, b_hh = named["bias_ih_l0"], named["bias_hh_l0"]  # two rows of one number: every class asks why
    said = lecture.notation.merged_biases(parts=True)
    # the GRU's h-side bias as slide 08 writes it: PyTorch's b_hn in (W_hn h + b_hn), a lecture's [b_hh]ₙ
    _, h_rows = lecture.candidate_rows()
    in_rows = h_rows.startswith("[")  # (the lecture writes [·]ₙ: the n rows)
    gru_bias = h_rows.removesuffix("]ₙ").rpartition(" + ")[2]
    said.append(f"{b_ih} and {b_hh} have equal gradients: both are added at the same place, "
                f"{lecture.symbol('W_ih')} {lecture.reads()} + {b_ih} + {lecture.symbol('W_hh')} h_{{t−1}} + {b_hh}. "
                "Not so a "
                f"GRU's {f'[{gru_bias}]ₙ' if in_rows else gru_bias}, inside r ⊙ "
                f"{h_rows if in_rows else f'({h_rows})'}.")
    y = top + 620
    for line in said:
        more, y = paragraph(lecture.timed(line), MARGIN, y, WIDTH - 2 * MARGIN, size=SMALLEST_PX, fill=MUTED)
        parts += more
        y += 12
    footnote = f"a tanh RNN of 8 units, {lecture.symbol('W_hh')} scaled by 6 so that it explodes, J = Σ h_30"
    if lecture.cell != "rnn":  # the deck's cell, scaled alike, measured: why the slide clips a tanh RNN's instead
        footnote += (f"; not this deck's {lecture.name}: its {lecture.cell_symbol('W_hh')} scaled alike, it reaches "
                     f"only ‖g‖ = {slide_number(exploding_norm(lecture.cell))}")
    parts.append(note(lecture.timed(footnote), MARGIN, HEIGHT - 60))
    return slide_svg(title, parts)


def rows_of(lecture: Lecture, names: list[str]) -> dict[str, str]:
    """Each parameter's row in the clipping table, in the lecture's names: PyTorch's bias_ih and bias_hh as b′ and
    b″ where the lecture writes one b for both (its figures' parts of b = b′ + b″).

    >>> from tinygrad_rnn.viz.notation import resolve
    >>> rows_of(Lecture("rnn", resolve("cs224n")), ["weight_hh_l0", "bias_ih_l0", "bias_hh_l0"])
    {'weight_hh_l0': 'W_h', 'bias_ih_l0': 'b₁′', 'bias_hh_l0': 'b₁″'}
    """
    return {name: lecture.notation.bias_part(short_name(name)) for name in names}
