"""From tensors to a picture: nodes, edges and the scope clusters they sit in.

``build_picture`` walks the recorded graph back from the given tensors (with a stack, never
recursion) and returns a :class:`Picture`: a node per op, per leaf tensor and per output, each
placed in the cluster of its op's scope — so an unrolled RNN gets one cluster per time step,
inside its layer and direction. Leaves (weights, inputs) sit outside every cluster, so a weight
shared by all steps is drawn once, with an edge into each step that uses it.

Levels: ``"op"`` draws every primitive; ``"cell"`` merges the ops of each time step of each layer
and direction into one cell node; ``"step"`` merges a whole time step. ``dot.py`` turns a Picture
into DOT text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy

from ..engine import grad, vertex_of
from ..function import Function, step_of
from ..function import Node as GraphNode
from ..tensor import Tensor

LEVELS = ("op", "cell", "step")


@dataclass
class Node:
    key: Any  # what the node stands for: a Function, a Tensor's id, or a group's key
    kind: str  # parameter | input | op | group | output | saved | ellipsis
    label: str
    scope: tuple[str, ...] = ()
    tensors: list[Any] = field(default_factory=list)  # the tensors (or graph Nodes) it stands for
    gradient_norm: float | None = None


@dataclass
class Picture:
    nodes: list[Node]  # in a stable order: first seen, walking back from the outputs
    edges: list[tuple[int, int, str]]  # (tail index, head index, label)
    rankdir: str = "LR"
    title: str = ""
    legend: tuple[float, float] | None = None  # the gradient-norm range shown by the colour scale


def build_picture(tensors: tuple[Tensor, ...], level: str = "op", backward: bool = False,
                  show_shapes: bool = True, show_values: bool = False, show_grads: bool = False,
                  time_steps: slice | None = None, max_nodes: int | None = None,
                  grad_range: tuple[float, float] | None = None) -> Picture:
    """The picture of the graph that computed ``tensors``; see :func:`tinygrad_rnn.viz.to_dot`."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    roots = tuple(tensors)
    if not roots or not all(isinstance(t, Tensor) for t in roots):
        raise TypeError("viz: pass one or more Tensors to draw")
    if backward and not any(t.grad_fn is not None and t.grad_fn.is_gradient for t in roots):
        roots = _gradients_of(roots)
    nodes, edges, outputs_of, kept_values = _walk(roots, backward, show_shapes)
    nodes, edges, outputs_of = _fold_transposed_weights(nodes, edges, outputs_of)
    legend = None
    if show_grads:
        _attach_gradient_norms(roots, nodes, outputs_of)
    if show_values:
        for node in nodes:
            node.label += _values_text(node.tensors, kept_values)
    if level != "op":
        nodes, edges = _merge_groups(nodes, edges, level)
    if time_steps is not None:
        nodes, edges = _keep_steps(nodes, edges, time_steps)
    if show_grads:  # the scale spans the norms drawn, unless fixed (to compare several figures)
        norms = [n.gradient_norm for n in nodes if n.gradient_norm]
        legend = tuple(grad_range) if grad_range else ((min(norms), max(norms)) if norms else None)
    if max_nodes is not None and len(nodes) > max_nodes:
        raise ValueError(f"viz: the graph has {len(nodes)} nodes, more than max_nodes={max_nodes}. Draw it with "
                         "level='cell' or level='step', or only some steps with time_steps=slice(0, 5)")
    return Picture(nodes, edges, legend=legend)


# --- the walk -----------------------------------------------------------------------------------------


