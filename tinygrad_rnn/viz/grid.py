"""Where each node goes: the rows (a layer and direction each), the columns (a step each), the levels
inside a step and the lanes of the buses beside a row, computed in linear time (see :mod:`.layout`)."""

from __future__ import annotations

import re
from typing import Any

from . import passages
from .geometry import (
    ARROW,
    BOX_LABEL,
    CHAR,
    FREE,
    LABEL_ASCENT,
    LABEL_CLEAR,
    LABEL_DESCENT,
    LABEL_LINE,
    LABEL_OFFSET,
    LOOP_HEIGHT,
    NAMED_LEVEL_GAP,
    SLIDE_SPACING,
    Box,
    label_width,
)
from .picture import BACKWARD_ROW, PER_STEP, Picture, chain_calls, in_order, in_time
from .routes import Routes, state_first

GATE_ORDER = "figorzn"  # gates side by side: f beside c_{t−1} (f ⊙ c_{t−1}), i beside g (i ⊙ g), then o; r, z, n


class Grid(Routes):
    """The rows, columns, levels and lanes of one picture (its routes: :class:`~.routes.Routes`)."""

    def __init__(self, picture: Picture, boxes: list[Box]) -> None:
        nodes, edges = picture.nodes, picture.edges
        self.nodes, self.boxes, self.backward = nodes, boxes, picture.backward
        self.edge_list = edges
        self.space = SLIDE_SPACING if picture.slide else FREE
        self.slide = picture.slide
        count = len(nodes)
        self.successors: list[list[int]] = [[] for _ in range(count)]
        self.predecessors: list[list[int]] = [[] for _ in range(count)]
        self.gate_into: dict[int, str] = {}
        for tail, head, label in edges:
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
        row_keys.sort(key=_row_order(row_keys, chains))
        self.at = in_time(nodes, edges)  # each node's column: its step in time, not its step's name
        row_keys, row_of_key = _one_timeline(row_keys, self.at, in_step, nodes, chains)
        self.rows = len(row_keys)
        self.steps = sorted({at for at in self.at if at is not None})  # a column for each step in time
        self.column = {at: i for i, at in enumerate(self.steps)}
        self.block_of = {i: (row_of_key[n.row], self.column.get(self.at[i], 0)) for i, n in enumerate(nodes)
                         if in_step[i]}
        flows_back = [(_layer_and_direction(key, chains)[1] != picture.backward) != (key[:1] == (BACKWARD_ROW,))
                      for key in row_keys]  # right to left
        rolled = any(n.loops for n in nodes)  # one column: nothing to mirror, its states are loops
        self.reverse = [back and not rolled for back in flows_back]
        layer_rows = sum(1 for key in row_keys if key[:1] != (PER_STEP,))
        one_layer = len({chain.layer for chain in chains.values()}) == 1  # calls apart: "call 2 →", no layer
        modules = len({key[0] for key in chains if key[:1] != (BACKWARD_ROW,)}) > 1 and not _one_timeline_only(
            row_keys, chains)  # two modules in rows of their own: say whose each row is
        # each row named by the way it runs forward (→, a reverse direction ←), in a BPTT figure too: named by
        # the way its gradient flows, a reverse row read "reverse →" and a one-way stack "layer 2 ←". (A ∂ row
        # under its forward one, "∂ layer 1 ←", is the gradient's own row: named by the way that flows.)
        self.row_names = [_row_name(key, back if key[:1] == (BACKWARD_ROW,) else _layer_and_direction(key, chains)[1],
                                    layer_rows, one_layer, modules) for key, back in zip(row_keys, flows_back)]
        if self.slide and layer_rows == 2 and any(key[:1] == (BACKWARD_ROW,) for key in row_keys):
            # one row and its backward under it: "layer 1 →" and "∂ layer 1 ←" told nothing the rows do not (the
            # note says which runs backward), and a width-bound slide lost their width from every line of text
            self.row_names = [""] * len(row_keys)

        self._arrange_blocks()
        self._place_outside()
        self._plan_lanes(edges)
        self.passages = passages.plan(self)  # a bus line's way out through its own step's levels
        self.passage_spots = passages.spots(self)
        self._room_for_state_names()
        self._coordinates()
        self._lane_bases()

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
        for (row, col), inside in members.items():
            inside_set = set(inside)
            by_level: dict[int, list[int]] = {}
            for i in in_order(inside, self.predecessors, inside_set):
                self.level[i] = 1 + max((self.level[p] for p in self.predecessors[i] if p in inside_set), default=-1)
                by_level.setdefault(self.level[i], []).append(i)
            position: dict[int, float] = {}
            entering = 1.0 if self.reverse[row] else 0.0  # states come in from the previous step's side
            for level in sorted(by_level):
                ordered = sorted(by_level[level], key=lambda i: self._side_by_side_key(i, position, entering))
                for k, i in enumerate(ordered):
                    self.order[i] = k
                    position[i] = self.position[i] = (k + 0.5) / len(ordered)
                self.level_size[(row, col, level)] = len(ordered)
        self.top_level = [0] * max(self.rows, 1)  # the highest level in each row's steps
        for (row, _, level) in self.level_size:
            self.top_level[row] = max(self.top_level[row], level)

    def _side_by_side_key(self, node: int, position: dict[int, float], entering: float) -> tuple:
        """Order within a level: under the ops it reads (their mean position; what comes from the
        previous step counts as coming from its side), then the gate order, then the label."""
        parents = [position.get(p, 0.5 if self._from_below(p) else entering) for p in self.predecessors[node]
                   if self.nodes[p].kind != "parameter"]
        named = re.match(r"([a-z])[₀₁₂₃₄₅₆₇₈₉]* = ", self.nodes[node].label)  # a gate named in its node: i₃ = σ
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
        for i, node in enumerate(nodes):
            if i in block_of:
                continue
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
                direct = [block_of[p][0] for p in self.predecessors[i] if p in block_of]  # the row it reads
                self.place[i] = ("end", max(direct) if direct else depends_on_row[i])
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
        for i in beside:
            side, row = self.place[i]
            feeds_steps = any(s in block_of for s in self.successors[i])
            # Two levels share a column, one above the other, so the figure stays slide-wide.
            column = (outermost if self.nodes[i].kind == "parameter" and feeds_steps else distance[i]) // 2
            on_left = (side == "start") != (self.reverse[row] if self.rows else False)
            linked = linked_on[i]
            middle = (len(self.steps) - 1) / 2
            near_left = bool(linked) and max(linked) < middle
            if linked and (near_left or min(linked) > middle) and on_left != near_left:
                # it reads (or feeds) one end of the rows only — J reading h_T of both directions, the reverse
                # direction's h_0 at a step that merges both, the Σ of a decoder that follows its encoder — so
                # it sits beside that end, outside what is there
                on_left = near_left
                column += 1 + outermost // 2
            self.beside.setdefault((on_left, row, column), []).append(i)
        self.beside_slot: dict[int, tuple[tuple[bool, int, int], int]] = {}  # node → (its column, place in it)
        for key, members in self.beside.items():  # top to bottom, each node just above the one it feeds
            # what feeds (or reads) a higher level of the steps sits higher: its line then passes no other
            # (a gradient graph's levels run downwards)
            # and an LSTM's initial c₀ above its h₀, as c runs above h between the cells: each enters the first
            # cell at its own state's height, on a line of its own (routes.py), crossing nothing
            height = {i: ((1 if self.backward else -1) * max(
                (self.level[s] for s in self.successors[i] + self.predecessors[i] if s in block_of), default=0),
                self.nodes[i].kind != "input" or state_first(self.nodes[i].label)[0]) for i in members}
            self.beside[key] = _chains(members, self.successors, distance, self.place, height)
            self.beside_slot.update({i: (key, k) for k, i in enumerate(self.beside[key])})

    # --- edges: straight, a state between steps, or a bus along a lane ----------------------------
    def _plan_lanes(self, edges) -> None:
        block_of = self.block_of
        fan: dict[tuple[int, int], int] = {}  # (node outside the steps, row) → its edges to or from that row
        partners: dict[tuple[int, int], set] = {}  # … and the nodes in the steps at their other ends
        for tail, head, _ in edges:
            for outside, inside in ((tail, head), (head, tail)):
                if outside not in block_of and inside in block_of and self.place[outside][0] in ("start", "end"):
                    fan[(outside, block_of[inside][0])] = fan.get((outside, block_of[inside][0]), 0) + 1
                    partners.setdefault((outside, block_of[inside][0]), set()).add((inside, inside == tail))
        # Nodes beside a row that the same nodes in the steps feed (the terms of ∂J/∂W_hh and ∂J/∂b_hh,
        # both from each step's linear backward) share one lane, which forks at its end: two lanes
        # would cross each other once for every pair of steps. A weight never shares a lane with data (e_t
        # and W_ih into one linear): one line, one arrowhead, would read as one value.
        sharing: dict[tuple, int] = {}
        self.lane_of: dict[tuple[int, int], int] = {}
        # Data into the steps never shares a lane: a stacked bidirectional network's four h₀ and c₀ into its last
        # step are four values, and on one lane they ran into one arrowhead (the weights a bus drops into each step
        # are one notation, the lecture's "the same W at every step").
        for (outside, row), ends in partners.items():
            weight = self.nodes[outside].kind == "parameter"
            shares = weight or all(inside_is_tail for _, inside_is_tail in ends)
            key = (row, frozenset(ends), self.beside_slot[outside][0] if outside in self.beside_slot else outside,
                   weight) if shares else (outside,)
            self.lane_of[(outside, row)] = sharing.setdefault(key, outside)
        self.kind: dict[tuple[int, int], tuple] = {}
        self.drops_into: dict[int, list[tuple]] = {}  # op → the buses dropping into it (side by side)
        self.lane: dict[tuple, int] = {}
        self.trunks: dict[Any, list[tuple]] = {}  # a column beside the row → the lanes whose trunks rise beside it
        self.lanes_above = [0] * max(self.rows, 1)
        self.lanes_below = [0] * max(self.rows, 1)
        self.gap_tracks: dict[tuple[int, int], list[str]] = {}  # (row, column gap) → labels of the states in it
        linked_up, linked_down = set(), set()  # rows with edges to the row above / below, inside the columns
        for tail, head, _ in edges:
            if tail in block_of and head in block_of and block_of[tail][0] != block_of[head][0]:
                low, high = sorted((block_of[tail][0], block_of[head][0]))
                linked_up.add(low)
                linked_down.add(high)
        self._labels = {(tail, head): label for tail, head, label in edges if label}
        for tail, head, label in edges:
            kind: tuple = ("straight",)
            if tail in block_of and head in block_of and block_of[tail][0] == block_of[head][0] \
                    and block_of[tail][1] != block_of[head][1]:
                row, gap = block_of[tail][0], min(block_of[tail][1], block_of[head][1])
                tracks = self.gap_tracks.setdefault((row, gap), [])
                if label not in tracks:
                    tracks.append(label)
                kind = ("state", row, gap, label)
            else:
                for outside, inside in ((tail, head), (head, tail)):
                    if inside in block_of and (fan.get((outside, block_of[inside][0]), 0) > 1
                                               or self._far_from_side(outside, inside)):
                        row = block_of[inside][0]
                        if self.top_level[row]:  # the lower levels read what comes in, the upper pass it on
                            above = (self.level[inside] >= (self.top_level[row] + 1) / 2) != self.backward
                        elif row in linked_down and row not in linked_up:  # one node per step: the free side
                            above = True
                        elif row in linked_up and row not in linked_down:
                            above = False
                        else:  # what it reads comes from below, what reads it lies above
                            above = (inside == tail) != self.backward
                        lane_key = (row, above, self.lane_of.get((outside, row), outside))
                        if lane_key not in self.lane:
                            counts = self.lanes_above if above else self.lanes_below
                            self.lane[lane_key] = counts[row]
                            counts[row] += 1
                        kind = ("bus", lane_key)
            self.kind[(tail, head)] = kind

    def _far_from_side(self, outside: int, inside: int) -> bool:
        """An edge between a node beside the row and a step that is not next to it (so a straight
        line would cross the steps in between)."""
        side, row = self.place.get(outside, ("", 0))
        if side not in ("start", "end"):
            return False
        at_start = side == "start"
        first, last = 0, len(self.steps) - 1
        near = (first if at_start else last) if not self.reverse[row] else (last if at_start else first)
        return self.block_of[inside][1] != near

    def _room_for_state_names(self) -> None:
        """A cell that passes more than two states to the next (c and h, both ways) stands tall enough for a
        line of each one's name between their lines (they run a quarter of its height apart), nearer its own
        line than the next (a name midway between two lines reads as either's)."""
        pitch = LABEL_ASCENT + LABEL_DESCENT + 3 * LABEL_OFFSET
        for (row, gap), tracks in self.gap_tracks.items():
            for i in self.members.get((row, gap), []) + self.members.get((row, gap + 1), []) if len(tracks) > 2 else []:
                if self.nodes[i].kind == "group":
                    self.boxes[i].height = max(self.boxes[i].height, len(tracks) * pitch)

    # --- coordinates ------------------------------------------------------------------------------
    def _coordinates(self) -> None:
        boxes, rows = self.boxes, max(self.rows, 1)
        width = [0.0] * rows
        height = [0.0] * rows
        levels = [1] * rows
        # Side by side in a level, each node as wide as its label: the k-th node of a level starts where the
        # widest k-th node of that level (over the steps) ends, so that the steps stay alike.
        slot_width: dict[tuple[int, int, int], float] = {}  # (row, level, place in the level) → its width
        for i, (row, _) in self.block_of.items():
            width[row] = max(width[row], boxes[i].width)
            height[row] = max(height[row], boxes[i].height)
            key = (row, self.level[i], self.order[i])
            slot_width[key] = max(slot_width.get(key, 0.0), boxes[i].width)
        level_span: dict[tuple[int, int], float] = {}  # (row, level) → the width of its nodes side by side
        for (row, level, _), w in slot_width.items():
            level_span[(row, level)] = level_span.get((row, level), -self.space.gap_x) + w + self.space.gap_x
        node_at = {(*self.block_of[i], self.level[i], self.order[i]): i for i in self.block_of}
        # room for the lines passing levels: between a level's nodes, or inside its step's borders
        extra, border = passages.widening(self, self.passage_spots, slot_width, node_at, level_span)
        for (row, level, _), w in extra.items():
            level_span[(row, level)] += w
        for (row, _, level) in self.level_size:
            levels[row] = max(levels[row], level + 1)
        self.pitch_x = [w + self.space.gap_x for w in width]
        self.pitch_y = [h + self.space.gap_y for h in height]
        # where each level's middle sits above the bottom of its step: every level as tall as the row's
        # tallest node (free size), or each as tall as its own (a slide's height is precious)
        level_height: dict[tuple[int, int], float] = {}
        for i, (row, _) in self.block_of.items():
            shown = levels[row] - 1 - self.level[i] if self.backward else self.level[i]
            level_height[(row, shown)] = max(level_height.get((row, shown), 0.0),
                                             boxes[i].height if self.space.own_level_heights else height[row])
        # a gap that an arrow's name lies in (a gate's r, ∂J/∂i₁ between two ops) holds a line of it, clear of both
        named = [(t, h, label) for t, h, label in self.edge_list if label and t in self.block_of
                 and self.block_of.get(h) == self.block_of[t] and abs(self.level[t] - self.level[h]) == 1]
        named_gaps = {(self.block_of[t][0], min(self.level[t], self.level[h]) if not self.backward else
                       levels[self.block_of[t][0]] - 1 - max(self.level[t], self.level[h])) for t, h, _ in named}
        self.level_middle: dict[tuple[int, int], float] = {}
        for r in range(rows):
            below = 0.0
            for shown in range(levels[r]):
                tall = level_height.get((r, shown), 0.0)
                self.level_middle[(r, shown)] = below + tall / 2
                holds_name = (r, shown) in named_gaps
                below += tall + (max(self.space.gap_y, NAMED_LEVEL_GAP) if holds_name else self.space.gap_y)
        clustered = any(self.nodes[i].kind == "op" for i in self.block_of)
        label_room = BOX_LABEL if clustered else 0.0
        block_width = [2 * self.space.box_pad + 2 * border.get(r, 0.0) + max(
            [span for (row, _), span in level_span.items() if row == r], default=self.pitch_x[r] - self.space.gap_x)
            for r in range(rows)]
        block_height = [self.level_middle[(r, levels[r] - 1)] + level_height.get((r, levels[r] - 1), 0.0) / 2
                        + 2 * self.space.box_pad + label_room for r in range(rows)]
        # on a slide, room above a row of cells for its states' labels broken in two lines (growing upwards from
        # the top state): the lanes above the row pass over them, not through them; the cells stay where they are
        labels_above = [max([0.0] + [self._state_label_top(row, gap) - block_height[r] / 2 for (row, gap)
                                     in self.gap_tracks if row == r]) if self.slide and not clustered else 0.0
                        for r in range(rows)]
        band = list(block_height)  # a row's height: its steps, or the nodes stacked beside it
        columns_beside: dict[bool, list[float]] = {True: [], False: []}
        for (on_left, row, col), members in self.beside.items():
            band[row] = max(band[row], sum(boxes[i].height + self.space.gap_y for i in members))
            widths = columns_beside[on_left]
            widths.extend([0.0] * (col + 1 - len(widths)))
            # (a column gap as wide as between the steps: a line passing up between two columns beside a
            # row, h_T of another row into J, keeps clear of both)
            widths[col] = max(widths[col], max(boxes[i].width for i in members) + self.space.column_gap_min)
        # every step's column: one width; a step's arrow named beside its line (∂J/∂h₂ from Σ down to tanh) has room
        # for its name on one side of the middle, clear of the lines through the gaps beside the column
        self.column_width = max(block_width + [2 * (label_width([label]) + LABEL_OFFSET + 2 * LABEL_CLEAR)
                                               for _, _, label in named]) if self.block_of else 0.0
        # a "…" standing for steps left out has a column of its own, as wide as its words: on a slide only that
        # (at op level a step's column is many times wider: a "…" as wide would save nothing of the slide's width)
        widths = [self.column_width] * max(len(self.steps), 1)
        stepped = {column for _, column in self.members}
        for box, node in zip(boxes, self.nodes):
            if node.kind == "ellipsis" and self.column.get(node.step, -1) not in stepped | {-1}:
                words = box.width + 2 * self.space.box_pad
                widths[self.column[node.step]] = words if self.slide else max(words, self.column_width)

        loops = max((len(n.loops) for n in self.nodes), default=0)
        loop_room = (loops + 0.5) * LOOP_HEIGHT if loops else 0.0  # a rolled cell's loops, above it
        below = [i for i, (side, _) in self.place.items() if side == "below"]
        below_height = max([boxes[i].height for i in below], default=0.0)
        below_rows = {self.place[i][1] for i in below}  # x_t under the row it feeds (each call's own)
        y, below_y = 0.0, {}
        self.row_y = []
        for r in range(rows):
            if r in below_rows:
                below_y[r] = y + below_height / 2
                y += below_height + self.space.gap_y * 2
            y += self.lanes_below[r] * self.space.lane + (self.space.lane if self.lanes_below[r] else 0.0)
            self.row_y.append(y + band[r] / 2)
            above_row = max(band[r] / 2, block_height[r] / 2 + labels_above[r])
            y += band[r] / 2 + above_row + (self.lanes_above[r] + 1) * self.space.lane + self.space.gap_y + loop_room
        self.block_top = [self.row_y[r] + block_height[r] / 2 + labels_above[r] for r in range(rows)]
        self.block_bottom = [self.row_y[r] - block_height[r] / 2 for r in range(rows)]
        # between the steps and the nodes beside them: room for the label of a straight edge across (h_T → J),
        # and for a line that passes up beside the first or last column (x_1 to a reverse row) clear of them.
        # On a slide each side as wide as its own labels need (J's ∂J/∂h_T on the right widened the left too)
        side_of = {i: on_left for (on_left, _, _), members in self.beside.items() for i in members}
        loop_labels = [max(len(line) for line in self.loop_label(loop, len(self.nodes[i].loops))) * CHAR
                       for i in self.block_of for loop in self.nodes[i].loops]

        def gap_beside(on_left: bool | None) -> float:
            return max([self.space.column_gap_min] + loop_labels + [
                len(label) * 5.4 + 2 * ARROW + 4 for (tail, head), kind in self.kind.items()
                if kind == ("straight",) and (tail in self.block_of) != (head in self.block_of)
                and (label := self._labels.get((tail, head)))
                and (on_left is None or side_of.get(head if tail in self.block_of else tail) in (on_left, None))])

        gap_left, gap_right = (gap_beside(True), gap_beside(False)) if self.slide else (gap_beside(None),) * 2
        first_left = sum(columns_beside[True]) + gap_left  # the left side of the first column
        # a state's label sits between two cells: the gap as wide as the longest (a BPTT arrow's part of ∂J/∂h)
        # (every state of the gap: two cells pass h and c along one pair of nodes, which self.kind holds once)
        self.column_gap = max([self.space.column_gap_min] + [
            label_width(self._drawn(label, len(tracks))) + self.space.label_room
            - (self.column_width - max(boxes[tail].width, boxes[head].width))
            for (tail, head), kind in self.kind.items() if kind[0] == "state"
            and self.nodes[tail].kind == self.nodes[head].kind == "group"
            for tracks in [self.gap_tracks[kind[1:3]]] for label in tracks if label] + [
            # between two steps' boxes of ops, centred in the gap
            label_width(self._drawn(label, len(tracks))) + 4 - 2 * self.space.box_pad
            for (tail, head), kind in self.kind.items() if kind[0] == "state"
            and "group" not in (self.nodes[tail].kind, self.nodes[head].kind)
            for tracks in [self.gap_tracks[kind[1:3]]] for label in tracks if label])
        self.column_x = [first_left + sum(widths[:c]) + c * self.column_gap + widths[c] / 2 for c in range(len(widths))]
        left_edge = first_left - gap_left
        right_edge = self.column_x[-1] + widths[-1] / 2 + gap_right

        self.clusters: list[tuple[str, Box]] = []
        self.passage_x: dict[tuple[tuple[int, bool], int], float] = {}  # (passage, level drawn) → its line's x
        self.level_height = level_height
        passages_in: dict[tuple[int, int], list] = {}
        for (row, col, level), here in self.passage_spots.items():
            passages_in.setdefault((row, col), []).append((level, here))
        for (row, col), members in sorted(self.members.items()):
            centre_x = self.column_x[col]
            bottom = self.block_bottom[row] + self.space.box_pad
            for i in members:
                level = self.level[i]
                if self.backward:  # gradients flow downwards, back the way the values came
                    level = levels[row] - 1 - level
                start = centre_x - level_span[(row, self.level[i])] / 2
                before = sum(slot_width[(row, self.level[i], k)] + self.space.gap_x for k in range(self.order[i])) \
                    + sum(extra.get((row, self.level[i], k), 0.0) for k in range(self.order[i] + 1))
                boxes[i].x = start + before + slot_width[(row, self.level[i], self.order[i])] / 2
                boxes[i].y = bottom + self.level_middle[(row, level)]
            for level, here in passages_in.get((row, col), []):  # the lines through the gaps kept for them
                passages.place(self, here, row, col, level, node_at, block_width[row] / 2, centre_x)
            if clustered and self.steps:
                own = sorted({self.nodes[i].step for i in members})
                self.clusters.append((f"t={own[0] if len(own) == 1 else self.steps[col]}",
                                      Box(centre_x, self.row_y[row], block_width[row], block_height[row])))
        for (on_left, row, col), members in self.beside.items():
            widths = columns_beside[on_left]
            outwards = sum(widths[:col]) + widths[col] / 2
            x = left_edge - outwards if on_left else right_edge + outwards
            top = self.row_y[row] + (sum(boxes[i].height for i in members) + self.space.gap_y * (len(members) - 1)) / 2
            for i in members:
                boxes[i].x, boxes[i].y = x, top - boxes[i].height / 2
                top -= boxes[i].height + self.space.gap_y
        for i, (side, _) in self.place.items():
            if side == "below":  # under the node it feeds, where that is one node in its step (x_t → linear)
                fed = [h for h in self.successors[i] if h in self.block_of]
                x = boxes[fed[0]].x if len(fed) == 1 else self.column_x[self.column.get(self.at[i], 0)]
                boxes[i].x, boxes[i].y = x, below_y[self.place[i][1]]
            elif side == "column":  # a "…" of steps left out: level with the row whose state it passes on
                boxes[i].x = self.column_x[self.column.get(self.at[i], 0)]
                rows = [self.block_of[n][0] for n in self.successors[i] + self.predecessors[i] if n in self.block_of]
                rows = rows or list(range(len(self.row_y)))
                boxes[i].y = sum(self.row_y[r] for r in rows) / len(rows)

    def _lane_bases(self) -> None:
        """Where each row's lanes begin: at the top (or bottom) of its steps' block, or past every node beside the
        row that a lane runs over on its way from its trunk to the steps, where one stands taller than the block
        (layer 1's column of unbind, linear and Σ beside a short row of ops: layer 2's stack fed layer 1's steps
        along a lane through its unbind). The row's band already holds that room."""
        self.lane_top, self.lane_bottom = list(self.block_top), list(self.block_bottom)
        for row, above, owner in self.lane:
            if owner not in self.beside_slot:
                continue
            on_left, _, column = self.beside_slot[owner][0]  # its trunk rises beside this column, on the steps' side
            passed = [self.boxes[i] for (side, r, c), found in self.beside.items()
                      if side == on_left and r == row and c < column for i in found]
            if above:
                self.lane_top[row] = max([self.lane_top[row]] + [box.top + self.space.gap_y / 2 for box in passed])
            else:
                self.lane_bottom[row] = min([self.lane_bottom[row]] + [box.bottom - self.space.gap_y / 2
                                                                       for box in passed])

    def _state_label_top(self, row: int, gap: int) -> float:
        """How far above its row's middle the top state label in a gap between two cells reaches (as
        :meth:`~.routes.Routes._state_route` places it, growing upwards where it is broken in two lines)."""
        tracks = self.gap_tracks[(row, gap)]
        lines = max(len(self._drawn(label, len(tracks))) for label in tracks)
        low = min((self.boxes[i].height for (r, _), members in self.members.items() if r == row for i in members),
                  default=0.0)
        offset = (len(tracks) - 1) / 2 * low / 4  # the top track, above the middle
        return offset + 7 + LABEL_LINE * (lines - 1) + 9  # (a 9-point line rises 8 above its baseline)


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


