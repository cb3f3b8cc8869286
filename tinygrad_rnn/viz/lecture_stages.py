"""The lecture page's stages: one per position of its slider, each a line of text and the equation
being applied (MathML, in the lecture's notation) with the numbers of :mod:`.lecture_numbers`.

The order is the lecture's: rolled, unrolled, forward step by step, backward from J step by step
(∂J/∂h_t as its two contributions, the local Jacobian, the running product that vanishes, an
LSTM's ∂J/∂c_t, the step's term of ∂J/∂W_hh), then the sums.

>>> _cell_equation("rnn", "3").count("<msub>")  # h₃, h₂, x₃ and the four weights' subscripts
7
"""

from __future__ import annotations

import re
from typing import Any

from .. import analysis
from ..tensor import Tensor
from .lecture_numbers import WEIGHT_ORDER, norm, of_another_layer, vector
from .mathml import _detail, _fenced, _math, _msub, _msup, _norm_of, _number, _number_plain, _op, _row, _symbol, _text
from .notation import Notation, resolve
from .numbers import digits_to_tell_apart, slide_number
from .slide import html_of

SHOWN_UNITS = 4  # vectors of at most this many units are printed whole; longer ones as their norm
TIMED = re.compile(r"<msub><mi>(∂?)([A-Za-zŷδ])</mi><mi>(\d+|t|T|t[−+]1)</mi></msub>")  # h_3, ∂J_t in MathML
LOSS_SYMBOL = re.compile(r"<mi>(∂?)J</mi>")
# where a line too wide for the page's column reads on in a row of its own, indented (lecture_fit.js, ``wrap``): before
# a comment, after a colon or the comma between two norms. Its line's own mark (not a part's): the page breaks a line
# at the marks that are its children. (Nothing to a slide: an exported stage writes the line whole.)
BREAK = '<mspace class="break"/>'


def stages(found: analysis.Recurrence, numbers: dict[str, Any], weights: list[dict],
            notation: Notation | None = None) -> list[dict[str, Any]]:
    """One entry per position of the slider: its phase, the step it is at, a line of text (HTML, its
    scripts as <sub> and <sup>), and the equation being applied with its symbols (in the notation)
    and its numbers."""
    notation = notation or resolve(None)
    names = {role: notation.symbol(role) for role in WEIGHT_ORDER}
    names.update({w["role"]: w["symbol"] for w in weights})  # (the lecture's one b₁ for its two parts)
    stages = _stages_in(found, numbers, weights, names, notation.words_as_columns)
    if not any(w["lookup"] for w in weights) and notation.reads_embedding:  # CS224N's W_e on x_t: what x_t stands for
        stages[0]["text"] += ". " + notation.input_stands_for()
    for stage in stages:
        stage["math"] = in_notation(stage["math"], notation)
        stage["text"] = html_of(notation.in_text(stage["text"]))
    return stages


