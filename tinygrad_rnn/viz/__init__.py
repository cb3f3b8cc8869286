"""Drawing computation graphs with Graphviz: figures a lecturer can put on a slide.

>>> import tinygrad_rnn as tr
>>> rnn = tr.nn.RNN(2, 3)
>>> output, _ = rnn(tr.randn(3, 1, 2))
>>> text = to_dot(output.sum(), level="cell")
>>> text.count("RNN cell")               # one cell node per time step, in one row
3

``to_dot`` needs neither the graphviz package nor Graphviz's programs; ``draw`` returns a
graphviz.Digraph (shown inline in Jupyter); ``save`` writes .svg, .png, .pdf or .dot files.

The layout is the textbook's, computed here in linear time (``layout.py``): time runs left to
right, one column per step; layers are rows, layer 0 at the bottom; a reverse direction's row and
every gradient graph run right to left. Graphviz only draws (``neato -n2``), so a 1,000-step
unroll renders in seconds.

Options: ``level`` ("op": every primitive; "cell": one node per cell application; "step": one per
time step), ``params`` ("label", the default: each node names the parameters it uses; "once": each
shared parameter drawn once, with one bus line into every step; "key": each row's named once, in a key under the
figure; "hide"), ``show_shapes``,
``show_values`` (small tensors: values; larger: a summary; only where the graph still has them:
leaves, the tensors drawn, arrays an op saved for backward), ``show_grads`` (colour each node by
‖∂J/∂·‖ on a log colour scale, J the first tensor, with a legend; ``grad_range=(low, high)`` fixes
the scale so that several figures compare), ``backward`` (at cell and step level the BPTT figure:
∂J/∂h_t right to left, one Σ per row's shared weights; at op level the recorded gradient graph;
``"both"``: forward and BPTT in one figure — on a slide each gradient's arrow beside the forward arrow it
runs back along, on the forward cells, as a lecture draws BPTT; free size, the BPTT figure's rows under the
forward ones, in the same columns),
``rolled`` (one cell per layer and direction, its states as loops), ``time_steps`` (a slice of the
steps, e.g. ``slice(0, 3)`` for t=1…3), ``max_nodes`` (refuse larger graphs), ``title``,
``rankdir`` ("LR", or "RL" to mirror), ``notation`` (the lecture's names: a preset — "pytorch", the
default, "cs224n", "cmu", "usc", "elman" — or a dict such as ``{"W_hh": "V"}``; see ``notation.py``),
``tokens`` (the words of x_1 … x_T, written under each x_t and, as its target, by each J_t: the whole
sequence's, so that step t gets word t whatever steps are left out),
``targets`` (with ``tokens``: what each J_t predicts where that is not the next word, a tagger's tags; one per step),
``slide`` (True, the default: shaped for a 16:9 slide — tighter spacing, long node lines broken,
notes beside a tall drawing, one cell at op level turned landscape, a landscape canvas, and past 8
steps the middle left out, t = 1, 2, 3, …, T−1, T; False: the free-size drawing, every step, for
notebooks and long unrolls).

**The slide rule** (``slide=True``): a figure fitted into a 1,920 × 1,080 slide should show its
smallest text at ≥ 24 px and its node labels at ≥ 28 px. Where it does not, a *fit ladder*
(``ladder.py``) gives up, in this order, what a lecturer would rather lose: first the tensors' shapes
(``show_shapes=None``, the default: shown where the slide still fits them), then the weights' names in every
cell (``params=None``, the default: each row's named once in a key, ``params="key"``, where that enlarges the
figure), then steps from the middle of the sequence (t = 1, 2, 3, …, T−1, T down to t = 1, …, T; only where the
slide then fits, never where ``time_steps`` chooses the steps or ``tokens`` words them — past 8 steps a slide still
draws t = 1, 2, 3, …, T−1, T, each step with its own word —, and up to 8 cells or steps of a forward
figure whole unless it still misses the slide with more than 5 drawn: a figure of ops or of the gradient may hold
fewer). Each rung taken is said under the figure. ``show_shapes=True`` keeps the shapes, ``params="label"`` the
names in every cell and ``time_steps=slice(None)`` every step, fitting or not. A forward figure of cells or steps
coloured by ``show_grads`` leaves no step out (its colours are its content, the fade of the vanishing gradient):
where it does not fit, each step is drawn as its t and its colour alone, and under the figure is the ratio
‖∂J/∂h_1‖ / ‖∂J/∂h_T‖ it shows (``gradient_strip.py``).
A figure that still does not fit makes ``draw`` and ``save`` warn (:class:`SlideFitWarning`): its text and
label sizes on the slide, and the options that draw one that does (``fit_advice.py``), each measured.

Each layer, direction and module names its own tensors where a figure has several (W_hh⁽¹⁾ and
W_hh⁽²⁾, layers counted from 1; h₃⁽→⁾ and h₃⁽←⁾; W_hh⁽ᵉ⁾ and W_hh⁽ᵈ⁾); a tensor used in several
places carries one name.

A graph's structure stays drawable after ``backward()`` has freed its arrays; ``show_grads`` and
an op-level ``backward`` need those arrays and say so.
"""

