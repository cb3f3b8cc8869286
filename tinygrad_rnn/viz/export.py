"""Taking a lecture away: every stage of a lecture page as a slide, a print-ready HTML deck and a PDF.

``LecturePage.export(directory)`` (and ``tinygrad-rnn lecture … --export DIR``) writes, for each
stage of each panel, one standalone slide-shaped SVG — the figure as the page shows it at that
stage (cells computed so far, the gradient's colours and the edge it just crossed, pointing back),
the stage's equations with their numbers, and the bars of ∂J/∂W_hh's per-step terms — then
``index.html``, every slide one printed page (landscape, no controls), and ``slides.pdf`` where a
converter is installed (:mod:`.pdf`). Everything is computed from the page's own data in Python:
no browser and no Graphviz is needed.

>>> import tinygrad_rnn as tr
>>> output, _ = tr.nn.RNN(2, 3)(tr.randn(3, 1, 2))
>>> page = tr.viz.lecture(output[-1].sum())
>>> slides = stage_slides(page)
>>> len(slides) == len(page.data["panels"][0]["stages"]), slides[0][0]
(True, 'stage-01-rolled')
"""

from __future__ import annotations

import pathlib
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any, NamedTuple

from .dot import VIRIDIS, colour
from .geometry import drawn_width
from .layout import ARROW
from .notation import Notation
from .pdf import NO_CONVERTER, svgs_to_pdf
from .slide import (
    BODY_PX,
    FIGURE_MARGIN,
    HEIGHT,
    MARGIN,
    MUTED,
    SMALLEST_PX,
    WIDTH,
    Run,
    body_top,
    fit,
    lines_svg,
    paragraph,
    runs_of,
    slide_number,
    slide_svg,
    text_of_html,
    text_svg,
    wrap,
)
from .slide_charts import bars, colour_legend, note
from .stage_window import route_points, shown, window_onto, without_cut_arrows
from .step_frames import closed_frames

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
FORWARD, CURRENT = "#fdb863", "#d6604d"  # as on the page: a cell computed, the cell of this step
SPACED = {"=", "+", "−", "⊙", "≈"}  # operators written with a space either side


@dataclass
class Written:
    """What :func:`write_slides` wrote: the slides, the HTML deck, the PDF (None without a converter)
    and, when there is no PDF, the one line that says what to install."""

    slides: list[pathlib.Path]
    html: pathlib.Path
    pdf: pathlib.Path | None
    message: str = ""

    def __repr__(self) -> str:
        return f"<Written: {len(self.slides)} slides, {self.html.name}, {self.pdf.name if self.pdf else 'no PDF'}>"


def export_page(page: Any, directory: str | pathlib.Path) -> Written:
    """Write every stage of ``page`` (a :class:`~tinygrad_rnn.viz.LecturePage`) into ``directory``."""
    return write_slides(directory, stage_slides(page), page.data["title"])


def write_slides(directory: str | pathlib.Path, slides: Sequence[tuple[str, str]], title: str) -> Written:
    """Each (name, SVG text) as ``name.svg``, then ``index.html`` (one slide per printed page) and
    ``slides.pdf`` (one page per slide) where a converter is installed."""
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, svg in slides:
        path = directory / f"{name}.svg"
        path.write_text(svg, encoding="utf-8")
        paths.append(path)
    html = directory / "index.html"
    html.write_text(print_html(title, [p.name for p in paths]), encoding="utf-8")
    pdf = svgs_to_pdf(paths, directory / "slides.pdf")
    return Written(paths, html, pdf, "" if pdf else NO_CONVERTER)


