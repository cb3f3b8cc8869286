"""What a tensor the user named nothing is drawn as, by its role — never "input": the state a recurrence starts
from, h₀ (c₀); each step's input, x_t (:func:`name_step_inputs`); a decoder's words, y₀ = [BEGIN], y₁, …
(:func:`name_decoder_words`); a dropout mask, and the op that multiplies by it (:func:`name_dropout`).

A recurrence starts from zeros it makes itself (named h_0 by the layer or cell that made them), or from a
tensor the user handed it: ``tr.zeros(1, H)`` given to a cell's first call, ``(h_0, c_0)`` given to an
``nn.LSTM`` layer, the ``h`` a hand-written loop starts from. Each is the figure's h₀ (c₀), found in one of
three ways, and named by :func:`name_initial_states` in one place:

- a cell's chain recorded the tensor it was handed first (``Chain.initial``, ``nn.chains.name_initial_state``);
- a layer's state reaches its first step through bookkeeping (unbound into one piece per layer and direction,
  unsqueezed when unbatched): the state it is, is the state the same op reads from the step before it in the
  next step (h or c), or the only state the chain carries;
- a hand-written loop (:func:`.user_steps.split_recurrences`): a tensor only the first step of one state's
  recurrence reads, shaped as that state.

>>> import tinygrad_rnn as tr
>>> from tinygrad_rnn.viz.graph import build_picture
>>> h_0, c_0 = tr.zeros(1, 1, 3, requires_grad=True), tr.zeros(1, 1, 3, requires_grad=True)  # learned
>>> output, _ = tr.nn.LSTM(2, 3)(tr.randn(2, 1, 2), (h_0, c_0))
>>> picture = build_picture((output.sum(),), level="cell", show_shapes=False)
>>> sorted(node.label for node in picture.nodes if node.kind == "input" and node.step is None)
['c_0', 'h_0']
"""

from __future__ import annotations

import collections
import re
from dataclasses import replace

import numpy

from .levels import unique
from .notation import Notation
from .picture import DROPOUT_MASK, Node, masks_into_cells, subscript
from .step_states import state_name
from .user_steps import LinkMaps, chains_reading, hand_steps

CARRIED_STATES = ("h", "c")  # what a recurrent layer carries from step to step (not its gates r, z, n, i, f, g, o)
STATE_BOOKKEEPING = ("unbind", "reshape")  # what lies between the (layers, B, H) state handed to a layer and its steps
WORD = re.compile(r"([A-Za-z]+)(_0|[₀-₉]*)")  # a token node's name and its step: y_0, x₃
SPECIAL_TOKEN = re.compile(r"\[[A-Z]+\]")  # a token that names itself, [BEGIN] (Seq2Seq.greedy_graph's first input)
UNNAMED_INPUT = re.compile(r"input[₀-₉]*")  # a leaf the user named nothing, as the walk draws it (input, input₂)
LEARNED = "parameter"  # the line under an initial state that is a parameter (nn.Parameter h₀): it learns, once


def renamed(label: str, name: str) -> str:
    """``label`` with its first line (the node's name) replaced, its shape and values kept.

    >>> renamed("input\\n(1, 6)", "h_0")
    'h_0\\n(1, 6)'
    """
    return name + label[len(label.split("\n")[0]):]


def name_initial_states(nodes: list[Node], links, maps: LinkMaps, chains: set, first_cones: dict[str, set[int]]
                        ) -> None:
    """Name each unnamed leaf that starts a recurrence h_0 (c_0; ``g_0`` for a state the user named g). ``links``:
    graph.py's (tail, head, output, input position), and ``maps`` the same as who reads whom
    (:func:`.user_steps.link_maps`); ``chains``: the chains the ops recorded (read before a user's scope took their
    ops in); ``first_cones``: each state of a hand-written loop → its first step's ops."""
    names = {id(given): name for chain in chains for given, name in chain.initial}  # a cell's first call
    readers = maps.readers
    carried = _carried_by_a_loop(nodes, links)
    for position, node in enumerate(nodes):
        learned = node.kind == "parameter"  # (a module's nn.Parameter handed as hx: named by its attribute)
        if not learned and (node.kind != "input" or any(getattr(t, "name", None) for t in node.tensors) or
                            not UNNAMED_INPUT.fullmatch(node.label.split("\n")[0])):  # (each role names: below)
            continue
        name = next((names[id(t)] for t in node.tensors if id(t) in names), None) or \
            _handed_to_a_layer(nodes, links, readers, position) or _first_of_a_loop(nodes, readers, position,
                                                                                     first_cones)
        name = name or carried.get(position)
        node.initial = bool(name)
        if name and learned:  # the state a recurrence starts from, that learns: h₀, marked, not a weight of cell 1
            node.kind, node.label = "input", renamed(node.label, f"{name}\n{LEARNED}")
        elif name:
            node.label = renamed(node.label, name)


