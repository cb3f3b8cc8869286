"""A figure of the library's SVG read as a reader sees its lines: each arrow's polyline (to its arrowhead's tip),
each arrow's name and the box it covers, each node's box and words — in the SVG's own coordinates (y downwards).

test_deck_cells.py measures on these what a lecturer saw on the deck's slides: two names stacked at a crossing,
two lines of opposite direction side by side, a line crossing an arrowhead, the cell state's path, a name across a
step's frame, a dashed line across a state's arrow.

Not tinygrad_rnn.viz.legibility's reader: that one reads Graphviz's SVG and the library's alike for counts (a
node's box, an edge's polyline, the font sizes), and these tests need what it does not keep — each arrow's name
and the box it covers, a node's words, the arrowhead's tip (svg.py draws it as a marker, ARROW beyond the path's
end), and where two lines cross, not only whether they do.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass

from test_label_placement import NUMBER, drawn_width
from written import svg_lines

from tinygrad_rnn.viz.geometry import ARROW, LABEL_LINE
from tinygrad_rnn.viz.hops import HOP

Point = tuple[float, float]
Rect = tuple[float, float, float, float]  # (left, top, right, bottom), y downwards


@dataclass
class Arrow:
    tail: str
    head: str
    line: list[Point]  # from where it leaves its tail to its arrowhead's tip
    name: str = ""
    name_box: Rect | None = None
    dashed: bool = False  # a choice: no gradient flows along it (svg.py's DASHED)


def read(figure_svg: str) -> tuple[list[Arrow], dict[str, tuple[str, Rect]]]:
    """The figure's arrows, and its nodes ({index: (words, box)})."""
    arrows: list[Arrow] = []
    nodes: dict[str, tuple[str, Rect]] = {}
    for element in ElementTree.fromstring(figure_svg).iter():
        classes = (element.get("class") or "").split()
        if element.tag.endswith("path") and "edge" in classes:
            values = [float(v) for v in NUMBER.findall(element.get("d"))]
            line = list(zip(values[0::2], values[1::2]))
            (x0, y0), (x1, y1) = segments(line)[-1]  # the marker's head: ARROW long, along the last stretch
            length = math.hypot(x1 - x0, y1 - y0)
            line.append((x1 + (x1 - x0) / length * ARROW, y1 + (y1 - y0) / length * ARROW))
            arrows.append(Arrow(element.get("data-tail"), element.get("data-head"), line,
                                dashed=element.get("stroke-dasharray") is not None))
        elif element.tag.endswith("text") and "edge-label" in classes:  # svg.py: each edge's path, then its name
            words = [line.strip() for line in svg_lines(element)]
            x, y, half = float(element.get("x")), float(element.get("y")), drawn_width(element) / 2
            arrows[-1].name = " ".join(words)
            arrows[-1].name_box = (x - half, y - 7, x + half, y + 2.5 + LABEL_LINE * (len(words) - 1))
        elif element.tag.endswith("g") and "node" in classes:
            rect = element.find("{http://www.w3.org/2000/svg}rect")
            if rect is not None:
                x, y = float(rect.get("x")), float(rect.get("y"))
                words = " ".join("".join(text.itertext()) for text in element.iter("{http://www.w3.org/2000/svg}text"))
                nodes[element.get("data-index")] = (words, (x, y, x + float(rect.get("width")),
                                                            y + float(rect.get("height"))))
    return arrows, nodes


def frames(figure_svg: str) -> list[Rect]:
    """The box of each step's frame at op level (svg.py: a cluster's rect, its name t=1 in its corner)."""
    return [(x, y, x + float(rect.get("width")), y + float(rect.get("height")))
            for group in ElementTree.fromstring(figure_svg).iter("{http://www.w3.org/2000/svg}g")
            if group.get("class") == "cluster" and (rect := group.find("{http://www.w3.org/2000/svg}rect")) is not None
            for x, y in [(float(rect.get("x")), float(rect.get("y")))]]


