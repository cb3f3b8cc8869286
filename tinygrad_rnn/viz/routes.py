"""The routes between a grid's nodes: inside a step straight; a state from one step to the next through
the gap between their columns; a node feeding (or fed by) many steps along one bus lane, with a drop into
each step; and the ways round a column, past levels and through gaps. :class:`Routes` is the part of
:class:`~.grid.Grid` that routes: it reads the grid's placement (boxes, kind, lanes, columns)."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right

from . import passages
from . import tracks as unnamed  # (here `tracks` names a gap's list of named states)
from .geometry import (
    ARROW,
    LABEL_CLEAR,
    LABEL_LINE,
    LOOP_HEIGHT,
    Box,
    Route,
    clear_of_corners,
    clip,
    drawn_width,
    finish,
    label_lines,
    line_enters,
    loops_left,
    off_the_corner,
)
from .picture import CHOICES, is_backward_rule
from .risers import BESIDE_COLUMN, Risers
from .scripts import FROM_SUPERSCRIPT

TRUNK_CLEARANCE = 6.0  # points between a trunk and the trunks inside it whose lanes cross it (routes._nested_trunks)
LONG_BESIDE = 24  # characters: a steep arrow's label longer than this, beside it on a slide, breaks in two


class Routes(Risers):
    """Routing, given a placed grid (see :class:`~.grid.Grid`, which sets every attribute read here)."""

    _by_centre: tuple[list[int], list[float], float] | None = None  # the nodes by their centres' x, once placed
    _unnamed_orders: dict[tuple[int, int], list] | None = None  # (row, gap) → its unnamed states' tracks, in order

    def _input_into_a_row_above(self, tail: int, head: int) -> bool:
        """Whether an input under its row feeds a row above it (a bidirectional layer's x_t into its reverse row):
        its line runs up close beside the head's column, in the gap between two steps (BESIDE_COLUMN off it)."""
        return self.place.get(tail, ("",))[0] == "below" and head in self.block_of \
            and self.block_of[head][0] > self.place[tail][1]

    def route(self, tail: int, head: int, label: str) -> Route:
        a, b = self.boxes[tail], self.boxes[head]
        kind = self.kind[(tail, head)]
        if kind[0] == "state":
            return self._state_route(a, b, kind, label, (tail, head))
        if kind[0] == "bus":
            return self._bus_route(tail, head, a, b, kind[1], label)
        if label in CHOICES and abs(a.x - b.x) > 1 and abs(a.y - b.y) > 1:
            return self._choice_route(a, b, label)
        block_of = self.block_of
        ellipsis = [i for i in (tail, head) if self.nodes[i].kind == "ellipsis"]
        other = (head if ellipsis[0] == tail else tail) if ellipsis else None
        if ellipsis and other not in block_of and self._bus_of(other) is not None:
            return self._ellipsis_bus(tail, head, a, b, label)
        if other in block_of and abs(a.y - b.y) < 1:  # level with it: straight across, named in the middle
            # an LSTM passes two states into the steps left out: c above h, as between two cells
            tracks = sorted({found for t, h, found in self.edge_list if {t, h} == {tail, head}}, key=state_first)
            offset = -(tracks.index(label) - (len(tracks) - 1) / 2) * min(a.height, b.height) / 4
            rightwards = b.x > a.x
            start = (a.right if rightwards else a.left, a.y + offset)
            end = (b.left if rightwards else b.right, b.y + offset)
            return finish([start], end, label, ((start[0] + end[0]) / 2, start[1] + (7 if offset >= 0 else -8)))
        if other in block_of:  # between the steps left out and a step drawn: through the gap beside it
            return self._through_gap(tail, a, b, block_of[other][1], label, **self._past_steps_left_out(tail, head))
        if self._is_riser(tail, head):  # up past the rows in between
            return self._riser(tail, head, a, b, label)
        if self._input_into_a_row_above(tail, head):
            # between two steps close beside b's column, clear of the states named mid-gap (as up past rows);
            # left of the first step down the middle, clear of the bus of the initial states beside it
            beside = BESIDE_COLUMN if block_of[head][1] > 0 else self.column_gap / 2
            return self._dogleg(a, b, b.x - self.column_width / 2 - beside, label)
        if (tail in block_of) != (head in block_of) and self.place.get(tail if head in block_of else head,
                                                                        ("",))[0] in ("start", "end"):
            inside = head if head in block_of else tail
            if self.nodes[inside].kind == "op":  # into (or out of) a step through the gap beside it
                route = self._through_gap(tail, a, b, block_of[inside][1], label, self._side_taken(
                    inside, tail if inside == head else head))
                if tail == inside and self._crosses_a_node(route, tail, head):  # y_T into the end of a long sum
                    return self._over_beside(a, b, route, label)
                return route
            if self.nodes[inside].kind == "group" and head == inside and len(self._started(head)) > 1:
                # h₀ and c₀ into an LSTM's first cell: each its own arrow, at its state's height (c above h, as
                # c₁ and h₁ leave the cell), not one arrowhead that two quantities share
                return self._through_gap(tail, a, b, block_of[inside][1], label,
                                         end_y=self._entry_y(tail, head), nested=self._nested(tail, head),
                                         innermost=(len(self._started(head)) - 1) / 2)
            entry = self._clear_of_lanes(head, a.y) if tail == inside else None
            if entry == a.y and abs(a.y - b.y) > 1:  # straight across into a floating column's node, named mid-way
                rightwards = b.x > a.x
                start, end = (a.right if rightwards else a.left, a.y), (b.left if rightwards else b.right, a.y)
                route = finish([start], end, label, ((start[0] + end[0]) / 2, a.y + 7))
                if not self._crosses_a_node(route, tail, head):
                    return route
            if abs(a.y - b.y) > 1:  # a cell of another row into a head beside the rows (two sentences' final
                # states into one classifier), or its gradient back: round the corner, not across what lies between
                route = self._through_gap(tail, a, b, block_of[inside][1], label, self._side_taken(
                    inside, tail if inside == head else head), end_y=entry)
                if not self._crosses_a_node(route, tail, head):
                    return route
        slots = self.beside_slot.get(tail), self.beside_slot.get(head)
        if slots[0] and slots[1] and slots[0][0] == slots[1][0] and abs(slots[0][1] - slots[1][1]) > 1:
            return self._around_column(a, b, slots[0][0], label)  # past the nodes between them, not through
        if slots[0] and slots[1] and slots[0][0][:2] == slots[1][0][:2] and slots[0][0] != slots[1][0] \
                and abs(a.y - b.y) > 1:  # from one column beside the row to the next: a right-angled step
            rightwards = b.x > a.x
            column = [self.boxes[i] for i in self.beside[slots[1][0]]]  # beside b's column: past its widest node
            edge = min(box.left for box in column) if rightwards else max(box.right for box in column)
            gap_x = edge - (self.space.gap_x / 2 if rightwards else -self.space.gap_x / 2)
            start = (a.right if rightwards else a.left, a.y)
            end = (b.left if rightwards else b.right, b.y)
            gap_x = self._rule_step_x(tail, head, slots[1][0], gap_x, rightwards)
            return finish([start, (gap_x, a.y), (gap_x, b.y)], end, label, ((start[0] + gap_x) / 2, a.y + 7))
        if tail in block_of and block_of.get(head) == block_of[tail] and abs(self.level[head] - self.level[tail]) > 1:
            return self._past_levels(tail, head, a, b, label)
        if self.nodes[tail].loops and b.bottom > a.top and abs(a.x - b.x) < 1:  # up out of a rolled cell's top
            return self._beside_loops(a, b, label, len(self.nodes[tail].loops))
        straight = self._straight(a, b, label)
        if tail in block_of and block_of.get(head) == block_of[tail] and self.level[head] != self.level[tail] \
                and self._crosses_a_node(straight, tail, head):  # past a neighbour made taller by a broken label
            return self._bent_under(tail, head, a, b, label)
        return straight

    def _rule_step_x(self, tail: int, head: int, column: tuple, gap_x: float, rightwards: bool) -> float:
        """Where a backward rule's gradient steps down (or up) into the next column beside the row, beside its
        others there (∂J/∂W_ih and ∂J/∂b_ih of the linear under the steps ran down one line at ``gap_x`` into two
        nodes): the one whose head lies nearest level with the rule nearest the column, where each head keeps its
        arrowhead's last leg, the rest each a track further back, so that the lines nest and none crosses another.
        ``gap_x`` where the line is alone there, or carries one value."""
        if not is_backward_rule(self.nodes[tail]):
            return gap_x
        a = self.boxes[tail]
        heads = sorted({h for h in self.successors[tail] if self.beside_slot.get(h, (None,))[0] == column
                        and abs(self.boxes[h].y - a.y) > 1}, key=lambda h: abs(self.boxes[h].y - a.y))
        if len(heads) < 2:
            return gap_x
        toward = 1 if rightwards else -1  # (towards the column)
        faces = [self.boxes[h].left if rightwards else self.boxes[h].right for h in heads]
        nearest = toward * min([toward * gap_x] + [toward * face - ARROW - 2 for face in faces])  # (as finish keeps)
        return nearest - toward * heads.index(head) * unnamed.TRACK_PITCH

    def _straight(self, a: Box, b: Box, label: str) -> Route:
        """From a's border straight to b's, the label beside the line."""
        start, end = clip(a, (b.x, b.y)), clip(b, (a.x, a.y))
        if a.top < b.bottom or b.top < a.bottom:  # one above the other: out of and into the faces that face
            start, end = off_the_corner(a, start, b), off_the_corner(b, end, a)
        # beside the line, not on it: a steep line's label (centred on its point) to its right, clear of
        # it; ŷ_t → the next input crosses h_t at its middle, so that one is labelled before the middle
        steep = abs(end[0] - start[0]) < abs(end[1] - start[1])
        # on a slide a steep line's label wider than a column's gap in two lines, as between two steps: a layer's
        # chain rule into the layer below, (∂(h₂⁽²⁾, c₂⁽²⁾)/∂h₂⁽¹⁾)ᵀ ∂J/∂(h₂⁽²⁾, c₂⁽²⁾), in one line was pushed off
        # its own line to the left, under the previous column's (or the Σ beside the first)
        wide = len(label) > LONG_BESIDE  # (a short one, t=1, t=2, t=3 into a Σ, (1/4) ∂J₁/∂h₁, stays one line)
        lines = self._drawn(label) if steep and wide and label not in CHOICES else [label]
        widest = max(len(line) for line in lines)
        along, beside = (0.25 if label in CHOICES else 0.5), (3 * widest + 6 if steep or label in CHOICES else 4)
        route = finish([start], end, label, (start[0] + (end[0] - start[0]) * along + beside,
                                              start[1] + (end[1] - start[1]) * along + 6
                                              + LABEL_LINE * (len(lines) - 1) / 2))
        if len(lines) > 1 and route.label_at is not None:
            route.label_lines = lines
        return route

    def _beside_loops(self, a: Box, b: Box, label: str, loops: int) -> Route:
        """Up from a rolled cell to the node above it (layer 1's h_t into layer 2), left of the loops that arch
        over the right part of its top: from the middle of the top it ran up along the loop's leg and arch."""
        x = min(a.x, loops_left(a, loops) - 2 * BESIDE_COLUMN)  # clear of the loop's arrowhead too
        into = clear_of_corners(b, x)  # b's bottom: a narrow head ("linear", its
        start = (x, a.top)                                   # weights hidden) stands right of x
        if abs(into - x) < 0.5:
            return finish([start], (x, b.bottom), label, (x + 3 * len(label) + 6, (a.top + b.bottom) / 2 + 6))
        # up past the loops' arches, across under b, and up into it: a line straight up from x ended in
        # the space beside b, its arrowhead pointing at nothing
        turn = min(a.top + LOOP_HEIGHT * (loops + 0.5), (a.top + b.bottom) / 2)  # over the arches: a long last leg
        return finish([start, (x, turn), (into, turn)], (into, b.bottom), label,
                      (into + 3 * len(label) + 6, (turn + b.bottom) / 2))

    def _bent_under(self, tail: int, head: int, a: Box, b: Box, label: str) -> Route:
        """Inside a step, to the next level where the straight line would clip a node beside a or b (on a
        slide, one whose label is broken in lines stands taller than its neighbours): across the gap
        between the two levels, then straight into b's face — diagonally out of a where that is clear, else
        at right angles: out of a's face into the middle of the gap, along it, and into b's face."""
        up = b.y > a.y  # from below (forward) or above (a gradient graph)
        toward = 1.0 if up else -1.0
        # the gap between the levels: from the face of a's level nearest b's to the face of b's nearest a's
        tails, heads = self._level_of(tail), self._level_of(head)
        if up:
            gap_start, gap_end = max(box.top for box in tails), min(box.bottom for box in heads)
        else:
            gap_start, gap_end = min(box.bottom for box in tails), max(box.top for box in heads)
        end = (b.x, b.bottom if up else b.top)
        turn = (b.x, gap_end - toward * self.space.gap_y / 2)
        start = clip(a, turn)
        diagonal = finish([start, turn], end, label,
                          ((start[0] + turn[0]) / 2 + 3 * len(label) + 6, (start[1] + turn[1]) / 2 + 6))
        if not self._crosses_a_node(diagonal, tail, head):
            return diagonal
        middle = (gap_start + gap_end) / 2
        x = clear_of_corners(a, b.x)  # as near b as a allows
        return finish([(x, a.top if up else a.bottom), (x, middle), (b.x, middle)], end, label,
                      ((x + b.x) / 2, middle + 6))

    def _level_of(self, node: int) -> list[Box]:
        """The boxes of the nodes at ``node``'s level of its step (itself among them)."""
        return [self.boxes[i] for i in self.members[self.block_of[node]] if self.level[i] == self.level[node]]

    def _bus_of(self, node: int) -> tuple | None:
        """The lane of the bus between a node beside the rows and the steps (J and its J_t), if it has one."""
        return next((kind[1] for (tail, head), kind in self.kind.items()
                     if kind[0] == "bus" and node in (tail, head)), None)

    def _ellipsis_bus(self, tail: int, head: int, a: Box, b: Box, label: str) -> Route:
        """Between the steps left out ("…") and a node beside the rows that has a bus to the steps drawn (J, the
        mean of the J_t): along that bus's lane, straight up or down from the "…" — not across the steps drawn."""
        ellipsis_is_tail = self.nodes[tail].kind == "ellipsis"
        other = head if ellipsis_is_tail else tail
        lane_key = self._bus_of(other)
        row, above, _ = lane_key
        lane = self.lane[lane_key] + 1
        y = self.lane_top[row] + lane * self.space.lane if above else self.lane_bottom[row] - lane * self.space.lane
        rightwards = b.x > a.x
        if ellipsis_is_tail:  # up (or down) into the lane, along it, into the node's side
            trunk = self._trunk_x(head, b, lane_key, rightwards)
            start = (a.x, a.top if y > a.y else a.bottom)
            return finish([start, (a.x, y), (trunk, y), (trunk, b.y)], (b.left if rightwards else b.right, b.y),
                           label, (a.x + 8, y + 6))
        trunk = self._trunk_x(tail, a, lane_key, not rightwards)
        start = (a.right if rightwards else a.left, a.y)
        end = (b.x, b.top if y > b.y else b.bottom)
        return finish([start, (trunk, a.y), (trunk, y), (b.x, y)], end, label, (b.x + 8, y + 6))

    def _crosses_a_node(self, route: Route, tail: int, head: int) -> bool:
        """Whether a route passes through a node it does not connect (it would read as an arrow into it), tried
        against the nodes within its extent only (the grid's index across, their heights along). Asked here and
        by the detours (:func:`.detours.mend`), which reroute such an edge."""
        points = [*route.points, route.end]
        xs, ys = [x for x, _ in points], [y for _, y in points]
        low, high = min(ys), max(ys)
        return any(line_enters(points, (box.left, box.bottom, box.right, box.top), 1.0)
                   for i, box in self._boxes_across(min(xs), max(xs))
                   if i not in (tail, head) and box.bottom < high and box.top > low)

    def _boxes_across(self, low_x: float, high_x: float) -> list[tuple[int, Box]]:
        """The nodes (index, box) that reach into low_x ≤ x ≤ high_x. Only those can meet a route there: trying
        every node for every route made drawing a long unroll quadratic (an op-level LSTM of 200 steps at free
        size took over a minute). The nodes are sorted by their centres once, after placement, and bisected."""
        if self._by_centre is None:
            order = sorted(range(len(self.boxes)), key=lambda i: self.boxes[i].x)
            widest = max((box.width for box in self.boxes), default=0.0)
            self._by_centre = (order, [self.boxes[i].x for i in order], widest / 2)
        order, centres, half_width = self._by_centre
        first, last = bisect_left(centres, low_x - half_width), bisect_right(centres, high_x + half_width)
        return [(i, self.boxes[i]) for i in order[first:last]]

    def _over_beside(self, a: Box, b: Box, route: Route, label: str) -> Route:
        """Out of a step through the gap beside it, over the nodes beside the row up to b's column, and
        down beside that column into b's side (a node above b in its column is passed, not entered)."""
        gap_x = route.points[1][0]
        rightwards = b.x > gap_x
        side_x = (b.left - self.space.gap_x / 2 - 3) if rightwards else (b.right + self.space.gap_x / 2 + 3)
        between = [box for box in self.boxes if min(gap_x, side_x) < box.x < max(gap_x, side_x) or box is b]
        over = max([box.top for box in between] + [a.y]) + self.space.gap_y / 2
        start = route.points[0]
        end = (b.left if rightwards else b.right, b.y)
        return finish([start, (gap_x, a.y), (gap_x, over), (side_x, over), (side_x, b.y)], end, label,
                       ((start[0] + gap_x) / 2, a.y + 7))

    def _around_column(self, a: Box, b: Box, column: tuple[bool, int, int], label: str) -> Route:
        """Between two nodes of one column beside a row with others between them: along its left
        side (what a node there passes on leaves on its right)."""
        x = min(self.boxes[i].left for i in self.beside[column]) - self.space.gap_x / 2
        start, end = (a.left, a.y), (b.left, b.y)
        return finish([start, (x, a.y), (x, b.y)], end, label, (x + 8, (a.y + b.y) / 2))

    def _state_route(self, a: Box, b: Box, kind: tuple, label: str, edge: tuple[int, int]) -> Route:
        """From one step to the next through the gap between their columns; where each step is one
        node (cell level, or a fused cell at op level), straight across (an LSTM's c above its h)."""
        _, row, gap, _ = kind
        tracks = sorted(self.gap_tracks[(row, gap)], key=state_first)  # c before h: the cell state runs on top
        track = tracks.index(label) - (len(tracks) - 1) / 2
        if not label and len(self.gap_unnamed[(row, gap)]) > 1:  # unnamed values, each on a track of its own
            track = self._unnamed_track(row, gap, edge)
        rightwards = b.x > a.x
        one_node_per_step = self.nodes[self.members[(row, gap)][0]].kind == "group" or (
            len(tracks) > 1 and abs(a.y - b.y) < 1)  # parallel states between two nodes level with each other
        if one_node_per_step:
            offset = -track * state_pitch(min(a.height, b.height), len(tracks))
            start = (a.right if rightwards else a.left, a.y + offset)
            end = (b.left if rightwards else b.right, b.y + offset)
            above = offset >= 0
            route = finish([start], end, label, ((start[0] + end[0]) / 2, start[1] + (7 if above else -8)))
            return self._broken(route, label, above, tracks)
        gap_x = self._gap_middle(gap) + track * unnamed.TRACK_PITCH
        start = (a.right if rightwards else a.left, a.y)
        end = (b.left if rightwards else b.right, b.y)
        points = [start, (gap_x, a.y), (gap_x, b.y)]
        # centred on the gap (not over the boxes beside it), on the side of the line away from where it turns
        above = not b.y > a.y + 1
        route = finish(points, end, label, (gap_x, a.y + 7 if above else a.y - 9))
        return self._broken(route, label, above, tracks)

    def _gap_middle(self, gap: int) -> float:
        """The x of the middle of the gap right of column ``gap``."""
        return self.column_x[gap] + self.column_width / 2 + self.column_gap / 2

    def _unnamed_track(self, row: int, gap: int, edge: tuple[int, int]) -> float:
        """An unnamed state's track in its gap (0 the middle, 1 a pitch right of it): its value's place in the
        order that crosses fewest lines (:func:`.tracks.order`, found once per gap)."""
        if self._unnamed_orders is None:
            self._unnamed_orders = {}
        if (row, gap) not in self._unnamed_orders:
            states = self.gap_unnamed[(row, gap)]
            middle = self._gap_middle(gap)
            self._unnamed_orders[(row, gap)] = unnamed.order(
                {value: unnamed.legs(self, edges, middle) for value, edges in states.items()})
        found = self._unnamed_orders[(row, gap)]
        return found.index(unnamed.key(self, *edge)) - (len(found) - 1) / 2

    def _state_lines(self, label: str, tracks: list[str]) -> list[str]:
        """A state's label as drawn in a gap of ``tracks`` (top first, :func:`state_first`: sorted once for the gap
        by the caller): :meth:`_drawn`; where forward and backward share the cells (``both_ways``) also on the gap's
        outermost track, which grows away from the others (∂J/∂c₂'s part above c₁, ∂J/∂h₁ under h₁): an LSTM's four
        tracks kept its chain rule in one line, the gap that wide."""
        outermost = self.both_ways and label in (tracks[0], tracks[-1])
        return self._drawn(label, 2 if outermost else len(tracks))

    def _drawn(self, label: str, tracks: int = 1) -> list[str]:
        """A state's label as drawn between two steps: on a slide in two lines where that is narrower, and
        where its gap holds at most two states (each grows away from the other; a third would meet one)."""
        return label_lines(label) if self.slide and tracks <= 2 else [label]

    def loop_label(self, state: str, loops: int) -> list[str]:
        """A rolled cell's loop label as drawn: in two lines on a slide where the cell has one loop (the
        labels of two nested loops lie a loop's height apart: room for one line each)."""
        return self._drawn(state) if loops == 1 else [state]

    def _broken(self, route: Route, label: str, above: bool, tracks: list[str]) -> Route:
        """The route with its label's lines (:meth:`_state_lines`), growing away from the arrow: upwards above it."""
        lines = self._state_lines(label, tracks)
        if route.label_at is not None and len(lines) > 1:
            route.label_lines = lines
            if above:
                route.label_at = (route.label_at[0], route.label_at[1] + LABEL_LINE * (len(lines) - 1))
        return route

    def _bus_route(self, tail: int, head: int, a: Box, b: Box, lane_key: tuple, label: str) -> Route:
        """Along the row's lane: a drop into each step from a node beside the row, or a rise from
        each step to it."""
        row, above, _ = lane_key
        y = self._lane_height(lane_key)
        if tail in self.block_of:  # fan in: from each step to the lane, along it, into the node
            rightwards = b.x > a.x
            trunk = self._trunk_x(head, b, lane_key, rightwards)
            x = a.x
            if not self.top_level[row]:  # one node per step: leave near its corner, clear of the edges at its middle
                x = a.right - 2 * self.space.pad_x if rightwards else a.left + 2 * self.space.pad_x
            start = (x, a.top if above else a.bottom)
            way = passages.way(self, passages.key(self, tail, lane_key))  # through a gap kept on each level it crosses
            if way:
                x, start = way[-1][0], (way[-1][0], way[-1][1])
            # into a floating column's node (its stacks stand where they leave each other room, beside other rows'
            # lanes) along its own lane where that meets its face, else a lane's pitch from the others: 5 pt under the
            # decoder's lane, the encoder's terms seemed to join it
            entry = self._clear_of_lanes(head, y, own=y)
            entry = b.y if entry is None else entry
            points = [*way[:-1], start, (x, y), (trunk, y), (trunk, entry)]
            end = (b.left, entry) if rightwards else (b.right, entry)
            # its step's name beside the drop; on a slide where no line runs: above a row (across the lane's
            # height) away from the trunk, below it out to the corner (a narrow node's edge down its middle
            # struck "t=1" through where the name went inwards)
            away = x > trunk if above else x > a.x
            outwards = 1 if not self.slide or x == a.x or away else -1
            label_at = (x + outwards * (3 + 3 * len(label)), start[1] + 7 if above else start[1] - 7)
            return finish(points, end, label, label_at)
        rightwards = b.x > a.x
        trunk = self._trunk_x(tail, a, lane_key, not rightwards)
        # where lines from the rows come into a's side at its middle (h_T into J), a quarter of its height towards
        # the lane: along their line, ∂J/∂h_T out of J read as h_T going on to the rows below
        shift = (1.0 if y > a.y else -1.0) * a.height / 4 if self._fed_from(tail, rightwards) else 0.0
        start = (a.right if rightwards else a.left, a.y + shift)
        into = self.drops_into.setdefault(head, [])
        if lane_key not in into:
            into.append(lane_key)
        x = b.x + (into.index(lane_key) - 0.5 * (len(into) > 1)) * 10
        if self._face_fed(head, above):  # beside the data edge into that face, with an arrowhead of its own: on
            # it, the drops into every step but the last ran along the data line and the weight seemed to reach T
            # alone
            x = b.x + (1 if b.x < a.x else -1) * min(12.0, b.width / 8) * (into.index(lane_key) + 1)
        top_level = self.top_level[self.block_of[head][0]]
        facing = (top_level if above else 0) if not self.backward else (0 if above else top_level)
        way = passages.way(self, passages.key(self, head, lane_key))  # not the first op the lane meets: through gaps
        if way:
            return finish([start, (trunk, a.y), (trunk, y), (way[-1][0], y), *way[:0:-1]], way[0], label,
                          (way[-1][0] + 8, y + 6))
        if self.level[head] != facing:  # (a step without passages) up its side, in from the side
            side_x = b.left - self.space.gap_x / 2 - 3 * into.index(lane_key)
            return finish([start, (trunk, start[1]), (trunk, y), (side_x, y), (side_x, b.y)], (b.left, b.y), label,
                           (side_x + 8, y + 6))
        end = (x, b.top if above else b.bottom)
        y = self._past_boxes_beside(y, trunk, x, above, (tail, head))
        return finish([start, (trunk, start[1]), (trunk, y), (x, y)], end, label, (x + 8, y + 6))

    def _past_boxes_beside(self, y: float, x0: float, x1: float, above: bool, ends: tuple[int, int]) -> float:
        """The lane's height from x0 to x1, moved past (above, or below) a node beside the row taller than the
        row that stands in its way: J's ∂J/∂h_T to a backward row's last step ran along that row's lane through
        the bottom of the Σ beside it (four lines of Σ hang below a row of cells one line tall)."""
        for i, box in self._boxes_across(min(x0, x1), max(x0, x1)):
            if i not in ends and i not in self.block_of and box.bottom - 1 < y < box.top + 1 \
                    and min(x0, x1) < box.right and box.left < max(x0, x1):
                y = box.top + self.space.lane / 2 if above else box.bottom - self.space.lane / 2
        return y

    def _fed_from(self, node: int, rightwards: bool) -> bool:
        """Whether an edge from a node on that side of ``node`` comes into it (at its side's middle)."""
        box = self.boxes[node]
        return any((self.boxes[tail].x > box.x) == rightwards for tail in self.predecessors[node] if tail != node)

    _ends: dict[int, list[tuple[int, tuple]]] | None = None  # node → (the other end, the kind) of its edges, once

    def _edges_at(self, node: int) -> list[tuple[int, tuple]]:
        """The other end and the kind of each edge at ``node`` (indexed once: a long unroll asks for thousands)."""
        if self._ends is None:
            self._ends = {}
            for tail, head, _ in self.edge_list:
                kind = self.kind.get((tail, head), ("",))
                self._ends.setdefault(tail, []).append((head, kind))
                self._ends.setdefault(head, []).append((tail, kind))
        return self._ends.get(node, [])

    def _side_taken(self, inside: int, outside: int) -> bool:
        """Whether an edge other than the one to ``outside`` meets ``inside``'s side that faces it, level with
        ``inside`` (a Σ's term straight out of the side J's gradient comes in by)."""
        box, facing = self.boxes[inside], self.boxes[outside].x > self.boxes[inside].x
        return any(abs(self.boxes[other].y - box.y) < 1 and (self.boxes[other].x > box.x) == facing
                   for other, _ in self._edges_at(inside) if other != outside)

    def _face_fed(self, node: int, top: bool) -> bool:
        """Whether an edge other than a bus's meets ``node``'s top (or bottom) face: one from a node above it
        (or below), in line with it — where a drop down its middle would run along that edge."""
        box = self.boxes[node]
        for other_node, kind in self._edges_at(node):
            if kind[0] == "bus":
                continue
            other = self.boxes[other_node]
            in_line = abs(other.x - box.x) < (other.width + box.width) / 2
            if in_line and (other.y > box.top if top else other.y < box.bottom):
                return True
        return False

    def _trunk_x(self, node: int, box: Box, lane_key: tuple, on_left: bool) -> float:
        """Where a bus's trunk rises beside ``node`` (on its left, or its right): beside the whole
        column that holds it, past its wider nodes, not through them, each lane into the column on
        a line of its own."""
        column = self.beside_slot[node][0] if node in self.beside_slot else node
        # past the widest node of that column in every row: a trunk rising from a row below to a Σ
        # beside the row above passes the Σ nodes of the rows between, not through them
        members = [i for (side, _, col), found in self.beside.items() if (side, col) == (column[0], column[2])
                   for i in found] if node in self.beside_slot else [node]
        # (a floating column's stacks stand beside other rows' lanes: its trunks apart over every row)
        floats = node in self.beside_slot and (column[0], column[2]) in self.floating
        key = (column[0], None, column[2]) if floats else column
        if key not in self.trunks:
            self.trunks[key] = self._nested_trunks(set(members))
        trunks = self.trunks[key]
        if lane_key not in trunks:
            trunks.append(lane_key)
        offset = self.space.gap_x / 2 + 3 * (trunks.index(lane_key) + 1) + self.trunk_clearance.get(lane_key, 0.0)
        if on_left:
            return min(self.boxes[i].left for i in members) - offset
        return max(self.boxes[i].right for i in members) + offset

    def _nested_trunks(self, members: set[int]) -> list[tuple]:
        """The lanes whose trunks rise beside a column of nodes (``members``), nearest the column first: in the order
        the edges meet them, except that a trunk that rises past another lane's way into the column (the height of
        the node it comes into or out of) runs outside that lane's trunk. Inside it, the other lane's branch crossed
        it 3 pt from where it turned: a tied LM's term into Σ ∂J/∂b_y seemed to fork off the embeddings' trunk."""
        spans: dict[tuple, list[float]] = {}  # a lane → its height, and the heights of the nodes it comes into
        for tail, head, _ in self.edge_list:
            kind = self.kind.get((tail, head), ("",))
            outside = head if tail in self.block_of else tail
            if kind[0] == "bus" and outside in members:
                spans.setdefault(kind[1], [self._lane_height(kind[1])]).append(self.boxes[outside].y)

        def passed(lane: tuple) -> int:  # how many other lanes' ways in this lane's trunk rises past
            low, high = min(spans[lane]), max(spans[lane])
            return sum(any(low + 1 < y < high - 1 for y in ys[1:]) for other, ys in spans.items() if other != lane)
        # such a trunk is crossed by the lanes inside it: apart from them, so that no crossing lies a few points
        # from a turn or a fork (and reads as a T-junction on the line that turns there)
        self.trunk_clearance.update({lane: TRUNK_CLEARANCE for lane in spans if passed(lane)})
        return sorted(spans, key=passed)

    def _past_levels(self, tail: int, head: int, a: Box, b: Box, label: str) -> Route:
        """Inside a step, to a node more than one level away: beside the nodes between (on the side
        the tail is on), then in through the face of the head that looks at the tail."""
        low, high = sorted((self.level[tail], self.level[head]))
        between = [self.boxes[i] for i in self.members[self.block_of[tail]] if low < self.level[i] < high]
        up = b.y > a.y  # from below (forward) or above (a gradient graph)
        side = 1.0 if a.x >= b.x else -1.0
        if between:
            half = self.space.gap_x / 2
            x = max(m.right for m in between) + half if side > 0 else min(m.left for m in between) - half
            x = max(x, a.x) if side > 0 else min(x, a.x)
        else:
            x = a.x
        into = (b.x + side * b.width / 4, b.bottom if up else b.top)
        turn = into[1] - self.space.gap_y / 2 if up else into[1] + self.space.gap_y / 2
        leave = a.top + self.space.gap_y / 2 if up else a.bottom - self.space.gap_y / 2
        beside_head = [box for box in self._level_of(head) if box is not b and min(x, b.x) < box.x < max(x, b.x)]
        if x != a.x and not beside_head:  # into b's side, level with it: a line along the gap under b crossed
            # the arrow of every node in between that feeds b from below (a GRU's r ⊙ (W_hn h + b_hn))
            into = (b.right if side > 0 else b.left, b.y)
            # a last leg shorter than the arrowhead left it no line to point along (drawn askew at the corner)
            x = max(x, into[0] + ARROW + 4) if side > 0 else min(x, into[0] - ARROW - 4)
            return finish([(a.x, a.top if up else a.bottom), (a.x, leave), (x, leave), (x, b.y)], into, label,
                          (x + 8, (a.y + b.y) / 2))
        points = [(a.x, a.top if up else a.bottom)] + ([(a.x, leave), (x, leave)] if x != a.x else []) + \
                 [(x, turn), (into[0], turn)]
        return finish(points, into, label, (x + 8, (a.y + b.y) / 2))

    def _choice_route(self, a: Box, b: Box, label: str) -> Route:
        """ŷ_t (above step t) to the input of step t+1 (below it), a choice fed back: out of ŷ_t's side,
        down the gap between the two columns — crossing the state h_t once — and into the input's side;
        a diagonal would cut the corners of the cells it passes."""
        rightwards = b.x > a.x
        # close beside the input's column, not midway: the state h_t is named in the middle of the gap
        side = self.column_width / 2 + BESIDE_COLUMN
        gap_x = b.x - side if rightwards else b.x + side
        start = (a.right if rightwards else a.left, a.y)
        end = (b.left if rightwards else b.right, b.y)
        # named under the cells, on the far side of the drop from the input (clear of the cell's and the
        # input's boxes; beside the drop further up it sat on the next cell's corner)
        away = -(4 + drawn_width([label]) / 2) if rightwards else 4 + drawn_width([label]) / 2
        label_at = (gap_x + away, b.top + self.space.gap_y / 2 - 3)
        # past the cells of the input's column (narrower than its input, e_t = embedding, which sets the column's
        # width): beside their side, where the gap between two cells is wider, then beside the column's edge
        # down to the input — down the column's edge all the way, it ran through h_t's name mid-gap (h₂⁽ᵈ⁾);
        # the boxes level with ŷ_t count too (the next step's ŷ, the line's first stretch runs at their height)
        passed = [box for _, box in self._boxes_across(b.x - 1, b.x + 1)
                  if abs(box.x - b.x) < 1 and b.top < box.bottom and box.bottom < a.y]
        cells_x = (min(box.left for box in passed) - BESIDE_COLUMN if rightwards else
                   max(box.right for box in passed) + BESIDE_COLUMN) if passed else gap_x
        if passed and (cells_x - gap_x) * (1 if rightwards else -1) > 1:
            jog_y = (min(box.bottom for box in passed) + b.top) / 2
            points = [start, (cells_x, a.y), (cells_x, jog_y), (gap_x, jog_y), (gap_x, b.y)]
            return finish(points, end, label, (label_at[0], min(label_at[1], jog_y - 10)))
        return finish([start, (gap_x, a.y), (gap_x, b.y)], end, label, label_at)

    def _started(self, head: int) -> list[int]:
        """The nodes beside the row at its start that feed the step ``head`` (h₀ and c₀), top to bottom."""
        tails = {t for t in self.predecessors[head]  # (not a Σ that a gradient reaches: placed as a weight)
                 if t not in self.block_of and self.place.get(t, ("",))[0] == "start"
                 and self.nodes[t].kind != "output"}
        return sorted(tails, key=lambda t: -self.boxes[t].y)

    def _entry_y(self, tail: int, head: int) -> float:
        """Where ``tail``'s arrow enters ``head`` among the others started beside it: a quarter of the cell's
        height apart, as the states between two cells run, the topmost highest (their lines cross nothing)."""
        started, b = self._started(head), self.boxes[head]
        return b.y - (started.index(tail) - (len(started) - 1) / 2) * b.height / 4

    def _nested(self, tail: int, head: int) -> float:
        """How many tracks nearer ``head`` than the gap's middle ``tail``'s arrow turns, among the others started
        beside it (:meth:`_entry_y`), where their upright stretches would overlap: down into the cell, the top one
        nearest it; up, the bottom one. On one line, c₀ down past h₀'s turn read as h₀ (a cell made shorter by
        the gradients beside it lifted h₀'s box above c's entry)."""
        started = self._started(head)
        spans = [sorted((self.boxes[t].y, self._entry_y(t, head))) for t in started]
        overlap = any(low < other_high and other_low < high for k, (low, high) in enumerate(spans)
                      for other_low, other_high in spans[k + 1:])
        if not overlap:
            return 0.0
        k, middle = started.index(tail), (len(started) - 1) / 2
        return (middle - k) if self._entry_y(tail, head) < self.boxes[tail].y else (k - middle)

    def _past_steps_left_out(self, tail: int, head: int) -> dict[str, float]:
        """Where the line between a "…" and an op of a step drawn beside it meets the "…", and how many tracks
        nearer the step than the gap's middle it turns (:meth:`_through_gap`'s ``outside_y``, ``nested`` and
        ``innermost``), where the "…" passes on more than one state there. An LSTM hands the steps left out h and
        c, unnamed at op level: both ran along one line into one arrowhead of the "…", and out of it one line forked
        into the mul that reads c and the linear that reads h, as if one value. Each state now has a line of its
        own, meeting the "…" a quarter of its height apart in the order of the ops (no two lines cross), the one
        that runs farthest up or down turning farthest out; one state read by two ops stays one line that forks.
        (A bidirectional row's: the reverse row's states leave the "…" on the side the forward row's enter it, each
        at a height of its own.) Nothing where the "…" passes on one state (a tanh RNN's h, a GRU's), or names what
        it passes on."""
        dots = tail if self.nodes[tail].kind == "ellipsis" else head
        other = head if dots == tail else tail
        if self.nodes[other].kind != "op" or not self.nodes[dots].carries:
            return {}
        column = self.block_of[other][1]

        def value(t: int, h: int) -> tuple:  # what the line carries: an op's output into "…", or a state out of it
            return ("out", self.nodes[dots].carries.get(self.nodes[h].key, h)) if t == dots else ("in", t)

        ops: dict[tuple, list[float]] = {}  # (on this side of the "…": a reverse row's states leave it beside the
        for t, h, _ in self.edge_list:  # forward row's coming in)
            op = h if t == dots else t if h == dots else None
            if op is not None and self.nodes[op].kind == "op" and self.block_of.get(op, (None, None))[1] == column:
                ops.setdefault(value(t, h), []).append(self.boxes[op].y)
        if len(ops) < 2:
            return {}
        box = self.boxes[dots]
        order = sorted(ops, key=lambda v: -sum(ops[v]) / len(ops[v]))  # top first (y grows upwards)
        meets = {v: box.y - (k - (len(order) - 1) / 2) * box.height / 4 for k, v in enumerate(order)}
        farthest = sorted(order, key=lambda v: -max(abs(y - meets[v]) for y in ops[v]))
        mine = value(tail, head)
        return {"outside_y": meets[mine], "nested": float(farthest.index(mine)), "innermost": float(len(order) - 1)}

    def _through_gap(self, tail: int, a: Box, b: Box, column: int, label: str, side_taken: bool = False,
                     end_y: float | None = None, nested: float = 0.0, innermost: float = 0.0,
                     outside_y: float | None = None) -> Route:
        """Between a node beside the row and an op in a step: along the gap on that side of the step (into
        ``b`` at ``end_y``, where several arrows enter it side by side; meeting the node outside at ``outside_y``,
        where several lines meet it), past the lines that rise beside the
        column (h₀⁽¹←⁾ bent onto the one carrying h₄⁽¹→⁾ up to layer 2). Where ``side_taken`` (another edge
        leaves the op's side level with it), a quarter of its height nearer the node outside: on the other
        edge's point the two arrows read as one, pointing both ways. Out of a node outside that lines from the rows
        come into on that side (h_T into J), a quarter of its height towards the op: along h_T's line, ∂J/∂h_T
        out of J read as h_T going on down to the backward rows."""
        column_x = self.column_x[column]
        outside = a if abs(a.x - column_x) > abs(b.x - column_x) else b
        side = 1.0 if outside.x > column_x else -1.0
        gap_x = column_x + side * (self.column_width / 2 + self.space.gap_x / 2)
        risers = self._risers_beside(column, side < 0)
        if risers:  # a lane further out than they
            beyond = self._riser_x(column, side < 0, len(risers))
            gap_x = max(gap_x, beyond) if side > 0 else min(gap_x, beyond)
        rightwards = b.x > a.x
        inside = b if outside is a else a
        if nested and self.slide:  # all of them farther out where the innermost (``innermost`` tracks in) would reach
            # the step's box: on a slide's narrow gaps a step node as wide as its column took h₀⁽¹→⁾'s line up into
            # layer 1's first step inside it (free size leaves the gap wider than the tracks)
            limit = (inside.right if side > 0 else inside.left) + side * (ARROW + LABEL_CLEAR)  # (its arrow level)
            gap_x += side * max(0.0, side * (limit - (gap_x - side * innermost * unnamed.TRACK_PITCH)))
        gap_x -= side * nested * unnamed.TRACK_PITCH
        shift = (1.0 if outside.y > inside.y else -1.0) * inside.height / 4 if side_taken else 0.0
        leaving = outside is a and abs(inside.y - outside.y) > 1 and self._fed_from(tail, inside.x > outside.x)
        outer_shift = (1.0 if inside.y > outside.y else -1.0) * outside.height / 4 if leaving else 0.0
        start = (a.right if rightwards else a.left, a.y + (shift if inside is a else outer_shift))
        end = (b.left if rightwards else b.right,
               end_y if end_y is not None else b.y + (shift if inside is b else outer_shift))
        if outside_y is not None:
            start, end = ((start[0], outside_y), end) if outside is a else (start, (end[0], outside_y))
        # named along its longer part: a short way out of J that then turns down to another row runs on the
        # line of h_T into J, and a name over it there would lie on h_T's own
        label_at = ((start[0] + gap_x) / 2, start[1] + 7) if abs(gap_x - start[0]) >= abs(end[1] - start[1]) \
            else (gap_x + side * (3 * len(label) + 6), (start[1] + end[1]) / 2)
        return finish([start, (gap_x, start[1]), (gap_x, end[1])], end, label, label_at)

    def _dogleg(self, a: Box, b: Box, side_x: float, label: str) -> Route:
        """Up from a's top, through the gap beside the column, into b's bottom."""
        end = (b.x, b.bottom)
        start = (a.x, a.top)
        above_a, below_b = a.top + self.space.gap_y / 2, b.bottom - self.space.gap_y / 2
        points = [start, (a.x, above_a), (side_x, above_a), (side_x, below_b),
                  (b.x, below_b)]
        return finish(points, end, label, (a.x + 10, above_a + 7))


def state_pitch(height: float, tracks: int) -> float:
    """How far apart the parallel states between two cells ``height`` tall run: a quarter of its height, as c above
    h; more than four (a step node passes every layer's, both ways where forward and backward share the nodes) a
    ``tracks``-th, all of them level with the cells (at a quarter, eight ran off a step's top and bottom, arrows
    between no nodes). (:meth:`~.coordinates.Coordinates._room_for_state_names` makes the cells tall enough.)

    >>> state_pitch(80, 2), state_pitch(80, 16)
    (20.0, 5.0)
    """
    return height / max(4, tracks)


def state_first(label: str) -> tuple:
    """The order of parallel state arrows, top first: the cell state c first, then h — by the state an
    arrow carries, forward (c₃) or back (∂J/∂c₃, (∂h₄/∂c₃)ᵀ ∂J/∂h₄: the part of ∂J/∂c₃ through h₄) — and of
    each, the higher layer's first, as the rows of a cell-level figure stand (h⁽²⁾ above h⁽¹⁾, a layer's
    reverse direction above its forward). A step node carries every layer's states: ordered by their names
    as text, ⁽²⁾ came before ⁽³⁾ before ⁽¹⁾ (the superscripts' code points), and the initial states, stacked
    another way, stood in the opposite order to the arrows they start (h₀⁽¹⁾ level with h⁽²⁾).

    >>> sorted(["(∂(h₃, c₃)/∂h₂)ᵀ ∂J/∂(h₃, c₃)", "(∂c₃/∂c₂)ᵀ ∂J/∂c₃"], key=state_first)[0]
    '(∂c₃/∂c₂)ᵀ ∂J/∂c₃'
    >>> sorted(["h₁⁽¹⁾", "h₁⁽³⁾", "h₁⁽²⁾", "c₁⁽²⁾"], key=state_first)
    ['c₁⁽²⁾', 'h₁⁽³⁾', 'h₁⁽²⁾', 'h₁⁽¹⁾']
    """
    _, found, after = label.partition("/∂")
    state = after[:1] if found else label[:1]
    mark = re.search(r"⁽([^⁾]*)⁾", label)  # the first state's layer and direction: h₃⁽²←⁾ (chain_mark)
    written = mark.group(1).translate(FROM_SUPERSCRIPT) if mark else ""
    layer = re.search(r"\d+", written)
    return state != "c", -int(layer.group()) if layer else 0, "←" not in written, label