def _stages_in(found: analysis.Recurrence, numbers: dict[str, Any], weights: list[dict],
               names: dict[str, str], columns: bool = False) -> list[dict[str, Any]]:
    steps, kind = found.steps, found.kind
    losses = numbers["losses"]
    read = "e" if any(w["lookup"] for w in weights) else "x"  # a language model's layer reads e_t = E[x_t]
    # E[x_t] picks a row of a |V| × d table; a lecture whose E is d × |V| writes E x_t, the column x_t picks
    # (nothing after it: with an LSTM's two states an exported stage's title fills two lines already)
    embedding = f"e_{{t}} = {'E x_{t}' if columns else 'E[x_{t}]'}, the embedding of x_{{t}}"
    reads = embedding if read == "e" else "x_{t}"
    # the cell's own shared weights, by the names the weight selector gives them: a GRU's two biases both
    # (its b_ih and b_hh are no one b), an RNN's one b where the notation writes one
    shared = list(dict.fromkeys(names[w["role"]] for w in weights if w["role"] in WEIGHT_ORDER)) or \
        [names["W_hh"], names["W_ih"], "b"]
    # and the model's, shared by every step as well: its embedding's table and its head (E, W_hy, b_y), each its own
    # (one line with the page's hint beside it at 1,280 wide: "(the same …) and the same E, …" pushed the hint
    # under it, and the figure's text under the page's)
    model = [w["name"] for w in sorted(weights, key=lambda w: not w["lookup"]) if w["role"] not in WEIGHT_ORDER]
    stages = [{"phase": "rolled", "t": None, "text": "The network rolled: one cell, its state a loop back into it",
               "math": _math(*_cell_lines(kind, "t", names, read))},
              {"phase": "unrolled", "t": None,
               "text": f"Unrolled over {steps} steps: the same cell, the same {', '.join(shared + model)} at every "
                       "step",
               "math": _math(*_cell_lines(kind, "t", names, read))}]
    for t in range(1, steps + 1):
        h = vector(found.hidden_states[t - 1])
        equations = _cell_lines(kind, str(t), names, read)
        lines = [*equations, _values_line(f"h_{t}", h, found.hidden_states[t - 1])]
        if t > 1:  # what it was computed from
            lines.insert(len(equations),
                         _values_line(f"h_{t - 1}", vector(found.hidden_states[t - 2]), found.hidden_states[t - 2]))
        # the gates that decide what is kept: an LSTM's forget gate, a GRU's reset and update gates (r first, as
        # its equations name them)
        for gate in {"lstm": ("f",), "gru": ("z", "r")}.get(kind, ()):
            if found.gates[t - 1].get(gate) is not None:
                lines.insert(len(equations),
                             _values_line(f"{gate}_{t}", vector(found.gates[t - 1][gate]), found.gates[t - 1][gate]))
        # an LSTM's cell state, which its equation computes and which carries the gradient back: beside h_t
        if kind == "lstm" and len(found.cell_states) >= t:
            lines.insert(len(lines) - 1,
                         _values_line(f"c_{t}", vector(found.cell_states[t - 1]), found.cell_states[t - 1]))
        if losses is not None:
            lines.append(_row(_symbol(f"J_{t}"), _op("="), _op("−"), _text("log "), _symbol(f"ŷ_{t}"),
                              _text("["), _symbol(f"x_{t + 1}"), _text("]"), _op("="),
                              _number(losses[t - 1])))
        # an LSTM's step computes both its states from both (c₀ is drawn beside h₀): "h₁ from h₀" left c out
        states = (f"h_{t}, c_{t} from h_{t - 1}, c_{t - 1}" if kind == "lstm" else f"h_{t} from h_{t - 1}")
        text = f"Forward, step {t}: {states} and {reads.format(t=t)}" + (
            f"; J_{t}\u00a0=\u00a0{slide_number(losses[t - 1])}" if losses is not None else "")  # (unbroken)
        stages.append({"phase": "forward", "t": t, "text": text, "math": _math(*lines)})
    total = sum(losses) / steps if losses is not None else None
    start = numbers["loss_is"]["text"] + (f" = {slide_number(total)}" if total is not None else "")
    stages.append({"phase": "backward", "t": steps + 1, "text": f"Backward: the gradient starts at the loss, {start}",
                   "math": _math(_loss_line(numbers["loss_is"], steps),
                                 _row(_symbol("∂J/∂J"), _op("="), _number_plain("1")))})
    for t in range(steps, 0, -1):
        norm = slide_number(numbers["hidden_norms"][t - 1])
        stages.append({"phase": "backward", "t": t,
                       "math": _math(*_backward_lines(kind, t, steps, numbers, weights, names)),
                       "text": f"Backward, reached t={t}: ‖∂J/∂h_{t}‖ = {norm}"})
    stages.append({"phase": "sums", "t": 1, "math": _math(*_sum_lines(weights, columns),
                                                          *_first_term_line(weights, numbers.get("starts_at_zero"))),
                   "text": _sums_text(found, weights, names)})
    return stages


def _loss_line(loss_is: dict[str, Any], steps: int) -> str:
    """J written out: the mean of the J_t, or the sum of h_T's units (else as the stage's text says)."""
    if loss_is["per_step"]:
        return _row(_symbol("J"), _op("="), _text(f"(1/{steps}) "), _msub("Σ", "t"), _symbol("J_t"), _text(",   "),
                    _symbol("J_t"), _op("="), _op("−"), _text("log "), _symbol("ŷ_t"), _text("["), _symbol("x_t+1"),
                    _text("]"))
    if loss_is["last_state_sum"]:
        return _row(_symbol("J"), _op("="), _op("Σ"), _symbol(f"h_{steps}"), _text("   (the sum of "),
                    _symbol(f"h_{steps}"), _text("'s units: a loss on the last step only)"))
    return _row(_text(loss_is["text"]))