def _walk(roots: tuple[Tensor, ...], backward: bool, show_shapes: bool):
    """Nodes for ops, leaves and outputs, and the edges between them, in first-seen order."""
    nodes: list[Node] = []
    index: dict[Any, int] = {}
    edges: list[tuple[int, int, str]] = []
    outputs_of: dict[int, list[Any]] = {}  # op node → the tensors (or their graph Nodes) it produced
    kept_values: dict[int, Any] = {}  # id(Node) → its array, where an op saved it for backward

    def node_for(tensor: Any) -> tuple[int, bool]:
        """The node standing for a tensor or graph vertex: its op's node, or a leaf node; and
        whether its op is to be drawn (and walked further)."""
        function = tensor.grad_fn
        expand = function is not None and (not backward or function.is_gradient)
        key = id(function) if expand else id(vertex_of(tensor))
        if key in index:
            position = index[key]
        else:
            index[key] = position = len(nodes)
            nodes.append(_op_node(function, show_shapes, tensor) if expand else _leaf_node(tensor, show_shapes))
        known = outputs_of.setdefault(position, [])
        if all(vertex_of(t) is not vertex_of(tensor) for t in known):
            known.append(tensor)
        nodes[position].tensors = known
        return position, expand

    stack = []
    for root in roots:
        position, expand = node_for(root)
        out = len(nodes)
        nodes.append(Node(("output", id(root)), "output", _output_label(root, backward, show_shapes),
                          tensors=[root]))
        edges.append((position, out, ""))
        if expand:
            stack.append(root.grad_fn)
    seen: set[int] = {id(f) for f in stack}
    while stack:
        function = stack.pop()
        head = index[id(function)]
        for position, x in enumerate(function.inputs or ()):
            if not isinstance(x, (Tensor, GraphNode)):  # a constant: shown in the op's label
                continue
            if function.saves_inputs:
                kept_values[id(x)] = function.saved_inputs[position]
            tail, expand = node_for(x)
            edges.append((tail, head, _edge_label(function, x)))
            if expand and id(x.grad_fn) not in seen:
                seen.add(id(x.grad_fn))
                stack.append(x.grad_fn)
    return nodes, _unique(edges), outputs_of, kept_values


def _fold_transposed_weights(nodes: list[Node], edges, outputs_of):
    """Draw ``h @ W.T`` as W → matmul with the edge marked ᵀ: a slide needs no transpose node
    for every use of a weight. (Only the drawing changes; the graph is what it is.)"""
    parameters = {i for i, n in enumerate(nodes) if n.kind == "parameter"}
    incoming: dict[int, list[int]] = {}
    for tail, head, _ in edges:
        incoming.setdefault(head, []).append(tail)
    folded = {i: incoming[i][0] for i, n in enumerate(nodes)
              if n.kind == "op" and n.key.name == "permute" and len(incoming.get(i, [])) == 1
              and incoming[i][0] in parameters}
    if not folded:
        return nodes, edges, outputs_of
    kept = [i for i in range(len(nodes)) if i not in folded]
    renumber = {old: new for new, old in enumerate(kept)}
    new_edges = []
    for tail, head, label in edges:
        if head in folded:
            continue
        if tail in folded:
            new_edges.append((renumber[folded[tail]], renumber[head], "ᵀ"))
        else:
            new_edges.append((renumber[tail], renumber[head], label))
    new_outputs = {renumber[p]: tensors for p, tensors in outputs_of.items() if p in renumber}
    return [nodes[i] for i in kept], _unique(new_edges), new_outputs


def _op_node(function: Function, show_shapes: bool, output: Tensor) -> Node:
    name = "Σ" if function.name == "add_n" else function.name
    if function.name == "add_n":
        name += f" ({len(function.inputs)} terms)"
    constants = [repr(x) for x in function.saved_inputs or () if isinstance(x, (int, float))]
    label = name + (f" · {', '.join(constants)}" if constants else "")
    if show_shapes:
        label += f"\n{_shape_text(output.shape)}"
    return Node(function, "op", label, function.scope)


