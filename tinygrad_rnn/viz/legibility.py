"""How legible a drawn figure is, measured on the SVG itself: crossing edges, edges through nodes, text size.

A figure is read by a class from the back of a room, so three things are counted on what was
actually drawn — the SVG Graphviz wrote (or the one :mod:`.svg` writes), every edge taken as the
polyline through the points of its path:

* **crossings**: pairs of edges that cross (edges that share a node — a weight's bus lines into
  every step — may run together and are not counted);
* **through nodes**: edges that pass through a node they do not connect, which reads as an arrow
  into that node;
* **smallest text**: the smallest font on the figure, in pixels, when the figure is shown
  ``shown_width`` pixels wide (a slide on a projector: 1,600). A subscript or superscript (W_hh's
  "hh", a ``<tspan>`` at 80% or Graphviz's ``baseline-shift`` text: :mod:`.scripts`) counts as part of
  its line, at the line's size, as the slides' own text does: print sets a script smaller than its
  line, so a lecture's scripts are smaller than its smallest text by design — 80%, so a line at 24 px
  has its scripts at 19.2 px. Their own smallest size is reported apart (``smallest_script_px``,
  ``SlideFit.script_px``), never hidden;
* **on a slide** (:func:`slide_fit`): the figure fitted whole into a 1,920 × 1,080 slide, scaled by
  min(1920 / width, 1080 / height) — its smallest text and smallest node label in pixels there, and
  its shape (width : height). A slide's body text wants ≥ 24 px at 1080p, its labels more;
* **labels** (:func:`label_clashes`): arrow labels printed over each other, crossed by a line, or lying
  on a node's box — each of them reads as something it is not (one state twice, a struck-out symbol,
  part of the node's name);
* **texts struck through** (:func:`texts_crossed`): any text off the nodes — an arrow's name, a step's or a row's
  name, a note — with a line through it;
* **shared lines** (:func:`shared_lines`): two arrows drawn along one stretch of line, which reads as one
  arrow carrying one quantity.

>>> import tinygrad_rnn as tr
>>> from tinygrad_rnn.viz.graph import build_picture
>>> from tinygrad_rnn.viz.layout import labelled_layout
>>> from tinygrad_rnn.viz.svg import picture_to_svg
>>> picture = build_picture((tr.nn.RNN(2, 3)(tr.randn(3, 1, 2))[0][-1].sum(),), level="cell")
>>> labels, placed = labelled_layout(picture)
>>> found = measure(picture_to_svg(picture, placed, labels, "f"))
>>> found.crossings, found.through_nodes
(0, 0)
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field

from .fitting import SLIDE_ASPECT, SLIDE_LABEL_PX, SLIDE_TEXT_PX, enlargement
from .font import line_width
from .geometry import ARROW, boxes_overlap, line_enters, orientation, segments_cross

Point = tuple[float, float]
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?")


SLIDE = (1920.0, 1080.0)  # a 16:9 slide at 1080p, in pixels
DESCENDERS = set("gjpqy(),;[]{}|")  # the characters that reach under the line


@dataclass
class Legibility:
    crossings: int  # pairs of edges that cross
    through_nodes: int  # (edge, node) pairs: an edge passing through a node it does not connect
    smallest_text_px: float  # the smallest font, in pixels, at the width the figure is shown (a script: its line's)
    crossing_pairs: list[tuple[str, str]] = field(default_factory=list)  # (edge, edge) names, for messages
    passes: list[tuple[str, str]] = field(default_factory=list)  # (edge, node) names
    smallest_script_px: float | None = None  # the smallest subscript or superscript as drawn (None: no script)


def measure(svg_text: str, shown_width: float = 1600.0) -> Legibility:
    """Count crossings and edges through nodes, and the smallest text at ``shown_width`` pixels."""
    root = ElementTree.fromstring(svg_text)
    nodes, edges, fonts = _read(root)
    width = _viewbox_width(root)
    scripts = _script_sizes(root)
    crossing_pairs = []
    for a in range(len(edges)):
        name_a, ends_a, line_a = edges[a]
        for b in range(a + 1, len(edges)):
            name_b, ends_b, line_b = edges[b]
            if ends_a & ends_b:  # edges that share a node meet there, and may share a bus line
                continue
            if _polylines_cross(line_a, line_b):
                crossing_pairs.append((name_a, name_b))
    passes = [(name, node) for name, ends, line in edges for node, box in nodes.items()
              if node not in ends and line_enters(line, box, 1.0)]
    scale = shown_width / width if width else 1.0
    smallest = min(fonts, default=0.0) * scale
    return Legibility(len(crossing_pairs), len(passes), round(smallest, 1), crossing_pairs, passes,
                      round(min(scripts) * scale, 1) if scripts else None)


@dataclass
class SlideFit:
    text_px: float  # the smallest text, in pixels, with the figure fitted into a 1,920 × 1,080 slide
    label_px: float  # the smallest text inside a node, there
    aspect: float  # width : height
    script_px: float | None = None  # the smallest subscript or superscript there, as drawn (80% of its line's)

    @property
    def fits(self) -> bool:
        """Whether a slide shows it legibly: text ≥ 24 px, node labels ≥ 28 px, width : height in [1.2, 2.4]."""
        return legible(self.text_px, self.label_px) and SLIDE_ASPECT[0] <= self.aspect <= SLIDE_ASPECT[1]

    def __str__(self) -> str:
        return f"text {self.text_px:g} px, labels {self.label_px:g} px, {self.aspect:.2f} : 1"


def legible(text_px: float, label_px: float) -> bool:
    """Whether a figure's smallest text and node label, in pixels on a 1,920 × 1,080 slide, are what a room
    reads: 24 px and 28 px or more (the slide rule; :class:`SlideFit` and :func:`figure_sizes` measure them).

    >>> legible(24.0, 28.0), legible(23.4, 30.0)
    (True, False)
    """
    return text_px >= SLIDE_TEXT_PX and label_px >= SLIDE_LABEL_PX


def slide_fit(svg_text: str) -> SlideFit:
    """The figure fitted whole into a 1,920 × 1,080 slide: its smallest text and node label there, in
    pixels, and its shape. A script counts at its line's size (see the module's docstring); its own
    size is ``script_px``.

    >>> found = slide_fit('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 320" font-size="10">'
    ...                   '<g class="node" data-index="0"><text>h₁</text></g><text font-size="9">a note</text></svg>')
    >>> found.text_px, found.label_px, found.aspect, found.fits
    (27.0, 30.0, 2.0, True)
    """
    return _slide_fit(ElementTree.fromstring(svg_text))


def _slide_fit(root: ElementTree.Element) -> SlideFit:
    """:func:`slide_fit` of a figure already parsed (a slide's nested ``<svg>``: :func:`figure_sizes`)."""
    width, height = _viewbox_size(root)
    scale = enlargement(width, height)
    texts = [(_font_size(element, root), inside) for element, inside in _texts(root) if not _is_script(element)]
    labels = [size for size, inside in texts if inside] or [size for size, _ in texts]
    scripts = _script_sizes(root)
    return SlideFit(round(min(size for size, _ in texts) * scale, 1), round(min(labels) * scale, 1),
                    round(width / height, 2), round(min(scripts) * scale, 1) if scripts else None)


def figure_sizes(slide: str) -> tuple[float, float]:
    """The smallest text and node label of the figures fitted into a slide (its nested ``<svg>``), in slide
    pixels: what :func:`slide_fit` finds with each figure filling the slide, scaled to the box it is shown in
    (infinite where the slide holds no figure).

    >>> figure = ('<svg width="960" height="480" viewBox="0 0 640 320" font-size="10"><g class="node" data-index="0">'
    ...           '<text>h₁</text></g><text font-size="9">a note</text></svg>')
    >>> figure_sizes(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1920 1080">{figure}</svg>')
    (13.5, 15.0)
    """
    text, label = math.inf, math.inf
    root = ElementTree.fromstring(slide)
    for nested in root.iter():
        if nested is root or nested.tag.rsplit("}", 1)[-1] != "svg":
            continue
        _, _, width, height = (float(v) for v in nested.get("viewBox").split())
        shown = min(float(nested.get("width")) / width, float(nested.get("height")) / height)
        fitted, filling = _slide_fit(nested), enlargement(width, height)
        text, label = min(text, fitted.text_px * shown / filling), min(label, fitted.label_px * shown / filling)
    return text, label


def _is_script(element: ElementTree.Element) -> bool:
    """A piece of a line that Graphviz drew apart, shifted off it (an HTML-like label's <SUB> or <SUP>)."""
    return element.get("baseline-shift") in ("sub", "super")


def _script_sizes(root: ElementTree.Element) -> list[float]:
    """The size of every subscript and superscript drawn: a tspan at a percentage of its text's size
    (the library's, :mod:`.scripts`), or a text Graphviz shifted off its line."""
    sizes = []
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] != "text":
            continue
        size = _font_size(element, root)
        if _is_script(element):
            sizes.append(size)
        sizes += [size * float(span.get("font-size")[:-1]) / 100 for span in element.iter()
                  if span.tag.endswith("tspan") and (span.get("font-size") or "").endswith("%") and
                  "".join(span.itertext()).strip()]
    return sizes