def _sums_text(found: analysis.Recurrence, weights: list[dict], names: dict[str, str]) -> str:
    """The sums stage's line: what is summed, what the parts of the lecture's one bias are, and which
    parameters the page leaves out and why."""
    # (short: an exported stage's title on one line; "… the sum of one term per step, equal to .grad" left ".grad"
    # alone on its second)
    text = "The sums: each shared weight's .grad = Σ of one term per step"
    parts = {w["role"]: w["name"] for w in weights if w["whose"] in ("b_ih", "b_hh")}
    if len(parts) == 2:  # said once, as the deck's cell slide says it (whose each part is: on its own sum's line),
        # unbroken where the line wraps (an exported stage's title broke it after "b₁ =")
        text += "; " + "\u00a0".join((names["b_ih"], "=", parts["b_ih"], "+", parts["b_hh"]))
    shown = {w["key"] for w in weights}
    other_layers = [name for name in found.weights if name not in shown and of_another_layer(name)]
    unsplit = [name for name in found.weights if name not in shown and not of_another_layer(name)]
    if other_layers:
        text += f"; not summed here: {', '.join(other_layers)} (this page steps through layer 0, forward)"
    if unsplit:
        text += f"; not summed here: {', '.join(unsplit)} (its gradient is not one term per step)"
    return text


def _cell_lines(kind: str, t: str, names: dict[str, str], read: str) -> list[str]:
    """The cell's equations at step ``t``: its update, and for a GRU first its gates r, z and its candidate n,
    which the update and the backward stages name (h_t alone left r and n undefined)."""
    if kind != "gru":
        return [_cell_equation(kind, t, names, read)]
    previous = "t−1" if t == "t" else str(int(t) - 1)
    # (what σ reads, as the deck's GRU slide writes it: z_t's sum is r_t's with its own rows)
    gates = _row(_symbol(f"r_{t}"), _op("="), _text("σ"), _fenced(_row(*_summed_rows("r", t, previous, names, read))),
                 _text(",  "), _symbol(f"z_{t}"), _text(" likewise"))
    return [gates, _candidate(t, previous, names, read), _cell_equation(kind, t, names, read)]


_UNSTRETCHED = '<mo stretchy="false">{}</mo>'  # a bracket set at the line's size, as its partner is


def _summed_rows(gate: str, t: str, previous: str, names: dict[str, str], read: str) -> tuple[str, str, str]:
    """What a GRU's ``gate`` (r, z or n) reads from x_t and from h_{t−1}, with the "+" between them: PyTorch's
    W_ir x_t + b_ir and W_hr h_{t−1} + b_hr, or, in a lecture's names, [·]ᵣ: the rows of its weights and biases
    that feed the gate."""
    x, h = _symbol(f"{read}_{t}"), _symbol(f"h_{previous}")
    if (names["W_ih"], names["W_hh"]) == ("W_ih", "W_hh"):
        return (_row(_symbol(f"W_i{gate}"), x, _op("+"), _symbol(f"b_i{gate}")), _op("+"),
                _row(_symbol(f"W_h{gate}"), h, _op("+"), _symbol(f"b_h{gate}")))
    # (the brackets not stretched: Chromium set a stretched "]" under a script 7 px lower than its "[", and the
    # line of n_t took that much more room under it than the others)
    opening, rows = _UNSTRETCHED.format("["), _msub(_UNSTRETCHED.format("]"), gate)
    return (_row(opening, _symbol(names["W_ih"]), x, _op("+"), _symbol(names["b_ih"]), rows), _op("+"),
            _row(opening, _symbol(names["W_hh"]), h, _op("+"), _symbol(names["b_hh"]), rows))


