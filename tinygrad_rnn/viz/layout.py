"""Where everything goes: the textbook layout of an unrolled network, computed in linear time.

Graphviz's ``dot`` finds a layout by minimising edge crossings over the whole graph, which takes
minutes for a 50-step unroll and puts the steps in a staircase. But a recurrent graph's layout is
known in advance, so this module computes it, and Graphviz only draws (``neato -n2``):

* **time runs left to right**: step t is column t, all columns equally wide;
* **each layer and direction is a row**, layer 0 at the bottom; a reverse direction's row (and
  every gradient graph) flows right to left;
* **inside a step the ops flow upwards**, x_t entering at the bottom and h_t leaving at the top,
  one level per depth within the step, side by side in the same order in every step (the gates
  i, f, g, o; r, z, n); a gradient graph's steps flow downwards, back the way the values came;
* **what is not in a step sits beside its row**: inputs and the input projection where the row's
  flow starts; stacks, losses and Σ nodes where it ends; x_t at cell level below its step;
* **edges are routed here**: inside a step straight; a state from one step to the next through
  the gap between their columns; a node feeding (or fed by) many steps — a shared weight, the
  projected input, a loss, a Σ — along one bus lane above or below the row, with a drop into each
  step, so T edges read as one line.

Each stage visits every node and edge a constant number of times. Sizes are in points (1/72 in).
This module chains the stages and chooses, on a slide, among a few variants of one layout; each stage has
a file of its own: :mod:`.grid` (rows, columns, levels, lanes: where each node goes), :mod:`.passages` (a
line's way out of a step through its levels, in a gap kept for it, as Graphviz's dot does with virtual nodes),
:mod:`.routes` (the edges' routes), :mod:`.detours` (a way round, through the free channels, for an edge whose
route would enter a node), :mod:`.ports` (each arrow's own point on its node's face), :mod:`.fitting`
(how a layout fits a 16:9 slide) and :mod:`.geometry` (the measures, boxes and routes they share).
"""

from __future__ import annotations

from collections import Counter

from .bus_labels import names_on_one_line
from .detours import mend
from .fitting import (
    LEGEND_CELL,
    SLIDE_ASPECT,
    SLIDE_LABEL_PX,
    SLIDE_SCALE,
    SLIDE_TEXT_PX,
    enlargement,
    extent,
    slide_scale,
    slide_shaped,
)
from .geometry import (
    ARROW,
    BOX_LABEL,
    CHAR,
    FONT_SIZE,
    FREE,
    LABEL_LINE,
    LINE,
    LOOP_HEIGHT,
    SLIDE_SPACING,
    Box,
    Layout,
    Route,
    drawn_width,
    finish,
    label_lines,
    loop_label_at,
    loop_span,
    loops_left,
    node_size,
    segment_enters,
)
from .grid import Grid, directions_said_on_arrows, rows_said_in_the_note
from .hops import hop
from .label_placement import place_labels
from .legibility import SLIDE
from .picture import Picture, display_label, has_a_word, is_backward_rule
from .ports import spread_ports
from .step_names import step_name_spots
from .tucked_notes import notes_in_free_corners, occupied_rects, written
from .wire_markers import mark_crowded_labels

# the names other modules import from here (their homes are geometry.py and fitting.py)
__all__ = ["ARROW", "CHAR", "LABEL_LINE", "LEGEND_CELL", "LINE", "SLIDE_ASPECT", "SLIDE_LABEL_PX", "SLIDE_SCALE",
           "SLIDE_TEXT_PX", "Box", "Layout", "Route", "extent", "label_lines", "labelled_layout", "layout", "node_size",
           "segment_enters", "slide_scale", "slide_shaped"]

NOTE_BESIDE = (180.0, 280.0)  # a note beside a slide's drawing is broken into lines this wide, in points (narrow first)
NOTE_NARROW = 117.0  # … and, where no layout fits otherwise, this narrow: a tall figure's notes in more, shorter lines
ROW_NAME_GAP = 8.0  # on a slide, between a row's name and the leftmost box of the figure (free size: 12)
SLIDE_LINE_CHARS = (None, 16, 12, 8)  # on a slide, a node's line longer than one of these may break (picture.wrapped)