def _layer_and_direction(key: tuple, chains: dict) -> tuple[int, bool]:
    """A row's layer and whether it runs right to left, from the chain its cells recorded (a row of
    a loop written by hand, or of the model's own ops: layer 0, left to right)."""
    chain = chains.get(key)
    if chain is None and key[:1] == (BACKWARD_ROW,):
        chain = chains.get(key[1:])
    return (chain.layer, chain.direction == "reverse") if chain is not None else (0, False)


def _row_order(keys: list[tuple[str, ...]], chains: dict):
    """Rows in the order of the lectures' figures: layer 0 at the bottom, each layer's reverse
    direction just above its forward one, the inputs of each step (e_t) below them; where a module
    ran several chains (one encoder read on two sentences), each call's rows as one block, the first
    call at the bottom; other rows (a hand-written loop) in the order first met."""
    first = {key: i for i, key in enumerate(keys)}
    call = chain_calls(chains.values())

    def order(key: tuple[str, ...]) -> tuple[int, int, int, int]:
        if key[:1] == (BACKWARD_ROW,):  # forward and backward in one figure: the backward rows under the forward
            below = order(key[1:])
            return (below[0] - (1 << 22), *below[1:])
        if key[:1] == (PER_STEP,) and key[1] != "input":  # a model's own ops, one per step: ŷ_t and J_t on top
            return 1 << 20, int(key[2]), 0, first[key]
        if key[:1] == (PER_STEP,):  # e_t below the layers of the call it feeds
            return call.get(chains.get(key[3:]), 0), -1, int(key[2]), first[key]
        layer, reverse = _layer_and_direction(key, chains)
        return call.get(chains.get(key), 0), layer, int(reverse), first.get(key, 0)

    return order


