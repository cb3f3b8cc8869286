"""What each arrow of a BPTT figure carries, named so that the label is true.

An arrow of the backward figure runs against one forward edge: the value v that edge carried (h₃,
e₃) receives along it the part of ∂J/∂v that flows through the edge's reader. Where v has one
reader that part is all of ∂J/∂v, and the arrow says so: ∂J/∂e₃. Where it has several — h₃ read
by the head of step 3 and by the cell of step 4 — each arrow carries one part, and ∂J/∂v is their
sum, added at v's node:

    ∂J/∂h₃ = (1/4) ∂J₃/∂h₃ + (1/4) ∂J₄/∂h₃      (a language model, J = (1/4) Σₜ Jₜ)

Each part is named by the per-step losses it reaches, summed as a lecture sums them — (1/4)Σₜ₌₃⁴ ∂Jₜ/∂h₂
from the next step, (1/4) ∂J₃/∂h₃ from the head — where the readers reach different losses (one layer,
left to right). That part is also (∂h₃/∂h₂)ᵀ ∂J/∂h₃, the chain rule's form, which the lecture page's
equation writes beside the arrow; the arrow is named one way on every figure, slide or free size, the
deck's and the page's, for every cell and notation, so that one quantity never wears two labels. Where
the readers' paths meet again (the layer above reads h₃ too) no loss belongs to one path alone, and the
part is named by the chain rule: (∂h₄/∂h₃)ᵀ ∂J/∂h₄, the reader's Jacobian times its own gradient.

``generic=True`` writes the labels of the rolled view: the same quantities for any step t —
(1/T) ∂(Jₜ₊₁ + … + J_T)/∂hₜ.

The rule reads a figure's values in the library's names, the step a subscript (h₃, J₃), before a notation writes
them (CS224N's h⁽³⁾, h^[2]⁽³⁾ for layer 2: no step this rule reads);
:func:`.value_names.arrows_in_notation` writes its labels in the notation, as a BPTT figure's are written.
"""

from __future__ import annotations

import re

from .kept_steps import steps_left_out
from .picture import CHOICES, Node, Picture, in_order, in_time, is_sum_of_losses, subscript
from .scripts import FROM_SUBSCRIPT, TO_SUBSCRIPT, TO_SUPERSCRIPT

STEP_DIGITS = re.compile(r"[₀₁₂₃₄₅₆₇₈₉]+")
MARK = re.compile(r"⁽[^⁾]*⁾$")  # a chain's mark ending a state's name at step level: h₃⁽²←⁾
DIRECT = "direct"  # the part of ∂J/∂v that J's own op hands back, not through a later step
SUM_NOTE = "An arrow carries one path's part of a gradient; a node adds the parts"  # the note's words
STEP_BAR_NOTE = "|₍ₜ₎: the part through step t"  # where a state's part is written with the Σ's bar (through_step)


def name_of(node: Node) -> str:
    """J₃ of "J₃ = cross_entropy": the value a per-step node names ("" if it names none)."""
    first = node.label.split("\n")[0]
    return first.split(" = ")[0] if " = " in first else ""


def loss_name(forward: Picture, loss: int) -> str:
    """The name of a per-step term J_t of J's sum: the label of its edge into the Σ where it has one (J₃, a term a
    node computes and hands on: head(h₃).sum() out of the head it is folded into), else its node's name
    (J₃ = cross_entropy), else J_t — or, outside any step, its node's label (J_seq: :mod:`.sequence_loss`), never
    "J_None". Never the name of a value upstream of the folded ops — the logits named ŷ₃, whose
    log_softmax and index the edge carries — whose gradient ∂J/∂ŷ₃ is no 1 and ∂ŷ₃/∂h₃ no part of ∂J/∂h₃."""
    into = [label for tail, head, label in forward.edges if tail == loss and is_sum_of_losses(forward.nodes[head])]
    node = forward.nodes[loss]
    unnamed = node.label.split("\n")[0] if node.step is None else f"J{str(node.step).translate(TO_SUBSCRIPT)}"
    return next(filter(None, into), "") or name_of(node) or unnamed


