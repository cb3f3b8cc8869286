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

from .export_paint import paint, painted_backward
from .notation import Notation
from .pdf import NO_CONVERTER, svgs_to_pdf
from .scripts import limits_on_one_line
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
from .stage_window import shown, window_onto, without_cut_arrows
from .step_frames import closed_frames

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


def stage_slide(panel: dict, figures: dict, stage: dict, text: list[list[Run]], layout: Layout,
                scale: Sequence[float], footer: str, notation: Notation | None = None) -> str:
    """The slide of one stage: its text as the title, the figure as painted at this stage (in the
    layout's box, whole or a window around the stage's step: :mod:`.stage_window`), the stage's
    ``text`` (its equations) and the bars of the first shared weight's terms."""
    notation = notation or Notation()  # the page's own words: its time steps, its loss's letter
    rolled, backward = _part(stage) == "rolled", painted_backward(stage)
    key = _figure_of(_part(stage), figures)
    figure = figures["rolled_svg"] if rolled else paint(figures, panel, stage, scale, key)
    notes = figures["rolled_notes" if rolled else "notes"]
    box, column, bars_under = layout
    view, in_view = window_onto(figure, figures, panel, stage, box)
    windowed = len(view) > 4  # (a window onto the figure: the arrows it cuts left out whole)
    # (the frames closed first, on the figure whose nodes window_onto has read: not read again off a copy)
    parts = [fit(without_cut_arrows(closed_frames(figure, view[4]), view[4]) if windowed else figure, *view)]
    captions = ([in_view] if in_view else []) + notes
    if column:  # the column: equations, the figure's captions, the bars at its foot or under the figure
        x = WIDTH - MARGIN - column
        more, y = _equations(text, x, box[1], column)
        more += _captions(captions, backward, scale, x, y + 10, column, notation)[0]
        bars = (MARGIN, BARS_UNDER_FOOT - BARS_PX, box[2] + FIGURE_MARGIN - MARGIN, BARS_PX) if bars_under else \
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
    if painted_backward(stage) and panel["ratio"] is not None:
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
    backward = any(painted_backward(stage) for stage, _ in stages)
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
BARS_UNDER_FOOT = HEIGHT - 46  # where bars under a figure end: their last line over the footer (at the right)
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
    bottom = BARS_UNDER_FOOT - BARS_PX - BARS_GAP_PX if bars_under else HEIGHT - 20
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
    reached = stage["t"] if painted_backward(stage) else steps + 1
    count = steps - min(reached, steps + 1) + 1
    shown = [t >= reached for t in range(1, steps + 1)]
    current = reached - 1 if stage["phase"] == "backward" and reached <= steps else None
    caption = notation.in_text(f"‖∂J/∂{weight['name']}|_(t)‖, one bar per step")
    parts = [text_svg(runs_of(caption), left, top + 28, SMALLEST_PX)]
    parts += bars([_printed(v) for v in weight["terms"]], [str(t) for t in range(1, steps + 1)],
                      (left, top + 44, width, height - 44 - 80), shown, current, every_value=stage["phase"] == "sums")
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
    if tag == "msubsup" and len(children) == 3:  # Σ with its limits: Σₜ₌₃⁴, on a slide's line Σ_{t=3…4}, as figures
        runs = _math_runs(children[0], kind) + _math_runs(children[1], kind if kind != "base" else "sub") + \
            _math_runs(children[2], kind if kind != "base" else "sup")  # (the page's MathML stacks them)
        return limits_on_one_line(_merged(runs)) if kind == "base" else runs
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