def _texts(root: ElementTree.Element):
    """(each text element with words in it, whether it is inside a node of the graph — not Graphviz's
    nodes that hold a note or the legend), walking down without recursion."""
    stack = [(root, False)]
    while stack:
        element, inside = stack.pop()
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "text" and "".join(element.itertext()).strip():
            yield element, inside
            continue
        inside = inside or (tag == "g" and "node" in (element.get("class") or "").split() and (
            element.get("data-index") is not None or re.fullmatch(r"n\d+", _title(element) or "") is not None))
        stack.extend((child, inside) for child in element)


def _read(root: ElementTree.Element):
    """(node id → box (left, bottom, right, top)), [(edge name, {its two node ids}, polyline)], font sizes."""
    nodes: dict[str, tuple[float, float, float, float]] = {}
    edges: list[tuple[str, set[str], list[Point]]] = []
    fonts: list[float] = []
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1]
        classes = (element.get("class") or "").split()
        if tag == "text" and (element.text or "".join(element.itertext())).strip() and not _is_script(element):
            fonts.append(_font_size(element, root))
        if tag == "g" and "node" in classes:
            name = element.get("data-index") or _title(element)
            shape = next((child for child in element.iter() if child.tag.rsplit("}", 1)[-1] in  # (a tooltip nests it)
                          ("rect", "path", "polygon", "ellipse")), None)
            if name is not None and shape is not None:
                nodes[name] = _box_of(shape)
        elif tag == "g" and "edge" in classes:  # Graphviz: <g class="edge"><title>n1->n2</title><path d=…>
            title = _title(element) or ""
            path = next((child for child in element.iter() if child.tag.rsplit("}", 1)[-1] == "path"), None)
            arrow = next((child for child in element.iter() if child.tag.rsplit("}", 1)[-1] == "polygon"), None)
            if path is not None and "->" in title:
                line = _path_points(path.get("d", ""))
                if arrow is not None:
                    line.append(_arrow_tip(arrow, line[-1]))
                tail, head = title.split("->")
                edges.append((title, {tail.strip(), head.strip()}, line))
        elif tag == "path" and "edge" in classes:  # svg.py: <path class="edge" data-tail data-head d=…>
            tail, head = element.get("data-tail"), element.get("data-head")
            edges.append((f"n{tail}->n{head}", {tail, head}, _path_points(element.get("d", ""))))
    if any(name.startswith("n") for name in nodes):  # Graphviz names nodes n0, n1, …; svg.py by index
        return nodes, edges, fonts
    return nodes, [(name, {end.lstrip("n") for end in ends}, line) for name, ends, line in edges], fonts