def value_of(forward: Picture, tail: int, label: str) -> str:
    """The value a forward edge carries: its label (h₃), or what its tail names (e₃ = embedding)."""
    return "" if label in CHOICES else (label or name_of(forward.nodes[tail]))


SCORES_NOTE = "sₜ: the scores Jₜ reads"  # (how the note on them starts: notation.py writes it in the figure's notation)
SCORES_NOTE_START = SCORES_NOTE.split("Jₜ")[0]  # (the note as it starts whatever the losses are named: J_tag,ₜ)
SCORES = "s"  # a step's scores, the head's output that J_t reads (the logits; ŷ_t = softmax(s_t)), as the docs write it
# what ŷₜ is compared with, said by what it is: the one-hot of Jₜ's own target id (a language model's is the next
# word, xₜ₊₁; a tagger's, the tag; a decoder's, its word yₜ) — never a bare yₜ, which a figure defines nowhere and an
# encoder–decoder's slides use for the decoder's input words
TARGET_OF_STEP = "targetₜ"  # (Jₜ's target id; short: the note is beside figures bound by their width)


def scores_note(forward: Picture, losses: list[int], mean: int | None | dict[int, int | None], generic: bool = False,
                drawn: set | None = None) -> str:
    """What s_t is, where an arrow says ∂J/∂sₜ; for cross-entropies, what it equals — the term a lecture derives by
    hand: J = (1/T) Σₜ Jₜ, Jₜ = −log ŷₜ[target] of one sequence, so ∂J/∂sₜ = (1/T)(ŷₜ − onehot(targetₜ)), ŷₜ =
    softmax(sₜ) (:data:`TARGET_OF_STEP`; a language model's deck slide writes its target, xₜ₊₁). (Short: the
    notes of a figure bound by its height take its room.) ``drawn``: the forward edges whose arrows back the figure
    draws — no note where none of them is one of the scores (a note names only what is drawn)."""
    read = scores_read(forward, losses)
    if not read or (drawn is not None and not drawn & set(read)):
        return ""
    # the losses as the figure names them: "the scores J_tag,ₜ reads" where J_tag's terms are drawn J_tag,₁ …
    named = [STEP_DIGITS.sub("", loss_name(forward, j)) for j in losses if forward.nodes[j].kind != "ellipsis"]
    reads = SCORES_NOTE.replace("Jₜ", f"{named[0]}ₜ") if named and named[0] != "J" else SCORES_NOTE
    said = f"{reads} (the head's output)"
    if all(forward.nodes[j].label.split("\n")[0].endswith("cross_entropy") for j in losses
           if forward.nodes[j].kind != "ellipsis"):
        if isinstance(mean, dict):  # several means, each over its own steps (a padded tagger's, one a sequence)
            steps = " or ".join(str(n) for n in sorted(set(mean.values()) - {None}, reverse=True))
            return f"{reads}; one sequence: ∂J/∂sₜ = (1/n)(ŷₜ − onehot({TARGET_OF_STEP})), n = {steps}: the steps " \
                   "its mean is over"
        share = "" if not mean else "(1/T)" if generic else f"(1/{mean})"
        return f"{reads}; one sequence: ∂J/∂sₜ = {share}(ŷₜ − onehot({TARGET_OF_STEP}))"
    return said


def scores_read(forward: Picture, losses: list[int]) -> dict[tuple[int, int, str], str]:
    """The unnamed edges into the per-step losses J_t from a step's head: what each carries, s_t — so that the
    gradient arrow back along it says what it carries, ∂J/∂s₃ (for a mean of cross-entropies,
    (1/T)(ŷ₃ − onehot(target₃))), as every other arrow does."""
    into = set(losses)
    # (a recurrence's cells, each handing its state to its own next step, hand J_t that state, not a head's scores)
    recurrent = {forward.nodes[tail].row for tail, head, label in forward.edges if label not in CHOICES and
                 forward.nodes[tail].step is not None and forward.nodes[head].row == forward.nodes[tail].row and
                 forward.nodes[head].step == forward.nodes[tail].step + 1}
    return {(tail, head, label): subscript(SCORES, forward.nodes[tail].step) for tail, head, label in forward.edges
            if head in into and not label and not name_of(forward.nodes[tail]) and forward.nodes[tail].step is not None
            and forward.nodes[tail].kind in ("op", "group") and forward.nodes[tail].row not in recurrent}


