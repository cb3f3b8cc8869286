"""A slide's notes in the free corners of its drawing: a column at its right that starts where the drawing's
right edge falls back, and, where that column would grow too tall, the last notes in the empty corners at its left.

The notes beside a drawing (``layout(notes_beside=...)``) stand right of everything it draws, from its top down: a
figure whose top row reaches further right than the rows under it (the language model's (1/T) Σₜ Jₜ and J past
J_T) pays for that one row's reach with the whole column's width, and a figure as tall as a slide has no height for
the notes under it. Here the column may start lower, under what reaches further, as far right as the rows beside it
leave free; and the notes it cannot hold without making the figure taller go, in their order, into the empty
corners left of the drawing (over the row names of a language model: beside its J₁ and its linear t=1, nothing
stands), top first, each written whole in one block. The same notes in the same order, only placed where the slide
had room for them. Coordinates are the layout's (points, y upwards); a rect is (left, bottom, right, top).
"""

from __future__ import annotations

from collections.abc import Callable

from .fitting import SLIDE_SCALE, enlargement
from .geometry import LINE, Box, Route
from .label_placement import Rect, label_rect

APART = 24.0  # between the drawing and the column at its right (as beside it)
CORNER_APART = 12.0  # between a note in a left corner and the drawing right of it (a corner is narrow)
CLEAR = 6.0  # between a block of notes and what stands over or under it
MARGINS = 24.0  # a figure's margins, both sides together (fitting.extent)
CORNER_WIDTHS = (180.0, 150.0, 117.0, 100.0, 90.0)  # a note in a corner, in lines this wide: the widest that is free
COLUMN_WIDTHS = (180.0, 150.0, 130.0, 117.0, 110.0, 100.0)  # the column at the right: the width a slide enlarges most


def column_height(lines: list[list[str]]) -> float:
    """How tall a block of notes is: each note's lines ``LINE + 2`` apart and 6 points between two notes (as
    :func:`.layout.layout` draws the notes beside a drawing).

    >>> column_height([["a", "b"], ["c"]])
    48.0
    """
    return sum(len(note) for note in lines) * (LINE + 2) + 6 * (len(lines) - 1)


def written(lines: list[list[str]], x: float, top: float) -> list[tuple[str, float, float]]:
    """Each line of a block of notes whose top is ``top``, with its left x and its baseline's y."""
    texts, y = [], top
    for note in lines:
        for line in note:
            y -= LINE + 2
            texts.append((line, x, y))
        y -= 6
    return texts


def notes_in_free_corners(occupied: list[Rect], notes: list[str],
                          wrapped: Callable[[str, float], list[str]]) -> list[tuple[str, float, float]]:
    """The notes' lines (text, left x, baseline y) around a drawing whose parts are ``occupied``: the first of them
    in a column at its right, one of :data:`COLUMN_WIDTHS` wide (:func:`tucked_corner`), the rest each in the first
    empty corner at its left with room for it (:func:`left_corners`). Of every split of the notes between the column
    and the corners, the first that fits a 1,920 × 1,080 slide, trying the most notes in the column first, each in the
    widest column first (the fewest notes away from the others, read in their order: a key's footnote stays under
    its key); where none fits, the one the slide enlarges most.

    >>> drawing = [(0.0, 0.0, 500.0, 330.0), (0.0, 330.0, 620.0, 360.0)]  # a wide top row over a narrower body
    >>> notes_in_free_corners(drawing, ["one", "two"], lambda note, width: [note])  # under the top row
    [('one', 524.0, 310.0), ('two', 524.0, 290.0)]
    """
    left, right = min(rect[0] for rect in occupied), max(rect[2] for rect in occupied)
    bottom, top = min(rect[1] for rect in occupied), max(rect[3] for rect in occupied)
    best, found = 0.0, []
    for k, width in ((k, width) for k in range(len(notes), -1, -1) for width in COLUMN_WIDTHS):  # k in the column
        lines = [wrapped(note, width) for note in notes[:k]]
        x, start = tucked_corner(occupied, width, column_height(lines)) if k else (right, top)
        texts = written(lines, x, start)
        spilled = left_corners(occupied, notes[k:], wrapped)
        if spilled is None:
            continue
        texts += spilled
        xs = [left, right] + [x + width for _, x, _ in texts[:sum(map(len, lines))]]  # (the corners: inside)
        ys = [bottom, top] + [y for _, _, y in texts]
        scale = enlargement(max(xs) - min(xs) + MARGINS, max(ys) - min(ys) + MARGINS)
        if scale >= SLIDE_SCALE:
            return texts
        if scale > best + 1e-9:
            best, found = scale, texts
    return found


