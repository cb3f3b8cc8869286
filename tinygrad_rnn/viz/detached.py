"""Truncated BPTT drawn as it runs: one row of steps, the value carried across each ``detach()``, the gradient not.

A loop that cuts its carried state every k steps — ``h = h.detach()`` before a cell's call, or ``rnn(chunk,
h.detach())`` — runs one sequence: the chunk after a cut continues the chain of steps (``nn.chains``), so its
cells stand in the same row, numbered on (t = 3, 4 after t = 1, 2). What crosses the cut is a leaf of the graph,
a copy of the state the step before computed (``Tensor.detach``'s note of its source, a weak reference, no
edge). Drawn as a leaf it would read as a new h₀; it is drawn as what it is: a dashed arrow from the step that
computed the value to the step that reads it, named by that state as a solid arrow is, "h₂.detach(): value only,
no gradient" (:data:`.picture.DETACHED`, :func:`name_cuts`), dashed as a choice's argmax is — and the backward
figure draws no gradient arrow across it, only the dashed mark "gradient stops (detach)"
(:data:`.picture.GRADIENT_STOPS`, ``views.py``). One chunk drawn alone (its loss's ``backward()`` run chunk by
chunk) starts from a leaf cut from a step of its own chain not drawn: it is drawn as that state, "c₄, h₄ / previous
chunk", its arrow dashed and named the same, and the gradient stops at it.

>>> import tinygrad_rnn as tr
>>> from tinygrad_rnn.viz.graph import build_picture
>>> cell = tr.nn.RNNCell(2, 3)
>>> h, losses = tr.zeros(1, 3), []
>>> for t in range(4):
...     h = cell(tr.randn(1, 2), h.detach() if t == 2 else h)
...     losses.append(h.sum())
>>> picture = build_picture((tr.stack(losses).sum(),), level="cell", show_shapes=False)
>>> [(picture.nodes[a].step, picture.nodes[b].step, label) for a, b, label in picture.edges if "detach()" in label]
[(2, 3, 'h₂.detach(): value only, no gradient')]
"""

from __future__ import annotations

from ..engine import vertex_of
from ..nn.chains import vertex_that_made
from .initial_states import renamed
from .kept_steps import left_out
from .levels import group_key
from .picture import (
    CUTS,
    DETACHED,
    Node,
    Picture,
    carried_across_cut,
    in_time,
    is_named_cut,
    passes_no_gradient,
    relabel_edges,
    steps_in_time,
    subscript,
)
from .step_states import state_name

PREVIOUS_CHUNK = "previous chunk"  # a chunk's initial state, cut from the last state of the chunk before (not drawn)


def detached_sources(nodes: list[Node]) -> dict[int, int | None]:
    """{a leaf that is a detached copy of a value a step computed: the op node that computed it}, both positions in
    ``nodes`` (the walk's, before its ops are merged into cells), each such leaf named "detach()". Any other
    detached copy of a computed value maps to None: its source is not in this graph — one chunk drawn alone, after
    ``loss.backward()`` of the chunk before, if the chain it starts continues (:func:`draw_detached`), else the leaf
    it is."""
    copies = [position for position, node in enumerate(nodes) if node.kind == "input" and len(node.tensors) == 1
              and node.tensors[0].grad_fn is None and getattr(node.tensors[0], "_detached_from", None) is not None]
    if not copies:  # (most figures: no computed value detached)
        return {}
    made_by = {id(vertex_of(t)): position for position, node in enumerate(nodes) if node.kind == "op"
               for t in node.tensors}
    found: dict[int, int | None] = {}
    for position in copies:
        made = vertex_that_made(nodes[position].tensors[0])
        found[position] = made_by.get(id(made)) if made is not None else None
        if found[position] is not None:
            # (named apart from the inputs x_t a step reads, which a cell level places one under each cell)
            nodes[position].label = renamed(nodes[position].label, "detach()")
    return found


