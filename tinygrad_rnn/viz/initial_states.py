"""The state a recurrence starts from, drawn h₀ (c₀) wherever it came from — not "input".

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

from .picture import Node
from .user_steps import LinkMaps

CARRIED_STATES = ("h", "c")  # what a recurrent layer carries from step to step (not its gates r, z, n, i, f, g, o)
STATE_BOOKKEEPING = ("unbind", "reshape")  # what lies between the (layers, B, H) state handed to a layer and its steps


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
    for position, node in enumerate(nodes):
        if node.kind != "input" or any(getattr(t, "name", None) for t in node.tensors):
            continue
        name = next((names[id(t)] for t in node.tensors if id(t) in names), None) or \
            _handed_to_a_layer(nodes, links, readers, position) or _first_of_a_loop(nodes, readers, position,
                                                                                     first_cones)
        if name:
            node.label = renamed(node.label, name)


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
