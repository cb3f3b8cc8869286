"""Words in a figure: the tokens under each x_t, and by each J_t the word (or target id) it should predict.

:func:`write_tokens` is the last thing :func:`.value_names.name_values` does; what the graph's targets are comes
from :func:`.loss_targets.loss_targets`.
"""

from __future__ import annotations

import warnings

from .kept_steps import left_out, left_out_said
from .loss_targets import LossTargets
from .picture import PER_STEP, Picture, in_time


def write_tokens(picture: Picture, tokens: list[str], targets: list[str] | None = None,
                 known: LossTargets | None = None) -> None:
    """``tokens``: the words of x_1 … x_T (and x_{T+1}, the last target), written under each x_t (by each
    embedding step in a classifier's BPTT figure, which draws no x_t and no J_t) and, as the word it should
    predict, by each J_t — where ``known``, the graph's targets (:func:`.loss_targets.loss_targets`), are the next
    words; else J_t's target id. ``targets``: what each J_t should predict, written as given (a tagger's tags).
    Both are the whole sequence's, steps left out ("…") included: step t drawn gets word t, whatever is left out
    before it (a 16-step figure drawn as t = 1, 2, 3, …, 15, 16 writes words 15 and 16 under x₁₅ and x₁₆)."""
    at = in_time(picture.nodes, picture.edges)  # in time: a decoder's y₀ after its encoder's x_S
    inputs = {at[i]: n for i, n in enumerate(picture.nodes) if n.kind == "input" and n.step is not None}
    losses = {at[i]: n for i, n in enumerate(picture.nodes) if n.kind == "group" and n.step is not None
              and n.row[:1] == (PER_STEP,)  # J₃ = cross_entropy; in a BPTT figure, cross_entropy, backward
              and n.label.split("\n")[0].split(" = ")[-1].split(",")[0] in ("cross_entropy", "nll_loss")}
    lookups = {at[i]: n for i, n in enumerate(picture.nodes) if n.step is not None and n.kind in ("group", "op")
               and n.row[:1] == (PER_STEP,) and n.label.split("\n")[0].split(" = ")[-1].startswith("embedding")}
    # a classifier's BPTT figure stops at e_t and draws one J: the words by the lookups of their x_t
    by_lookups = not inputs and not losses
    steps = sorted(set(inputs) | set(losses) | (set(lookups) if by_lookups else set()))
    if not steps:
        raise ValueError("tokens: this figure draws no x_t, no embedding step and no J_t to write words by"
                         + ("" if picture.backward else "; draw it unrolled, at level='cell' or 'step'"))
    # the sequence's steps in time, those a "…" stands for too: word k is step k's, whichever steps are drawn
    sequence = sorted(set(steps) | {step for node in picture.nodes if node.kind == "ellipsis"
                                    for step in left_out(node)})
    count, last = len(sequence), sequence[-1]
    if len(tokens) not in (count, count + 1):
        raise ValueError(f"tokens: the sequence has {count} steps ({_steps_said(picture, sequence)}); pass its "
                         f"{count} words, one per x_t, or {count + 1} (the last is the target of J_{last}), got "
                         f"{len(tokens)}: {tokens!r}")
    if targets is not None and len(targets) != count:
        raise ValueError(f"targets: the sequence has {count} steps ({_steps_said(picture, sequence)}); pass its "
                         f"{count} targets, one per J_t, got {len(targets)}: {targets!r}")
    word = {step: k for k, step in enumerate(sequence)}  # step (in time) → its word's index
    # the J_t that tokens= alone gives a word to: each but a last one without x_{T+1}
    worded = [step for step in steps if step in losses and word[step] + 1 < len(tokens)]
    ids = _target_ids(known, [step for step in steps if step in losses], targets is not None or not worded, picture)
    for step in steps:
        k = word[step]
        if step in inputs and f'\n"{tokens[k]}"' not in inputs[step].label:  # (y₀ "[BEGIN]" writes its own)
            inputs[step].label += f'\n"{tokens[k]}"'
        elif by_lookups and step in lookups:
            lookups[step].label += f'\n"{tokens[k]}"'
        if step not in losses:
            continue
        if targets is not None:
            losses[step].label += f'\ntarget "{targets[k]}"'
        elif k + 1 < len(tokens) and ids is None:  # a language model's: the next word
            losses[step].label += f'\ntarget "{tokens[k + 1]}"'
        elif ids:  # not the next word: the id the cross-entropy wants (J_T's too)
            losses[step].label += f"\ntarget id {ids[step]}"


def _target_ids(known: LossTargets | None, steps: list[int], no_words: bool, picture: Picture
                ) -> dict[int, int] | None:
    """None where J_t's target may be written as the next word (the graph's targets are the next inputs' ids, a
    language model's), or none is to be (``no_words``: ``targets=`` names them, or no J_t has a next word); else
    {step: the target id} of each J_t drawn ({} where the figure cannot pair them: some steps left out), with a
    warning that says how to write words there."""
    if no_words or (known is not None and known.next_words):
        return None
    if known is None:
        warnings.warn("tokens: this figure cannot tell what each J_t predicts (no cross_entropy over one sequence's "
                      "steps with an embedding of its ids), so it writes no target; pass targets=[...] to write them",
                      stacklevel=2)
        return {}
    whole = len(known.ids) == len(steps) and not any(node.kind == "ellipsis" for node in picture.nodes)
    warnings.warn(f"tokens: J_t's targets are not the next words (the cross-entropy's target ids are "
                  f"{', '.join(map(str, known.ids))}), so each J_t is labelled with its target id; pass "
                  "targets=[...] (what each J_t predicts, e.g. a tagger's tags) to write words there", stacklevel=2)
    return dict(zip(steps, known.ids)) if whole else {}


def _steps_said(picture: Picture, sequence: list[int]) -> str:
    """The sequence's steps as the figure names them, the steps left out said as such: "t=1…16, t=4…14 left out"."""
    left = left_out_said(picture.nodes)
    return f"t={sequence[0]}…{sequence[-1]}" + (f", {left} left out" if left else "")
