"""A slide: one standalone 1,920 × 1,080 SVG with a title, text and figures fitted into its body.

The lecture's exported stages and the deck's slides are all written here, in one format that
PowerPoint, Keynote, Google Slides, a browser and ``rsvg-convert`` (for the PDF) all read: plain
SVG with no scripts, no fonts to fetch and no external references. Sizes are slide pixels: the
title is 44 px and no text is under 24 px (12 pt on a 1080p projector), subscripts included.

A figure drawn by :mod:`.svg` keeps its own coordinates and is fitted into a box of the slide as a
nested ``<svg>`` with a ``viewBox`` (scaled, never stretched), so it stays vector all the way.
:func:`figure_slide` gives one figure as much of the slide as it can: the title band is short,
and the text goes under a wide figure or beside an upright one, whichever shows the figure larger.

>>> text = slide_svg("A title", [text_svg(runs_of("h_3 = 1.496e-02"), 60, 200, BODY_PX)])
>>> text.startswith('<svg xmlns="http://www.w3.org/2000/svg" width="1920" height="1080"')
True
>>> slide_number(0.01496), slide_number(1.496), slide_number(-2.5e5)
('1.5·10⁻²', '1.5', '−2.5·10⁵')
"""

from __future__ import annotations

import re
from html import escape, unescape

from .font import FAMILY, line_width
from .numbers import slide_number
from .scripts import SCRIPT_DROP, SCRIPT_SCALE, Run, script_runs

WIDTH, HEIGHT, MARGIN = 1920, 1080, 60
TITLE_TOP = 40  # the title band is kept short: the body, where the figures are, gets the height
FIGURE_MARGIN = 20  # a figure may come closer to the slide's edges than text: its drawing has its own margin
DRAWING_MARGIN = 10  # of a drawing's 12-unit margin (fitting.extent), what a slide's figure leaves off
BESIDE_PX = 400  # the narrowest column of text beside a figure
LARGE_ENOUGH = 3.6  # slide px per drawing unit: 10-unit labels at 36 px, well past the 28 a room needs
TITLE_PX, BODY_PX, SMALLEST_PX = 44, 30, 24  # slide pixels at 1,920 × 1,080
FONT = FAMILY
INK, MUTED = "#1a1a1a", "#444444"
NUMBER = re.compile(r"(?<![\w.])-?\d+\.\d+e[+-]?\d+")  # 1.496e+0, 1.496e-02: as a program prints them


def runs_of(text: str) -> list[Run]:
    """Plain text as runs: ``h_3`` and ``W_hh`` with their subscripts, ``h^(3)`` with its
    superscript (by the figures' rule, :mod:`.scripts`), numbers as a slide writes them.

    >>> runs_of("‖∂J/∂h_3‖ = 2.000e-01, h^(3), h₃")
    [('‖∂J/∂h', 'base'), ('3', 'sub'), ('‖ = 0.20, h', 'base'), ('(3)', 'sup'), (', h', 'base'), ('3', 'sub')]
    """
    return script_runs(NUMBER.sub(lambda found: slide_number(float(found.group())), text))


def html_of(text: str) -> str:
    """Plain text as HTML, its scripts as ``<sub>`` and ``<sup>`` (the page's words, as a slide writes them).

    >>> html_of("‖∂J/∂h_3‖ < 1, h^(3)")
    '‖∂J/∂h<sub>3</sub>‖ &lt; 1, h<sup>(3)</sup>'
    """
    # (h₃ and 10⁻² as written: the page's script prints its numbers so, and they stay alike)
    return "".join(escape(part, quote=False) if kind == "base" else f"<{kind}>{escape(part, quote=False)}</{kind}>"
                   for part, kind in script_runs(NUMBER.sub(lambda found: slide_number(float(found.group())), text),
                                                 unicode=False))


def text_of_html(html: str) -> str:
    """:func:`html_of` undone: the text with its scripts as ``runs_of`` reads them (a page's stage text,
    written on a slide).

    >>> text_of_html(html_of("‖∂J/∂h_3‖ < 1, h^(3)"))
    '‖∂J/∂h_{3}‖ < 1, h^{(3)}'
    """
    text = re.sub(r"<(sub|sup)>(.*?)</\1>", lambda found: ("_{" if found.group(1) == "sub" else "^{") +
                  found.group(2) + "}", html)
    return unescape(text)


def script_px(size: float) -> float:
    """The size of a subscript or superscript beside ``size`` px text: smaller, never under 24 px."""
    return max(SMALLEST_PX, round(SCRIPT_SCALE * size))


def text_width(runs: list[Run], size: float, bold: bool = False) -> float:
    """The runs' width in pixels at ``size`` px, each script at its own size (:func:`script_px`), in bold where
    ``bold`` (a title: its face is about 6 % wider)."""
    return sum(line_width(part, size if kind == "base" else script_px(size), bold) for part, kind in runs)


def text_svg(runs: list[Run], x: float, y: float, size: float = BODY_PX, anchor: str = "start",
             fill: str = INK, bold: bool = False) -> str:
    """One line of text at (x, y), its baseline; subscripts and superscripts as shifted tspans."""
    return lines_svg([runs], x, y, size, 0.0, anchor, fill, bold)