def dashed_across_states(figure_svg: str) -> list[tuple[str, str]]:
    """Each dashed line (a choice) that crosses a named solid arrow (a state: h₁⁽ᵈ⁾, c₁⁽ᵈ⁾): (its head, the state's
    name). A dashed "no gradient" line across a solid state's arrow reads as joining it (slide 13: argmax s₁ → y₁
    down the gap between the decoder's cells, across h₁⁽ᵈ⁾ and c₁⁽ᵈ⁾)."""
    arrows = read(figure_svg)[0]
    return [(choice.head, state.name) for choice in arrows if choice.dashed for state in arrows
            if state.name and not state.dashed and crossings(choice, state)]


def names_across_frames(figure_svg: str) -> list[str]:
    """The arrows' names that a step's frame runs through, partly in the step and partly out of it: the name reads
    as half in the step, and by the line outside it as another arrow's (cmu slide 08: [W_hh h₀ + b_h″]ₙ across the
    frame's left side, h₀'s wire outside through its subscript)."""
    boxes = frames(figure_svg)
    return [arrow.name for arrow in read(figure_svg)[0] if arrow.name_box is not None for frame in boxes
            if gap(arrow.name_box, frame) == 0 and not all(
                frame[k] <= arrow.name_box[k] and arrow.name_box[k + 2] <= frame[k + 2] for k in (0, 1))]


def segments(line: list[Point]) -> list[tuple[Point, Point]]:
    return [(p, q) for p, q in zip(line, line[1:]) if p != q]


def crossing(p: Point, q: Point, r: Point, s: Point) -> Point | None:
    """Where the segments pq and rs cross at one point inside both (touching at an end, or running along each
    other, is not a crossing)."""
    d = (q[0] - p[0]) * (s[1] - r[1]) - (q[1] - p[1]) * (s[0] - r[0])
    if abs(d) < 1e-9:
        return None
    t = ((r[0] - p[0]) * (s[1] - r[1]) - (r[1] - p[1]) * (s[0] - r[0])) / d
    u = ((r[0] - p[0]) * (q[1] - p[1]) - (r[1] - p[1]) * (q[0] - p[0])) / d
    if 1e-6 < t < 1 - 1e-6 and 1e-6 < u < 1 - 1e-6:
        return p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])
    return None


def crossings(first: Arrow, second: Arrow) -> list[Point]:
    return [at for p, q in segments(first.line) for r, s in segments(second.line) if (at := crossing(p, q, r, s))]


def gap(box: Rect, other: Rect) -> float:
    """How far two boxes lie apart (0 where they meet)."""
    return math.hypot(max(box[0] - other[2], 0.0, other[0] - box[2]), max(box[1] - other[3], 0.0, other[1] - box[3]))


def point_gap(box: Rect, point: Point) -> float:
    return gap(box, (*point, *point))


def point_to_segment(point: Point, p: Point, q: Point) -> float:
    dx, dy = q[0] - p[0], q[1] - p[1]
    length = dx * dx + dy * dy
    t = 0.0 if length == 0 else max(0.0, min(1.0, ((point[0] - p[0]) * dx + (point[1] - p[1]) * dy) / length))
    return math.hypot(point[0] - p[0] - t * dx, point[1] - p[1] - t * dy)


