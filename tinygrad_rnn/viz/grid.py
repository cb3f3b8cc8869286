"""Where each node goes: the rows (a layer and direction each), the columns (a step each), the levels
inside a step and the lanes of the buses beside a row, computed in linear time (see :mod:`.layout`).

:class:`Grid` builds the rows (:mod:`.rows`) and columns, then runs its parts in turn: the placement of each
node (:mod:`.placement`), the lanes of the buses (:mod:`.lanes`), the passages through a step's levels
(:mod:`.passages`) and the coordinates (:mod:`.coordinates`); it routes the edges as :class:`~.routes.Routes`."""

from __future__ import annotations

from dataclasses import replace

from . import choice_routes, passages
from .coordinates import Coordinates
from .geometry import FREE, SLIDE_SPACING, STRIP_SPACING, Box
from .lanes import Lanes
from .picture import BACKWARD_ROW, PER_STEP, Picture, in_time
from .placement import GATE_ORDER, Placement
from .routes import Routes
from .rows import (
    ROWS_RUN,
    ROWS_RUN_UNNAMED,
    layer_and_direction,
    one_timeline,
    one_timeline_only,
    row_name,
    row_order,
    rows_joined,
)


class Grid(Placement, Lanes, Coordinates, Routes):
    """The rows, columns, levels and lanes of one picture (its routes: :class:`~.routes.Routes`)."""

    def __init__(self, picture: Picture, boxes: list[Box], over_a_free_top: bool = False,
                 rows_named: bool = True, gaps_each: bool = False) -> None:
        nodes, edges = picture.nodes, picture.edges
        self.gaps_each = gaps_each  # each gap between steps as wide as what it carries (Coordinates), not the widest
        self.nodes, self.boxes, self.backward = nodes, boxes, picture.backward
        self.edge_list = edges
        self.space = STRIP_SPACING if picture.strip else SLIDE_SPACING if picture.slide else FREE
        self.slide = picture.slide
        self.both_ways = bool(picture.gradients)  # forward and backward on one set of nodes (overlaid.py)
        count = len(nodes)
        self.successors: list[list[int]] = [[] for _ in range(count)]
        self.predecessors: list[list[int]] = [[] for _ in range(count)]
        self.gate_into: dict[int, str] = {}
        for tail, head, label in edges:
            if (tail, head, label) in picture.gradients:
                # forward and backward on one set of nodes: placed by the way the values flow, a gradient's arrow
                # read as its value's (a cell's term of ∂J/∂W_hh as W_hh into the cell: its Σ beside the row's start,
                # where a weight stands; J where the forward ends, though its gradient leaves it)
                tail, head = head, tail
                if head in self.successors[tail]:
                    continue
            self.successors[tail].append(head)
            self.predecessors[head].append(tail)
            if label in GATE_ORDER and label:
                self.gate_into.setdefault(head, label)

        # Rows (layer, direction) and columns (steps); without any step, everything is one block.
        in_step = [n.step is not None and n.kind in ("op", "group") for n in nodes]
        if not any(in_step):
            in_step = [n.kind != "ellipsis" for n in nodes]
        row_keys = list(dict.fromkeys(n.row for n, inside in zip(nodes, in_step) if inside))
        chains = {n.row: n.chain for n in nodes if n.chain is not None}  # what each row runs: layer, direction
        reads, feeds = self.predecessors, self.successors  # (a BPTT figure's arrows run the other way)
        if picture.backward:
            reads, feeds = feeds, reads
        row_keys.sort(key=row_order(row_keys, chains, rows_joined(nodes, reads, feeds)))
        self.at = in_time(nodes, edges)  # each node's column: its step in time, not its step's name
        row_keys, row_of_key = one_timeline(row_keys, self.at, in_step, nodes, chains)
        self.rows = len(row_keys)
        self.steps = sorted({at for at in self.at if at is not None})  # a column for each step in time
        self.column = {at: i for i, at in enumerate(self.steps)}
        self.block_of = {i: (row_of_key[n.row], self.column.get(self.at[i], 0)) for i, n in enumerate(nodes)
                         if in_step[i]}
        flows_back = [(layer_and_direction(key, chains)[1] != picture.backward) != (key[:1] == (BACKWARD_ROW,))
                      for key in row_keys]  # right to left
        rolled = any(n.loops for n in nodes)  # one column: nothing to mirror, its states are loops
        self.reverse = [back and not rolled for back in flows_back]
        layer_rows = sum(1 for key in row_keys if key[:1] != (PER_STEP,))
        one_layer = len({chain.layer for chain in chains.values()}) == 1  # calls apart: "call 2 →", no layer
        modules = len({key[0] for key in chains if key[:1] != (BACKWARD_ROW,)}) > 1 and not one_timeline_only(
            row_keys, chains)  # two modules in rows of their own: say whose each row is
        # each row named by the way it runs forward (→, a reverse direction ←), in a BPTT figure too: named by
        # the way its gradient flows, a reverse row read "reverse →" and a one-way stack "layer 2 ←". (A ∂ row
        # under its forward one, "∂ layer 1 ←", is the gradient's own row: named by the way that flows.)
        self.row_names = [row_name(key, back if key[:1] == (BACKWARD_ROW,) else layer_and_direction(key, chains)[1],
                                    layer_rows, one_layer, modules) for key, back in zip(row_keys, flows_back)]
        # one row and its backward under it: "layer 1 →" and "∂ layer 1 ←" told nothing the rows do not (the note
        # says which runs backward), and a width-bound slide lost their width from every line of text; and where
        # the arrows say what the names would (directions_said_on_arrows): no names
        if not rows_named or self.slide and layer_rows == 2 and any(key[:1] == (BACKWARD_ROW,) for key in row_keys):
            self.row_names = [""] * len(row_keys)

        self._arrange_blocks()
        self._place_outside()
        self._plan_lanes(edges)
        choice_routes.keep_a_lane(self)  # (a choice fed round the row's last step: the lane nearest the heads)
        if self.both_ways:
            self._sums_on_their_lanes_side(picture.gradients)
        self.passages = passages.plan(self)  # a bus line's way out through its own step's levels
        self.passages_of = passages.of_each_side(self.passages)
        self.passage_spots = passages.spots(self)
        self._room_for_state_names()
        self._coordinates()
        if over_a_free_top:
            self._end_over_a_free_top()
        self._lane_bases()


