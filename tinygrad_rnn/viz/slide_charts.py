"""The charts a slide draws itself, in slide pixels: bars (on a log or a linear axis), rows of gradient colours,
a table.

Each returns SVG elements to place on a slide (:mod:`.slide`); every number is printed as a slide
writes it and no text is under 24 px.

>>> parts = bars([1e-3, 1e-2, 1e-1], ["1", "2", "3"], (0, 0, 900, 500))
>>> sum(part.count("<rect") for part in parts)
3
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .dot import VIRIDIS, colour
from .geometry import boxes_overlap
from .numbers import SUPERSCRIPT, slide_number
from .slide import BODY_PX, INK, MUTED, SMALLEST_PX, runs_of, text_svg, text_width

Box = tuple[float, float, float, float]  # left, top, width, height
Corners = tuple[float, float, float, float]  # left, top, right, bottom
BAR, CURRENT, EMPTY = "#21918c", "#d6604d", "#bbbbbb"


def linear_ticks(high: float, intervals: int, digits: int = 2) -> list[tuple[float, str]]:
    """The ticks 0 … ``high`` of a linear axis in ``intervals`` steps, written in one format: where a slide would
    write the top plainly and those under it with a power of ten (0.10 over 8.0·10⁻²), all as decimals with the
    step's places; else as :func:`.numbers.slide_number` writes each.

    >>> [label for _, label in linear_ticks(0.1, 5)]
    ['0', '0.02', '0.04', '0.06', '0.08', '0.10']
    >>> [label for _, label in linear_ticks(5e-3, 5)][-2:], [label for _, label in linear_ticks(20.0, 4)]
    (['4.0·10⁻³', '5.0·10⁻³'], ['0', '5.0', '10', '15', '20'])
    """
    values = [high * k / intervals for k in range(intervals + 1)]
    written = [slide_number(round(value, 12), digits) for value in values]
    powers = [("·10" in label) for label in written[1:]]
    if any(powers) and not all(powers):
        places = max(0, -math.floor(math.log10(high / intervals)))
        written = ["0"] + [f"{value:.{places}f}" for value in values[1:]]
    return list(zip(values, written))


def bars(values: Sequence[float], labels: Sequence[str], box: Box, shown: Sequence[bool] | None = None,
         current: int | None = None, axis_label: str = "", digits: int = 2, log: bool = True,
         every_value: bool = False) -> list[str]:
    """One bar per value, its label under it and its value on its top (where one would run into another
    value or bar, only the current bar's; with ``every_value``, every drawn bar's value, in a band over the
    plot on as few staggered lines as keep each clear of the next), to ``digits`` significant digits.
    ``shown[i]`` False leaves bar i an empty slot, its label alone (a term the sum has not reached); ``current`` is
    outlined in red.

    On a log axis (decades labelled 10ⁿ) values that span decades all show, as a vanishing gradient's
    do; on a linear one (``log=False``, from 0) a bar's length is its value, so that bars can be
    compared and added by eye, as the terms of a sum are.

    >>> import re
    >>> parts = bars([0.25, 0.5, 1.0], ["1", "2", "3"], (0, 0, 900, 500), log=False)
    >>> heights = [float(re.search(r'height="([\\d.]+)"', part).group(1)) for part in parts if 'class="bar"' in part]
    >>> [round(height / heights[-1], 2) for height in heights]  # as long as the values are
    [0.25, 0.5, 1.0]
    >>> axis = bars([2e-3, 4e-3], ["1", "2"], (0, 0, 900, 500), log=False)  # (one format per axis: linear_ticks)
    >>> [re.sub("<[^>]+>", "", part) for part in axis if "<text" in part and f'fill="{MUTED}"' in part]  # round ticks
    ['0', '1.0·10−3', '2.0·10−3', '3.0·10−3', '4.0·10−3', '5.0·10−3']
    >>> band = bars([0, 1e-3, 2e-2, 3e-2, .12, .23, .35, .99], list("12345678"), (0, 0, 600, 340), every_value=True)
    >>> grid = min(float(re.search(r'y1="([\\d.]+)"', part).group(1)) for part in band if "#dddddd" in part)
    >>> tallest = min(float(re.search(r' y="([\\d.]+)"', part).group(1)) for part in band if 'class="bar"' in part)
    >>> abs(grid - tallest) < 1  # the 10⁰ line level with 0.99's bar: the axis drawn after a band lowered the plot
    True
    """
    left, top, width, height = box
    shown = [True] * len(values) if shown is None else list(shown)
    positive = [v for v in values if v > 0]
    if log:
        low = math.floor(math.log10(min(positive)) - 0.3) if positive else -3  # the smallest bar is never a sliver
        high = max(math.ceil(math.log10(max(positive))) if positive else 0, low + 1)
        ticks = [(decade, "10" + str(decade).translate(SUPERSCRIPT))
                 for decade in range(low, high + 1, max(1, math.ceil((high - low) / 4)))]
        position = math.log10
    else:
        low, high = 0.0, _round_up(max(positive, default=1.0))
        # round ticks: a top of 1 or 5 × 10ⁿ in five steps, of 2 × 10ⁿ in four (never 1.25 printed as 1.3)
        intervals = 4 if f"{high:e}".startswith("2") else 5
        ticks = linear_ticks(high, intervals, digits)
        position = float
    # the axis as wide as its ticks' numbers (10⁻² is narrower than 5.0·10⁻³): the rest is the bars' room
    axis_width = max(text_width(runs_of(written), SMALLEST_PX) for _, written in ticks) + 30
    written = [slide_number(v, digits) for v in values]
    pitch = (width - axis_width) / max(len(values), 1)
    plot_left, plot_bottom = left + axis_width, top + height - 1.6 * SMALLEST_PX - (40 if axis_label else 0)
    plot_top = top + 1.6 * SMALLEST_PX  # room for the values above the tallest bar
    plot_height = plot_bottom - plot_top
    every_label_fits = all(text_width(runs_of(label), SMALLEST_PX) < pitch - 6 for label in labels)

    def top_of(value: float) -> float:
        return plot_bottom - (max(3.0, plot_height * (position(value) - low) / (high - low)) if value > 0 else 0.0)

    def bar_box(i: int) -> Corners:
        return plot_left + (i + 0.15) * pitch, top_of(values[i]), plot_left + (i + 0.85) * pitch, plot_bottom

    def value_box(i: int) -> Corners:  # its value centred on its top, with a little room around
        wide, middle = text_width(runs_of(written[i]), SMALLEST_PX) + 8, plot_left + (i + 0.5) * pitch
        return middle - wide / 2, top_of(values[i]) - 10 - SMALLEST_PX, middle + wide / 2, top_of(values[i]) - 6

    # every drawn bar's value on its top where none runs into another value or bar (a value wider than its
    # slot may stand over a shorter neighbour, as the terms of a vanishing gradient are); else the current's
    drawn = [i for i in range(len(values)) if shown[i]]
    every_value_fits = all(plot_left - 4 <= value_box(i)[0] and value_box(i)[2] <= left + width for i in drawn) and \
        not any(boxes_overlap(value_box(i), box) for i in drawn for j in drawn if j != i
                for box in (value_box(j), bar_box(j)))
    # every value asked for where they do not fit on the bars' tops: over its bar, in a band over the plot, bar i's
    # on line i mod 2, so that values on one line stand two slots apart (the sums' 8 terms); where two slots are too
    # narrow for the widest value (20 steps: 4 lines left the bars a third of the plot), none but the current's
    band_lines = 0
    if every_value and not every_value_fits:
        widest = max((text_width(runs_of(written[i]), SMALLEST_PX) + 8 for i in drawn), default=0.0)
        band_lines = 2 if widest <= 2 * pitch else 0
    if band_lines:
        plot_top = top + (1.2 * band_lines + 0.9) * SMALLEST_PX
        plot_height = plot_bottom - plot_top
    # the axis and its gridlines on the plot's final height (a band of values lowers its top)
    parts = [f'<line x1="{plot_left:.1f}" y1="{plot_bottom:.1f}" x2="{left + width:.1f}" y2="{plot_bottom:.1f}" '
             f'stroke="{MUTED}" stroke-width="2"/>']
    for tick, label_of_tick in ticks:
        y = plot_bottom - plot_height * (tick - low) / (high - low)
        parts.append(f'<line x1="{plot_left - 8:.1f}" y1="{y:.1f}" x2="{left + width:.1f}" y2="{y:.1f}" '
                     f'stroke="#dddddd" stroke-width="1.5"/>')
        parts.append(text_svg(runs_of(label_of_tick), plot_left - 14, y + 9, SMALLEST_PX, anchor="end", fill=MUTED))
    # the current bar's value alone may be wider than its slot: it ends at the slot's right where the next bar
    # stands taller than it (the terms fill in from the right)
    right_of_current = None
    if current is not None and not every_value_fits and shown[current] and not band_lines:
        wide = text_width(runs_of(written[current]), SMALLEST_PX) + 12
        middle, baseline = plot_left + (current + 0.5) * pitch, top_of(values[current]) - 10
        taller_next = current + 1 < len(values) and shown[current + 1] and top_of(values[current + 1]) < baseline
        right_of_current = plot_left + (current + 1) * pitch - 6 if taller_next else middle + wide / 2
    for i, (value, label) in enumerate(zip(values, labels)):
        x = plot_left + i * pitch + 0.15 * pitch
        y = top_of(value)
        if shown[i]:  # (a term not yet reached is an empty slot: on a log axis any box would read as a value)
            outline = f' stroke="{CURRENT}" stroke-width="5"' if i == current else ""
            parts.append(f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{0.7 * pitch:.1f}" '
                         f'height="{plot_bottom - y:.1f}" fill="{BAR}"{outline}/>')
            if i == current and right_of_current is not None:
                parts.append(text_svg(runs_of(written[i]), right_of_current - 6, y - 10, SMALLEST_PX, anchor="end"))
            elif every_value_fits:
                parts.append(text_svg(runs_of(written[i]), x + 0.35 * pitch, y - 10, SMALLEST_PX, anchor="middle"))
            elif band_lines:
                parts.append(text_svg(runs_of(written[i]), x + 0.35 * pitch, top + 1.2 * SMALLEST_PX * (
                    1 + i % band_lines), SMALLEST_PX, anchor="middle"))
        near_current = current is not None and abs(i - current) == 1  # would run into the current bar's label
        if every_label_fits or i == current or (i in (0, len(values) - 1) or (i + 1) % 5 == 0) and not near_current:
            parts.append(text_svg(runs_of(label), x + 0.35 * pitch, plot_bottom + 1.2 * SMALLEST_PX, SMALLEST_PX,
                                  anchor="middle"))
    if axis_label:
        parts.append(text_svg(runs_of(axis_label), plot_left, top + height - 8, SMALLEST_PX, fill=MUTED))
    return parts


def _round_up(value: float) -> float:
    """The axis's top: the next 1, 2 or 5 × 10ⁿ at or above ``value`` (0.077 → 0.1, 0.27 → 0.5).

    >>> _round_up(0.077), _round_up(0.27), _round_up(3.0)
    (0.1, 0.5, 5.0)
    """
    decade = 10.0 ** math.floor(math.log10(value))
    return next(round(multiple * decade, 12) for multiple in (1, 2, 5, 10) if multiple * decade >= value * (1 - 1e-12))


def colour_rows(rows: dict[str, Sequence[float]], box: Box, scale: tuple[float, float],
                notes: dict[str, str] | None = None) -> list[str]:
    """One row of squares per name, square t coloured by its value on the log viridis ``scale``
    (the gradient colours of the figures), a note at the row's right, the steps numbered under."""
    left, top, width, height = box
    notes = notes or {}
    name_width = max(text_width(runs_of(name), BODY_PX) for name in rows) + 30
    note_width = max([text_width(runs_of(n), BODY_PX) for n in notes.values()] + [0]) + 30
    steps = max(len(v) for v in rows.values())
    side = min((width - name_width - note_width) / steps, (height - 1.5 * BODY_PX) / len(rows) * 0.8)
    parts = []
    for r, (name, values) in enumerate(rows.items()):
        y = top + r * side * 1.25
        parts.append(text_svg(runs_of(name), left, y + side / 2 + 10, BODY_PX, fill=INK))
        for t, value in enumerate(values):
            fill = colour(value, *scale) or EMPTY
            parts.append(f'<rect x="{left + name_width + t * side:.1f}" y="{y:.1f}" width="{side - 4:.1f}" '
                         f'height="{side - 4:.1f}" rx="6" fill="{fill}"/>')
        if name in notes:
            parts.append(text_svg(runs_of(notes[name]), left + name_width + steps * side + 20, y + side / 2 + 10,
                                  BODY_PX))
    under = top + len(rows) * side * 1.25 + SMALLEST_PX
    for t in range(steps):
        if steps <= 12 or t in (0, steps - 1) or (t + 1) % 5 == 0:
            parts.append(text_svg([(str(t + 1), "base")], left + name_width + (t + 0.5) * side - 2, under,
                                  SMALLEST_PX, anchor="middle", fill=MUTED))
    parts.append(text_svg([("t →", "base")], left + name_width - 20, under, SMALLEST_PX, anchor="end", fill=MUTED))
    return parts