def draw_detached(nodes: list[Node], edges: list, found: dict[int, int], before: list[Node], level: str
                  ) -> tuple[list[Node], list]:
    """Each detached leaf's arrows (``found``: :func:`detached_sources`, positions in ``before``, the nodes before
    merging) drawn from the node of the step that computed its value, dashed, "detach(): value only, no gradient"
    (:data:`.picture.DETACHED`) — its cell at cell and step level, its op at op level — and the leaf left out."""
    at = {id(node): position for position, node in enumerate(nodes)}
    groups = {node.key: position for position, node in enumerate(nodes) if node.kind == "group"}
    source_of = {}
    by_reader: dict[tuple, list[int]] = {}  # a chunk's state from the chunk before: the steps that read it
    for leaf in sorted(at[id(before[leaf])] for leaf, op in found.items() if op is None and id(before[leaf]) in at):
        by_reader.setdefault(tuple(sorted({head for tail, head, _ in edges if tail == leaf})), []).append(leaf)
    by_reader = {heads: leaves for heads, leaves in by_reader.items()  # (a chain continued: its step after 1)
                 if heads and all((nodes[head].step or 0) > 1 for head in heads)}
    carried_in = {leaf for leaves in by_reader.values() for leaf in leaves}
    for heads, leaves in by_reader.items():  # one node of a cell's states (c₄, h₄), one dashed arrow, the value only
        before_step = min(nodes[head].step for head in heads) - 1
        names = sorted(f"{_letter(nodes[leaf].label)}_{before_step}" for leaf in leaves)
        nodes[leaves[0]].label = f"{', '.join(names)}\n{PREVIOUS_CHUNK}"
        source_of.update((leaf, leaves[0]) for leaf in leaves[1:])
    edges = [(tail, head, DETACHED if tail in carried_in else label) for tail, head, label in edges]
    for leaf, op in found.items():
        if op is None:
            continue
        made = before[op]
        drawn = at.get(id(made)) if level == "op" or made.step is None else groups.get(group_key(made, level))
        if id(before[leaf]) in at and drawn is not None:
            source_of[at[id(before[leaf])]] = drawn
            state = _state_cut(before, leaf, op)  # what it hands on, named at both ends (a "…" may stand for either)
            nodes[drawn].cut_from = _with(nodes[drawn].cut_from, state)
            for head in {head for tail, head, _ in edges if tail == at[id(before[leaf])]}:
                nodes[head].cut_into = _with(nodes[head].cut_into, state)
    if not source_of:
        return nodes, edges
    moved = [(source_of.get(tail, tail), head, DETACHED if tail in source_of else label)
             for tail, head, label in edges]
    moved = list(dict.fromkeys(edge for edge in moved if edge[0] != edge[1]))
    kept = [position for position in range(len(nodes)) if position not in source_of]
    index = {old: new for new, old in enumerate(kept)}
    return [nodes[p] for p in kept], [(index[tail], index[head], label) for tail, head, label in moved]


def _state_cut(before: list[Node], leaf: int, op: int) -> str:
    """The state a detached leaf is a copy of, at the step that computed it (h₂): h or c, as the op that computed
    it names its output (or a name the user gave it), else h."""
    made = vertex_that_made(before[leaf].tensors[0])
    return subscript(state_name(before[op], getattr(made, "output_index", 0)) or "h", before[op].step)


def _with(names: str, name: str) -> str:
    """"c₂", "h₂" → "c₂, h₂": the states one cut hands on, in order, each once."""
    return ", ".join(sorted({*filter(None, names.split(", ")), name}))


def name_cuts(picture: Picture) -> None:
    """A forward figure's dashed arrows across a ``detach()`` between two drawn steps named as the solid ones are, by
    the state each hands on — "h₂.detach(): value only, no gradient" (:func:`.picture.carried_across_cut`): its
    value passes, its gradient does not. Unnamed, a student read the dashed arrow as nothing passing, or as a
    fresh h₀. A chunk's state from the chunk before is named on its own node ("h₃ / previous chunk") already."""
    def named(tail: int, head: int) -> str:  # (into a "…": by the step before it; out of one: by the step after)
        return picture.nodes[head].cut_into or picture.nodes[tail].cut_from

    relabel_edges(picture, [(tail, head, carried_across_cut(named(tail, head)) if label == DETACHED
                             and named(tail, head) and picture.nodes[tail].kind != "input" else label)
                            for tail, head, label in picture.edges])


def carried_in(nodes: list[Node], edges: list[tuple[int, int, str]]) -> set[int]:
    """A chunk's states from the chunk before (:func:`draw_detached`): the inputs out of which a detach() carries a
    value, and no gradient. A BPTT figure keeps them, drawn where the gradient stops (``views.py``)."""
    return {tail for tail, _, label in edges if label == DETACHED and nodes[tail].kind == "input"}