def labelled_layout(picture: Picture) -> tuple[list[str], Layout]:
    """Each node's label (:func:`~.graph.display_label`) and the layout of boxes sized to them (:func:`_laid_out`);
    on a slide that it still misses, where tokens= wrote a word under each x_t, the same search with each word on
    its name's line (x₁ = "the": a row of inputs a line shorter), taken where the slide enlarges it more (a language
    model's with tokens=: 26.1 px labels, its drawing 6 points too tall for its notes in its free corners; so, 28.1);
    then, where it still misses and a gap between steps is wider than what it carries, the same search with each gap
    only as wide as its own state names need (``gaps_each``), taken where the slide enlarges it more."""
    found, words_on_names = _laid_out(picture), False
    if not picture.slide or slide_scale(found[1], picture) >= SLIDE_SCALE:
        return found
    if any(has_a_word(node) for node in picture.nodes):
        joined = _laid_out(picture, words_on_names=True)
        if slide_scale(joined[1], picture) > slide_scale(found[1], picture):
            found, words_on_names = joined, True
    if slide_scale(found[1], picture) >= SLIDE_SCALE or not found[1].gaps_narrowable:
        return found
    # (12 steps of an nn.RNN detached after 6: one gap holds "detach(): value only, no gradient" in two lines, and
    # every gap was as wide: t = 1, 2, …, 6, 7, …, 12 19.1 px labels; so, 25.4, and the fit ladder's t = 1, …, 6, 7, …,
    # 12 fits, 28.4)
    narrowed = _laid_out(picture, words_on_names, gaps_each=True)
    return narrowed if slide_scale(narrowed[1], picture) > slide_scale(found[1], picture) else found


def _laid_out(picture: Picture, words_on_names: bool = False, gaps_each: bool = False) -> tuple[list[str], Layout]:
    """Each node's label (:func:`~.graph.display_label`, ``words_on_names`` passed on) and the layout of boxes sized
    to them: what every drawing places, DOT and the lecture page's SVG alike. On a slide, long lines may be
    broken, the notes put beside the drawing, one step of ops turned and, last, two variants for a figure
    bound by its height: the names broken but the parameters' pairs whole (linear / W_hh, b_hh, a line
    shorter than linear / W_hh, / b_hh), and a cell's three parameters in one line (W, b_h, V; not W, b_h over
    V: rows of rolled cells gain a line a row). Measured on each layout, the first that fits a 1,920 × 1,080
    slide wins (the fewest changes); where none fits, the notes in the drawing's free corners (:mod:`.tucked_notes`,
    where the slide then fits), else the one it enlarges most — or a forward figure's nodes
    past its end that read only its later steps tried over a free top (an encoder–decoder's losses' mean and J over
    the encoder's last cell: ``Grid._end_over_a_free_top``)."""
    choices = [(line_chars, 2, False) for line_chars in (SLIDE_LINE_CHARS if picture.slide else (None,))]
    counts = {len(node.parameters) for node in picture.nodes}
    if picture.slide and max(counts, default=0) >= 2:
        choices.append((SLIDE_LINE_CHARS[-1], 2, True))
    if picture.slide and max(counts, default=0) == 3:  # (four stay two pairs: W_ih, b_ih over W_hh, b_hh)
        choices.append((None, 3, False))  # (a line of three broken again at ", " would gain nothing)
    found, variants, named = [], [], set()  # (named: the layouts whose arrows' names are placed)
    # (the narrowest notes last, where nothing else fits: the language model's forward and backward, 5 notes beside
    # five rows of cells, fits with them 120 points wide where 180 left it 30 points too wide)
    for besides in ((0.0, *NOTE_BESIDE), (NOTE_NARROW,)) if picture.slide and picture.notes else ((0.0,),):
        for line_chars, per_line, whole_parameters in choices:
            labels = [display_label(node, line_chars, per_line, whole_parameters, words_on_names)
                      for node in picture.nodes]
            sizes = [node_size(label, SLIDE_SPACING if picture.slide else FREE) for label in labels]
            for beside in besides:
                for turned in (False, True) if picture.slide and _one_step_of_ops(picture) else (False,):
                    variants.append((labels, sizes, beside, turned))
                    # (its arrows' names placed only where it might fit with them: placing them is most of a
                    # layout's time, and a variant too small without them is too small with them)
                    found.append((labels, layout(picture, sizes, notes_beside=beside, turned=turned,
                                                 gaps_each=gaps_each, name_arrows=False)))
                    if slide_scale(found[-1][1], picture, arrow_labels=False) >= SLIDE_SCALE:
                        arrows_named(found[-1][1], picture)
                        named.add(len(found) - 1)
                        if slide_scale(found[-1][1], picture) >= SLIDE_SCALE:
                            return found[-1]  # the first that fits (the fewest changes: pairs W_ih, b_ih together)
    best = _enlarged_most([placed for _, placed in found], picture, named)
    if picture.slide and picture.backward and directions_said_on_arrows(picture):
        # then the rows' names left out, where the arrows along the rows say each row's direction as the names did
        # and the note says which row runs backwards in time: taken only where the figure then fits
        labels, sizes, beside, turned = variants[best]
        keyed = rows_said_in_the_note(picture)
        unnamed = (labels, layout(keyed, sizes, notes_beside=beside, turned=turned, rows_named=False,
                                   gaps_each=gaps_each))
        if slide_scale(unnamed[1], keyed) >= SLIDE_SCALE:
            return unnamed
    if picture.slide and picture.notes and _drawing_fits(found[best][1]):  # the notes in the drawing's free corners,
        # where the slide then fits (tried only where the drawing alone does: no place for the notes fits it else)
        labels, sizes, _, turned = variants[best]
        tucked = (labels, layout(picture, sizes, turned=turned, tucked=True, gaps_each=gaps_each))
        if slide_scale(tucked[1], picture) >= SLIDE_SCALE:
            return tucked
    if picture.slide and not picture.backward:
        # last, where none fits: the nodes past the row's end over a free top (a decoder's losses' mean and J over
        # its encoder's last cell: Grid._end_over_a_free_top), tried on the best variant first; where that gains,
        # on each variant in turn, the first that fits winning as above
        scale = slide_scale(found[best][1], picture)
        labels, sizes, beside, turned = variants[best]
        over = (labels, layout(picture, sizes, notes_beside=beside, turned=turned, over_a_free_top=True,
                                gaps_each=gaps_each))
        over_scale = slide_scale(over[1], picture)
        if scale < over_scale < SLIDE_SCALE:
            for k, (labels, sizes, beside, turned) in enumerate(variants):
                if k == best:
                    continue  # (laid out over a free top just above: it does not fit)
                moved = (labels, layout(picture, sizes, notes_beside=beside, turned=turned, over_a_free_top=True,
                                    gaps_each=gaps_each))
                if slide_scale(moved[1], picture) >= SLIDE_SCALE:
                    return moved
        if over_scale > scale:
            return over
    return found[best]