def _title(element: ElementTree.Element) -> str | None:
    title = next((child for child in element if child.tag.rsplit("}", 1)[-1] == "title"), None)
    return None if title is None else (title.text or "").strip()


def _font_size(element: ElementTree.Element, root: ElementTree.Element) -> float:
    size = element.get("font-size") or root.get("font-size") or "10"
    return float(NUMBER.search(size).group())


def _viewbox_width(root: ElementTree.Element) -> float:
    return _viewbox_size(root)[0]


def _viewbox_size(root: ElementTree.Element) -> tuple[float, float]:
    box = root.get("viewBox")
    if box:
        return float(box.split()[2]), float(box.split()[3])
    return float(NUMBER.search(root.get("width", "0")).group()), float(NUMBER.search(root.get("height", "0")).group())


def _box_of(shape: ElementTree.Element) -> tuple[float, float, float, float]:
    if shape.tag.endswith("rect"):
        x, y = float(shape.get("x", 0)), float(shape.get("y", 0))
        return x, y, x + float(shape.get("width", 0)), y + float(shape.get("height", 0))
    if shape.tag.endswith("ellipse"):
        cx, cy, rx, ry = (float(shape.get(k, 0)) for k in ("cx", "cy", "rx", "ry"))
        return cx - rx, cy - ry, cx + rx, cy + ry
    values = [float(v) for v in NUMBER.findall(shape.get("d") or shape.get("points") or "")]
    xs, ys = values[0::2], values[1::2]
    return min(xs), min(ys), max(xs), max(ys)