def print_html(title: str, files: Sequence[str]) -> str:
    """The deck as one HTML page: the slides one under another on screen, one per landscape page in print."""
    slides = "\n".join(f'<section><img src="{escape(name)}" alt="slide {k}: {escape(name)}"></section>'
                       for k, name in enumerate(files, 1))
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{escape(title)}</title>\n<style>\n"
            "@page { size: landscape; margin: 6mm; }\n"
            "body { margin: 0; background: #777777; font-family: Helvetica, Arial, sans-serif; }\n"
            "section { max-width: 1920px; margin: 16px auto; aspect-ratio: 16 / 9; background: #ffffff; }\n"
            "section img { display: block; width: 100%; height: 100%; object-fit: contain; }\n"
            "@media print { body { background: none; } section { margin: 0; max-width: none; height: 100vh;"
            " break-after: page; page-break-after: always; } section:last-child { break-after: auto; } }\n"
            f"</style>\n</head>\n<body>\n{slides}\n</body>\n</html>\n")


# --- one stage as a slide --------------------------------------------------------------------------

def stage_slides(page: Any) -> list[tuple[str, str]]:
    """(file name, SVG text) for every stage of every panel of the page, in the page's order."""
    data = page.data
    if not data["panels"]:
        raise ValueError("export: a connectivity page has no stages to export; export a lecture(loss) page")
    if len(page.slides) != len(data["panels"]):
        raise ValueError("export: the page has no slide figures for its panels (page.slides); make it with "
                         "tr.viz.lecture(loss)")
    several = len(data["panels"]) > 1
    written = data.get("notation", {"time": "subscript", "loss": "J"})
    notation = Notation({"J": written["loss"]}, written["time"])  # the page's: its time steps, its loss's letter
    slides = []
    for panel, figures in zip(data["panels"], page.slides, strict=True):
        stages = panel["stages"]
        texts = [_text_of(panel, stage, notation) for stage in stages]
        # one layout for each part of the lecture — the rolled stage, the forward pass (its columns x_t to J_t
        # named whole), the backward pass (its longer equations): the figure stays put from slide to slide
        in_part: dict[str, list[tuple[dict, list[list[Run]]]]] = {}
        for stage, text in zip(stages, texts, strict=True):
            in_part.setdefault(_part(stage), []).append((stage, text))
        layouts = {part: _layout(figures[_figure_of(part, figures)], staged,
                                 figures["rolled_notes" if part == "rolled" else "notes"])
                   for part, staged in in_part.items()}
        for k, (stage, text) in enumerate(zip(stages, texts, strict=True)):
            name = f"{_slug(panel['name']) + '-' if several else ''}stage-{k + 1:02d}-{stage['phase']}"
            footer = f"{data['title']} · {panel['name'] + ' · ' if several else ''}stage {k + 1} of {len(stages)}"
            layout = layouts[_part(stage)]
            slides.append((name, stage_slide(panel, figures, stage, text, layout, data["scale"], footer, notation)))
    return slides


# each stage's phase → the part of the lecture it is in, each laid out apart (the unrolling is the forward pass's)
PARTS = {"rolled": "rolled", "unrolled": "forward", "forward": "forward", "backward": "backward", "sums": "sums"}


def _part(stage: dict) -> str:
    """Which part of the lecture a stage is in (:data:`PARTS`)."""
    return PARTS[stage["phase"]]


def _figure_of(part: str, figures: dict) -> str:
    """Which of a panel's slide figures a part of the lecture draws: the rolled one, the sums' (the unrolled figure
    with each row's Σ, where the page draws one: the page's sums stage shows it) or the unrolled one."""
    if part == "rolled":
        return "rolled_svg"
    return "sums_svg" if part == "sums" and figures.get("sums_svg") else "svg"


def _painted_backward(stage: dict) -> bool:
    """Whether a stage's figure is painted in ‖∂J/∂h_t‖'s colours (backward and the sums): it draws their scale."""
    return _part(stage) in ("backward", "sums")