def layout(picture: Picture, sizes: list[tuple[float, float]], notes_beside: float = 0.0,
           turned: bool = False, over_a_free_top: bool = False, rows_named: bool = True,
           tucked: bool = False, gaps_each: bool = False, name_arrows: bool = True) -> Layout:
    """Positions for every node, a box per step, and a route for every edge; the notes under the
    drawing (on a slide, broken to its width, short ones two to a line), or ``notes_beside`` it on the right
    in lines that many points wide — ``tucked``: in its free corners, a column at its right under what reaches
    further and the rest at its left (:mod:`.tucked_notes`). ``turned``: the ops of a step flow left to right
    instead of upwards (one step at op level, landscape on a slide); ``rows_named=False``: the rows' names left out
    where the arrows say what they would (:func:`~.grid.directions_said_on_arrows`)."""
    boxes = [Box(0.0, 0.0, h, w) if turned else Box(0.0, 0.0, w, h) for w, h in sizes]
    grid = Grid(picture, boxes, over_a_free_top, rows_named, gaps_each)
    routes, twin = [], Counter()
    for edge in picture.edges:  # (two values alike in tail, head and label, two unnamed states: a track each)
        routes.append(grid.route(*edge, twin[edge]))
        twin[edge] += 1
    # an edge through a node it does not connect goes round it (a bus or a state says something by its shape)
    plain = [grid.kind[(tail, head)][0] not in ("bus", "state") for tail, head, _ in picture.edges]
    mend(boxes, [box for _, box in grid.clusters], routes, picture.edges, plain, grid._crosses_a_node)
    _name_each_fork_once(picture.edges, routes)
    rules = frozenset(i for i, node in enumerate(picture.nodes) if is_backward_rule(node))
    seeds = frozenset(i for i, node in enumerate(picture.nodes)  # J going back: ∂J/∂ each thing it reads
                      if picture.backward and node.kind == "output")  # (J = Σ h₃ ⊙ g₃: ∂J/∂h₃ = g₃, ∂J/∂g₃ = h₃)
    spread_ports(boxes, routes, picture.edges, rules | seeds, rules,  # one arrowhead per operand, a start per gradient
                 grid._crosses_a_node)
    if turned:
        _turn(boxes, routes, grid.clusters)
    loops = [(i, state, _loop(boxes[i], k, len(node.loops), state, grid.loop_label(state, len(node.loops))))
             for i, node in enumerate(picture.nodes) for k, state in enumerate(node.loops)]
    texts = []
    left = min([b.left for b in boxes], default=0.0)
    for row, name in enumerate(grid.row_names):
        # on a slide "layer 2 reverse ←" in two lines, "layer 2" over "reverse ←": the names of a bidirectional
        # network's rows were as wide as a cell, and a width-bound figure lands smaller by as much
        lines = name.replace(" reverse", "\nreverse").split("\n") if picture.slide and name else [name] * bool(name)
        x = left - (ROW_NAME_GAP if picture.slide else 12.0) - (drawn_width(lines, FONT_SIZE) if lines else 0.0)
        texts += [(line, x, grid.row_y[row] + (len(lines) / 2 - k - 0.5) * LINE) for k, line in enumerate(lines)]
    low = min([b.bottom for b in boxes] + [grid.lane_bottom[0] - (grid.lanes_below[0] + 1) * grid.space.lane],
              default=0.0)
    if notes_beside or tucked:  # to the right of the drawing, from its top down: a tall figure grows wider, not taller
        x = max([b.right for b in boxes] + [p[0] for route in routes for p in route.points], default=0.0) + 24
        y = max([b.top for b in boxes] + [grid.block_top[-1] if grid.block_top else 0.0], default=0.0)
        if tucked:  # in the drawing's free corners: its right under what reaches further, then its left
            occupied = occupied_rects(boxes, routes, [label for _, _, label in picture.edges], texts, _drawn)
            occupied.append((x - 24, y, x - 24, y))  # (where the plain column would start: the drawing's top right)
            texts += notes_in_free_corners(occupied, picture.notes, _wrapped)
        else:
            texts += written([_wrapped(note, notes_beside) for note in picture.notes], x, y)
    else:
        width = _note_width(picture.notes, boxes, routes, left) if picture.slide else None
        for note in _packed(picture.notes, width) if width else picture.notes:
            for k, line in enumerate(_note_lines(note, width) if width else [note]):
                low -= LINE + (6 if k == 0 else 2)
                texts.append((line, left, low))
    if picture.rankdir == "RL":  # mirrored: x → −x
        for box in boxes:
            box.x = -box.x
        for route in routes + [loop for _, _, loop in loops]:  # (a rolled cell's loops: routes too)
            route.points = [(-x, y) for x, y in route.points]
            route.end = (-route.end[0], route.end[1])
            route.label_at = None if route.label_at is None else (-route.label_at[0], route.label_at[1])
        for _, box in grid.clusters:
            box.x = -box.x
        texts = [(text, -x - drawn_width([text], FONT_SIZE), y) for text, x, y in texts]
    hop(routes, [tail for tail, _, _ in picture.edges])  # (before the names: they keep clear of the hops)
    placed = Layout(boxes, routes, grid.clusters, texts, loops, gaps_narrowable=grid.gaps_narrowable)
    placed.step_names = step_name_spots(placed)  # (before the arrows' names: they keep clear of the steps')
    return arrows_named(placed, picture) if name_arrows else placed


