"""Which part of a lecture stage's figure shows, and where it goes: one rule for the page (lecture_fit.js)
and for an exported stage (:mod:`.export`).

1. What the stage's text names is in the window: :func:`named_nodes`, computed here once per stage
   into the page's data (``stage["named"]``), which the page's script and the export both read — the
   cells of step t and of the step it comes from (t−1 forward, t+1 backward), what step t reads (x_t,
   e_t), h₀ and c₀ at step 1 (and unrolled, with cells 1 and 2: one cell, step after step), step t's own loss
   column (its head and J_t) where each step has a loss, J where the backward pass starts, the whole
   network when rolled (its one column: x_t, the cell, the head, J_t and J), and at the sums ("one
   term per step") every step's cell — as many steps from step 1 as a slide's width holds at the
   readable scale; where the loss is on the last step alone, also what the steps read (x_t, e_t) going
   back and at the sums, and the row's ends (h₀, c₀, J) where they fit across
   (:func:`steps_across`; the line under the window says which, where that is fewer than all: a window
   onto steps 1–3 of 5 left the terms of 4 and 5 out of view). The page's window holds the whole chain of
   cells too, in every backward stage, wherever it fits a slide across at the readable scale
   (:func:`held_nodes`, :func:`chain_fits`: a window onto 2 of a language model's 4 steps hid the chain the
   gradient runs along; held wherever it fit at 2/3 of that scale, the chain set a 4-step language model's
   backward stages at 18–22 px at 1,920 × 1,080), and at the unrolled stage the row of cells the sums name;
   where what is held would set the text under the page's (1,280 × 720), the page holds what is named
   alone. An exported stage, beside its equations and bars, keeps what is named.
   On the page, an arrow that would run out across the window's edge from a node in view is clipped off
   whole at that node's outline where the window can lose the strip (lecture_fit.js: the e_t arrows under
   a backward stage's row of cells stood as stubs at its bottom edge).
2. The figure is drawn at the slide's (or the page's) readable scale — its smallest text 24 px at
   1,920 wide — unless that would not hold what the stage names: then it is scaled down until it
   does (the text smaller, what the stage names in view).
3. The rest of the box is filled, at that scale, around what is named: whole steps and whole rows of
   nodes, first the rows the pass comes from (forward, the inputs; backward, the losses), and a line
   says which steps are in view of how many and where the figure goes on (on a slide: what it leaves out).

The whole figure shows wherever it fits at the readable scale. Nothing is redrawn or left out: the
window only chooses the nested ``<svg>``'s viewBox (:func:`.slide.fit`) or the page's (its boxes: :mod:`.figure_boxes`).

>>> boxes = {0: (0.0, 0.0, 40.0, 20.0), 1: (60.0, 0.0, 100.0, 20.0), 2: (0.0, 50.0, 40.0, 70.0)}
>>> _in_view((50.0, -4.0, 60.0, 28.0), list(boxes.values()), [2], 4)
'step 2 of 4 in view; left out of this slide: step 1, steps 3–4, the rows below'
>>> named_nodes({"phase": "forward", "t": 1}, {"cells": {1: [1], 2: [2]}, "above": {1: [5, 6]},
...                                             "below": {1: [7, 8]}, "initial": [3, 4], "loss": [0]})
[1, 3, 4, 5, 6, 7, 8]
"""

from __future__ import annotations

import functools
import re

from .figure_boxes import EDGE, Box, _arrow_box, _arrows, _node_boxes, _outlines, _union, lit_labels
from .legibility import slide_fit
from .slide import FIGURE_MARGIN, HEIGHT, SMALLEST_PX, WIDTH, drawing_box, drawing_size

PAD = 4  # figure units around a window's nodes: their outlines are drawn outside their boxes


