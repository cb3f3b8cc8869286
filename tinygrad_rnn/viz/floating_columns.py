"""The floating columns: a column of nodes beside the rows, on a slide, whose stacks need not stand level with
their own rows, since each meets the steps along buses (a Σ of a shared weight's terms, J and the losses' mean
beside a decoder). Which columns float, where their stacks stand (as near their rows as the other stacks leave
room for), where a line from a step enters one of their nodes, clear of the lanes, and the room the rows then need
between them. Apart from :mod:`.coordinates`, which measures every level, row and column and places every node,
since this is the one exception to its rule that a stack beside a row stands level with it: :class:`Coordinates`
asks :class:`FloatingColumns` (its base class) which columns float and where their stacks stand."""

from __future__ import annotations

from .geometry import ARROW, LABEL_CLEAR, NAMED_LEVEL_GAP, label_depth


class FloatingColumns:
    """Which columns beside the rows float, and where their stacks and the lines into them stand."""

    def _floating_columns(self, block_height: list[float]) -> set[tuple[bool, int]]:
        """On a slide, the outermost column beside the rows on each side (no line to a column farther out passes
        over it) where every node meets the steps along buses, or reads a step round a corner (a Σ beside the
        encoder's last cell), and no node outside its own stack: its stacks need not stand level with their rows,
        since a bus's trunk rises to its node wherever that stands. (A node that feeds a step straight across, h₀,
        stays level with it.) Where forward and backward share the nodes, one stack taller than its row floats too
        (a step node's Σ of two layers' 16 weights over their h₀ and c₀: 318 points where the steps are 238, it held
        x_t 40 points under them). A tall stack (the encoder–decoder's Σ of a decoder's four weights over the encoder's
        four) then reaches into the gaps beside the rows next to it instead of holding its row's neighbours that far
        apart. (Free size keeps every stack level with its row, and so does a column of one stack, J and its mean
        beside the losses: nothing to make room for, and the lecture page's rolled stage is laid out for it.)"""
        if not self.slide:
            return set()
        outermost = {side: max(col for s, _, col in self.beside if s == side) for side, _, _ in self.beside}
        stacks = [(side, col) for side, _, col in self.beside]
        tall = {(side, col) for (side, row, col), members in self.beside.items()
                if self.both_ways and self._stack_height(members) > block_height[row]}
        floating = {(side, col) for side, col in outermost.items()
                    if stacks.count((side, col)) > 1 or (side, col) in tall}
        for (side, _, col), members in self.beside.items():
            inside = set(members)
            for i in members:
                for tail, head in [(i, j) for j in self.successors[i]] + [(j, i) for j in self.predecessors[i]]:
                    other = head if tail == i else tail
                    # (a gradient's edge is drawn from head to tail: grid.py reads it as its value's, the other way)
                    kind = (self.kind.get((tail, head)) or self.kind[(head, tail)])[0]
                    along = kind == "bus" or (head == i and kind == "straight")  # (routes: _clear_of_lanes)
                    # forward and backward on one set of nodes: h₀ (c₀) shares the column of the Σs placed as the
                    # weights they sum; its line into the first step turns in the gap beside it (GapRoutes._through_gap)
                    # wherever its stack stands, and the Σs and h₀ stacked beside the cells' row held it that tall
                    along = along or (self.both_ways and kind == "straight" and tail == i
                                      and i in self._started(other))
                    if not along if other in self.block_of else other not in inside:
                        floating.discard((side, col))
        return floating

    def _named_between_rows(self, rows: int) -> list[float]:
        """Above each row, the room to add for the name of an arrow from a step of it into the row above (layer 2's
        chain rule into layer 1, two lines on a slide), between the lanes of the two rows: where a floating column
        no longer holds the rows apart, the gap between them is otherwise a lane and a level's gap."""
        room = [0.0] * rows
        if not self.floating:  # (elsewhere the nodes beside the rows hold them apart, as they always did)
            return room
        free = self.space.gap_y + 2 * self.space.lane  # between the last lane of one row and the first of the next
        for tail, head, label in self.edge_list:
            if label and tail in self.block_of and head in self.block_of:
                low, high = sorted((self.block_of[tail][0], self.block_of[head][0]))
                if high == low + 1:
                    depth = label_depth(self._drawn(label))
                    room[low] = max(room[low], NAMED_LEVEL_GAP + depth + 2 * LABEL_CLEAR - free)
        return room

    def _stack_height(self, members: list[int]) -> float:
        """The height of nodes stacked one above the other beside a row, a level's gap between them."""
        return sum(self.boxes[i].height for i in members) + self.space.gap_y * (len(members) - 1)

    def _beside_middles(self) -> dict[tuple[bool, int, int], float]:
        """The middle of each stack of nodes beside a row: level with its row, or in a floating column
        (:meth:`_floating_columns`) as near it as the stacks of the other rows there leave room for; where the column
        then reaches over the rows' top and not down to the figure's bottom (x_t's), lowered into that room: the
        figure no taller than its rows."""
        middle = {key: self.row_y[key[1]] for key in self.beside}
        for side, col in self.floating:
            stacks = sorted((key for key in self.beside if (key[0], key[2]) == (side, col)), key=middle.get)
            heights = [self._stack_height(self.beside[key]) for key in stacks]
            placed = spread([middle[key] for key in stacks], heights, self.space.gap_y)
            over = placed[-1] + heights[-1] / 2 - self.rows_top  # (its top past the rows' top)
            lower = max(0.0, min(over, placed[0] - heights[0] / 2))  # (as far as the room under its bottom allows)
            middle.update(zip(stacks, [y - lower for y in placed]))
        return middle

    def _clear_of_lanes(self, node: int, level: float, own: float | None = None) -> float | None:
        """Where a line from a step enters ``node`` in a floating column beside the rows (which stands where
        the stacks of the rows leave room, not level with its own row): at ``level``, straight across, where that
        meets its face, else round a corner at the nearest height to its middle; at least a lane's pitch from every
        lane, whose line runs on to its trunk beside that column (level with a lane, the encoder's last cell into
        its Σ ran along the decoder's terms into theirs, as if one line) but the line's ``own`` lane, if it comes
        along one. None elsewhere."""
        if node not in self.beside_slot or (self.beside_slot[node][0][0], self.beside_slot[node][0][2]) \
                not in self.floating:
            return None
        box, pitch = self.boxes[node], self.space.lane
        heights = [box.y + sign * step for step in range(0, int(box.height / 2 - ARROW)) for sign in (1, -1)]
        if abs(level - box.y) < box.height / 2 - ARROW:
            heights.insert(0, level)
        return next((y for y in heights if all(abs(y - lane) >= pitch or lane == own for lane in self.lane_heights)),
                    None)

    def _end_over_a_free_top(self) -> None:
        """The nodes beside a forward figure's end that read only its later steps, along buses (the losses' mean
        and J of a decoder that follows its encoder), stood over the last step before those where nothing stands as
        high (over the encoder's last cell, beside J₁), not in a column of their own past the end: a figure bound by
        its width gains that column (3 + 3 words: 11 % of it). Their column floats (:meth:`_floating_columns`), so
        the bus runs along its lane straight into the mean (:meth:`_ends_onto_their_lanes`). Asked for by
        ``layout.labelled_layout`` on a slide where nothing else fits; left as it is where any of this is not so."""
        ends = [key for key in self.beside if not key[0]]
        if self.backward or self.both_ways or any(self.reverse) or len(ends) != 1:
            return
        members = self.beside[ends[0]]
        joined = [(tail, head) for tail, head in self.kind if (tail in members) != (head in members)
                  and self.block_of.keys() & {tail, head}]
        read = {self.block_of[step][1] for pair in joined for step in pair if step in self.block_of}
        if not read or min(read) == 0 or any(self.kind[pair][0] != "bus" for pair in joined) or \
                max(self.boxes[i].width for i in members) > self.column_width:
            return
        x = self.column_x[min(read) - 1]
        bottom = min(self.boxes[i].bottom for i in members) - self.space.gap_y
        top = max(self.boxes[i].top for i in members) + self.space.gap_y
        half = (self.column_width + self.space.column_gap_min) / 2
        if any(box.right > x - half and box.left < x + half and box.top > bottom and box.bottom < top
               for i, box in enumerate(self.boxes) if i not in members):
            return  # (something stands there)
        for i in members:
            self.boxes[i].x = x
        self.floating.add((False, ends[0][2]))

    def _ends_onto_their_lanes(self) -> None:
        """In a floating column, the stack at either end (the Σ of an encoder's embedding under the decoder's, both
        fed along lanes under the row) moved up to its bus's lane where that passes beyond its face: the lane then runs
        straight in (:meth:`_clear_of_lanes`), not round a corner a fraction of a lane from the lane beside it, which
        it seemed to join. Only an end stack moves, outwards, onto nothing."""
        for side, col in self.floating:
            members = [i for (s, _, c), found in self.beside.items() if (s, c) == (side, col) for i in found]
            for end, outwards in ((min(members, key=lambda i: self.boxes[i].y), -1.0),
                                  (max(members, key=lambda i: self.boxes[i].y), 1.0)):
                box, reach = self.boxes[end], self.boxes[end].height / 2 - ARROW
                lanes = {self._lane_height(kind[1]) for (tail, head), kind in self.kind.items()
                         if head == end and kind[0] == "bus" and tail in self.block_of}
                beyond = [outwards * (lane - box.y) - reach for lane in lanes]
                if len(lanes) == 1 and beyond[0] > 0:
                    box.y += outwards * (beyond[0] + 1)  # (1 pt inside the face: the lane meets it)


def spread(wanted: list[float], heights: list[float], gap: float) -> list[float]:
    """The middles of boxes of ``heights`` stacked upwards in this order, at least ``gap`` apart, each as near
    its ``wanted`` middle as the others let it (least squares: where neighbours would overlap, they move as one
    run, centred on what they want, pooling adjacent violators).

    >>> spread([0, 10, 100], [20, 20, 20], 4)
    [-7.0, 17.0, 100.0]
    """
    offsets = [0.0]  # each middle above the first's, where the boxes stand packed
    for below, above in zip(heights, heights[1:]):
        offsets.append(offsets[-1] + (below + above) / 2 + gap)
    runs: list[list[float]] = []  # [the sum of what its boxes want less their offsets, how many]
    for want, offset in zip(wanted, offsets):
        runs.append([want - offset, 1])
        while len(runs) > 1 and runs[-2][0] / runs[-2][1] > runs[-1][0] / runs[-1][1]:
            total, count = runs.pop()
            runs[-1][0] += total
            runs[-1][1] += count
    return [total / count + offset for (total, count), offset in zip(
        [run for run in runs for _ in range(int(run[1]))], offsets)]
