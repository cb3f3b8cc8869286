"""One line of names along a bus: the steps' names t=1 … T beside a bus's drops stand in one place each, by one rule.

A bus into a Σ (or J) drops from each step into its lane, each drop named by its step. The arrows' names are moved
off what they lie on one at a time (:func:`.label_placement.place_labels`), each to the spot nearest its own, and
the last drop, at the bus's corner, finds a spot the others do not: on the page's sums stage "t=8" stood by the
corner, half a line off the line of t=1 … t=7; in a BPTT figure of a cell written as a function "t=4" stood over
the bus, t=1 … t=3 under it. A student counting the Σ's terms along the line saw T − 1, then one apart. Each name
that stands apart from where most of its bus's names stand (beside their drops) is moved there, where that spot is
clear.

>>> from tinygrad_rnn.viz.geometry import Box, Layout, finish
>>> drops = [finish([(x, 0.0), (x, -10.0), (-20.0, -10.0)], (-20.0, 0.0), f"t={k}")
...          for k, x in enumerate((0.0, 40.0, 80.0), 1)]
>>> for route, y in zip(drops, (-20.0, -20.0, -5.0)):
...     route.label_at = (route.points[0][0] - 10, y)
>>> placed = Layout([Box(-30.0, 0.0, 10, 10)], drops, [], [], [])
>>> names_on_one_line(placed, ["t=1", "t=2", "t=3"], [1, 2, 3], [0, 0, 0])
>>> [route.label_at for route in drops]
[(-10.0, -20.0), (30.0, -20.0), (70.0, -20.0)]
"""

from __future__ import annotations

from collections import Counter

from .label_placement import clashes


def names_on_one_line(placed, names: list[str], tails: list[int], heads: list[int]) -> None:
    """Move each named drop of a bus (a line down or up from its tail, then along the lane into ``heads[k]``) whose
    name stands elsewhere than most of its bus's, relative to its drop and the lane, to that place, where nothing
    is there (:func:`.label_placement.clashes`); ``names``, ``tails``, ``heads``: each route's."""
    buses: dict[tuple, list[int]] = {}
    for k, route in enumerate(placed.routes):
        line = route.unhopped or route.points
        if not names[k] or route.label_at is None or not route.label_drawn or len(line) < 3:
            continue
        (x0, _), (x1, lane), (_, y2) = line[:3]
        if abs(x0 - x1) < 0.5 and abs(lane - y2) < 0.5:  # a drop: straight to the lane, then along it
            buses.setdefault((heads[k], round(lane, 1)), []).append(k)
    for (_, lane), drops in buses.items():
        if len({tails[k] for k in drops}) < 3:
            continue
        where = {k: (round(placed.routes[k].label_at[0] - (placed.routes[k].unhopped or placed.routes[k].points)[0][0],
                           1), round(placed.routes[k].label_at[1] - lane, 1)) for k in drops}
        (most, count), = Counter(where.values()).most_common(1)
        if count * 2 <= len(drops):
            continue  # (no place most of them share: none is the odd one)
        for k in drops:
            route = placed.routes[k]
            if where[k] == most:
                continue
            before = route.label_at
            route.label_at = ((route.unhopped or route.points)[0][0] + most[0], lane + most[1])
            if clashes(placed, names, k):
                route.label_at = before
