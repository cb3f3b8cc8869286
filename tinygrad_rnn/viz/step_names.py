"""Where an op-level step's name (t=3) is written along the top of its frame: in its top left corner, or, where a
line runs through that corner, just right of the lines there. A line drawn through "t=3" reads as if it belonged
to it (an 8-step RNN's gradient: the drop out of each step's tanh backward up to the Σ of b″ ran up the inside of
the frame's left side, through every step's name, 20 times).

The name stays in the strip kept for it over the step's ops (``coordinates``' BOX_LABEL), which only lines cross:
those leaving the step upwards, or dropping into it. Moving right past them keeps it in its own frame's corner
region; where no spot along the strip is clear, it stays in the corner (the measure, ``legibility.texts_crossed``,
says so).

>>> from tinygrad_rnn.viz.geometry import Box, Layout, Route
>>> frame = Box(50.0, 50.0, 100.0, 100.0)  # (centre x, centre y, width, height: its top at y = 100)
>>> up_the_corner = Route([(8.0, 60.0), (8.0, 120.0)], (8.0, 126.0))
>>> step_name_spots(Layout([], [up_the_corner], [("t=1", frame)]))  # moved right of the line at x = 8
{0: 11.0}
>>> step_name_spots(Layout([], [], [("t=1", frame)]))  # nothing there: the corner, as drawn by default
{}
"""

from __future__ import annotations

from .geometry import FONT_SIZE, Layout, drawn_width, line_enters

NAME_INSET = 6.0  # from a frame's left side to its name's first letter (svg.py; dot.py's labeljust=l)
NAME_TOP, NAME_BOTTOM = 4.0, 14.0  # how far under the frame's top its name's glyphs reach (a 10-point line)
CLEAR = 3.0  # between the name and a line beside it


def step_name_spots(placed: Layout) -> dict[int, float]:
    """{step's index in ``placed.clusters``: x of its name's left} for each name moved off its frame's top left
    corner, where one of ``placed.routes`` runs through it (the others are drawn at the frame's left + NAME_INSET)."""
    lines = [[*route.points, route.end] for route in placed.routes]
    moved: dict[int, float] = {}
    for k, (name, frame) in enumerate(placed.clusters):
        width = drawn_width([name], FONT_SIZE)
        top, bottom = frame.top - NAME_TOP, frame.top - NAME_BOTTOM
        x, last = frame.left + NAME_INSET, frame.right - NAME_INSET - width
        while x <= last:
            spot = (x - CLEAR, bottom, x + width + CLEAR, top)
            through = [line for line in lines if line_enters(line, spot)]
            if not through:
                if x != frame.left + NAME_INSET:
                    moved[k] = x
                break
            # past the rightmost part of a line through the spot, within it (an upright line: its x)
            x = max(x + 1.0, max(p[0] for line in through for p in _inside_strip(line, spot)) + CLEAR)
    return moved


def step_name_left(placed: Layout, k: int) -> float:
    """The x where step ``k``'s name starts: its frame's left + NAME_INSET, or where :func:`step_name_spots` moved
    it (``placed.step_names``)."""
    return placed.step_names.get(k, placed.clusters[k][1].left + NAME_INSET)


def _inside_strip(line: list[tuple[float, float]], spot: tuple[float, float, float, float]):
    """The points of ``line``'s segments that enter ``spot`` (left, bottom, right, top), each cut to its height."""
    left, bottom, right, top = spot
    for p, q in zip(line, line[1:]):
        if line_enters([p, q], spot):
            for y in (max(bottom, min(p[1], q[1])), min(top, max(p[1], q[1]))):
                t = 0.0 if q[1] == p[1] else (y - p[1]) / (q[1] - p[1])
                x = p[0] + t * (q[0] - p[0])
                yield (min(max(x, left), right) if q[1] != p[1] else max(p[0], q[0]), y)
