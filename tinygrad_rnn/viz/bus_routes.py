"""The buses along a row's lanes: a node beside the rows feeding (or fed by) many steps, one line along its lane
with a drop into each step, or a rise from each (J and its J_t); the trunk each bus rises on beside the column
that holds its node, nested so that no lane's branch crosses another's trunk near a turn. :class:`BusRoutes` is
the part of :class:`~.routes.Routes` that routes them; its neighbours route the states between steps
(:mod:`.state_routes`), the lines through the gap beside a step (:mod:`.gap_routes`) and the lines up past rows
(:mod:`.risers`)."""

from __future__ import annotations

from . import passages
from .geometry import Box, Route, finish

TRUNK_CLEARANCE = 6.0  # points between a trunk and the trunks inside it whose lanes cross it (_nested_trunks)


class BusRoutes:
    """Routing the buses along a row's lanes, given a placed grid (see :class:`~.grid.Grid`, which sets every
    attribute read here)."""

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
            drop = self._drop_past_starts(head, b, y, rightwards)
            if drop is not None:  # (straight down into its top, past the initial state above it)
                return finish([*way[:-1], start, (x, y), (drop, y)], (drop, b.top if above else b.bottom), label,
                              (x + 3 + 3 * len(label), start[1] + 7 if above else start[1] - 7))
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

    def _drop_past_starts(self, head: int, b: Box, y: float, rightwards: bool) -> float | None:
        """Where a fan-in bus drops straight into its node's face from the lane, where a trunk beside the node's
        column would rise past an initial state of another row standing between the lane and the node, across
        that state's arrow into its first step: a bidirectional classifier's h₁⁽←⁾ along the top into fc beside the
        forward row's end, past h₀⁽←⁾ (beside the reverse row's start, the same end). The drop comes down outside
        those states, over the part of the node's face beyond them (None: no such state, or no room past it)."""
        if head not in self.beside_slot:
            return None
        (on_left, _, column), _ = self.beside_slot[head]
        low, high = sorted((y, b.y))
        between = [self.boxes[i] for (side, _, col), found in self.beside.items() if (side, col) == (on_left, column)
                   for i in found if i != head and self.place[i][0] != self.place[head][0]
                   and low < self.boxes[i].y < high]
        if not between:
            return None
        margin = self.space.gap_x / 2
        if rightwards:  # (the node's face past the states' right edges)
            x = max(box.right for box in between) + margin
            return x if x < b.right - 2 * self.space.pad_x else None
        x = min(box.left for box in between) - margin
        return x if x > b.left + 2 * self.space.pad_x else None

    def _past_boxes_beside(self, y: float, x0: float, x1: float, above: bool, ends: tuple[int, int]) -> float:
        """The lane's height from x0 to x1, moved past (above, or below) a node beside the row taller than the
        row that stands in its way: J's ∂J/∂h_T to a backward row's last step ran along that row's lane through
        the bottom of the Σ beside it (four lines of Σ hang below a row of cells one line tall)."""
        for i, box in self._boxes_across(min(x0, x1), max(x0, x1)):
            if i not in ends and i not in self.block_of and box.bottom - 1 < y < box.top + 1 \
                    and min(x0, x1) < box.right and box.left < max(x0, x1):
                y = box.top + self.space.lane / 2 if above else box.bottom - self.space.lane / 2
        return y

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