def split_shared_initial_states(nodes: list[Node], edges: list, links: list, chains: set) -> None:
    """One tensor handed to a cell's first call as two of its states — ``h = c = tr.zeros(1, H)`` before a loop of
    ``cell(x, (h, c))`` — drawn as each state it is: a node h_0 and a node c_0, each with its arrow, as a layer
    draws the ``(z, z)`` it is handed. Drawn once, named by one role, the first step read c_0 and no h_0. Changes
    ``nodes`` (a node added per further role), ``edges`` and ``links`` (graph.py's, their reads of it moved) in
    place. A read's role: what the same op reads in the next step (:func:`_state_read`); in a chain of one step,
    h is the state a weight multiplies (W_hh h), c the one none does."""
    roles: dict[int, list[str]] = {}
    for chain in chains:
        for given, name in chain.initial:
            if name not in roles.setdefault(id(given), []):
                roles[id(given)].append(name)
    for leaf in range(len(nodes)):
        node = nodes[leaf]
        names = roles.get(id(node.tensors[0])) if node.kind == "input" and len(node.tensors) == 1 else None
        if not names or len(names) < 2 or getattr(node.tensors[0], "name", None):
            continue
        reads = [k for k, link in enumerate(links) if link[0] == leaf]
        role_of = {k: _role_read(nodes, links, links[k][1], leaf) for k in reads}
        if {f"{role}_0" for role in role_of.values()} != set(names):
            continue  # a read whose role is not known: one node, as before
        at = {names[0]: leaf}
        node.label, node.initial = renamed(node.label, names[0]), True
        for name in names[1:]:
            at[name] = len(nodes)
            nodes.append(replace(node, key=(node.key, name), label=renamed(node.label, name)))
        labels = {(tail, head): label for tail, head, label in edges}
        for k in reads:
            tail, head, out, position = links[k]
            links[k] = (at[f"{role_of[k]}_0"], head, out, position)
        moved = {(links[k][0], links[k][1]) for k in reads}
        edges[:] = unique([edge for edge in edges if edge[0] != leaf or (leaf, edge[1]) in moved] +
                                [(tail, head, labels[(leaf, head)]) for tail, head in sorted(moved)])


def _role_read(nodes: list[Node], links, op: int, given: int) -> str | None:
    """The state (h or c) ``op`` reads from ``given``, a state handed to its chain's first step: as the same op
    of the next step reads it; else h where the op multiplies it by a weight (W_hh h), c where no weight is read."""
    state = _state_read(nodes, links, op, given)
    if state is None and nodes[op].chain is not None:
        weighted = any(nodes[tail].kind == "parameter" for tail, head, _, _ in links if head == op)
        return "h" if weighted else "c"
    return state


def _handed_to_a_layer(nodes: list[Node], links, readers, leaf: int) -> str | None:
    """h_0 or c_0 where every use of ``leaf``, past the bookkeeping between a layer's call and its steps, is in a
    step of a chain, each read as the state it is (:func:`_state_read`) and all as one. (A tensor a chain's op reads
    directly is a cell's input x_t, or its state handed to its first call, which the chain recorded.)"""
    found, stack, seen = set(), [leaf], {leaf}
    while stack:
        tail = stack.pop()
        for head in readers.get(tail, ()):
            node = nodes[head]
            if node.kind == "op" and node.step is None and getattr(node.key, "name", "") in STATE_BOOKKEEPING:
                if head not in seen:
                    seen.add(head)
                    stack.append(head)
            elif node.kind == "op" and node.chain is not None and tail != leaf:
                found.add(_state_read(nodes, links, head, tail))
            else:
                return None
    (state,) = found if len(found) == 1 else (None,)
    return f"{state}_0" if state else None