def _path_points(d: str) -> list[Point]:
    """The polyline of a path: M and L points, and each cubic segment's end point (the library's
    routes are straight segments, drawn as cubics with their control points on the segment)."""
    points: list[Point] = []
    for command, arguments in re.findall(r"([MLC])([^MLC]*)", d):
        values = [float(v) for v in NUMBER.findall(arguments)]
        pairs = list(zip(values[0::2], values[1::2]))
        points += pairs[2::3] if command == "C" else pairs
    return points


def _arrow_tip(arrow: ElementTree.Element, last: Point) -> Point:
    """The arrowhead's point farthest from where the line stops: where the edge really ends."""
    values = [float(v) for v in NUMBER.findall(arrow.get("points", ""))]
    corners = list(zip(values[0::2], values[1::2]))
    return max(corners, key=lambda p: (p[0] - last[0]) ** 2 + (p[1] - last[1]) ** 2)


def _polylines_cross(first: list[Point], second: list[Point]) -> bool:
    for p, q in zip(first, first[1:]):
        for r, s in zip(second, second[1:]):
            if segments_cross(p, q, r, s):
                return True
    return False


def shared_arrowheads(svg_text: str, near: float = 3.0) -> list[tuple[str, str]]:
    """Pairs of arrows (``n{tail}->n{head}``) in the library's own SVG that end at one point of one node —
    their tips within ``near`` points — each coming in along a line of its own: drawn as one arrowhead, they
    read as one operand. (The terms of a bus, which reach the node along one last stretch, are one arrow as
    drawn, and are not counted.)

    >>> arrow = '<path class="edge" data-tail="{}" data-head="2" d="{}"/>'  # both end at (0, 16): one from below
    >>> svg = '<svg xmlns="http://www.w3.org/2000/svg">' + arrow.format(0, "M0,0 L0,10") + arrow.format(
    ...     1, "M20,16 L6,16") + '</svg>'  # and one from the right
    >>> shared_arrowheads(svg)
    [('n0->n2', 'n1->n2')]
    """

    tips: dict[str, list[tuple[str, Point, tuple[Point, Point]]]] = {}
    _, edges, _ = _read(ElementTree.fromstring(svg_text))
    for name, ends, line in edges:
        if len(ends) < 2 or len(line) < 2 or line[-1] == line[-2]:  # (one end: a rolled cell's loop, no operand)
            continue
        (x0, y0), (x1, y1) = line[-2], line[-1]
        length = ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5
        tip = (x1 + (x1 - x0) / length * ARROW, y1 + (y1 - y0) / length * ARROW)
        tips.setdefault(name.split("->")[1], []).append((name, tip, (line[-2], line[-1])))
    shared = []
    for arriving in tips.values():
        for k, (name, tip, last) in enumerate(arriving):
            for other, other_tip, other_last in arriving[k + 1:]:
                one_stretch = all(abs(a - b) < 0.05 for p, q in zip(last, other_last) for a, b in zip(p, q))
                if not one_stretch and abs(tip[0] - other_tip[0]) < near and abs(tip[1] - other_tip[1]) < near:
                    shared.append((name, other))
    return shared


@dataclass
class LabelClashes:
    overlaps: list[tuple[str, str]] = field(default_factory=list)  # (label, label) printed over each other
    crossed: list[tuple[str, str]] = field(default_factory=list)  # (label, edge) whose line runs through it
    on_nodes: list[tuple[str, str]] = field(default_factory=list)  # (label, node) lying on the node's box

    @property
    def count(self) -> int:
        return len(self.overlaps) + len(self.crossed) + len(self.on_nodes)

    def __str__(self) -> str:
        return f"{len(self.overlaps)} overlaps, {len(self.crossed)} crossed, {len(self.on_nodes)} on nodes"


