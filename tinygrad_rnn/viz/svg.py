"""A Picture as SVG written directly from its layout, for pages that script it.

The lecture page colours nodes and highlights edges as its stepper moves, so every node and edge
needs an id the script can find — and no Graphviz is needed to write it: ``layout.py`` already
fixed every position and route. Ids start with a page prefix, so several pages in one notebook
never clash. The static figures (``save``) are drawn by Graphviz from the same layout.
"""

from __future__ import annotations

from .dot import GRADIENT, VIRIDIS, colour, legend_labels
from .fitting import LEGEND_CELL, extent, slide_shaped
from .font import FAMILY
from .geometry import ARROW, LINE, Layout, Route, label_offsets
from .node_details import coloured_norms, gradient_legend
from .picture import CHOICES, GRADIENT_STOPS, Picture, passes_no_gradient
from .scripts import svg_markup
from .step_names import step_name_left

FILL = {"parameter": "#cfe2f3", "input": "#eeeeee", "op": "#ffffff", "group": "#d9ead3", "output": "#f9cb9c",
        "ellipsis": "none"}
DASHED = ' stroke-dasharray="5,3"'  # an edge along which a choice passes, not a gradient (ŷ_t → the next input)
STROKE = {"parameter": "#3d85c6", "input": "#999999", "op": "#666666", "group": "#6aa84f", "output": "#e69138",
          "ellipsis": "none"}


def picture_to_svg(picture: Picture, placed: Layout, labels: list[str], prefix: str, figure: bool = False) -> str:
    """SVG text of the picture: node i is ``<g id="{prefix}-n{i}">``, edge k ``<path id="{prefix}-e{k}">``.

    ``figure=True`` writes the static figure as Graphviz would draw it from the same layout — its
    title, the gradient colours of ``show_grads`` and their legend — for machines without Graphviz;
    the lecture page leaves those to its script.

    >>> import tinygrad_rnn as tr
    >>> from tinygrad_rnn.viz.graph import build_picture
    >>> from tinygrad_rnn.viz.layout import labelled_layout
    >>> picture = build_picture((tr.nn.RNN(2, 3)(tr.randn(2, 1, 2))[0].sum(),), level="cell")
    >>> labels, placed = labelled_layout(picture)
    >>> text = picture_to_svg(picture, placed, labels, "p1")
    >>> text.count('class="node'), 'id="p1-n0"' in text   # 2 cells, x_1, x_2, h_0 and the loss
    (6, True)
    """
    left, right, bottom, top, legend_y = extent(placed, figure and picture.legend is not None,
                                                figure and bool(picture.title))
    drawn_left, drawn_top = left, top
    if figure and picture.slide:
        left, right, bottom, top = slide_shaped(left, right, bottom, top)
    flip = top  # Graphviz's y runs up, SVG's down: y' = top − y

    def y_of(y: float) -> float:
        return flip - y

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="graph" viewBox="{left:.1f} 0 {right - left:.1f} '
             f'{top - bottom:.1f}" width="{right - left:.0f}" height="{top - bottom:.0f}" '
             f'style="min-width: {0.75 * (right - left):.0f}px" '
             f'font-family="{FAMILY}" font-size="10">',
             f'<defs><marker id="{prefix}-arrow" viewBox="0 0 10 10" refX="0" refY="5" markerWidth="{ARROW}" '
             f'markerHeight="{ARROW}" markerUnits="userSpaceOnUse" orient="auto"><path d="M0,0 L10,5 L0,10 z" '
             'fill="context-stroke"/></marker></defs>']
    for k, (label, box) in enumerate(placed.clusters):
        parts.append(f'<g class="cluster"><rect x="{box.left:.1f}" y="{y_of(box.top):.1f}" width="{box.width:.1f}" '
                     f'height="{box.height:.1f}" rx="8" fill="none" stroke="#aaaaaa"/><text '
                     f'x="{step_name_left(placed, k):.1f}" '
                     f'y="{y_of(box.top) + 12:.1f}" fill="#444444">{svg_markup(label)}</text></g>')
    head_marker = f' marker-end="url(#{prefix}-arrow)"'  # (not on the mark of a cut: no gradient arrives there)
    for k, ((tail, head, label), route) in enumerate(zip(picture.edges, placed.routes)):
        points = [*route.points]
        path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y_of(y):.1f}" for i, (x, y) in enumerate(points))
        gradient = (tail, head, label) in picture.gradients
        parts.append(f'<path id="{prefix}-e{k}" class="edge{" gradient" if gradient else ""}" data-tail="{tail}" '
                     f'data-head="{head}" d="{path}" fill="none" stroke="{GRADIENT if gradient else "#555555"}"'
                     f'{DASHED if passes_no_gradient(label) else ""}{"" if label == GRADIENT_STOPS else head_marker}/>')
        if label and route.label_drawn and route.label_at is not None:
            parts.append(_edge_label(route, label, y_of(route.label_at[1]), GRADIENT if gradient else "#333333"))
    for node, state, route in placed.loops:  # the rolled view: a state handed back to its own cell
        path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y_of(y):.1f}" for i, (x, y) in enumerate(route.points))
        parts.append(f'<path class="edge loop" data-tail="{node}" data-head="{node}" d="{path}" fill="none" '
                     f'stroke="#555555"{DASHED if state in CHOICES else ""} marker-end="url(#{prefix}-arrow)"/>')
        parts.append(_edge_label(route, state, y_of(route.label_at[1])))
    norms = coloured_norms(picture.nodes) if figure and picture.legend is not None else []
    for i, (node, box, label) in enumerate(zip(picture.nodes, placed.boxes, labels)):
        lines = label.split("\n")
        first = y_of(box.y) - (len(lines) - 1) * LINE / 2 + 3.5
        text = "".join(f'<tspan x="{box.x:.1f}" y="{first + n * LINE:.1f}">{svg_markup(line)}</tspan>'
                       for n, line in enumerate(lines))
        width = 2.5 if node.kind in ("group", "output") else 1
        fill, ink = FILL[node.kind], "#000000"
        if figure and picture.legend is not None and node.kind != "ellipsis":
            shade = colour(norms[i], *picture.legend)
            if shade is not None:
                fill, ink = shade, "#ffffff" if shade in VIRIDIS[:5] else "#000000"
        parts.append(f'<g id="{prefix}-n{i}" class="node {node.kind}" data-index="{i}" tabindex="0">'
                     f'<rect x="{box.left:.1f}" y="{y_of(box.top):.1f}" width="{box.width:.1f}" '
                     f'height="{box.height:.1f}" rx="7" fill="{fill}" stroke="{STROKE[node.kind]}" '
                     f'stroke-width="{width}"/><text text-anchor="middle" fill="{ink}">{text}</text></g>')
    for text, x, y in placed.texts:
        parts.append(f'<text class="note" x="{x:.1f}" y="{y_of(y) + 3.5:.1f}" fill="#444444">{svg_markup(text)}</text>')
    if figure and picture.title:
        parts.append(f'<text class="title" x="{(left + right) / 2:.1f}" y="{top - drawn_top + LINE + 10:.1f}" '
                     f'font-size="14" text-anchor="middle">{svg_markup(picture.title)}</text>')
    if figure and picture.legend is not None:
        parts += _legend(*picture.legend, drawn_left + 12, y_of(legend_y), gradient_legend(picture.nodes))
    parts.append("</svg>")
    return "\n".join(parts)


