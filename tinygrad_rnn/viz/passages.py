"""Passages: a bus's way through the levels of its own step, in a gap kept for it.

A node inside a step whose bus leaves (or enters) on the side of the step that other levels face — the
split of an LSTM's gradient graph, sending its δ down to the unbind beside the row past the linear under
it — drew its line straight through the nodes on those levels: to a student, an arrow into them. Graphviz's
dot mends this for every long edge by a *virtual node* in each rank the edge crosses, ordered among the real
nodes like one of them, so that the edge runs in a gap between them. A step's levels are its ranks, so:

* :func:`plan` finds, for each such node and side, the levels its line crosses (on the way to the lane): one
  line for a node's value, read on several lanes, and one for each lane a backward rule sends a gradient to
  (its terms of ∂J/∂W and ∂J/∂b, each to its own Σ, ran up one passage as if one quantity);
* :func:`spots` orders the line among each level's nodes it crosses, beside the node it rises from as the
  level's own nodes stand (dot's ordering of a virtual node by position); :func:`widening` adds room there
  (in every step alike) only where the nodes beside it leave too little for the line and a gap either side,
  and :func:`place` puts the line in the middle of that room;
* :func:`way` (the points) turns in the middle of the gap between two levels from one
  slot to the next, and the routes follow it.
"""

from __future__ import annotations

from .geometry import clear_of_corners
from .picture import is_backward_rule

PASSAGE_WIDTH = 2.0  # a passage's own slot: the line, and the gap between slots (gap_x) on either side of it
TURN_PITCH = 3.0  # between the heights at which the passages of one node turn in one gap between levels


Passage = tuple[int, bool, int]  # (node in a step, lane above it?, the lane's own node for a rule's line, else -1)


def key(grid, inside: int, lane_key: tuple) -> Passage:
    """The passage of ``inside``'s line to the lane ``lane_key``: one per node and side, but a backward rule's
    one per lane (each carries a gradient of its own)."""
    return inside, lane_key[1], lane_key[2] if is_backward_rule(grid.nodes[inside]) else -1


def plan(grid) -> dict[Passage, list[int]]:
    """Each passage (:func:`key`) → the levels (as drawn, bottom 0) its bus line crosses on the way out
    of its step, nearest first: none where it already stands on the level that faces the lane."""
    crossed: dict[Passage, list[int]] = {}
    for (tail, head), kind in grid.kind.items():
        if kind[0] != "bus":
            continue
        inside = tail if tail in grid.block_of else head
        row, above, _ = kind[1]
        top = grid.top_level[row]
        shown = top - grid.level[inside] if grid.backward else grid.level[inside]
        levels = list(range(shown + 1, top + 1)) if above else list(range(shown - 1, -1, -1))
        if levels:
            crossed[key(grid, inside, kind[1])] = levels
    return crossed


def of_each_side(crossed: dict[Passage, list[int]]) -> dict[tuple[int, bool], list[Passage]]:
    """(node, lane above it?) → its passages (:func:`plan`'s, in order): a rule's, one per lane, run side by side
    (:func:`way`); indexed once per layout, not searched for each bus edge."""
    found: dict[tuple[int, bool], list[Passage]] = {}
    for passage in crossed:
        found.setdefault(passage[:2], []).append(passage)
    return found


Spot = tuple[int, float, Passage, int]  # (before which node, the position, the passage, its level drawn)


def spots(grid) -> dict[tuple[int, int, int], list[Spot]]:
    """(row, column, level) → the passages crossing that level of that step, left to right: each stands before
    the level's k-th node, k the number of its nodes that stand left of the node the passage comes from
    (``grid.position``, 0 to 1 across a level: dot's ordering of a virtual node by its neighbour's place; a
    node straight above it stands right of it)."""
    waiting: dict[tuple[int, int, int], list[tuple[float, Passage, int]]] = {}
    for passage, levels in grid.passages.items():
        node = passage[0]
        row, col = grid.block_of[node]
        for shown in levels:
            level = grid.top_level[row] - shown if grid.backward else shown
            waiting.setdefault((row, col, level), []).append((grid.position[node], passage, shown))
    found = {}
    for (row, col, level), here in waiting.items():
        standing = [grid.position[i] for i in grid.members[(row, col)] if grid.level[i] == level]
        found[(row, col, level)] = sorted((sum(p < at for p in standing), at, key, shown) for at, key, shown in here)
    return found