def lines_svg(lines: list[list[Run]], x: float, y: float, size: float = BODY_PX, leading: float = 0.0,
              anchor: str = "start", fill: str = INK, bold: bool = False) -> str:
    """Lines at (x, y), the first's baseline, ``leading`` apart, as one ``<text>``: a line wrapped into a
    column still reads as one (copied from the slide, searched, read aloud); scripts as shifted tspans.

    >>> lines_svg([[("a", "base")], [("b", "base")]], 10, 40, 30, 44).count("<tspan")
    2
    """
    parts = []
    for k, runs in enumerate(lines):
        offset = 0.0
        for j, (part, kind) in enumerate(runs):
            target = SCRIPT_DROP.get(kind, 0.0) * size
            px = size if kind == "base" else script_px(size)
            # each line after the first starts at the left again, on its own baseline
            at = f'x="{x:.1f}" y="{y + k * leading + target:.1f}"' if k and not j else f'dy="{target - offset:.1f}"'
            parts.append(f'<tspan {at} font-size="{px:g}">{escape(part)}</tspan>')
            offset = target
    weight = ' font-weight="bold"' if bold else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size:g}" fill="{fill}" text-anchor="{anchor}"{weight} '
            f'xml:space="preserve">{"".join(parts)}</text>')


def wrap(runs: list[Run], size: float, width: float, bold: bool = False) -> list[list[Run]]:
    """The runs in lines no wider than ``width`` (measured in bold where ``bold``), broken at spaces (a subscript
    stays with its base)."""
    words: list[list[Run]] = [[]]
    for part, kind in runs:
        pieces = re.split(r"(?<= )", part) if kind == "base" else [part]
        for piece in pieces:
            if words[-1] and kind == "base" and words[-1][-1][0].endswith(" "):
                words.append([])
            words[-1].append((piece, kind))
    lines: list[list[Run]] = [[]]
    for word in words:
        if lines[-1] and text_width(lines[-1] + word, size, bold) > width:
            lines.append([])
        lines[-1].extend(word)
    return [line for line in lines if line]


def paragraph(text: str | list[Run], x: float, y: float, width: float, size: float = BODY_PX,
              fill: str = INK, leading: float = 1.35) -> tuple[list[str], float]:
    """Text wrapped into ``width``: (its lines as SVG, the y below the last)."""
    runs = runs_of(text) if isinstance(text, str) else text
    lines = wrap(runs, size, width)
    parts = [text_svg(line, x, y + k * size * leading, size, fill=fill) for k, line in enumerate(lines)]
    return parts, y + len(lines) * size * leading


def fit(svg_text: str, left: float, top: float, width: float, height: float,
        window: tuple[float, float, float, float] | None = None) -> str:
    """An SVG drawing fitted into the box (left, top, width, height), centred, its aspect kept: the
    drawing's root becomes a nested ``<svg>`` with its own ``viewBox`` (a note that runs past the
    drawing's bounds is shown, not cut). ``window`` (x, y, width, height in the drawing's units):
    only that part of the drawing, the rest cut off at the box's edges."""
    opening = _opening_tag(svg_text)
    box = drawing_box(svg_text)
    inner = svg_text[opening.end():].rsplit("</svg>", 1)[0]  # (its scripts written by svg.py)
    family = re.search(r'font-family="([^"]+)"', opening.group())
    size = re.search(r'font-size="([^"]+)"', opening.group())
    view = " ".join(f"{v:.1f}" for v in window) if window else " ".join(f"{v:g}" for v in box)
    return (f'<svg x="{left:.1f}" y="{top:.1f}" width="{width:.1f}" height="{height:.1f}" '
            f'viewBox="{view}" preserveAspectRatio="xMidYMid meet" overflow="{"hidden" if window else "visible"}" '
            f'font-family="{family.group(1) if family else FONT}" font-size="{size.group(1) if size else 10}">'
            f"{inner}</svg>")


def slide_svg(title: str, parts: list[str], footer: str = "", background: str = "#ffffff") -> str:
    """The slide: its title at the top left, the parts (SVG elements in slide pixels), a footer."""
    size, lines = _title_lines(title)
    head = "".join(text_svg(line, MARGIN, TITLE_TOP + size * (0.8 + 1.2 * k), size, bold=True)
                   for k, line in enumerate(lines))
    foot = text_svg(runs_of(footer), WIDTH - MARGIN, HEIGHT - 24, SMALLEST_PX, anchor="end", fill=MUTED) \
        if footer else ""
    return "\n".join([f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
                      f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="{FONT}" font-size="{BODY_PX}">',
                      f'<rect width="{WIDTH}" height="{HEIGHT}" fill="{background}"/>', head, *parts, foot, "</svg>"])


def body_top(title: str) -> float:
    """Where the body of a slide with this title starts: under the title's one or two lines."""
    size, lines = _title_lines(title)
    return TITLE_TOP + size * (0.8 + 1.2 * (len(lines) - 1)) + 24


