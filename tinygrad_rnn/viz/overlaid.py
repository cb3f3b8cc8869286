"""Forward and backward on one set of nodes, as a lecture slide draws BPTT.

:func:`overlaid_picture` draws the forward figure and, on its own nodes, the backward of every call:
beside each forward arrow an arrow pointing back, in the gradient's colour, labelled with what it
carries (∂J/∂h₂ between two cells, (∂h₃/∂h₂)ᵀ ∂J/∂h₃, ∂J/∂J₁ = 1/3 from J into each loss); each
row's shared weights meet in one Σ, fed from every step's cell (t=1, t=2, …). The labels, the Σ nodes
and the notes are the BPTT figure's (:func:`~.views.bptt_picture`): only where they are drawn differs.
A cell whose gradient is 0 (J does not read it) gets no arrow back, and a note says so.

The other arrangement, the backward rows under the forward ones (:func:`~.views.forward_and_backward_picture`),
nearly doubles a figure's height: a slide overlays them instead, free size keeps the rows.

``sums_only``: of the gradient's arrows, only those into the Σ nodes — the forward figure with each row's Σ of
the weights it shares and one arrow from every step into it, as the lecture page's sums stage draws it.
"""

from __future__ import annotations

from .levels import unique
from .picture import Node, Picture
from .views import bptt_picture


def overlaid_picture(forward: Picture, gradient: Picture | None = None, sums_only: bool = False) -> Picture:
    """Forward and BPTT on the forward figure's nodes (a slide): every edge of the BPTT figure of ``gradient``
    (``forward`` without the edges that carry no gradient, :func:`~.levels.merge_groups`; else ``forward``)
    drawn between the forward nodes it stands for, its Σ nodes added; ``Picture.gradients`` names those edges.
    ``sums_only``: only the edges into the Σ nodes (each step's term), and of the BPTT figure's notes only the Σ's.

    >>> import tinygrad_rnn as tr
    >>> from tinygrad_rnn.viz.graph import build_picture
    >>> loss = tr.nn.RNN(2, 3)(tr.randn(3, 1, 2))[0][-1].sum()
    >>> picture = build_picture((loss,), level="cell", backward="both", slide=True)
    >>> sorted(label for _, _, label in picture.gradients)  # ∂J/∂h₃ out of J; t=1: cell 1's term of ∂J/∂W_hh
    ['t=1', 't=2', 't=3', '∂J/∂h₁', '∂J/∂h₂', '∂J/∂h₃']
    >>> sum(node.kind == "group" for node in picture.nodes)  # the forward's three cells, no node of their own
    3
    >>> sums = build_picture((loss,), level="cell", slide=True, weight_sums=True)
    >>> sorted(label for _, _, label in sums.gradients), sums.nodes[-1].label.split("\\n")[-1]
    (['t=1', 't=2', 't=3'], 'Σₜ ∂J/∂b_hh|₍ₜ₎')
    """
    backward = bptt_picture(gradient or forward, slide=True, with_forward="overlaid")
    position = {node.key: i for i, node in enumerate(forward.nodes)}
    nodes = list(forward.nodes)
    index: dict[int, int] = {}
    for i, node in enumerate(backward.nodes):
        stands_for = node.key[1] if isinstance(node.key, tuple) and node.key[:1] == ("backward",) else None
        if stands_for in position:  # a call's backward: drawn on the call itself
            index[i] = position[stands_for]
            continue
        index[i] = len(nodes)  # a Σ of a shared weight's terms (∂J/∂W_hh)
        nodes.append(Node(node.key, node.kind, node.label, node.scope, step=node.step, row=node.row,
                          chain=node.chain, gradient_norm=node.gradient_norm, after=node.after))
    gradients = [(index[a], index[b], label) for a, b, label in backward.edges
                 if not sums_only or index[b] >= len(forward.nodes)]  # (a Σ's terms: into the nodes added)
    edges = unique(list(forward.edges) + gradients)
    notes = [note for note in backward.notes if not sums_only or note.startswith("Σ:")]
    return Picture(nodes, edges, forward.rankdir, forward.title, forward.legend, backward=False,
                   notes=[*forward.notes, *notes], gradients=set(gradients))