def wires_side_by_side(figure_svg: str, near: float, along: float) -> list[tuple[str, str, float, float]]:
    """(one line's name or its tail's words, the other's, how far apart, how long side by side) for each pair of
    level (or upright) stretches of two arrows from different nodes that run side by side less than ``near``
    apart, and more than nothing, for ``along`` points or more: at slide distance two wires, each from its own
    source, that read as one, or as one splitting from the other (h₃⁽ʳ⁾ up into J ran 1 point beside x₃'s line up
    into the GRU's cell 3, and split from it under the cell as if the RNN's h₃ fed it). Lines drawn as one (0
    apart: a bus of weights drawn once, one line forking into every step) are legibility.shared_lines's to count.
    """
    arrows, nodes = read(figure_svg)

    def name(arrow: Arrow) -> str:
        return arrow.name or nodes.get(arrow.tail, (arrow.tail,))[0]

    found = []
    for k, first in enumerate(arrows):
        for second in arrows[k + 1:]:
            if first.tail == second.tail:
                continue  # (one source: a line that forks)
            for p, q in segments(first.line):
                for r, s in segments(second.line):
                    for runs in (0, 1):  # along x (level), along y (upright)
                        across = 1 - runs
                        if p[across] != q[across] or r[across] != s[across] or p[runs] == q[runs] \
                                or r[runs] == s[runs]:
                            continue
                        apart = abs(p[across] - r[across])
                        together = min(max(p[runs], q[runs]), max(r[runs], s[runs])) \
                            - max(min(p[runs], q[runs]), min(r[runs], s[runs]))
                        if 0 < apart < near and together >= along:
                            found.append((name(first), name(second), round(apart, 1), round(together)))
    return found


def crossings_without_hop(figure_svg: str) -> list[tuple[str, str, Point]]:
    """(one line's name or its tail's words, the other's, where) for each crossing of two arrows from different
    nodes that neither jumps in a hop (hops.py: a half circle of pieces shorter than its radius, two hops side by
    side one arc with a flat top): a plain "+" reads
    as a junction at slide distance (x_t's wire up into a GRU's cell across the RNN's h_t arrow read as "the RNN
    feeds the GRU"). Lines from one node carry one value: they may cross as they like; two slanted stretches (ports'
    stubs) cross as an X, not a "+", and are not counted. A line through an arrowhead
    is not counted here (no hop could lie there): only the wires, each up to where its arrowhead begins."""
    arrows, nodes = read(figure_svg)
    for arrow in arrows:
        del arrow.line[-1]

    def name(arrow: Arrow) -> str:
        return arrow.name or nodes.get(arrow.tail, (arrow.tail,))[0]

    def in_a_hop(arrow: Arrow, at: Point) -> bool:
        pieces = list(zip(arrow.line, arrow.line[1:]))
        for k, (p, q) in enumerate(pieces):
            if point_to_segment(at, p, q) < 1e-6:
                return 0 < k < len(pieces) - 1 and all(math.dist(*piece) < HOP
                                                       for piece in (pieces[k - 1], pieces[k + 1]))
        return False

    def slanted_at(arrow: Arrow, at: Point) -> bool:  # (a stub of its own, not a piece of a hop's arc)
        return any(point_to_segment(at, p, q) < 1e-6 and abs(p[0] - q[0]) > 1e-6 and abs(p[1] - q[1]) > 1e-6
                   and math.dist(p, q) >= HOP for p, q in segments(arrow.line))

    boxes = [(min(x for x, _ in a.line), min(y for _, y in a.line), max(x for x, _ in a.line),
              max(y for _, y in a.line)) for a in arrows]  # (two arrows whose boxes lie apart cannot cross)
    return [(name(first), name(second), (round(at[0], 1), round(at[1], 1)))
            for k, first in enumerate(arrows) for n, second in enumerate(arrows[k + 1:], k + 1)
            if first.tail != second.tail and gap(boxes[k], boxes[n]) == 0
            for at in crossings(first, second) if not (in_a_hop(first, at) or in_a_hop(second, at))
            and not (slanted_at(first, at) and slanted_at(second, at))]


def without_hops(line: list[Point]) -> list[Point]:
    """The line's own track: its points less those of its hops (hops.py: pieces shorter than the hop's radius)."""
    pieces = [math.dist(p, q) for p, q in zip(line, line[1:])]
    return [point for k, point in enumerate(line)
            if not (k > 0 and pieces[k - 1] < HOP or k < len(pieces) and pieces[k] < HOP)]
