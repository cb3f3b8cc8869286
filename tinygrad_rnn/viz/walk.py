"""The walk: from the tensors to draw back through the recorded graph, a node per op, leaf and output.

``walk`` visits the graph with a stack (never recursion) and returns the nodes, the edges between them and
the links (which output of a node feeds which input of another) that ``graph.py`` turns into a picture. Beside
it: the nodes an op level adds or moves (the token ids an embedding reads, a loop's x_t under its step), the
transposed weights folded into their edges, and the gradients ``backward=True`` records before the walk.
The labels' shape lines come from ``node_details.py``; ``graph.py`` calls all of this from ``build_picture``.
"""

from __future__ import annotations

from typing import Any

import numpy

from ..engine import grad, vertex_of
from ..function import Function
from ..function import Node as GraphNode
from ..nn.recurrent import RUNNING
from ..tensor import Tensor
from .initial_states import renamed
from .levels import LOSSES, unique
from .node_details import shape_line, shape_text
from .notation import SYMBOLS, gru_update
from .picture import CHOICE_INPUT, Node, loop_row, subscript
from .user_steps import drawn_step


def walk(roots: tuple[Tensor, ...], backward: bool, show_shapes: bool, from_0: dict | None = None):
    """Nodes for ops, leaves and outputs, the edges between them (first-seen order), and the
    links: (tail, head, output index of the tail, input position at the head) for every use.
    ``from_0``: the loops whose scopes number the steps from t=0, drawn from t=1
    (:func:`.user_steps.loops_numbered_from_0`)."""
    from_0 = from_0 or {}
    nodes: list[Node] = []
    index: dict[Any, int] = {}
    links: list[tuple[int, int, int, int]] = []
    labels: dict[tuple[int, int], str] = {}
    outputs_of: dict[int, list[Any]] = {}  # op node → the tensors (or their graph Nodes) it produced
    kept_values: dict[int, Any] = {}  # id(Node) → its array, where an op saved it for backward
    seen_vertices: set[int] = set()

    def node_for(tensor: Any) -> tuple[int | None, bool]:
        """The node standing for a tensor or graph vertex: its op's node, or a leaf node; and
        whether its op is to be drawn (and walked further). In a gradient graph the forward
        values it reads belong to the ops that read them: no node (None)."""
        function = tensor.grad_fn
        expand = function is not None and (not backward or function.is_gradient)
        if backward and not expand and not _is_parameter(tensor):
            return None, False
        key = id(function) if expand else _leaf_key(tensor)
        if key in index:
            position = index[key]
        else:
            index[key] = position = len(nodes)
            nodes.append(_op_node(function, show_shapes, tensor, not any(tensor is r for r in roots), from_0) if expand
                         else _leaf_node(tensor, show_shapes))
        known = outputs_of.setdefault(position, [])
        vertex_id = id(vertex_of(tensor))
        if vertex_id not in seen_vertices:  # each output of an op listed once (unbind has T of them)
            seen_vertices.add(vertex_id)
            known.append(tensor)
        nodes[position].tensors = known
        return position, expand

    stack = []
    for root in roots:
        position, expand = node_for(root)
        out = len(nodes)
        nodes.append(Node(("output", id(root)), "output", _output_label(root, backward, show_shapes),
                          tensors=[root]))
        links.append((position, out, 0, 0))
        if expand:
            stack.append(root.grad_fn)
    seen: set[int] = {id(f) for f in stack}
    while stack:
        function = stack.pop()
        head = index[id(function)]
        reads = list(enumerate(function.parents))
        chosen_from = getattr(function, "chosen_from", None)  # generation: the ids are the argmax of these scores
        if chosen_from is not None and not backward:
            reads.append((CHOICE_INPUT, chosen_from))  # drawn, never differentiated: not an input of the op
        for position, x in reads:
            if not isinstance(x, (Tensor, GraphNode)):  # a constant: shown in the op's label
                continue
            saved = function.saved_inputs[position] if position != CHOICE_INPUT and function.saved_inputs else None
            if saved is not None and not isinstance(saved, GraphNode):  # (an input not saved: a Node stands there)
                kept_values[id(x)] = saved
            tail, expand = node_for(x)
            if tail is None:
                continue
            output_index = vertex_of(x).output_index if isinstance(vertex_of(x), GraphNode) else 0
            links.append((tail, head, output_index, position))
            # keyed by the output too: a fused LSTM cell passes h and c to the next, two edges
            label = function.chosen_by if position == CHOICE_INPUT else _edge_label(function, x, from_0)
            labels.setdefault((tail, head, output_index), label)
            if expand and id(x.grad_fn) not in seen:
                seen.add(id(x.grad_fn))
                stack.append(x.grad_fn)
    edges = unique([(tail, head, labels.get((tail, head, out), "")) for tail, head, out, _ in links])
    return nodes, edges, links, outputs_of, kept_values