def arrow_labels(forward: Picture, losses: list[int], mean: int | None | dict[int, int | None], generic: bool = False,
                 by_next_step: bool = False) -> dict:
    """{(tail, head, label) of a forward edge: the label of its backward arrow}.

    ``losses`` are the per-step loss nodes J_t (empty if J is not a sum of them; a "…" of steps
    left out stands for their J_t) and ``mean`` is T where J = (1/T) Σₜ Jₜ (None for Σₜ Jₜ), or each J_t's own T
    where J adds means over different steps (a padded tagger's, one a sequence: (1/4) ∂J₁/∂s₁ and (1/2) ∂J₁/∂s₁);
    an arrow whose losses are in means of different T is said by the chain rule.
    One rule names every arrow by what it carries, whatever the cell, the figure (slide or free size, the
    deck's, the page's) or the notation: all of ∂J/∂v where the arrow's reader is v's only one; the losses
    it reaches where each reader reaches losses no other does — (1/4) ∂J₄/∂h₃, and losses at consecutive
    steps summed as a lecture sums them, (1/4)Σₜ₌₃⁴ ∂Jₜ/∂h₂ (equal to (∂h₃/∂h₂)ᵀ ∂J/∂h₃, the chain rule's
    form, which the page's equation writes beside it); the chain rule where no loss belongs to one path.
    ``by_next_step`` (a slide): where the chain rule needs a cell's two outputs and the reader reads v in
    its own step too (a step node of stacked LSTM layers), the part is written with the Σ's step bar,
    ∂J/∂h₁⁽¹⁾|₍₂₎ (:func:`through_step`)."""
    scores = scores_read(forward, losses)
    share = mean if isinstance(mean, dict) else dict.fromkeys(losses, mean)
    shares = len(set(share.values()) - {None}) > 1  # J adds means over different steps: (1/4) and (1/2)

    def means(reached: frozenset) -> list:  # the T of the means the losses reached are in: one, or none (J_cls)
        return list({share[j] for j in reached if j in share})

    def one_mean(reached: frozenset):  # the T of their one mean (None: none, or several)
        return (means(reached) or [None])[0]

    def carried(tail: int, head: int, label: str) -> str:  # what value_of says, and the scores s_t
        return scores.get((tail, head, label)) or value_of(forward, tail, label)

    readers: dict[tuple[int, str], list[int]] = {}
    for tail, head, label in forward.edges:
        value = carried(tail, head, label)
        if value and head not in readers.setdefault((tail, value), []):
            readers[(tail, value)].append(head)
    besides = terms_besides(forward, losses)  # J = J_tag + J_cls: J_cls reaches h₁ too, through h₃
    reach = _losses_reached(forward, losses + besides)
    at = in_time(forward.nodes, forward.edges)  # losses in time order: a decoder's J₁ after its encoder's steps
    named = [_loss_names(forward, j, "J")[0] for j in losses if forward.nodes[j].kind != "ellipsis"]
    letter = STEP_DIGITS.sub("", named[0]) if named else "J"
    last = max((forward.nodes[j].step for j in losses if forward.nodes[j].step is not None), default=None)
    final = max((n.step for n in forward.nodes if n.step is not None), default=None)  # T
    result = {}
    forms: dict[tuple, list[list[str]]] = {}  # generic: the ways each arrow's losses can be said for any t
    kinds: dict[tuple, list[tuple]] = {}  # generic: the arrows one rolled arrow stands for
    for tail, head, label in forward.edges:
        value = carried(tail, head, label)
        if not value:
            result[(tail, head, label)] = ""
            continue
        heads = readers[(tail, value)]
        parts = [reach[h] for h in heads]
        separable = losses and all(parts) and sum(len(p) for p in parts) == len(frozenset().union(*parts))
        # (what comes out of steps left out is read inside its own cell as the reader's cell reads its own)
        inside = forward.nodes[head if forward.nodes[tail].kind == "ellipsis" else tail].read_inside
        if STEP_DIGITS.sub("", value) in inside:  # c₃, read in its own cell too
            text = _chain_rule(forward, tail, head, value, generic, same_state=True)
            if by_next_step and not generic and text.startswith("(∂(") and forward.nodes[head].step is not None:
                text = through_step(value, forward.nodes[head].step)
        elif forward.nodes[tail].kind == "ellipsis" and losses and reach[head] and len(means(reach[head])) <= 1 \
                and not generic:
            # v comes out of steps left out, where it has readers too (h₁₈ → the head of step 18): this arrow
            # carries only the part through the losses its reader reaches, (1/20)Σₜ₌₁₉²⁰ ∂Jₜ/∂h₁₈
            text = _parts_said(forward, sorted(reach[head], key=lambda j: at[j] or 0), besides, letter, value,
                               one_mean(reach[head]))
        elif len(heads) == 1 and not generic and not (shares and (tail, head, label) in scores):
            # its only reader: the arrow carries all of ∂J/∂v (scores, where J adds means of several T: said by
            # their loss, (1/4) ∂J₃/∂s₃, as the scores each of two losses reads are — one form in the figure)
            text = f"∂J/∂{value}"
        elif separable and not (generic and besides) and len(means(reach[head])) <= 1:  # each reader reaches losses
            # no other reaches: name the part by them
            reached = sorted(reach[head], key=lambda j: at[j] or 0)  # (rolled, J's other terms: the chain rule)
            if generic:  # the same words at every step of this arrow: chosen below, once all are known
                steps = [forward.nodes[j].step for j in reached]
                forms[(tail, head, label)] = _generic_forms(steps, forward.nodes[tail].step, last)
                kinds.setdefault(_arrow_kind(forward, tail, head, value), []).append((tail, head, label))
            text = _parts_said(forward, reached, besides, letter, value, one_mean(reach[head]))
        elif len(heads) == 1:  # (rolled: the same words at every step, ∂J/∂h_T at the last)
            text = f"∂J/∂{_generic(value, last=final)}"
        else:
            text = _chain_rule(forward, tail, head, value, generic)
        result[(tail, head, label)] = text
    for arrows in kinds.values():  # one form that holds at every step (the last step's J_T alone fits two)
        common = [form for form in forms[arrows[0]] if all(form in forms[a] for a in arrows)]
        for tail, head, label in arrows if common else ():
            names = [suffix if suffix == "…" else letter + suffix for suffix in common[0]]
            result[(tail, head, label)] = _loss_sum(names, carried(tail, head, label),
                                                    one_mean(reach[head]), True)
    return result


