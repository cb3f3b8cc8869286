"""The GRU cell's candidate at op level, its two inputs named: n = tanh([W_ih x + b_ih]ₙ + r ⊙ [W_hh h + b_hh]ₙ).

Each of the cell's two linears is split into the rows that feed r, z and n. The n rows of the h side go to the
multiplication by r; those of the x side to the add after it. Drawn unlabelled, the two risers ran along one track
under the gates' adds, from the left one to the right one, and read as one line — yet that r multiplies only
[W_hh h + b_hh]ₙ is what a GRU cell's figure is there to show. Each riser is labelled with what it carries.

>>> import tinygrad_rnn as tr
>>> from tinygrad_rnn.viz.graph import build_picture
>>> picture = build_picture((tr.nn.GRU(2, 3)(tr.randn(1, 2))[0].sum(),), level="op")
>>> label_candidate_rows(picture, "W_in x₁ + b_in", "W_hn h₀ + b_hn")
>>> sorted(label for _, _, label in picture.edges if label)
['W_hn h₀ + b_hn', 'W_in x₁ + b_in']
"""

from __future__ import annotations

from .picture import Picture


def label_candidate_rows(picture: Picture, x_rows: str, h_rows: str) -> None:
    """Label, in every GRU cell of an op-level ``picture``, the edge of the h side's n rows into r ⊙ (·) with
    ``h_rows`` and the edge of the x side's n rows into the add after it with ``x_rows``: the cell's n is found by
    its tensor's name, n, the names a layer gives its gates; r likewise."""
    nodes, edges = picture.nodes, picture.edges
    into: dict[int, list[int]] = {}  # node → the positions of the edges into it
    for k, (_, head, _) in enumerate(edges):
        into.setdefault(head, []).append(k)

    def named(position: int, name: str) -> bool:
        node = nodes[position]
        return node.chain is not None and any(getattr(t, "name", None) == name for t in node.tensors)

    def reads_r(position: int) -> bool:
        return any(named(edges[k][0], "r") for k in into.get(position, []))

    for n in (i for i, node in enumerate(nodes) if node.kind == "op" and named(i, "n")):
        adds = [edges[k][0] for k in into.get(n, [])]  # n = tanh(add): its one input
        ins = into.get(adds[0], []) if len(adds) == 1 else []
        gated = [k for k in ins if reads_r(edges[k][0])]  # r ⊙ (the h side's n rows)
        if len(ins) != 2 or len(gated) != 1:
            continue
        (x_edge,) = [k for k in ins if k not in gated]
        h_edges = [k for k in into.get(edges[gated[0]][0], []) if not named(edges[k][0], "r")]
        if len(h_edges) != 1:
            continue
        for k, label in ((x_edge, x_rows), (h_edges[0], h_rows)):
            tail, head, _ = edges[k]
            edges[k] = (tail, head, label)
