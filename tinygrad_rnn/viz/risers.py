"""The lines up a column past the rows in between: in a stacked bidirectional network, layer 1's h_t of one
direction into layer 2's cell of the other, past the row of the first's other direction (and a top layer's h_t
into a head above the rows). Each row's line runs on a lane of its own beside the column — on the side the
row above it sends its states out of (:meth:`Risers._rises_on_left`) — so that no two arrows share a line (on
one lane, h₄⁽¹→⁾ and h₄⁽¹←⁾ ran up as one line into one arrowhead, and the reverse rows' h₀, c₀ bent onto it).
:class:`Risers` is the part of :class:`~.routes.Routes` that routes them; it reads the grid's placement (boxes,
rows, columns)."""

from __future__ import annotations

from .geometry import ARROW, Box, Route, drawn_width, finish, label_depth
from .ports import PORT_GAP

BESIDE_COLUMN = 4.0  # how far a line up past the rows in between runs from their cells' sides
RISER_SPACING = 5.0  # between two such lines beside one column, at most


class Risers:
    """Routing up past rows, given a placed grid (see :class:`~.grid.Grid`, which sets every attribute read here)."""

    def _is_riser(self, tail: int, head: int) -> bool:
        """Whether the edge goes up a column past the rows in between (layer 1's h_t of one direction into layer 2's
        cell of the other, beyond the row of the first's other direction)."""
        block_of = self.block_of
        return tail in block_of and head in block_of and block_of[tail][1] == block_of[head][1] \
            and abs(block_of[tail][0] - block_of[head][0]) > 1

    _riser_rows: dict[tuple[int, bool], list[int]] | None = None  # (column, on its left?) → rows rising, lowest first

    def _rises_on_left(self, tail: int, head: int) -> bool:
        """Which side of its column a line up past other rows runs on: the side the row above its tail sends its
        states out of — a reverse row's left, a forward row's right — not the side they come in by, where the line
        ran 4 points from the cells across the heads of the arrows into them. In a stacked bidirectional network
        the two directions' lines into one cell of the layer above come in from either side and never meet (on one
        side, h₄⁽¹→⁾ and h₄⁽¹←⁾ ran as one line into one arrowhead).

        In a BPTT figure the lines run down, and the rows above the tail are not the ones passed: a line down runs on
        the side where fewer states come into the cells it passes from their neighbours in the row (a row whose
        gradient runs right to left takes them in on the right), the side above where as many come in on either.
        A bidirectional classifier's reverse row into e_t passes its forward row on the left, where ∂J/∂h_t⁽→⁾
        leaves each cell: down the right, it ran across the heads of an LSTM's ∂J/∂h_t⁽→⁾ and ∂J/∂c_t⁽→⁾."""
        (tail_row, column), head_row = self.block_of[tail], self.block_of[head][0]
        above_tail = bool(self.reverse[tail_row + 1]) if tail_row + 1 < len(self.reverse) else False
        if head_row > tail_row:  # (up: the row above its tail is the first it passes)
            return above_tail
        heads = {-1: 0, 1: 0}  # the states coming into the cells passed, from the left (-1) and from the right
        for row in range(head_row + 1, tail_row):
            for cell in self.members.get((row, column), []):
                for before in self.predecessors[cell]:
                    if self.block_of.get(before, (None,))[0] == row and abs(self.block_of[before][1] - column) == 1:
                        heads[self.block_of[before][1] - column] += 1
        return heads[-1] < heads[1] if heads[-1] != heads[1] else above_tail

    def _risers(self) -> dict[tuple[int, bool], list[int]]:
        """The rows whose cells send a line up past others, by the column and side it runs beside (found once)."""
        if self._riser_rows is None:
            found: dict[tuple[int, bool], set[int]] = {}
            for tail, head, _ in self.edge_list:
                if self._is_riser(tail, head):
                    row, col = self.block_of[tail]
                    found.setdefault((col, self._rises_on_left(tail, head)), set()).add(row)
            self._riser_rows = {key: sorted(rows) for key, rows in found.items()}
        return self._riser_rows

    def _risers_beside(self, column: int, on_left: bool) -> list[int]:
        """The rows whose cells send a line up past others beside ``column`` on that side."""
        return self._risers().get((column, on_left), [])

    def _narrow_past_risers(self, label: str, room: float | None = None) -> list[str]:
        """A label as drawn in a figure with lines up past rows: on a slide in two lines where that is narrower
        (:meth:`~.state_routes.StateRoutes._drawn`) if in one line it is wider than ``room`` — by default the gap
        between two columns, beside a steep line: there it reached the line up beside the next column or its own (a
        bidirectional classifier's BPTT, (∂h₂⁽→⁾/∂e₂)ᵀ ∂J/∂h₂⁽→⁾, 91 points in a 48-point gap, struck through by the
        reverse row's line down into e_t)."""
        if not self._risers() or drawn_width([label]) <= (self.column_gap if room is None else room):
            return [label]
        return self._drawn(label)

    def _riser_x(self, column: int, on_left: bool, lane: int) -> float:
        """The x of the ``lane``-th line up beside a column on that side (0 the nearest), close beside it: the
        rows in between name their states mid-gap (h₂⁽¹←⁾ between two cells), and a line there struck them out."""
        gap = column - 1 if on_left else column  # (the gap it rises in: as wide as the widest, or as its own labels)
        width = self.gap_width[gap] if 0 <= gap < len(self.gap_width) else self.column_gap
        spacing = min(RISER_SPACING, (width / 2) / (len(self._risers_beside(column, on_left)) + 1))
        # beside the column's widest node, not its slot: a narrow cell's column is as wide as the widest anywhere (J's
        # or a label's), and lines there took the room the states' names between two cells need
        boxes = [self.boxes[i] for row in range(self.rows) for i in self.members.get((row, column), [])]
        if on_left:
            return min(box.left for box in boxes) - BESIDE_COLUMN - lane * spacing
        return max(box.right for box in boxes) + BESIDE_COLUMN + lane * spacing

    _inputs_up: set[int] | None = None  # the columns an input runs up beside into a row above (found once)

    def _input_up_x(self, column: int) -> float | None:
        """The x of an input's line up beside ``column``'s right into a row above its own (two modules reading one
        x_t, a bidirectional layer's reverse row: :meth:`~.routes.Routes._dogleg`), None where none runs there:
        close beside the column, a lane beyond the lines up past rows on that side (x_t into layer 1's reverse row
        ran 1.7 points beside h_t⁽¹→⁾ up into layer 2 for 60 points, one line at slide distance)."""
        if self._inputs_up is None:
            self._inputs_up = {self.block_of[head][1] for tail, head, _ in self.edge_list
                               if self._input_into_a_row_above(tail, head)}
        if column not in self._inputs_up:
            return None
        x = self.column_x[column] + self.column_width / 2 + BESIDE_COLUMN
        risers = self._risers_beside(column, False)
        return max(x, self._riser_x(column, False, len(risers))) if risers else x

    def _riser(self, tail: int, head: int, a: Box, b: Box, label: str) -> Route:
        """Up past the rows in between, beside the column (see :meth:`_rises_on_left`), each row's line on a lane
        of its own. Lines on one side nest, so none crosses another: a line from a row farther from b runs further
        out, turns in nearer b and enters b further from its middle (where a line from the row next to b comes in).
        In a BPTT figure the same lines run down, from layer 2's gradients into layer 1's."""
        row, column = self.block_of[tail]
        on_left = self._rises_on_left(tail, head)
        outwards = -1.0 if on_left else 1.0
        rows = self._risers_beside(column, on_left)
        up = b.y > a.y  # (a gradient runs down, from layer 2 back into layer 1: the same lines, mirrored)
        toward = 1.0 if up else -1.0

        def lane_of(tail_row: int) -> int:  # the line from the row nearest the heads nearest the column
            return len(rows) - 1 - rows.index(tail_row) if up else rows.index(tail_row)

        lane = lane_of(row)
        x = self._riser_x(column, on_left, lane)
        entering = sorted(lane_of(self.block_of[t][0]) for t in self.predecessors[head]  # (one entry an edge)
                          if self._is_riser(t, head) and self._rises_on_left(t, head) == on_left)
        rank = entering.index(lane)
        # a port apart from the line straight in from the row next to b (ports.py would spread arrows nearer)
        into = b.x + outwards * (rank + 1) * min(PORT_GAP + 1, b.width / 2 / (len(entering) + 1))
        b_face, a_face = (b.bottom, a.top) if up else (b.top, a.bottom)
        turn = b_face - toward * (ARROW + 2 + (len(entering) - 1 - rank) * 4.0)
        end = (into, b_face)
        if any(n.loops for n in self.nodes):  # a rolled cell's loops arch over its top: leave by its side
            start = (a.left if on_left else a.right, a.y)
            return finish([start, (x, a.y), (x, turn), (into, turn)], end, label, (x + outwards * 10, a.y + 7))
        start = (a.x, a_face)
        beside_a = a_face + toward * self.space.gap_y / 2
        # named right of the stem it leaves a by, where the line straight on from a (a fork of it) is named too —
        # but where another line rises up the column's other side (a bidirectional tagger's e_t into its reverse
        # row), it enters the cell above a few points right of the stem, and a name there read as the name of what
        # enters that cell (h₁⁽→⁾ beside e₁'s arrow into the reverse GRU: a two-layer stack): then named over the
        # stretch the line turns along, on the far side of the stem
        # in two lines where one is wider than a column and its gap: along the stretch it turns along it reached past
        # the line beside the next column (an LSTM classifier's (∂(h₂⁽←⁾, c₂⁽←⁾)/∂e₂)ᵀ ∂J/∂(h₂⁽←⁾, c₂⁽←⁾), 154 points)
        lines = self._narrow_past_risers(label, self.column_width + self.column_gap)
        label_at = (a.x + 10, beside_a + 7 * toward)
        if up and outwards < 0 and self._risers_beside(column, False):
            label_at = (a.x - 4 - drawn_width(lines) / 2, beside_a + 7 * toward)
        route = finish([start, (a.x, beside_a), (x, beside_a), (x, turn), (into, turn)], end, label, label_at)
        if len(lines) > 1 and route.label_at is not None:  # (growing away from its line: upwards over it)
            route.label_lines = lines
            if up:
                route.label_at = (route.label_at[0], route.label_at[1] + label_depth(lines))
        return route