def named_nodes(stage: dict, columns: dict) -> list[int]:
    """The nodes a stage's text names, which its window must show (rule 1 above). ``columns``: the
    figure's ``cells``, ``above`` and ``below`` (step t → node indices: its cells, its own loss
    column, its x_t and e_t), ``initial`` (h₀, c₀) and ``loss`` (J and what forms it from the J_t);
    for the rolled stage, ``nodes``: every node of the rolled figure; ``across``: the steps the sums name
    (:func:`steps_across`; all where not given); ``row_ends``: h₀, c₀ and J where they fit a slide across
    with every step (none where not given)."""
    if stage["phase"] == "rolled":  # the network rolled: all of it
        return sorted(set(columns["nodes"]))
    cells, above, below = columns["cells"], columns.get("above", {}), columns.get("below", {})
    # a loss on the last step alone (no J_t column above the cells) names, in every stage of the unrolled row,
    # what the steps read (x_t, e_t) and the row's ends where they fit a slide across at the readable scale
    # (h₀, c₀ and J: ``row_ends``): going back, a window grown from the losses up cut off the x row with its
    # words and h₀ and c₀, arrows rising from nothing (1,280 × 720). A loss at every step names its J_t instead
    alone = not any(above.values())
    reads, ends = (below, columns.get("row_ends", [])) if alone else ({}, [])
    if stage["phase"] == "sums":  # each weight's sum of one term per step: the steps' cells, from step 1
        across = range(1, columns.get("across", len(cells)) + 1)
        named = [i for t in across for i in cells.get(t, []) + reads.get(t, [])] + ends
    elif stage["t"] is None:  # unrolled: "the same cell at every step": the cells (two steps named, the page holds
        named = [i for t in (1, 2) for i in cells.get(t, [])] + columns["initial"]  # the row) and h₀, c₀ feeding them
    elif stage["t"] > len(cells):  # the backward pass starts at J (= Σ h_T, where J reads the last state)
        last = len(cells)
        named = list(columns["loss"]) + ends + (cells.get(last, []) + reads[last] if reads.get(last) else [])
    else:
        t = stage["t"]
        came_from = t - 1 if stage["phase"] == "forward" else t + 1  # (step 1 reads h₀: its text names it)
        named = cells[t] + cells.get(came_from, []) + above.get(t, []) + (columns["initial"] if t == 1 else [])
        # h_t from h_{t−1} and x_t (e_t = E[x_t]) forward; going back, what the steps read where J is Σ h_T
        named += (below.get(t, []) if stage["phase"] == "forward" else reads.get(t, [])) + ends
        if alone and stage["phase"] == "backward" and came_from not in cells:  # step T's gradient comes from J:
            named += list(columns["loss"])  # its lit arrow J → h_T is the stage's point (not a stub, not hidden)
    return sorted(set(named))


def held_nodes(stage: dict, columns: dict, named: list[int] | None = None) -> list[int]:
    """What the page's window holds at a stage: what its text names (:func:`named_nodes`) and, in every backward
    stage where it fits (``columns["chain"]``: :func:`chain_fits`), the whole chain of cells — a class sees the
    chain the gradient runs along, not 2 of a language model's 4 steps, at the readable scale (forward, what is
    named is enough); at the unrolled stage ("the same cell at every step") the row of cells, as many steps as
    the sums name (``columns["across"]``: 2 of 4 steps hid half the copies); at the sums every step, one drop per
    term into the Σ, whatever size that needs (7 of 8 stood beside "8 of 8 terms"). Where what is held would set the
    figure's text under the page's (1,280 × 720), the page holds what is named alone (lecture_fit.js). An
    exported stage, which shares its slide with the equations and the bars, holds what is named at the slide's
    readable scale instead.

    >>> columns = {"cells": {1: [1], 2: [2], 3: [9]}, "initial": [3], "loss": [0], "chain": True}
    >>> named_nodes({"phase": "backward", "t": 2}, columns), held_nodes({"phase": "backward", "t": 2}, columns)
    ([2, 9], [1, 2, 9])
    >>> named_nodes({"phase": "backward", "t": 3}, columns)  # step T's gradient comes from J (node 0): both named
    [0, 9]
    """
    named = named_nodes(stage, columns) if named is None else named  # (``named``: already computed for the stage)
    if stage["phase"] == "unrolled":  # "the same cell at every step": the row (as many steps as the sums hold) fed
        # by h₀, c₀, each step's column whole — x_t and e_t under its cell, its head and J_t over it — and, where the
        # row is every step, J and their mean: the language model every lecture draws (the page gives this stage the
        # figure across its width, lecture_fit.js: at 1,920 × 1,080 it holds all of it at 24 px; framed in the
        # layout of the stages after it, x_t was out of view, or the whole at 16.7 px)
        cells = columns["cells"]
        across = range(1, columns.get("across", len(cells)) + 1)
        row = {i for t in across for i in cells.get(t, []) + columns.get("above", {}).get(t, []) +
               columns.get("below", {}).get(t, [])}
        ends = set(columns.get("loss", [])) if len(across) >= len(cells) else set()
        return sorted(row | set(columns["initial"]) | ends)
    if stage["phase"] == "sums":  # one drop per step into the Σ: every step, however many fit at 24 px (a window
        # onto steps 1–7 of 8 drew a Σ of 7 drops beside "8 of 8 terms", the 8th the largest term)
        return sorted(set(named) | set(named_nodes(stage, {**columns, "across": len(columns["cells"])})))
    if stage["phase"] != "backward" or not columns.get("chain"):  # (forward, the text stays readable: 24 px)
        return named
    return sorted(set(named) | {i for indices in columns["cells"].values() for i in indices})


