"""What a node's label says beside its op: its shape, its values, the norm of its gradient.

A shape is a label's last line (none for a scalar); ``shapes_on_all_or_none`` keeps one rule for a whole
figure. Values are shown where the graph still holds them; gradient norms (``show_grads``) are computed
from the first output, a scalar loss. ``walk.py`` writes the shape lines as it makes the nodes; ``graph.py``
adds values and norms and applies the one rule; ``lecture_panel.py`` reads values the same way.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy

from ..engine import grad
from ..errors import GraphError
from ..function import Function
from ..function import Node as GraphNode
from ..inplace import written_since
from ..tensor import Tensor
from .picture import Node


def attach_gradient_norms(roots, nodes, outputs_of) -> None:
    """‖∂J/∂(what the node computes)‖ for every node, J the first output (a scalar)."""
    loss = roots[0]
    if loss.numel() != 1 or not loss.requires_grad:
        raise ValueError("viz: show_grads needs the first tensor to be a scalar loss with a graph")
    positions = [p for p, tensors in outputs_of.items() for t in tensors if _requires_grad(t)]
    tensors = [t for p, ts in outputs_of.items() for t in ts if _requires_grad(t)]
    try:
        gradients = grad(loss, tensors, retain_graph=True, allow_unused=True)
    except GraphError as error:  # (a weight changed in place since the loss was computed: the optimizer's step)
        advice = " Draw the figure before opt.step()." if "changed in place" in str(error) else ""
        raise GraphError(f"viz: show_grads recomputes the backward pass to colour the nodes, and it fails: {error}"
                         f"{advice}") from error
    squares: dict[int, float] = {}
    for position, gradient in zip(positions, gradients):
        value = 0.0 if gradient is None else float((gradient.numpy().astype(numpy.float64) ** 2).sum())
        squares[position] = squares.get(position, 0.0) + value
    for position, square in squares.items():
        nodes[position].gradient_norm = square**0.5


def coloured_norms(nodes: list[Node]) -> list[float | None]:
    """The norm each node is coloured by (None: left uncoloured). A figure of cells colours its cells alone (the
    steps' groups, :func:`gradient_legend`): the vanishing lesson is the fade along the row of cells. A head or a
    loss outside the steps coloured on the same scale read as one more ‖∂J/∂h_t‖ — the loss's ∂J/∂J = 1 as the
    largest of all — and stretched the scale past the cells' own range (a GRU's five cells, 2·10⁻² … 0.23, drawn on
    2·10⁻² … 1: the last cell mid-green, the loss yellow). Every node keeps its norm (the page's panel says it).

    >>> cell, loss = Node(0, "group", "RNN cell", step=1, gradient_norm=0.1), Node(1, "op", "mse", gradient_norm=1.0)
    >>> coloured_norms([cell, loss]), coloured_norms([loss])
    ([0.1, None], [1.0])
    """
    cells = any(node.kind == "group" for node in nodes)
    return [node.gradient_norm if not cells or node.kind == "group" and node.step is not None else None
            for node in nodes]


def gradient_legend(nodes: list[Node]) -> str:
    """The title of ``show_grads``' colour bar: what the colours are. A figure of cells colours each by ‖∂J/∂h_t‖
    of the h_t it passes on (``levels.merge_groups``) — not the weights' ``.grad``, which is what clipping
    (``clip_grad_norm_``) changes, and which a class after clipping would otherwise read them as; a figure of
    ops colours each by the norm of the gradient of its output.

    >>> gradient_legend([Node(0, "group", "RNN cell")])
    "gradient norm ‖∂J/∂h_t‖ of each cell's h_t, not the weights' .grad (log scale)"
    >>> gradient_legend([Node(0, "op", "tanh")])
    "gradient norm ‖∂J/∂·‖ of each node's output (log scale)"
    """
    if any(node.kind == "group" for node in nodes):
        return "gradient norm ‖∂J/∂h_t‖ of each cell's h_t, not the weights' .grad (log scale)"
    return "gradient norm ‖∂J/∂·‖ of each node's output (log scale)"


def _requires_grad(x: Any) -> bool:
    return isinstance(x, GraphNode) or x.requires_grad


def values_text(tensors: list[Any], kept_values: dict[int, Any]) -> str:
    """The values of what a node computed, where they are still held: by a tensor given to draw,
    a leaf, or an array an op saved for its backward. The graph keeps no other values (that is
    what keeps its memory small), so an op whose result no backward reads shows none."""
    values = next((v for v in (values_of(t, kept_values) for t in tensors) if v is not None), None)
    if values is None:
        return ""
    if values.size <= 6:
        return "\n" + numpy.array2string(values, precision=3, separator=", ", suppress_small=True).replace("\n", "")
    return f"\nmean {values.mean():.3g}, std {values.std():.3g}\nmin {values.min():.3g}, max {values.max():.3g}"


def values_of(x: Any, kept_values: dict[int, Any]) -> numpy.ndarray | None:
    if isinstance(x, Tensor):
        return x.numpy()
    saved = x.grad_fn.saved_output
    if saved is not None:
        return Tensor._make(saved[x.output_index] if x.grad_fn.multiple_outputs else saved).numpy()
    return None if id(x) not in kept_values else Tensor._make(kept_values[id(x)]).numpy()


UPDATED = "after {}"  # a leaf's line under its values, where they are no longer those the forward read
UPDATED_LINE = re.compile(r"\nafter ([\w.]+\(\))$", re.MULTILINE)  # (how it was written: SGD.step())
UPDATED_NOTE = "after {}: the values now, updated since this forward; the activations drawn are the forward's"


def mark_updated_leaves(nodes: list[Node], links) -> None:
    r"""``show_values`` after ``opt.step()``: a leaf written in place since the ops that read it were recorded holds
    new values, not those the forward used (which nothing kept: the ops saved the same memory). Its values line is
    followed by "after SGD.step()" (and :func:`updated_note` says what that means, once the figure draws it): the
    figure's activations were computed from the old values. ``links``: the recorded graph's (tail, head,
    output, position).

    >>> import tinygrad_rnn as tr
    >>> from tinygrad_rnn.viz.graph import build_picture
    >>> w = tr.ones(1, requires_grad=True)
    >>> w.name = "w"
    >>> y = (w * tr.ones(1)).sum()
    >>> y.backward()
    >>> tr.optim.SGD([w], lr=0.5).step()
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     picture = build_picture((y,), show_values=True, params="once")
    >>> [n.label.split("\n")[2:] for n in picture.nodes if n.label.startswith("w")]
    [['[0.5]', 'after SGD.step()']]
    >>> "w changed in place (SGD.step())" in str(caught[0].message)
    True
    """
    recorded: dict[int, int] = {}  # a leaf's position → when the first op that reads it was recorded
    for tail, head, _, _ in links:
        if nodes[tail].kind in ("parameter", "input") and isinstance(nodes[head].key, Function):
            recorded[tail] = min(recorded.get(tail, nodes[head].key.recorded_at), nodes[head].key.recorded_at)
    for position, stamp in recorded.items():
        arrays = [t.array for t in nodes[position].tensors if isinstance(t, Tensor)]
        how = next((found for array in arrays if (found := written_since(array, stamp))), None)
        if how is not None:
            nodes[position].label += "\n" + UPDATED.format(how)


def updated_note(nodes: list[Node]) -> list[str]:
    """The note under a figure that draws leaves marked by :func:`mark_updated_leaves` — what "after SGD.step()"
    means — and one warning naming them; [] where it draws none."""
    found = {node.label.split("\n")[0]: match.group(1) for node in nodes if (match := UPDATED_LINE.search(node.label))}
    if not found:
        return []
    ways = ", ".join(sorted(set(found.values())))
    warnings.warn(f"viz: show_values: {', '.join(found)} changed in place ({ways}) after the forward pass this graph "
                  f"recorded: the values drawn are the new ones, marked '{UPDATED.format(ways)}', not those the "
                  "activations beside them were computed from. Draw the figure before the optimizer's step to show "
                  "the values the forward used", stacklevel=4)
    return [UPDATED_NOTE.format(ways)]


CLIPPED = ".grad clipped after backward"  # (a BPTT figure keeps the forward's note that says it)
CLIPPED_NOTE = "{names}: " + CLIPPED + " by {how} (total norm now {norm})"
CLIPPED_COLOURS = "; the colours are ‖∂J/∂h_t‖, which clipping does not touch"  # show_grads
CLIPPED_SUMS = "; the Σₜ ∂J/∂W drawn are backward's sums, before clipping"  # a BPTT figure


def clipped_note(nodes: list[Node], names: dict[int, tuple[str, str]], roots, show_grads: bool) -> list[str]:
    """The note under a figure whose weights' ``.grad`` was clipped after its backward (``clip_grad_norm_``
    stamps its write as an optimizer's step does: :func:`mark_updated_leaves`) — else the colours of ∂J/∂h_t
    (``show_grads``), or the Σₜ ∂J/∂W a BPTT figure draws, read as if clipping had done nothing to the weights or
    had scaled ∂J/∂h_t. ``names``: each parameter's position → (library name, name drawn); [] where none was.

    >>> import tinygrad_rnn as tr
    >>> w = tr.ones(2, requires_grad=True); w.name = "w"
    >>> J = (w * 10).sum(); J.backward(retain_graph=True)
    >>> _ = tr.nn.utils.clip_grad_norm_([w], 1.0)
    >>> note = clipped_note([Node(0, "parameter", "w", tensors=[w])], {0: ("w", "w")}, (J,), show_grads=False)
    >>> note == ["w: .grad clipped after backward by clip_grad_norm_() (total norm now 1.0)" + CLIPPED_SUMS]
    True
    """
    recorded = [root.grad_fn.recorded_at for root in roots if isinstance(root, Tensor) and root.grad_fn is not None]
    if not recorded:
        return []
    clipped: dict[str, tuple[str, Any]] = {}  # name drawn → (how, the .grad array); one tensor drawn twice: once
    for position, (_, drawn) in names.items():
        for tensor in nodes[position].tensors:
            gradient = getattr(tensor, "grad", None)
            # written after the loss was recorded: after backward (which filled it without a stamp)
            how = gradient is not None and written_since(gradient.array, min(recorded))
            if how:
                clipped[drawn] = (how, gradient.array)
    if not clipped:
        return []
    squares = sum(float((numpy.asarray(array, dtype=numpy.float64) ** 2).sum()) for _, array in clipped.values())
    norm = f"{squares ** 0.5:.3g}"
    drawn = list(clipped)  # three names say which; more: two and how many ("W_hy, b_y, … (6 tensors)")
    names_text = ", ".join(drawn) if len(drawn) <= 3 else f"{drawn[0]}, {drawn[1]}, … ({len(drawn)} tensors)"
    ways = ", ".join(sorted({how for how, _ in clipped.values()}))
    note = CLIPPED_NOTE.format(names=names_text, how=ways, norm=norm if any(c in norm for c in ".e") else norm + ".0")
    return [note + (CLIPPED_COLOURS if show_grads else CLIPPED_SUMS)]


def shape_text(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ")"


def shape_line(shape: tuple[int, ...]) -> str:
    """A node's line that gives its shape: none for a scalar (a loss J), whose "()" a room reads as nothing — the
    lectures write a scalar's shape nowhere.

    >>> shape_line((1, 3)), shape_line(())
    ('\\n(1, 3)', '')
    """
    return f"\n{shape_text(shape)}" if len(shape) else ""


SHAPE_LINE = re.compile(r"\n\((\d+(, \d+)*,?)?\)$")  # a label's last line when it is a shape: (1, 3), (), (5,)


def shapes_on_all_or_none(nodes: list[Node]) -> None:
    r"""One rule for a figure: where no computed node shows its shape (a cell, a step's op at cell level, J), no
    leaf does either — h₀ alone wrote "(1, 3)" beside cells and x_t that write none, as if h₀ were another kind
    of thing. Where ops show theirs (op level), the inputs keep theirs too.

    >>> nodes = [Node(0, "input", "h_0\n(1, 3)"), Node(1, "group", "RNN cell\nt=1")]
    >>> shapes_on_all_or_none(nodes); [node.label for node in nodes]
    ['h_0', 'RNN cell\nt=1']
    """
    if any(SHAPE_LINE.search(node.label) for node in nodes if node.kind not in ("input", "parameter")):
        return
    for node in nodes:
        node.label = SHAPE_LINE.sub("", node.label)
