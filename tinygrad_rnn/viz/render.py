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
from typing import Any

from .dot import scripted_dot, scripts_joined

INSTALL_DOT = (
    "Graphviz's `dot` program is not installed, so the graph cannot be rendered (to_dot() and "
    "save(..., 'figure.dot') still work). Install it with: sudo apt-get install graphviz (Debian/Ubuntu), "
    "brew install graphviz (macOS) or conda install -c conda-forge graphviz (conda)."
)
INSTALL_PACKAGE = "draw() needs the graphviz Python package: pip install 'tinygrad_rnn[viz]' (or pip install graphviz)."
LARGE_GRAPH = 1500  # nodes above which a slide is unreadable (rendering stays fast)
FORMATS = ("svg", "png", "pdf", "dot")


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
