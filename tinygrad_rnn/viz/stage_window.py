"""Where an exported stage's figure goes on its slide, and which part of it shows.

A stage's figure is shown whole where its smallest text comes to 24 px or more in the box the
slide gives it (:func:`shown` compares the boxes :mod:`.export` can give). Where it would come out
smaller, the slide shows a window onto it at 24 px instead, around the step being explained — as
the page does in the browser (lecture_fit.js): the cell of step t and the step it comes from,
whole steps and whole rows of nodes (the cells' row first, then the rows the pass comes from),
and a line that says which steps are in view of how many and where the figure goes on. Nothing is
redrawn or left out: the window only chooses the nested ``<svg>``'s viewBox (:func:`.slide.fit`).

>>> boxes = {0: (0.0, 0.0, 40.0, 20.0), 1: (60.0, 0.0, 100.0, 20.0), 2: (0.0, 50.0, 40.0, 70.0)}
>>> _in_view((50.0, -4.0, 60.0, 28.0), list(boxes.values()), [2], 4)
'step 2 of 4 in view; the figure goes on below and to the left'
"""

from __future__ import annotations

import functools
import re

from .legibility import slide_fit
from .slide import HEIGHT, SMALLEST_PX, WIDTH, drawing_box, drawing_size

PAD = 4  # figure units around a window's nodes: their outlines are drawn outside their boxes


def shown(figure: str, box: tuple[float, ...]) -> tuple[float, float]:
    """How well a box shows the figure with its text at the slide's smallest size: the fraction
    of the figure's area shown (so the more steps, the better), then how large it draws the whole."""
    left, top, width, height = box
    figure_width, figure_height = drawing_size(figure)
    needed = _needed_scale(figure)
    fraction = min(1.0, width / (needed * figure_width)) * min(1.0, height / (needed * figure_height))
    return round(fraction, 2), min(width / figure_width, height / figure_height)


@functools.lru_cache(maxsize=4)  # asked for each layout tried, and again for the window
def _needed_scale(figure: str) -> float:
    """Slide pixels per unit of the figure that put its smallest text at 24 px (a hair over)."""
    width, height = drawing_size(figure)
    filling = min(WIDTH / width, HEIGHT / height)
    return SMALLEST_PX / slide_fit(figure).text_px * filling * 1.002


def window_onto(figure: str, figures: dict, panel: dict, stage: dict,
                box: tuple[float, ...]) -> tuple[tuple[float, ...], str]:
    """Where the figure goes on the slide, and which part of it: (the box for :func:`fit`, plus the
    viewBox when a window is shown; the line that says which steps are in view, or "")."""
    left, top, width, height = box
    full = drawing_box(figure)
    needed = _needed_scale(figure)
    if min(width / full[2], height / full[3]) >= needed:
        scale = min(width / full[2], height / full[3])
        return (left, top, width, full[3] * scale), ""
    w, h = min(full[2], width / needed), min(full[3], height / needed)
    boxes = _node_boxes(figure)
    focus = _focus(figures, panel, stage, boxes, w)
    x = min(max((focus[0] + focus[2]) / 2 - w / 2, full[0]), full[0] + full[2] - w)
    x, right = _whole_nodes(x, x + w, full[0], full[0] + full[2], [(b[0], b[2]) for b in boxes.values()])
    if h >= full[3]:
        y, bottom = full[1], full[1] + full[3]
    else:  # whole rows of nodes around the focus, first those on the side the pass comes from
        upwards = {"forward": False, "backward": True}.get(stage["phase"])
        y, bottom = _rows_around(focus, h, [(b[1], b[3]) for b in boxes.values()], upwards)
    window = (x, y, right - x, bottom - y)
    return (left + (width - window[2] * needed) / 2, top, window[2] * needed, window[3] * needed, window), \
        _in_view(window, list(boxes.values()), [] if stage["phase"] == "rolled" else
                 _steps_inside(window, figures, boxes), panel["steps"])


def _whole_nodes(left: float, right: float, first: float, last: float,
                 spans: list[tuple[float, float]]) -> tuple[float, float]:
    """The window's sides moved in where they would cut through a node (an edge running out of
    the window says that the figure goes on); a side at the figure's own edge stays."""
    for start, end in spans:
        if start - PAD < left < end + PAD and left > first + 0.5:
            left = end + PAD
        if start - PAD < right < end + PAD and right < last - 0.5:
            right = start - PAD
    return left, max(right, left + 1.0)