def arrows_named(placed: Layout, picture: Picture) -> Layout:
    """``placed`` with its arrows' names moved off what they would lie on (:func:`.label_placement.place_labels`):
    the last stage of :func:`layout`, done once for each layout."""
    names, tails, heads = [label for _, _, label in picture.edges], [tail for tail, _, _ in picture.edges], \
        [head for _, head, _ in picture.edges]
    place_labels(placed, names, tails, heads)
    names_on_one_line(placed, names, tails, heads)  # (a bus's step names, t=1 … T, by one rule)
    mark_crowded_labels(placed, names)  # (a name still on something: a numbered marker, and a key under the figure)
    return placed


def _enlarged_most(found: list[Layout], picture: Picture, named: set[int]) -> int:
    """Which of the layouts ``found`` a slide enlarges most, their arrows' names placed (the first of those it
    enlarges as much). With its names a layout is enlarged at most as much as without them, so they are placed
    (where ``named`` says they are not yet) only in those that without them are enlarged at least as much as the
    most of those placed so far: a few of a search's 16 layouts, where placing them in all took most of its time."""
    placed: dict[int, float] = {}
    for k in sorted(range(len(found)), key=lambda k: -slide_scale(found[k], picture, arrow_labels=False)):
        if placed and slide_scale(found[k], picture, arrow_labels=False) < max(placed.values()):
            break
        if k not in named:
            arrows_named(found[k], picture)
            named.add(k)
        placed[k] = slide_scale(found[k], picture)
    return max(sorted(placed), key=lambda k: placed[k])