def _candidate(t: str, previous: str, names: dict[str, str], read: str) -> str:
    """A GRU's candidate n_t, as the deck's GRU slide writes it: PyTorch's W_in x_t + b_in and W_hn h_{t−1} + b_hn,
    or, in a lecture's names, [·]ₙ: the rows of its weights and biases that feed n."""
    from_x, _, from_h = _summed_rows("n", t, previous, names, read)
    if (names["W_ih"], names["W_hh"]) == ("W_ih", "W_hh"):
        from_h = _fenced(from_h)
    return _row(_symbol(f"n_{t}"), _op("="), _text("tanh"),
                _fenced(_row(from_x, _op("+"), _symbol(f"r_{t}"), _op("⊙"), from_h)))


def _cell_equation(kind: str, t: str, names: dict[str, str] | None = None, read: str = "x") -> str:
    """The cell's update at step ``t``; ``read``: what the layer reads, x_t or, where the model embeds
    its tokens, e_t (the figure draws e_t = embedding(x_t) into the cell: CS224N's W_e e⁽ᵗ⁾)."""
    names = names or {role: role for role in WEIGHT_ORDER}
    previous = "t−1" if t == "t" else str(int(t) - 1)
    h, hp, x = _symbol(f"h_{t}"), _symbol(f"h_{previous}"), _symbol(f"{read}_{t}")
    if kind == "lstm":
        return _row(_symbol(f"c_{t}"), _op("="), _symbol(f"f_{t}"), _op("⊙"), _symbol(f"c_{previous}"), _op("+"),
                    _symbol(f"i_{t}"), _op("⊙"), _symbol(f"g_{t}"), _text(",  "), h, _op("="), _symbol(f"o_{t}"),
                    _op("⊙"), _text("tanh"), _fenced(_symbol(f"c_{t}")))
    if kind == "gru":
        return _row(h, _op("="), _fenced(_row(_number_plain("1"), _op("−"), _symbol(f"z_{t}"))), _op("⊙"),
                    _symbol(f"n_{t}"), _op("+"), _symbol(f"z_{t}"), _op("⊙"), hp)
    if names["b_ih"] == names["b_hh"]:  # the lecture's one bias for the layer's two
        inside = _row(_symbol(names["W_hh"]), hp, _op("+"), _symbol(names["W_ih"]), x, _op("+"), _symbol(names["b_ih"]))
        return _row(h, _op("="), _text("tanh"), _fenced(inside))
    return _row(h, _op("="), _text("tanh"), _fenced(_row(_symbol(names["W_ih"]), x, _op("+"), _symbol(names["b_ih"]),
                                                        _op("+"), _symbol(names["W_hh"]), hp, _op("+"),
                                                        _symbol(names["b_hh"]))))


