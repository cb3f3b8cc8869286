"""The states a head reads joined into one vector: a bidirectional classifier's fc(cat([h_n[-2], h_n[-1]])).

At cell level ``cat`` moves values only, so it folds into the edges: the head gets one arrow per state, and
nothing said that it reads them as one vector, [h₄⁽→⁾; h₁⁽←⁾]. The order is the ``cat``'s, read off the graph:
each part followed back to the chain whose step computed it (through indexing a stack, as h_n[-2] indexes
the final states of every layer and direction).
"""

from __future__ import annotations

from ..engine import ops_in_order, vertex_of
from .picture import Picture

MOVES = ("reshape", "squeeze", "unsqueeze", "view", "contiguous", "clone")  # one input, its values moved only


def concatenations(roots) -> list[tuple]:
    """The chains (a recurrent layer's run: module, layer, direction) whose states each ``cat`` read by a
    ``linear`` op joins, in the ``cat``'s order; a ``cat`` with a part that is not one chain's state is left out.

    >>> import tinygrad_rnn as tr
    >>> rnn, fc = tr.nn.RNN(2, 3, bidirectional=True), tr.nn.Linear(6, 2)
    >>> _, h_n = rnn(tr.ones(4, 1, 2))
    >>> [[chain.direction for chain in joined] for joined in concatenations([fc(tr.cat([h_n[-1], h_n[-2]], -1))])]
    [['reverse', 'forward']]
    """
    _, ops = ops_in_order([vertex_of(root) for root in roots], freed=True)
    joins = []
    for op in ops:
        if op.name != "linear":
            continue
        joined = getattr(op.parents[0], "grad_fn", None)
        if joined is not None and joined.name == "cat" and len(joined.parents) > 1:
            chains = tuple(_chain_computing(part) for part in joined.parents)
            if None not in chains and len(set(chains)) == len(chains):
                joins.append(chains)
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
        stacked = getattr(function.parents[0], "grad_fn", None) if function.name == "index" else None
        if stacked is None or stacked.name != "stack" or stacked.dim != 0 or not isinstance(function.index, int):
            return None
        vertex = stacked.parents[function.index]


def write_concatenations(picture: Picture, joins: list[tuple]) -> None:
    """A head whose arrows bring states of several chains that a ``cat`` joined (``joins``, from
    :func:`concatenations`) says so under its name, in the ``cat``'s order: linear / [h₄⁽→⁾; h₁⁽←⁾] / W_hy, b_y."""
    if not joins or picture.backward:
        return
    into: dict[int, dict] = {}  # a node outside the steps → {the chain an arrow comes from: what it carries}
    for tail, head, label in picture.edges:
        source, reader = picture.nodes[tail], picture.nodes[head]
        if reader.step is None and source.chain is not None and label:
            into.setdefault(head, {})[source.chain] = label
    for head, carried in into.items():
        order = next((joined for joined in joins if set(joined) == set(carried)), None)
        if order is not None and len(order) > 1:
            first, newline, rest = picture.nodes[head].label.partition("\n")
            joined = "[" + "; ".join(carried[chain] for chain in order) + "]"
            picture.nodes[head].label = f"{first}\n{joined}" + (newline + rest if rest else "")
