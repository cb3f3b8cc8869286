"""The slide's fit ladder: what a figure gives up, in order, until it fits a 1,920 × 1,080 slide.

A figure fits a slide when, enlarged to fill it, its smallest text is at least 24 px and its node labels
28 px (:data:`~.fitting.SLIDE_SCALE`). The layout already tries what changes nothing the figure says
(long lines broken, the notes beside the drawing or in its free corners, one cell turned landscape:
:func:`~.layout.labelled_layout`).
What is left to give up, in the order a lecturer would rather lose it:

1. the tensors' shapes, ``(1, 3)`` under each name (unless ``show_shapes`` was given): detail a student
   can read off the code;
2. the weights' names in every cell (unless ``params`` was given): each row's named once, in a key under the
   figure, then the footnote that each is one tensor, the same at every step (``params="key"``, ``weight_key.py``)
   — the sharing the lectures write W_hh on every copy for is still said, once;
   then each dropout's nodes (not at op level): drawn on its arrows, "d₁ = dropout", "dropout(h₁⁽¹⁾)" into the layer
   above, "dropout: ∂J/∂e₁" in a figure of the gradient, each mask said once in a note (``dropout_arrows.py``);
3. steps from the middle of the sequence (unless ``time_steps`` was given): t = 1, 2, 3, …, T−1, T, then
   t = 1, 2, …, T−1, T, t = 1, 2, …, T, down to t = 1, …, T — the "…" column standing for the steps left
   out, the colours on the scale of every step and each Σ summing every step, as without the ladder. Up to
   8 cells or steps of a forward figure, and of a figure of the gradient (BPTT is the steps it goes back
   through: a 4-step figure drawn as t = 1, …, 4 shows almost none of it), are always drawn whole; a forward
   figure of ops may hold fewer, and so may a figure of the gradient at op level, down to t = 1, 2, …, T (its
   dozen ops a step drawn 8 times over land a one-layer LSTM's text at 6.6 px: at t = 1, 2, …, 8, 14.8 px) — unless
   the figure still misses the slide with more than 5 steps drawn (a stacked bidirectional layer's cells at 6):
   then t = 1, 2, 3, …, T−1, T or t = 1, 2, …, T−1, T, where that fits. Steps that run through several chains
   (an encoder's, then the decoder it hands its state to: :func:`~.kept_steps.chains_in_time`) are left out within
   each chain, its first and last steps kept (encoder t = 1, …, 4 | decoder t = 1, …, 4), so every handover is
   drawn; a rung that cannot keep them all is not tried (:func:`~.kept_steps.steps_within_chains`).

Each rung taken is said in a note under the figure, with the option that draws it all. Steps are left out
where the slide then fits or, in a figure of ops or of the gradient longer than 8 steps, or of the gradient at op
level, that fits no rung, where that enlarges it most (up to 8 steps of cells, a lecturer who asked for them sees
them all); shapes wherever that enlarges the figure.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

from .detached import around_cuts, cuts_in_time
from .dropout_arrows import is_dropout_step
from .fit_notes import left_out_notes
from .fitting import SLIDE_SCALE, slide_scale
from .graph import SLIDE_STEPS
from .kept_steps import chains_in_time, left_out, steps_within_chains
from .layout import labelled_layout
from .legibility import SlideFit, label_clashes, measure, shared_lines, slide_fit
from .picture import Picture, steps_in_time
from .svg import picture_to_svg
from .weight_key import rows_naming_weights
from .wire_markers import keyed_names

ELIDED_SHOWN = (5, 4, 3, 2)  # steps drawn whole, the rest a "…": the lectures' t = 1, 2, 3, …, T−1, T and shorter
ENLARGES = 1.1  # a dense figure that fits no slide (of more than 8 steps, or of the gradient at op level): steps
# left out where its text grows a tenth
WHOLE_WHEN_SHORT = 5  # steps a figure that still misses the slide draws whole, with all else given up: more are
# elided to t = 1, 2, 3, …, T−1, T (or t = 1, 2, …, T−1, T) where that fits
FEWEST_WHEN_SHORT = 4  # (t = 1, 2, …, T−1, T: the first two and the last two, as the lectures draw a sequence)
FEWEST_OF_THE_GRADIENT = 3  # steps an op-level figure of the gradient of up to 8 draws: t = 1, 2, …, T (BPTT is the
# steps it goes back through: two would show only the last step's and the first's)


def fitted_rung(built: Callable[[tuple[int, ...] | slice | None, bool, bool], Picture], show_shapes: bool | None,
                time_steps: tuple[int, ...] | slice | None, steps_chosen: bool = False, dense: bool = False,
                unfitted: Picture | None = None, gradient: bool = False, ops: bool = False,
                weights_keyable: bool = False) -> Rung:
    """The first rung of the ladder whose figure fits a slide. ``built(time_steps, show_shapes, keyed)`` draws the
    picture (``keyed``: with ``params="key"``); ``show_shapes`` None: shown where the slide still fits them;
    ``steps_chosen``: the steps are the user's (``time_steps``, ``tokens`` or a rolled figure's one cell), so none is
    left out to fit; ``dense``: a figure of ops, or of the gradient, which may hold fewer than the 8 steps a slide
    otherwise draws whole; ``weights_keyable``: ``params`` was not given, so that the weights' names in every cell
    may go to a key (where that enlarges the figure, before any step is left out).
    A rung is taken only where its drawing is as clean as the first's (no more edges through nodes, no more
    arrow labels on each other, a line or a box): a tighter layout must not say something false to fit.
    Returned with what it measured: its labels and layout (drawing it lays it out once, not twice), ``scale``,
    and ``slide_fit`` (the text and label sizes and the shape on a slide, for a caller that says why a figure
    does not fit). ``unfitted``: the first rung's picture, where the caller built it already (to count its nodes).
    ``gradient``: a figure of the gradient, whose steps up to 8 are all drawn (dense or not) unless it is drawn in
    ``ops``: down to t = 1, 2, …, T, where that enlarges it (:data:`ENLARGES`).
    """
    first = Rung(built(time_steps, show_shapes is not False, False) if unfitted is None else unfitted)
    if first.scale >= SLIDE_SCALE:
        return first
    count, shown = step_counts(first.picture)
    shapes = show_shapes is True  # (None: the shapes go before any step does)
    shapes_note, steps_note, _ = left_out_notes()
    notes = (steps_note,) if show_shapes is not None else (shapes_note, steps_note)
    best = first
    if show_shapes is None:  # shapes: left out where that enlarges the figure, even if it still does not fit
        rung = Rung(built(time_steps, False, False), shapes_note)
        if rung.scale > first.scale and rung.cleaner_than(first):
            best = rung
    keyed = False  # the weights: named once a row where that enlarges the figure (and params was not given)
    if weights_keyable and best.scale < SLIDE_SCALE and rows_naming_weights(first.picture):
        rung = Rung(built(time_steps, show_shapes is not False and best is first, True), *best.notes)
        if rung.scale > best.scale and rung.cleaner_than(first):
            best, keyed = rung, True  # (and kept for the steps left out after it)
    folded = False  # each step's dropout: a mark on its arrow, said once under the figure, where that enlarges it
    if not ops and best.scale < SLIDE_SCALE and any(map(is_dropout_step, first.picture.nodes)):
        rung = Rung(built(time_steps, show_shapes is not False and shapes_note not in best.notes, keyed, True),
                    *best.notes)
        if rung.scale > best.scale and rung.cleaner_than(first):
            best, folded = rung, True
    largest = best
    tried = _steps_shown(count, shown, steps_chosen, dense, gradient, ops) if best.scale < SLIDE_SCALE else []
    chains = chains_in_time(first.picture.nodes, first.picture.edges) if tried else []  # an encoder's, its decoder's
    cuts = cuts_in_time(first.picture.nodes, first.picture.edges) if tried else []  # truncated BPTT: none hidden
    for fewer in tried:
        kept = steps_within_chains(chains, fewer)  # never across a handover: each chain's first and last steps
        kept = kept and around_cuts(kept, sum(chains), cuts, beside=gradient)
        if kept is None:
            continue
        rung = Rung(built(kept, shapes, keyed, folded), *notes)  # steps: only where the slide then fits
        if rung.scale >= SLIDE_SCALE and rung.cleaner_than(first):
            return rung
        if dense and (count > SLIDE_STEPS or (gradient and ops)) and rung.scale > largest.scale * ENLARGES \
                and rung.cleaner_than(first):
            largest = rung
    # a long figure of ops or of the gradient (or one of the gradient at op level) that fits with no steps left out:
    # the one that enlarges it most (a 12-step op-level BPTT, every step drawn, lands its text at a fraction of what a
    # slide needs)
    return largest


def most_rungs(count: int, steps_chosen: bool, dense: bool, gradient: bool = False, ops: bool = False) -> int:
    """The most figures :func:`fitted_rung` lays out for a sequence of ``count`` steps (its arguments as there):
    with and without shapes, then one for each number of steps it may draw whole, where it may leave steps out.
    What a caller that draws figures to compare budgets for.

    >>> most_rungs(3, steps_chosen=False, dense=True), most_rungs(12, steps_chosen=False, dense=False)
    (3, 6)
    >>> most_rungs(8, False, dense=True, gradient=True), most_rungs(8, False, dense=True, gradient=True, ops=True)
    (4, 5)
    """
    return 2 + len(_steps_shown(count, min(count, SLIDE_STEPS), steps_chosen, dense, gradient, ops))


def _steps_shown(count: int, shown: int, steps_chosen: bool, dense: bool, gradient: bool = False,
                 ops: bool = False) -> list[int]:
    """How many steps each rung that leaves steps out draws whole, in the order the ladder tries them: fewer than
    the ``shown`` drawn already, and none where steps may not be left out — the user's (``steps_chosen``), or a
    figure that a slide draws whole (8 steps or fewer: a forward figure of cells or steps, and a figure of the
    ``gradient`` of cells or steps; a ``dense`` forward figure of ops may hold fewer, and one of the gradient drawn
    in ``ops`` down to :data:`FEWEST_OF_THE_GRADIENT`).

    >>> _steps_shown(8, 8, False, dense=True, gradient=True, ops=True), _steps_shown(3, 3, False, True, True, True)
    ([5, 4, 3], [])
    """
    if steps_chosen:
        return []
    if count > SLIDE_STEPS or (dense and not gradient):
        return [k for k in ELIDED_SHOWN if k < shown]
    if gradient and ops:
        return [k for k in ELIDED_SHOWN if FEWEST_OF_THE_GRADIENT <= k < shown]
    # up to 8 steps of cells, forward or back, drawn whole where they fit; more than 5 that still do not: elided
    return [k for k in ELIDED_SHOWN if FEWEST_WHEN_SHORT <= k < shown] if shown > WHOLE_WHEN_SHORT else []


class Rung:
    """One figure the ladder tries, carrying the notes that say what it left out, measured on a slide."""

    def __init__(self, picture: Picture, *notes: str) -> None:
        self.picture, self.notes = picture, notes
        for note in notes:  # measured with the notes it will carry
            if note not in picture.notes:
                picture.notes.append(note)
        self.labels, self.placed = labelled_layout(picture)
        self.scale = slide_scale(self.placed, picture)

    @cached_property
    def svg(self) -> str:
        """The library's own SVG of this figure (the layout Graphviz is given), drawn once for every measure."""
        return picture_to_svg(self.picture, self.placed, self.labels, "f", figure=True)

    @cached_property
    def clashes(self) -> tuple[int, int, int]:
        """(edges through nodes, arrow labels that clash or found no clear spot, pairs of arrows along one line) in this
        figure (measured once: the first rung is compared with every rung after it). A name written in the key, its
        arrow numbered (:mod:`.wire_markers`), counts as a clash: the ladder still prefers a rung where every name lies
        clear (a 12-step LSTM's BPTT drew t = 1, 12 with four names in a key, not t = 1, 2, 12 with none)."""
        return (measure(self.svg).through_nodes, label_clashes(self.svg).count + len(keyed_names(self.placed)),
                len(shared_lines(self.svg)))

    @cached_property
    def slide_fit(self) -> SlideFit:
        """Its smallest text and node label on a 1,920 × 1,080 slide, in px, and its shape, as the SVG has them."""
        return slide_fit(self.svg)

    def cleaner_than(self, other: Rung) -> bool:
        """No more edges through nodes, clashing labels, or arrows along one line than ``other`` (a language
        model's op-level BPTT at t = 1, 2, …, 8 ran the terms of two Σs along one line where all 8 steps ran none)."""
        return all(mine <= theirs for mine, theirs in zip(self.clashes, other.clashes))


def step_counts(picture: Picture) -> tuple[int, int]:
    """(how many steps the sequence has, how many the picture draws whole)."""
    drawn = set(steps_in_time(picture.nodes, picture.edges, drawn_only=True))  # a decoder's after its encoder's
    hidden = {step for node in picture.nodes if node.kind == "ellipsis" for step in left_out(node)}
    return len(drawn | hidden), len(drawn)