def _drawing_fits(placed: Layout) -> bool:
    """Whether the drawing alone, its boxes, lines and their labels without its notes or row names, fits a slide."""
    left, right, bottom, top, _ = extent(Layout(placed.boxes, placed.routes, placed.clusters, [], placed.loops))
    return enlargement(right - left, top - bottom) >= SLIDE_SCALE


def _note_width(notes: list[str], boxes: list[Box], routes: list[Route], left: float) -> float:
    """How wide a slide's note line may be drawn: as wide as the drawing, its lines included (a bus past the last
    box), or, where the notes under it make the figure taller than a 16:9 slide's shape, as wide as that shape
    allows at the height the notes then take: the notes in fewer, longer lines, and the figure shorter, its width
    still no more than the slide's height lets it use."""
    xs = [b.right for b in boxes] + [x for route in routes for x, _ in route.points]
    ys = [y for b in boxes for y in (b.bottom, b.top)] + [y for route in routes for _, y in route.points]
    width = max(NOTE_BESIDE[0], max(xs, default=0.0) - left)
    height = max(ys, default=0.0) - min(ys, default=0.0)
    fewest = sum(len(_note_lines(note, width)) for note in _packed(notes, width))
    # (each line a note gains costs the slide's width 16/9 of it)
    for longer in (width + CHAR * k for k in range(1, int(width / 2 / CHAR))):
        if longer > (height + fewest * (LINE + 2) + 4 * len(notes)) * SLIDE[0] / SLIDE[1]:
            break
        lines = sum(len(_note_lines(note, longer)) for note in _packed(notes, longer))
        if lines < fewest and longer <= (height + lines * (LINE + 2) + 4 * len(notes)) * SLIDE[0] / SLIDE[1]:
            width, fewest = longer, lines
    return width


def _note_lines(note: str, width: float) -> list[str]:
    """A note broken into lines at most ``width`` points wide as drawn: after its last ": " where both sides then
    fit (the words, then the equation they introduce, whole on a line of its own), else wherever a line is full.

    >>> _note_lines("a node adds the parts: ∂J/∂h₃ = a + b", 120.0)
    ['a node adds the parts:', '∂J/∂h₃ = a + b']
    >>> _note_lines("Σ: the terms one weight receives, added", 120.0)
    ['Σ: the terms one weight', 'receives, added']
    """
    if _drawn(note) > width:
        cuts = [k for k in range(len(note))
                if note.startswith(": ", k) and _drawn(note[:k + 1]) <= width and _drawn(note[k + 2:]) <= width]
        if cuts:
            return [note[:cuts[-1] + 1], note[cuts[-1] + 2:]]
    return _wrapped(note, width)


def _wrapped(text: str, width: float) -> list[str]:
    """The words of ``text`` in lines at most ``width`` points wide as drawn (a word wider than that alone on one).

    >>> _wrapped("the same at every step", 60.0)
    ['the same at', 'every step']
    """
    lines: list[str] = []
    for word in text.split():
        if lines and _drawn(f"{lines[-1]} {word}") <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines


def _drawn(text: str) -> float:
    """The width of a note's line as drawn, in points."""
    return drawn_width([text], FONT_SIZE)


def _packed(notes: list[str], width: float) -> list[str]:
    """The notes with short ones joined on a line (``.``-separated, each after the first earlier line that
    leaves it room in ``width``): a slide's notes take fewer lines of its height.

    >>> _packed(["a short note", "a note too long to share its line", "another", "more"], 120.0)
    ['a short note. another', 'a note too long to share its line', 'more']
    >>> _packed(["one", "two", "three"], 120.0)
    ['one. two. three']
    """
    packed: list[str] = []
    for note in notes:
        room = [k for k, line in enumerate(packed) if _drawn(f"{line}. {note}") <= width]
        if room:
            packed[room[0]] += f". {note}"
        else:
            packed.append(note)
    return packed


