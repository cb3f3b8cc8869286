"""The states a head reads joined into one vector: a bidirectional classifier's fc(cat([h_n[-2], h_n[-1]])), and a
bidirectional tagger's head over the layer's output, whose step t is [h_t⁽→⁾; h_t⁽←⁾].

At cell level ``cat`` moves values only, so it folds into the edges: the head gets one arrow per state, and
nothing said that it reads them as one vector, [h₄⁽→⁾; h₁⁽←⁾] — nor that its weight is |tags| × 2H. The order is
the ``cat``'s, read off the graph: each part followed back to the chain whose step computed it (through indexing
a stack, as h_n[-2] indexes the final states of every layer and direction; a stack of one chain's states, as a
bidirectional layer's output joins its two directions' outputs).
"""

from __future__ import annotations

from ..engine import ops_in_order, vertex_of
from .chains import chain_of, marks_of
from .notation import Notation
from .picture import Picture

MOVES = ("reshape", "squeeze", "unsqueeze", "view", "contiguous", "clone")  # one input, its values moved only
SEQUENCE_MOVES = (*MOVES, "permute", "transpose")  # a layer's output made batch first: each step's vector the same


def concatenations(roots) -> list[tuple[tuple, tuple]]:
    """(the chains — a recurrent layer's run: module, layer, direction — whose states a ``cat`` read by a ``linear``
    op joins, in the ``cat``'s order; that linear's weight's shape), for each such linear; a ``cat`` with a part
    that is not one chain's state is left out.

    >>> import tinygrad_rnn as tr
    >>> rnn, fc = tr.nn.RNN(2, 3, bidirectional=True), tr.nn.Linear(6, 2)
    >>> output, h_n = rnn(tr.ones(4, 1, 2))
    >>> joins = concatenations([fc(tr.cat([h_n[-1], h_n[-2]], -1))])
    >>> [([chain.direction for chain in joined], shape) for joined, shape in joins]
    [(['reverse', 'forward'], (2, 6))]
    >>> [[chain.direction for chain in joined] for joined, _ in concatenations([fc(output)])]  # the output: [→; ←]
    [['forward', 'reverse']]
    """
    _, ops = ops_in_order([vertex_of(root) for root in roots], freed=True)
    joins = []
    for op in ops:
        if op.name != "linear":
            continue
        joined = getattr(op.parents[0], "grad_fn", None)
        while joined is not None and joined.name in SEQUENCE_MOVES and len(joined.parents) == 1:
            joined = getattr(joined.parents[0], "grad_fn", None)  # (the output of all steps, made batch first)
        if joined is not None and joined.name == "cat" and len(joined.parents) > 1:
            chains = tuple(_chain_computing(part) for part in joined.parents)
            if None not in chains and len(set(chains)) == len(chains):
                joins.append((chains, tuple(op.parents[1].shape)))
    return joins


def _chain_computing(vertex):
    """The chain whose step computed ``vertex``, followed back through moves and through an integer index into a
    stack (h_n[-2]); None where it is not one chain's state."""
    while True:
        function = getattr(vertex, "grad_fn", None)
        if function is None:
            return None
        record = function.step
        if record is not None and hasattr(record, "chain"):
            return record.chain
        if function.name in MOVES and len(function.parents) == 1:
            vertex = function.parents[0]
            continue
        if function.name == "stack":  # a layer's output: one chain's states, a step each
            found = {getattr(getattr(getattr(part, "grad_fn", None), "step", None), "chain", None)
                     for part in function.parents}
            return found.pop() if len(found) == 1 else None
        stacked = getattr(function.parents[0], "grad_fn", None) if function.name == "index" else None
        if stacked is None or stacked.name != "stack" or stacked.dim != 0 or not isinstance(function.index, int):
            return None
        vertex = stacked.parents[function.index]


def write_concatenations(picture: Picture, joins: list[tuple[tuple, tuple]], notation: Notation) -> None:
    """A head whose arrows bring states of several chains that a ``cat`` joined (``joins``, from
    :func:`concatenations`) says so, in the ``cat``'s order: a head after the steps under its name (linear /
    [h₄⁽→⁾; h₁⁽←⁾] / W_hy, b_y); a head at every step in one line under the figure, in the notation's symbols —
    "linear reads [hₜ⁽→⁾; hₜ⁽←⁾] at every step, one vector of 8: W_hy is 5 × 8" — as the two arrows into each of
    its nodes said neither that they are one vector nor why its weight is twice as wide as a state."""
    if not joins or picture.backward:
        return
    into: dict[int, dict] = {}  # a head → {the chain an arrow comes from: what it carries}
    for tail, head, label in picture.edges:
        source, reader = picture.nodes[tail], picture.nodes[head]
        if source.chain is not None and label and reader.chain is None and reader.kind not in ("output", "ellipsis"):
            into.setdefault(head, {})[source.chain] = label
    marks = marks_of(picture.nodes, notation.module_letters)
    mark_of = {chain: marks.get(chain_of(node), "") for node in picture.nodes if (chain := node.chain) is not None}
    said = []
    for head, carried in into.items():
        order, shape = next(((joined, shape) for joined, shape in joins if set(joined) == set(carried)), ((), ()))
        node = picture.nodes[head]
        if len(order) < 2:
            continue
        first, newline, rest = node.label.partition("\n")
        if node.step is None:
            joined = "[" + "; ".join(carried[chain] for chain in order) + "]"
            node.label = f"{first}\n{joined}" + (newline + rest if rest else "")
            continue
        parts = "; ".join(notation.at_step("h", "t", mark_of.get(chain, "")) for chain in order)
        weight = node.parameters[0] if node.parameters else "its weight"
        line = f"{first.split(' = ')[-1]} reads [{parts}] at every step, one vector of {shape[1]}: {weight} is " \
               f"{shape[0]} × {shape[1]}"
        said += [line] if line not in said else []
    picture.notes += said
