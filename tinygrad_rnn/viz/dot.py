"""A Picture as DOT text: plain strings, no graphviz package and no ``dot`` program needed.

Every node carries its position and size and every edge its route (``layout.py`` computed them),
so Graphviz only draws: ``neato -n2`` renders this text in time linear in its size. Node ids are
``n0, n1, …`` in the picture's stable order, so the same graph always gives byte-identical DOT —
golden files and slide diffs stay stable.
"""

from __future__ import annotations

import math
import re
from html import escape, unescape

from .fitting import extent, slide_shaped
from .font import FAMILY, line_width
from .geometry import FONT_SIZE, LABEL_MIDDLE, LINE, Box, Layout, Route, drawn_width, label_depth, lines_apart
from .graph import Picture
from .layout import labelled_layout
from .node_details import coloured_norms, gradient_legend
from .numbers import slide_number
from .picture import CHOICES, GRADIENT_STOPS, passes_no_gradient
from .scripts import dot_markup, dot_quoted, runs_markup
from .step_names import step_name_left

GRADIENT = "#c55a11"  # an arrow carrying a gradient back, where forward and backward share one set of nodes

STYLES = {  # role → Graphviz attributes: parameters blue, inputs grey, outputs orange
    "parameter": 'style="rounded,filled", fillcolor="#cfe2f3", color="#3d85c6"',
    "input": 'style="rounded,filled", fillcolor="#eeeeee", color="#999999"',
    "op": 'style="rounded,filled", fillcolor="#ffffff", color="#666666"',
    "group": 'style="rounded,filled,bold", fillcolor="#d9ead3", color="#6aa84f"',
    "output": 'style="rounded,filled,bold", fillcolor="#f9cb9c", color="#e69138"',
    "ellipsis": 'style="", color="#ffffff", fontcolor="#666666"',
}

# Viridis (perceptually ordered, readable in grey and by colour-blind viewers), 9 stops.
VIRIDIS = ["#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c", "#28ae80", "#5ec962", "#addc30", "#fde725"]
SLIDE = (13.33, 7.5)  # a 16:9 slide in inches: figures larger than this are scaled down to fit


def colour(norm: float | None, low: float, high: float) -> str | None:
    """The viridis colour of a gradient norm on a log scale from ``low`` to ``high``."""
    if norm is None:
        return None
    if norm <= 0:
        return "#bbbbbb"
    span = math.log10(high) - math.log10(low)
    position = 1.0 if span <= 0 else (math.log10(norm) - math.log10(low)) / span
    return VIRIDIS[round(min(max(position, 0.0), 1.0) * (len(VIRIDIS) - 1))]


def legend_values(low: float, high: float) -> list[float]:
    """The gradient norm at each stop of the colour bar, evenly spaced on a log scale.

    >>> [f"{v:.0e}" for v in legend_values(1e-4, 1.0)][::4]
    ['1e-04', '1e-02', '1e+00']
    """
    span = math.log10(high) - math.log10(low)
    return [10 ** (math.log10(low) + span * k / (len(VIRIDIS) - 1)) for k in range(len(VIRIDIS))]


def legend_labels(low: float, high: float) -> list[str]:
    """Each stop's norm as the colour bar writes it, as a slide writes a number (:func:`.numbers.slide_number`,
    the deck's 6.6·10⁻⁴, not code's 7e-04): one significant digit, or two or three where two stops would otherwise
    read the same (a narrow range: 1 twice says two colours mean one norm).

    >>> legend_labels(1e-4, 1.0)[::4], legend_labels(0.9, 1.6)[:4]
    (['1·10⁻⁴', '1·10⁻²', '1'], ['0.90', '0.97', '1.0', '1.1'])
    """
    values = legend_values(low, high)
    for digits in (1, 2, 3):
        labels = [slide_number(value, digits) for value in values]
        if len(set(labels)) == len(labels):
            break
    return labels