def widening(grid, found: dict[tuple[int, int, int], list[Spot]], slot_width: dict, node_at: dict,
             level_span: dict) -> tuple[dict[tuple[int, int, int], float], dict[int, float]]:
    """Room to add where a passage lacks it for its line and a gap either side — none where the nodes beside
    it already leave that room (a narrow node in a slot as wide as the widest of the steps): (row, level, k) →
    the room added before the level's k-th slot, in every step alike (its nodes move apart), and row → the
    room added inside each side of its steps' borders, for a passage beside a level's first or last node
    (no node moves: a straight arrow into a node beside the passage stays straight)."""
    gap, pad = grid.space.gap_x, grid.space.box_pad
    between: dict[tuple[int, int, int], float] = {}
    border: dict[int, float] = {}
    widest = {}
    for (row, _), span in level_span.items():
        widest[row] = max(widest.get(row, 0.0), span)

    def slack(row: int, col: int, level: int, k: int) -> float:  # free room beside the k-th node, in its slot
        i = node_at.get((row, col, level, k))
        return (slot_width[(row, level, k)] - grid.boxes[i].width) / 2 if i is not None else 0.0

    for (row, col, level), here in found.items():
        count = grid.level_size.get((row, col, level), 0)  # (0: a level this step does not reach)
        for k in sorted({spot[0] for spot in here}):
            lines = sum(1 for spot in here if spot[0] == k)
            need = lines * PASSAGE_WIDTH + (lines + 1) * gap
            if 0 < k < count:
                room = slack(row, col, level, k - 1) + gap + slack(row, col, level, k)
                if room < need:
                    between[(row, level, k)] = max(between.get((row, level, k), 0.0), need - room)
                continue
            beside = slack(row, col, level, k if k == 0 else k - 1) if count else 0.0
            room = pad + beside + (widest[row] - level_span.get((row, level), 0.0)) / 2
            if room < need:
                border[row] = max(border.get(row, 0.0), need - room)
    return between, border


def place(grid, here: list[Spot], row: int, col: int, level: int, node_at: dict, half_width: float,
          centre_x: float) -> None:
    """Each passage's x on one level of one step: evenly in the room between the nodes it stands between
    (or the step's border), into ``grid.passage_x``."""
    for k in sorted({spot[0] for spot in here}):
        group = [spot for spot in here if spot[0] == k]
        left, right = node_at.get((row, col, level, k - 1)), node_at.get((row, col, level, k))
        low = grid.boxes[left].right if left is not None else centre_x - half_width
        high = grid.boxes[right].left if right is not None else centre_x + half_width
        for m, (_, _, key, shown) in enumerate(group):
            grid.passage_x[(key, shown)] = low + (high - low) * (m + 1) / (len(group) + 1)


def way(grid, passage: Passage) -> list[tuple[float, float]]:
    """The way from the passage's node's face out of its step towards its lane (above the row, or below) through
    the passage kept on each level it crosses, turning in the middle of the gap between two
    levels; [] where the node stands on the level that faces the lane (its line goes straight out)."""
    levels = grid.passages.get(passage)
    if not levels:
        return []
    node, above, _ = passage
    row, box = grid.block_of[node][0], grid.boxes[node]
    bottom = grid.block_bottom[row] + grid.space.box_pad
    # out of its face as near the first passage as the face reaches, clear of its corners (and of its middle,
    # where an arrow from the level it crosses comes in)
    x = clear_of_corners(box, grid.passage_x[(passage, levels[0])])
    previous = levels[0] - 1 if above else levels[0] + 1  # (from the node's own level)
    points = [(x, box.top if above else box.bottom)]
    # a rule's passages (one per lane) run side by side: each turns at a height of its own (:func:`turn`)
    siblings = grid.passages_of[passage[:2]] if passage[2] != -1 else [passage]
    for n, shown in enumerate(levels):
        low, high = sorted((previous, shown))
        gap_y = bottom + (grid.level_middle[(row, low)] + grid.level_height.get((row, low), 0.0) / 2
                          + grid.level_middle[(row, high)] - grid.level_height.get((row, high), 0.0) / 2) / 2
        gap_y += (1 if above else -1) * turn(grid, passage, siblings, n, box.x)
        next_x = grid.passage_x[(passage, shown)]
        points += [(x, gap_y), (next_x, gap_y)]
        x, previous = next_x, shown
    return points


def turn(grid, passage: Passage, siblings: list[Passage], n: int, middle: float) -> float:
    """How far past the middle of the gap before its ``n``-th level (towards that level) a passage turns, among
    the passages of one node (``siblings``, its node's middle at x ``middle``) that cross it: lines moving away
    from the node turn outermost first, lines moving back towards it innermost first, so that none crosses
    another's line, nor runs along it (a rule's terms to two Σs turned at one height, along one line)."""
    if len(siblings) < 2:
        return 0.0

    def move(line: Passage) -> tuple[float, float]:  # (how far out it was, how far out it goes) at this gap
        levels = grid.passages[line]
        before = abs(grid.passage_x[(line, levels[n - 1])] - middle) if n else 0.0
        return before, abs(grid.passage_x[(line, levels[n])] - middle)

    before, after = move(passage)
    outwards = after >= before
    order = sorted(siblings, key=lambda line: move(line)[1], reverse=outwards)
    return (order.index(passage) - (len(order) - 1) / 2) * TURN_PITCH