def tucked_corner(occupied: list[Rect], width: float, height: float) -> tuple[float, float]:
    """(left x, top y) of a column of notes ``width`` × ``height`` points beside the drawing whose parts are
    ``occupied``: of the columns that start at the drawing's top or just under one of its parts and stand right of
    every part beside their own lines, the one a 1,920 × 1,080 slide enlarges most (the highest of those that tie:
    the column as close to the plain one as it can be).

    >>> tucked_corner([(0, 0, 100, 80), (0, 80, 200, 100)], 60.0, 50.0)  # under the wide top row, beside the rest
    (124.0, 74.0)
    >>> tucked_corner([(0.0, 0.0, 100.0, 100.0), (0.0, 80.0, 200.0, 100.0)], 60.0, 150.0)  # too tall: beside it
    (224.0, 100.0)
    """
    left, right = min(rect[0] for rect in occupied), max(rect[2] for rect in occupied)
    bottom, top = min(rect[1] for rect in occupied), max(rect[3] for rect in occupied)
    best, found = 0.0, (right + APART, top)
    for start in [top] + sorted({rect[1] - CLEAR for rect in occupied if rect[1] - CLEAR < top}, reverse=True):
        low = start - height
        beside = [rect[2] for rect in occupied if rect[3] > low - CLEAR and rect[1] < start + CLEAR]
        x = max(beside) + APART if beside else left
        scale = enlargement(max(right, x + width) - left + MARGINS, top - min(bottom, low) + MARGINS)
        if scale > best + 1e-9:
            best, found = scale, (x, start)
    return found


def left_corners(occupied: list[Rect], notes: list[str],
                 wrapped: Callable[[str, float], list[str]]) -> list[tuple[str, float, float]] | None:
    """The lines of ``notes`` each in the empty corner left of the drawing with room for it, top left first (under
    the notes already there), then bottom left (over them), in the widest of :data:`CORNER_WIDTHS` that leaves it
    clear of the drawing; None where a note has room in neither.

    >>> left_corners([(0.0, 0.0, 100.0, 100.0), (160.0, 100.0, 300.0, 160.0)], ["one"], lambda note, width: [note])
    [('one', 0.0, 146.0)]
    >>> left_corners([(0, 0, 200, 160)], ["one"], lambda note, width: [note]) is None
    True
    """
    left = min(rect[0] for rect in occupied)
    bottom, top = min(rect[1] for rect in occupied), max(rect[3] for rect in occupied)
    texts: list[tuple[str, float, float]] = []
    below_top, above_bottom = top, bottom  # where each corner's next note goes
    for note in notes:
        for width in CORNER_WIDTHS:
            lines = wrapped(note, width)
            height = column_height([lines])
            if _free(occupied, (left, below_top - height - CLEAR, left + width, below_top)):
                texts += written([lines], left, below_top)
                below_top -= height + 6
                break
            if _free(occupied, (left, above_bottom, left + width, above_bottom + height + CLEAR)):
                texts += written([lines], left, above_bottom + height)
                above_bottom += height + 6
                break
        else:
            return None
        if below_top - 6 < above_bottom:
            return None  # (the two corners met: one block over the other)
    return texts


def _free(occupied: list[Rect], block: Rect) -> bool:
    """Whether a block of notes stands clear of every part of the drawing (:data:`CORNER_APART` from what is right of
    it)."""
    x0, y0, x1, y1 = block
    return not any(rect[0] < x1 + CORNER_APART and rect[2] > x0 - CLEAR and rect[1] < y1 + CLEAR
                   and rect[3] > y0 - CLEAR for rect in occupied)


def occupied_rects(boxes: list[Box], routes: list[Route], labels: list[str],
                   texts: list[tuple[str, float, float]], text_width: Callable[[str], float]) -> list[Rect]:
    """What a drawing covers, as rects: its boxes, each stretch of every line, each arrow's label where it stands
    (before labels move off what is new: the notes are placed clear of them), and its texts (row names)."""
    rects: list[Rect] = [(box.left, box.bottom, box.right, box.top) for box in boxes]
    for route, label in zip(routes, labels):
        points = route.points + [route.end]
        rects += [(min(p[0], q[0]), min(p[1], q[1]), max(p[0], q[0]), max(p[1], q[1]))
                  for p, q in zip(points, points[1:])]
        if label and route.label_at is not None:
            rects.append(label_rect(route.label_at, route.label_lines or [label]))
    rects += [(x, y - 3.0, x + text_width(text), y + LINE - 3.0) for text, x, y in texts]
    return rects