def chain_fits(figure: str, cells: dict[int, list[int]]) -> bool:
    """Whether the page's window holds the whole chain of cells (:func:`held_nodes`): where its row fits a
    slide across at the readable scale (24 px at 1,920 wide), as a language model's 4 or 5 steps and an 8-step
    row with its loss on the last step do. A class sees the chain the gradient runs along, not 2 of its 4 steps
    in a window; a row too long for that (a language model's 8 steps) keeps the window around the stage's
    step, its text readable.

    >>> from tinygrad_rnn.cli import language_model_loss
    >>> from tinygrad_rnn.viz.lecture_panel import panel_data
    >>> from tinygrad_rnn.viz.notation import resolve
    >>> shown = {steps: panel_data("LM", language_model_loss("gru", steps=steps)[0], None, "cell", resolve(None))
    ...          for steps in (4, 8)}
    >>> [chain_fits(p["svg"], {int(t): c for t, c in p["cells"].items()}) for p in shown.values()]
    [True, False]
    """
    return steps_across(figure, cells)[0] >= len(cells)


def steps_across(figure: str, cells: dict[int, list[int]], ends: list[int] = (),
                 width: float = WIDTH - 2 * FIGURE_MARGIN, beside: list[int] = ()) -> tuple[int, list[int]]:
    """How many steps, from step 1, a figure's row of cells shows whole at the readable scale (rule 2's,
    its smallest text 24 px) across ``width`` slide pixels (a slide's, less its margins): the steps the
    sums stage names, so that naming them never shrinks the text (a 20-step row across one slide would
    be 10 px), and fewer than all only where they would not fit; and the row's ``ends`` (h₀, c₀ and J)
    where they fit with every step (none where they do not). ``beside``: nodes shown with the steps (the sums'
    figure's Σ of each row's weights)."""
    boxes, needed = _node_boxes(figure), _needed_scale(figure)

    def fit(count: int, also: list[int] = ()) -> bool:
        named = _named_box(boxes, [i for t in range(1, count + 1) for i in cells.get(t, [])] + [*also, *beside])
        return named is None or (named[2] - named[0]) * needed <= width

    across = next((count for count in range(len(cells), 1, -1) if fit(count)), 1)
    return across, list(ends) if len(cells) < 2 or fit(len(cells), ends) else []


def shown(figure: str, box: tuple[float, ...], named: list[list[int]] = ()) -> tuple[float, float, float]:
    """How well a box shows the figure: how near the readable scale it can draw what the stages name
    (``named``: each stage's nodes; 1 where all of it is readable), the fraction of the figure's area
    shown with its text at the slide's smallest size (so the more steps, the better), then how large
    it draws the whole."""
    left, top, width, height = box
    figure_width, figure_height = drawing_size(figure)
    needed = _needed_scale(figure)
    fraction = min(1.0, width / (needed * figure_width)) * min(1.0, height / (needed * figure_height))
    boxes = _node_boxes(figure)
    readable = min([_scale_for(_named_box(boxes, indices), width, height, needed) / needed
                    for indices in named if any(i in boxes for i in indices)] or [1.0])
    return round(readable, 2), round(fraction, 2), min(width / figure_width, height / figure_height)