def picture_to_dot(picture: Picture, laid_out: tuple[list[str], Layout] | None = None) -> str:
    """DOT text with every position fixed; render it with ``neato -n2`` (see render.py). ``laid_out``: the
    picture's labels and layout where they are at hand (the fit ladder measured them), else laid out here."""
    labels, placed = laid_out or labelled_layout(picture)
    lines = [
        "digraph tinygrad_rnn {",
        f'  graph [fontname="{FAMILY}", fontsize=14, outputorder=edgesfirst, splines=true, pad=0.167];',
        f'  node [fontname="{FAMILY}", fontsize=10, shape=box, fixedsize=true, margin=0];',
        f'  edge [fontname="{FAMILY}", fontsize=9, color="#555555", arrowsize=0.6];',
    ]
    if picture.title:
        lines.append(f"  label={dot_quoted(picture.title)}; labelloc=t;")
    for number, (text, box) in enumerate(placed.clusters):
        lines.append(f"  subgraph cluster_{number} {{ label={dot_quoted(text)}; bb=\"{_bb(box)}\"; style=rounded; "
                     f'color="#aaaaaa"; fontcolor="#444444"; fontsize=10; labeljust=l;{_moved_name(placed, number)} }}')
    norms = coloured_norms(picture.nodes)
    for index, (node, label) in enumerate(zip(picture.nodes, labels)):
        lines.append(_node_line(index, node, label, placed.boxes[index], picture, norms[index]))
    for (tail, head, label), route in zip(picture.edges, placed.routes):
        attributes = f'pos="{_spline(route)}"'
        if label and not route.label_drawn:  # named on another edge of its fork
            pass
        elif label and route.label_at is not None:
            attributes += _label_attributes(route, label)
        elif label:
            attributes += f", label={dot_quoted(label)}"
        if passes_no_gradient(label):  # a choice passes along it, not a gradient
            attributes += ", style=dashed" + (", arrowhead=none" if label == GRADIENT_STOPS else "")
        if (tail, head, label) in picture.gradients:  # a gradient carried back, beside the values (both on one set)
            attributes += f', color="{GRADIENT}", fontcolor="{GRADIENT}"'
        lines.append(f"  n{tail} -> n{head} [{attributes}];")
    for node, state, route in placed.loops:  # the rolled view: a state handed back to its own cell
        dashed = ", style=dashed" if state in CHOICES else ""  # (a rolled truncated BPTT: the detached state's)
        lines.append(f'  n{node} -> n{node} [pos="{_spline(route)}"{_label_attributes(route, state)}{dashed}];')
    lines += _texts(placed)
    if picture.legend is not None:
        lines += _legend(*picture.legend, placed, gradient_legend(picture.nodes))
    if picture.slide:
        lines += _slide_corners(placed, picture)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _label_attributes(route: Route, label: str) -> str:
    """An arrow's label and where it goes: lp is its middle (between its lines, where a slide broke it).
    ``label_at`` is its first line's baseline, as the library's SVG draws it; Graphviz centres the text on lp,
    a line's middle lying LABEL_MIDDLE above its baseline."""
    lines = route.label_lines or [label]
    middle = route.label_at[1] + LABEL_MIDDLE - label_depth(lines) / 2
    text = dot_quoted("\n".join(lines))
    return f', label={text}, lp="{route.label_at[0]:.1f},{middle:.1f}"'


def _node_line(index: int, node, label: str, box: Box, picture: Picture, norm: float | None) -> str:
    attributes = (f'label={dot_quoted(label)}, pos="{box.x:.1f},{box.y:.1f}!", width={box.width / 72:.3f}, '
                  f"height={box.height / 72:.3f}, {STYLES[node.kind]}")
    if picture.legend is not None and node.kind != "ellipsis":
        fill = colour(norm, *picture.legend)  # (coloured_norms: a figure of cells colours its cells alone)
        if fill is not None:
            dark = fill in VIRIDIS[:5]
            attributes += f', fillcolor="{fill}", fontcolor="{"white" if dark else "black"}"'
            attributes += f", tooltip={dot_quoted(f'gradient norm {norm:.3g}')}"
    return f"  n{index} [{attributes}];"


