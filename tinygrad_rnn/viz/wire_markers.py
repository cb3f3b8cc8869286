"""Where an arrow's name has no clear spot: a numbered marker on its line, and the name in a key under the figure.

:func:`.label_placement.place_labels` moves each name to the nearest spot beside its own line that lies on
nothing; where every spot lies on something (between two rows of cells of a stacked bidirectional network, each
layer-1 state receives a chain rule from each direction of layer 2, and the rows leave no spot clear of every
line), the name stays where it lies least, struck through by a line or along another arrow's. There, as a lecture's
slide does, the arrow gets a small numbered marker (①, ② …) beside its own line, near the line's middle, on nothing
and MARK_APART from every other arrow's line (it names that one arrow), and the name is written in full in a key
under the figure: "① (∂h₂⁽²→⁾/∂h₂⁽¹→⁾)ᵀ ∂J/∂h₂⁽²→⁾". A name that lies clear (or only across a step's border, or over
its own line) is never marked, so a figure whose names all fit is drawn as before.

>>> from tinygrad_rnn.viz.geometry import Box, Layout, Route
>>> upright = Route([(0.0, 0.0), (0.0, 60.0)], (0.0, 66.0), label_at=(-20.0, 10.0))
>>> level = Route([(-40.0, 30.0), (54.0, 30.0)], (60.0, 30.0), label_at=(0.0, 32.0))  # struck through by upright
>>> placed = Layout([Box(80.0, 30.0, 30.0, 20.0)], [upright, level])
>>> mark_crowded_labels(placed, ["h₁", "∂J/∂h₁"])
>>> upright.label_lines, level.label_lines, [text for text, _, _ in placed.texts]
(None, ['①'], ['Names with no spot clear of other lines:', '① ∂J/∂h₁'])
>>> level.label_at[0] > 8  # clear of the upright line: it names the level one alone
True
"""

from __future__ import annotations

import math

from .fitting import extent
from .geometry import FONT_SIZE, LABEL_CLEAR, LINE, Layout, boxes_overlap, drawn_width, segment_enters
from .label_placement import (
    _candidates,
    _forget,
    _grow,
    _index,
    _items,
    _rect_distance,
    _samples,
    _score,
    _touches,
    _unhopped,
    label_rect,
)

# the circled numbers the figures' fonts hold (the fallback, DejaVu Sans, draws ① to ⑩ and no ⑪: a box with its code
# in it); a figure with more names to mark numbers them all in brackets, [1] to [12], one kind of mark on a figure
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"
MOST = 30  # (more names than these with no clear spot: the rest stay where they lie)
KEY_HEADING = "Names with no spot clear of other lines:"
# a marker this far (points) from every other arrow's line, and beside no stretch its own line shares with another:
# a mark is one character with nothing else to tell whose it is (① at a bend where another arrow's line left a shared
# riser, 1 point from it, named either)
MARK_APART = 8.0
KEY_GAP = 18.0  # between two columns of the key


def mark_crowded_labels(placed: Layout, names: list[str]) -> None:
    """Give every arrow whose name (``names``: each route's) still lies on a box, a name or under another's line a
    numbered marker beside its own line, where one lies clear and apart from every other line, and write its name in a
    key under the figure (``placed.texts``), in as many columns as the figure's width holds. The markers count in
    reading order (top row first, left to right). A name with no such spot for its marker stays where it lies."""
    items = _items(placed, names)
    index = _index(placed, items)
    crowded = [k for k, (route, lines) in enumerate(items[:len(placed.routes)])
               if lines and _on_another(index, k, label_rect(route.label_at, lines))]
    if not crowded:
        return
    marks = list(CIRCLED) if len(crowded) <= len(CIRCLED) else [f"[{n}]" for n in range(1, MOST + 1)]
    widest = [marks[min(len(crowded), len(marks)) - 1]]  # (each spot found for the widest; numbered once all are)
    marked: list[int] = []
    for k in crowded[:len(marks)]:
        route, lines = items[k]
        spot = _marker_spot(index, k, route, widest)
        if spot is not None:
            _forget(index, k, label_rect(route.label_at, lines))
            route.label_at, route.label_lines = spot, widest
            index.add("label", k, label_rect(spot, widest), label_rect(spot, widest))
            marked.append(k)
    if not marked:
        return
    marked.sort(key=lambda k: (-round(placed.routes[k].label_at[1]), placed.routes[k].label_at[0]))
    key = []
    for mark, k in zip(marks, marked):
        placed.routes[k].label_lines = [mark]
        key.append(f"{mark} {names[k]}")
    _write_key(placed, key)


