"""Tracks: the unnamed states crossing one gap between two steps' columns, each on a vertical line of its own.

At op level a step hands the next its states unnamed (h_t out of one op into another, c_t likewise) through
the gap between their columns. The grid files a gap's states by their names, and every unnamed state had the
one name "": all ran down the middle of the gap, and where their stretches met, h₃ and c₃ (or ∂J/∂h₂ and the
part of ∂J/∂c₂ through the next step) ran along one line, to a student one arrow. As Graphviz's dot gives each
long edge a virtual node of its own in every rank it crosses, each value here gets a track of its own:

* :func:`key` names the value a state carries: its tail's output, read by every op it feeds (one line that
  forks, as drawn elsewhere), or, out of a backward rule, that one edge (the rule hands each input its own
  gradient);
* :func:`order` puts the tracks side by side in the order that crosses the fewest of their own lines (each
  track turns out of the gap to its tail's column and to its heads' column, level with each node).
"""

from __future__ import annotations

from itertools import permutations

from .picture import is_backward_rule

TRACK_PITCH = 6.0  # points between two tracks in one gap (a named state's pitch too)
MOST_TRIED = 6  # tracks in one gap whose every order is tried (720 orders); more keep the order they came in

Leg = tuple[float, bool]  # (the y it turns at, whether it runs out of the gap to the left)


def key(grid, tail: int, head: int) -> object:
    """What an unnamed state carries, as its track: the tail's one value, or one rule's gradient to ``head``."""
    return (tail, head) if is_backward_rule(grid.nodes[tail]) else tail


def legs(grid, edges: list[tuple[int, int]], gap_x: float) -> list[Leg]:
    """Where a track's edges turn out of the gap at ``gap_x``: level with each tail and each head."""
    return [(grid.boxes[end].y, grid.boxes[end].x < gap_x) for edge in edges for end in edge]


def crossings(left: list[Leg], right: list[Leg]) -> int:
    """How many lines cross where a track with ``left``'s legs runs left of one with ``right``'s: a leg of the
    right one running left across the left one's vertical stretch, and a leg of the left one running right
    across the right one's.

    >>> crossings([(0.0, True), (10.0, False)], [(5.0, True), (20.0, False)])  # h: 0 → 10 left of c: 5 → 20
    2
    >>> crossings([(5.0, True), (20.0, False)], [(0.0, True), (10.0, False)])  # c left of h
    0
    >>> crossings([(0.0, True), (10.0, False)], [(20.0, True), (30.0, False)])  # stretches apart: none
    0
    """
    def inside(y: float, legs: list[Leg]) -> bool:
        ys = [at for at, _ in legs]
        return min(ys) < y < max(ys)

    return (sum(inside(y, left) for y, leftwards in right if leftwards)
            + sum(inside(y, right) for y, leftwards in left if not leftwards))


def order(tracks: dict[object, list[Leg]]) -> list[object]:
    """The tracks' keys left to right: of every order, the first (from the order they came in) that crosses
    fewest lines.

    >>> order({"h": [(0.0, True), (10.0, False)], "c": [(5.0, True), (20.0, False)]})
    ['c', 'h']
    """
    keys = list(tracks)
    if len(keys) > MOST_TRIED:
        return keys
    def cost(candidate: tuple) -> int:
        return sum(crossings(tracks[a], tracks[b]) for n, a in enumerate(candidate) for b in candidate[n + 1:])
    return list(min(permutations(keys), key=cost))