def _backward_lines(kind: str, t: int, steps: int, numbers: dict[str, Any], weights: list[dict],
                    names: dict[str, str]) -> list[str]:
    """∂J/∂h_t as its two contributions, with their norms; the local Jacobian and the running
    product; the cell state's path (LSTM) or the z path (GRU); the step's term of ∂J/∂W_hh."""
    def d(name: str) -> str:
        return _symbol(f"∂J/∂{name}")

    # the part that does not come through step t+1, named where the figure draws it: J = (1/T) Σ_t J_t (the page finds
    # J_t only for a mean over the steps) draws J_t above step t, and what comes from above is its 1/T share; any
    # other J is drawn after the last step (J = Σ h_T at its right), and its part comes from the loss J, none at a
    # step no loss reads (a loss-last page said "from above 0" of a loss drawn nowhere above, "from above" at T of the
    # arrow from the right)
    direct = numbers["from_above"][t - 1]
    per_step = numbers["losses"] is not None
    above = _row(_text(f"(1/{steps}) "), _symbol(f"∂J_{t}/∂h_{t}")) if per_step else _symbol(f"∂J/∂h_{t}|_(J)")
    said = [BREAK, _text("  from above " if per_step else "  from the loss J "), _number(direct)] \
        if per_step or direct or t == steps else []
    norms = [_norm_of(d(f"h_{t}")), _op("="), _number(numbers["hidden_norms"][t - 1]), _text(":"), *said]
    if t == steps:
        whole = [_op("="), above] if per_step else [_text(" from the loss J")]
        lines = [_row(d(f"h_{t}"), *whole, BREAK, _text("   (the last step: no later step adds a part)")), _row(*norms)]
    else:
        local = _symbol(f"∂h_{t + 1}/∂h_{t}")
        written, through = local_jacobian(kind, str(t + 1), str(t), names["W_hh"])
        jacobian = _row(*written, _text(",   ")) if written else ""
        right = [BREAK, _op("+"), _msup(_fenced(_symbol(f"∂h_{t + 1}/∂h_{t}")), "T"), d(f"h_{t + 1}")]
        if kind == "lstm":  # h_t reaches J through step t+1's gates, which make both c_{t+1} and h_{t+1}
            right = [BREAK, _op("+"), _msup(_symbol(names["W_hh"]), "T"), _msub("δ", f"{t + 1}")]
        local_line = _row(jacobian, BREAK if jacobian else "", _norm_of(local), _op("="),
                          _number(numbers["local_jacobian"][t - 1]), *through)
        # an LSTM's or a GRU's local Jacobian, given by its norm, is one factor of the product on the line under it
        # (from t = T−2): a detail, which a narrow window folds (an LSTM's t = 1 at 1,280 × 720: its 8 lines beside
        # the figure left one too many, and the figure went across the top, its lit labels at 11.9 px)
        if kind != "rnn" and t < steps - 1:
            local_line = _detail(local_line)
        # the part from the right is what the lit h arrow says it carries back: said so, on the same line (a row of its
        # own where the line is too wide: a line more set an LSTM's t = 2 at 1,920 × 1,080 too small to show its detail)
        carried = [_text(","), BREAK, _text("  "), *right[2:], _op("="), _later_losses(t, steps),
                   _text("  (the lit h arrow)")] if numbers["losses"] is not None else []
        first = [above, *right] if said else [*right[2:], BREAK, _text("   (no loss at this step)")]
        lines = [_row(d(f"h_{t}"), _op("="), *first, *carried),
                 _row(*norms, *([_text(",")] if said else []), BREAK, _text("  from the right "),
                      _number(numbers["from_right"][t - 1])),
                 local_line]
        if kind == "lstm":  # a line of its own: a long line would shrink the whole equation to fit the window
            lines.insert(1, _delta_line(kind, t, names, also_next=True))
    lines.extend(_product_lines(kind, t, steps, numbers))
    cell = numbers["cell"]
    if cell is not None:
        through_h = [_symbol(f"o_{t}"), _op("⊙"), _text("tanh′"), _fenced(_symbol(f"c_{t}")), _op("⊙"), d(f"h_{t}")]
        norms = [_norm_of(d(f"c_{t}")), _op("="), _number(cell["norms"][t - 1]), _text(":"), BREAK,
                 _text("  through h "), _number(cell["through_h"][t - 1])]
        if t == steps:  # there is no c_{T+1}: nothing comes along c
            lines.append(_row(d(f"c_{t}"), _op("="), *through_h, BREAK, _text("   (the last step: nothing along c)")))
        else:
            lines.append(_row(d(f"c_{t}"), _op("="), *through_h, BREAK, _op("+"), _symbol(f"f_{t + 1}"), _op("⊙"),
                              d(f"c_{t + 1}")))
            norms += [_text(","), BREAK, _text("  along c "), _number(cell["from_next"][t - 1])]
        lines.append(_row(*norms))
    if numbers["z_path"] is not None and numbers["z_path"][t - 1] is not None:
        lines.append(_row(_norm_of(_row(_symbol(f"z_{t + 1}"), _op("⊙"), d(f"h_{t + 1}"))), _op("="),
                          _number(numbers["z_path"][t - 1]), BREAK, _text("   (the part through "),
                          _symbol(f"z_{t + 1}"), _op("⊙"), _symbol(f"h_{t}"), _text(", around the candidate "),
                          _symbol(f"n_{t + 1}"), _text(")")))
    w_hh = next((w for w in weights if w["role"] == "W_hh"), None)
    if w_hh is not None:
        if kind != "lstm" or t == steps:  # an LSTM's, before T: defined under ∂J/∂h_t, with δ_{t+1}
            lines.append(_delta_line(kind, t, names))
        term = _symbol(f"∂J/∂{names['W_hh']}|_({t})")
        lines.append(_row(term, _op("="), _msub("δ", str(t)), _msup(_symbol(f"h_{t - 1}"), "T"), _text(","), BREAK,
                          _text("   "), _norm_of(term), _op("="), _number(w_hh["terms"][t - 1])))
    return lines