@functools.lru_cache(maxsize=4)  # asked for each layout tried, and again for the window
def _needed_scale(figure: str) -> float:
    """Slide pixels per unit of the figure that put its smallest text at 24 px (a hair over: slide_fit gives the
    text to a tenth of a pixel, and a figure whose 10.47 px it wrote 10.5 landed at 23.97 px with 0.2% over)."""
    width, height = drawing_size(figure)
    filling = min(WIDTH / width, HEIGHT / height)
    return SMALLEST_PX / (slide_fit(figure).text_px - 0.05) * filling


def named_box(figure: str, named: list[int], hidden: list[int] = ()) -> Box | None:
    """The box a window onto ``figure`` holds for a stage whose text names ``named`` (rule 1), in the figure's
    units: computed here for the page's figures into each stage's data, which lecture_fit.js reads, and for an
    exported stage's figure (:func:`window_onto`). ``hidden``: nodes the stage does not draw (the sums' Σ of the
    weights not chosen), which neither pull the box to their rows nor have it grown round them. An arrow between two
    nodes of the box's rows that runs over or under them (the bus from J₁ … J_T up and across to their mean) is
    taken in whole: a window at the rows' edge cut it, and the losses stood unconnected to J."""
    boxes = _node_boxes(figure)
    boxes = {i: box for i, box in boxes.items() if i not in hidden} if hidden else boxes
    box = _named_box(boxes, named)
    if box is None:
        return None
    top, bottom = box[1], box[3]
    for (_, low, _, high), (tail, head) in _arrows(figure):
        ends = [boxes.get(i) for i in (tail, head)]
        if tail in named and None not in ends and all(top <= end[1] and end[3] <= bottom for end in ends):
            top, bottom = min(top, low - PAD), max(bottom, high + PAD)
    return box[0], top, box[2], bottom


def _named_box(boxes: dict[int, Box], named: list[int]) -> Box | None:
    """The box around the named nodes, padded, grown to whole nodes: its top and bottom those of the
    whole rows of nodes it reaches into (nodes whose heights overlap make one row), its sides taking
    in any node of those rows that reaches over them (a J_{t−1} wider than its cell): so nothing is cut
    at its edges, and a window holding it need cut nothing it shows. Its pad above and below stops at the
    outline of a node just outside it (the sums' Σ beside a GRU's cells stands 3 units under the head's row:
    padded, the box reached into that row, and the window cut it)."""
    box = _union([boxes[i] for i in named if i in boxes])
    if box is None:
        return None
    rows = [row for row in _rows([(b[1], b[3]) for b in boxes.values()])
            if row[1] > box[1] + 0.5 and row[0] < box[3] - 0.5]
    left, right = box[0], box[2]
    top, bottom = min([box[1]] + [r[0] for r in rows]), max([box[3]] + [r[1] for r in rows])
    for _ in range(len(boxes)):  # (each pass may take in a node that reaches over the new side)
        over = [b for b in boxes.values() if b[3] > top + 0.5 and b[1] < bottom - 0.5 and b[2] > left - PAD and
                b[0] < right + PAD and (b[0] < left - 0.5 or b[2] > right + 0.5)]
        if not over:
            break
        left, right = min([left] + [b[0] for b in over]), max([right] + [b[2] for b in over])
    padded_left, padded_top, padded_right, padded_bottom = _padded((left, top, right, bottom))
    for b in boxes.values():
        if b[2] > left and b[0] < right and padded_top < b[3] <= top:  # (its outline: 1.5 units at most)
            padded_top = min(b[3] + 1.5, top)
        if b[2] > left and b[0] < right and bottom <= b[1] < padded_bottom:
            padded_bottom = max(b[1] - 1.5, bottom)
    return padded_left, padded_top, padded_right, padded_bottom