def _state_read(nodes: list[Node], links, op: int, given: int) -> str | None:
    """The state (h or c) that ``op`` reads from ``given``: what the same op of the step beside it (the next step
    in either direction) reads at that input position from ``op``'s own step; with one step, the one state its
    chain carries. (Called once for each op of a first step that reads a handed state.)"""
    node = nodes[op]
    positions = {at for tail, head, _, at in links if head == op and tail == given}
    for tail, head, _, at in links:
        other = nodes[head]
        if at in positions and other.chain is node.chain and other.step in (node.step - 1, node.step + 1) and \
                getattr(other.key, "name", None) == node.key.name and nodes[tail].step == node.step:
            carried = {t.name for t in nodes[tail].tensors if getattr(t, "name", None) in CARRIED_STATES}
            if len(carried) == 1:
                return carried.pop()
    steps = {n.step for n in nodes if n.chain is node.chain}
    states = {t.name for n in nodes if n.chain is node.chain for t in n.tensors
              if getattr(t, "name", None) in CARRIED_STATES}
    return states.pop() if len(steps) == 1 and len(states) == 1 else None


def _first_of_a_loop(nodes: list[Node], readers, leaf: int, first_cones: dict[str, set[int]]) -> str | None:
    """A hand-written loop's: the state whose first step alone reads ``leaf``, a tensor shaped as that state."""
    read_by = readers.get(leaf, set())
    shapes = {tuple(t.shape) for t in nodes[leaf].tensors}
    for name, cone in first_cones.items():
        if read_by and read_by <= cone and shapes <= {tuple(t.shape) for p in cone for t in nodes[p].tensors
                                                      if t.name == name}:
            return f"{name}_0"
    return None


def _carried_by_a_loop(nodes: list[Node], links) -> dict[int, str]:
    """A hand-written loop's initial state, named by the user or not (``h = tr.zeros(1, H)`` before
    ``h = (L(x[t]) + L(h)).tanh()`` under ``tr.scope``): {leaf: h_0} for the leaf that ops of a row's first step read
    where the same ops of the next step read a value the first step computed — the same op being the one recorded in
    the same place, the two steps recording the same ops in the same order. (Each step's x_t is read there by the
    same op too, but a new leaf each step.) The state it starts is named as that value (h where it has no name); two
    unnamed states started so are named neither: which would be h? The one unnamed state is h at every step too
    (``Node.states``), so that its arrows say h₁, h₂ as they would had the user named it; so is the one unnamed state
    of a row that starts from another row's (a decoder written by hand, from its encoder's h_S)."""
    steps = hand_steps(nodes)  # (row, step) → a hand-written step's ops, in the order they were recorded
    inputs_at: dict[int, dict[int, tuple[int, int]]] = {}  # op → {input position: (tail, its output)}
    for tail, head, out, at in links:
        inputs_at.setdefault(head, {})[at] = (tail, out)
    firsts = {}
    for row, step in steps:
        firsts[row] = min(firsts.get(row, step), step)

    def in_order(row: tuple, step: int) -> list[int]:
        return steps.get((row, step), [])

    starts: dict[int, set[str | None]] = {}  # a leaf → the state each read of it starts (None: no state)
    carriers: dict[int, set[tuple]] = {}  # … and where that state is computed: (row, the op's place in a step, output)
    handed: dict[tuple, set[tuple]] = {}  # a row started from another row's state (a decoder's) → where it carries on
    for row, step in firsts.items():
        first, after = in_order(row, step), in_order(row, step + 1)
        if not after or [nodes[p].key.name for p in first] != [nodes[p].key.name for p in after]:
            continue
        for op, same in zip(first, after):
            for at, (leaf, _) in inputs_at.get(op, {}).items():
                tail, out = inputs_at.get(same, {}).get(at, (None, 0))
                if nodes[leaf].kind == "op" and nodes[leaf].row != row and tail in first and \
                        not state_name(nodes[tail], out):  # (another row's state into this row's first step)
                    handed.setdefault(row, set()).add((first.index(tail), out))
                if nodes[leaf].kind in ("input", "parameter"):
                    state = tail is not None and nodes[tail].kind == "op" and tail in first
                    starts.setdefault(leaf, set()).add(state_name(nodes[tail], out) if state else None)
                    if state:
                        carriers.setdefault(leaf, set()).add((row, first.index(tail), out))
    first_steps = {op for row, step in firsts.items() for op in steps[(row, step)]}
    read_elsewhere = {tail for tail, head, _, _ in links if tail in starts and head not in first_steps}
    found = {leaf: names.pop() for leaf, names in starts.items() if len(names) == 1 and None not in names and
             leaf not in read_elsewhere}
    unnamed = sorted((leaf for leaf, name in found.items() if not name), key=lambda leaf: min(carriers[leaf]))
    handed_on = [(row, *places.pop()) for row, places in handed.items() if len(places) == 1]  # a decoder's h₁ …
    for row, place, out in [*(carriers[unnamed[0]] if len(unnamed) == 1 else ()), *handed_on]:  # h₁, h₂, … as h₀
        doing = nodes[in_order(row, firsts[row])[place]].key.name
        for step in sorted(step for key_row, step in steps if key_row == row):
            ops = in_order(row, step)
            if place < len(ops) and nodes[ops[place]].key.name == doing:
                nodes[ops[place]].states[out] = "h"
    # several unnamed states start "state 1 (t=0)", "state 2 (t=0)", in the order a step computes them: no letter
    # says which would be h, and a number as a mark would say "layer"
    return {leaf: f"{name}_0" if name else "h_0" if len(unnamed) == 1 else f"state {unnamed.index(leaf) + 1} (t=0)"
            for leaf, name in found.items()}