def local_jacobian(kind: str, later: str, earlier: str, recurrent: str) -> tuple[list[str], list[str]]:
    """The local Jacobian ∂h_later/∂h_earlier as the page's stage writes it (MathML): a tanh RNN's written out,
    diag(1 − h²) W_hh, and nothing said after it; an LSTM's and a GRU's run through every gate (a line that long would
    shrink the whole equation), so their line gives the norm and says, as a comment, what the Jacobian runs through,
    rather than a right-hand side in words: ([], the comment). Each a list of MathML parts of one line; the deck's
    vanishing slide writes the same words.

    >>> local_jacobian("gru", "t", "t−1", "U")[0], local_jacobian("rnn", "3", "2", "W_hh")[1]
    ([], [])
    """
    local = _symbol(f"∂h_{later}/∂h_{earlier}")
    if kind == "rnn":
        squared = _msup(_symbol(f"h_{later}"), "2")
        return [local, _op("="), _text("diag"), _fenced(_row(_number_plain("1"), _op("−"), squared)),
                _symbol(recurrent)], []

    def gates(*letters: str) -> list[str]:
        return [part for i, letter in enumerate(letters) for part in ([_text(", ")] if i else []) +
                [_symbol(f"{letter}_{later}")]]

    return [], {"gru": [BREAK, _text("   (diag"), _fenced(_symbol(f"z_{later}")), _text(" plus the paths"), BREAK,
                        _text(" through "), *gates("r", "z", "n"), _text(")")],
                "lstm": [BREAK, _text("   (through "), _symbol(f"o_{later}"), _text(", tanh"),
                         # g is the candidate, not a gate: tanh, not σ (slide 07's i, f, o = σ(…), g = tanh(…))
                         _fenced(_symbol(f"c_{later}")), _text(","), BREAK, _text(" the gates "), *gates("i", "f"),
                         _text(" and the candidate "), _symbol(f"g_{later}"), _text(")")]}[kind]


def _later_losses(t: int, steps: int) -> str:
    """What the lit h arrow from step t+1 carries back where J = (1/T) Σ_t J_t, written as its label writes it
    (gradient_labels.losses_said): the part of ∂J/∂h_t from the losses after t, (1/4)Σ_{t=3}^4 ∂J_t/∂h_2, or
    (1/4) ∂J_4/∂h_3 where one loss is after t.

    >>> _later_losses(3, 4).count("<msubsup>"), _later_losses(2, 4).count("<msubsup>")
    (0, 1)
    """
    scale = _text(f"(1/{steps})" + (" " if t + 1 == steps else ""))
    if t + 1 == steps:
        return _row(scale, _symbol(f"∂J_{steps}/∂h_{t}"))
    total = f"<msubsup><mi>Σ</mi><mi>t={t + 1}</mi><mi>{steps}</mi></msubsup>"
    return _row(scale, total, _symbol(f"∂J_t/∂h_{t}"))


