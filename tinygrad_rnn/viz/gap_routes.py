"""The lines between a node beside the row and an op inside a step, along the gap beside the step's column (h₀
and c₀ into an LSTM's first cell, each at its state's height; the steps left out, "…", passing on several
states), and which faces of a node other edges already meet (read by the buses too, :mod:`.bus_routes`).
:class:`GapRoutes` is the part of :class:`~.routes.Routes` that routes them; its neighbours route the states
between steps (:mod:`.state_routes`) and the lines up past rows (:mod:`.risers`)."""

from __future__ import annotations

from . import tracks as unnamed  # (here `tracks` names a gap's list of named states)
from .geometry import ARROW, LABEL_CLEAR, Box, Route, finish

# two lanes between a line up a step's side into an op and one out of that op's side down to a node beside the row:
# a lane apart (6 points on a slide, 14 px), a GRU's z₁ up into h₁ and h₁ down to sum read as one doubled line
BEYOND_LANES = 2


class GapRoutes:
    """Routing through the gap beside a step, given a placed grid (see :class:`~.grid.Grid`, which sets every
    attribute read here)."""

    def _started(self, head: int) -> list[int]:
        """The nodes beside the row at its start that feed the step ``head`` (h₀ and c₀), top to bottom: not
        the weights drawn once, whose bus drops into the step from below (counted among them, W, U and b moved
        h₀'s arrow off h's line into the first cell with a jog)."""
        tails = {t for t in self.predecessors[head]  # (not a Σ that a gradient reaches: placed as a weight)
                 if t not in self.block_of and self.place.get(t, ("",))[0] == "start"
                 and self.nodes[t].kind != "output" and self.kind.get((t, head), ("",))[0] != "bus"}
        return sorted(tails, key=lambda t: -self.boxes[t].y)

    def _initial_states(self, members: list[int]) -> bool:
        """Whether the nodes beside a row are what its steps start from alone (h₀, c₀): each reads nothing and is read
        by steps only, straight across."""
        return all(not self.predecessors[i] and all(j in self.block_of and self.kind.get((i, j), ("",))[0] == "straight"
                                                    for j in self.successors[i]) for i in members)

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
        if self.nodes[other].kind != "op" or not (self.nodes[dots].carries or self.nodes[dots].key.side == "after"):
            return {}  # (a "…" after the steps drawn passes nothing on: the lines into it are each a state)
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
                     outside_y: float | None = None, beyond: float | None = None) -> Route:
        """Between a node beside the row and an op in a step: along the gap on that side of the step (into
        ``b`` at ``end_y``, where several arrows enter it side by side; meeting the node outside at ``outside_y``,
        where several lines meet it), past the lines that rise beside the
        column (h₀⁽¹←⁾ bent onto the one carrying h₄⁽¹→⁾ up to layer 2). Where ``side_taken`` (another edge
        leaves the op's side level with it), a quarter of its height nearer the node outside: on the other
        edge's point the two arrows read as one, pointing both ways. Out of a node outside that lines from the rows
        come into on that side (h_T into J), a quarter of its height towards the op: along h_T's line, ∂J/∂h_T
        out of J read as h_T going on down to the backward rows. ``beyond``: the x of a line up the step's side
        into the same op (:meth:`~.routes.Routes._past_levels_beside`), which this one runs ``BEYOND_LANES`` beyond."""
        column_x = self.column_x[column]
        outside = a if abs(a.x - column_x) > abs(b.x - column_x) else b
        side = 1.0 if outside.x > column_x else -1.0
        gap_x = column_x + side * (self.column_width / 2 + self.space.gap_x / 2)
        risers = self._risers_beside(column, side < 0)
        if risers:  # a lane further out than they
            past_risers = self._riser_x(column, side < 0, len(risers))
            gap_x = max(gap_x, past_risers) if side > 0 else min(gap_x, past_risers)
        if beyond is not None:  # lanes beyond a line up the side into the same op
            apart = BEYOND_LANES * self.space.lane
            gap_x = max(gap_x, beyond + apart) if side > 0 else min(gap_x, beyond - apart)
        input_x = self._input_up_x(column) if side > 0 else None
        if input_x is not None:  # an arrowhead's width beyond an input's line up into the row above: from another
            # source, h₃⁽ʳ⁾ up into J ran 1 point beside x₃'s up into the GRU's cell 3 for 45 points and split from it
            # under the cell, as if the RNN's h₃ fed the GRU (two modules reading one x)
            gap_x = max(gap_x, input_x + ARROW)
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

    # which faces of a node other edges already meet (asked by the lines through a gap and by the buses)
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