from __future__ import annotations

import functools
import pathlib
import sys
import time
import warnings
from typing import Any

from ..tensor import Tensor
from .dot import picture_to_dot
from .fit_advice import fitting, ignored, keeps_the_whole
from .fitting import SLIDE_SCALE
from .geometry import Layout
from .gradient_strip import as_strip, colours_of_one_chain, ratio_of_the_ends
from .graph import build_picture
from .kept_steps import chains_in_time, steps_within_chains
from .ladder import Rung, fitted_rung, most_rungs, step_counts
from .layout import labelled_layout
from .lecture import LecturePage, connectivity, lecture
from .lecture_deck import deck
from .notation import PRESETS, Notation
from .render import (
    GraphvizNotFoundError,
    LargeGraphWarning,
    RenderTimeout,
    SlideFitWarning,
    digraph,
    dot_available,
    render_file,
    warn_if_large,
)
from .svg import picture_to_svg
from .wire_markers import keyed_names

SLIDE_WIDTH = 1920  # pixels: a .png as wide as a full-HD slide

__all__ = ["to_dot", "draw", "save", "lecture", "connectivity", "LecturePage", "dot_available", "smaller_figure",
           "Notation", "PRESETS", "deck",
           "SVGFigure", "graphviz_renders",
           "shared_grad_range", "shared_time_steps", "GraphvizNotFoundError", "LargeGraphWarning", "RenderTimeout",
           "SlideFitWarning"]


def _each_warning_once(build):
    """``build`` with each warning it gives said once: the fit ladder builds a figure several times (each rung, and
    each figure the advice on an unfit one measures), and a warning on what the figure cannot tell (the tokens'
    targets) is one warning, not one a build. Each is said again where it was first said (the caller's line, for
    one that points there), so that the caller's filters act on it as on the warning itself."""
    @functools.wraps(build)
    def once(*args: Any, **options: Any) -> Any:
        caught: list = []
        ignoring = ignored(SlideFitWarning)  # (read before "always" hides the caller's filters)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                if ignoring:  # nobody reads it: the fit advice's search is not run (fit_advice.ignored)
                    warnings.simplefilter("ignore", SlideFitWarning)
                return build(*args, **options)
        finally:  # (the caller's filters restored: each warning meets them once)
            caller = sys._getframe(1)
            for said in {(w.category, str(w.message)): w for w in caught}.values():
                if said.filename == __file__:  # one pointing at the caller's line, one frame above this one
                    where, line, scope = caller.f_code.co_filename, caller.f_lineno, caller.f_globals
                else:
                    where, line = said.filename, said.lineno
                    scope = next((vars(loaded) for loaded in list(sys.modules.values())
                                  if getattr(loaded, "__file__", None) == where), {})
                warnings.warn_explicit(said.message, said.category, where, line, scope.get("__name__"),
                                       scope.setdefault("__warningregistry__", {}))
    return once


@_each_warning_once
def to_dot(*tensors: Tensor, level: str = "op", rankdir: str = "LR", show_shapes: bool | None = None,
           show_values: bool = False, show_grads: bool = False, backward: bool = False,
           time_steps: slice | None = None, max_nodes: int | None = None, title: str = "",
           grad_range: tuple[float, float] | None = None, params: str | None = None, rolled: bool = False,
           notation: str | dict | Notation | None = None, tokens: list[str] | None = None, slide: bool = True,
           targets: list[str] | None = None) -> str:
    """DOT source for the graph that computed ``tensors`` (see the module docstring for options). On a
    slide (the default) the figure fits 1,920 × 1,080 with text ≥ 24 px where it can: the shapes left out
    first (unless ``show_shapes=True``), then middle steps (unless ``time_steps`` chooses), each said in a note.

    >>> import tinygrad_rnn as tr
    >>> h = tr.nn.RNN(2, 3)(tr.randn(4, 1, 2))[0]
    >>> to_dot(h.sum(), level="cell").count("RNN cell")
    4
    """
    picture, layout = _picture(tensors, level, rankdir, show_shapes, show_values, show_grads, backward, time_steps,
                               max_nodes, title, grad_range, params, rolled, notation, tokens, slide, targets)
    return picture_to_dot(picture, layout)