def name_loop_weights(nodes: list[Node], links) -> None:
    """A tensor that learns but that the user named nothing (``W_hh = tr.randn(3, 3, requires_grad=True)``), read at
    every step of a loop written by hand, is a weight shared over time, named by its role as the lectures name it:
    W_hh where a step multiplies the state from the step before by it, W_ih where it multiplies the step's input, b
    where it is added — not "input", left out of the cells' weights and of the BPTT figure's Σ. (A tensor read in
    two roles, or in another, keeps its drawing.) ``links``: graph.py's (tail, head, output, input position).

    >>> import tinygrad_rnn as tr
    >>> from tinygrad_rnn.viz.graph import build_picture
    >>> W_xh, W_hh = tr.randn(2, 3, requires_grad=True), tr.randn(3, 3, requires_grad=True)
    >>> h = tr.zeros(1, 3)
    >>> for t in range(2):
    ...     with tr.scope(f"t={t + 1}"):
    ...         h = (tr.randn(1, 2) @ W_xh + h @ W_hh).tanh()
    >>> sorted(build_picture((h.sum(),), level="cell", show_shapes=False).nodes[1].parameters)
    ['W_hh', 'W_ih']
    """
    inputs_at: dict[int, dict[int, int]] = {}  # op → {input position: the node there}
    reads: dict[int, list[tuple[int, int]]] = {}  # leaf → (op, input position) of each read
    for tail, head, _, at in links:
        inputs_at.setdefault(head, {})[at] = tail
        reads.setdefault(tail, []).append((head, at))

    def role(op: int, at: int) -> str | None:
        others = [tail for position, tail in inputs_at.get(op, {}).items() if position != at]
        name = getattr(nodes[op].key, "name", "")
        if name == "add":
            return "b"
        if name != "matmul" or len(others) != 1:
            return None
        other = nodes[others[0]]
        if other.initial or (other.kind == "op" and other.step == nodes[op].step - 1 and other.row == nodes[op].row):
            return "W_hh"
        return "W_ih" if other.kind == "input" and other.step in (None, nodes[op].step) else None

    shared: dict[int, set[str | None]] = {}  # an unnamed leaf that learns, read at every step → its roles
    for leaf, node in enumerate(nodes):
        if node.kind not in ("input", "parameter") or node.initial or any(getattr(t, "name", None) for t in
                                                                          node.tensors) or \
                not any(getattr(t, "requires_grad", False) for t in node.tensors):
            continue
        readers = reads.get(leaf, [])
        if any(nodes[op].step is None or nodes[op].chain is not None for op, _ in readers) or \
                len({nodes[op].step for op, _ in readers}) < 2:
            continue  # (read outside a hand-written loop's steps, or at one step: no weight shared over time)
        shared[leaf] = {role(op, at) for op, at in readers}
    named = collections.Counter(next(iter(roles)) for roles in shared.values() if roles != {None} and len(roles) == 1)
    if any(count > 1 for count in named.values()):  # two recurrences' W_ih: one role, two tensors — no role says
        # which is which, and a mark would say "layer": each is "weight k", k in the order the loop first reads them
        def first_read(leaf: int) -> int:
            return min(getattr(nodes[op].key, "sequence_nr", 0) for op, _ in reads[leaf])
        for number, leaf in enumerate(sorted(shared, key=first_read), 1):
            nodes[leaf].kind, nodes[leaf].label = "parameter", renamed(nodes[leaf].label, f"weight {number}")
        return
    for leaf, roles in shared.items():
        if len(roles) == 1 and None not in roles:
            nodes[leaf].kind, nodes[leaf].label = "parameter", renamed(nodes[leaf].label, roles.pop())


