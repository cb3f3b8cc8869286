"""A loop written by hand under ``tr.scope(f"t={t}")`` that carries two recurrences at once: the scope
says which step an op is in, not which recurrence. Two states named by the user (h and g), each
computed in every step from ops that compute nothing for the other, are two chains, as two layers
are: :func:`split_recurrences` draws each in a row of its own, so that neither is drawn as a second,
unnamed arrow inside the other's cells. (Not an LSTM's h and c: h is computed from c, so they share
ops, and one cell computes both.)

>>> import tinygrad_rnn as tr
>>> from tinygrad_rnn.viz.graph import build_picture
>>> W = tr.randn(2, 2, requires_grad=True)
>>> h, g = tr.ones(1, 2), tr.ones(1, 2)
>>> for t in range(2):
...     with tr.scope(f"t={t + 1}"):
...         h, g = (h @ W).tanh(), (g @ W).sigmoid()
...         h.name, g.name = "h", "g"
>>> picture = build_picture(((h * g).sum(),), level="cell", show_shapes=False)
>>> sorted((node.row, node.step) for node in picture.nodes if node.kind == "group")
[(('', 'g'), 1), (('', 'g'), 2), (('', 'h'), 1), (('', 'h'), 2)]
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple

from ..steps import loop_name, step_of
from .picture import Node, loop_row, step_position


def loops_numbered_from_0(roots: Iterable) -> dict[tuple[str, ...], tuple[str, int]]:
    """The loops written by hand whose scopes number the steps from 0 (``for t in range(T): with tr.scope(f"t={t}")``),
    by their row (:func:`.picture.loop_row`): each loop's name ("enc" of "enc t=0", "" of "t=0") and its last scope's
    step, T − 1. A figure draws such a loop's steps t = 1…T, as the lecture numbers them after h₀ (its first state
    h₁, its first input x₁: the cells a layer or a cell call records are numbered so), and a key line says so
    (:func:`renumbered_note`). A walk of the recorded graph, no recursion; a layer's own steps are not a loop's.

    >>> import tinygrad_rnn as tr
    >>> W, h = tr.ones(2, 2, requires_grad=True), tr.zeros(1, 2)
    >>> for t in range(3):
    ...     with tr.scope(f"enc t={t}"):
    ...         h = (h @ W).tanh()
    >>> loops_numbered_from_0([h.sum()])
    {('enc',): ('enc', 2)}
    """
    stack = [root.grad_fn for root in roots if root.grad_fn is not None]
    seen, steps, names = {id(function) for function in stack}, {}, {}
    while stack:
        function = stack.pop()
        step = step_of(function.scope) if function.step is None else None
        if step is not None:
            row = loop_row(function.scope)
            steps.setdefault(row, set()).add(step)
            names[row] = loop_name(function.scope[step_position(function.scope)])
        for x in function.parents:
            parent = getattr(x, "grad_fn", None)
            if parent is not None and id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return {row: (names[row], max(found)) for row, found in steps.items() if min(found) == 0}


def renumbered_note(from_0: dict[tuple[str, ...], tuple[str, int]]) -> list[str]:
    """The key line of each loop numbered from 0: its scopes t=0…T−1 are drawn as t=1…T, so that the figure does
    not contradict the code it was drawn from.

    >>> renumbered_note({(): ("", 2)})
    ['The scopes t=0…2 are drawn as t=1…3: steps numbered from 1, after h₀']
    """
    return [f"The scopes {name + ' ' if name else ''}t=0…{last} are drawn as t=1…{last + 1}: steps numbered from 1, "
            "after h₀" for name, last in dict.fromkeys(from_0.values())]


def drawn_step(scope: tuple[str, ...], from_0: Mapping) -> int | None:
    """The step an op of a loop written by hand is drawn at: its scope's "t=k", k + 1 in a loop numbered from 0.

    >>> drawn_step(("t=0",), {(): ("", 2)}), drawn_step(("t=1",), {})
    (1, 1)
    """
    step = step_of(scope)
    return step + 1 if step is not None and loop_row(scope) in from_0 else step


class LinkMaps(NamedTuple):
    """Which node feeds which in the recorded graph, from graph.py's links (tail, head, output, input
    position): built once (:func:`link_maps`) and handed to each pass that reads the graph before its ops
    are grouped into cells (:func:`split_recurrences`, :func:`.running_sums.take_out_of_steps`); or from a
    picture's edges (tail, head, label), as the op level's sum of the J_t reads them."""

    inputs: dict[int, list[int]]  # node → the nodes it reads, in the order of the links
    readers: dict[int, set[int]]  # node → the nodes that read it


def link_maps(links) -> LinkMaps:
    """The links as the two maps: node 2 reads nodes 0 and 1 (its inputs 0 and 1, output 0 of each).

    >>> link_maps([(0, 2, 0, 0), (1, 2, 0, 1)])
    LinkMaps(inputs={2: [0, 1]}, readers={0: {2}, 1: {2}})
    """
    maps = LinkMaps({}, {})
    for tail, head, *_ in links:  # (a picture's edges, tail, head and label, read the same)
        maps.inputs.setdefault(head, []).append(tail)
        maps.readers.setdefault(tail, set()).add(head)
    return maps


def hand_steps(nodes: list[Node]) -> dict[tuple, list[int]]:
    """(row, step) → the ops of one step of a loop written by hand (in no recurrent layer's chain), in the order
    they were recorded."""
    steps: dict[tuple, list[int]] = {}
    for position, node in enumerate(nodes):
        if node.kind == "op" and node.step is not None and node.chain is None:
            steps.setdefault((node.row, node.step), []).append(position)
    return {key: sorted(ops, key=lambda p: nodes[p].key.sequence_nr) for key, ops in steps.items()}


def split_recurrences(nodes: list[Node], maps: LinkMaps) -> dict[str, set[int]]:
    """Give each of a hand-written step's independent recurrences a row of its own (``node.row``): in every step
    where two or more states are carried to the next step and the ops computing each share none with the others'.
    A state the user named (h, g) names its row; an unnamed one (two loops under one ``tr.scope(f"t={t}")``, or two
    RNNs written out in one), or one of two the user named alike, is the recurrence that the state it reads from the
    step before belongs to, numbered in the order recorded where it reads none ("recurrence 1", "recurrence 2"), so
    that two chains are never drawn as one. ``maps``: the recorded graph's (:func:`link_maps`). Returns each named
    state's ops at the first step it was split in: what its initial state (h_0, g_0) is read by
    (:func:`.initial_states.name_initial_states`)."""
    inputs, readers = maps
    steps = hand_steps(nodes)

    def name_of(position: int) -> str | None:
        return next((t.name for t in nodes[position].tensors if getattr(t, "name", None)), None)

    def read_next(position: int) -> bool:  # a state: read by the next step of its row
        return any(nodes[r].step == nodes[position].step + 1 and nodes[r].row == nodes[position].row
                   for r in readers.get(position, ()))

    carried = {name_of(p) for members in steps.values() for p in members if read_next(p)} - {None}
    first: dict[str, set[int]] = {}  # each named state's ops at the first step it is split in
    belongs: dict[int, str] = {}  # each state split off → the row it was given (its name, or its number)
    unnamed_places: dict[tuple, list[int]] = {}  # row → where its unnamed states stand in a step's ops, in order
    numbered = 0
    for (row, step), in_order in sorted(steps.items(), key=lambda item: item[0][1]):
        states: dict[str, int] = {}  # a state's name (or its place among the step's ops) → the op computing it
        named = Counter(name_of(p) for p in in_order if name_of(p) in carried)
        for position in in_order:
            if named[name_of(position)] == 1:
                states[name_of(position)] = position
        # unnamed, or a name two states share (two loops that each call theirs h): told apart by what they read
        unnamed = [p for p in in_order if read_next(p) and (name_of(p) is None or named[name_of(p)] > 1)]
        if not unnamed and (row, step + 1) not in steps:  # the last step: where the step before had its states
            places = unnamed_places.get(row, [])
            before = steps.get((row, step - 1), [])
            if places and [nodes[p].key.name for p in in_order] == [nodes[p].key.name for p in before]:
                unnamed = [in_order[k] for k in places]
        unnamed_places[row] = [in_order.index(p) for p in unnamed]
        for k, position in enumerate(unnamed):
            states[f" {k}"] = position  # (no name a user gives: a place)
        if len(states) < 2:
            continue
        inside = set(in_order)
        cones = {key: set(cone(position, inputs, inside.__contains__)) for key, position in states.items()}
        # a value carried on that is computed from the others — a running sum of the losses, an LSTM's h from c — is
        # no recurrence of its own
        cones = {key: ops for key, ops in cones.items() if not any(states[other] in ops for other in states
                                                                      if other != key)}
        if len(cones) < 2 or sum(len(ops) for ops in cones.values()) != len(set().union(*cones.values())):
            continue  # (ops shared: one cell computes them all, as an LSTM's h and c)
        for key, ops in cones.items():
            if not key.startswith(" "):
                name = key
            else:  # the recurrence of the state it reads from the step before, or a new one
                before = {belongs[t] for p in ops for t in inputs.get(p, ()) if t in belongs}
                if len(before) != 1:
                    numbered += 1
                name = before.pop() if len(before) == 1 else f"recurrence {numbered}"
            belongs[states[key]] = name
            for position in ops:  # a row of its own, named by its state (drawn "h →"), its cells "cell" as before
                nodes[position].row = ("", *row, name)
            if not key.startswith(" "):
                first.setdefault(name, ops)  # (steps in the order they were recorded: step 1 first)
    return first


def cone(position: int | Iterable[int], inputs: Mapping[int, Iterable[int]], taken: Callable[[int], bool],
         passed: Callable[[int], bool] | None = None) -> list[int]:
    """``position`` (one node, or several) and the nodes it is computed from that ``taken`` accepts, nearest first
    (a breadth-first walk, no recursion), walking on past a node only where ``passed`` accepts it (by default,
    every node taken): the ops of one step a state is computed from (:func:`split_recurrences`), or the ops outside
    the steps a loss J_t is computed from down to the first op of a step on each path (:mod:`.running_sums`). Walked
    the other way, ``inputs`` a readers map: what reads a node (:func:`chains_reading`, the ops computed from a
    recurrence's states: :func:`.parameter_roles.parameter_roles`).

    >>> inputs = {3: [2, 0], 2: [1], 1: [0]}  # node 3 reads 2 and 0; 2 reads 1; 1 reads 0
    >>> cone(3, inputs, lambda p: True), cone(3, inputs, lambda p: p != 0), cone(3, inputs, bool, lambda p: p != 2)
    ([3, 2, 0, 1], [3, 2, 1], [3, 2])
    >>> cone([2, 1], inputs, lambda p: True)
    [2, 1, 0]
    """
    found = dict.fromkeys([position] if isinstance(position, int) else position)  # (ordered, nearest first; a set)
    queue = deque(found)
    while queue:
        for tail in inputs.get(queue.popleft(), ()):
            if tail not in found and taken(tail):
                found[tail] = None
                if passed is None or passed(tail):
                    queue.append(tail)
    return list(found)


def steps_holding_calls(nodes: list[Node], level: str) -> None:
    """A "t=k" scope the user wrote around a step that calls a cell (``nn.LSTMCell``) is the time step, not the
    cell: the cell records its own ops as step k of its chain (``nn.chains.at_cell_step``), and at cell and step
    level the rest of the scope — the embedding, the head, the loss — is drawn as a loop without scopes draws
    it, each call its own node in the step's column (e_t below the cell, ŷ_t and J_t above it), not folded into
    one box with the cell's weights. At op level every op stays in its scope's box, t=k, the cell's with them.

    >>> import tinygrad_rnn as tr
    >>> from tinygrad_rnn.viz.graph import build_picture
    >>> emb, cell, head = tr.nn.Embedding(5, 2), tr.nn.RNNCell(2, 3), tr.nn.Linear(3, 5)
    >>> h, losses = tr.zeros(1, 3), []
    >>> for t in range(2):
    ...     with tr.scope(f"t={t + 1}"):
    ...         h = cell(emb(tr.tensor([t])), h)
    ...         losses.append(tr.nn.functional.cross_entropy(head(h), tr.tensor([t + 1])))
    >>> picture = build_picture((tr.stack(losses).mean(),), level="cell", show_shapes=False)
    >>> sorted(node.label.replace("\\n", " ") for node in picture.nodes if node.step == 1)
    ['J₁ = cross_entropy', 'RNN cell t=1', 'e₁ = embedding', 'linear t=1', 'x₁']
    """
    def written(node: Node) -> tuple[str, ...]:  # the user's scope, down to its "t=k"
        return node.scope[: step_position(node.scope) + 1]

    drawn_at = {written(node): node.step for node in nodes if node.kind == "op" and node.step is not None and
                node.chain is None}  # the user's step → the step it is drawn at (t=0 as t=1 in a loop from 0)
    steps_written = set(drawn_at)
    inside: dict[int, tuple[str, ...]] = {}  # a cell's op → the user's step it was called in
    for position, node in enumerate(nodes):
        for i in range(len(node.scope) - 1) if node.kind == "op" and node.chain is not None else ():
            if node.scope[: i + 1] in steps_written:
                inside[position] = node.scope[: i + 1]
    holding = set(inside.values())
    for position, node in enumerate(nodes):
        if level == "op" and position in inside:  # drawn in the user's box t=k, as the step's other ops
            node.chain, node.row, node.step = None, loop_row(inside[position]), drawn_at[inside[position]]
        elif level != "op" and node.kind == "op" and node.chain is None and node.step is not None and \
                written(node) in holding:
            node.step, node.row = None, ()


def chains_reading(nodes: list[Node], readers: dict[int, set[int]] | dict[int, list[int]], start: int) -> set:
    """The chains whose steps read what ``start`` computes (an embedding table, its lookup): walked forward
    through the ops between (a walk, no recursion), stopping at each chain's first op on every path.

    >>> from tinygrad_rnn.steps import Chain
    >>> chain = Chain("RNN", 0, "forward")
    >>> nodes = [Node(0, "op", "embedding"), Node(1, "op", "index"), Node(2, "op", "tanh", chain=chain)]
    >>> chains_reading(nodes, {0: {1}, 1: {2}}, 0) == {chain}
    True
    """
    reached = cone(start, readers, lambda p: True, lambda p: nodes[p].chain is None)
    return {nodes[p].chain for p in reached[1:]} - {None}


def place_model_ops(nodes: list[Node], maps: LinkMaps, losses: Mapping[int, list[int]]) -> None:
    """At op level, a loop of cell calls written without scopes (``h = cell(emb(x[t]), h)``) records only its
    cells' steps: the model's own ops around them — each step's embedding, head and loss — go in the step they
    feed or read, as the cell level draws them and as ``tr.scope(f"t={t}")`` around each step would. An op called
    once per step on the same weights (the embedding) that only that step's ops read belongs to that step; each
    per-step loss J_t, and the ops it is computed from outside the steps (its head: ``losses``, from
    :func:`.running_sums.take_out_of_steps`), to the one step it reads. A loss read off several steps (a head on
    the stack of every step's output, a padded tagger's ``logits[1, :2]``) is no step's: it and its head are drawn
    after the steps, as the cell level draws them. ``maps``: what feeds what."""
    inputs, readers = maps

    def role(position: int) -> tuple:  # the op, and the weights it reads
        return getattr(nodes[position].key, "name", ""), frozenset(
            tail for tail in inputs.get(position, []) if nodes[tail].kind == "parameter")

    loose = [p for p, node in enumerate(nodes) if node.kind == "op" and node.step is None and node.chain is None]
    fed: dict[int, int] = {}  # an op outside the steps → the one step whose ops alone read it
    row_of: dict[int, tuple] = {}  # … and the row of its step, where one chain's ops read it
    for position in loose:
        steps = {nodes[reader].step for reader in readers.get(position, ())}
        if len(steps) == 1 and None not in steps:
            fed[position] = steps.pop()
            rows = {nodes[reader].row for reader in readers.get(position, ())}
            row_of[position] = rows.pop() if len(rows) == 1 else ()
    by_role: dict[tuple, list[int]] = {}
    for position in fed:
        by_role.setdefault(role(position), []).append(position)
    for same in by_role.values():  # one a step, each in a step of its own
        if len(same) > 1 and len({fed[p] for p in same}) == len(same):
            for position in same:  # in its step's box, as a scope around the step draws it
                nodes[position].step, nodes[position].row = fed[position], row_of[position]
    for loss, computed_from in losses.items():
        read = [p for p in computed_from if nodes[p].step is not None]
        if len({nodes[p].step for p in read}) != 1:
            continue  # (read off several steps, through the stack of all of them: no step's, drawn after the steps)
        latest = read[0]  # (every one read is of that one step)
        for position in [loss, *computed_from]:
            if nodes[position].step is None and nodes[position].kind == "op" and nodes[position].chain is None:
                nodes[position].step, nodes[position].row = nodes[latest].step, nodes[latest].row