def token_inputs(nodes: list[Node], show_shapes: bool) -> list[tuple[int, int, str]]:
    """The token ids an embedding reads, as an input node below it (x, or the name the user gave the
    ids): the op keeps them as integers, not as an input of the graph, so the walk does not meet them."""
    edges = []
    for position in range(len(nodes)):
        function = nodes[position].key
        if nodes[position].kind == "op" and hasattr(function, "ids_name") and not function.is_gradient:
            shape = shape_line(numpy.shape(function.ids)) if show_shapes else ""
            nodes.append(Node(("tokens", id(function)), "input", f"{function.ids_name or 'x'}{shape}"))
            edges.append((len(nodes) - 1, position, ""))
    return edges


def place_step_inputs(nodes: list[Node], edges) -> None:
    """A hand-written loop's x_t — a leaf read at one step by an op that reads a leaf at every step of
    its row (``x[t] @ W.T``) — belongs to that step: drawn under it, not beside the row. h_0, read at
    the first step by an op that later reads the previous step's state, stays where the state enters."""
    readers: dict[int, list[int]] = {}
    parameters: dict[int, frozenset] = {}
    for tail, head, _ in edges:
        readers.setdefault(tail, []).append(head)
        if nodes[tail].kind == "parameter":
            parameters[head] = parameters.get(head, frozenset()) | {tail}

    def role(op: int) -> tuple:  # what an op does, whatever its step: the same op, weights and row
        return getattr(nodes[op].key, "name", ""), parameters.get(op, frozenset()), nodes[op].row

    occurs: dict[tuple, set] = {}
    for op, node in enumerate(nodes):
        if node.kind == "op" and node.step is not None:
            occurs.setdefault(role(op), set()).add(node.step)
    leaves: dict[int, set] = {}  # a leaf read at one step → the roles of what reads it
    read_at: dict[tuple, set] = {}
    for leaf, heads in readers.items():
        steps = {nodes[h].step for h in heads}
        if nodes[leaf].kind == "input" and nodes[leaf].step is None and len(steps) == 1 and None not in steps:
            leaves[leaf] = {role(head) for head in heads}
            for found in leaves[leaf]:
                read_at.setdefault(found, set()).add(nodes[heads[0]].step)
    for leaf, found_in in leaves.items():  # (every reader a step's own: h_0 is read by the op that reads h_{t−1} too)
        if all(len(read_at[found]) > 1 and read_at[found] == occurs.get(found) for found in found_in):
            nodes[leaf].step = nodes[readers[leaf][0]].step
            if isinstance(nodes[leaf].key, tuple) and nodes[leaf].key[0] == "tokens":  # the ids of step t: x_t
                label = nodes[leaf].label
                nodes[leaf].label = renamed(label, subscript(label.split("\n")[0], nodes[leaf].step))


def write_loss_indexes(nodes: list[Node], edges) -> None:
    """At op level, an index that a loss reads says which positions, as the code writes it: a padded tagger's
    ``cross_entropy(logits[0], …) + cross_entropy(logits[1, :2], …)`` drew two "index → cross_entropy" alike, though
    the second leaves sequence 2's padding out. (An index by a tensor keeps its bare name.)"""
    losses = {i for i, node in enumerate(nodes) if node.kind == "op" and getattr(node.key, "name", "") in LOSSES}
    for tail, head, _ in edges:
        node = nodes[tail]
        key = getattr(node.key, "index", None) if head in losses and getattr(node.key, "name", "") == "index" else None
        key = key if isinstance(key, tuple) else (key,)
        if all(isinstance(k, (int, numpy.integer, slice)) for k in key) and \
                node.label.split("\n")[0] == "index":
            written = ", ".join(str(k) if not isinstance(k, slice) else
                                f"{'' if k.start is None else k.start}:{'' if k.stop is None else k.stop}"
                                + ("" if k.step is None else f":{k.step}") for k in key)
            node.label = node.label.replace("index", f"index [{written}]", 1)