def decoder_reads(nodes: list[Node], readers) -> dict[int, int]:
    """The embedding lookups that only a decoder reads — chains started from another's state (``Chain.after``): its
    words are y_t (where the user named them nothing), not a second x_t. {position in ``nodes`` (before grouping):
    id of the lookup's op (what an op level's token node is keyed by)}. ``readers``: the recorded graph's
    (:func:`.user_steps.link_maps`)."""
    found = {}
    for position, node in enumerate(nodes):
        if node.kind == "op" and hasattr(node.key, "ids_name") and not node.key.is_gradient:
            chains = chains_reading(nodes, readers, position)
            if chains and all(chain.after > 0 for chain in chains):
                found[position] = id(node.key)
    return found


def name_step_inputs(nodes: list[Node], edges: list[tuple[int, int, str]] = ()) -> None:
    """x_t for each unnamed tensor a step reads as its input — a layer's x sliced by step ("input₂"), each
    ``x[t]`` of a hand-written loop (a leaf of its own each step, "input" at every step): the name every level
    and the lectures give it, so that two steps' inputs are not drawn alike. A second module's input sequence is
    another tensor with its own letter: y_t (an encoder's x_t, its decoder's y_t — a decoder, started from another
    chain's state, comes last); a third keeps its "input". One module's calls share their letter, and each call after
    the first carries its prime (x′₁: :func:`.value_names.mark_calls`). Where one call's step reads two unnamed
    inputs (two sentences read side by side), neither is called x: which would be x_t?

    >>> nodes = [Node(1, "input", "input", step=1), Node(2, "input", "input₂\\n(1, 2)", step=2),
    ...          Node(3, "input", "h_0")]
    >>> name_step_inputs(nodes)
    >>> [node.label for node in nodes]
    ['x₁', 'x₂\\n(1, 2)', 'h_0']
    """
    unnamed = [position for position, node in enumerate(nodes) if node.kind == "input" and node.step is not None
               and UNNAMED_INPUT.fullmatch(node.label.split("\n")[0]) and not any(getattr(t, "name", None)
                                                                                 for t in node.tensors)]
    reader = {tail: nodes[head] for tail, head, _ in edges}
    unnamed += _lone_cell_inputs(nodes, edges)
    modules: dict[tuple, list[int]] = {}  # the module whose steps read each input: its chains' owner, or its row
    for position in unnamed:  # (a step level's steps record no chain: the row they are drawn in names the module)
        found = reader.get(position)
        chain, row = (None, ()) if found is None else (found.chain, found.row[:1])
        modules.setdefault(("row", row) if chain is None else ("owner", chain.owner), []).append(position)

    def order(module: tuple) -> tuple:  # (a decoder's, started after another chain, last)
        read = [reader[p] for p in modules[module] if p in reader]
        return (any(node.after for node in read), min((node.chain.serial for node in read if node.chain), default=0))

    for letter, module in zip(("x", "y"), sorted(modules, key=order)):
        steps = [(reader[p].chain if p in reader else None, nodes[p].step) for p in modules[module]]
        if len(steps) != len(set(steps)):
            continue  # (no letter taken: the next module's inputs are still the first named)
        for position in modules[module]:
            step = nodes[position].step or reader[position].step  # (a lone cell's x₁: drawn where its call reads it)
            nodes[position].label = renamed(nodes[position].label, subscript(letter, step))


