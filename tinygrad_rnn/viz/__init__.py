"""Drawing computation graphs with Graphviz: figures a lecturer can put on a slide.

>>> import tinygrad_rnn as tr
>>> rnn = tr.nn.RNN(2, 3)
>>> output, _ = rnn(tr.randn(3, 1, 2))
>>> text = to_dot(output.sum(), level="cell")
>>> text.count('label="t=')              # one cluster per time step
3

``to_dot`` needs neither the graphviz package nor the ``dot`` program; ``draw`` returns a
graphviz.Digraph (shown inline in Jupyter); ``save`` writes .svg, .png, .pdf or .dot files.

Options: ``level`` ("op": every primitive; "cell": one node per cell application; "step": one per
time step), ``rankdir`` ("LR" or "TB"), ``show_shapes``, ``show_values`` (small tensors: values;
larger: a summary; only where the graph still has them: leaves, the tensors drawn, arrays an op
saved for backward), ``show_grads`` (colour each node by ‖∂J/∂·‖ on a log colour scale, J the
first tensor, with a legend; ``grad_range=(low, high)`` fixes the scale so that several figures
compare), ``backward`` (draw the recorded gradient graph: a shared weight's
gradient is one Σ node with one input per time step), ``time_steps`` (a slice of the steps,
e.g. ``slice(0, 3)`` for t=1…3), ``max_nodes`` (refuse larger graphs), ``title``.
"""

from __future__ import annotations

import pathlib
from typing import Any

from ..tensor import Tensor
from .dot import picture_to_dot
from .graph import build_picture
from .render import GraphvizNotFoundError, digraph, dot_available, render_file, warn_if_large

__all__ = ["to_dot", "draw", "save", "dot_available", "GraphvizNotFoundError"]


def to_dot(*tensors: Tensor, level: str = "op", rankdir: str = "LR", show_shapes: bool = True,
           show_values: bool = False, show_grads: bool = False, backward: bool = False,
           time_steps: slice | None = None, max_nodes: int | None = None, title: str = "",
           grad_range: tuple[float, float] | None = None) -> str:
    """DOT source for the graph that computed ``tensors`` (see the module docstring for options)."""
    return picture_to_dot(_picture(tensors, level, rankdir, show_shapes, show_values, show_grads, backward,
                                   time_steps, max_nodes, title, grad_range))


def draw(*tensors: Tensor, **options: Any) -> Any:
    """A graphviz.Digraph of the graph: displays inline in Jupyter, saves with ``.render(path, format=…)``."""
    picture = _picture(tensors, **_defaults(options))
    warn_if_large(len(picture.nodes))
    return digraph(picture_to_dot(picture))


def save(*tensors: Tensor, path: str | pathlib.Path, timeout: float = 60.0, **options: Any) -> pathlib.Path:
    """Render to ``path``; the format follows its extension (.svg, .png, .pdf, or .dot for DOT text)."""
    picture = _picture(tensors, **_defaults(options))
    return render_file(picture_to_dot(picture), path, len(picture.nodes), timeout)


def _defaults(options: dict) -> dict:
    allowed = {"level": "op", "rankdir": "LR", "show_shapes": True, "show_values": False, "show_grads": False,
               "backward": False, "time_steps": None, "max_nodes": None, "title": "", "grad_range": None}
    unknown = set(options) - set(allowed)
    if unknown:
        raise TypeError(f"viz: unknown option(s) {sorted(unknown)}; the options are {sorted(allowed)}")
    return {**allowed, **options}


def _picture(tensors, level, rankdir, show_shapes, show_values, show_grads, backward, time_steps, max_nodes, title,
             grad_range):
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"rankdir must be 'LR' or 'TB' (or 'RL', 'BT'), got {rankdir!r}")
    picture = build_picture(tuple(tensors), level=level, backward=backward, show_shapes=show_shapes,
                            show_values=show_values, show_grads=show_grads, time_steps=time_steps,
                            max_nodes=max_nodes, grad_range=grad_range)
    picture.rankdir, picture.title = rankdir, title
    return picture