def _leaf_node(tensor: Any, show_shapes: bool) -> Node:
    shape = f"\n{_shape_text(tensor.shape)}" if show_shapes else ""
    if tensor.grad_fn is not None:  # a forward value that a gradient op uses (backward view)
        return Node(id(tensor), "saved", f"{tensor.name or tensor.grad_fn.name}{shape}", tensors=[tensor])
    from ..nn.module import Parameter

    kind = "parameter" if isinstance(tensor, Parameter) or (tensor.requires_grad and tensor.name) else "input"
    return Node(id(tensor), kind, f"{tensor.name or kind}{shape}", tensors=[tensor])


def _output_label(root: Tensor, backward: bool, show_shapes: bool) -> str:
    if backward:
        name = f"∂J/∂{root.name}" if root.name else "gradient"
    else:
        name = root.name or ("loss" if root.numel() == 1 else "output")
    return name + (f"\n{_shape_text(root.shape)}" if show_shapes else "")


def _edge_label(function: Function, x: Any) -> str:
    """The Σ node's inputs are labelled with the time step each term came from; the outputs of an
    op with several outputs with their names (an LSTM's gates i, f, g, o)."""
    if x.grad_fn is not None and x.grad_fn.multiple_outputs and x.name:
        return x.name
    if function.name == "add_n" and x.grad_fn is not None:
        step = step_of(x.grad_fn.scope)
        return "" if step is None else f"t={step}"
    return ""


