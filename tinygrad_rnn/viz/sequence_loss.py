"""The name of a loss J adds beside the mean of the per-step losses, where the user left it unnamed.

``J = cross_entropy(tag(out.reshape(-1, H)), …) + cross_entropy(cls(h[-1]), …)`` adds a tagger's per-step losses,
drawn J₁ … J_T and their mean, and a classifier's one loss, read off the last state. Unnamed, that loss would be
drawn as a bare "cross_entropy" and said in BPTT's labels with no name a figure defines. It is named J_seq — the
sequence's loss, as its head is W_seq, b_seq (:func:`.parameter_roles.parameter_roles`) — in the forward figure,
and so in every BPTT label (:func:`.gradient_labels.loss_name` reads the node's name), and a key line says what it is.
A loss the user named (J_cls) keeps its name.
"""

from __future__ import annotations

from typing import Any

from .levels import LOSSES
from .notation import Notation
from .parameter_roles import LOSS_FED, SEQUENCE_WORD, role_symbol
from .picture import Node, is_sum_of_losses

SEQUENCE_NOTE = ": the loss on one step’s state, not one per step"  # J_seq's key line, in forward and BPTT alike


def name_sequence_loss(nodes: list[Node], edges: list[tuple[int, int, str]], notation: Notation,
                       roles: dict[Any, str]) -> list[str]:
    """Label the one unnamed loss that J adds beside a mean of per-step losses "J_seq = cross_entropy" (in place), and
    return the key line that says what J_seq is (and its head, where :func:`.parameter_roles.parameter_roles` named
    it W_seq, b_seq); [] where there is none.

    >>> from tinygrad_rnn.viz.notation import resolve
    >>> mean, loss = Node(("reduced", 0, 3), "group", "(1/3) Σₜ Jₜ"), Node(1, "op", "cross_entropy")
    >>> nodes = [mean, loss, Node(2, "output", "J")]
    >>> name_sequence_loss(nodes, [(0, 2, ""), (1, 2, "")], resolve(None), {}), nodes[1].label
    (['J_seq: the loss on one step’s state, not one per step'], 'J_seq = cross_entropy')
    """
    meeting = {head for tail, head, _ in edges if is_sum_of_losses(nodes[tail])}  # J, where the mean meets the rest
    unnamed = sorted({tail for tail, head, _ in edges if head in meeting and nodes[tail].step is None
                      and nodes[tail].label in LOSSES})
    head = [role_symbol(role, notation) for role in sorted(roles.values(), reverse=True)  # (W_seq, then b_seq)
            if role.endswith(LOSS_FED + SEQUENCE_WORD)]
    if len(unnamed) != 1:  # (two such losses would need two names: left as they are) — or no mean drawn, at op
        # level: the head still says what its name means
        return [f"{', '.join(head)}: the head on one step’s state, not one per step"] if head else []
    name = f"{notation.symbol('J')}_{SEQUENCE_WORD}"  # (L_seq in CMU's letters, beside its Lₜ)
    nodes[unnamed[0]].label = f"{name} = {nodes[unnamed[0]].label}"
    return [name + SEQUENCE_NOTE + (f"; {', '.join(head)}: its head" if head else "")]