def colour_legend(low: float, high: float, x: float, y: float, label: str = "‖∂J/∂h_t‖, log scale") -> list[str]:
    """The viridis ramp from ``low`` to ``high``, its ends written as a slide writes numbers."""
    parts = [text_svg(runs_of(label), x, y + 30, SMALLEST_PX, fill=MUTED)]
    start = x + text_width(runs_of(label), SMALLEST_PX) + 30
    parts.append(text_svg(runs_of(slide_number(low)), start, y + 30, SMALLEST_PX))
    ramp = start + text_width(runs_of(slide_number(low)), SMALLEST_PX) + 14
    parts += [f'<rect x="{ramp + 36 * k:.1f}" y="{y + 6:.1f}" width="36" height="32" fill="{fill}"/>'
              for k, fill in enumerate(VIRIDIS)]
    parts.append(text_svg(runs_of(slide_number(high)), ramp + 36 * len(VIRIDIS) + 14, y + 30, SMALLEST_PX))
    return parts


def table(header: Sequence[str], rows: Sequence[Sequence[str]], box: Box, size: float = BODY_PX) -> list[str]:
    """A table: the header in bold, the first column left-aligned, the others right-aligned."""
    left, top, width, _ = box
    columns = len(header)
    widths = [max(text_width(runs_of(str(row[c])), size) for row in [header, *rows]) + 50 for c in range(columns)]
    spare = max(0.0, width - sum(widths))
    widths[0] += spare
    parts, y = [], top + size
    for k, row in enumerate([header, *rows]):
        x = left
        for c, cell in enumerate(row):
            anchor, at = ("start", x) if c == 0 else ("end", x + widths[c] - 10)
            parts.append(text_svg(runs_of(str(cell)), at, y, size, anchor=anchor, bold=k == 0))
            x += widths[c]
        if k == 0:
            parts.append(f'<line x1="{left:.1f}" y1="{y + 14:.1f}" x2="{left + sum(widths):.1f}" y2="{y + 14:.1f}" '
                         f'stroke="{MUTED}" stroke-width="2"/>')
        y += size * 1.55
    return parts


def note(text: str, x: float, y: float) -> str:
    """A short muted line in the smallest text a slide allows."""
    return text_svg(runs_of(text), x, y, SMALLEST_PX, fill=MUTED)