def _spline(route) -> str:
    """A polyline as Graphviz's cubic B-spline: each segment's control points at its thirds."""
    points = [route.points[0]]
    for (x0, y0), (x1, y1) in zip(route.points, route.points[1:]):
        points += [(x0 + (x1 - x0) / 3, y0 + (y1 - y0) / 3), (x0 + 2 * (x1 - x0) / 3, y0 + 2 * (y1 - y0) / 3),
                   (x1, y1)]
    end = f"e,{route.end[0]:.1f},{route.end[1]:.1f} "
    return end + " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def _moved_name(placed: Layout, number: int) -> str:
    """Where a step's name moved off its frame's corner (:mod:`.step_names`) is drawn: lp, its middle, on the
    baseline the library's SVG writes 12 points under the frame's top (nothing where it stays in the corner).

    >>> frame = ("t=1", Box(50.0, 50.0, 100.0, 100.0))  # (its top at y = 100)
    >>> _moved_name(Layout([], [], [frame], step_names={0: 11.0}), 0), _moved_name(Layout([], [], [frame]), 0)
    (' lp="18.1,90.7";', '')
    """
    if number not in placed.step_names:
        return ""
    text, box = placed.clusters[number]
    middle = step_name_left(placed, number) + drawn_width([text], FONT_SIZE) / 2
    return f' lp="{middle:.1f},{box.top - 12 + LABEL_MIDDLE:.1f}";'


def _bb(box: Box) -> str:
    return f"{box.left:.1f},{box.bottom:.1f},{box.right:.1f},{box.top:.1f}"


def _texts(placed: Layout) -> list[str]:
    """Row names beside the rows and notes under the figure, as plain text, each from its left end (``\\l``: Graphviz
    would centre it in a box of the estimated width, and a long line, narrower in the real font, moved right)."""
    return [f'  text{number} [label={dot_quoted(text)[:-1]}\\l", shape=plaintext, width={width / 72:.3f}, '
            f'height=0.2, pos="{x + width / 2:.1f},{y:.1f}!", fontcolor="#444444"];'
            for number, (text, x, y) in enumerate(placed.texts) for width in [drawn_width([text], FONT_SIZE)]]


def _legend(low: float, high: float, placed: Layout, title: str) -> list[str]:
    """A colour bar from the smallest to the largest gradient norm drawn, under the figure, under ``title`` (what
    the norms are: :func:`.node_details.gradient_legend`)."""
    cells = []
    for position, (fill, value) in enumerate(zip(VIRIDIS, legend_labels(low, high))):
        cells.append(f'<TD BGCOLOR="{fill}" WIDTH="34"><FONT COLOR="{"white" if position < 5 else "black"}" '
                     f'POINT-SIZE="9">{value}</FONT></TD>')
    left = min([b.left for b in placed.boxes] + [x for _, x, _ in placed.texts])
    bottom = min([b.bottom for b in placed.boxes] + [y for _, _, y in placed.texts]) - 2 * LINE - 8
    marked = dot_markup(title, 10)  # (h_t lowered: an HTML-like label's inside, or the plain text escaped)
    heading = marked[1:-1] if marked.startswith("<") else escape(title)
    return [
        f'  legend [shape=plaintext, fixedsize=false, pos="{left + 160:.1f},{bottom:.1f}!", label=<<TABLE '
        'BORDER="0" CELLSPACING="0" CELLPADDING="3"><TR><TD COLSPAN="9"><FONT POINT-SIZE="10">'
        f'{heading}</FONT></TD></TR><TR>' + "".join(cells) + "</TR></TABLE>>];",
    ]