def stage_slide(panel: dict, figures: dict, stage: dict, text: list[list[Run]], layout: Layout,
                scale: Sequence[float], footer: str, notation: Notation | None = None) -> str:
    """The slide of one stage: its text as the title, the figure as painted at this stage (in the
    layout's box, whole or a window around the stage's step: :mod:`.stage_window`), the stage's
    ``text`` (its equations) and the bars of the first shared weight's terms."""
    notation = notation or Notation()  # the page's own words: its time steps, its loss's letter
    rolled, backward = _part(stage) == "rolled", _painted_backward(stage)
    key = _figure_of(_part(stage), figures)
    figure = figures["rolled_svg"] if rolled else paint(figures, panel, stage, scale, key)
    notes = figures["rolled_notes" if rolled else "notes"]
    box, column, bars_under = layout
    if key == "sums_svg":  # the window holds the first weight's Σ beside the steps, as the page's when it opens
        stage = {**stage, "named": stage["held"]}
    view, in_view = window_onto(figure, figures, panel, stage, box)
    windowed = len(view) > 4  # (a window onto the figure: the arrows it cuts left out whole)
    # (the frames closed first, on the figure whose nodes window_onto has read: not read again off a copy)
    parts = [fit(without_cut_arrows(closed_frames(figure, view[4]), view[4]) if windowed else figure, *view)]
    captions = ([in_view] if in_view else []) + notes
    if column:  # the column: equations, the figure's captions, the bars at its foot or under the figure
        x = WIDTH - MARGIN - column
        more, y = _equations(text, x, box[1], column)
        more += _captions(captions, backward, scale, x, y + 10, column, notation)[0]
        bars = (MARGIN, HEIGHT - 70 - BARS_PX, box[2] + FIGURE_MARGIN - MARGIN, BARS_PX) if bars_under else \
            (x, HEIGHT - 70 - BARS_PX, column, BARS_PX)
    else:  # under the figure: its captions, then the equations at the left and the bars at the right
        # a little apart from the figure where the box leaves room: the arrows its window cuts end at its edge
        under = min(view[1] + view[3] + CAPTION_GAP_PX, box[1] + box[3])
        more, y = _captions(captions, backward, scale, MARGIN, under, WIDTH - 2 * MARGIN, notation)
        more += _equations(text, MARGIN, y + 10, EQUATIONS_PX)[0]
        bars = (MARGIN + EQUATIONS_PX + 40, y + 10, WIDTH - 2 * MARGIN - EQUATIONS_PX - 40, HEIGHT - 80 - y)
    parts += more
    if panel["weights"]:
        parts += _sum_bars(panel, stage, bars, notation)
    return slide_svg(text_of_html(stage["text"]), parts, footer)


def _text_of(panel: dict, stage: dict, notation: Notation) -> list[list[Run]]:
    """The stage's equations as lines of runs; backward, the ratio of the first and last ‖∂J/∂h_t‖ first."""
    lines = equation_lines(stage["math"])
    if _painted_backward(stage) and panel["ratio"] is not None:
        ratio = f"‖∂J/∂h_1‖ / ‖∂J/∂h_{panel['steps']}‖ = {slide_number(_printed(panel['ratio']))}"
        lines.insert(0, runs_of(notation.in_text(ratio)))
    return lines


class Layout(NamedTuple):
    """Where a stage's slide puts things: the figure's box; the width of the text column beside it
    (0: the text goes under the figure); and, beside, whether the bars go under the figure (a tall
    column of equations keeps the column's whole height) or at the column's foot."""

    box: tuple[float, float, float, float]
    column: int = 0
    bars_under: bool = False


def _layout(figure: str, stages: list[tuple[dict, list[list[Run]]]], notes: list[str]) -> Layout:
    """Where the figure goes on these stages' slides: across the slide with the text under it, or
    at the left with the text in a column beside it (where every stage's text fits the column) and
    the bars at the column's foot or under the figure — whichever draws what the stages name nearer
    24 px, then shows more of the figure at 24 px."""
    top = max(body_top(text_of_html(stage["text"])) for stage, _ in stages)
    backward = any(_painted_backward(stage) for stage, _ in stages)
    captions = (LEGEND_PX if backward else 0) + (len(notes) + 1) * CAPTION_PX  # the window's line, maybe
    texts = [text for _, text in stages]
    layouts = [_across(texts, top, captions)] + [_beside(texts, top, captions, column, bars_under)
                                                 for column in COLUMNS_PX if column >= LEGEND_WIDTH_PX or not backward
                                                 for bars_under in (False, True)]
    named = [stage["named"] for stage, _ in stages]  # first, the layout that draws what they name at 24 px
    return max((layout for layout in layouts if layout), key=lambda layout: shown(figure, layout.box, named))