def _lone_cell_inputs(nodes: list[Node], edges) -> list[int]:
    """The unnamed inputs that one step of a recorded cell alone reads, drawn in no step: a lone nn.GRUCell call's
    x, which the walk places beside the step with h₀ (one step: no loop to place it by), is x₁ as the deck writes
    it, not "input (1, 2)" beside h₀ and h₁."""
    readers: dict[int, list[Node]] = {}
    for tail, head, _ in edges:
        readers.setdefault(tail, []).append(nodes[head])
    return [position for position, node in enumerate(nodes) if node.kind == "input" and node.step is None
            and UNNAMED_INPUT.fullmatch(node.label.split("\n")[0]) and position in readers
            and not any(getattr(t, "name", None) for t in node.tensors)
            and all(r.chain is not None and r.step is not None and r.kind == "op" for r in readers[position])
            and len({(r.chain, r.step) for r in readers[position]}) == 1]


def name_decoder_words(nodes: list[Node], decoded: dict[int, int]) -> None:
    """The words a decoder reads (``decoded``: :func:`decoder_reads`) are y — unless the user named them — and the
    k-th of a sequence of them is y_k: y₀ = [BEGIN], read at the decoder's step 1, then y₁ …, at every level; never
    x₀, x₁ drawn like the encoder's x₁. (One word a call, a generation loop, keeps the step its level gave it.) A
    token that names itself, [BEGIN] read at the decoder's step 1, is y₀ with its word under it, as tokens= writes
    a word (y₁ "it" after it in a generation loop)."""
    sequences = {node.key[1] for node in nodes if isinstance(node.key, tuple) and node.key[:1] == ("token",)
                 and node.key[2] > 0}
    for node in nodes:
        key = node.key if node.kind == "input" and isinstance(node.key, tuple) else ()
        first = node.label.split("\n")[0]
        if key[:1] == ("tokens",) and key[1] in decoded.values() and first == "x":  # op level: the whole sequence
            node.label = renamed(node.label, "y")
        elif key[:1] == ("tokens",) and key[1] in decoded.values() and node.step and \
                first == subscript("x", node.step):  # op level, one word a call: step t reads y_{t−1}, as a cell level
            node.label = renamed(node.label, "y_0" if node.step == 1 else subscript("y", node.step - 1))
        elif key[:1] == ("token",) and key[1] in decoded and (found := WORD.fullmatch(first)):
            base = "y" if found.group(1) == "x" else found.group(1)
            written = (f"{base}_0" if key[2] == 0 else subscript(base, key[2])) if key[1] in sequences else \
                base + found.group(2)  # (y_0, as a cell level writes it)
            if written != first:
                node.label = renamed(node.label, written)
        elif key[:1] == ("token",) and key[1] in decoded and SPECIAL_TOKEN.fullmatch(first) and node.step == 1:
            node.label = renamed(node.label, f'y_0\n"{first}"')


DROPOUT = "dropout"  # the op that multiplies by a dropout mask, as the lectures and PyTorch name it