def _product_lines(kind: str, t: int, steps: int, numbers: dict[str, Any]) -> list[str]:
    """‖∂h_T/∂h_t‖, said for what it is. A tanh RNN's and a GRU's state is h, so it is the product of
    the local Jacobians ∂h_{k+1}/∂h_k: what vanishes. An LSTM's state is (h, c): its ∂h_T/∂h_t also
    runs along c, so the product of the h→h Jacobians is written beside it, as the product it is (a
    symbol of its own: the two differ) — the gap between the two is what the cell state keeps. (One
    line, as the other cells': the exported stage's figure gets what the equations leave.) At t = T−1
    the product is the one local Jacobian, on the line above: nothing is printed twice."""
    whole = _norm_of(_symbol(f"∂h_{steps}/∂h_{t}"))
    if t >= steps - 1:  # ∂h_T/∂h_T = I; ∂h_T/∂h_{T−1} is the one local Jacobian, printed on the line above
        return []
    if kind != "lstm":
        return [_row(whole, _op("="), _number(numbers["product"][t - 1]), BREAK,
                     _text("   (the local Jacobians' product: what vanishes)"))]
    # two quantities, two symbols: ∂h_T/∂h_t (c_t held, every path from h_t to h_T, some of them along c) and
    # the product of the one-step Jacobians, which follows h alone (a factor on its own would read as ∂h_T/∂h_t)
    factors = [_symbol(f"∂h_{k + 1}/∂h_{k}") for k in range(steps - 1, t - 1, -1)]
    chain = _row(*factors) if len(factors) <= 2 else _row(factors[0], _text(" ⋯ "), factors[-1])
    return [_row(whole, _op("="), _number(numbers["product"][t - 1]), _text(" (h and c);"), BREAK, _text("  "),
                 _norm_of(chain), _op("="), _number(numbers["h_path"][t - 1]), _text(" (h alone)"))]


def _delta_line(kind: str, t: int, names: dict[str, str], also_next: bool = False) -> str:
    """δ_t, defined where the equations use it: the gradient at what W_hh h_{t−1} is added into at
    step t — so that ∂J/∂W_hh|_(t) = δ_t h_{t−1}ᵀ. ``also_next``: δ_{t+1} as well (an LSTM's
    ∂J/∂h_t reads it)."""
    delta = _msub("δ", str(t))
    if kind == "rnn":  # h_t = tanh(a_t): δ_t = ∂J/∂a_t
        return _row(delta, _op("="), _fenced(_row(_number_plain("1"), _op("−"), _msup(_symbol(f"h_{t}"), "2"))),
                    _op("⊙"), _symbol(f"∂J/∂h_{t}"), _text(":"), BREAK,
                    _text(f"  the gradient at tanh's input, step {t}"))
    if kind == "gru":  # the gates r, z, n read W_hh h_{t−1} + b_hh (n through r ⊙ it)
        return _row(delta, _text(":"), BREAK, _text("  the gradient at "), _symbol(names["W_hh"]),
                    _symbol(f"h_{t - 1}"), _op("+"), _symbol(names["b_hh"]), _text(","), BREAK,
                    _text(" the gates' input from "), _symbol(f"h_{t - 1}"))
    both = [_msub("δ", str(t + 1)), _op(","), delta] if also_next else [delta]  # (each its step's: the subscript)
    # (the gates the cell's equation names: "… of the gates i, f, g, o" was the widest line of CS224N's t = 2 at
    # 1,280 × 720, which set the whole equation at 17.8 px)
    return _row(*both, _text(":"), BREAK, _text("  the gradient at the gates' pre-activations"))


def _sum_lines(weights: list[dict], columns: bool = False) -> list[str]:
    """Each shared weight's sum of its per-step terms beside its .grad; ``columns``: the notation's E holds a word
    in a column (:attr:`.Notation.words_as_columns`), so that step t's term of ∂J/∂E is added into the column of word
    x⁽ᵗ⁾ (a one-hot vector there, no index: "the column of"), not into row x_t."""
    lines = []
    part = "the column of word" if columns else "row"
    for weight in weights:
        name, which = weight["name"].partition(" (")[0], weight["whose"]  # b₁″, PyTorch's b_hh (W (W_ih): W)
        owner = which or name
        # whose, where the lecture's one symbol stands for two of PyTorch's parameters: b₁″ (PyTorch's bias_hh)
        said = _text(f" (PyTorch's {pytorch_name(owner)})") if which else ""
        grad_of = _text(f",  ‖{pytorch_name(owner)}.grad‖ = ") if which else \
            _row(_text(",  ‖"), _symbol(owner), _text(".grad‖ = "))
        lines.append(_row(_norm_of(_row(_msub("Σ", "t"), _symbol(f"∂J/∂{name}|_(t)"))), said,
                          _op("="), _number(weight["running"][0]), grad_of,
                          _number(weight["grad_norm"]),
                          # a table's term at step t is no product: the gradient at e_t, added into one row (column);
                          # a row of its own where the line is too wide (CS224N's "in the column of word x⁽ᵗ⁾" set the
                          # sums' equation at 17.5 px at 1,280 × 720)
                          *([BREAK, _row(_text("  (term t: "), _symbol("∂J/∂e_t"), _text(f" in {part} "),
                                         _symbol("x_t"), _text(")"))] if weight["lookup"] else [])))
    if weights:  # the bars' heights add up to more than the sum's norm: the terms partly cancel, said once
        first = weights[0]
        name = first["name"].partition(" (")[0]
        lines.append(_row(_norm_of(_row(_msub("Σ", "t"), _symbol(f"∂J/∂{name}|_(t)"))), _op("≤"), _msub("Σ", "t"),
                          _norm_of(_symbol(f"∂J/∂{name}|_(t)")), _op("="), _number(sum(first["terms"])),
                          _text(":  the terms partly cancel")))
    return lines


