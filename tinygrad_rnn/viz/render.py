"""Rendering DOT text with Graphviz: a graphviz.Digraph for Jupyter, or a file.

The DOT text fixes every position and route (``layout.py``), so Graphviz's ``neato -n2`` only
draws it: no layout search, time linear in the figure's size. ``neato`` comes with ``dot`` in
every Graphviz package.
"""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import warnings
from collections.abc import Callable
from typing import Any

from .dot import scripted_dot, scripts_joined
from .fitting import SLIDE_LABEL_PX, SLIDE_TEXT_PX

INSTALL_DOT = (
    "Graphviz's `dot` program is not installed, so the graph cannot be rendered (to_dot() and "
    "save(..., 'figure.dot') still work). Install it with: sudo apt-get install graphviz (Debian/Ubuntu), "
    "brew install graphviz (macOS) or conda install -c conda-forge graphviz (conda)."
)
INSTALL_PACKAGE = "draw() needs the graphviz Python package: pip install 'tinygrad_rnn[viz]' (or pip install graphviz)."
LARGE_GRAPH = 1500  # nodes above which a slide is unreadable (rendering stays fast)
FORMATS = ("svg", "png", "pdf", "dot")
Suggestion = tuple[tuple[str, Any], ...]  # the keyword arguments that draw one figure: (("level", "cell"),)


class GraphvizNotFoundError(RuntimeError):
    """The ``dot`` program (or the graphviz package) needed for rendering is missing."""


def dot_available() -> bool:
    """True when Graphviz's ``dot`` program is on the PATH (rendering needs it; to_dot does not)."""
    return shutil.which("dot") is not None


def digraph(dot_text: str) -> Any:
    """A graphviz.Digraph holding exactly this DOT: shows inline in Jupyter; ``.render(path,
    format=…)`` saves it. Both need Graphviz's programs, so their absence is reported here,
    clearly, rather than later as graphviz's subprocess error."""
    try:
        import graphviz
    except ImportError:
        raise GraphvizNotFoundError(INSTALL_PACKAGE) from None
    if not dot_available():
        raise GraphvizNotFoundError(INSTALL_DOT)

    class Figure(graphviz.Digraph):
        """Rendered with ``neato -n2``: the positions in the text are kept, not searched for."""

        def pipe(self, *args: Any, **kwargs: Any) -> Any:
            kwargs.setdefault("neato_no_op", 2)
            drawn = super().pipe(*args, **kwargs)
            if (args[:1] or [kwargs.get("format")])[0] == "svg":  # (Jupyter's picture): scripts as one line
                joined = scripts_joined(drawn if isinstance(drawn, str) else drawn.decode("utf-8"))
                return joined if isinstance(drawn, str) else joined.encode("utf-8")
            return drawn

        def render(self, *args: Any, **kwargs: Any) -> Any:
            kwargs.setdefault("neato_no_op", 2)
            return super().render(*args, **kwargs)

    body = scripted_dot(dot_text).strip().splitlines()[1:-1]  # between "digraph … {" and "}"
    return Figure(name="tinygrad_rnn", engine="neato", body=[line + "\n" for line in body])


class RenderTimeout(TimeoutError):
    """Graphviz ran past the time limit. ``suggestions`` holds (option, value) pairs that make the
    figure smaller, so that each caller can word them its own way (keywords, or CLI flags)."""

    def __init__(self, message: str, suggestions: list[tuple[str, Any]]) -> None:
        super().__init__(message)
        self.suggestions = suggestions