def name_dropout(nodes: list[Node], readers: dict[int, set[int]]) -> dict[int, int]:
    """Name each dropout mask (``F.dropout``'s, ``nn.Dropout``'s, a layer's ``dropout=`` between its layers) "dropout
    mask, p = 0.5", not "input", and each op that multiplies by one "dropout" (at op level; the positions returned,
    each with its mask's number, name a cell level's per-step nodes: :func:`name_dropout_steps`). A mask is a leaf that
    needs no gradient, read by multiplications alone, its entries 0 and one scale s = 1/(1 − p) > 1 — what
    ``F.dropout`` multiplies by. ``readers``: the recorded graph's (:func:`.user_steps.link_maps`)."""
    multiplied: dict[int, int] = {}
    masks = []
    for leaf, node in enumerate(nodes):
        heads = readers.get(leaf, set())
        if node.kind != "input" or len(node.tensors) != 1 or getattr(node.tensors[0], "name", None) or \
                node.tensors[0].requires_grad or not heads or \
                any(nodes[h].kind != "op" or getattr(nodes[h].key, "name", "") != "mul" for h in heads):
            continue
        values = numpy.unique(numpy.asarray(node.tensors[0].numpy()))
        if len(values) != 2 or values[0] != 0 or not values[1] > 1:
            continue
        masks.append((leaf, f"p = {1 - 1 / float(values[1]):.3g}"))
    # several masks are several tensors (between two layers, before the head): each its own name, numbered from the
    # input up — the farther from the loss, the earlier in the forward pass
    order = _steps_from_the_loss(readers) if len(masks) > 1 else {}
    for k, (leaf, p) in enumerate(sorted(masks, key=lambda mask: -order.get(mask[0], 0)), start=1):
        nodes[leaf].label = renamed(nodes[leaf].label, f"{DROPOUT_MASK}{f' {k}' if order else ''}, {p}")
        multiplied.update(dict.fromkeys(readers[leaf], k))
    for position in multiplied:
        nodes[position].label = renamed(nodes[position].label, DROPOUT)
    return multiplied



def _steps_from_the_loss(readers: dict[int, set[int]]) -> dict[int, int]:
    """Each node's fewest steps to an output (a node no op reads: the loss), found breadth first, without recursion.

    >>> _steps_from_the_loss({0: {1}, 1: {2}, 3: {2}})
    {2: 0, 1: 1, 3: 1, 0: 2}
    """
    inputs: dict[int, list[int]] = {}
    for tail, heads in readers.items():
        for head in heads:
            inputs.setdefault(head, []).append(tail)
    outputs = [node for node in inputs if not readers.get(node)]
    steps = dict.fromkeys(outputs, 0)
    queue = collections.deque(outputs)
    while queue:
        node = queue.popleft()
        for tail in inputs.get(node, []):
            if tail not in steps:
                steps[tail] = steps[node] + 1
                queue.append(tail)
    return steps


def name_dropout_steps(nodes: list[Node], edges, multiplied: dict[int, int], notation: Notation) -> list[str]:
    """A cell level's node for one step of a dropout drawn on its own ("mul t=2", a dropout between two modules the
    user wrote): "d₂ = dropout", its result named so that the BPTT arrow into it says what it carries,
    (∂d₂/∂h₂)ᵀ ∂J/∂d₂ — and a second mask's d′₂ (the dropped outputs after the dropped embeddings: two tensors, two
    names). Each written at its step as ``notation`` writes every value's time (:meth:`.Notation.at_step`): d⁽²⁾ and
    d′⁽²⁾ beside CS224N's e⁽²⁾, never a subscript among superscripts. ``multiplied``: :func:`name_dropout`'s,
    positions before the ops were grouped → their mask's number. Returns the note for a mask that feeds cells (a
    layer's ``dropout=``: the cells above multiply what they read by it), its state in the notation too."""
    numbers = sorted({multiplied[node.key[1]] for node in nodes if isinstance(node.key, tuple)
                      and node.key[:1] == ("split",) and node.key[1] in multiplied and node.step is not None})
    for node in nodes:
        if isinstance(node.key, tuple) and node.key[:1] == ("split",) and node.key[1] in multiplied and \
                node.label.startswith("mul\n") and node.step is not None:
            primes = "′" * numbers.index(multiplied[node.key[1]])  # (the masks drawn per step, first to last)
            node.label = f"{notation.at_step('d' + primes, str(node.step))} = {DROPOUT}"
    into_cells = masks_into_cells(nodes, edges)
    state = notation.at_step("h", "t")  # (hₜ, or CS224N's h⁽ᵗ⁾: the state any cell reads)
    return [f"{nodes[mask].label.split(',')[0]}: each entry 0 (with probability p) or 1/(1 − p); each cell it feeds "
            f"multiplies the {state} it reads from the layer below by the mask's slice for its step t"
            for mask in sorted(into_cells)[:1]]
