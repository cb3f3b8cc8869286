"""How a layout fits a 16:9 slide: everything it draws (its extent), how much a 1,920 × 1,080 slide
enlarges it, and the canvas widened or heightened to a slide's shape."""

from __future__ import annotations

from .geometry import FONT_SIZE, LINE, Layout, drawn_width, label_depth
from .picture import Picture

SLIDE_ASPECT = (1.2, 2.4)  # width : height of a figure that fills a 16:9 slide without wasting it
SLIDE_TEXT_PX, SLIDE_LABEL_PX = 24.0, 28.0  # the smallest text, and node label, a 1080p slide can show
SLIDE_SCALE = SLIDE_LABEL_PX / 10  # px per point that a slide must give: node labels are 10-point (and the
# 9-point text then lands at 25 px)
LEGEND_CELL = 40.0  # the width of one colour of the gradient legend


def enlargement(width: float, height: float) -> float:
    """How much a 1,920 × 1,080 slide enlarges a figure ``width`` × ``height`` points that fills it, in px per
    point: the side that fills it first decides.

    >>> enlargement(640.0, 320.0), enlargement(640.0, 540.0)
    (3.0, 2.0)
    """
    return min(1920 / width, 1080 / height)


def slide_scale(placed: Layout, picture: Picture, arrow_labels: bool = True) -> float:
    """How much a 1,920 × 1,080 slide enlarges the figure (:func:`enlargement` of its extent), in px per point.
    ``arrow_labels=False``: measured without its arrows' names, wherever they lie — the most it can be enlarged
    whatever spots they are then moved to (each adds to the extent, never takes from it)."""
    left, right, bottom, top, _ = extent(placed, picture.legend is not None, bool(picture.title), arrow_labels)
    return enlargement(right - left, top - bottom)



def extent(placed: Layout, legend: bool = False, title: bool = False,
           arrow_labels: bool = True) -> tuple[float, float, float, float, float]:
    """(left, right, bottom, top) of everything a figure draws, with a margin, and the y of its colour
    bar (``legend``: under everything else); ``title`` leaves room above for one line; ``arrow_labels=False``
    leaves out the arrows' names."""
    xs = [b.left for b in placed.boxes] + [b.right for b in placed.boxes]
    ys = [b.bottom for b in placed.boxes] + [b.top for b in placed.boxes] + [y for _, _, y in placed.texts]
    xs += [x for _, x, _ in placed.texts] + [x + drawn_width([text], FONT_SIZE) for text, x, _ in placed.texts]
    for route in placed.routes + [loop for _, _, loop in placed.loops]:
        xs += [x for x, _ in route.points]
        ys += [y for _, y in route.points]
    for _, state, loop in placed.loops:  # a rolled cell's loop, and its label above it
        ys.append(loop.label_at[1] + LINE)
        xs.append(loop.label_at[0] + drawn_width(loop.label_lines or [state]))
    for route in placed.routes if arrow_labels else ():  # an arrow's label: from above its first line to below its last
        if route.label_at is not None:
            ys += [route.label_at[1] + 9, route.label_at[1] - label_depth(route.label_lines or [""]) - 3]
    for _, box in placed.clusters:
        xs += [box.left, box.right]
        ys += [box.bottom, box.top + LINE]
    legend_y = min(ys) - 2 * LINE - 8
    if legend:
        ys.append(legend_y - LINE)
        xs.append(min(xs) + 12 + 9 * LEGEND_CELL)
    if title:
        ys.append(max(ys) + 2 * LINE)
    return min(xs) - 12, max(xs) + 12, min(ys) - 12, max(ys) + 12, legend_y


def slide_shaped(left: float, right: float, bottom: float, top: float,
                 inside: float = 0.0) -> tuple[float, float, float, float]:
    """The canvas widened or heightened about its centre until width : height lies in [1.2, 2.4]: a
    figure that fills a 16:9 slide. (The text keeps its size there: the longer side still decides the scale.)
    ``inside``: aim that far inside the range (for a renderer that adds its own margins around the canvas).

    >>> slide_shaped(0, 100, 0, 100), slide_shaped(0, 480, 0, 100)
    ((-10.0, 110.0, 0, 100), (0, 480, -50.0, 150.0))
    """
    width, height = right - left, top - bottom
    low, high = SLIDE_ASPECT[0] + inside, SLIDE_ASPECT[1] - inside
    if width < low * height:
        grow = (low * height - width) / 2
        return left - grow, right + grow, bottom, top
    if width > high * height:
        grow = (width / high - height) / 2
        return left, right, bottom - grow, top + grow
    return left, right, bottom, top