def named_in_gap(label: str, nodes: list[Node], tail: int, head: int) -> bool:
    """Whether a straight arrow between a step and a node beside it is given room for its name in the gap between
    them (``coordinates.py``): any but a choice's (it drops in a gap); a cut's only where it joins a chunk's state
    from the chunk before (its words ran over that node, and "gradient stops" under the arrow into the cell)."""
    cut = label in CUTS
    return not passes_no_gradient(label) or cut and "input" in (nodes[tail].kind, nodes[head].kind)


def _letter(label: str) -> str:
    """The state a leaf's name says it is: "h" of "h_0" (or "c", or a state the user named g); else "h"."""
    name = label.split("\n")[0]
    return name[:-len("_0")] if name.endswith("_0") else "h"


def cuts_in_time(nodes: list[Node], edges: list[tuple[int, int, str]]) -> list[int]:
    """Where a picture's ``detach()`` cuts lie: for each, the index of the step before it in the list of steps in
    time, drawn or left out (what a slide's fit keeps steps of: :func:`.kept_steps.steps_within_chains`), sorted."""
    hidden = {step for node in nodes if node.kind == "ellipsis" for step in left_out(node)}  # (a "…": in time)
    steps = {when: index for index, when in enumerate(sorted(set(steps_in_time(nodes, edges, True)) | hidden))}
    at = in_time(nodes, edges)
    return sorted({min(steps[at[tail]], steps[at[head]]) for tail, head, label in edges
                   if (label in CUTS or is_named_cut(label))  # (a cut named by its state: h₂.detach())
                   and at[tail] in steps and at[head] in steps})


def around_cuts(kept: tuple[int, ...], count: int, cuts: list[int], beside: bool = True) -> tuple[int, ...] | None:
    """The steps a slide's fit keeps of ``count`` (indexes in time), its "…" moved where it would hide a cut —
    both steps beside a ``detach()`` left out, the one thing a truncated-BPTT figure is about — or, unless
    ``beside`` (a figure of the gradient, whose mark "gradient stops" stands beside a "…"), leave out either: a
    forward figure's "detach(): value only, no gradient" is drawn between two cells. As many steps kept, the first
    and the last among them: one "…" clear of every cut where it can be, else (``beside``) with a cut beside it,
    nearest where it was; else the steps beside each cut kept, a "…" on either side. None where the cuts need more
    steps than that (or several "…" of an encoder's and its decoder's steps would hide one): that rung is not taken.

    >>> around_cuts((0, 1, 4, 5), 6, [2]), around_cuts((0, 1, 2, 4, 5), 6, [2]), around_cuts((0, 1, 4, 5), 6, [1, 3])
    ((0, 1, 2, 5), (0, 1, 2, 4, 5), (0, 1, 4, 5))
    >>> around_cuts((0, 1, 2, 4, 5), 6, [2], beside=False), around_cuts((0, 1, 4, 5), 6, [2], beside=False)
    ((0, 1, 2, 3, 5), (0, 2, 3, 5))
    >>> around_cuts((0, 1, 2, 10, 11), 12, [5]), around_cuts((0, 11), 12, [5])
    ((0, 1, 5, 6, 11), None)
    """
    dropped = [step for step in range(count) if step not in kept]

    def hides(start: int, length: int) -> bool:  # a cut inside a run of steps left out (or beside it)
        return any(start <= cut + (not beside) and cut + beside <= start + length - 1 for cut in cuts)

    if not any((cut in dropped) + (cut + 1 in dropped) > beside for cut in cuts):
        return kept
    if dropped != list(range(dropped[0], dropped[-1] + 1)):
        return None
    length = len(dropped)
    starts = [(any(start <= cut + 1 and cut <= start + length - 1 for cut in cuts), abs(start - dropped[0]), -start)
              for start in range(1, count - length) if not hides(start, length)]
    if starts:
        start = -min(starts)[2]  # (of two as near, the later: more steps before the "…", as the lectures draw)
        return tuple(step for step in range(count) if not start <= step < start + length)
    needed = sorted({0, count - 1} | {step for cut in cuts for step in (cut, cut + 1)})
    if len(needed) > len(kept):
        return None
    spare = [step for pair in zip(range(1, count), range(count - 2, 0, -1)) for step in pair if step not in needed]
    return tuple(sorted(set(needed) | set(list(dict.fromkeys(spare))[:len(kept) - len(needed)])))