@_each_warning_once
def draw(*tensors: Tensor, **options: Any) -> Any:
    """The figure, shown inline in Jupyter: a graphviz.Digraph where Graphviz is installed (saves with
    ``.render(path, format=…)``), else an :class:`SVGFigure` that the library drew itself. Fitted to a
    slide as :func:`to_dot` says: shapes, then middle steps, left out only where the slide needs it.

    >>> import tinygrad_rnn as tr
    >>> figure = draw(tr.nn.GRU(2, 3)(tr.randn(3, 2))[0].sum(), level="cell")
    >>> "<svg" in (figure._repr_image_svg_xml() if hasattr(figure, "_repr_image_svg_xml") else figure._repr_svg_())
    True
    """
    options, started = _defaults(options), time.process_time()
    picture, layout, rung = _drawn(tensors, **options)
    warn_if_large(len(picture.nodes), smaller_figure(options))
    _warn_if_unfit(tensors, options, rung, time.process_time() - started)
    if not graphviz_renders():
        return SVGFigure(_own_svg(picture, layout))
    return digraph(picture_to_dot(picture, layout))


@_each_warning_once
def save(*tensors: Tensor, path: str | pathlib.Path, timeout: float = 60.0, width: int | None = None,
         **options: Any) -> pathlib.Path:
    """Render to ``path``; the format follows its extension (.svg, .png, .pdf, or .dot for DOT text).
    Graphviz draws .svg, .png and .pdf; without it an .svg is written by the library itself, with the
    same positions (PNG and PDF need Graphviz, and say so). A .png is ``width`` pixels wide: by
    default 1,920 (a full-HD slide), or Graphviz's own size with ``slide=False``. The figure is fitted to
    a slide as :func:`to_dot` says (text ≥ 24 px at 1,920 × 1,080): the shapes left out first where it does
    not fit (``show_shapes=True`` keeps them), then middle steps (``time_steps`` keeps the ones chosen).

    >>> import tinygrad_rnn as tr
    >>> output, _ = tr.nn.LSTM(2, 3)(tr.randn(3, 1, 2))
    >>> save(output.sum(), path="lstm.svg", level="cell")  # doctest: +SKIP
    PosixPath('lstm.svg')
    """
    options, started = _defaults(options), time.process_time()
    picture, layout, rung = _drawn(tensors, **options)
    _warn_if_unfit(tensors, options, rung, time.process_time() - started)
    path = pathlib.Path(path)
    if path.suffix.lower() == ".svg" and not dot_available():
        warn_if_large(len(picture.nodes), smaller_figure(options))
        path.write_text(_own_svg(picture, layout), encoding="utf-8")
        return path
    if width is not None and width <= 0:
        raise ValueError(f"save: width is the PNG's width in pixels, a positive number, got {width}")
    width = width or (SLIDE_WIDTH if picture.slide else None)
    return render_file(picture_to_dot(picture, layout), path, len(picture.nodes), timeout,
                       smaller_figure(options), width)


class SVGFigure:
    """A figure drawn by the library itself (no Graphviz needed): shows inline in Jupyter, ``.save(path)``
    writes it, ``str()`` is the SVG text.

    >>> figure = SVGFigure('<svg xmlns="http://www.w3.org/2000/svg"></svg>')
    >>> figure._repr_svg_()[:4]
    '<svg'
    """

    def __init__(self, svg: str) -> None:
        self.svg = svg

    def _repr_svg_(self) -> str:
        return self.svg

    def save(self, path: str | pathlib.Path) -> pathlib.Path:
        path = pathlib.Path(path)
        path.write_text(self.svg, encoding="utf-8")
        return path

    def __str__(self) -> str:
        return self.svg

    def __repr__(self) -> str:
        return f"<SVGFigure, {len(self.svg):,} characters of SVG>"