def directions_said_on_arrows(picture: Picture) -> bool:
    """Whether the rows' names would say nothing that the arrows along the rows do not: the rows of cells are one
    layer's two directions ("layer 1 →", "layer 1 reverse ←"), each arrow between two of a row's cells names its
    direction (∂J/∂h₂⁽←⁾), and a note says what → and ← mean. A width-bound slide may then leave the names out
    (:func:`~.layout.labelled_layout`): a bidirectional classifier's BPTT, 57 points of its 726, fits without them.
    Read from what each row's cells ran (their chains), before any layout is made."""
    reverse: dict[tuple[str, ...], bool] = {}  # each row of cells: whether it runs right to left
    chains = set()
    for node in picture.nodes:
        if node.chain is not None and node.row[:1] not in ((PER_STEP,), (BACKWARD_ROW,)):
            reverse[node.row] = node.chain.direction == "reverse"
            chains.add(node.chain)
    if sorted(reverse.values()) != [False, True] or len({(chain.owner, chain.layer) for chain in chains}) != 1:
        return False
    if any(node.row[:1] == (BACKWARD_ROW,) for node in picture.nodes):  # (a ∂ row, named by its gradient's flow)
        return False
    if ROWS_RUN not in picture.notes:
        return False
    nodes, said = picture.nodes, dict.fromkeys(reverse, 0)
    for tail, head, label in picture.edges:
        row = nodes[tail].row
        if nodes[tail].kind == nodes[head].kind == "group" and nodes[head].row == row and row in reverse:
            if ("←" if reverse[row] else "→") not in label:
                return False
            said[row] += 1
    return all(said.values())


def rows_said_in_the_note(picture: Picture) -> Picture:
    """The picture with its note on → and ← saying which row runs backwards in time, for a figure drawn without the
    rows' names (:func:`directions_said_on_arrows`): the arrows' ⁽←⁾ say whose values they carry, and a student
    could not tell from a bidirectional classifier's BPTT alone which row runs from the last step back."""
    module = next(node.chain.module for node in picture.nodes if node.chain is not None
                  and node.chain.direction == "reverse")  # (the row of cells above the forward one: rows.row_order)
    said = ROWS_RUN_UNNAMED.format(module=module)
    return replace(picture, notes=[said if note == ROWS_RUN else note for note in picture.notes])