def keyed_names(placed: Layout) -> list[str]:
    """The key's entries (a mark, then the name it stands for): [] where every name lies on the figure.

    >>> keyed_names(Layout([], [], texts=[("note", 0.0, 0.0), (KEY_HEADING, 0.0, -20.0), ("① h₁", 0.0, -34.0)]))
    ['① h₁']
    """
    texts = [text for text, _, _ in placed.texts]
    return texts[texts.index(KEY_HEADING) + 1:] if KEY_HEADING in texts else []


def _write_key(placed: Layout, key: list[str]) -> None:
    """The key's heading, then its entries in columns (down, then across) as many as fit the figure's width, under
    everything drawn."""
    left, right, bottom, _, _ = extent(placed)
    left, right, lowest = left + 12, right - 12, bottom + 12  # (extent's margins taken off: what is drawn)
    column = max(drawn_width([text], FONT_SIZE) for text in key) + KEY_GAP
    columns = max(1, min(len(key), int((right - left + KEY_GAP) // column)))
    rows = -(-len(key) // columns)
    placed.texts.append((KEY_HEADING, left, lowest - 1.5 * LINE))
    placed.texts += [(text, left + column * (n // rows), lowest - LINE * (n % rows + 2.5))
                     for n, text in enumerate(key)]


def _on_another(index, k: int, rect) -> bool:
    """Whether route ``k``'s name covering ``rect`` lies on a box or another name, or is struck through by another
    arrow's line: what reads as false. (Across a step's border, or over its own line, a name still reads as its own:
    ∂J/∂h₁ across t=2's border, beside its own short arrow between two steps, stays.)"""
    clear = _grow(rect, LABEL_CLEAR)
    for kind, other, shape, box in index.near(clear):
        if kind == "line" and other != k and _touches(clear, box) and segment_enters(*shape, clear):
            return True
        if kind in ("box", "label") and other != k and boxes_overlap(clear, shape):
            return True
    return False


def _marker_spot(index, k: int, route, mark: list[str]) -> tuple[float, float] | None:
    """The spot beside route ``k``'s own line nearest the line's middle where a mark lies on nothing, beside no
    stretch of its line shared with another arrow, and MARK_APART from every other arrow's line: None where there is
    none."""
    points = _unhopped(route)
    middle = _middle(points)
    alone = [sample for sample in _samples(index, k, points, middle) if not sample[2]]
    spots = sorted((math.dist(anchor, middle), anchor) for anchor in _candidates(alone, mark, False, middle))
    for _, anchor in spots:
        rect = label_rect(anchor, mark)
        if _score(index, k, rect) == (0, 0) and _apart(index, k, rect):
            return anchor
    return None


def _apart(index, k: int, rect) -> bool:
    """No line of another arrow (or a rolled cell's loop) within MARK_APART of ``rect``."""
    return all(other == k or _rect_distance(rect, shape) >= MARK_APART
               for kind, other, shape, _ in index.near(_grow(rect, MARK_APART)) if kind == "line")


def _middle(points: list[tuple[float, float]]) -> tuple[float, float]:
    """The point halfway along a polyline.

    >>> _middle([(0.0, 0.0), (10.0, 0.0), (10.0, 30.0)])
    (10.0, 10.0)
    """
    lengths = [math.dist(p, q) for p, q in zip(points, points[1:])]
    left = sum(lengths) / 2
    for (p, q), length in zip(zip(points, points[1:]), lengths):
        if left <= length and length > 0:
            return p[0] + (q[0] - p[0]) * left / length, p[1] + (q[1] - p[1]) * left / length
        left -= length
    return points[-1]