def _is_parameter(tensor: Any) -> bool:
    from ..nn.module import Parameter

    return isinstance(tensor, Tensor) and tensor.grad_fn is None and (
        isinstance(tensor, Parameter) or (tensor.requires_grad and bool(tensor.name)))


def fold_transposed_weights(nodes: list[Node], edges, links, outputs_of):
    """Draw ``h @ W.T`` as W → matmul with the edge marked ᵀ: a slide needs no transpose node
    for every use of a weight. (Only the drawing changes; the graph is what it is.)"""
    incoming: dict[int, list[int]] = {}
    for tail, head, _ in edges:
        incoming.setdefault(head, []).append(tail)
    folded = {i: incoming[i][0] for i, n in enumerate(nodes)
              if n.kind == "op" and n.key.name == "permute" and len(incoming.get(i, [])) == 1
              and nodes[incoming[i][0]].kind == "parameter"}
    if not folded:
        return nodes, edges, links, outputs_of
    kept = [i for i in range(len(nodes)) if i not in folded]
    renumber = {old: new for new, old in enumerate(kept)}
    new_edges = [(renumber[folded.get(tail, tail)], renumber[head], "ᵀ" if tail in folded else label)
                 for tail, head, label in edges if head not in folded]
    new_links = [(renumber[folded.get(tail, tail)], renumber[head], 0 if tail in folded else out, position)
                 for tail, head, out, position in links if head not in folded]
    new_outputs = {renumber[p]: tensors for p, tensors in outputs_of.items() if p in renumber}
    return [nodes[i] for i in kept], unique(new_edges), new_links, new_outputs


def _op_node(function: Function, show_shapes: bool, output: Tensor, named: bool = True,
             from_0: dict | None = None) -> Node:
    """An op's node; a state the recurrence carries is named with its step (h₃ = tanh, c₃ = add).
    An op a recurrent layer recorded in a step knows its step (``function.step``); an op of a loop
    the user wrote is placed by its scope "t=k" (k + 1 in a loop numbered from 0: ``from_0``)."""
    name = "Σ" if function.name == "add_n" else function.name
    if function.name == "add_n":
        name += f" ({len(function.parents)} terms)"
    record = function.step
    step = record.t if record is not None else drawn_step(function.scope, from_0 or {})
    states = getattr(function, "states", ()) if function.multiple_outputs else (
        (output.name,) if named and output.name else ())  # a fused cell declares its states
    if states and not function.is_gradient:  # h₃ = tanh, i₃ = σ; a name the user gave, subscripted by its step
        said = gru_update(step) if (name, states) == ("lerp", ("h",)) and step else SYMBOLS.get(name, name)
        name = ", ".join(subscript(state, step) for state in states) + f" = {said}"  # a GRU's h₁ = (1 − z₁) ⊙ n₁ + …
    elif record is not None and step and not function.is_gradient and reads_cell_state(function):
        name = f"tanh({subscript('c', step)})"  # an LSTM's h_t = o_t ⊙ tanh(c_t): the tanh its equations write
    constants = [repr(x) for x in function.parents if isinstance(x, (int, float))]
    label = name + (f" · {', '.join(constants)}" if constants else "")
    if step and zeroed_past_the_end(function):
        label = f"{subscript('h', step)} if t ≤ length, else 0"
    pieces = getattr(function, "n_outputs", 1) - function.saves_intermediates  # split (1, 12) → 4 × (1, 3)
    if show_shapes and function.multiple_outputs and pieces > 1 and len(function.parents) == 1 and \
            hasattr(function.parents[0], "shape"):
        label += f"{shape_line(function.parents[0].shape)}\n→ {pieces} × {shape_text(output.shape)}"
    elif show_shapes:  # (one output, with what it keeps for backward: its shape, as any op's — a loss's, none)
        label += shape_line(output.shape)
    row = loop_row(function.scope) if step is not None and record is None else ()
    return Node(function, "op", label, function.scope, step=step, row=row,
                chain=None if record is None else record.chain)