LEADING = BODY_PX * 1.45  # the equations' line spacing
LEGEND_PX = 52  # the colour scale's row under the figure (backward)
CAPTION_PX = 30  # a line of the figure's notes (24 px)
CAPTION_GAP_PX = 16  # between a figure and its captions under it, where there is room
BARS_PX = 340  # the sum's bars, their title and the running sum under them
BARS_GAP_PX = 12  # between a figure and the bars under it (a window ends in a node's outline)
EQUATIONS_PX = 1120  # the equations' width under a wide figure
COLUMNS_PX = (600, 780)  # the widths of a text column beside the figure
LEGEND_WIDTH_PX = 780  # the colour scale's row needs a column this wide


def _across(texts: list[list[list[Run]]], top: float, captions: float) -> Layout:
    """The figure across the slide, its captions, equations and bars under it."""
    lower = max(max(len(_wrapped(text, EQUATIONS_PX)) for text in texts) * LEADING + 20, BARS_PX)
    return Layout((FIGURE_MARGIN, top, WIDTH - 2 * FIGURE_MARGIN, HEIGHT - 60 - top - lower - captions))


def _beside(texts: list[list[list[Run]]], top: float, captions: float, column: int,
            bars_under: bool) -> Layout | None:
    """The figure at the left, the text in a column this wide beside it, the bars at the column's
    foot or under the figure; None where some stage's equations and captions (and bars) do not fit
    the column."""
    below = 0 if bars_under else BARS_PX  # what the column holds under its text
    if top + max(len(_wrapped(text, column)) for text in texts) * LEADING + 20 + captions + below > HEIGHT - 70:
        return None
    # the figure may come down to the slide's foot (the footer is under the column), or to the bars
    bottom = HEIGHT - 70 - BARS_PX - BARS_GAP_PX if bars_under else HEIGHT - 20
    return Layout((FIGURE_MARGIN, top, WIDTH - MARGIN - column - 40 - FIGURE_MARGIN, bottom - top), column, bars_under)


def _wrapped(lines: list[list[Run]], width: float) -> list[list[Run]]:
    return [piece for line in lines for piece in wrap(line, BODY_PX, width)]


def _equations(lines: list[list[Run]], x: float, top: float, width: float) -> tuple[list[str], float]:
    """The stage's equations wrapped into ``width`` from ``top``, each one ``<text>`` however many lines
    it takes: (their SVG, the y under them)."""
    parts, y = [], top + BODY_PX
    for line in lines:
        pieces = wrap(line, BODY_PX, width)
        parts.append(lines_svg(pieces, x, y, BODY_PX, LEADING))
        y += len(pieces) * LEADING
    return parts, y - BODY_PX


def _captions(notes: list[str], backward: bool, scale: Sequence[float], x: float, top: float,
              width: float, notation: Notation) -> tuple[list[str], float]:
    """What the figure needs said under it: the colour scale (backward), which steps are in view,
    its notes: (their SVG, the y under them)."""
    parts, y = [], top
    if backward:
        parts += colour_legend(_printed(scale[0]), _printed(scale[1]), x, y,
                               notation.in_text("‖∂J/∂h_t‖, log scale"))
        y += LEGEND_PX
    for line in notes:
        more, y = paragraph(line, x, y + SMALLEST_PX, width, SMALLEST_PX, MUTED, 1.25)
        parts += more
        y -= 0.75 * SMALLEST_PX
    return parts, y