def _one_timeline(keys: list[tuple[str, ...]], at: list[int | None], in_step, nodes, chains: dict
                  ) -> tuple[list[tuple[str, ...]], dict]:
    """Rows that take turns in time (``at``: each node's place in time) share one row: an encoder's
    steps t = 1…S and its decoder's 1…T′ after them, the embeddings below each — one timeline, as
    the lectures draw an encoder–decoder, the
    state handed over between neighbouring columns. (Rows of one layer, direction and kind whose
    steps do not overlap.) The first key of each shared row stands for it."""
    steps: dict[tuple[str, ...], set] = {}
    for node, when, inside in zip(nodes, at, in_step):
        if inside:
            steps.setdefault(node.row, set()).add(when)

    def kind(key: tuple[str, ...]) -> tuple:
        if key[:1] == (BACKWARD_ROW,):
            return (BACKWARD_ROW, *kind(key[1:]))
        if key[:1] == (PER_STEP,):
            return key[:2]
        return _layer_and_direction(key, chains)

    shared: list[tuple[tuple, set, list]] = []  # (kind, steps so far, the keys)
    for key in keys:
        home = next((row for row in shared if row[0] == kind(key) and not row[1] & steps[key] and None not in
                     steps[key] | row[1]), None)
        if home is None:
            shared.append((kind(key), set(steps[key]), [key]))
        else:
            home[1].update(steps[key])
            home[2].append(key)
    row_of_key = {key: i for i, (_, _, members) in enumerate(shared) for key in members}
    return [members[0] for _, _, members in shared], row_of_key