def _legend(low: float, high: float, x: float, y: float, title: str) -> list[str]:
    """The colour bar of ``show_grads``: the gradient norms from ``low`` to ``high`` on a log scale, under ``title``
    (what they are: :func:`.node_details.gradient_legend`)."""
    parts = [f'<text x="{x:.1f}" y="{y - 6:.1f}" font-size="10">{svg_markup(title)}</text>']
    for k, (fill, value) in enumerate(zip(VIRIDIS, legend_labels(low, high))):
        parts.append(f'<rect x="{x + LEGEND_CELL * k:.1f}" y="{y:.1f}" width="{LEGEND_CELL:g}" height="16" '
                     f'fill="{fill}"/><text x="{x + LEGEND_CELL * (k + 0.5):.1f}" y="{y + 12:.1f}" font-size="9" '
                     'text-anchor="middle" '
                     f'fill="{"#ffffff" if k < 5 else "#000000"}">{value}</text>')
    return parts


def _edge_label(route: Route, label: str, y: float, ink: str = "#333333") -> str:
    """An arrow's label at ``y`` (its first line's, in the SVG's y): one tspan a line where a slide broke it."""
    x = route.label_at[0]
    text = "".join(f'<tspan x="{x:.1f}" y="{y + below:.1f}">{svg_markup(line)}</tspan>'
                   for below, line in zip(label_offsets(route.label_lines), route.label_lines)
                   ) if route.label_lines else svg_markup(label)
    return (f'<text class="edge-label" x="{x:.1f}" y="{y:.1f}" font-size="9" text-anchor="middle" '
            f'fill="{ink}">{text}</text>')