def _gradients_of(outputs: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
    """backward=True on a loss: record its gradients with respect to every leaf that requires grad."""
    leaves = [tensor for tensor in _leaves(outputs) if tensor.requires_grad]
    gradients = grad(outputs[0], leaves, create_graph=True, allow_unused=True)
    named = []
    for leaf, gradient in zip(leaves, gradients):
        if gradient is not None and gradient.grad_fn is not None:
            gradient.name = leaf.name
            named.append(gradient)
    return tuple(named)


def _leaves(outputs: tuple[Tensor, ...]) -> list[Tensor]:
    """The leaf tensors under ``outputs``, each once, in the order a drawing's ids depend on (first met)."""
    found, stack, seen = {}, [t.grad_fn for t in outputs if t.grad_fn is not None], set()
    while stack:
        function = stack.pop()
        for x in function.inputs or ():
            if isinstance(x, (Tensor, GraphNode)):
                if x.grad_fn is None:
                    found.setdefault(id(x), x)
                elif id(x.grad_fn) not in seen:
                    seen.add(id(x.grad_fn))
                    stack.append(x.grad_fn)
    return list(found.values())


# --- gradients, values ------------------------------------------------------------------------------


def _attach_gradient_norms(roots, nodes, outputs_of) -> None:
    """‖∂J/∂(what the node computes)‖ for every node, J the first output (a scalar)."""
    loss = roots[0]
    if loss.numel() != 1 or not loss.requires_grad:
        raise ValueError("viz: show_grads needs the first tensor to be a scalar loss with a graph")
    positions = [p for p, tensors in outputs_of.items() for t in tensors if _requires_grad(t)]
    tensors = [t for p, ts in outputs_of.items() for t in ts if _requires_grad(t)]
    gradients = grad(loss, tensors, retain_graph=True, allow_unused=True)
    squares: dict[int, float] = {}
    for position, gradient in zip(positions, gradients):
        value = 0.0 if gradient is None else float((gradient.numpy().astype(numpy.float64) ** 2).sum())
        squares[position] = squares.get(position, 0.0) + value
    for position, square in squares.items():
        nodes[position].gradient_norm = square**0.5


def _requires_grad(x: Any) -> bool:
    return isinstance(x, GraphNode) or x.requires_grad


def _values_text(tensors: list[Any], kept_values: dict[int, Any]) -> str:
    """The values of what a node computed, where they are still held: by a tensor given to draw,
    a leaf, or an array an op saved for its backward. The graph keeps no other values (that is
    what keeps its memory small), so an op whose result no backward reads shows none."""
    values = next((v for v in (_values_of(t, kept_values) for t in tensors) if v is not None), None)
    if values is None:
        return ""
    if values.size <= 6:
        return "\n" + numpy.array2string(values, precision=3, separator=", ", suppress_small=True).replace("\n", "")
    return f"\nmean {values.mean():.3g}, std {values.std():.3g}\nmin {values.min():.3g}, max {values.max():.3g}"


def _values_of(x: Any, kept_values: dict[int, Any]) -> numpy.ndarray | None:
    if isinstance(x, Tensor):
        return x.numpy()
    saved = x.grad_fn.saved_output
    if saved is not None:
        return Tensor._make(saved[x.output_index] if x.grad_fn.multiple_outputs else saved).numpy()
    return None if id(x) not in kept_values else Tensor._make(kept_values[id(x)]).numpy()


def _shape_text(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ")"


# --- levels and time slices --------------------------------------------------------------------------


def _merge_groups(nodes: list[Node], edges, level: str):
    """Merge the op nodes of each cell application (level "cell") or time step ("step").

    A group's gradient norm is that of what it passes on — the tensors made inside it and used
    outside: ‖∂J/∂h_t‖ for an RNN cell, ‖∂J/∂(h_t, c_t)‖ for an LSTM cell."""
    merged: list[Node] = []
    where: dict[Any, int] = {}
    mapping: list[int] = []
    for node in nodes:
        step = step_of(node.scope) if node.kind == "op" else None
        if step is None:
            where[id(node)] = len(merged)
            mapping.append(len(merged))
            merged.append(node)
            continue
        inner = node.scope[: node.scope.index(f"t={step}") + 1]  # the scope up to and with its step
        key = inner if level == "cell" else (inner[0], f"t={step}")
        if key not in where:
            where[key] = len(merged)
            kind_name = inner[0] if len(inner) > 1 else ""
            label = f"{kind_name} cell".strip() if level == "cell" else f"step {step}"
            merged.append(Node(key, "group", f"{label}\nt={step}", inner if level == "cell" else key,
                               gradient_norm=None))
        mapping.append(where[key])
    leaving = {a for a, b, _ in edges if mapping[a] != mapping[b]}
    for position in leaving:
        group, norm = merged[mapping[position]], nodes[position].gradient_norm
        if group.kind == "group" and norm is not None:
            group.gradient_norm = ((group.gradient_norm or 0.0) ** 2 + norm**2) ** 0.5
    new_edges = [(mapping[a], mapping[b], label) for a, b, label in edges if mapping[a] != mapping[b]]
    return merged, _unique(new_edges)


def _keep_steps(nodes: list[Node], edges, time_steps: slice):
    """Keep the nodes of the chosen steps (``time_steps`` indexes the list of steps t=1…T, so
    slice(0, 3) keeps t=1, 2, 3); nodes outside any step stay. One "…" node stands for the rest."""
    steps = sorted({s for s in (step_of(n.scope) for n in nodes) if s is not None})
    chosen = set(steps[time_steps])
    dropped = [i for i, n in enumerate(nodes) if step_of(n.scope) is not None and step_of(n.scope) not in chosen]
    if not dropped:
        return nodes, edges
    skipped = len(set(steps) - chosen)
    kept = [i for i in range(len(nodes)) if i not in set(dropped)]
    renumber = {old: new for new, old in enumerate(kept)}
    ellipsis = len(kept)
    result = [nodes[i] for i in kept] + [Node("ellipsis", "ellipsis", f"… {skipped} more time steps")]
    dropped_set = set(dropped)
    new_edges = []
    for a, b, label in edges:
        if a in dropped_set and b in dropped_set:
            continue
        new_edges.append((ellipsis if a in dropped_set else renumber[a], ellipsis if b in dropped_set else renumber[b],
                          label))
    return result, _unique(new_edges)


def _unique(edges):
    seen, result = set(), []
    for edge in edges:
        if edge not in seen:
            seen.add(edge)
            result.append(edge)
    return result