def _slide_corners(placed: Layout, picture: Picture) -> list[str]:
    """Two invisible points at the corners of a slide-shaped canvas (Graphviz draws everything it is given
    inside the box they span, so the figure is landscape; the title's line counts on top). Graphviz writes a
    title over the box, in room of its own: under one, the top corner lies at the drawing's top and a canvas
    heightened grows downwards only (height added above lay between the title and what it names, a white band
    over the 12-step vanishing strip)."""
    # aimed a little inside [1.2, 2.4]: Graphviz adds its pad, and half a line under the last note
    drawn = extent(placed, picture.legend is not None, bool(picture.title))
    left, right, bottom, top = slide_shaped(*drawn[:4], inside=0.05)
    if picture.title:
        bottom, top = bottom - (top - drawn[3]), drawn[3] - 2 * LINE
    margin = 12  # (inside the extent's margin: Graphviz adds its own pad around what it draws)
    return [f'  corner{k} [shape=point, style=invis, width=0.01, height=0.01, pos="{x:.1f},{y:.1f}!"];'
            for k, (x, y) in enumerate([(left + margin, bottom + margin), (right - margin, top - margin)])]


DOT_LABEL = re.compile(r'^(  (?:(n\d+ -> )|(n\d+ \[)|(text\d+ \[)|(subgraph cluster))?.*?)label="((?:[^"\\]|\\.)*)"'
                       r'([^\n]*)', re.M)


def scripted_dot(dot_text: str) -> str:
    r"""The DOT text as Graphviz is given it to draw: each label with a script (:mod:`.scripts`) as an
    HTML-like label, its scripts in ``<SUB>``/``<SUP>`` at 80% — an arrow's label at 9 points, a node's and
    a note's at 10, the title at 14. :func:`picture_to_dot` keeps plain text, W_hh as a program writes it
    (golden files, and a ``.dot`` a reader opens), and a label without a script stays as it is.

    >>> scripted_dot('  n0 [label="h_0", pos="1,2!"];')
    '  n0 [label=<h<SUB><FONT POINT-SIZE="8">0</FONT></SUB>>, pos="1,2!"];'
    >>> scripted_dot('  n0 -> n1 [label="my_rnn"];')
    '  n0 -> n1 [label="my_rnn"];'
    """
    def written(found: re.Match) -> str:
        quoted = found.group(6)
        left = quoted.endswith("\\l")  # a note: its line from the left end
        text = re.sub(r"\\(.)", lambda m: "\n" if m.group(1) in "nl" else m.group(1), quoted[:-2] if left else quoted)
        size = 9 if found.group(2) else 14 if found.group(1) == "  " else 10  # (the title: label= alone)
        marked, rest = dot_markup(text, size, left_lines=left), found.group(7)
        width = re.search(r"width=([\d.]+)", rest)
        if left and marked.startswith("<") and width:  # from the note's left end, not centred in its estimated box
            marked = (f'<<TABLE BORDER="0" CELLBORDER="0" CELLPADDING="0" CELLSPACING="0"><TR><TD ALIGN="LEFT" '
                      f'BALIGN="LEFT" WIDTH="{float(width.group(1)) * 72:.0f}">{marked[1:-1]}</TD></TR></TABLE>>')
        return found.group(1) + "label=" + (marked if marked.startswith("<") else f'"{quoted}"') + rest

    return DOT_LABEL.sub(written, dot_text)


GRAPHVIZ_PIECE = re.compile(r'<text text-anchor="start" x="([-\d.]+)" y="([-\d.]+)"([^>]*?)'
                            r'(?: baseline-shift="(sub|super)")? font-size="([\d.]+)"([^>]*)>([^<]*)</text>\n?')
GRAPHVIZ_GROUP = re.compile(r"<g id=\"[^\"]+\" class=\"(?:node|edge|cluster)\">\n<title>([^<]*)</title>.*?</g>", re.S)
# the figure's own title: its pieces lie in the graph's group, before its first node, edge or cluster
GRAPHVIZ_TITLE = re.compile(r"(<g id=\"graph\d+\" class=\"graph\"[^>]*>\n<title>[^<]*</title>\n)(.*?)"
                            r"(?=<!--|<g id=|</g>)", re.S)