def graphviz_renders() -> bool:
    """True where both the graphviz package and Graphviz's programs are installed (``draw`` then uses them)."""
    import importlib.util

    return dot_available() and importlib.util.find_spec("graphviz") is not None


def _own_svg(picture, layout: tuple[list[str], Layout] | None) -> str:
    labels, placed = layout or labelled_layout(picture)
    return picture_to_svg(picture, placed, labels, "figure", figure=True)


def shared_grad_range(*losses: Tensor, **options: Any) -> tuple[float, float]:
    """The smallest and largest gradient norm that ``show_grads`` would draw in the figure of any of
    ``losses``: pass it as ``grad_range`` to each, and their colours compare (RNN vs LSTM vs GRU).

    >>> import tinygrad_rnn as tr
    >>> low, high = shared_grad_range(*(tr.nn.GRU(2, 3)(tr.randn(4, 1, 2))[0].sum() for _ in range(2)), level="cell")
    >>> 0 < low <= high
    True
    """
    options = {**_defaults(options), "show_grads": True, "slide": False}  # every step's norm, none left out
    norms = [node.gradient_norm for loss in losses for node in _picture((loss,), **options)[0].nodes
             if node.gradient_norm]
    return (min(norms), max(norms)) if norms else (1e-6, 1.0)


def shared_time_steps(*losses: Tensor, **options: Any) -> tuple[int, ...] | None:
    """The steps that slide-shaped figures of every one of ``losses`` draw alike — the fewest that any of
    them needs — as ``time_steps``: pass it to each, and figures that are compared show the same steps
    (None: every step).

    >>> import tinygrad_rnn as tr
    >>> shared_time_steps(*(tr.nn.GRU(2, 3)(tr.randn(12, 1, 2))[0][-1].sum() for _ in range(2)), level="cell")
    (0, 1, 2, 10, 11)
    """
    options = _defaults(options)
    found = []
    for loss in losses:
        picture = _picture((loss,), **options)[0]
        found.append((*step_counts(picture)[::-1], chains_in_time(picture.nodes, picture.edges)))
    shown, count, chains = min(found)
    return None if shown == count else steps_within_chains(chains, shown)  # (an encoder's and a decoder's, each)


def smaller_figure(options: dict) -> list[tuple[str, Any]]:
    """Options, not already set, that draw the same graph smaller: (name, value) pairs.

    >>> smaller_figure({"level": "cell", "time_steps": None})
    [('level', 'step'), ('time_steps', slice(0, 5, None))]
    """
    suggestions: list[tuple[str, Any]] = []
    coarser = {"op": "cell", "cell": "step"}.get(options.get("level", "op"))
    if coarser:
        suggestions.append(("level", coarser))
    if options.get("time_steps") is None:
        suggestions.append(("time_steps", slice(0, 5)))
    return suggestions


def _defaults(options: dict) -> dict:
    allowed = {"level": "op", "rankdir": "LR", "show_shapes": None, "show_values": False, "show_grads": False,
               "backward": False, "time_steps": None, "max_nodes": None, "title": "", "grad_range": None,
               "params": None, "rolled": False, "notation": None, "tokens": None, "slide": True, "targets": None}
    unknown = set(options) - set(allowed)
    if unknown:
        raise TypeError(f"viz: unknown option(s) {sorted(unknown)}; the options are {sorted(allowed)}")
    return {**allowed, **options}


def _picture(tensors, *args, **options):
    """The figure and its layout (None where it is laid out as it is drawn), as to_dot, draw and save draw it."""
    return _drawn(tensors, *args, **options)[:2]