def _one_timeline_only(row_keys: list, chains: dict) -> bool:
    """Whether the modules drawn share their rows (an encoder and its decoder on one timeline)."""
    return len({key[0] for key in row_keys if key in chains}) <= 1


def _row_name(key: tuple[str, ...], reverse: bool, rows: int, one_layer: bool = False, modules: bool = False) -> str:
    """'layer 1 →' beside each row, when there are several (layers counted from 1, as on a slide);
    'call 2 →' for a module's second chain ('call 2 layer 1 →' where it has several layers); the
    module first where several modules have rows of their own ('RNN 2 layer 1 →')."""
    if key[:1] == (BACKWARD_ROW,):
        name = _row_name(key[1:], reverse, rows, one_layer, modules)
        return f"∂ {name}" if name else ""
    if key[:1] == (PER_STEP,):
        return ""
    calls = any(part.startswith("call ") for part in key)
    words = [_on_slide(part) for part in key[0 if modules else 1:] if part not in ("forward",)
             and not (calls and one_layer and part.startswith("layer "))] or list(key)
    return (" ".join(words) + (" ←" if reverse else " →")) if rows > 1 and words else ""


def _on_slide(part: str) -> str:
    """'layer 0' → 'layer 1': a slide counts layers from 1 (h⁽¹⁾ at the bottom), PyTorch's names from 0 (_l0)."""
    words = part.split()
    return f"layer {int(words[1]) + 1}" if len(words) == 2 and words[0] == "layer" and words[1].isdigit() else part


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
