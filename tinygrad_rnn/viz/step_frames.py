"""An op-level figure's step frames (the box drawn round each step's ops, labelled t=k) in an exported
stage's window: a frame the window cuts would run open into the slide's figure edge. The page's
script does the same on screen (lecture_frames.js, ``closeFrames``).

>>> figure = ('<g class="cluster"><rect x="0.0" y="0.0" width="60.0" height="40.0" rx="8" fill="none"/>'
...           '<text x="6.0" y="12.0">t=1</text></g><g class="node" data-index="0"><rect x="20.0" y="20.0" '
...           'width="20.0" height="10.0"/></g>')
>>> closed_frames(figure, (0.0, 15.0, 60.0, 30.0))[:89]  # its top cut off: closed in the window, round the op
'<g class="cluster"><rect x="1.5" y="16.5" width="57.0" height="23.5" rx="8" fill="none"/>'
"""

from __future__ import annotations

import re

from .figure_boxes import _node_boxes, _union
from .geometry import boxes_overlap, drawn_width

FRAME = re.compile(r'(<g class="cluster"><rect) x="([-\d.]+)" y="([-\d.]+)" width="([\d.]+)" height="([\d.]+)"'
                   r'([^>]*/>)<text x="([-\d.]+)" y="([-\d.]+)"([^>]*>)([^<]*)</text>')
LINE = 0.5  # half a frame's stroke (1)
GAP = 3.0  # between a closed frame's line and the outlines of the ops it holds


def closed_frames(figure: str, window: tuple[float, ...]) -> str:
    """``figure`` with each step's frame that the window ([x, y, width, height]) cuts drawn closed
    just inside it where every op of the step is in the window (what is cut off is the frame's margin
    and its label), still round all of them, and left out (hidden) where some are not; a frame's label
    the window would cut is left out too."""
    left, top = window[0], window[1]
    right, bottom = left + window[2], top + window[3]
    window_box = (left, top, right, bottom)
    ops = list(_node_boxes(figure).values())

    def closed(found: re.Match) -> str:
        x, y, w, h = (float(v) for v in found.group(2, 3, 4, 5))
        label_x, label_y, name = float(found.group(7)), float(found.group(8)), found.group(10)
        label = (label_x, label_y - 10, label_x + drawn_width([name], 10), label_y + 3)  # (its 10-point line)
        label_cut = boxes_overlap(label, window_box) and not _inside(label, left, top, right, bottom)
        hidden = ' visibility="hidden"' if label_cut else ""
        text = f'<text{hidden} x="{found.group(7)}" y="{found.group(8)}"{found.group(9)}{name}</text>'
        frame = (x, y, x + w, y + h)
        box = f' x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}"'
        if boxes_overlap(frame, window_box) and not _inside(frame, left, top, right, bottom):
            held = [b for b in ops if _inside(b, *frame)]
            l, t, r, b = (_closing(frame, held, left, top, right, bottom)
                          if held and all(_inside(op, left, top, right, bottom) for op in held) else (0, 0, 0, 0))
            room = r > l and l - LINE >= left - 0.01 and t - LINE >= top - 0.01 and r + LINE <= right + 0.01 and \
                b + LINE <= bottom + 0.01
            box = f' x="{l:.1f}" y="{t:.1f}" width="{r - l:.1f}" height="{b - t:.1f}"' if room else \
                f' visibility="hidden"{box}'
        return f"{found.group(1)}{box}{found.group(6)}{text}"
    return FRAME.sub(closed, figure)


def _closing(frame: tuple[float, ...], held: list[tuple[float, ...]], left: float, top: float, right: float,
             bottom: float) -> tuple[float, float, float, float]:
    """Each side of a frame where it was drawn, or just inside the window, but never through an op it holds."""
    x0, y0, x1, y1 = frame
    ops_left, ops_top, ops_right, ops_bottom = _union(held)
    return (min(max(x0, left + LINE + 1), ops_left - GAP), min(max(y0, top + LINE + 1), ops_top - GAP),
            max(min(x1, right - LINE - 1), ops_right + GAP), max(min(y1, bottom - LINE - 1), ops_bottom + GAP))


def _inside(box: tuple[float, ...], left: float, top: float, right: float, bottom: float) -> bool:
    return box[0] >= left - 0.5 and box[1] >= top - 0.5 and box[2] <= right + 0.5 and box[3] <= bottom + 0.5
