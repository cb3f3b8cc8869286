"""What would fit: the figures to offer a lecturer whose figure does not fit a slide even after the fit ladder.

The ladder (``ladder.py``) gives up only what leaves the figure saying the same thing: the shapes, steps from
the middle. Where that is not enough, only the lecturer can choose what else to give up — a coarser level,
fewer steps, forward and backward as two figures, the shapes they asked for — so each of these is drawn, as
``save`` would draw it, and offered only where it fits (:class:`~.render.SlideFitWarning` says them).

Drawing a candidate is a whole fit-ladder run: up to six layouts, seconds for a figure of ops. So the search
is bounded and starts where it is cheap: the candidates are tried in order of the nodes they draw (one change
before two), ones that draw more nodes than the figure that did not fit are not tried, it stops at the first
two that fit and after :data:`TRIES` drawings. A warning that took a minute to say would cost more than the
figure; and it is paid only where the figure does not fit.

>>> from tinygrad_rnn.viz.render import as_keywords
>>> figures = candidates({"level": "op", "backward": "both", "show_shapes": None, "rolled": False}, steps=8)
>>> [as_keywords(figure) for candidate in figures for figure in candidate][:4]
['level="step"', 'level="cell"', 'time_steps=(0, 1, 2)', 'backward=False']
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations

from .render import Suggestion

TRIES = 6  # figures drawn at most to find what fits (each a fit-ladder run)
WANTED = 2  # suggestions enough to choose from
FEWER_STEPS = (0, 1, 2)  # t = 1, 2, 3: the fewest steps a lecture draws to show a recurrence

Candidate = tuple[Suggestion, ...]  # the figures drawn in its place: one, or forward and backward apart


def candidates(options: dict, steps: int) -> list[Candidate]:
    """What could be drawn instead of the figure that ``options`` draw (``steps``: the steps it has), one
    change at a time, then two at a time: a coarser or finer level, the first three steps, forward and
    backward apart, the shapes left out where they were asked for."""
    changes: list[Candidate] = [((("level", level),),) for level in ("step", "cell") if level != options["level"]]
    if steps > len(FEWER_STEPS) and not options["rolled"]:  # (a rolled figure draws one cell for every step)
        changes.append(((("time_steps", FEWER_STEPS),),))
    if options["backward"] == "both":
        changes.append(((("backward", False),), (("backward", True),)))
    if options["show_shapes"] is True:
        changes.append(((("show_shapes", False),),))
    pairs = [_both(one, other) for one, other in combinations(changes, 2) if _names(one) & _names(other) == set()]
    return changes + pairs


def fitting(options: dict, steps: int, fits: Callable[[dict], bool], size: Callable[[dict], int]) -> list[Suggestion]:
    """The candidates that fit, said as draw/save's keyword arguments (see the module's docstring for the
    order and the bounds). ``fits(options)`` draws a figure and measures it;
    ``size(options)``: the nodes it would draw, counted without laying it out. A candidate the library refuses
    (``fits`` raising ValueError: an option that cannot apply to this graph) is not offered."""
    found: list[Suggestion] = []
    tries, nodes = 0, size(options)
    for ones_first in (True, False):
        sized = [([size(_with(options, figure)) for figure in candidate], candidate)
                 for candidate in candidates(options, steps) if (len(_names(candidate)) == 1) == ones_first]
        for sizes, candidate in sorted(sized, key=lambda pair: sum(pair[0])):
            if max(sizes) > nodes:  # (more nodes than the figure that did not fit: not tried)
                continue
            for figure in candidate:
                tries += 1
                try:
                    if not fits(_with(options, figure)):
                        break
                except ValueError:
                    break
            else:
                found += candidate
                if sum(1 for suggestion in found if ("backward", True) not in suggestion) >= WANTED:
                    return found
            if tries >= TRIES:
                return found
    return found


def _with(options: dict, figure: Suggestion) -> dict:
    return {**options, **dict(figure)}


def _names(candidate: Candidate) -> set[str]:
    return {name for figure in candidate for name, _ in figure}


def _both(one: Candidate, other: Candidate) -> Candidate:
    """Two changes at once (each figure of the one that draws two, with the other's change)."""
    two, single = (one, other) if len(one) > 1 else (other, one)
    return tuple(figure + single[0] for figure in two)
