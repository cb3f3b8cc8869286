"""What would fit: the figures to offer a lecturer whose figure does not fit a slide even after the fit ladder.

The ladder (``ladder.py``) gives up only what leaves the figure saying the same thing: the shapes, steps from
the middle. Where that is not enough, only the lecturer can choose what else to give up — fewer steps, the
shared weights' names in every cell (``params="hide"``), forward and backward as two figures, the shapes they
asked for, a coarser level — so each of these is drawn, as ``save`` would draw it, and offered only where it
fits (:class:`~.render.SlideFitWarning` says them). What keeps the lesson's cells and ops comes first: a
coarser level is offered last, since ``level="step"`` draws a 2-layer GRU tagger's four cells a step as one box
(its forward figure, 22.5 px at level="cell", fits with params="hide": 25.5 px).

Drawing a candidate is a whole fit-ladder run: up to six layouts where the ladder may leave steps out, seconds for
a figure of ops or a stacked network's gradient. So the search is bounded: one change before two, the cheapest
first (costed before it is laid out, as the nodes the ladder may lay out) after every change that keeps the level,
never a figure of more nodes than the one that does not fit (the dearest to lay out, and the least likely to fit);
it stops at the first two that fit, and starts no drawing once it has spent half the processor time the figure
itself took (or two seconds, for a small one) — but a coarser level, alone, while nothing fits yet: the figure a
lecturer is sure to be offered, of fewer nodes than the one that does not fit (an op-level GRU loop's BPTT, 1.4 s,
spends 1.8 s on params="hide" and the first three steps, neither of which fits; level="cell", then, takes 0.01 s).
A warning that doubled the time a figure takes to draw would be worse than one with fewer suggestions; and it is
paid only where the figure does not fit. (The count of nodes alone cannot bound it: a laid-out node costs seventeen
times more in a stacked network's gradient than in one layer's.)

>>> from tinygrad_rnn.viz.render import as_keywords
>>> figures = candidates({"level": "op", "backward": "both", "show_shapes": None, "rolled": False}, steps=8)
>>> [as_keywords(figure) for candidate in figures for figure in candidate][:5]
['level="step"', 'level="cell"', 'time_steps=(0, 1, 2)', 'params="hide"', 'backward=False']
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Callable
from itertools import combinations
from typing import Any

from .picture import is_sum_of_losses
from .render import Suggestion

WANTED = 2  # suggestions enough to choose from
SHARE = 0.5  # of the processor time the figure took: what the search may spend
LEAST_SECONDS = 2.0  # processor seconds: a small figure's candidates, each well under a second, are tried
FEWER_STEPS = (0, 1, 2)  # t = 1, 2, 3: the fewest steps a lecture draws to show a recurrence
COARSENESS = {"cell": 1, "step": 2}  # a suggested level, by what it hides: a step's cells (a cell's ops) as one box

Candidate = tuple[Suggestion, ...]  # the figures drawn in its place: one, or forward and backward apart


def candidates(options: dict, steps: int) -> list[Candidate]:
    """What could be drawn instead of the figure that ``options`` draw (``steps``: the steps it has), one
    change at a time, then two at a time: a coarser or finer level, the first three steps, the shared weights
    not drawn, forward and backward apart, the shapes left out where they were asked for."""
    changes: list[Candidate] = [((("level", level),),) for level in ("step", "cell") if level != options["level"]]
    if steps > len(FEWER_STEPS) and not options["rolled"]:  # (a rolled figure draws one cell for every step)
        changes.append(((("time_steps", FEWER_STEPS),),))
    if options.get("params") != "hide":  # (each cell's "W_ih, b_ih / W_hh, b_hh": the widest text of a stacked row)
        changes.append(((("params", "hide"),),))
    if options["backward"] == "both":
        changes.append(((("backward", False),), (("backward", True),)))
    if options["show_shapes"] is True:
        changes.append(((("show_shapes", False),),))
    pairs = [_both(one, other) for one, other in combinations(changes, 2) if _names(one) & _names(other) == set()]
    return changes + pairs


def fitting(options: dict, steps: int, fits: Callable[[dict], bool], nodes: Callable[[dict], int],
            rungs: Callable[[dict], int], seconds: float,
            clock: Callable[[], float] = time.process_time,
            whole: Callable[[dict], bool] = lambda options: True) -> list[Suggestion]:
    """The candidates that fit, said as draw/save's keyword arguments, in the order and within the bounds the
    module's docstring says. ``fits(options)`` draws a figure as save would and measures it; ``nodes(options)``:
    the nodes it draws, counted without laying it out; ``rungs(options)``: the most layouts its fit ladder
    makes; ``seconds``: the processor time the figure itself took; ``whole(options)``: whether that figure still
    draws the loss and every chain (the first three steps of an encoder–decoder are its encoder's alone: no
    decoder, no J_t). A candidate the library refuses (ValueError: an option that cannot apply), one that
    leaves out a chain or the loss, and one that only adds a change to a suggestion found already (it says
    that suggestion again) are not offered."""
    found: list[Suggestion] = []
    most = nodes(options)
    stop = clock() + max(seconds * SHARE, LEAST_SECONDS)
    costed = []
    for candidate in candidates(options, steps):
        try:
            sizes = [nodes(_with(options, figure)) for figure in candidate]
            # (more nodes than the figure that does not fit: not tried; nor one that drops a chain or the loss)
            tried = max(sizes) <= most and all(whole(_with(options, figure)) for figure in candidate)
        except ValueError:
            continue
        if tried:
            ones = len(_names(candidate)) == 1
            coarser = COARSENESS.get(dict(candidate[0]).get("level"), 0)
            costed.append((not ones, coarser, sum(size * rungs(_with(options, figure))
                                                  for size, figure in zip(sizes, candidate)), candidate))
    chosen = 0  # the candidates found to fit: forward and backward as two figures are one suggestion
    # one change first, the level kept before cells, cells before steps, then the cheapest
    for two, coarser, _, candidate in sorted(costed, key=lambda costed: costed[:3]):
        if clock() > stop and not (coarser and not two and not found):
            continue  # (past its time: only a coarser level, alone, while nothing fits yet)
        if any(set(said) <= set(figure) for said in found for figure in candidate):
            continue  # (time_steps=(0, 1, 2) fits: time_steps=(0, 1, 2), level="step" says it again)
        if all(_fits(fits, _with(options, figure)) for figure in candidate):  # (the second only if the first fits)
            found += candidate
            chosen += 1
            if chosen >= WANTED:
                break
    return found


def ignored(category: type[Warning]) -> bool:
    """Whether a warning of ``category`` given now would be ignored, whatever it said and wherever it came from: the
    first warnings filter that applies to it is "ignore", with no text, module or line to match. The search is run
    for its warning alone: a caller that ignores it (``warnings.simplefilter("ignore", SlideFitWarning)``, as a
    notebook that measures the figure itself may) would wait seconds for suggestions nobody sees. Any other filter
    answers False, and the warning is made as before (a filter on its text or its caller is matched as ever).

    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", UserWarning)
    ...     ignored(UserWarning), ignored(Warning)
    (True, False)
    """
    if getattr(sys.flags, "context_aware_warnings", False):  # (filters kept per context, not in the one list)
        return False
    for action, text, applies_to, module, line in warnings.filters:
        if issubclass(category, applies_to):
            return action == "ignore" and text is None and module is None and line == 0
    return False


def keeps_the_whole(picture: Any, candidate: Any) -> bool:
    """Whether the ``candidate`` picture draws what ``picture`` is about, at any level: a step of each of its chains
    in time (an encoder's, and its decoder's after it) and a J_t into each Σ of losses that has one — fewer steps,
    not fewer parts. (The first three steps of an encoder–decoder are its encoder's alone: no decoder, no head, no
    J_t, and the loss's Σ fed by nothing drawn.)"""
    def parts(drawn: Any) -> tuple[set, set, set]:
        starts = {node.chain.after if node.chain is not None else node.after for node in drawn.nodes
                  if node.step is not None and node.kind != "ellipsis"} - {None}
        fed = {drawn.nodes[head].label for tail, head, _ in drawn.edges
               if is_sum_of_losses(drawn.nodes[head]) and drawn.nodes[tail].kind != "ellipsis"}
        return starts, fed, {node.label for node in drawn.nodes if is_sum_of_losses(node)}

    (starts, fed, _), (kept, fed_there, sums) = parts(picture), parts(candidate)
    return starts <= kept and fed & sums <= fed_there


def _fits(fits: Callable[[dict], bool], options: dict) -> bool:
    try:
        return fits(options)
    except ValueError:
        return False


def _with(options: dict, figure: Suggestion) -> dict:
    return {**options, **dict(figure)}


def _names(candidate: Candidate) -> set[str]:
    return {name for figure in candidate for name, _ in figure}


def _both(one: Candidate, other: Candidate) -> Candidate:
    """Two changes at once (each figure of the one that draws two, with the other's change)."""
    two, single = (one, other) if len(one) > 1 else (other, one)
    return tuple(figure + single[0] for figure in two)