def render_file(dot_text: str, path: str | pathlib.Path, node_count: int, timeout: float = 60.0,
                suggestions: list[tuple[str, Any]] | None = None, width: int | None = None) -> pathlib.Path:
    """Write ``path``: DOT text for .dot, else run ``neato -n2`` with a time limit for svg, png or pdf;
    ``width``: a .png this many pixels wide (its height follows the figure's shape)."""
    path = pathlib.Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise ValueError(f"save: cannot tell the format of {path.name!r}; use one of .{', .'.join(FORMATS)}")
    if fmt == "dot":
        path.write_text(dot_text, encoding="utf-8")
        return path
    program = shutil.which("neato")
    if program is None or not dot_available():
        raise GraphvizNotFoundError(INSTALL_DOT)
    warn_if_large(node_count, suggestions)
    scripted = scripted_dot(dot_text)  # W_hh drawn as W with "hh" lowered: an HTML-like label
    has_scripts = "<SUB>" in scripted or "<SUP>" in scripted
    # Graphviz's own PNG and PDF set a script of a label's second line at the wrong height, over the line
    # below: where a label has scripts they are drawn from its SVG, each line joined (scripts_joined), through
    # rsvg-convert; without it the labels are written plain (W_hh), readable, and a warning says what to install
    converted = fmt in ("png", "pdf") and has_scripts and shutil.which("rsvg-convert") is not None
    if fmt == "svg" or converted or not has_scripts:
        dot_text = scripted
    else:
        warnings.warn(f"save: {path.name} written with plain labels (W_hh, not W with hh lowered): Graphviz's own "
                      f"{fmt.upper()} misplaces scripts; install rsvg-convert (apt install librsvg2-bin; brew install "
                      "librsvg) to draw them", PlainLabelsWarning, stacklevel=3)
    target = path.with_name(path.name + ".svg") if converted else path
    try:
        size = ["-Gdpi=96", f"-Gsize={width / 96:.4f},10000!"] if fmt == "png" and width and not converted else []
        result = subprocess.run([program, "-n2", f"-T{'svg' if converted else fmt}", *size, "-o", str(target)],
                                input=dot_text.encode("utf-8"), capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        suggestions = suggestions or []
        hint = ", ".join(f"{name}={value!r}" for name, value in suggestions)
        raise RenderTimeout(f"save: Graphviz took longer than {timeout:g} s on a graph of {node_count} nodes"
                            + (f"; a smaller figure renders faster: {hint}" if hint else ""), suggestions) from None
    if result.returncode != 0:
        raise RuntimeError(f"save: Graphviz failed on {path.name}: {result.stderr.decode(errors='replace').strip()}")
    if fmt == "svg" or converted:  # a scripted label's pieces, placed by Graphviz's estimate of the font, joined
        target.write_text(scripts_joined(target.read_text(encoding="utf-8")), encoding="utf-8")
    if converted:
        scaled = ["--width", str(width)] if fmt == "png" and width else []
        done = subprocess.run(["rsvg-convert", "--format", fmt, *scaled, "--output", str(path), str(target)],
                              capture_output=True, text=True, timeout=timeout)
        target.unlink()
        if done.returncode != 0:
            raise RuntimeError(f"save: rsvg-convert failed on {path.name}: {done.stderr.strip()}")
    return path


class PlainLabelsWarning(UserWarning):
    """A PNG or PDF drawn by Graphviz alone, with its labels' scripts written plain (rsvg-convert absent)."""


class LargeGraphWarning(UserWarning):
    """A figure has more nodes than a slide can show. ``node_count`` and ``suggestions`` ((option,
    value) pairs that draw it smaller) let each caller word it its own way (keywords, or CLI flags)."""

    def __init__(self, node_count: int, suggestions: list[tuple[str, Any]]) -> None:
        hint = " or ".join(f"{name}={value!r}" for name, value in suggestions)
        super().__init__(f"drawing {node_count} nodes: a slide shows far fewer"
                         + (f"; consider {hint}" if hint else ""))
        self.node_count, self.suggestions = node_count, suggestions


def warn_if_large(node_count: int, suggestions: list[tuple[str, Any]] | None = None) -> None:
    """Warn that a figure has more nodes than a slide can show, naming options not already set."""
    if node_count > LARGE_GRAPH:
        warnings.warn(LargeGraphWarning(node_count, suggestions or []), stacklevel=3)


class SlideFitWarning(UserWarning):
    """A figure drawn for a slide (``slide=True``, the default) that does not fit one even after the fit ladder:
    fitted into 1,920 × 1,080, its smallest text is under 24 px, its node labels under 28 px, or its shape outside
    1.2–2.4 : 1. ``text_px``, ``label_px`` and ``aspect`` are what was measured there; ``suggestions`` the figures
    that do fit, each drawn and measured: the (option, value) pairs of draw/save's keyword arguments that draw it,
    ``save(loss, path=…, **dict(suggestion))``. Forward and backward drawn apart are two of them in a row,
    ``(("backward", False),)`` then ``(("backward", True),)``. Each caller words them its own way (keywords, or
    CLI flags): :meth:`advice`. ``keyed``: how many arrows are numbered, their names written in a key under the figure
    (no spot beside their lines was clear: :mod:`.wire_markers`); the key takes room, and the message says it.

    >>> print(SlideFitWarning(9.8, 10.8, 2.4, [(("level", "cell"),), (("backward", False),), (("backward", True),)]))
    ... # doctest: +NORMALIZE_WHITESPACE
    this figure's text is 9.8 px on a 1,920 × 1,080 slide (a slide wants 24), its node labels 10.8 px (wants 28),
    its shape 2.40 : 1: it fits with level="cell", or as two figures, backward=False and backward=True; or draw it
    with slide=False for a notebook (free size, every step)
    """

    def __init__(self, text_px: float, label_px: float, aspect: float, suggestions: list[Suggestion],
                 keyed: int = 0) -> None:
        self.text_px, self.label_px, self.aspect, self.suggestions = text_px, label_px, aspect, suggestions
        self.keyed = keyed
        super().__init__(f"{self.measured()}: {self.advice(as_keywords, 'slide=False')}")

    def measured(self) -> str:
        """What the figure shows on a slide, against what a slide wants."""
        return (f"this figure's text is {self.text_px:g} px on a 1,920 × 1,080 slide "
                f"(a slide wants {SLIDE_TEXT_PX:g}), its node labels {self.label_px:g} px (wants {SLIDE_LABEL_PX:g}), "
                f"its shape {self.aspect:.2f} : 1" + (f"; {self.keyed} arrows numbered, their names in a key under it "
                                                      "(no spot beside their lines clear of the others)"
                                                      if self.keyed else ""))

    def advice(self, words: Callable[[Suggestion], str], free_size: str) -> str:
        """The figures that fit, each said by ``words``, then ``free_size``: the option that draws it unfitted."""
        choices = [f"as two figures, {words(group[0])} and {words(group[1])}" if len(group) == 2
                   else f"with {words(group[0])}" for group in self.grouped()]
        unfitted = f"draw it with {free_size} for a notebook (free size, every step)"
        return f"it fits {', or '.join(choices)}; or {unfitted}" if choices else \
            f"none of the smaller figures tried fits; {unfitted}"

    def grouped(self) -> list[tuple[Suggestion, ...]]:
        """The suggestions, the forward and backward figures of one drawing apart as one pair."""
        groups: list[tuple[Suggestion, ...]] = []
        for suggestion in self.suggestions:
            if groups and len(groups[-1]) == 1 and (("backward", True),) == _minus(suggestion, groups[-1][0]) and \
                    ("backward", False) in groups[-1][0]:
                groups[-1] = (groups[-1][0], suggestion)
            else:
                groups.append((suggestion,))
        return groups


def _minus(suggestion: Suggestion, other: Suggestion) -> Suggestion:
    return tuple(pair for pair in suggestion if pair not in other)


def as_keywords(suggestion: Suggestion) -> str:
    """A suggestion as Python keyword arguments: ``level="cell", time_steps=(0, 1, 2)``."""
    return ", ".join(f"{name}={_python(value)}" for name, value in suggestion)


def _python(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)
