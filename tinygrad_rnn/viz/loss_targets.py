"""What each J_t is trained to predict, read off the graph that computed it.

``tokens=`` writes the words of x_1 … x_T under the inputs and, by each J_t, "target" and the word
J_t predicts. That word is the next input, x_{t+1}, only in a language model: a tagger's J_t predicts
a tag. Only the cross-entropy knows which: its ``targets`` are the ids each J_t wants, and the
embedding's ``ids`` are the ids each step reads. A figure writes the next word as J_t's target only
where those ids say it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..engine import ops_in_order, vertex_of


@dataclass(frozen=True)
class LossTargets:
    """The target ids of the per-step losses, in time order (``ids``), and whether each is the id the
    model reads at the next step (``next_words``: a language model's J_t predicts x_{t+1})."""

    ids: tuple[int, ...]
    next_words: bool


def loss_targets(roots) -> LossTargets | None:
    """The targets of the cross-entropies that computed ``roots``, or None where the graph has none to read
    (no cross_entropy op with targets, no embedding, or losses over several sequences at once).

    The losses are put in time order by their depth in the graph (J_t is computed after h_t, deeper at each step);
    the lookups by the first loss that reads them (a loop's e_t: J_t's, as no earlier loss reads it). A layer's
    embedding reads the whole sequence at once, a loop's one id a step.

    >>> import tinygrad_rnn as tr
    >>> emb, rnn, head = tr.nn.Embedding(6, 3), tr.nn.RNN(3, 3, batch_first=True), tr.nn.Linear(3, 6)
    >>> ids = [1, 4, 2, 5]
    >>> out, _ = rnn(emb(tr.tensor([ids[:-1]])))
    >>> language_model = tr.nn.functional.cross_entropy(head(out).reshape(-1, 6), tr.tensor(ids[1:]))
    >>> loss_targets([language_model])
    LossTargets(ids=(4, 2, 5), next_words=True)
    >>> tagger = tr.nn.functional.cross_entropy(head(out).reshape(-1, 6), tr.tensor([0, 1, 0]))
    >>> loss_targets([tagger])
    LossTargets(ids=(0, 1, 0), next_words=False)
    """
    _, ops = ops_in_order([vertex_of(root) for root in roots], freed=True)
    losses = [op for op in ops if op.name == "cross_entropy" and getattr(op, "targets", None) is not None]
    if not losses or len(losses) > 1 and any(op.targets.size != 1 for op in losses):
        return None  # (a loop's losses have one row each; a layer's one loss a row per step)
    targets = tuple(int(i) for op in losses for i in op.targets.reshape(-1))
    lookups = _lookups_in_time(losses)
    if not lookups:
        return None
    layers = [tuple(int(i) for i in lookup.ids.reshape(-1)) for lookup in lookups if lookup.ids.size > 1]
    loop = tuple(int(lookup.ids.reshape(-1)[0]) for lookup in lookups if lookup.ids.size == 1)
    # each step's target the id read at the next step: a decoder's [BEGIN], y₁, y₂ predicting y₁, y₂, y₃
    # (an encoder's words come before its decoder's; a single target says nothing either way)
    next_words = len(targets) > 1 and any(read[-len(targets):][1:] == targets[:-1] for read in [*layers, loop])
    return LossTargets(targets, next_words)


def _lookups_in_time(losses: list) -> list:
    """The embedding ops the ``losses`` (in time order) read, each listed with the first loss that reads it: one
    walk back from each loss over what no earlier loss's walk has seen, with a stack."""
    seen, found = set(), []
    for loss in losses:
        stack = [loss]
        while stack:
            op = stack.pop()
            if op.name == "embedding":
                found.append(op)
            for parent in op.parents:
                function = getattr(parent, "grad_fn", None)
                if function is not None and id(function) not in seen:
                    seen.add(id(function))
                    stack.append(function)
    return found