def terms_besides(forward: Picture, losses: list[int]) -> list[int]:
    """The terms J adds beside the mean of the per-step losses ``losses`` — a classifier's loss J_cls, read off the
    last state, in J = J_tag + J_cls — each a loss of its own whose gradient reaches back through every state it
    reads: an arrow's label names it beside the per-step losses it reaches. None where J is no sum of per-step losses.
    """
    if not losses:
        return []
    means = {head for tail, head, _ in forward.edges if tail in losses and is_sum_of_losses(forward.nodes[head])}
    outputs = {head for tail, head, _ in forward.edges if tail in means and forward.nodes[head].kind == "output"}
    return list(dict.fromkeys(tail for tail, head, label in forward.edges if head in outputs and tail not in means
                              and label not in CHOICES and forward.nodes[tail].kind in ("op", "group")))


def _parts_said(forward: Picture, reached: list[int], besides: list[int], letter: str, value: str,
                mean: int | None) -> str:
    """The part of ∂J/∂v through the losses ``reached``: the per-step ones as :func:`losses_said` says them, then each
    of J's other terms (``besides``) added with its own weight, 1 — (1/3)Σₜ₌₂³ ∂J_tagₜ/∂h₁ + ∂J_cls/∂h₁."""
    steps = [name for j in reached if j not in besides for name in _loss_names(forward, j, letter)]
    others = [f"∂{loss_name(forward, j)}/∂{value}" for j in reached if j in besides]
    return " + ".join(([losses_said(steps, letter, value, mean)] if steps else []) + others)