def _first_term_line(weights: list[dict], starts_at_zero: bool | None) -> list[str]:
    """Why the bar of step 1 is 0 for the weight that multiplies h_(t−1), where it is: there it multiplies h₀ = 0
    (as the deck's slide 05 says); none where the states start elsewhere, or no shared weight reads h_(t−1). A detail
    the page folds where its equation would stand under the page's text (at 1,280 × 720 an LSTM language model's sums
    in CS224N's notation, their "(term t: …)" rows a line each, went from 18.8 px to 17.9 with it)."""
    recurrent = [w for w in weights if w["role"] == "W_hh"]
    if not starts_at_zero or not recurrent or recurrent[0]["terms"][0] != 0:
        return []
    name = recurrent[0]["name"].partition(" (")[0]
    return [_detail(_row(_text("the term of step 1 is 0: "), _symbol(f"∂J/∂{name}|_(1)"), _op("="), _number_plain("0"),
                 _text(",  there "), _symbol(name), _text(" multiplies "), _symbol("h_0"), _op("="),
                 _number_plain("0")))]


def _values_line(name: str, values: list[float] | None, tensor: Tensor) -> str:
    if values is not None and len(values) <= SHOWN_UNITS:
        digits = digits_to_tell_apart(values)  # h_t's units: two different ones never print alike
        shown = _fenced(_row(*[_number_plain(slide_number(v, digits)) if i == 0 else
                               _row(_op(","), _number_plain(slide_number(v, digits))) for i, v in enumerate(values)]),
                        "[", "]")
        return _row(_symbol(name), _op("="), shown)
    return _row(_norm_of(_symbol(name)), _op("="), _number(norm(tensor)))


def pytorch_name(role: str) -> str:
    """A layer's parameter as PyTorch names it, for text that says it names PyTorch's: b_ih → bias_ih.

    >>> pytorch_name("b_ih"), pytorch_name("W_hh"), pytorch_name("E")
    ('bias_ih', 'weight_hh', 'E')
    """
    kind, _, which = role.partition("_")
    return {"W": "weight_", "b": "bias_"}[kind] + which if which and kind in ("W", "b") else role


def in_notation(mathml: str, notation: Notation) -> str:
    """The page's equations (MathML written with PyTorch's h_t and J) in the notation: h⁽ᵗ⁾ where the
    lecture writes time as a superscript, and its letter for the loss (L in CMU's). The weights are
    written in the notation already, by name.

    >>> in_notation("<msub><mi>h</mi><mi>3</mi></msub>", resolve("cs224n"))
    '<msup><mi>h</mi><mrow><mo>(</mo><mi>3</mi><mo>)</mo></mrow></msup>'
    """
    loss = notation.symbol("J")
    if notation.time == "superscript":
        mathml = TIMED.sub(lambda m: f"<msup><mi>{m.group(1)}{notation.symbol(m.group(2))}</mi><mrow><mo>(</mo>"
                                     f"<mi>{m.group(3)}</mi><mo>)</mo></mrow></msup>", mathml)
    if loss != "J":
        mathml = LOSS_SYMBOL.sub(lambda m: f"<mi>{m.group(1)}{loss}</mi>", mathml)
        mathml = TIMED.sub(lambda m: m.group(0).replace(">∂J<", f">∂{loss}<").replace(">J<", f">{loss}<"), mathml)
    return mathml
