"""The encoder's states into each decoder step's attention, drawn as the lectures draw it: gathered on one bus.

Every attention node (one per decoder step, see :mod:`.attention`) reads every encoder state hᵢ. Drawn straight,
S states into T nodes made S·T slanting lines that crowded the gap over the encoder and wrote each hᵢ once per
line. Here each state rises from its cell's top; one lane per attention node runs over the cells, nearest the cells
for the node furthest away, and turns up into that node's bottom: the states gathered, one line per attention node,
each hᵢ named once, beside its rise. Used by :meth:`tinygrad_rnn.viz.routes.Routes.route`, forward only: the BPTT
figure's gradients (∂c_t/∂hᵢ)ᵀ ∂J/∂c_t differ per line, and their names need lines of their own.
"""

from __future__ import annotations

from .geometry import Box, Route, finish
from .picture import Node

ATTENTION = "attention"


def is_attention(node: Node) -> bool:
    """Whether ``node`` is a decoder step's attention drawn as one node (levels "cell" and "step").

    >>> is_attention(Node(0, "group", "attention\\ne₁ = scores", ()))
    True
    """
    return node.kind == "group" and node.label.split("\n")[0] == ATTENTION


def encoder_state_bus(nodes: list[Node], boxes: list[Box], tail: int, head: int, label: str,
                      backward: bool) -> Route | None:
    """The route of an encoder state (a cell of another chain, below) into an attention node along its bus, or None
    where the edge is not one (the decoder's own s_{t−1}, a gradient, a node beside the rows)."""
    if backward or not is_attention(nodes[head]) or nodes[tail].kind != "group" or nodes[tail].chain is None \
            or nodes[tail].after == nodes[head].after:
        return None
    a, b = boxes[tail], boxes[head]
    if a.top >= b.bottom or a.right >= b.left:  # (the bus runs over the cells, to the right, up into the node;
        return None  # y grows upwards, as in Graphviz)
    attention = sorted((i for i, node in enumerate(nodes) if is_attention(node)), key=lambda i: boxes[i].x)
    lane = attention[::-1].index(head) + 1  # the node furthest right on the lane nearest the cells
    cells = max(boxes[i].top for i, node in enumerate(nodes) if node.kind == "group" and node.chain is not None
                and boxes[i].right < b.left and boxes[i].top < b.bottom)
    nodes_over = min(boxes[i].bottom for i in attention)
    y = cells + (nodes_over - cells) * lane / (len(attention) + 1)
    entry = b.left + b.width / 4  # into the node's bottom on the encoder's side, clear of c_t leaving it
    start = (a.x, a.top)
    # the state's name beside its rise, just over the cell: one spot for all its lines, so it is written once
    return finish([start, (a.x, y), (entry, y)], (entry, b.bottom), label, (a.x + 3 + 3 * len(label), a.top + 5))