def through_step(value: str, step: int) -> str:
    """∂J/∂h₁⁽¹→⁾|₍₂₎: the part of ∂J/∂v that the step ``step`` hands back, in the step bar the Σ's terms are written
    with (∂J/∂W_hh|₍ₜ₎, the lectures' "gradient with respect to each time it appears"). A slide writes it where the
    chain rule needs both outputs of an LSTM's cell, (∂(h₂⁽¹→⁾, c₂⁽¹→⁾)/∂h₁⁽¹→⁾)ᵀ ∂J/∂(h₂⁽¹→⁾, c₂⁽¹→⁾): the same
    quantity in 15 characters, not 45, the widest label between two steps of a stacked bidirectional LSTM. A note
    says what the bar means (:data:`STEP_BAR_NOTE`), of the Σ's terms and of this part alike.

    >>> through_step("h₁⁽¹→⁾", 2)
    '∂J/∂h₁⁽¹→⁾|₍₂₎'
    """
    return f"∂J/∂{value}|₍{str(step).translate(TO_SUBSCRIPT)}₎"


def _arrow_kind(forward: Picture, tail: int, head: int, value: str) -> tuple:
    """What an arrow is, whatever its step: from which row into which, carrying which value (h, e)."""
    return forward.nodes[tail].row, forward.nodes[head].row, STEP_DIGITS.sub("", value)


def _generic_forms(steps: list[int], value_step: int | None, last: int | None) -> list[list[str]]:
    """The ways to write the losses at ``steps`` for any step t (the value's): [ₜ], [ₜ, …, _T], [ₜ₊₁, …, _T]."""
    if value_step is None or last is None:
        return []
    forms = []
    if steps == [value_step]:
        forms.append(["ₜ"])
    if steps == list(range(value_step, last + 1)):
        forms.append(["ₜ", "…", "_T"])
    if steps == list(range(value_step + 1, last + 1)):
        forms.append(["ₜ₊₁", "…", "_T"])
    return forms


def sum_note(forward: Picture, labels: dict, generic: bool = False) -> str:
    """One line under the figure: a value read in several places adds what its arrows bring —
    the example at the latest step that has one (its labels are the shortest)."""
    parts: dict[tuple[int, str], list[str]] = {}
    for tail, head, label in sorted(forward.edges, key=lambda edge: forward.nodes[edge[1]].step or 0):
        value = value_of(forward, tail, label)
        text = labels.get((tail, head, label), "")
        if value and text and text not in parts.setdefault((tail, value), []):
            parts[(tail, value)].append(text)
    shared = [(forward.nodes[tail].step or 0, tail, value) for (tail, value), texts in parts.items() if len(texts) > 1]
    if not shared:
        return ""
    if len({n.chain for n in forward.nodes if n.chain is not None}) > 1:  # h₃ of which layer: marks come later
        return f"{SUM_NOTE} that reach one value"
    _, tail, value = max(shared)
    return f"{SUM_NOTE}: ∂J/∂{_generic(value) if generic else value} = {' + '.join(parts[(tail, value)])}"


def _losses_reached(forward: Picture, losses: list[int]) -> list[frozenset]:
    """For every node, the per-step losses its value reaches (walked in reverse topological order)."""
    count = len(forward.nodes)
    predecessors: list[list[int]] = [[] for _ in range(count)]
    successors: list[list[int]] = [[] for _ in range(count)]
    for tail, head, label in forward.edges:
        if label not in CHOICES:  # a choice passes no gradient back
            predecessors[head].append(tail)
            successors[tail].append(head)
    reach = [frozenset()] * count
    for node in reversed(in_order(list(range(count)), predecessors, set(range(count)))):
        found = frozenset({node}) if node in losses else frozenset()
        reach[node] = found.union(*(reach[s] for s in successors[node]))
    return reach


def _loss_names(forward: Picture, loss: int, letter: str) -> list[str]:
    """J₃ for the loss node J₃; J₄ … J₈ for a "…" standing for steps 4 to 8 — the losses of those steps, as
    their chain names them (a decoder's J₂ where its step 2 stands after an encoder's steps)."""
    node = forward.nodes[loss]
    if node.kind == "ellipsis":
        return [letter + str(step).translate(TO_SUBSCRIPT) for step in steps_left_out(node).losses]
    return [loss_name(forward, loss)]