def _sum_bars(panel: dict, stage: dict, box: tuple[float, float, float, float], notation: Notation) -> list[str]:
    """The first weight's terms ‖∂J/∂W|_(t)‖, filled in from t=T back as the gradient arrives."""
    left, top, width, height = box
    weight, steps = panel["weights"][0], panel["steps"]
    reached = stage["t"] if _painted_backward(stage) else steps + 1
    count = steps - min(reached, steps + 1) + 1
    shown = [t >= reached for t in range(1, steps + 1)]
    current = reached - 1 if stage["phase"] == "backward" and reached <= steps else None
    caption = notation.in_text(f"‖∂J/∂{weight['name']}|_(t)‖, one bar per step")
    parts = [text_svg(runs_of(caption), left, top + 28, SMALLEST_PX)]
    parts += bars([_printed(v) for v in weight["terms"]], [str(t) for t in range(1, steps + 1)],
                      (left, top + 44, width, height - 44 - 80), shown, current)
    running = _printed(weight["running"][reached - 1]) if count > 0 else 0.0
    parts.append(note(f"‖running sum‖ = {slide_number(running)} ({count} of {steps} terms)", left, top + height - 44))
    if count == steps:
        parts.append(note(f"‖{weight['name']}.grad‖ = {slide_number(_printed(weight['grad_norm']))}: the same", left,
                          top + height - 10))
    return parts


def _printed(value: float) -> float:
    """The value as the page prints it (four significant digits, as in its equations and titles),
    so that a number rounds alike wherever the slide writes it."""
    return float(f"{float(value):.3e}")


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
    reached = t_stage if _painted_backward(stage) else panel["steps"] + 1
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
        following = dict(zip(root, list(root)[1:]))  # each element → the one drawn after it (an edge's label)
        edges = {path.get("id"): path for path in root.iterfind(".//svg:path[@id]", ns)}
        for k in figures["lit"].get(str(reached), []):  # (lecture_panel.panel_data sets it for every slide)
            edge = edges[f"{figures['id']}-e{k}"]
            edge.set("stroke", CURRENT)
            edge.set("stroke-width", "3.5")
            forward = edge.get("d")
            edge.set("d", _reversed_path(forward))
            after = following.get(edge)
            if str(k) in figures["carried"] and after is not None and "edge-label" in after.get("class", ""):
                ends = [nodes[edge.get(end)].find("svg:rect", ns) for end in ("data-tail", "data-head")]
                _carries(after, forward, figures["carried"][str(k)], figures["carried_rows"][str(k)],
                         [tuple(float(rect.get(v)) for v in ("x", "y", "width", "height")) for rect in ends])
    if key == "sums_svg":
        _first_sum(root, panel)
    root.attrib.pop("style", None)  # the page's min-width: meaningless on a slide
    return ElementTree.tostring(root, encoding="unicode")