def label_clashes(svg_text: str) -> LabelClashes:
    """Arrow labels over each other, crossed by an edge's line, or on a node's box, in the SVG as drawn.

    A label's box is estimated from its font: half an em a character, from 0.7 em above its baseline
    to 0.15 em below (ascenders and descenders of Helvetica's digits and letters, a little inside).

    >>> clash = label_clashes('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 50">'
    ...     '<path class="edge" data-tail="0" data-head="1" d="M50,0 L50,50"/>'
    ...     '<text class="edge-label" x="50" y="20" font-size="9" text-anchor="middle">h₁</text>'
    ...     '<text class="edge-label" x="52" y="22" font-size="9" text-anchor="middle">h₁</text></svg>')
    >>> len(clash.overlaps), len(clash.crossed), clash.count
    (1, 2, 3)
    """
    root = ElementTree.fromstring(svg_text)
    nodes, edges, _ = _read(root)
    labels = list(_label_boxes(root))
    found = LabelClashes()
    for k, (words, box) in enumerate(labels):
        found.overlaps += [(words, other) for other, box2 in labels[k + 1:] if boxes_overlap(box, box2)]
        found.crossed += [(words, name) for name, _, line in edges
                          if line_enters(line, box)]
        found.on_nodes += [(words, node) for node, node_box in nodes.items() if boxes_overlap(box, node_box)]
    return found


def texts_crossed(svg_text: str) -> list[tuple[str, str]]:
    """(words, edge) for every line of text off the nodes — an arrow's label, a step's name in its corner, a row's
    name, a note — that an edge's line runs through, in the SVG as drawn: struck through, it reads as that arrow's
    name or as crossed out (:func:`label_clashes` counts the arrow labels alone).

    >>> texts_crossed('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 50">'
    ...     '<path class="edge" data-tail="0" data-head="1" d="M12,0 L12,50"/>'
    ...     '<g class="cluster"><text x="6" y="12" font-size="9">t=3</text></g></svg>')
    [('t=3', 'n0->n1')]
    """
    root = ElementTree.fromstring(svg_text)
    _, edges, _ = _read(root)
    return [(words, name) for words, box in _label_boxes(root, every_text=True)
            for name, _, line in edges if line_enters(line, box)]


def _label_boxes(root: ElementTree.Element, every_text: bool = False):
    """(words, box (left, top, right, bottom) in the SVG's y) of each line of every arrow label: the
    library's ``edge-label`` texts and the texts inside Graphviz's edges (``every_text``: of every text off the
    nodes)."""
    for element, in_edge in ((element, not inside) for element, inside in _texts(root)) if every_text else \
            _edge_texts(root):
        if not (in_edge or "edge-label" in (element.get("class") or "").split()):
            continue
        size = _font_size(element, root)
        lines = [span for span in element if span.tag.endswith("tspan") and (span.get("x") or span.get("y"))]
        for line in lines or [element]:  # a tspan placed by x, y is a line; one moved by dy, a script in it
            words = "".join(line.itertext()).strip()
            if not words:
                continue
            x = float(line.get("x") or element.get("x") or 0)
            y = float(line.get("y") or element.get("y") or 0)
            width, under, over = _line_extent(line, size)
            anchor = element.get("text-anchor") or "start"
            left = x - width / 2 if anchor == "middle" else x - width if anchor == "end" else x
            yield words, (left, y - 0.7 * size - over, left + width, y + 0.15 * size + under)


def _line_extent(line: ElementTree.Element, size: float) -> tuple[float, float, float]:
    """(width, how far the line's scripts reach under its own descent, over its own ascent) of one line of a
    label: each character by its advance (:mod:`.font`), a script at its own size, each tspan's dy moving the text
    from where the one before it left it (:data:`.scripts.SCRIPT_DROP`); the line from 0.7 of its em above to 0.15
    under, a script from 0.7 of its own em above where it sits to 0.15 under where it has a descender (a
    subscript's digit ends on its own baseline)."""
    width, top, bottom, shift = line_width((line.text or "").strip(" "), size), -0.7 * size, 0.15 * size, 0.0
    for span in line.iter():
        if span is line:
            continue
        scale = span.get("font-size") or ""
        px = size * float(scale[:-1]) / 100 if scale.endswith("%") else size
        dy = span.get("dy") or "0"
        shift += float(NUMBER.search(dy).group()) * (px if dy.endswith("em") else 1.0)
        if (span.text or "").strip():  # (a script's digits and letters reach under it only with a descender)
            descent = 0.15 * px if set(span.text) & DESCENDERS else 0.0
            top, bottom = min(top, shift - 0.7 * px), max(bottom, shift + descent)
        width += line_width(span.text or "", px) + line_width(span.tail or "", size)
    return width, bottom - 0.15 * size, -0.7 * size - top