def figure_slide(title: str, figure: str, notes: list[str] = (), lines: list[str] = (), footer: str = "") -> str:
    r"""A slide of one figure as large as its body allows, with the figure's ``notes`` (what its labels
    mean, 24 px) and the slide's ``lines`` (30 px) under it — or beside it, where that shows the
    figure larger (a drawing taller than the body's shape: one cell, upright).

    >>> upright = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 400"><text>h</text></svg>'
    >>> slide = figure_slide("A cell", upright, lines=["h_t = …"])
    >>> left, width = (float(v) for v in re.search(r'<svg x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', slide).groups())
    >>> line_x = float(re.findall(r'<text x="([\d.]+)"', slide)[1])  # the first text after the title's
    >>> left, line_x > left + width  # the figure at the left, its line beside it
    (20.0, True)
    """
    top, bottom = body_top(title), HEIGHT - (56 if footer else 32)
    figure = trimmed(figure, DRAWING_MARGIN)
    box_width, box_height = drawing_size(figure)
    under = text_column(notes, lines, MARGIN, 0, WIDTH - 2 * MARGIN)[1]
    scale_under = min((WIDTH - 2 * FIGURE_MARGIN) / box_width, (bottom - top - under - 16) / box_height)
    scale_beside = min((WIDTH - FIGURE_MARGIN - MARGIN - 40 - BESIDE_PX) / box_width, (bottom - top) / box_height)
    shown_width = scale_beside * box_width
    beside_x = FIGURE_MARGIN + shown_width + 40
    beside = text_column(notes, lines, beside_x, 0, WIDTH - MARGIN - beside_x)[1]
    # beside where that shows the figure larger — unless under it is already large (a rolled cell): then
    # the text gets the slide's width rather than a narrow column wrapped line by line
    if scale_beside > scale_under and beside <= bottom - top and scale_under < LARGE_ENOUGH:
        middle = top + max(0.0, (bottom - top - beside) / 2)
        text = text_column(notes, lines, beside_x, middle, WIDTH - MARGIN - beside_x)
        box = (FIGURE_MARGIN, top, shown_width, bottom - top)
    else:  # the figure across the slide, its text right under it
        shown_height = scale_under * box_height
        text = text_column(notes, lines, MARGIN, top + shown_height + 16, WIDTH - 2 * MARGIN)
        box = (FIGURE_MARGIN, top, WIDTH - 2 * FIGURE_MARGIN, shown_height)
    return slide_svg(title, [fit(figure, *box), *text[0]], footer)


def trimmed(svg_text: str, margin: float) -> str:
    """The drawing with ``margin`` of its own margin taken off each side of its viewBox: on a slide, which
    has margins of its own, the figure is shown that much larger (what lies outside still shows).

    >>> trimmed('<svg viewBox="0 0 100 50"><text>h</text></svg>', 8)
    '<svg viewBox="8 8 84 34"><text>h</text></svg>'
    """
    opening = _opening_tag(svg_text)
    x, y, width, height = drawing_box(svg_text)
    box = f'viewBox="{x + margin:g} {y + margin:g} {width - 2 * margin:g} {height - 2 * margin:g}"'
    return svg_text[:opening.start()] + re.sub(r'viewBox="[^"]+"', box, opening.group(), count=1) + \
        svg_text[opening.end():]


def text_column(notes: list[str], lines: list[str], x: float, top: float, width: float) -> tuple[list[str], float]:
    """A figure's notes (muted, 24 px), then body lines (30 px), wrapped into ``width`` from ``top``
    down: (their SVG, the height they take)."""
    parts, y = [], top
    for text, size, fill in [(note, SMALLEST_PX, MUTED) for note in notes] + [(line, BODY_PX, INK) for line in lines]:
        more, end = paragraph(text, x, y + size, width, size, fill)  # a paragraph's y is its first baseline
        parts += more
        y = end - 0.75 * size  # the next paragraph a little under this one's last line
    return parts, y - top


def _opening_tag(svg_text: str) -> re.Match:
    opening = re.match(r"\s*<svg\b[^>]*>", svg_text)
    if opening is None:
        raise ValueError("fit: expected SVG text starting with <svg …>")
    return opening


def drawing_box(svg_text: str) -> tuple[float, float, float, float]:
    """(x, y, width, height) of a drawing's viewBox, read from its root tag."""
    found = re.search(r'viewBox="([^"]+)"', _opening_tag(svg_text).group())
    if found is None:
        raise ValueError("fit: the drawing has no viewBox to scale it by")
    x, y, width, height = (float(v) for v in found.group(1).split())
    return x, y, width, height


def drawing_size(svg_text: str) -> tuple[float, float]:
    """The width and height of a drawing's viewBox."""
    return drawing_box(svg_text)[2:]


def _title_lines(title: str) -> tuple[float, list[list[Run]]]:
    """The title's size and lines: 44 px on one line, down to 40 px to stay on one, else two lines — measured in
    bold, as the title is drawn."""
    runs, room = runs_of(title), WIDTH - 2 * MARGIN
    size = max(40.0, min(TITLE_PX, TITLE_PX * room / max(text_width(runs, TITLE_PX, bold=True), 1)))
    return size, wrap(runs, size, room, bold=True)