def _rows(spans: list[tuple[float, float]]) -> list[list[float]]:
    """[top, bottom] of each row of nodes (spans that overlap make one row), top to bottom."""
    rows: list[list[float]] = []
    for start, end in sorted(spans):
        if rows and start <= rows[-1][1]:
            rows[-1][1] = max(rows[-1][1], end)
        else:
            rows.append([start, end])
    return rows


def _scale_for(named: Box | None, width: float, height: float, needed: float) -> float:
    """The scale of rule 2: the readable one, or less where what is named would not fit the box so."""
    if named is None:
        return needed
    return min(needed, width / (named[2] - named[0]), height / (named[3] - named[1]))


def window_onto(figure: str, figures: dict, panel: dict, stage: dict,
                box: tuple[float, ...]) -> tuple[tuple[float, ...], str]:
    """Where the figure goes on the slide, and which part of it: (the box for :func:`fit`, plus the
    viewBox when a window is shown; the line that says which steps are in view, or "")."""
    left, top, width, height = box
    full = drawing_box(figure)
    boxes = _node_boxes(figure)
    named = _named_box(boxes, stage.get("named", []))
    needed = _needed_scale(figure)
    scale = _scale_for(named, width, height, needed)
    # the lit arrows' labels with it, what the stage says they carry back (the page's window holds them too), where
    # that keeps the scale: an 8-step LSTM language model's h label, two lines under the cells, stood cut in half. Each
    # has a unit to spare, as in the page's litLabels (no outline is drawn outside a label: padded as a node, that h
    # label needed 20 px more than its box held at 24 px); ``kept``: what no side moves past, padded as a node is
    labels, kept = lit_labels(figure), named
    with_labels = _union([named, *[(b[0] - 1, b[1] - 1, b[2] + 1, b[3] + 1) for b in labels]]) if named else None
    if with_labels is not None and _scale_for(with_labels, width, height, needed) >= scale - 1e-9:
        named, kept = with_labels, _union([named, *map(_padded, labels)])
    if min(width / full[2], height / full[3]) >= scale:
        scale = min(width / full[2], height / full[3])
        return (left, top, width, full[3] * scale), ""
    w, h = min(full[2], width / scale), min(full[3], height / scale)
    focus = named or (full[0], full[1], full[0] + full[2], full[1] + full[3])
    x = min(max((focus[0] + focus[2]) / 2 - w / 2, full[0]), full[0] + full[2] - w)
    x, right = _whole_nodes(x, x + w, full[0], full[0] + full[2], [(b[0], b[2]) for b in boxes.values()],
                            (focus[0], focus[2]))
    if h >= full[3]:
        y, bottom = full[1], full[1] + full[3]
    else:  # whole rows of nodes around what is named, first those on the side the pass comes from
        upwards = {"forward": False, "backward": True}.get(stage["phase"])
        y, bottom = _rows_around(focus, h, [(b[1], b[3]) for b in boxes.values()], upwards)
        y, bottom = min(y, focus[1]), max(bottom, focus[3])  # (and a lit label past the rows)
        if bottom - y > h:  # (the side away from that label gives way: what is named fits ``h``)
            y, bottom = (bottom - h, bottom) if bottom <= focus[3] + 1e-9 else (y, y + h)
    window = _clear_of_arrows(figure, (x, y, right - x, bottom - y), kept)
    return (left + (width - window[2] * scale) / 2, top, window[2] * scale, window[3] * scale, window), \
        _in_view(window, list(boxes.values()), [] if stage["phase"] == "rolled" else
                 _steps_inside(window, figures, boxes), panel["steps"],
                 {end: [boxes[i] for i in figures.get(key, []) if i in boxes]
                  for end, key in (("the initial state", "initial"), ("the loss", "loss"))})


