"""The states between two steps of a row: from one step to the next through the gap between their columns, or
straight across where each step is one node (an LSTM's c above its h, each on a track of its own), and how their
names are drawn there (:func:`state_first` orders them, :func:`state_pitch` spaces them). :class:`StateRoutes`
is the part of :class:`~.routes.Routes` that routes them; its neighbours route the buses along a row's lanes
(:mod:`.bus_routes`), the lines through the gap beside a step (:mod:`.gap_routes`) and the lines up past rows
(:mod:`.risers`)."""

from __future__ import annotations

import re

from . import tracks as unnamed  # (here `tracks` names a gap's list of named states)
from .geometry import LABEL_DESCENT, LABEL_OFFSET, Box, Route, finish, label_depth, label_lines, lines_within
from .picture import cut_lines
from .scripts import FROM_SUPERSCRIPT


class StateRoutes:
    """Routing the states between steps, given a placed grid (see :class:`~.grid.Grid`, which sets every
    attribute read here)."""

    _unnamed_orders: dict[tuple[int, int], list] | None = None  # (row, gap) → its unnamed states' tracks, in order

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
            if one_sided(tracks):  # every name over its own line, just clear of it (LABEL_OFFSET)
                rise, above = LABEL_OFFSET + LABEL_DESCENT, True
            else:  # c's name over c's line, h's under h's: each grows away from the other
                above = offset >= 0
                rise = 7 if above else -8
            route = finish([start], end, label, ((start[0] + end[0]) / 2, start[1] + rise))
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
        if self.gaps_each:  # (a "…" column is narrower than a cell's: the gap's own middle, its label centred there)
            return self.column_x[gap] + self.column_widths[gap] / 2 + self.gap_width[gap] / 2
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
        outermost = self.both_ways and label in (tracks[:1] if one_sided(tracks) else (tracks[0], tracks[-1]))
        return self._drawn(label, 2 if outermost else len(tracks))

    def _drawn(self, label: str, tracks: int = 1) -> list[str]:
        """A state's label as drawn between two steps: on a slide in two lines where that is narrower, and
        where its gap holds at most two states (each grows away from the other; a third would meet one)."""
        return (cut_lines(label) or label_lines(label)) if self.slide and tracks <= 2 else [label]

    def loop_label(self, state: str, loops: int) -> list[str]:
        """A rolled cell's loop label as drawn: in two lines on a slide where the cell has one loop (the
        labels of two nested loops lie a loop's height apart: room for one line each)."""
        return self._drawn(state) if loops == 1 else [state]

    def _broken_to(self, route: Route, label: str, gap: float, above: bool) -> Route:
        """The route with its label in as few lines as fit the ``gap`` it lies in (:func:`~.geometry.lines_within`,
        an arrow's room beside them kept), growing away from the arrow: upwards above it."""
        return _in_lines(route, lines_within(label, gap - self.space.label_room), above)

    def _broken(self, route: Route, label: str, above: bool, tracks: list[str]) -> Route:
        """The route with its label's lines (:meth:`_state_lines`), growing away from the arrow: upwards above it."""
        return _in_lines(route, self._state_lines(label, tracks), above)


def _in_lines(route: Route, lines: list[str], above: bool) -> Route:
    """The route with its label drawn in ``lines`` where more than one, grown away from the arrow (upwards above it)."""
    if route.label_at is not None and len(lines) > 1:
        route.label_lines = lines
        if above:
            route.label_at = (route.label_at[0], route.label_at[1] + label_depth(lines))
    return route


def state_pitch(height: float, tracks: int) -> float:
    """How far apart the parallel states between two cells ``height`` tall run: a quarter of its height, as c above
    h; more than four (a step node passes every layer's, both ways where forward and backward share the nodes) a
    ``tracks``-th, all of them level with the cells (at a quarter, eight ran off a step's top and bottom, arrows
    between no nodes). (:meth:`~.coordinates.Coordinates._room_for_state_names` makes the cells tall enough.)

    >>> state_pitch(80, 2), state_pitch(80, 16)
    (20.0, 5.0)
    """
    return height / max(4, tracks)


def one_sided(tracks: list[str]) -> bool:
    """Whether the names of the parallel states in a gap all go over their own lines: where more than four run
    between two cells (a step node passes every layer's, both ways), a :func:`state_pitch` apart. There c's name
    over c's line and h's under h's flipped halfway down the bundle: past the flip, a name under its line lay as
    near the next line down, and read as that arrow's (h₂⁽²←⁾ as the h₁⁽²→⁾ under it).

    >>> one_sided(["c₁", "h₁"]), one_sided([f"h₁⁽{k}⁾" for k in "12345"])
    (False, True)
    """
    return len(tracks) > 4


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
    # the first state's layer and direction: h₃⁽²←⁾ (chain_mark), or h^[2←]⁽³⁾ where ⁽·⁾ is the time (Notation.marked)
    mark = re.search(r"\^\[([^\]]*)\]", label) or re.search(r"⁽([^⁾]*)⁾", label)
    written = mark.group(1).translate(FROM_SUPERSCRIPT) if mark else ""
    layer = re.search(r"\d+", written)
    return state != "c", -int(layer.group()) if layer else 0, "←" not in written, label