def _first_sum(root: ElementTree.Element, panel: dict) -> None:
    """The sums' figure as the page shows it with its first weight chosen (lecture.js, ``chooseSum``): that weight's Σ
    outlined in the lit colour, its line in bold, and the arrows of its terms, one from every step (t=1 … T), lit; the
    other rows' Σ and their arrows left out."""
    ns = {"svg": SVG_NAMESPACE}
    weight, count = panel["weights"][0], len(panel["nodes"])  # (the Σ nodes are numbered after the figure's)
    chosen = str(weight["sum_node"])
    parents = {child: parent for parent in root.iter() for child in parent}
    following = {element: after for parent in root.iter() for element, after in zip(parent, list(parent)[1:])}
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
        label = following.get(edge)
        label = label if label is not None and "edge-label" in label.get("class", "") else None
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
    """A lit edge's label as the page writes it (lecture.js, ``carries``): what the arrow carries back, on one
    line where it fits along the edge, else its lines — above a horizontal edge (below, where its forward label
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
    label.set("fill", CURRENT)
    label.set("font-weight", "600")


def _reversed_path(d: str) -> str:
    """The same polyline walked the other way, so that its arrowhead marks where the gradient goes.
    A route stops one arrowhead short of its head; reversed, it reaches its old head and stops
    one arrowhead short of its old tail instead (else the tip would hide under that node)."""
    points = [(float(x), float(y)) for x, y in re.findall(r"[ML]\s*(-?[\d.]+),(-?[\d.]+)", d)][::-1]
    if len(points) >= 2:
        points[0] = _moved(points[0], points[1], -ARROW)
        points[-1] = _moved(points[-1], points[-2], ARROW)
    return " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(points))


def _moved(point: tuple[float, float], towards: tuple[float, float], distance: float) -> tuple[float, float]:
    """``point`` moved ``distance`` along the line to ``towards`` (away from it when negative)."""
    dx, dy = towards[0] - point[0], towards[1] - point[1]
    length = (dx * dx + dy * dy) ** 0.5 or 1.0
    return point[0] + distance * dx / length, point[1] + distance * dy / length


# --- the page's MathML as lines of text --------------------------------------------------------------

def equation_lines(mathml: str) -> list[list[Run]]:
    """Each row of the page's MathML table as one line of runs: subscripts and superscripts kept,
    numbers as a slide writes them.

    >>> equation_lines('<math><mtable><mtr><mtd><mrow><msub><mi>h</mi><mi>2</mi></msub><mo>=</mo>'
    ...                '<mn class="number">1.496e-2</mn></mrow></mtd></mtr></mtable></math>')
    [[('h', 'base'), ('2', 'sub'), (' = 1.5·10', 'base'), ('−2', 'sup')]]
    """
    root = ElementTree.fromstring(mathml)
    rows = [row for row in root.iter() if _tag(row) == "mtr"] or [root]
    return [_merged(_math_runs(row, "base")) for row in rows]


def _math_runs(element: ElementTree.Element, kind: str) -> list[Run]:
    """The runs of one MathML element (its nesting is a few levels deep: a plain recursion)."""
    tag = _tag(element)
    text = (element.text or "").replace("\u00a0", " ")
    if tag == "mn":
        # the page's norms (1.496e-2) as a slide writes them, the power raised as every other script of the
        # slide is (runs_of); a vector's entries (0.057) as printed
        text = slide_number(float(text)) if re.fullmatch(r"-?[\d.]+e[+-]?\d+", text) else text.replace("-", "−")
        return [(part, kind if part_kind == "base" else part_kind) for part, part_kind in runs_of(text)]
    if tag == "mo":
        return [(f" {text} " if text in SPACED else ", " if text == "," else text, kind)]
    if tag in ("mi", "mtext"):  # (h_3 and h₃ alike: every script one way)
        return [(part, kind if part_kind == "base" else part_kind) for part, part_kind in runs_of(text)]
    children = list(element)
    if tag in ("msub", "msup") and len(children) == 2:
        script = kind if kind != "base" else ("sub" if tag == "msub" else "sup")
        return _math_runs(children[0], kind) + _math_runs(children[1], script)
    if tag == "msubsup" and len(children) == 3:  # Σ with its limits: Σₜ₌₃⁴
        return _math_runs(children[0], kind) + _math_runs(children[1], kind if kind != "base" else "sub") + \
            _math_runs(children[2], kind if kind != "base" else "sup")
    return [run for child in children for run in _math_runs(child, kind)]


def _merged(runs: list[Run]) -> list[Run]:
    """Neighbouring runs of one kind joined; a space where a product of two symbols is implied
    (W_ih x_t, δ_3 h_2ᵀ: MathML leaves that space to the renderer)."""
    merged: list[Run] = []
    for part, kind in runs:
        if merged and kind == "base" and merged[-1][1] != "base" and (part[:1].isalpha() or part[:1] == "∂"):
            part = " " + part
        if merged and merged[-1][1] == kind:
            merged[-1] = (merged[-1][0] + part, kind)
        elif part:
            merged.append((part, kind))
    return merged


def _tag(element: ElementTree.Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower())