def _clear_of_arrows(figure: str, window: tuple[float, ...], kept: Box | None = None) -> tuple[float, ...]:
    """The window ([x, y, width, height]) with each side moved in, where an arrow runs out across it, to the
    outline of the node the arrow meets inside it: an arrow cut by the window's edge comes from nowhere (the e_t
    arrows under a backward stage's row of cells stood as stubs at its bottom edge; going forward, the state arrow
    out of the last cell in view). A side never cuts a node nor leaves one out: where one reaches into the strip it
    would lose (an LSTM's h₀ and c₀ beside cell 1, lower than the cells), it stops at that node's outline — the
    arrows it still cuts are left out whole (:func:`without_cut_arrows`). A side moved may leave another arrow cut:
    the arrows are looked at again until no side moves. No side moves past the outlines of what the stage names
    (``kept``, padded: :func:`.stage_window.named_box`). The page's script keeps its window so too (lecture_fit.js,
    ``clearOfArrows``, with the labels).

    >>> figure = ('<g class="node" data-index="0"><rect x="0" y="0" width="20" height="10" stroke-width="2"/></g>'
    ...           '<g class="node" data-index="1"><rect x="0" y="40" width="20" height="10" stroke-width="2"/></g>'
    ...           '<path class="edge" data-tail="1" data-head="0" d="M10.0,40.0 L10.0,16.0"/>')
    >>> _clear_of_arrows(figure, (-4.0, -4.0, 28.0, 18.0))  # the bottom edge moves up to node 0's outline
    (-4.0, -4.0, 28.0, 15.0)
    """
    sides = [window[0], window[1], window[0] + window[2], window[1] + window[3]]  # left, top, right, bottom
    boxes, outlines = _node_boxes(figure), _outlines(figure)
    reach = {i: (b[0] - outlines.get(i, 0.0), b[1] - outlines.get(i, 0.0), b[2] + outlines.get(i, 0.0),
                 b[3] + outlines.get(i, 0.0)) for i, b in boxes.items()}  # each node with its outline
    for _ in range(8):  # (until no side moves: a few passes at most)
        before = [*sides]
        for arrow, ends in _arrows(figure):
            inside = [i for i in ends if i in boxes and boxes[i][0] >= sides[0] - 0.5 and
                      boxes[i][2] <= sides[2] + 0.5 and boxes[i][1] >= sides[1] - 0.5 and boxes[i][3] <= sides[3] + 0.5]
            if not inside:
                continue
            node = boxes[inside[0]]
            near = reach[inside[0]]
            for side in (3, 1, 2, 0):  # bottom, top, right, left: the far sides (right, bottom) are 2 and 3
                far, other = side >= 2, (side + 2) % 4  # (other: the arrow's end on the node's side)
                crosses = (arrow[side] > sides[side] + 0.5 if far else arrow[side] < sides[side] - 0.5) and \
                    (arrow[other] < sides[side] if far else arrow[other] > sides[side]) and \
                    (arrow[other] >= node[side] - 0.5 if far else arrow[other] <= node[side] + 0.5)
                if not crosses:
                    continue
                strip = [*sides]
                strip[other] = near[side]  # the strip the side would lose
                reaching = [b[side] for b in reach.values() if b[2] > strip[0] + 0.01 and b[0] < strip[2] - 0.01 and
                            b[3] > strip[1] + 0.01 and b[1] < strip[3] - 0.01]
                target = (max if far else min)([near[side], *reaching])  # (no node cut: the farthest outline in it)
                if kept is not None:  # (nor what the stage names: its nodes' outlines, 1.5 units at most)
                    target = max(target, kept[side] - PAD + 1.5) if far else min(target, kept[side] + PAD - 1.5)
                sides[side] = min(sides[side], target) if far else max(sides[side], target)
        if sides == before:
            break
    return sides[0], sides[1], sides[2] - sides[0], sides[3] - sides[1]


