"""Rendering DOT text with Graphviz: a graphviz.Digraph for Jupyter, or a file via the ``dot`` program."""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import warnings
from typing import Any

INSTALL_DOT = (
    "Graphviz's `dot` program is not installed, so the graph cannot be rendered (to_dot() and "
    "save(..., 'figure.dot') still work). Install it with: sudo apt-get install graphviz (Debian/Ubuntu), "
    "brew install graphviz (macOS) or conda install -c conda-forge graphviz (conda)."
)
INSTALL_PACKAGE = "draw() needs the graphviz Python package: pip install 'tinygrad_rnn[viz]' (or pip install graphviz)."
LARGE_GRAPH = 1500  # nodes above which `dot` gets slow and a slide unreadable
FORMATS = ("svg", "png", "pdf", "dot")


class GraphvizNotFoundError(RuntimeError):
    """The ``dot`` program (or the graphviz package) needed for rendering is missing."""


def dot_available() -> bool:
    """True when Graphviz's ``dot`` program is on the PATH (rendering needs it; to_dot does not)."""
    return shutil.which("dot") is not None


def digraph(dot_text: str) -> Any:
    """A graphviz.Digraph holding exactly this DOT: shows inline in Jupyter; ``.render(path,
    format=…)`` saves it. Both need the ``dot`` program, so its absence is reported here, clearly,
    rather than later as graphviz's subprocess error."""
    try:
        import graphviz
    except ImportError:
        raise GraphvizNotFoundError(INSTALL_PACKAGE) from None
    if not dot_available():
        raise GraphvizNotFoundError(INSTALL_DOT)
    body = dot_text.strip().splitlines()[1:-1]  # between "digraph … {" and "}"
    return graphviz.Digraph(name="tinygrad_rnn", body=[line + "\n" for line in body])


def render_file(dot_text: str, path: str | pathlib.Path, node_count: int, timeout: float = 60.0) -> pathlib.Path:
    """Write ``path``: DOT text for .dot, else run ``dot`` with a time limit for svg, png or pdf."""
    path = pathlib.Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise ValueError(f"save: cannot tell the format of {path.name!r}; use one of .{', .'.join(FORMATS)}")
    if fmt == "dot":
        path.write_text(dot_text, encoding="utf-8")
        return path
    program = shutil.which("dot")
    if program is None:
        raise GraphvizNotFoundError(INSTALL_DOT)
    warn_if_large(node_count)
    try:
        result = subprocess.run([program, f"-T{fmt}", "-o", str(path)], input=dot_text.encode("utf-8"),
                                capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise TimeoutError(f"save: Graphviz took longer than {timeout:g} s on a graph of {node_count} nodes; draw it "
                           "with level='cell' or level='step', or a few steps with time_steps=slice(0, 5)") from None
    if result.returncode != 0:
        raise RuntimeError(f"save: Graphviz failed on {path.name}: {result.stderr.decode(errors='replace').strip()}")
    return path


def warn_if_large(node_count: int) -> None:
    if node_count > LARGE_GRAPH:
        warnings.warn(f"drawing {node_count} nodes: rendering may be slow and unreadable; consider level='cell', "
                      "level='step' or time_steps=slice(0, 5)", stacklevel=3)
