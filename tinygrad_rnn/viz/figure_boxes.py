"""What a window onto a drawn stage is measured with, read back from the stage's SVG: each node's box and
outline, each arrow's route and box (its head included), each lit arrow's label's box (what the stage says an
arrow carries, which the window keeps in view), in the figure's units. Apart from :mod:`.stage_window`, which
states the window's rule (what the stage names is in view, at the readable scale, the rest filled around it,
no arrow cut): this is the figure as that rule sees it, read, never changed."""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ElementTree

from .geometry import drawn_width

Box = tuple[float, float, float, float]  # left, top, right, bottom, in the figure's units


LIT_LABEL = re.compile(r'<text [^>]*class="edge-label carried"[^>]*>.*?</text>', re.DOTALL)  # (export_paint)


@functools.lru_cache(maxsize=4)
def lit_labels(figure: str) -> list[Box]:
    """The box of each lit arrow's label in a painted stage's figure (export_paint marks it ``carried``, as the page's
    script does), in the figure's units: each of its lines as wide as its plain text, from 0.8 of its size over its
    baseline to 0.25 under it (export_paint._carries places them so).

    >>> lit_labels('<text class="edge-label carried" font-size="10" text-anchor="middle">'
    ...            '<tspan x="50.0" y="20.0">ab</tspan><tspan x="50.0" y="31.0">c</tspan></text>')[0][1::2]
    (12.0, 33.5)
    """
    found = []
    for match in LIT_LABEL.finditer(figure):
        label = ElementTree.fromstring(match.group())
        size, anchor = float(label.get("font-size", "9")), label.get("text-anchor", "start")
        lines = [line for line in label if line.get("y") is not None] or [label]
        sides = []
        for line in lines:
            x, y = float(line.get("x", "0")), float(line.get("y", "0"))
            wide = drawn_width(["".join(line.itertext())], size)
            start = x - wide / 2 if anchor == "middle" else x - wide if anchor == "end" else x
            sides.append((start, y - 0.8 * size, start + wide, y + 0.25 * size))
        found.append(_union(sides))
    return found


ARROWHEAD = 6.0  # an arrowhead's length in the figure's units (its marker's markerWidth, in user space)


EDGE = re.compile(r'<path [^>]*class="edge[^"]*" data-tail="(\d+)" data-head="(\d+)" d="([^"]+)"')  # an arrow's route


@functools.lru_cache(maxsize=4)
def _arrows(figure: str) -> list[tuple[Box, tuple[int, int]]]:
    """Each arrow's box (its route and its head, which points on along the last segment) and its two ends."""
    found = []
    for edge in EDGE.finditer(figure):
        box = _arrow_box(edge.group(3))
        if box is not None:
            found.append((box, (int(edge.group(1)), int(edge.group(2)))))
    return found


def route_points(route: str) -> list[tuple[float, float]]:
    """The points (x, y) of a path's d, in order.

    >>> route_points("M60.0,20.0 L46.0,-2.5")
    [(60.0, 20.0), (46.0, -2.5)]
    """
    return [(float(x), float(y)) for x, y in re.findall(r"(-?[\d.]+),(-?[\d.]+)", route)]


def _arrow_box(route: str) -> Box | None:
    """The box of an arrow drawn along ``route`` (a path's d), its head included; None for a route of one point."""
    points = route_points(route)
    if len(points) < 2:
        return None
    (px, py), (ex, ey) = points[-2:]
    length = max(((ex - px) ** 2 + (ey - py) ** 2) ** 0.5, 1e-9)
    points.append((ex + (ex - px) / length * ARROWHEAD, ey + (ey - py) / length * ARROWHEAD))
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


@functools.lru_cache(maxsize=4)
def _outlines(figure: str) -> dict[int, float]:
    """How far each node's outline reaches outside its box: half its stroke."""
    return {int(m.group(1)): float(m.group(2)) / 2 for m in
            re.finditer(r'data-index="(\d+)"[^>]*><rect [^>]*?stroke-width="([\d.]+)"', figure)}


@functools.lru_cache(maxsize=4)  # read for each layout tried (:func:`.stage_window.shown`), and again for the window
def _node_boxes(figure: str) -> dict[int, tuple[float, float, float, float]]:
    """Each node's rectangle in the figure's units, by node index: (left, top, right, bottom). (One dict for
    every caller of a figure: read, never changed.)"""
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
