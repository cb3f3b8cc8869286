"""Where each node goes in the grid's rows and columns: inside a step, its level (its depth within the step)
and its place side by side in that level; outside the steps, beside the row where its flow starts or ends (a
column counted outwards from the steps, each node above the one it feeds there), or below its step (x_t).
:class:`Placement` is the part of :class:`~.grid.Grid` that places: it reads the grid's rows, columns and
edges, and leaves each node's level and order, or its side, column and slot beside a row."""

from __future__ import annotations

import re

from .picture import in_order, is_sum_of_losses
from .state_routes import state_first

GATE_ORDER = "figorzn"  # gates side by side: f beside c_{t−1} (f ⊙ c_{t−1}), i beside g (i ⊙ g), then o; r, z, n


class Placement:
    """Each node's level and order inside its step, or its place beside a row or below a step."""

    # --- inside the steps: levels (depth within the step) and the order side by side ---------------
    def _arrange_blocks(self) -> None:
        members: dict[tuple[int, int], list[int]] = {}
        for i, key in self.block_of.items():
            members.setdefault(key, []).append(i)
        self.members = members
        self.level: dict[int, int] = {}
        self.order: dict[int, int] = {}
        self.level_size: dict[tuple[int, int, int], int] = {}
        self.position: dict[int, float] = {}  # across its level, 0 (first) to 1 (last): where passages go
        self.forget_ops: dict[int, int] = {}  # each LSTM step's f ⊙ c_{t−1} → its c_t, on whose level it stands
        for (row, col), inside in members.items():
            inside_set = set(inside)
            by_level: dict[int, list[int]] = {}
            for i in in_order(inside, self.predecessors, inside_set):
                self.level[i] = 1 + max((self.level[p] for p in self.predecessors[i] if p in inside_set), default=-1)
                by_level.setdefault(self.level[i], []).append(i)
            self._cell_state_on_one_level(inside_set, by_level)
            position: dict[int, float] = {}
            entering = 1.0 if self.reverse[row] else 0.0  # states come in from the previous step's side
            for level in sorted(by_level):
                ordered = sorted(by_level[level], key=lambda i: self._side_by_side_key(i, position, entering))
                ordered = self._forget_on_the_entering_side(ordered, entering)
                for k, i in enumerate(ordered):
                    self.order[i] = k
                    position[i] = self.position[i] = (k + 0.5) / len(ordered)
                self.level_size[(row, col, level)] = len(ordered)
        self.top_level = [0] * max(self.rows, 1)  # the highest level in each row's steps
        for (row, _, level) in self.level_size:
            self.top_level[row] = max(self.top_level[row], level)

    def _cell_state_on_one_level(self, inside: set[int], by_level: dict[int, list[int]]) -> None:
        """An LSTM step's f ⊙ c_{t−1} beside c_t = f ⊙ c_{t−1} + i ⊙ g, on c_t's level (left of it; i ⊙ g stays
        under it): c_{t−1} comes in, is multiplied by f and added to, and leaves as c_t along one line, as the
        lectures draw the cell state's path — the path along which gradients survive. A level under c_t, f ⊙ c_{t−1}
        drew that path as a diagonal up into c_t, c_{t−1} coming in from far left and c_t leaving upwards."""
        for state in inside:
            if self.nodes[state].kind != "op" or not _named(self.nodes[state], "c"):
                continue
            forget = [op for op in self.predecessors[state] if op in inside and self.level[op] < self.level[state]
                      and any(_named(self.nodes[gate], "f") for gate in self.predecessors[op])]
            if len(forget) == 1:
                (op,) = forget
                by_level[self.level[op]].remove(op)
                if not by_level[self.level[op]]:
                    del by_level[self.level[op]]
                self.level[op] = self.level[state]
                by_level[self.level[state]].append(op)
                self.forget_ops[op] = state

    def _forget_on_the_entering_side(self, ordered: list[int], entering: float) -> list[int]:
        """A level's nodes with each f ⊙ c_{t−1} just before its c_t, on the side c_{t−1} comes in from (the right in a
        reverse row, whose states run right to left): c_{t−1} → f ⊙ c_{t−1} → c_t, nothing between, no line back."""
        for op in [i for i in ordered if i in self.forget_ops]:
            ordered.remove(op)
            state = self.forget_ops[op]
            ordered.insert(ordered.index(state) + (entering > 0.5), op)
        return ordered

    def _side_by_side_key(self, node: int, position: dict[int, float], entering: float) -> tuple:
        """Order within a level: under the ops it reads (their mean position; what comes from the
        previous step counts as coming from its side), then the gate order, then the label."""
        parents = [position.get(p, 0.5 if self._from_below(p) else entering) for p in self.predecessors[node]
                   if self.nodes[p].kind != "parameter"]
        # a gate named in its node, its step and mark written as the notation writes them: i₃ = σ, i⁽³⁾ = σ (CS224N's)
        named = re.match(r"([a-z])(?:[₀₁₂₃₄₅₆₇₈₉]|⁽[^⁾]*⁾|\^\[[^\]]*\])* = ", self.nodes[node].label)
        gate = self.gate_into.get(node, "") or (named.group(1) if named and named.group(1) in GATE_ORDER else "")
        gate_rank = GATE_ORDER.index(gate) if gate else len(GATE_ORDER)
        return (sum(parents) / len(parents) if parents else 0.5, gate_rank, self.nodes[node].label)

    def _from_below(self, node: int) -> bool:
        """x_t: an input of one step, drawn under it — not the state coming in from the previous step's side."""
        return self.nodes[node].kind == "input" and self.nodes[node].step is not None and node not in self.block_of

    # --- outside the steps: beside the row where its flow starts or ends, or below (x_t) -----------
    def _place_outside(self) -> None:
        nodes, block_of = self.nodes, self.block_of
        depends_on_row = _rows_upstream(len(nodes), self.predecessors, block_of)
        self.place: dict[int, tuple[str, int]] = {}
        self.beside_forward_end: set[int] = set()  # the head read from both ends of a layer, and what reads it
        outside = [i for i in range(len(nodes)) if i not in block_of]
        # (in the order the values flow, where they do: a node after the steps may take the row of the one it reads)
        ordered = in_order(outside, self.predecessors, set(outside))
        for i in ordered + sorted(set(outside) - set(ordered)):
            node = nodes[i]
            if node.kind == "ellipsis":
                self.place[i] = ("column", 0)
            elif node.step is not None:
                rows_fed = [block_of[h][0] for h in self.successors[i] if h in block_of]
                self.place[i] = ("below", min(rows_fed, default=0))
            elif depends_on_row[i] is None and self.successors[i] and all(
                    s not in block_of and depends_on_row[s] is not None for s in self.successors[i]):
                # read only after the steps (the head's weight): beside what reads it, not across the steps
                self.place[i] = ("end", max(depends_on_row[s] for s in self.successors[i]))
            elif depends_on_row[i] is None:
                self.place[i] = ("start", _first_row_fed(i, self.successors, block_of))
            else:
                self.place[i] = ("end", self._row_read(i, depends_on_row[i]))
        # Columns beside a row, counted outwards from the steps: a node next to them feeds them
        # directly (start) or reads them directly (end). A parameter feeding every step sits outermost.
        beside = sorted(i for i, (side, _) in self.place.items() if side in ("start", "end"))
        beside_set = set(beside)
        distance: dict[int, int] = {}
        for i in reversed(in_order(beside, self.predecessors, beside_set)):  # start: towards the steps
            if self.place[i][0] == "start":
                distance[i] = 1 + max((distance[s] for s in self.successors[i] if s in distance), default=-1)
        for i in in_order(beside, self.predecessors, beside_set):  # end: away from the steps
            if self.place[i][0] == "end":
                distance[i] = 1 + max((distance[p] for p in self.predecessors[i] if p in distance), default=-1)
        for i in beside:  # what only feeds a node after the steps shares that node's column, just above it
            if self.place[i][0] == "end" and depends_on_row[i] is None:
                distance[i] = min(distance[s] for s in self.successors[i] if s in distance)
        outermost = max((d for i, d in distance.items() if self.place[i][0] == "start"), default=0)
        # the steps a node after them reads, with those its result is added to on the way to J (a user's
        # y₁ + y₂ + … + y_T): a partial sum of the first steps belongs with the rest of the sum, not beside t=1
        linked_on: dict[int, set] = {}
        for i in reversed(in_order(beside, self.predecessors, beside_set)):
            linked_on[i] = {block_of[j][1] for j in self.predecessors[i] + self.successors[i] if j in block_of}
            if self.place[i][0] == "end":
                for later in self.successors[i]:
                    if later in linked_on and self.place[later][0] == "end":
                        linked_on[i] |= linked_on[later]
        self.beside: dict[tuple[bool, int, int], list[int]] = {}  # (on the left?, row, column) → nodes
        moved_right: dict[int, int] = {}  # a row whose Σs of the later steps moved to the right end (a decoder's) →
        # the first step they read
        first_sums = []  # the Σs of a row's first steps (an encoder's), placed after the loop: (node, row, column)
        reaching_middle = []  # … and those of first steps that reach the middle column, in a figure of cells
        of_cells = not any(self.nodes[i].kind == "op" for i in block_of)
        stacked = self._levels_per_column()
        # A weight drawn once feeds several steps along its bus; an initial state (h₀, c₀) feeds the first step
        # alone. Where both would share the outermost column, the weights take one column further out: h₀ stood
        # among them, and its arrow left across their bus's trunk as if it were a fourth weight joining the bus.
        fed = {i: {block_of[s][1] for s in self.successors[i] if s in block_of} for i in beside}
        shared = {i for i in beside if self.nodes[i].kind == "parameter" and len(fed[i]) > 1}
        states_there = any(fed[i] and self.place[i][0] == "start" and i not in shared
                           and distance[i] // stacked == outermost // stacked for i in beside)
        weights_column = outermost // stacked + (1 if shared and states_there else 0)
        for i in beside:
            side, row = self.place[i]
            feeds_steps = bool(fed[i])
            column = (weights_column if i in shared else
                      (outermost if self.nodes[i].kind == "parameter" and feeds_steps else distance[i]) // stacked)
            if self.slide and self.backward and side == "start":
                # where a BPTT figure's gradient starts, J → its loss → the head, one column, each over the next: a
                # classifier's head beside two columns (J and cross_entropy beyond linear) cost its slide 91 points
                # of a width-bound figure's 840 (20.6 px text; one column, 23.1 px)
                column = 0
            on_left = (side == "start") != (self.reverse[row] if self.rows else False)
            linked = linked_on[i]
            middle = (len(self.steps) - 1) / 2
            # (a mean of losses stays at the end, beside J: a padded tagger's second sequence's, over t = 1, 2, drawn
            # left of t=1 sent its line back across the figure to J)
            near_left = bool(linked) and max(linked) < middle and not is_sum_of_losses(self.nodes[i])
            if linked and (near_left or min(linked) > middle) and on_left != near_left:
                # it reads (or feeds) one end of the rows only — J reading h_T of both directions, the reverse
                # direction's h_0 at a step that merges both, the Σ of a decoder that follows its encoder — so
                # it sits beside that end, outside what is there
                on_left = near_left
                column += 1 + outermost // stacked
                if not on_left:
                    moved_right[row] = min(moved_right.get(row, min(linked)), min(linked))
            elif linked and near_left and on_left and self.backward and side == "end" and self.slide:
                first_sums.append((i, row, column))
                continue
            elif linked and on_left and self.backward and side == "end" and self.slide and of_cells:  # reaching the
                # middle (an encoder of 3 steps before a decoder of 2): moved after the loop only where a decoder's Σs
                # moved (op by op, its backward's bookkeeping went along: an attending decoder's 8.6 px were 8.4)
                reaching_middle.append((i, row, column))
            self.beside.setdefault((on_left, row, column), []).append(i)
        for i, row, column in reaching_middle:
            if row in moved_right and max(linked_on[i]) < moved_right[row]:
                self.beside[(True, row, column)].remove(i)
                if not self.beside[(True, row, column)]:
                    del self.beside[(True, row, column)]
                first_sums.append((i, row, column))
        for i, row, column in first_sums:
            # On a slide, a BPTT figure whose row's later steps' Σs stand at its right end (a decoder's, after its
            # encoder's steps) takes its first steps' Σs (the encoder's) into the same column, each under the Σs
            # of its own lane's height: the figure is bound by its width, and a second column of Σs at the left end
            # cost the slide 12 % of it (the top left, over the encoder's cells, stays empty: the height is free)
            on_right = row in moved_right
            self.beside.setdefault((not on_right, row, column + (1 + outermost // stacked if on_right else 0)),
                                   []).append(i)
        self.beside_slot: dict[int, tuple[tuple[bool, int, int], int]] = {}  # node → (its column, place in it)
        for key, members in self.beside.items():  # top to bottom, each node just above the one it feeds
            # what feeds (or reads) a higher level of the steps sits higher: its line then passes no other
            # (a gradient graph's levels run downwards)
            # and an LSTM's initial c₀ above its h₀, as c runs above h between the cells: each enters the first
            # cell at its own state's height, on a line of its own (gap_routes.py), crossing nothing
            height = {i: ((1 if self.backward else -1) * max(
                (self.level[s] for s in self.successors[i] + self.predecessors[i] if s in block_of), default=0),
                self.nodes[i].kind != "input" or state_first(self.nodes[i].label)[0]) for i in members}
            ordered = _chains(members, self.successors, distance, self.place, height)
            # the initial states that feed a step, in their places, in the order of the arrows they start: a step
            # node carries every layer's states, h⁽²⁾ above h⁽¹⁾ (state_first), so h₀⁽²⁾ above h₀⁽¹⁾
            starts = [i for i in ordered if self.nodes[i].kind == "input" and any(s in block_of
                                                                                  for s in self.successors[i])]
            by_arrow = iter(sorted(starts, key=lambda i: state_first(self.nodes[i].label)))
            self.beside[key] = [next(by_arrow) if i in starts else i for i in ordered]
            self.beside_slot.update({i: (key, k) for k, i in enumerate(self.beside[key])})

    def _levels_per_column(self) -> int:
        """How many levels of the nodes beside a row share one column, one above the other, so that the figure
        stays slide-wide: two, or on a slide where every row's steps are drawn op by op over several columns, half
        the fewest levels of a row's steps — an LSTM step's eight levels hold stack → index → sum → J in one
        column beside them, no taller than the step. (In two columns of two, a 3-step op-level LSTM was 47 points
        wider, its labels 27.2 px on a slide where they need 28, and the slide drew it t = 1, …, 3.) One cell, whose
        layout is turned (layout._turn), keeps two: its columns beside become rows above and below it."""
        rows_of_ops = self.slide and len(self.steps) > 1 and all(
            any(self.nodes[i].kind == "op" for i in members) for members in self.members.values())
        return max(2, (min(self.top_level) + 1) // 2) if rows_of_ops else 2

    def _row_read(self, node: int, upstream: int) -> int:
        """The row a node after the steps sits beside: the highest it reads directly, else the highest upstream
        (``upstream``). A forward figure's node reading both directions of a layer at both ends (a classifier's
        fc(cat([h_T⁽→⁾, h₁⁽←⁾]))) sits beside the forward row, right of its last column where h_T⁽→⁾ ends and a
        class reads the result, and so do the nodes that read it (cross_entropy, J): beside the reverse row they
        stood left of t=1, in the rows' names' column, and h_T⁽→⁾ crossed every e_t's riser on its way there."""
        read = [self.block_of[p] for p in self.predecessors[node] if p in self.block_of]  # (row, column)
        direct = [row for row, _ in read]
        forward_rows = [row for row in direct if not self.reverse[row]]
        both_ends = {column for _, column in read} >= {0, len(self.steps) - 1} and len(self.steps) > 1
        if not self.backward and both_ends and forward_rows and len(forward_rows) < len(direct):
            self.beside_forward_end.add(node)
            return max(forward_rows)
        if direct:
            return max(direct)
        after = [p for p in self.predecessors[node] if p in self.beside_forward_end]
        if after:
            self.beside_forward_end.add(node)
            return max(self.place[p][1] for p in after)
        return upstream

    def _sums_on_their_lanes_side(self, gradients: set[tuple[int, int, str]]) -> None:
        """Forward and backward on one set of nodes (overlaid.py): a Σ shares its column with the initial states
        (placed as a weight is, where the row starts), and its bus comes to it from a lane above or below the row.
        Each Σ goes to that end of its column — above h₀ and c₀ where its lane runs above the row — so that the
        bus reaches it without crossing their lines into the first step (it crossed both, once for each step's
        term, in an LSTM's forward and backward). Run once the lanes are planned (:meth:`~.lanes.Lanes._plan_lanes`)."""
        lane_above: dict[int, bool] = {}
        for tail, head, _ in gradients:
            kind = self.kind.get((tail, head), ("",))
            if kind[0] == "bus" and tail in self.block_of and head in self.beside_slot:
                lane_above[head] = kind[1][1]
        for key, members in self.beside.items():
            if not any(i in lane_above for i in members):
                continue
            self.beside[key] = ([i for i in members if lane_above.get(i) is True]
                                + [i for i in members if i not in lane_above]
                                + [i for i in members if lane_above.get(i) is False])
            self.beside_slot.update({i: (key, k) for k, i in enumerate(self.beside[key])})



def _chains(members: list[int], successors, distance: dict[int, int], place, height: dict[int, tuple]) -> list[int]:
    """Nodes sharing a column beside a row, top to bottom, so that each is followed by the node
    it feeds there (an edge between them is then a short arrow down, crossing nothing)."""
    inside = set(members)
    outward = {i: distance[i] if place[i][0] == "end" else -distance[i] for i in members}
    ordered, placed = [], set()
    for first in sorted(members, key=lambda i: (outward[i], height[i], i)):
        node = first
        while node is not None and node not in placed:
            ordered.append(node)
            placed.add(node)
            node = next((s for s in successors[node] if s in inside and s not in placed), None)
    return ordered



def _rows_upstream(count: int, predecessors, block_of) -> list[int | None]:
    """For each node outside the steps, the highest row of the steps it depends on (None: none)."""
    found: list[int | None] = [None] * count
    for i in in_order(list(range(count)), predecessors, set(range(count))):
        rows = [block_of[p][0] if p in block_of else found[p] for p in predecessors[i]]
        rows = [r for r in rows if r is not None]
        if i not in block_of and rows:
            found[i] = max(rows)
    return found


def _first_row_fed(start: int, successors, block_of) -> int:
    """The lowest row of the steps a node feeds, directly or through other nodes outside steps."""
    stack, seen, rows = [start], {start}, []
    while stack:
        i = stack.pop()
        for j in successors[i]:
            if j in block_of:
                rows.append(block_of[j][0])
            elif j not in seen:
                seen.add(j)
                stack.append(j)
    return min(rows, default=0)


def _named(node, name: str) -> bool:
    """Whether a node of a recurrent layer's step stands for a tensor the cell named ``name`` (a state h, c; a
    gate i, f, g, o): what it is, not how it is drawn (nn/cells.py names them)."""
    return node.chain is not None and any(getattr(tensor, "name", None) == name for tensor in node.tensors)