def scripts_joined(svg_text: str) -> str:
    r"""Graphviz's SVG with each line of a scripted label as one ``<text>``: Graphviz writes an HTML-like
    label's pieces (W, then "hh" shifted down) as separate texts placed by its own estimate of the font,
    so that in any other font they overlap or drift apart; joined, the line flows as one text (its
    scripts as tspans, as the library's own SVG writes them), centred where Graphviz centred it — a
    note's line from its left end. (Graphviz's PNG and PDF measure the font they draw with: only its
    SVG needs this.)

    >>> piece = '<text text-anchor="start" x="{}" y="-5" font-family="Helvetica"{} font-size="{}">{}</text>\n'
    >>> drawn = ('<g id="node1" class="node">\n<title>n0</title>\n' + piece.format(10, "", "10.00", "W") +
    ...          piece.format(20, ' baseline-shift="sub"', "8.00", "hh") + "</g>")
    >>> joined = scripts_joined(drawn).splitlines()[2]
    >>> joined.count("<text"), 'anchor="middle" x="19.4"' in joined, '<tspan dy="0.25em" font-size="80%"' in joined
    (1, True, True)
    """
    def group(found: re.Match) -> str:
        left_aligned = re.fullmatch(r"text\d+", found.group(1)) is not None  # a note, from its left end
        spaced = "label" if "&gt;" in found.group(1) else "node" if re.fullmatch(r"n\d+", found.group(1)) else None
        return _lines_joined(found.group(0), left_aligned, spaced)

    def title(found: re.Match) -> str:  # (‖∂J/∂h_t‖: its t drawn under the next ‖, unjoined)
        return found.group(1) + _lines_joined(found.group(2), False)

    return GRAPHVIZ_TITLE.sub(title, GRAPHVIZ_GROUP.sub(group, svg_text), count=1)


def _lines_joined(block: str, left_aligned: bool, spaced: str | None = None) -> str:
    """``spaced``: the lines of an arrow's ``"label"`` or a ``"node"``'s as far apart as the library's SVG sets them,
    about their middle (:func:`.geometry.label_offsets`; a node's LINE): Graphviz sets lines a font size apart, a
    subscript into the next line's superscript (a step's list of weights, W_ih⁽¹→⁾ over W_ih⁽¹←⁾)."""
    pieces = list(GRAPHVIZ_PIECE.finditer(block))
    if not any(piece.group(4) for piece in pieces):
        return block
    lines: list[list[re.Match]] = []
    for piece in pieces:  # a line: the pieces one after another at one height
        if lines and lines[-1][-1].group(2) == piece.group(2) and lines[-1][-1].end() == piece.start():
            lines[-1].append(piece)
        else:
            lines.append([piece])
    heights = [piece.group(2) for piece in (line[0] for line in lines)]
    if spaced and len(lines) > 1:
        kinds = {"sub": "sub", "super": "sup"}
        offsets = lines_apart([[(unescape(piece.group(7)), kinds.get(piece.group(4), "base")) for piece in line]
                               for line in lines]) if spaced == "label" else [LINE * k for k in range(len(lines))]
        middle = (float(heights[0]) + float(heights[-1])) / 2 - offsets[-1] / 2
        heights = [f"{middle + offset:.2f}" for offset in offsets]
    out, position = [], 0
    for line, height in zip(lines, heights):
        first, last = line[0], line[-1]
        if not any(piece.group(4) for piece in line):  # (unscripted: Graphviz's own pieces, at their height)
            out.append(block[position:first.start()])
            out.append(block[first.start():last.end()].replace(f'y="{first.group(2)}"', f'y="{height}"'))
            position = last.end()
            continue
        size = max(float(piece.group(5)) for piece in line)
        runs = [(unescape(piece.group(7)), {"sub": "sub", "super": "sup"}.get(piece.group(4), "base"))
                for piece in line]
        last_width = line_width(runs[-1][0], float(last.group(5)))  # (Graphviz's own estimate is not written)
        x = float(first.group(1)) if left_aligned else (float(first.group(1)) + float(last.group(1)) + last_width) / 2
        out.append(block[position:first.start()])
        out.append(f'<text text-anchor="{"start" if left_aligned else "middle"}" x="{x:.1f}" y="{height}"'
                   f'{first.group(3)} font-size="{size:g}"{first.group(6)} xml:space="preserve">'
                   f'{runs_markup(runs)}</text>\n')
        position = last.end()
    return "".join(out) + block[position:]