def losses_said(names: list[str], letter: str, value: str, mean: int | None) -> str:
    """The part of ∂J/∂v that the losses ``names`` give, as every arrow that carries such a part is labelled:
    one loss as it is, (1/4) ∂J₄/∂h₃; losses at consecutive steps summed as a lecture sums them, (1/4)Σₜ₌₃⁴ ∂Jₜ/∂h₂
    (as narrow at every step, and the same quantity as (1/4) ∂(J₃ + J₄)/∂h₂); any others added,
    (1/4) ∂(J₂ + J₄)/∂h₁.

    >>> losses_said(["J₄"], "J", "h₃", 4), losses_said(["J₃", "J₄"], "J", "h₂", 4)
    ('(1/4) ∂J₄/∂h₃', '(1/4)Σₜ₌₃⁴ ∂Jₜ/∂h₂')
    """
    return _loss_series(names, letter, value, mean) or _loss_sum(names, value, mean, False)


def _loss_sum(names: list[str], value: str, mean: int | None, generic: bool) -> str:
    """(1/4) ∂(J₃ + J₄)/∂h₂ from the losses' names; generic: (1/T) ∂(Jₜ₊₁ + … + J_T)/∂hₜ."""
    scale = f"(1/{'T' if generic else mean}) " if mean else ""
    if not generic and len(names) > 3:
        names = [names[0], "…", names[-1]]
    losses = names[0] if len(names) == 1 else f"({' + '.join(names)})"
    return f"{scale}∂{losses}/∂{_generic(value) if generic else value}"


def _loss_series(names: list[str], letter: str, value: str, mean: int | None) -> str:
    """(1/4)Σₜ₌₂⁴ ∂Jₜ/∂h₁: the losses J₂, J₃, J₄ at consecutive steps as a lecture sums them (J = (1/T) Σₜ Jₜ),
    the same quantity as (1/4) ∂(J₂ + J₃ + J₄)/∂h₁ and as narrow at every step; "" where they are one loss,
    or are not the steps first to last of one letter.

    >>> _loss_series(["J₂", "J₃", "J₄"], "J", "h₁", 4), _loss_series(["J₄"], "J", "h₃", 4)
    ('(1/4)Σₜ₌₂⁴ ∂Jₜ/∂h₁', '')
    """
    steps = [_number(name[len(letter):]) if name.startswith(letter) and
             STEP_DIGITS.fullmatch(name[len(letter):]) else None for name in names]
    if len(steps) < 2 or None in steps or steps != list(range(steps[0], steps[0] + len(steps))):
        return ""
    scale = f"(1/{mean})" if mean else ""  # set against the Σ as print sets a factor: a line as narrow as (∂c₂/∂c₁)ᵀ
    first, last = str(steps[0]).translate(TO_SUBSCRIPT), str(steps[-1]).translate(TO_SUPERSCRIPT)
    return f"{scale}Σₜ₌{first}{last} ∂{letter}ₜ/∂{value}"


