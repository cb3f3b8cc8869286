"""The routes between a grid's nodes: which way each edge goes (:meth:`Routes.route`), inside a step straight or
past levels, and the ways round a column, under or over what lies between. :class:`Routes` is the part of
:class:`~.grid.Grid` that routes: it reads the grid's placement (boxes, kind, lanes, columns). Its parts, one
concept each: the states from one step to the next (:mod:`.state_routes`), the buses along a row's lanes with a
drop into each step (:mod:`.bus_routes`), the lines through the gap beside a step (:mod:`.gap_routes`) and the
lines up a column past the rows in between (:mod:`.risers`)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from functools import cached_property

from . import tracks as unnamed  # (here `tracks` names a gap's list of named states)
from .attention_routes import encoder_state_bus
from .bus_routes import BusRoutes
from .choice_routes import feeds_the_last_step, round_the_last_step
from .gap_routes import GapRoutes
from .geometry import (
    ARROW,
    LOOP_HEIGHT,
    Box,
    Route,
    clear_of_corners,
    clip,
    drawn_width,
    finish,
    label_depth,
    line_enters,
    loops_left,
    off_the_corner,
)
from .named_passes import upright_x
from .picture import is_backward_rule, passes_no_gradient
from .ports import PORT_GAP
from .risers import BESIDE_COLUMN, Risers
from .state_routes import StateRoutes, state_first

LONG_BESIDE = 24  # characters: a steep arrow's label longer than this, beside it on a slide, breaks in two
TWINS_APART = 4.0  # points between two edges of the same two nodes drawn side by side (Routes.route): two lines, each
# still clear of the boxes its route kept 5 from, each end on the straight part of the face it meets


class Routes(StateRoutes, BusRoutes, GapRoutes, Risers):
    """Routing, given a placed grid (see :class:`~.grid.Grid`, which sets every attribute read here)."""

    _by_centre: tuple[list[int], list[float], float] | None = None  # the nodes by their centres' x, once placed

    def _input_into_a_row_above(self, tail: int, head: int) -> bool:
        """Whether an input under its row feeds a row above it (a bidirectional layer's x_t into its reverse row):
        its line runs up close beside the head's column, in the gap between two steps (BESIDE_COLUMN off it)."""
        return self.place.get(tail, ("",))[0] == "below" and head in self.block_of \
            and self.block_of[head][0] > self.place[tail][1]

    @cached_property
    def _twins(self) -> dict[tuple[int, int], list[str]]:
        """(tail, head) → the labels of its edges, in order: a label twice where two values share it (two
        recurrences in one step node, both unnamed, pass h₁ and g₁ on two arrows alike)."""
        found: dict[tuple[int, int], list[str]] = {}
        for tail, head, name in self.edge_list:
            found.setdefault((tail, head), []).append(name)
        return found

    def route(self, tail: int, head: int, label: str, twin: int = 0) -> Route:
        """The edge's route; where another edge between the same two nodes would take the same one (a step node's
        two states into J, h₃⁽²→⁾ and h₃⁽²←⁾, and their two gradients back), each a track of its own beside it
        (:func:`side_by_side`): one line carrying two labels, one of them floating off it, read as one value.
        ``twin``: which of the edges alike in tail, head and label this is (0 for the first)."""
        found = self._one_route(tail, head, label)
        twins = self._twins.get((tail, head), [])
        if len(twins) < 2:
            return found
        alike = [k for k, name in enumerate(twins)
                 if name == label or self._one_route(tail, head, name).points == found.points]
        if len(alike) < 2:
            return found
        offsets = [(k - (len(alike) - 1) / 2) * TWINS_APART for k in range(len(alike))]
        found.twins = tuple(twins[k] for k in alike if twins[k] != label)  # (its label may lie beside theirs)
        itself = [k for k in alike if twins[k] == label][twin]
        return side_by_side(found, offsets[alike.index(itself)], (offsets[0], offsets[-1]))

    def _one_route(self, tail: int, head: int, label: str) -> Route:
        a, b = self.boxes[tail], self.boxes[head]
        kind = self.kind[(tail, head)]
        if kind[0] == "state":
            return self._state_route(a, b, kind, label, (tail, head))
        if kind[0] == "bus":
            return self._bus_route(tail, head, a, b, kind[1], label)
        along_bus = encoder_state_bus(self.nodes, self.boxes, tail, head, label, self.backward)
        if along_bus is not None:  # an encoder state into a decoder step's attention
            return along_bus
        if passes_no_gradient(label) and abs(a.x - b.x) > 1 and abs(a.y - b.y) > 1:
            if feeds_the_last_step(self, tail, head):  # (round its far side, across no state: choice_routes)
                return round_the_last_step(self, tail, a, b, label)
            return self._choice_route(a, b, label)
        block_of = self.block_of
        ellipsis = [i for i in (tail, head) if self.nodes[i].kind == "ellipsis"]
        other = (head if ellipsis[0] == tail else tail) if ellipsis else None
        if ellipsis and other not in block_of and self._bus_of(other) is not None:
            return self._ellipsis_bus(tail, head, a, b, label)
        if ellipsis == [tail] and self.nodes[head].kind == "op" and head not in block_of and abs(a.y - b.y) > 1 \
                and b.left > a.right:  # the steps left out into an op beside the rows (h₆ into the stack that
            gap_x = (a.right + b.left) / 2  # out[-1] reads): a right-angled step, not a slant from the "…"'s corner
            return finish([(a.right, a.y), (gap_x, a.y), (gap_x, b.y)], (b.left, b.y), label, (gap_x, a.y + 7))
        if other in block_of and abs(a.y - b.y) < 1:  # level with it: straight across, named in the middle
            # an LSTM passes two states into the steps left out: c above h, as between two cells
            tracks = sorted({found for t, h, found in self.edge_list if {t, h} == {tail, head}}, key=state_first)
            offset = -(tracks.index(label) - (len(tracks) - 1) / 2) * min(a.height, b.height) / 4
            rightwards = b.x > a.x
            start = (a.right if rightwards else a.left, a.y + offset)
            end = (b.left if rightwards else b.right, b.y + offset)
            route = finish([start], end, label, ((start[0] + end[0]) / 2, start[1] + (7 if offset >= 0 else -8)))
            # on a slide, broken into as many lines as the gap needs, growing away from the arrow (truncated BPTT's
            # "gradient stops (detach)" beside the steps left out ran in one line over the "…" and its twin)
            return self._broken_to(route, label, abs(end[0] - start[0]), offset >= 0) if self.slide else route
        if other in block_of:  # between the steps left out and a step drawn: through the gap beside it
            meets = self._past_steps_left_out(tail, head)
            if ellipsis == [head] and not meets and self._past_levels_beside(tail, b.x > a.x) is not None:
                # a line up the step's side into the same op (the GRU's z₁ into h₁'s side): over it, level with the
                # op, into the "…"'s top. Through the gap, h₁ ran down beside z₁'s line up (a lane apart: the "…"
                # stands nearer than sum did, with no room for two) and along z₁'s last turn into the "…"
                over = (a.right if b.x > a.x else a.left, a.y)
                return finish([over, (b.x, a.y)], (b.x, b.top), label, ((over[0] + b.x) / 2, a.y + 7))
            return self._through_gap(tail, a, b, block_of[other][1], label, **meets)
        if self._is_riser(tail, head):  # up past the rows in between
            return self._riser(tail, head, a, b, label)
        if self._input_into_a_row_above(tail, head):
            # between two steps close beside b's column, clear of the states named mid-gap (as up past rows), on the
            # side the row it passes sends its states out of (a forward row's right: across their tails, not 4
            # points from the cells across the heads of the states coming in)
            return self._dogleg(a, b, self._input_up_x(self.block_of[head][1]), label)
        if (tail in block_of) != (head in block_of) and self.place.get(tail if head in block_of else head,
                                                                        ("",))[0] in ("start", "end"):
            inside = head if head in block_of else tail
            if self.nodes[inside].kind == "op":  # into (or out of) a step through the gap beside it
                route = self._through_gap(tail, a, b, block_of[inside][1], label, self._side_taken(
                    inside, tail if inside == head else head), beyond=self._past_levels_beside(inside, b.x > a.x))
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
        lines = [label] if not steep or passes_no_gradient(label) else self._drawn(label) if wide else \
            self._narrow_past_risers(label)
        widest = max(len(line) for line in lines)
        choice = passes_no_gradient(label)
        along, beside = (0.25 if choice else 0.5), (3 * widest + 6 if steep or choice else 4)
        route = finish([start], end, label, (start[0] + (end[0] - start[0]) * along + beside,
                                              start[1] + (end[1] - start[1]) * along + 6
                                              + label_depth(lines) / 2))
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

    def _past_levels(self, tail: int, head: int, a: Box, b: Box, label: str) -> Route:
        """Inside a step, to a node more than one level away: beside the nodes between (on the side
        the tail is on), then in through the face of the head that looks at the tail."""
        low, high = sorted((self.level[tail], self.level[head]))
        between = [self.boxes[i] for i in self.members[self.block_of[tail]] if low < self.level[i] < high]
        up = b.y > a.y  # from below (forward) or above (a gradient graph)
        side = 1.0 if self._passes_on_the_right(tail, head) else -1.0
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
            # out far enough for a last leg its arrowhead can point along, a name over it, names it passes outside
            x = upright_x(self, tail, head, label, x, side)  # (named_passes)
            start = [(a.x, a.top if up else a.bottom), (a.x, leave)]
            if self._leaves_by_its_side(tail, x):
                start = [(a.right if side > 0 else a.left, a.y)]
            return finish([*start, (x, start[-1][1]), (x, b.y)], into, label, (x + 8, (a.y + b.y) / 2))
        points = [(a.x, a.top if up else a.bottom)] + ([(a.x, leave), (x, leave)] if x != a.x else []) + \
                 [(x, turn), (into[0], turn)]
        return finish(points, into, label, (x + 8, (a.y + b.y) / 2))

    def _passes_on_the_right(self, tail: int, head: int) -> bool:
        """Whether a line past levels runs up (or down) the right side of the levels in between: where its tail
        stands further right across its level than its head across its own (``position``: as
        :mod:`.named_passes` reserves the room for its name), by x where the two stand alike. Not by x alone: the
        last step of an LSTM's gradient, with no Σ on its c row, stands o₃'s backward rule right of the split it
        feeds though first of its level, and its line ran right under tanh's, across the slanted stub from tanh's
        backward into the mul under o₃: a crossing no hop fits."""
        if abs(self.position[tail] - self.position[head]) > 1e-9:
            return self.position[tail] > self.position[head]
        return self.boxes[tail].x >= self.boxes[head].x

    def _leaves_by_its_side(self, tail: int, x: float) -> bool:
        """Whether a line past the levels in between, up (or down) at ``x`` beyond its tail's side, leaves the tail
        by that side rather than along the gap over it: where another node of the tail's level sends a line past
        levels too. Along the gap, a GRU's two n rows left their splits on one line under the gates' adds, one to
        the left and one to the right, and read as one wire from both splits — where which rows r multiplies is
        the point of the figure. Not where a node of that level stands between the tail and ``x``."""
        a, level, step = self.boxes[tail], self.level[tail], self.block_of[tail]
        if abs(x - a.x) <= a.width / 2 or any(min(a.x, x) < box.x < max(a.x, x) for box in self._level_of(tail)):
            return False
        return any(other != tail and self.level[other] == level and any(
            self.block_of.get(head) == step and abs(self.level[head] - level) > 1 for head in self.successors[other])
            for other in self.members[step])

    def _past_levels_beside(self, node: int, right: bool) -> float | None:
        """The farthest out, on ``node``'s right (or left) side, of the lines that run up beside its step's column
        past the levels in between into that side of ``node`` (:meth:`_past_levels`: a GRU's z₁ into the side of
        h₁ = (1 − z₁) ⊙ n₁ + z₁ ⊙ h₀), or None: where such a line runs, one leaving ``node``'s side for a node
        beside the row goes two lanes beyond it, clear of its arrowhead (h₁ → sum ran 2 points inside z₁'s line,
        down where z₁'s went up, and crossed it at h₁'s side)."""
        box, side = self.boxes[node], 1.0 if right else -1.0
        found = []
        for other in self.predecessors[node]:
            if self.block_of.get(other) == self.block_of[node] and abs(self.level[node] - self.level[other]) > 1:
                route = self._past_levels(other, node, self.boxes[other], box, "")
                if side * (route.end[0] - box.x) > box.width / 2 - 1:  # (into this side, not from below)
                    found += [x for (x, _), (x2, _) in zip(route.points, route.points[1:]) if x == x2]
        return max(found, key=lambda x: side * x) if found else None

    def _choice_route(self, a: Box, b: Box, label: str) -> Route:
        """ŷ_t (above step t) to the input of step t+1 (below it), a choice fed back into a step short of the
        row's last (into the last: :mod:`.choice_routes`): out of ŷ_t's side, down the gap between the two columns
        — crossing the state h_t once — and into the input's side; a diagonal would cut the corners of the cells
        it passes."""
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
        # — and an arrowhead's length clear of the arrowhead of the state h_t into the next cell's side: beside
        # its side it crossed that arrow at its head, and read as feeding the cell itself
        passed = [box for _, box in self._boxes_across(b.x - 1, b.x + 1)
                  if abs(box.x - b.x) < 1 and b.top < box.bottom and box.bottom < a.y]
        clear = 2 * ARROW
        cells_x = (min(box.left for box in passed) - clear if rightwards else
                   max(box.right for box in passed) + clear) if passed else gap_x
        if passed and (cells_x - gap_x) * (1 if rightwards else -1) > 1:
            jog_y = (min(box.bottom for box in passed) + b.top) / 2
            points = [start, (cells_x, a.y), (cells_x, jog_y), (gap_x, jog_y), (gap_x, b.y)]
            return finish(points, end, label, (label_at[0], min(label_at[1], jog_y - 10)))
        if passed and (gap_x - cells_x) * (1 if rightwards else -1) > 1:
            # the input narrower than the cells above it (the token chosen, under e_t): the drop beside the
            # column's edge would pass the arrowhead into the cell's side closer than an arrowhead's length
            gap_x, label_at = cells_x, (label_at[0] + cells_x - gap_x, label_at[1])
        return finish([start, (gap_x, a.y), (gap_x, b.y)], end, label, label_at)

    def _dogleg(self, a: Box, b: Box, side_x: float, label: str) -> Route:
        """Up from a's top, through the gap beside the column, into b's bottom on that side of its middle: the line
        up out of the row between leaves its cell's top at the middle, and one into b's at the middle ran in line
        with it, a few points above, as if one wire ran through the gap between the two rows."""
        end = (b.x + min(PORT_GAP, b.width / 4) * (1.0 if side_x > b.x else -1.0), b.bottom)
        start = (a.x, a.top)
        above_a, below_b = a.top + self.space.gap_y / 2, b.bottom - self.space.gap_y / 2
        points = [start, (a.x, above_a), (side_x, above_a), (side_x, below_b),
                  (end[0], below_b)]
        return finish(points, end, label, (a.x + 10, above_a + 7))


def side_by_side(route: Route, distance: float, span: tuple[float, float] = (0.0, 0.0)) -> Route:
    """The route moved ``distance`` to the left of the way it runs (right where negative), each corner on both of its
    lines' moved selves, its ends along the faces they meet: one of several edges between the same two nodes on a
    track of its own. ``span``: the least and most of the distances its twins move; its label moves with the
    outermost of them on its side, as far from that line as it was from the route (not under a twin's line).

    >>> moved = side_by_side(Route([(0.0, 0.0), (0.0, 10.0), (20.0, 10.0)], (26.0, 10.0), (10.0, 17.0)), -2.0,
    ...                      (-2.0, 2.0))
    >>> moved.points, moved.end, moved.label_at
    ([(2.0, 0.0), (2.0, 8.0), (20.0, 8.0)], (26.0, 8.0), (10.0, 19.0))
    """
    corners = route.points + [route.end]
    normals = []
    for (x0, y0), (x1, y1) in zip(corners, corners[1:]):
        length = ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5 or 1.0
        normals.append((-(y1 - y0) / length, (x1 - x0) / length))
    normals = normals or [(0.0, 0.0)]
    moved = []
    for k, (x, y) in enumerate(corners):
        before, after = normals[max(k - 1, 0)], normals[min(k, len(normals) - 1)]
        scale = distance / max(1.0 + before[0] * after[0] + before[1] * after[1], 0.5)  # (a corner's mitre)
        moved.append((x + (before[0] + after[0]) * scale, y + (before[1] + after[1]) * scale))
    label_at = route.label_at
    if label_at is not None:  # with the line it names: by the normal of the part nearest it
        nearest = min(range(len(normals)), key=lambda k: _distance(label_at, corners[k], corners[k + 1])) \
            if len(corners) > 1 else 0
        normal, (x0, y0) = normals[nearest], corners[nearest]
        outermost = span[1] if (label_at[0] - x0) * normal[0] + (label_at[1] - y0) * normal[1] > 0 else span[0]
        label_at = (label_at[0] + normal[0] * outermost, label_at[1] + normal[1] * outermost)
    return Route(moved[:-1], moved[-1], label_at, route.label_lines, route.label_drawn, route.twins)


def _distance(point: tuple[float, float], start: tuple[float, float], end: tuple[float, float]) -> float:
    """From ``point`` to the segment from ``start`` to ``end``."""
    (px, py), (x0, y0), (x1, y1) = point, start, end
    length = (x1 - x0) ** 2 + (y1 - y0) ** 2
    along = 0.0 if not length else max(0.0, min(1.0, ((px - x0) * (x1 - x0) + (py - y0) * (y1 - y0)) / length))
    return ((px - x0 - along * (x1 - x0)) ** 2 + (py - y0 - along * (y1 - y0)) ** 2) ** 0.5