def _name_each_fork_once(edges: list[tuple[int, int, str]], routes: list[Route]) -> None:
    """One state handed to two nodes (layer 1's h₁ into both directions of layer 2) leaves along one line
    that forks: where the two copies of its name would land on one spot or side by side (and read as two
    states), it is drawn once, on the most direct of the routes. Copies far apart each name their own line, and
    so do two lines that leave the node apart (a decoder's h₁ out of its cell's side to step 2 and out of its top
    to its head: no fork, and a riser with no name left it open which state the head reads).

    >>> routes = [Route([(0, 0), (0, 5)], (0, 9), label_at=(3, 4)), Route([(0, 0), (0, 5), (6, 5)], (6, 9),
    ...           label_at=(3, 20)), Route([(0, 0), (90, 0)], (90, 9), label_at=(80, 4)),
    ...           Route([(2, 1), (2, 5)], (2, 9), label_at=(5, 4))]
    >>> _name_each_fork_once([(1, 2, "h₁"), (1, 3, "h₁"), (1, 4, "h₁"), (1, 5, "h₁")], routes)
    >>> [route.label_drawn for route in routes]
    [True, False, True, True]
    """
    named: dict[tuple[int, str], list[Route]] = {}
    order = sorted(range(len(routes)), key=lambda k: len(routes[k].points))  # the most direct first
    for k in order:
        (tail, _, label), route = edges[k], routes[k]
        if not label or route.label_at is None:
            continue
        kept = named.setdefault((tail, label), [])
        route.label_drawn = not any(route.points[0] == other.points[0]
                                    and abs(route.label_at[0] - other.label_at[0]) < drawn_width([label])
                                    and abs(route.label_at[1] - other.label_at[1]) < 3 * LABEL_LINE
                                    for other in kept)
        if route.label_drawn:
            kept.append(route)


def _turn(boxes: list[Box], routes: list[Route], clusters: list[tuple[str, Box]]) -> None:
    """A quarter turn clockwise, (x, y) → (y, −x): what flowed upwards flows to the right, and what
    stood side by side (the gates i, f, g, o) stands top to bottom. The layout was made with every
    node's width and height swapped, so that after the turn each box has its own again."""
    for box in boxes + [box for _, box in clusters]:
        box.x, box.y, box.width, box.height = box.y, -box.x, box.height, box.width
    for _, box in clusters:  # the step's name (t=1) goes above its ops again, in a strip of its own
        box.y, box.height = box.y + BOX_LABEL / 2, box.height + BOX_LABEL
    for route in routes:
        route.points = [(y, -x) for x, y in route.points]
        route.end = (route.end[1], -route.end[0])
        if route.label_at is not None:  # beside the longest straight part: above it, or to its right
            segments = list(zip(route.points, route.points[1:] + [route.end]))
            (x0, y0), (x1, y1) = max(segments, key=lambda s: abs(s[1][0] - s[0][0]) + abs(s[1][1] - s[0][1]))
            level = abs(y1 - y0) <= abs(x1 - x0)
            route.label_at = ((x0 + x1) / 2, (y0 + y1) / 2 + 6) if level else ((x0 + x1) / 2 + 8, (y0 + y1) / 2)


def _one_step_of_ops(picture: Picture) -> bool:
    """A single step drawn op by op (one LSTM or GRU cell's gates): tall when its ops flow upwards."""
    steps = {node.step for node in picture.nodes if node.step is not None and node.kind == "op"}
    return len(steps) == 1 and not picture.backward



def _loop(box: Box, k: int, count: int, state: str, lines: list[str]) -> Route:
    """The k-th of a rolled cell's ``count`` state loops: an arch over the right part of its top, out and
    back in. The loops stand side by side, each lower than the one on its left (the first, c, tallest), so
    that they never cross each other, the edges leaving the cell's sides, or one rising from the middle of
    its top, and each is named on its own arch (:func:`.geometry.loop_label_at`). Its label (``lines``: on a
    slide a long one in two) grows upwards."""
    span = loop_span(box, count)  # the stretch of the top the loops stand on
    pitch = span / count
    height = LOOP_HEIGHT * (count - k)
    end_x = loops_left(box, count) + k * pitch  # where it comes back in, its arrowhead down into the cell
    start_x = end_x + pitch - 6  # where it leaves
    points = [(start_x, box.top), (start_x, box.top + height), (end_x, box.top + height)]
    route = finish(points, (end_x, box.top), state, loop_label_at(box, k, count, lines))
    route.label_lines = lines if len(lines) > 1 else None
    return route