def zeroed_past_the_end(function: Function) -> bool:
    """Whether an op is a padded batch's output at one step, ``where(t ≤ lengths, h_t, 0.0)``: each sequence's h_t
    while it runs, zeros after its end (a layer run with ``lengths=``). Its node says so, h₃ if t ≤ length, else 0:
    "where · 0.0" said neither what the mask is nor what is kept."""
    if function.name != "where" or len(function.parents) != 3:
        return False
    mask, _, otherwise = function.parents
    return getattr(mask, "name", None) == RUNNING and isinstance(otherwise, (int, float)) and otherwise == 0


def reads_cell_state(function: Function) -> bool:
    """Whether an op is the tanh of the cell state c that an LSTM's own step computes (a layer's or cell's, which
    name c; a user's loop that names a value c has no cell state): h_t = o_t ⊙ tanh(c_t). Its result has no name
    of its own, and a figure drew it as a bare "tanh" beside g₁ = tanh, as if one of the gates."""
    return function.name == "tanh" and len(function.parents) == 1 and getattr(function.parents[0], "name", None) == "c"


def _leaf_key(tensor: Any) -> Any:
    """What a leaf node is keyed by: its vertex — but one unnamed tensor that needs no gradient, a view of another's
    memory (``xs[t]``, read twice in a step: two tensors), by the memory it views, so that two reads of one ``xs[t]``
    are one node, x_t, as they are one value.

    >>> import tinygrad_rnn as tr
    >>> xs = tr.randn(3, 1, 2)
    >>> _leaf_key(xs[0]) == _leaf_key(xs[0]), _leaf_key(xs[0]) == _leaf_key(xs[1])
    (True, False)
    """
    array = getattr(tensor, "array", None)
    base = getattr(array, "base", None)
    interface = getattr(array, "__array_interface__", None) or getattr(array, "__cuda_array_interface__", None)
    if tensor.requires_grad or tensor.name or base is None or interface is None:
        return id(vertex_of(tensor))
    return ("view", id(base), interface["data"][0], tuple(array.shape), interface.get("strides"), str(array.dtype))


def _leaf_node(tensor: Any, show_shapes: bool) -> Node:
    shape = shape_line(tensor.shape) if show_shapes else ""
    kind = "parameter" if _is_parameter(tensor) else "input"
    return Node(id(tensor), kind, f"{tensor.name or kind}{shape}", tensors=[tensor])


def _output_label(root: Tensor, backward: bool, show_shapes: bool) -> str:
    if backward:
        name = f"∂J/∂{root.name}" if root.name else "gradient"
    else:
        name = root.name or ("J" if root.numel() == 1 else "output")  # the loss, as every ∂J/∂… arrow names it
    return name + (shape_line(root.shape) if show_shapes else "")


def _edge_label(function: Function, x: Any, from_0: dict) -> str:
    """The Σ node's inputs are labelled with the time step each term came from; the outputs of an
    op with several outputs with their names (an LSTM's gates i, f, g, o)."""
    if x.grad_fn is not None and x.grad_fn.multiple_outputs and x.name:
        return x.name
    if function.name == "add_n" and x.grad_fn is not None:
        step = drawn_step(x.grad_fn.scope, from_0)
        return "" if step is None else f"t={step}"
    return ""


def gradients_of(outputs: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
    """backward=True on a loss: record its gradients with respect to every leaf that requires grad."""
    leaves = [tensor for tensor in leaves_of(outputs) if tensor.requires_grad]
    gradients = grad(outputs[0], leaves, create_graph=True, allow_unused=True)
    named = []
    for leaf, gradient in zip(leaves, gradients):
        if gradient is not None and gradient.grad_fn is not None:
            gradient.name = leaf.name
            named.append(gradient)
    return tuple(named)


def leaves_of(outputs: tuple[Tensor, ...]) -> list[Tensor]:
    """The leaf tensors under ``outputs``, each once, in the order a drawing's ids depend on (first met)."""
    found, stack, seen = {}, [t.grad_fn for t in outputs if t.grad_fn is not None], set()
    while stack:
        function = stack.pop()
        for x in function.parents:
            if isinstance(x, (Tensor, GraphNode)):
                if x.grad_fn is None:
                    found.setdefault(id(x), x)
                elif id(x.grad_fn) not in seen:
                    seen.add(id(x.grad_fn))
                    stack.append(x.grad_fn)
    return list(found.values())