def without_cut_arrows(figure: str, window: tuple[float, ...]) -> str:
    """``figure`` with each arrow that the window ([x, y, width, height]) would cut left out whole (hidden): where
    no side could move in clear of it without cutting a node (:func:`_clear_of_arrows`: an LSTM's h₀ and c₀, lower
    than the cells, keep the bottom edge under the e_t arrows into cells 2 … T), a stub would rise from nowhere.
    The page's script does the same (lecture_fit.js, ``clipTo``).

    >>> figure = '<path class="edge" data-tail="1" data-head="0" d="M10.0,40.0 L10.0,16.0"/>'
    >>> without_cut_arrows(figure, (0.0, 0.0, 20.0, 30.0))  # half in the window: left out
    '<path visibility="hidden" class="edge" data-tail="1" data-head="0" d="M10.0,40.0 L10.0,16.0"/>'
    >>> without_cut_arrows(figure, (0.0, 0.0, 20.0, 50.0)) == figure  # whole in it: drawn
    True
    """
    left, top, right, bottom = window[0], window[1], window[0] + window[2], window[1] + window[3]

    def hidden_if_cut(edge: re.Match) -> str:
        box = _arrow_box(edge.group(3))
        meets = box is not None and box[2] > left + 0.5 and box[0] < right - 0.5 and box[3] > top + 0.5 and \
            box[1] < bottom - 0.5
        whole = box is not None and box[0] >= left - 0.5 and box[2] <= right + 0.5 and box[1] >= top - 0.5 and \
            box[3] <= bottom + 0.5
        drawn = edge.group(0)
        return drawn.replace("<path ", '<path visibility="hidden" ', 1) if meets and not whole else drawn
    return EDGE.sub(hidden_if_cut, figure)


def _whole_nodes(left: float, right: float, first: float, last: float,
                 spans: list[tuple[float, float]], kept: tuple[float, float]) -> tuple[float, float]:
    """The window's sides moved in where they would cut through a node or its pad (:func:`padded_spans`: an edge
    running out of the window says that the figure goes on), again while a side moved past one lands in another,
    never past what is named (``kept``, already padded); a side at the figure's own edge stays.

    >>> _whole_nodes(50.0, 200.0, 0.0, 300.0, [(40.0, 60.0), (66.0, 90.0)], (100.0, 150.0))  # 6 apart: halfway
    (63.0, 200.0)
    """
    padded = padded_spans(spans, PAD)
    moved = True
    while moved:
        moved = False
        for low, high in padded:
            if low < left - 0.01 and high > left + 0.01 and left > first + 0.5 and left < kept[0] - 0.01:
                left, moved = min(high, kept[0]), True
            if low < right - 0.01 and high > right + 0.01 and right < last - 0.5 and right > kept[1] + 0.01:
                right, moved = max(low, kept[1]), True
    return left, max(right, left + 1.0)


def padded_spans(spans: list[tuple[float, float]], pad: float) -> list[tuple[float, float]]:
    """Each span (low, high) with ``pad`` on either side, but where two spans stand closer than two pads, their pads
    meet in the middle of the gap: a window's side that stops in that gap cuts neither, where a side moved past one
    span's full pad landed in the next one's and stepped over it too (the page's unrolled LSTM in CS224N's names
    showed 2 of its 8 steps). The page's script has the same rule (lecture_fit.js, ``tinygradRnnPads``).

    >>> padded_spans([(0.0, 10.0), (14.0, 20.0), (40.0, 50.0)], 4.0)
    [(-4.0, 12.0), (12.0, 24.0), (36.0, 54.0)]
    """
    padded = []
    for low, high in spans:
        start, end = low - pad, high + pad
        for other_low, other_high in spans:
            if other_high <= low and other_high + pad > start:
                start = max(start, (other_high + low) / 2)
            if other_low >= high and other_low - pad < end:
                end = min(end, (high + other_low) / 2)
        padded.append((start, end))
    return padded


def _rows_around(focus: tuple[float, ...], height: float, spans: list[tuple[float, float]],
                 upwards: bool | None) -> tuple[float, float]:
    """The top and bottom of the rows of nodes around the focus that fit ``height``: the focus's
    rows, then the rows above it (``upwards``) or below it (False) as long as they fit, then the
    other side's; with None, a row above and one below in turn."""
    rows = _rows(spans)
    inside = [k for k, (start, end) in enumerate(rows) if end > focus[1] + PAD - 0.5 and start < focus[3] - PAD + 0.5]
    middle = (focus[1] + focus[3]) / 2
    nearest = min(range(len(rows)), key=lambda k: abs((rows[k][0] + rows[k][1]) / 2 - middle))
    kept = [min(inside), max(inside)] if inside else [nearest, nearest]  # first, last: what is named, whole

    def grow(up: bool) -> bool:
        first, last = (kept[0] - 1, kept[1]) if up else (kept[0], kept[1] + 1)
        if first < 0 or last >= len(rows) or rows[last][1] - rows[first][0] + 2 * PAD > height:
            return False
        kept[:] = [first, last]
        return True

    if upwards is None:
        while grow(True) | grow(False):  # both, each time
            pass
    else:
        while grow(upwards):
            pass
        while grow(not upwards):
            pass
    return rows[kept[0]][0] - PAD, rows[kept[1]][1] + PAD