def _edge_texts(root: ElementTree.Element):
    """(each text element, whether it is inside a Graphviz edge's group), walking without recursion."""
    stack = [(root, False)]
    while stack:
        element, in_edge = stack.pop()
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "text":
            yield element, in_edge
            continue
        in_edge = in_edge or (tag == "g" and "edge" in (element.get("class") or "").split())
        stack.extend((child, in_edge) for child in element)


def shared_lines(svg_text: str, shortest: float = 3.0, apart: float = 1.0) -> list[tuple[str, str]]:
    """Pairs of edges drawn along one line (less than ``apart`` from each other: on a slide a point is about two
    pixels, the width of a line) for ``shortest`` points or more. Where two arrows share a stretch, a reader cannot
    tell which quantity runs there (h₀ of one row bent onto the line carrying h₄ of another up to the next layer
    read as one arrow). Edges out of one node are not counted: a line that forks, as a bus forks into every
    step, each drop named. Edges into one cell (or step) that meet on the way are counted: two quantities under
    one arrowhead (h₀ and c₀); into an op or an output they may run together, where a bus's lane gathers the
    terms of a Σ, the J_t of their mean, the h_t that stack collects.

    >>> shared_lines('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 50">'
    ...     '<path class="edge" data-tail="0" data-head="1" d="M0,10 L50,10 L50,40"/>'
    ...     '<path class="edge" data-tail="2" data-head="3" d="M50.5,30 L50.5,45"/>'
    ...     '<path class="edge" data-tail="0" data-head="4" d="M0,10 L40,10"/></svg>')
    [('n0->n1', 'n2->n3')]
    """
    root = ElementTree.fromstring(svg_text)
    _, edges, _ = _read(root)
    cells = _cells(root)
    # each straight stretch, filed under its line: across at y, up at x (by the whole point), or slanted (rare:
    # tried pairwise), so that a figure of a thousand edges compares only the stretches on one line
    across: dict[int, list] = {}
    up: dict[int, list] = {}
    slanted: list = []
    for k, (_, _, line) in enumerate(edges):
        for p, q in zip(line, line[1:]):
            if abs(p[1] - q[1]) < 0.5:
                across.setdefault(math.floor(p[1]), []).append((k, min(p[0], q[0]), max(p[0], q[0]), p[1]))
            elif abs(p[0] - q[0]) < 0.5:
                up.setdefault(math.floor(p[0]), []).append((k, min(p[1], q[1]), max(p[1], q[1]), p[0]))
            else:
                slanted.append((k, p, q))
    found: set[tuple[int, int]] = set()
    reach = math.ceil(apart)
    for lines in (across, up):
        for key, stretches in lines.items():
            nearby = [stretch for step in range(reach + 1) for stretch in lines.get(key + step, [])]
            for k, low, high, at in stretches:
                for k2, low2, high2, at2 in nearby:
                    if k != k2 and abs(at - at2) < apart and min(high, high2) - max(low, low2) >= shortest:
                        found.add((min(k, k2), max(k, k2)))
    for i, (k, p, q) in enumerate(slanted):
        for k2, r, t in slanted[i + 1:]:
            if k != k2 and orientation(p, q, r) == orientation(p, q, t) == 0 and _overlap(p, q, r, t) >= shortest:
                found.add((min(k, k2), max(k, k2)))
    ends = [name.split("->") for name, _, _ in edges]
    return [(edges[a][0], edges[b][0]) for a, b in sorted(found)
            if ends[a][0] != ends[b][0] and not (ends[a][1] == ends[b][1] and ends[a][1] not in cells)]


def _overlap(p: Point, q: Point, r: Point, s: Point) -> float:
    """How far two collinear segments run together."""
    length = ((q[0] - p[0]) ** 2 + (q[1] - p[1]) ** 2) ** 0.5
    along = [((x - p[0]) * (q[0] - p[0]) + (y - p[1]) * (q[1] - p[1])) / length for x, y in (r, s)]
    return min(length, max(along)) - max(0.0, min(along))


def _cells(root: ElementTree.Element) -> set[str]:
    """The cells and steps (a node of kind group), named as the library's SVG names an edge's ends."""
    return {f"n{element.get('data-index')}" for element in root.iter()
            if element.tag.rsplit("}", 1)[-1] == "g" and (element.get("class") or "").split()[:2] == ["node", "group"]}