def _rows_around(focus: tuple[float, ...], height: float, spans: list[tuple[float, float]],
                 upwards: bool | None) -> tuple[float, float]:
    """The top and bottom of the rows of nodes around the focus that fit ``height``: the focus's
    row, then the rows above it (``upwards``) or below it (False) as long as they fit, then the
    other side's; with None, a row above and one below in turn."""
    rows: list[list[float]] = []
    for start, end in sorted(spans):
        if rows and start <= rows[-1][1]:
            rows[-1][1] = max(rows[-1][1], end)
        else:
            rows.append([start, end])
    middle = (focus[1] + focus[3]) / 2
    kept = [min(range(len(rows)), key=lambda k: abs((rows[k][0] + rows[k][1]) / 2 - middle))] * 2  # first, last

    def grow(up: bool) -> bool:
        first, last = (kept[0] - 1, kept[1]) if up else (kept[0], kept[1] + 1)
        if first < 0 or last >= len(rows) or rows[last][1] - rows[first][0] + 2 * PAD > height:
            return False
        kept[:] = [first, last]
        return True

    if upwards is None:
        while grow(True) | grow(False):  # both, each time
            pass
    else:
        while grow(upwards):
            pass
        while grow(not upwards):
            pass
    return rows[kept[0]][0] - PAD, rows[kept[1]][1] + PAD


def _steps_inside(window: tuple[float, ...], figures: dict, boxes: dict) -> list[int]:
    """The steps whose cells the window shows whole."""
    x, _, w, _ = window
    columns = [(int(t), _union([boxes[i] for i in indices])) for t, indices in figures["cells"].items()]
    return [t for t, (left, _, right, _) in columns if x - 1 <= left and right <= x + w + 1]


def _in_view(window: tuple[float, ...], boxes: list[tuple[float, ...]], steps: list[int], count: int) -> str:
    """The line under a window: which steps it shows of how many, and where the figure goes on
    (the sides with nodes beyond them)."""
    x, y, w, h = window
    cut = ((any(b[1] < y for b in boxes), "above"), (any(b[3] > y + h for b in boxes), "below"),
           (any(b[0] < x for b in boxes), "to the left"), (any(b[2] > x + w for b in boxes), "to the right"))
    more = " and ".join(side for is_cut, side in cut if is_cut)
    if not steps:
        return f"a window onto the figure; it goes on {more}"
    shown = f"steps {min(steps)}–{max(steps)}" if len(steps) > 1 else f"step {steps[0]}"
    return f"{shown} of {count} in view; the figure goes on {more}"


def _focus(figures: dict, panel: dict, stage: dict, boxes: dict[int, tuple[float, float, float, float]],
           width: float) -> tuple[float, float, float, float]:
    """What the stage is about: the loop when rolled, J where the backward pass starts, else the cell
    of step t with the step it came from (forward) or the one the gradient came from (backward).
    Its rows come first (:func:`_rows_around` adds the rows the pass comes from while they fit);
    going back, its sides take in step t's own loss column where each step has one (J_t is wider
    than its cell), so that those rows, where they fit, are whole (lecture_fit.js: the same)."""
    if stage["phase"] == "rolled":
        return _union(list(boxes.values()))
    t = min(stage["t"] or 1, panel["steps"] + 1)
    if t > panel["steps"]:
        outputs = {int(i) for i in re.findall(r'class="node output" data-index="(\d+)"', figures["svg"])}
        return _union([b for i, b in boxes.items() if i in outputs] or list(boxes.values()))
    own = _union([boxes[i] for i in figures["cells"][str(t)]])
    neighbour = t - 1 if stage["phase"] == "forward" else t + 1 if stage["phase"] == "backward" else t
    both = _union([own] + [boxes[i] for i in figures["cells"].get(str(neighbour), [])])
    above = _union([boxes[i] for i in figures.get("above", {}).get(str(t), [])]) \
        if stage["phase"] == "backward" else None
    for cells in (both, own):  # the widest that fits: both steps and the loss column, …, step t alone
        for focus in ((_across(cells, above), cells) if above else (cells,)):
            if focus[2] - focus[0] <= width:
                return focus
    return own


def _across(cells: tuple[float, float, float, float], above: tuple[float, float, float, float]
            ) -> tuple[float, float, float, float]:
    """The cells' box widened to the loss column's sides (its top and bottom stay the cells')."""
    return min(cells[0], above[0]), cells[1], max(cells[2], above[2]), cells[3]


def _node_boxes(figure: str) -> dict[int, tuple[float, float, float, float]]:
    """Each node's rectangle in the figure's units, by node index: (left, top, right, bottom)."""
    boxes = {}
    for found in re.finditer(r'data-index="(\d+)"[^>]*><rect x="([-\d.]+)" y="([-\d.]+)" width="([\d.]+)" '
                             r'height="([\d.]+)"', figure):
        index, x, y, w, h = int(found.group(1)), *(float(v) for v in found.groups()[1:])
        boxes[index] = (x, y, x + w, y + h)
    return boxes


def _union(boxes: list[tuple[float, float, float, float]]) -> tuple[float, float, float, float] | None:
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
