"""The grid's edges sorted by how they run: straight, a state between two steps (in the gap between their
columns, on a track of its own), or a bus along a lane above or below a row, where a node beside the row feeds
(or reads) many steps, or a step not next to it. :class:`Lanes` is the part of :class:`~.grid.Grid` that
counts each row's lanes and gives every bus its lane; :mod:`.routes` draws the lines along them."""

from __future__ import annotations

from typing import Any

from . import tracks as unnamed  # (here `tracks` names a gap's list of named states)
from .picture import is_backward_rule, is_dropout_mask


class Lanes:
    """Each edge's kind (straight, state or bus), each bus's lane and each row's lanes above and below it."""

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
        # Nodes beside a row that the same nodes in the steps feed share one lane, which forks at its end: two
        # lanes would cross each other once for every pair of steps. Not where those nodes are backward rules,
        # each handing its own gradient to each (the terms of ∂J/∂W_hh and ∂J/∂b_hh from each step's linear
        # backward): on one lane, a term of one Σ ran along the terms of the other, as if one quantity; a line
        # crossing another at a right angle reads as two. A weight never shares a lane with data (e_t and W_ih
        # into one linear): one line, one arrowhead, would read as one value.
        sharing: dict[tuple, int] = {}
        self.lane_of: dict[tuple[int, int], int] = {}
        # Data into the steps never shares a lane: a stacked bidirectional network's four h₀ and c₀ into its last
        # step are four values, and on one lane they ran into one arrowhead (the weights a bus drops into each step
        # are one notation, the lecture's "the same W at every step").
        split: dict[tuple, list[int]] = {}  # (row, the rules) → the Σs their terms go to, each on a lane of its own
        for (outside, row), ends in partners.items():
            weight = self.nodes[outside].kind == "parameter"
            shares = weight or all(is_tail and not is_backward_rule(self.nodes[inside])
                                   for inside, is_tail in ends)
            key = (row, frozenset(ends), self.beside_slot[outside][0] if outside in self.beside_slot else outside,
                   weight) if shares else (outside,)
            self.lane_of[(outside, row)] = sharing.setdefault(key, outside)
            if not shares and all(is_tail for _, is_tail in ends):
                split.setdefault((row, frozenset(ends)), []).append(outside)
        self.kind: dict[tuple[int, int], tuple] = {}
        self.drops_into: dict[int, list[tuple]] = {}  # op → the buses dropping into it (side by side)
        self.lane: dict[tuple, int] = {}
        self.lane_ends: dict[tuple, tuple[int, set[int]]] = {}  # a lane → a node beside the row, the steps' columns
        self.trunks: dict[Any, list[tuple]] = {}  # a column beside the row → the lanes whose trunks rise beside it
        self.trunk_clearance: dict[tuple, float] = {}  # a lane → how much farther out its trunk runs (crossed)
        self.lanes_above = [0] * max(self.rows, 1)
        self.lanes_below = [0] * max(self.rows, 1)
        self.gap_tracks: dict[tuple[int, int], list[str]] = {}  # (row, column gap) → labels of the states in it
        self.gap_unnamed: dict[tuple[int, int], dict] = {}  # … and its unnamed states by value (tracks.key)
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
                if not label:  # (op level) a track for each value, not one for all unnamed (tracks.py)
                    self.gap_unnamed.setdefault((row, gap), {}).setdefault(
                        unnamed.key(self, tail, head), []).append((tail, head))
                kind = ("state", row, gap, label)
            else:
                for outside, inside in ((tail, head), (head, tail)):
                    if inside in block_of and (fan.get((outside, block_of[inside][0]), 0) > 1
                                               or self._far_from_side(outside, inside)):
                        row = block_of[inside][0]
                        if is_dropout_mask(self.nodes[outside]):  # below the row whichever way it runs: where the
                            # cells read h_t from the layer below and hand its gradient back; above the top row of a
                            # stack its bus ran where other BPTT figures carry J's gradient into the cells
                            above = False
                        elif self.top_level[row]:  # the lower levels read what comes in, the upper pass it on
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
                        self.lane_ends.setdefault(lane_key, (outside, set()))[1].add(block_of[inside][1])
            self.kind[(tail, head)] = kind
        # a rule's terms to several Σs: the lane met first (its trunk rises nearest the Σs' column) farthest from
        # the row, so that the trunks nest and cross no lane, and the drop that names its step ends outermost
        for (row, _), outsides in split.items():
            for above in (True, False):
                keys = sorted((key for key in ((row, above, o) for o in outsides) if key in self.lane),
                              key=self.lane.get)
                for key, number in zip(keys, [self.lane[key] for key in keys][::-1]):
                    self.lane[key] = number
        if self.backward:
            self._a_free_lane_beside_each_sum()

    def _a_free_lane_beside_each_sum(self) -> None:
        """In a BPTT figure, where a Σ's bus and a gradient's line run along each other, the Σ's lane nearer the row
        and two free lanes between them, where the Σ's step names (t=1, …) stand: a lane apart, ∂J/∂h₁⁽←⁾ from a
        bidirectional classifier's fc to its reverse cell 1 ran the figure's whole width beside the Σ⁽←⁾ bus, and a
        reader could not tell the gradient from the weight's terms (one free lane left the names no room: they
        crowded between the lines). Two Σs' buses side by side stay a lane apart: each a sum of named terms."""

        def is_sum(lane_key: tuple) -> bool:  # (the terms from the steps into a Σ; J's gradient leaves it)
            outside = self.lane_ends[lane_key][0]
            return self.nodes[outside].kind == "output" and any(p in self.block_of for p in self.predecessors[outside])

        for row in range(max(self.rows, 1)):
            for above, counts in ((True, self.lanes_above), (False, self.lanes_below)):
                keys = sorted((key for key in self.lane if key[:2] == (row, above)), key=self.lane.get)
                if any(is_sum(a) != is_sum(b) and self._lanes_run_along(a, b) for a in keys for b in keys):
                    # the Σs' buses nearest the row, where their terms rise from the steps: the gradient's line
                    # outside them drops into its one step past their ends, not across each step's term
                    numbers = [self.lane[key] for key in keys]
                    keys.sort(key=lambda key: not is_sum(key))
                    self.lane.update(zip(keys, numbers))
                spare = 0
                for inner, outer in zip(keys, keys[1:]):
                    self.lane[inner] += spare
                    if is_sum(inner) != is_sum(outer) and self._lanes_run_along(inner, outer):
                        spare += 2
                if keys:
                    self.lane[keys[-1]] += spare
                counts[row] += spare

    def _lanes_run_along(self, first: tuple, second: tuple) -> bool:
        """Whether two lanes of one row run past a gap between columns in common (:meth:`_lane_passes`)."""
        return bool(self._gaps_passed(first) & self._gaps_passed(second))

    def _gaps_passed(self, lane_key: tuple) -> set[int]:
        """The gaps between columns a lane runs past (−1: left of the first, the last column: right of it), from
        its trunk beside the row (or, where its node is not beside the row, from anywhere) to its farthest step."""
        outside, columns = self.lane_ends[lane_key]
        low, high = min(columns), max(columns)
        if outside not in self.beside_slot:
            low, high = -1, len(self.steps)
        elif self.beside_slot[outside][0][0]:  # its trunk on the left
            low = -1
        else:
            high = len(self.steps)
        return set(range(low, high))

    def _far_from_side(self, outside: int, inside: int) -> bool:
        """An edge between a node beside the row and a step that is not next to it (so a straight
        line would cross the steps in between)."""
        side, row = self.place.get(outside, ("", 0))
        if side not in ("start", "end"):
            return False
        at_start = side == "start"
        first, last = 0, len(self.steps) - 1
        near = (first if at_start else last) if not self.reverse[row] else (last if at_start else first)
        if at_start and outside in self.beside_slot:  # what feeds the steps, by the end it stands beside: a reverse
            # direction's h₀ beside the last step of a row that merges both directions (a step node) went under
            # that step into its bottom, across its twin's line, not straight into its side
            near = first if self.beside_slot[outside][0][0] else last
        return self.block_of[inside][1] != near


    def _lane_passes(self, row: int, above: bool, gap: int) -> bool:
        """A lane above (or below) ``row`` runs past the gap between columns ``gap`` and ``gap + 1``
        (:meth:`_gaps_passed`). (h₀ into the last step of a reverse row runs under that step alone.)"""
        return any(gap in self._gaps_passed(key) for key in self.lane_ends if key[:2] == (row, above))