def _steps_inside(window: tuple[float, ...], figures: dict, boxes: dict) -> list[int]:
    """The steps whose cells the window shows whole."""
    x, _, w, _ = window
    columns = [(int(t), _union([boxes[i] for i in indices])) for t, indices in figures["cells"].items()]
    return [t for t, (left, _, right, _) in columns if x - 1 <= left and right <= x + w + 1]


def _in_view(window: tuple[float, ...], boxes: list[tuple[float, ...]], steps: list[int], count: int,
             ends: dict[str, list[tuple[float, ...]]] | None = None) -> str:
    """The line under a window: which steps it shows of how many, and what the slide leaves out (the steps
    outside it, what comes before or after them, the rows above or below it). A printed slide has no "right"
    to go on to: "the figure goes on to the right" left an 8-step row's step 8 and J unaccounted for. Before
    step 1 and after the last, what is left out is named where ``ends`` knows it ({"the initial state": its
    boxes, "the loss": its boxes}): "steps 1–8 of 8 in view; left out: what comes before step 1" sent readers
    looking for a missing step, where h₀ and c₀ were what the slide left out.

    >>> _in_view((40.0, 0.0, 100.0, 30.0), [(0.0, 0.0, 30.0, 20.0), (150.0, 0.0, 180.0, 20.0)], [2, 3], 4)
    'steps 2–3 of 4 in view; left out of this slide: step 1, step 4 and what follows it'
    >>> _in_view((40.0, 0.0, 100.0, 30.0), [(0.0, 0.0, 30.0, 20.0), (50.0, 0.0, 130.0, 20.0)], [1, 2], 2,
    ...          {"the initial state": [(0.0, 0.0, 30.0, 20.0)]})
    'steps 1–2 of 2 in view; left out of this slide: the initial state'
    """
    x, y, w, h = window
    above, below = any(b[1] < y for b in boxes), any(b[3] > y + h for b in boxes)
    before, after = any(b[0] < x for b in boxes), any(b[2] > x + w for b in boxes)
    if not (above or below or before or after):  # the whole figure, scaled to hold what the stage names (rule 2)
        return ""
    rows = " and ".join(side for cut, side in ((above, "above"), (below, "below")) if cut)
    if not steps:
        sides = " and ".join(side for cut, side in ((before, "left"), (after, "right")) if cut)
        return "a part of the figure; left out of this slide: " + ", ".join(
            ([f"its {sides} side"] if sides else []) + ([f"the rows {rows}"] if rows else []))
    first, last = min(steps), max(steps)
    shown = f"{_steps_named(first, last)} of {count} in view"
    outside = [end for end, end_boxes in (ends or {}).items()
               if any(b[0] < x or b[2] > x + w or b[1] < y or b[3] > y + h for b in end_boxes)]
    left_out = []
    if first > 1:
        left_out.append(_steps_named(1, first - 1))
    elif before:
        left_out.append("the initial state" if "the initial state" in outside else "what comes before step 1")
    if last < count:
        left_out.append(_steps_named(last + 1, count) + (" and what follows them" if last + 1 < count else
                                                          " and what follows it") * after)
    elif after:
        left_out.append("the loss" if "the loss" in outside else f"what follows step {count}")
    if rows:
        left_out.append(f"the rows {rows}")
    return f"{shown}; left out of this slide: {', '.join(left_out)}"


def _steps_named(first: int, last: int) -> str:
    """"step 8" or "steps 7–8"."""
    return f"step {first}" if first == last else f"steps {first}–{last}"


def _padded(box: Box | None) -> Box | None:
    """A box with the window's pad around it (a node's outline is drawn outside its box)."""
    return None if box is None else (box[0] - PAD, box[1] - PAD, box[2] + PAD, box[3] + PAD)