def _chain_rule(forward: Picture, tail: int, head: int, value: str, generic: bool, same_state: bool = False) -> str:
    """(∂h₄/∂h₃)ᵀ ∂J/∂h₄: the part of ∂J/∂h₃ through one reader, by what that reader computes.
    ``same_state``: through the reader's next value of the same state alone — an LSTM's c₃ reaches
    cell 4 only through c₄ (h₄ = o₄ ⊙ tanh c₄): (∂c₄/∂c₃)ᵀ ∂J/∂c₄, h₃ held as it is (its own arrow)."""
    outputs = []
    for t, _, label in forward.edges:
        if t == head:
            name = value_of(forward, t, label)
            if name and name not in outputs:
                outputs.append(name)
    if forward.nodes[head].kind == "ellipsis" and STEP_DIGITS.search(value):
        # the steps left out pass on their last state (c₁₀), but what reads v is the first of them: c₃ = f₃ ⊙ c₂ + …
        # — its every state that the tail hands it (an LSTM's h₃ reaches J through both h₄ and c₄, not h₄ alone)
        first = str(steps_left_out(forward.nodes[head]).named[0][1]).translate(TO_SUBSCRIPT)  # (its chain's t)
        handed = [value_of(forward, t, label) for t, h, label in forward.edges if (t, h) == (tail, head)]
        outputs = list(dict.fromkeys(STEP_DIGITS.sub(first, v) for v in handed if STEP_DIGITS.search(v)))
    reader = forward.nodes[head]
    # v's own state at the reader's step (h₂ read by cell 3: h₃), where the reader is a step
    at_reader = [STEP_DIGITS.sub(str(reader.step).translate(TO_SUBSCRIPT), value)] \
        if reader.step is not None and STEP_DIGITS.search(value) else []
    if not outputs and reader.kind == "group":
        # a cell that passes on no named value (a loop whose cell computes its own loss): what it computes from
        # h₂ is its state, h₃ — the part of ∂J/∂h₂ through it is (∂h₃/∂h₂)ᵀ ∂J/∂h₃, not J's own ("direct")
        outputs = at_reader
        if outputs == [value]:  # read at its own step by what passes on nothing named (a head and its loss, h₁ →
            # linear t=1 → J): the part through that step, never the identity (∂h₁/∂h₁)ᵀ ∂J/∂h₁
            return f"∂J/∂{_generic(value)}|₍ₜ₎" if generic else through_step(value, reader.step)
    mark = MARK.search(value)
    if mark and not (same_state and value.startswith("c")):
        # a step of several layers and directions: h₂⁽¹←⁾ is read at step 1 by its own chain's cell alone, so the
        # part through step 1 is through that chain's states there (h₁⁽¹←⁾, even where nothing outside the step
        # reads it: layer 2 reads it inside), never another direction's (h₁⁽¹→⁾ does not depend on h₂⁽¹←⁾). An
        # LSTM's h₃⁽¹⁾ reaches J through both of its cell's outputs there (h₄⁽¹⁾, c₄⁽¹⁾): not h₄⁽¹⁾ alone
        own = [o for o in outputs if o.endswith(mark.group())] or (at_reader if reader.kind == "group" else [])
        outputs = own or outputs
        same_state = False
    if same_state:
        # the last cell passes on no c₄ (nothing after it reads one), yet c₃ reaches J through c₄ alone:
        # (∂c₄/∂c₃)ᵀ ∂J/∂c₄, in the form of every other c arrow — (∂h₄/∂c₃)ᵀ ∂J/∂h₄ read as if h₄ read c₃
        same = [o for o in outputs if STEP_DIGITS.sub("", o) == STEP_DIGITS.sub("", value)] or at_reader
        outputs = same or outputs
        if generic:  # the rolled loop: what the next step's c hands back, at any t — the next step of its own
            # direction (a reverse direction's is t−1), its mark after the step as on every state: cₜ₋₁⁽¹←⁾
            after = _generic(outputs[0], forward.nodes[tail].step) if outputs else f"{STEP_DIGITS.sub('', value)}ₜ₊₁"
            return f"(∂{after}/∂{_generic(value)})ᵀ ∂J/∂{after}"
    if generic:
        step = forward.nodes[tail].step
        outputs = [_generic(o, step) for o in outputs]
        value = _generic(value)
    if reader.kind == "output" or not outputs:  # J reads v itself
        return f"∂J/∂{value}, {DIRECT}"
    out = outputs[0] if len(outputs) == 1 else f"({', '.join(outputs)})"
    return f"(∂{out}/∂{value})ᵀ ∂J/∂{out}"


def _generic(name: str, relative_to: int | None = None, last: int | None = None) -> str:
    """h₃ → hₜ; with the step of the value it is read from (2): h₃ → hₜ₊₁; h₄ of the last step (4) → h_T."""
    found = STEP_DIGITS.search(name)
    if not found:
        return name
    if last is not None and _number(found.group()) == last:
        return STEP_DIGITS.sub("_T", name)
    if relative_to is None:
        return STEP_DIGITS.sub("ₜ", name)
    shift = _number(found.group()) - relative_to
    suffix = "ₜ" if shift == 0 else ("ₜ₊" if shift > 0 else "ₜ₋") + str(abs(shift)).translate(TO_SUBSCRIPT)
    return STEP_DIGITS.sub(suffix, name)


def _number(digits: str) -> int:
    """₁₂ → 12."""
    return int(digits.translate(FROM_SUBSCRIPT))