def _drawn(tensors, level, rankdir, show_shapes, show_values, show_grads, backward, time_steps, max_nodes, title,
           grad_range, params, rolled=False, notation=None, tokens=None, slide=True, targets=None, fit=True,
           unfitted=None):
    """(picture, layout, the ladder's chosen rung with what it measured); ``fit=False``: the picture alone, as
    the ladder's first rung draws it, not laid out (to count its nodes); ``unfitted``: that picture, where it
    was built so already (the ladder starts from it)."""
    if rankdir not in ("LR", "RL"):
        raise ValueError(f"rankdir must be 'LR' (time runs left to right, as on a slide) or 'RL', got {rankdir!r}")
    def built(steps, shapes, keyed=False, folded=False, hidden=False):  # keyed: each row's weights named once, in a
        # key; folded: each step's dropout on its arrow (the ladder's rungs); hidden: no weight named (params="hide")
        picture = build_picture(tuple(tensors), level=level, backward=backward, show_shapes=shapes,
                                show_values=show_values, show_grads=show_grads, time_steps=steps,
                                max_nodes=max_nodes, grad_range=grad_range,
                                params="key" if keyed else "hide" if hidden else params,
                                rolled=rolled, notation=notation, tokens=tokens, slide=slide,
                                targets=targets, dropouts_on_arrows=folded)
        picture.rankdir, picture.title = rankdir, title
        ratio = ratio_of_the_ends(picture) if slide else ""  # the fade the colours show, as one number
        if ratio and ratio not in picture.notes:
            picture.notes.append(ratio)
        return picture

    # cells coloured by their gradient: the colours are the content, so no step is left out (gradient_strip.py)
    colours = slide and show_grads and level != "op" and not backward and not rolled
    if colours and time_steps is None:
        time_steps = slice(None)  # (a slide's build elides a long sequence's middle: here every step is drawn)
    if not slide or not fit:  # (laid out where it is drawn: some callers read only the picture)
        return built(time_steps, show_shapes is not False), None, None
    rung = fitted_rung(built, show_shapes, time_steps, steps_chosen=_steps_chosen(locals()), dense=_dense(locals()),
                       unfitted=unfitted, gradient=bool(backward), ops=level == "op",
                       weights_keyable=params is None and level != "op")  # (a cell's or step's list, not an op's pair)
    if colours and rung.scale < SLIDE_SCALE and colours_of_one_chain(rung.picture):
        # each step drawn with less in it, where that enlarges it: no weight's name, and so no note on the weights
        strip = Rung(as_strip(built(time_steps, False, hidden=True)))
        if strip.scale > rung.scale and strip.cleaner_than(rung):
            rung = strip
    return rung.picture, (rung.labels, rung.placed), rung


def _steps_chosen(options: dict) -> bool:
    """Whether the steps are chosen, so that the ladder leaves none out: by time_steps; in a rolled figure, one
    cell for all; by tokens, a word for each."""
    return options["time_steps"] is not None or options["rolled"] or bool(options["tokens"])


def _dense(options: dict) -> bool:
    """A figure of ops, or of the gradient: one that may hold fewer than the 8 steps a slide draws whole."""
    return options["level"] == "op" or bool(options["backward"])


def _warn_if_unfit(tensors: tuple[Tensor, ...], options: dict, rung: Rung | None, seconds: float) -> None:
    """A slide's figure that does not fit one even after the fit ladder says so, as a SlideFitWarning, with
    the figures that would fit, each drawn and measured (``fit_advice.py``: a bounded search, and only here);
    ``seconds``: the processor time the figure took, of which the search spends a share. A warning the caller's
    filters ignore is not searched for (``fit_advice.ignored``): nobody would read its suggestions."""
    if rung is None or rung.slide_fit.fits or ignored(SlideFitWarning):
        return
    found = rung.slide_fit
    steps = step_counts(rung.picture)[0]
    # each candidate's picture as the ladder's first rung draws it, by what it changes: built once, to count its
    # nodes, and handed to the ladder where the candidate is tried (taken: the ladder lays it out)
    unfitted: dict[frozenset, Any] = {}

    def change(changed: dict) -> frozenset:
        return frozenset((name, value) for name, value in changed.items() if value is not options[name])

    def fits(changed: dict) -> bool:
        return _drawn(tensors, **changed, unfitted=unfitted.pop(change(changed), None))[2].slide_fit.fits

    def nodes(changed: dict) -> int:
        if change(changed) not in unfitted:
            unfitted[change(changed)] = _drawn(tensors, **changed, fit=False)[0]
        return len(unfitted[change(changed)].nodes)

    def rungs(changed: dict) -> int:
        return most_rungs(steps, _steps_chosen(changed), _dense(changed), bool(changed["backward"]),
                          changed["level"] == "op")

    def whole(changed: dict) -> bool:
        nodes(options)
        nodes(changed)
        return keeps_the_whole(unfitted[frozenset()], unfitted[change(changed)])

    suggestions = fitting(options, steps, fits, nodes, rungs, seconds, whole=whole)
    warnings.warn(SlideFitWarning(found.text_px, found.label_px, found.aspect, suggestions,
                                  len(keyed_names(rung.placed))), stacklevel=3)
