"""How much room each part of the grid takes, and where it lands: the width of each level's nodes side by
side, the height of each level, block and row (with its lanes, the nodes beside it and the labels of its states),
the width of the columns and the gaps between them; then each node's x and y, each step's box and where each
row's lanes begin. :class:`Coordinates` is the part of :class:`~.grid.Grid` that measures: it reads the
placement (:class:`~.placement.Placement`) and the lanes (:class:`~.lanes.Lanes`); which columns beside the rows
float, off their rows' level, is its base class's (:class:`~.floating_columns.FloatingColumns`)."""

from __future__ import annotations

from . import choice_routes, named_passes, passages
from .detached import named_in_gap
from .floating_columns import FloatingColumns
from .geometry import (
    ARROW,
    BOX_LABEL,
    LABEL_ASCENT,
    LABEL_CLEAR,
    LABEL_DESCENT,
    LABEL_OFFSET,
    NAMED_LEVEL_GAP,
    Box,
    drawn_width,
    label_depth,
    loop_label_left,
    loops_room,
    loops_width,
    spread_apart,
)
from .risers import BESIDE_COLUMN, RISER_SPACING
from .state_routes import one_sided, state_first, state_pitch
from .tracks import TRACK_PITCH


class Coordinates(FloatingColumns):
    """The sizes of the grid's levels, rows and columns, and each node's position in it."""

    # --- before measuring: a cell tall enough for the names of the states it passes on ------------
    def _room_for_state_names(self) -> None:
        """A cell that passes more than two states to the next (c and h, both ways) stands tall enough for a
        line of each one's name between their lines (they run a quarter of its height apart), nearer its own
        line than the next (a name midway between two lines reads as either's): three states at least as tall as
        for four (three pitches put their lines 12.75 apart, and a name 2.5 over its own line lay 0.8 under the next).
        A rolled cell, which passes its states to itself along loops over its top, stands wide enough for the
        loops' legs to stand apart."""
        for box, node in zip(self.boxes, self.nodes):
            if node.loops:
                box.width = max(box.width, loops_width(len(node.loops)))
        pitch = LABEL_ASCENT + LABEL_DESCENT + 3 * LABEL_OFFSET
        for (row, gap), tracks in self.gap_tracks.items():
            for i in self.members.get((row, gap), []) + self.members.get((row, gap + 1), []) if len(tracks) > 2 else []:
                if self.nodes[i].kind == "group":
                    self.boxes[i].height = max(self.boxes[i].height, max(4, len(tracks)) * pitch)

    # --- the sizes of levels, blocks, rows and columns; then each node's x and y ---------------------
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
        # f ⊙ c_{t−1} → c_t side by side (placement.py puts them so): a line as long as its arrowhead between them
        for op, state in self.forget_ops.items():
            key = (self.block_of[op][0], self.level[op], max(self.order[state], self.order[op]))
            extra[key] = max(extra.get(key, 0.0), ARROW)
        for (row, level, _), w in extra.items():
            level_span[(row, level)] += w
        for row, room in named_passes.border_room(self, slot_width, level_span, extra).items():  # a line's name
            border[row] = max(border.get(row, 0.0), room)  # over its last leg into a node's side, inside its step
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
        labels_above = [max([0.0] + [self._state_label_reach(row, gap, above=True) - block_height[r] / 2
                                     for (row, gap) in self.gap_tracks if row == r]) if self.slide and not clustered
                        else 0.0 for r in range(rows)]
        # … and below it for the bottom state's (h under c, growing downwards) where one of the row's lanes runs under
        # that gap (a Σ's bus ran 0.8 pt under (∂h₄/∂h₃)ᵀ ∂J/∂h₄, nearer it than its own arrow above)
        self.labels_below = [max([0.0] + [self._state_label_reach(row, gap, above=False) - block_height[r] / 2
                                          for (row, gap) in self.gap_tracks
                                          if row == r and self._lane_passes(r, False, gap)])
                             if self.slide and not clustered else 0.0 for r in range(rows)]
        band = list(block_height)  # a row's height: its steps, or the nodes stacked beside it
        reach = {True: [0.0] * rows, False: [0.0] * rows}  # how far a stack raised off its row's middle reaches: above?
        columns_beside: dict[bool, list[float]] = {True: [], False: []}
        self.floating = self._floating_columns(block_height)
        self.raised = {key: self._level_with_its_step(members, key[1]) for key, members in self.beside.items()
                       if (key[0], key[2]) not in self.floating}
        for (on_left, row, col), members in self.beside.items():
            if self.raised.get((on_left, row, col)):
                for above, sign in ((True, 1.0), (False, -1.0)):
                    reach[above][row] = max(reach[above][row], self._stack_height(members) / 2
                                            + sign * self.raised[(on_left, row, col)] + self.space.gap_y / 2)
            if (on_left, col) not in self.floating:  # (a floating column's nodes may stand beside the next row)
                # a stack beside a row holds it as tall as its nodes, a level's gap after each; on a slide, half a gap
                # less where it holds the row's initial states alone (h₀ over c₀): no lane runs round them (a whole gap
                # held a stacked bidirectional LSTM's rows 4.8 points taller, 27.4 px labels; a Σ keeps it: J's
                # ∂J/∂h₃⁽←⁾ runs under one into the reverse row, its name 1.6 points over h₃⁽→⁾'s with half a gap)
                less = self.space.gap_y / 2 if self.slide and self._initial_states(members) else 0.0
                band[row] = max(band[row], sum(boxes[i].height + self.space.gap_y for i in members) - less)
            widths = columns_beside[on_left]
            widths.extend([0.0] * (col + 1 - len(widths)))
            # (a column gap as wide as between the steps: a line passing up between two columns beside a
            # row, h_T of another row into J, keeps clear of both)
            widths[col] = max(widths[col], max(boxes[i].width for i in members) + self.space.column_gap_min)
        # every step's column: one width; a step's arrow named beside its line (∂J/∂h₂ from Σ down to tanh) has room
        # for its name on one side of the middle, clear of the lines through the gaps beside the column
        self.column_width = max(block_width + [2 * (drawn_width([label]) + LABEL_OFFSET + 2 * LABEL_CLEAR)
                                               for _, _, label in named]) if self.block_of else 0.0
        # a "…" standing for steps left out has a column of its own, as wide as its words: on a slide only that
        # (at op level a step's column is many times wider: a "…" as wide would save nothing of the slide's width)
        widths = [self.column_width] * max(len(self.steps), 1)
        stepped = {column for _, column in self.members}
        for box, node in zip(boxes, self.nodes):
            if node.kind == "ellipsis" and self.column.get(node.step, -1) not in stepped | {-1}:
                words = box.width + 2 * self.space.box_pad
                widths[self.column[node.step]] = words if self.slide else max(words, self.column_width)

        # a rolled cell's loops, above its own row only (added above every row, they left the rolled figure's
        # other rows 35 apart more than their boxes need: a tall, mostly empty figure, its text small on a slide)
        loop_room = [0.0] * rows
        for i, (row, _) in self.block_of.items():
            if self.nodes[i].loops:
                loops = self.nodes[i].loops  # (the first, outer arch's name the highest: lower ones are one line)
                loop_room[row] = max(loop_room[row], loops_room(len(loops), self.loop_label(loops[0], len(loops))))
        below = [i for i, (side, _) in self.place.items() if side == "below"]
        below_height = max([boxes[i].height for i in below], default=0.0)
        below_rows = {self.place[i][1] for i in below}  # x_t under the row it feeds (each call's own)
        between = self._named_between_rows(rows)
        y, below_y = 0.0, {}
        self.row_y = []
        for r in range(rows):
            if r in below_rows:
                below_y[r] = y + below_height / 2
                y += below_height + self.space.gap_y * 2
            y += self.lanes_below[r] * self.space.lane + (self.space.lane if self.lanes_below[r] else 0.0)
            below_row = max(band[r] / 2, block_height[r] / 2 + self.labels_below[r], reach[False][r])
            self.row_y.append(y + below_row)
            above_row = max(band[r] / 2, block_height[r] / 2 + labels_above[r], reach[True][r])
            y += below_row + above_row + (self.lanes_above[r] + 1) * self.space.lane + self.space.gap_y + loop_room[r] \
                + between[r]
        self.rows_top = y - self.space.gap_y  # (the bottom is 0: x_t, or the first row's lanes)
        self.block_top = [self.row_y[r] + block_height[r] / 2 + labels_above[r] for r in range(rows)]
        self.block_bottom = [self.row_y[r] - block_height[r] / 2 for r in range(rows)]
        # between the steps and the nodes beside them: room for the label of a straight edge across (h_T → J),
        # and for a line that passes up beside the first or last column (x_1 to a reverse row) clear of them.
        # On a slide each side as wide as its own labels need (J's ∂J/∂h_T on the right widened the left too)
        side_of = {i: on_left for (on_left, _, _), members in self.beside.items() for i in members}
        # a rolled cell's loops are named on their arches, rightwards (geometry.loop_label_at): how far past its
        # column's right side each name reaches. On a slide only the right side makes room for them, as far as they
        # reach
        loop_labels = [drawn_width(self.loop_label(loop, len(self.nodes[i].loops)))
                       for i in self.block_of for loop in self.nodes[i].loops]
        cell = {i: Box(0.0, 0.0, boxes[i].width, boxes[i].height) for i in self.block_of if self.nodes[i].loops}
        loops_reach = [loop_label_left(box, k, len(self.nodes[i].loops)) + 2 * LABEL_CLEAR - self.column_width / 2
                       + drawn_width(self.loop_label(loop, len(self.nodes[i].loops)))
                       for i, box in cell.items() for k, loop in enumerate(self.nodes[i].loops)]

        # forward and backward on one set of nodes, three or more initial states into one step from beside it (a step
        # node's h₀ and c₀ of two layers, under the Σ): their upright stretches nested a track apart, clear of the
        # Σ's bus rising beside their column and of the arrowheads (level with their entries, they need no room)
        nested: dict[bool, list[float]] = {True: [], False: []}
        for i in self.block_of if self.both_ways else []:
            started = self._started(i) if self.nodes[i].kind == "group" else []
            for on_left in {side_of[t] for t in started if t in side_of}:
                count = sum(side_of.get(t) == on_left for t in started)
                nested[on_left] += [count * TRACK_PITCH + ARROW] if count > 2 else []

        def gap_beside(on_left: bool | None) -> float:  # (a straight arrow's name in the gap: detached.named_in_gap)
            room = {None: loop_labels + nested[True] + nested[False], True: nested[True],
                    False: loops_reach + nested[False]}[on_left]
            return max([self.space.column_gap_min] + room + [
                drawn_width([label]) + 2 * ARROW + 4 - (self._narrower_than_its_column(outside, columns_beside)
                                                        if on_left is not None else 0.0)
                for (tail, head), kind in self.kind.items()
                if kind == ("straight",) and (tail in self.block_of) != (head in self.block_of)
                and (label := self._labels.get((tail, head))) and named_in_gap(label, self.nodes, tail, head)
                and (outside := head if tail in self.block_of else tail) is not None
                and (on_left is None or side_of.get(outside) in (on_left, None))])

        gap_left, gap_right = (gap_beside(True), gap_beside(False)) if self.slide else (gap_beside(None),) * 2
        first_left = sum(columns_beside[True]) + gap_left  # the left side of the first column
        # a state's label sits between two cells: the gap as wide as the longest (a BPTT arrow's part of ∂J/∂h)
        # (every state of the gap: two cells pass h and c along one pair of nodes, which self.kind holds once), and
        # where lines run up the gap close beside the cells, the label in its middle clear of them too
        up_the_gap = self._lines_up_a_gap()
        # a choice fed back (generation) drops down one side of the gap an arrowhead's length clear of the state's
        # head into the next column's widest box (Routes._choice_route): the state's label beside it, clear of it and
        # of the cell on the other side, which stands in from its column's edge by half the slack
        drop = 2 * ARROW + 3 * LABEL_CLEAR if choice_routes.drops_in_a_gap(self) else 0.0  # (not round the end)
        top_first = {gap: sorted(tracks, key=state_first) for gap, tracks in self.gap_tracks.items()}
        needs: dict[int, list[float]] = {}  # each gap between two steps (0: right of the first): what it carries needs
        for (tail, head), kind in self.kind.items():
            if kind[0] != "state":
                continue
            tracks = top_first[kind[1:3]]
            if self.nodes[tail].kind == self.nodes[head].kind == "group":
                slack = self.column_width - max(boxes[tail].width, boxes[head].width)
                room = max(self.space.label_room - slack, drop - slack / 2,
                           2 * (up_the_gap + LABEL_CLEAR) if up_the_gap else 0.0)
            elif "group" not in (self.nodes[tail].kind, self.nodes[head].kind):
                room = 4 - 2 * self.space.box_pad  # between two steps' boxes of ops, centred in the gap
            else:
                continue
            needs.setdefault(kind[2], []).extend(drawn_width(self._state_lines(label, tracks)) + room
                                                 for label in tracks if label)
        self.column_gap = max([self.space.column_gap_min] + [need for each in needs.values() for need in each])
        for (tail, head), label in self._labels.items():  # beside a "…" (its column as wide as its words): the names
            # of what passes it, each as drawn in a gap of its own (in the lines a state's name takes), and the room
            # (gaps_each only: with every gap as wide as the widest, such a name breaks into the lines its gap holds)
            columns = [self.column.get(self.nodes[n].step) if self.nodes[n].kind == "ellipsis"
                       else self.block_of.get(n, (None, None))[1] for n in (tail, head)]
            if "ellipsis" in (self.nodes[tail].kind, self.nodes[head].kind) and None not in columns \
                    and abs(columns[0] - columns[1]) == 1:
                needs.setdefault(min(columns), []).append(  # (and an arrowhead's length more: the "…" has no pad)
                    drawn_width(self._drawn(label, 2)) + self.space.label_room + ARROW)
        # each gap as wide as the widest of all (the steps alike), or — the fit ladder's rung for a figure that misses
        # its slide by its width (gaps_each) — as wide as what that gap itself carries: the one gap whose state reads
        # "detach(): value only, no gradient" wide, the others as their own labels need
        own = [max([self.space.column_gap_min] + needs.get(gap, [])) for gap in range(len(widths) - 1)]
        self.gaps_narrowable = any(width < self.column_gap for width in own)  # (the rung would draw it narrower)
        self.gap_width = own if self.gaps_each else [self.column_gap] * len(own)
        self.column_widths = widths
        self.column_x = [first_left + sum(widths[:c]) + (sum(own[:c]) if self.gaps_each else c * self.column_gap)
                         + widths[c] / 2 for c in range(len(widths))]
        left_edge = first_left - gap_left
        right_edge = self.column_x[-1] + widths[-1] / 2 + gap_right

        self.clusters: list[tuple[str, Box]] = []
        self.passage_x: dict[tuple[tuple[int, bool, int], int], float] = {}  # (passage, level drawn) → its line's x
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
        middle = self._beside_middles()
        for (on_left, row, col), members in self.beside.items():
            widths = columns_beside[on_left]
            outwards = sum(widths[:col]) + widths[col] / 2
            x = left_edge - outwards if on_left else right_edge + outwards
            key = (on_left, row, col)
            top = middle[key] + self._stack_height(members) / 2 + self.raised.get(key, 0.0)
            top += self._to_the_cell_states_level(members, top, row)
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
        for row in below_y:  # two inputs under one step side by side (a length mask m_t under the wheres it feeds,
            # at the step's middle, and x_t under its linear: 10.7 points into each other), moved apart
            line = sorted((i for i, (side, r) in self.place.items() if side == "below" and r == row),
                          key=lambda i: boxes[i].x)
            held = [self._straight_up(i) for i in line]
            spread = spread_apart([boxes[i].x for i in line], [boxes[i].width for i in line], self.space.gap_x, held)
            for i, x in zip(line, spread):
                boxes[i].x = x

    def _straight_up(self, node: int) -> bool:
        """Whether an input under a step feeds one node, in the step's lowest level: its line runs straight up into
        it (x_t into its linear), where a mask read by wheres higher up goes round the ops in between."""
        fed = [h for h in self.successors[node] if h in self.block_of]
        return len(fed) == 1 and self.boxes[fed[0]].bottom <= min(
            self.boxes[m].bottom for m in self.members[self.block_of[fed[0]]]) + 1.0

    def _narrower_than_its_column(self, node: int, columns_beside: dict[bool, list[float]]) -> float:
        """How much farther out than its column's widest node a node in the column next to the steps stands (half of
        what that one is wider; 0 farther out): room its arrow's name from the steps has already. (A classifier's
        linear, under the reverse row's Σ 46 points wider, had the gap widened to 53 points for its ∂J/∂h₄⁽→⁾.)"""
        if node not in self.beside_slot or self.beside_slot[node][0][2] != 0:
            return 0.0
        on_left = self.beside_slot[node][0][0]
        return max(0.0, (columns_beside[on_left][0] - self.space.column_gap_min - self.boxes[node].width) / 2)

    def _to_the_cell_states_level(self, members: list[int], top: float, row: int) -> float:
        """How far up a stack of nodes beside a row (its ``top``) moves so that an LSTM's c₀ in it stands level with
        the f ⊙ c₀ it feeds (:meth:`.Placement._cell_state_on_one_level`): c₀ → f ⊙ c₀ → c₁ along one line. 0 where
        the stack holds no c₀, or would then reach past its row's steps."""
        for i in members:
            fed = [op for op in self.successors[i] if op in self.forget_ops]
            if fed:
                move = self.boxes[fed[0]].y - (top - self.boxes[i].height / 2)
                bottom = top - self._stack_height(members)
                inside = self.block_bottom[row] <= bottom + move and top + move <= self.block_top[row]
                return move if inside else 0.0
            top -= self.boxes[i].height + self.space.gap_y
        return 0.0

    def _level_with_its_step(self, members: list[int], row: int) -> float:
        """How far a BPTT slide's stack beside a row rises off the row's middle so that the one node in it with a
        straight arrow into the row's steps stands level with them: the head's linear under J and its loss, its
        ∂J/∂h_T⁽→⁾ one straight line (centred, linear stood a node lower: the line bent up into h_T, and its name,
        no longer room for it there, ran past where ∂J/∂h₁⁽←⁾ forks off it). 0 elsewhere."""
        into = [k for k, i in enumerate(members) if self.slide and self.backward and any(
            self.kind.get((i, s)) == ("straight",) and self.block_of[s][0] == row for s in self.successors[i]
            if s in self.block_of)]
        if len(into) != 1:
            return 0.0
        above = self._stack_height(members[:into[0]]) + self.space.gap_y if into[0] else 0.0
        return above + self.boxes[members[into[0]]].height / 2 - self._stack_height(members) / 2

    def _lane_bases(self) -> None:
        """Where each row's lanes begin: at the top (or bottom) of its steps' block, or past every node beside the
        row that a lane runs over on its way from its trunk to the steps, where one stands taller than the block
        (layer 1's column of unbind, linear and Σ beside a short row of ops: layer 2's stack fed layer 1's steps
        along a lane through its unbind). The row's band already holds that room."""
        self.lane_top = list(self.block_top)
        self.lane_bottom = [bottom - below for bottom, below in zip(self.block_bottom, self.labels_below)]
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
        pitch = self.space.lane  # every lane's height, the lanes above each row and below it (_clear_of_lanes)
        self.lane_heights = [self.lane_top[row] + (k + 1) * pitch for row, count in enumerate(self.lanes_above)
                             for k in range(count)] + [self.lane_bottom[row] - (k + 1) * pitch
                                                       for row, count in enumerate(self.lanes_below)
                                                       for k in range(count)]
        self._ends_onto_their_lanes()

    def _lane_height(self, lane_key: tuple) -> float:
        """The height of a row's bus lane (``lane_key``: row, above the row?, which lane)."""
        row, above, _ = lane_key
        lane = self.lane[lane_key] + 1
        return self.lane_top[row] + lane * self.space.lane if above else self.lane_bottom[row] - lane * self.space.lane

    def _lines_up_a_gap(self) -> float:
        """How far from the cells beside a gap between two steps the outermost line up it runs (0: none does): a
        bidirectional layer's input into its reverse row (BESIDE_COLUMN off the column: ``_input_into_a_row_above``),
        a lower layer's state into the layer above's other direction (on lanes beside the column: ``_riser_x``)."""
        inputs = any(self._input_into_a_row_above(tail, head) and self.block_of[head][1] > 0
                     for tail, head, _ in self.edge_list)
        lanes = max([len(self._risers_beside(column, on_left)) for column in range(len(self.steps))
                     for on_left in (True, False)] + [int(inputs)])
        return BESIDE_COLUMN + (lanes - 1) * RISER_SPACING if lanes else 0.0

    def _state_label_reach(self, row: int, gap: int, above: bool) -> float:
        """How far above (``above``) or below its row's middle the outermost state label in a gap between two cells
        reaches, as :meth:`~.state_routes.StateRoutes._state_route` places them: the top one above its line, growing
        upwards where it is broken in two lines; the bottom one (h under c) 8 under its line, growing downwards — none
        below where the gap holds one state, or more than four (:func:`~.state_routes.one_sided`: each label lies
        above its line)."""
        tracks = sorted(self.gap_tracks[(row, gap)], key=state_first)
        if not above and (len(tracks) < 2 or one_sided(tracks)):
            return 0.0
        depth = max(label_depth(self._state_lines(label, tracks)) for label in (tracks if above else tracks[-1:]))
        low = min((self.boxes[i].height for (r, _), members in self.members.items() if r == row for i in members),
                  default=0.0)
        offset = (len(tracks) - 1) / 2 * state_pitch(low, len(tracks))  # the outermost track, off the middle
        if above:
            return offset + 7 + depth + 9  # (a 9-point line rises 8 above its baseline)
        return offset + 8 + depth + LABEL_DESCENT
