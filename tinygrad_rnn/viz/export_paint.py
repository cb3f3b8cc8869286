"""Painting a lecture page's figure as the page paints it at one stage, for an exported slide: the cells
computed so far, the gradient's colours, the lit arrows turned to point back with what they carry, and at the
sums the first weight's Σ with the arrows of its terms. (lecture.js paints the page's own; :mod:`.export` lays
the painted figure out on its slide.)"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence

from .dot import VIRIDIS, colour
from .figure_boxes import route_points
from .geometry import drawn_width
from .layout import ARROW

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
FORWARD, CURRENT = "#fdb863", "#d6604d"  # as on the page: a cell computed, the cell of this step


def painted_backward(stage: dict) -> bool:
    """Whether a stage's figure is painted in ‖∂J/∂h_t‖'s colours (backward and the sums)."""
    return stage["phase"] in ("backward", "sums")


def paint(figures: dict, panel: dict, stage: dict, scale: Sequence[float], key: str = "svg") -> str:
    """The unrolled figure as the page paints it at ``stage``: forward, the cells computed so far
    (cell t outlined, later ones faint); backward, the cells reached coloured by ‖∂J/∂h_t‖ on the
    page's scale and the edge just crossed in red, its arrow turned to point back, as the gradient flows;
    at the sums (``key`` "sums_svg": the figure with each row's Σ), the first weight's Σ, its line in bold,
    with the arrows of its terms lit, and no other Σ (:func:`_first_sum`).
    ``figures`` holds the figure as a slide draws it, with its own node and edge numbers
    (:func:`tinygrad_rnn.viz.lecture`'s ``page.slides``); ``panel``, the page's numbers."""
    ElementTree.register_namespace("", SVG_NAMESPACE)
    root = ElementTree.fromstring(figures[key])
    ns = {"svg": SVG_NAMESPACE}
    nodes = {g.get("data-index"): g for g in root.iterfind(".//svg:g[@data-index]", ns)}
    phase, t_stage = stage["phase"], stage["t"]
    reached = t_stage if painted_backward(stage) else panel["steps"] + 1
    for step, indices in figures["computed"].items() if phase == "forward" else ():  # a step not yet computed:
        for index in indices if int(step) > t_stage else ():                       # every node of it dim
            nodes[str(index)].set("opacity", "0.35")
    for step, indices in figures["cells"].items():
        t = int(step)
        for index in indices:
            node = nodes[str(index)]
            rect, fill = node.find("svg:rect", ns), None
            if phase == "forward" and t <= t_stage:
                fill = FORWARD
            if phase == "forward" and t == t_stage:
                rect.set("stroke", CURRENT)
                rect.set("stroke-width", "4")
            if t >= reached:
                fill = colour(panel["hidden_norms"][t - 1], *scale)
            if fill is not None:
                rect.set("fill", fill)
                for text in node.iterfind("svg:text", ns):
                    text.set("fill", "#ffffff" if fill in VIRIDIS[:5] else "#000000")
    if phase == "backward" and reached <= panel["steps"]:
        # from the right, and from above where step t has its J_t: as the page lights them, each arrow's label
        # saying what it carries back
        labels = _edge_labels(root)
        edges = {path.get("id"): path for path in root.iterfind(".//svg:path[@id]", ns)}
        for k in figures["lit"].get(str(reached), []):  # (lecture_panel.panel_data sets it for every slide)
            edge = edges[f"{figures['id']}-e{k}"]
            edge.set("stroke", CURRENT)
            edge.set("stroke-width", "3.5")
            forward = edge.get("d")
            edge.set("d", _reversed_path(forward))
            after = labels.get(edge)
            if str(k) in figures["carried"] and after is not None:
                ends = [nodes[edge.get(end)].find("svg:rect", ns) for end in ("data-tail", "data-head")]
                _carries(after, forward, figures["carried"][str(k)], figures["carried_rows"][str(k)],
                         [tuple(float(rect.get(v)) for v in ("x", "y", "width", "height")) for rect in ends])
    if key == "sums_svg":
        _first_sum(root, panel)
    root.attrib.pop("style", None)  # the page's min-width: meaningless on a slide
    return ElementTree.tostring(root, encoding="unicode")


def _edge_labels(root: ElementTree.Element) -> dict[ElementTree.Element, ElementTree.Element]:
    """Each edge's label: the element drawn right after it (the library's SVG writes it there)."""
    return {element: after for parent in root.iter() for element, after in zip(parent, list(parent)[1:])
            if "edge-label" in after.get("class", "")}


def _first_sum(root: ElementTree.Element, panel: dict) -> None:
    """The sums' figure as the page shows it with its first weight chosen (lecture.js, ``chooseSum``): that weight's Σ
    outlined in the lit colour, its line in bold, and the arrows of its terms, one from every step (t=1 … T), lit; the
    other rows' Σ and their arrows left out."""
    ns = {"svg": SVG_NAMESPACE}
    weight, count = panel["weights"][0], len(panel["nodes"])  # (the Σ nodes are numbered after the figure's)
    chosen = str(weight["sum_node"])
    parents = {child: parent for parent in root.iter() for child in parent}
    labels = _edge_labels(root)
    for node in list(root.iterfind(".//svg:g[@data-index]", ns)):
        index = node.get("data-index")
        if int(index) < count:
            continue
        if index != chosen:
            parents[node].remove(node)
            continue
        node.find("svg:rect", ns).set("stroke", CURRENT)
        node.find("svg:rect", ns).set("stroke-width", "4")
        lines = list(node.find("svg:text", ns))
        if weight["sum_line"] is not None and weight["sum_line"] < len(lines):
            lines[weight["sum_line"]].set("font-weight", "700")
    for edge in list(root.iterfind(".//svg:path[@data-head]", ns)):
        if int(edge.get("data-head")) < count:
            continue
        label = labels.get(edge)
        if edge.get("data-head") != chosen:
            for element in (edge, label):
                if element is not None:
                    parents[element].remove(element)
            continue
        edge.set("stroke", CURRENT)
        edge.set("stroke-width", "3")
        if label is not None:
            label.set("fill", CURRENT)
            label.set("font-weight", "600")


def _carries(label: ElementTree.Element, forward: str, lines: list[str], spacing: Sequence[float],
             ends: Sequence[tuple[float, float, float, float]] = ()) -> None:
    """A lit edge's label as the page writes it (lecture_lit.js, ``tinygradRnnCarries``): what the arrow carries back,
    on one line where it fits along the edge, else its lines — above a horizontal edge (below, where its forward label
    was), left of a vertical one (the arrow from the next step arrives on the right) — in the lit edge's colour;
    a horizontal edge's label wider than the gap between its two nodes (``ends``: x, y, width, height) over their
    tops, or under their bottoms (∂J/∂h₅ between two cells a slide's spacing apart ran under both)."""
    (x0, y0), *_, (x1, y1) = route_points(forward)
    across, size = abs(x1 - x0) >= abs(y1 - y0), float(label.get("font-size", "9"))
    joined = " ".join(lines)
    shown = lines if len(lines) > 1 and drawn_width([re.sub(r"<[^>]+>", "", joined)], size) > \
        ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5 - 8 else [joined]
    step, below = 1.1 * size, float(label.get("y")) > max(y0, y1)
    # each line under the first: a step, more where a subscript over a superscript would meet (``spacing``, in steps:
    # lecture_panel.lit_label_rows, which the page's lit labels read too)
    rows = [lines * step for lines in spacing] if len(shown) > 1 else [0.0]
    left = (x0 + x1) / 2 if across else min(x0, x1) - 5  # (a vertical edge's: on the side away from the next step)
    first = ((y0 + y1) / 2 - (rows[-1] + step) / 2 + 0.75 * size - 3 if not across else  # (clear of the cell below)
             max(y0, y1) + 3 + 0.8 * size if below else min(y0, y1) - 4 - rows[-1])
    half = drawn_width([re.sub(r"<[^>]+>", "", line) for line in shown], size) / 2
    top, bottom, pad = first - 0.8 * size, first + rows[-1] + 0.25 * size, 3.0  # (the lines' box)
    if across and any(left - half < x + w + pad and left + half > x - pad and top < y + h + pad and bottom > y - pad
                      for x, y, w, h in ends):
        first += (max(y + h for _, y, _, h in ends) + pad - top if below else
                  min(y for _, y, _, _ in ends) - pad - bottom)
    for child in list(label):
        label.remove(child)
    label.text = None
    for below_first, line in zip(rows, shown):
        row = ElementTree.fromstring(f'<tspan xmlns="{SVG_NAMESPACE}" x="{left:.1f}" y="{first + below_first:.1f}">'
                                     f"{line}</tspan>")
        label.append(row)
    label.set("text-anchor", "middle" if across else "end")
    label.set("class", "edge-label carried")  # (as the page marks it: the window holds it, figure_boxes.lit_labels)
    label.set("fill", CURRENT)
    label.set("font-weight", "600")


def _reversed_path(d: str) -> str:
    """The same polyline walked the other way, so that its arrowhead marks where the gradient goes.
    A route stops one arrowhead short of its head; reversed, it reaches its old head and stops
    one arrowhead short of its old tail instead (else the tip would hide under that node)."""
    points = route_points(d)[::-1]
    if len(points) >= 2:
        points[0] = _moved(points[0], points[1], -ARROW)
        points[-1] = _moved(points[-1], points[-2], ARROW)
    return " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(points))


def _moved(point: tuple[float, float], towards: tuple[float, float], distance: float) -> tuple[float, float]:
    """``point`` moved ``distance`` along the line to ``towards`` (away from it when negative)."""
    dx, dy = towards[0] - point[0], towards[1] - point[1]
    length = (dx * dx + dy * dy) ** 0.5 or 1.0
    return point[0] + distance * dx / length, point[1] + distance * dy / length
