"""From tensors to a picture: the nodes and edges to draw, each node placed in its time step.

``build_picture`` walks the recorded graph back from the given tensors (with a stack, never
recursion) and returns a :class:`Picture`: a node per op, per leaf tensor and per output. An op
recorded inside a time step (a scope ``"t=k"``) belongs to step k of its *row* — the scope above
the step, e.g. ``("LSTM", "layer 0", "forward")`` — which is all ``layout.py`` needs to draw the
steps as columns and the layers as rows.

Levels: ``"op"`` draws every primitive; ``"cell"`` merges the ops of each time step of each layer
and direction into one cell node; ``"step"`` merges a whole time step. At cell and step level the
bookkeeping between the cells — the input projection of all steps, unbind, stack, indexing, the
final sum — folds into edges, *step by step*: the slice t of a sequence is followed through
unbind, stack and indexing, so x_t enters cell t and only the cells a loss really reads feed it;
a model's own ops around its layers (embedding, head, loss) are drawn once per step (``levels.py``).

A layer built with ``fused=True`` is one node for the whole sequence; a drawing shows its steps
all the same: it draws the graph computed again from the same leaves with each such node
recorded step by step (``viz/stepwise.py``: the graph the primitive cells record, as the plain
path, ``TINYGRAD_RNN_FAST=0``, records it).
"""

from __future__ import annotations

import re
from typing import Any

import numpy

from ..engine import grad, vertex_of
from ..errors import GraphError
from ..function import Function
from ..function import Node as GraphNode
from ..steps import step_number, step_of
from ..tensor import Tensor
from .backward_rules import merge_backward_rules
from .chains import owner_of
from .concatenated import concatenations, write_concatenations
from .initial_states import (
    decoder_reads,
    name_decoder_words,
    name_dropout,
    name_dropout_steps,
    name_initial_states,
    name_step_inputs,
    renamed,
    split_shared_initial_states,
)
from .levels import merge_groups, unique
from .loss_targets import loss_targets
from .notation import SYMBOLS, Notation, gru_update, resolve, short_name
from .overlaid import overlaid_picture
from .parameter_names import name_parameters, parameter_notes
from .parameter_roles import parameter_roles
from .picture import (
    CHOICE_INPUT,
    Node,
    Picture,
    chain_rows,
    display_label,
    in_order,
    in_time,
    is_sum_of_losses,
    runs,
    step_position,
    steps_in_time,
    subscript,
)
from .running_sums import draw_as_sum, draw_as_sum_of_ops, take_out_of_steps
from .step_projections import per_step_projections
from .step_states import cells_reaching_outputs
from .stepwise import stepwise_graph
from .user_steps import link_maps, place_model_ops, split_recurrences, steps_holding_calls
from .value_names import name_values
from .views import bptt_picture, forward_and_backward_picture, rolled_picture

__all__ = ["build_picture", "Node", "Picture", "display_label", "in_order", "LEVELS", "PARAMS"]

LEVELS = ("op", "cell", "step")
PARAMS = ("once", "label", "hide")
SLIDE_STEPS = 8  # a slide draws this many steps whole; a longer sequence elides its middle
# what a cell-level figure says where no op records a step: true of a model without a recurrence and of a loop
# written without scopes alike (a loop of nn.RNNCell calls records its steps itself, as a layer does)
NO_STEPS = 'No time steps found, so every op is drawn: write each step of a loop under tr.scope(f"t={t}")'


def build_picture(tensors: tuple[Tensor, ...], level: str = "op", backward: bool | str = False,
                  show_shapes: bool = True, show_values: bool = False, show_grads: bool = False,
                  time_steps: slice | None = None, max_nodes: int | None = None,
                  grad_range: tuple[float, float] | None = None, params: str | None = None,
                  rolled: bool = False, notation: Any = None, tokens: list[str] | None = None,
                  slide: bool = False, targets: list[str] | None = None) -> Picture:
    """The picture of the graph that computed ``tensors``; see :func:`tinygrad_rnn.viz.to_dot`."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    if rolled and level == "op":  # a rolled network is drawn in cells (or steps): one per layer and direction
        level = "cell"
    if rolled and (show_grads or time_steps is not None):
        raise ValueError("viz: rolled=True draws one cell for every step, so it has no steps to choose (time_steps) "
                         "and no one gradient norm per cell (show_grads); draw it unrolled for those")
    params = params or "label"  # named in each node that uses them, as the lectures write W_hh in every copy
    if params not in PARAMS:
        raise ValueError(f"params must be one of {PARAMS}, got {params!r}")
    notation = resolve(notation)
    roots = tuple(tensors)
    if not roots or not all(isinstance(t, Tensor) for t in roots):
        raise TypeError("viz: pass one or more Tensors to draw")
    if backward not in (False, True, "both"):
        raise ValueError(f"backward must be True, False or 'both' (forward and backward in one figure), got "
                         f"{backward!r}")
    both = backward == "both"
    if both and (level == "op" or rolled):
        raise ValueError("viz: backward='both' draws cells or steps (level='cell' or 'step'), unrolled")
    recorded = backward is True and not _is_gradient(roots) and level == "op"  # op level: the recorded gradient graph
    bptt = bool(backward) and not _is_gradient(roots) and level != "op"  # cells: the BPTT figure (views.py)
    needs_values = {"backward=True": recorded, "show_grads=True": show_grads}
    for option, needed in needs_values.items():
        if needed:
            _check_not_freed(roots, option)
    drawn = stepwise_graph(roots)  # a fused layer node (fused=True) is drawn step by step: its steps as columns
    layer_nodes, roots = drawn is not roots, drawn
    live = None
    if recorded:  # the cells J reaches, read off the forward figure: the rules of any other hand on only zeros
        cells = _picture_of(roots, "cell", False, False, False, False, None, "label", layer_nodes)
        live = cells_reaching_outputs(cells.nodes, cells.edges, lambda cell: (cell.chain, cell.step))
        roots = _gradients_of(roots)
    gradient_graph = backward is True and not bptt  # drawn as recorded: made here (op level), or given
    def drawn_picture(gradient_only: bool) -> Picture:
        return _picture_of(roots, level, gradient_graph, show_shapes, show_values, show_grads, time_steps,
                           "label" if bptt else params, layer_nodes, notation, slide and not rolled, gradient_only,
                           live)

    picture = drawn_picture(gradient_only=bptt and not both)
    if layer_nodes:
        picture.notes[:0] = ["A fused layer is one node for the whole sequence, drawn as its steps",
                             "fused=False records those primitive ops themselves"]
    if both and slide:  # as a slide draws BPTT: the gradient's arrows back along the forward nodes (overlaid.py)
        picture = overlaid_picture(picture, gradient=drawn_picture(gradient_only=True))
    elif both:  # free size: the backward rows under the forward rows, a node per backward call
        picture = forward_and_backward_picture(picture, gradient=drawn_picture(gradient_only=True))
    elif bptt:
        # rolled: labels that hold at any step t (and its one cell says "backward")
        picture = bptt_picture(picture, generic=rolled, slide=slide and not rolled)
    if rolled:
        picture = rolled_picture(picture)
    known = loss_targets(tensors) if tokens is not None and targets is None else None  # what each J_t predicts
    name_values(picture, notation, {short_name(t.name) for t in _leaves(roots) if t.name}, params != "hide", tokens,
                targets, known)
    if level != "op" and not backward:  # a head's states that a cat joined: [h₄⁽→⁾; h₁⁽←⁾] under its name
        write_concatenations(picture, concatenations(tensors))
    if show_grads:  # the scale spans the norms drawn, unless fixed (to compare several figures)
        norms = [n.gradient_norm for n in picture.nodes if n.gradient_norm]
        picture.legend = tuple(grad_range) if grad_range else (picture.legend or ((min(norms), max(norms)) if norms
                                                                                 else None))
    if slide:  # a scalar's shape () says nothing on a slide
        for node in picture.nodes:
            if node.kind == "output" and node.label.endswith("\n()") and node.tensors and node.tensors[0].ndim == 0:
                node.label = node.label[: -len("\n()")]
    _shapes_on_all_or_none(picture.nodes)
    picture.slide = slide
    if max_nodes is not None and len(picture.nodes) > max_nodes:
        raise ValueError(f"viz: the graph has {len(picture.nodes)} nodes, more than max_nodes={max_nodes}. Draw it "
                         "with level='cell' or level='step', or only some steps with time_steps=slice(0, 5)")
    return picture


def _picture_of(roots: tuple[Tensor, ...], level: str, backward: bool, show_shapes: bool, show_values: bool,
                show_grads: bool, time_steps: slice | None, params: str, layer_nodes: bool = False,
                notation: Notation | None = None, elide: bool = False, gradient_only: bool = False,
                live: set | None = None) -> Picture:
    """The picture of the recorded graph (forward, or a recorded gradient graph), at ``level``; ``elide``:
    a long sequence's middle steps left out, as on a slide (unless ``time_steps`` chooses); ``gradient_only``:
    the edges a BPTT figure draws, none that carries a zero gradient (:func:`~.levels.merge_groups`)."""
    nodes, edges, links, outputs_of, kept_values = _walk(roots, backward, show_shapes)
    rows = chain_rows([node.chain for node in nodes if node.chain is not None])
    for node in nodes:  # each chain its own row, whatever its scope strings say
        if node.chain is not None:
            node.row = rows[node.chain]
    chains = {node.chain for node in nodes if node.chain is not None}  # (before a user's "t=k" takes a cell's ops in)
    nodes, edges, links, outputs_of = _fold_transposed_weights(nodes, edges, links, outputs_of)
    split_shared_initial_states(nodes, edges, links, chains)  # h = c = zeros: drawn as h_0 and as c_0
    notes = []
    steps_holding_calls(nodes, level)  # a scope around a cell's call is its time step: the calls in it drawn apart
    maps = link_maps(links)  # which node feeds which: built once for the two passes that read it here
    first_cones = split_recurrences(nodes, maps)  # two recurrences a hand-written step computes: two rows
    name_initial_states(nodes, links, maps, chains, first_cones)  # h_0 (c_0) handed to a cell, a layer or a loop
    roles = parameter_roles(nodes, links)  # the embedding and the head, by what they do (read before merging)
    decoded = decoder_reads(nodes, maps.readers)  # a decoder's words: y_t, not the encoder's x_t again
    dropped = name_dropout(nodes, maps.readers)  # a dropout mask, not "input"; the ops that multiply by it
    taken = list(nodes)  # (the op level rebuilds its list: J's sum found by the nodes themselves)
    summed = take_out_of_steps(nodes, links, maps) if not (level == "op" and backward) else ({}, None)  # J's sum
    if level != "op" and not any(n.kind == "op" and n.step is not None for n in nodes):
        level = "op"  # no step recorded (a window model, or a loop written without scopes): no cells to merge into
        notes.append(NO_STEPS)
    if level == "op" and not backward:  # (cells and steps draw x_t under each step's embedding: levels.py)
        place_model_ops(nodes, maps, summed[0])  # a loop without scopes: its embedding, head and loss by their steps
        edges = edges + _token_inputs(nodes, show_shapes)
        _place_step_inputs(nodes, edges)
    if show_grads:
        _attach_gradient_norms(roots, nodes, outputs_of)
    if show_values:
        for node in nodes:
            node.label += _values_text(node.tensors, kept_values)
    if level != "op":
        nodes, edges = draw_as_sum(nodes, summed, *merge_groups(nodes, links, level, gradient_only), level)
    elif not backward:  # each step's input projection in its column, x_t entering it from below
        nodes, edges = per_step_projections(nodes, edges, links, show_shapes) or (nodes, edges)
        nodes, edges = draw_as_sum_of_ops(nodes, edges, summed, taken)  # J_t and (1/T) Σₜ Jₜ, as cells draw them
    else:  # a recorded gradient graph: one node per backward rule, named by what it does to δ
        nodes, edges = merge_backward_rules(nodes, edges, live)
    name_step_inputs(nodes)  # x_t, not "input₂", at every level
    name_decoder_words(nodes, decoded)  # a decoder's y_t, y₀ = [BEGIN] first
    notes += name_dropout_steps(nodes, edges, dropped)  # "d₂ = dropout", not "mul t=2"; what a mask fed to cells does
    notation = notation or resolve(None)
    names = name_parameters(nodes, edges, notation, roles)  # by identity: W_hh⁽¹⁾ and W_hh⁽²⁾ are two tensors
    shared = parameter_notes(nodes, edges, names, notation) if params == "label" else []
    nodes, edges = _apply_params(nodes, edges, params, names)
    legend = None
    count = len(steps_in_time(nodes, edges))  # in time: an encoder's S and its decoder's T′ steps
    if elide and time_steps is None and count > SLIDE_STEPS:
        time_steps = slide_steps(count)
    if time_steps is not None:
        norms = [n.gradient_norm for n in nodes if n.gradient_norm]
        if norms:  # coloured on the scale of the whole sequence: a slice alone would stretch a 2× range into a rainbow
            legend = (min(norms), max(norms))
            total = count
            notes.append(f"Colours on the scale of all {total} time steps, not only of those drawn")
        nodes, edges = _keep_steps(nodes, edges, time_steps)
    fused = any(n.kind == "op" and getattr(n.key, "name", "").startswith("fused") for n in nodes)  # (Σₜ Jₜ: no op)
    if level == "op" and fused and not layer_nodes:
        notes.append("Fused cells are one op per step: build the layer with fused=False to draw its primitive ops")
    if params == "label" and any(n.parameters for n in nodes):
        notes += shared
    return Picture(nodes, edges, backward=backward, notes=notes, legend=legend)


def _is_gradient(roots: tuple[Tensor, ...]) -> bool:
    return any(t.grad_fn is not None and t.grad_fn.is_gradient for t in roots)


def _check_not_freed(roots: tuple[Tensor, ...], option: str) -> None:
    """Options that compute gradients need the arrays backward frees: say so, never draw less."""
    stack, seen = [t.grad_fn for t in roots if t.grad_fn is not None], set()
    while stack:
        function = stack.pop()
        if function.released:
            raise GraphError(f"viz: {option} needs the values that backward() freed. Draw before backward(), or "
                             "call backward(retain_graph=True); the graph's structure alone still draws without "
                             f"{option}.")
        for x in function.inputs:
            if isinstance(x, GraphNode) and id(x.grad_fn) not in seen:
                seen.add(id(x.grad_fn))
                stack.append(x.grad_fn)


# --- the walk -----------------------------------------------------------------------------------------


def _walk(roots: tuple[Tensor, ...], backward: bool, show_shapes: bool):
    """Nodes for ops, leaves and outputs, the edges between them (first-seen order), and the
    links: (tail, head, output index of the tail, input position at the head) for every use."""
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
        key = id(function) if expand else id(vertex_of(tensor))
        if key in index:
            position = index[key]
        else:
            index[key] = position = len(nodes)
            nodes.append(_op_node(function, show_shapes, tensor, not any(tensor is r for r in roots)) if expand
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
        reads = list(enumerate(function.inputs))
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
            label = function.chosen_by if position == CHOICE_INPUT else _edge_label(function, x)
            labels.setdefault((tail, head, output_index), label)
            if expand and id(x.grad_fn) not in seen:
                seen.add(id(x.grad_fn))
                stack.append(x.grad_fn)
    edges = unique([(tail, head, labels.get((tail, head, out), "")) for tail, head, out, _ in links])
    return nodes, edges, links, outputs_of, kept_values


def _token_inputs(nodes: list[Node], show_shapes: bool) -> list[tuple[int, int, str]]:
    """The token ids an embedding reads, as an input node below it (x, or the name the user gave the
    ids): the op keeps them as integers, not as an input of the graph, so the walk does not meet them."""
    edges = []
    for position in range(len(nodes)):
        function = nodes[position].key
        if nodes[position].kind == "op" and hasattr(function, "ids_name") and not function.is_gradient:
            shape = _shape_line(numpy.shape(function.ids)) if show_shapes else ""
            nodes.append(Node(("tokens", id(function)), "input", f"{function.ids_name or 'x'}{shape}"))
            edges.append((len(nodes) - 1, position, ""))
    return edges


def _place_step_inputs(nodes: list[Node], edges) -> None:
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
    leaves: dict[int, tuple] = {}  # a leaf read at one step → the role of what reads it
    read_at: dict[tuple, set] = {}
    for leaf, heads in readers.items():
        steps = {nodes[h].step for h in heads}
        if nodes[leaf].kind == "input" and nodes[leaf].step is None and len(steps) == 1 and None not in steps:
            leaves[leaf] = role(heads[0])
            read_at.setdefault(leaves[leaf], set()).add(nodes[heads[0]].step)
    for leaf, found in leaves.items():
        if len(read_at[found]) > 1 and read_at[found] == occurs.get(found):
            nodes[leaf].step = nodes[readers[leaf][0]].step
            if isinstance(nodes[leaf].key, tuple) and nodes[leaf].key[0] == "tokens":  # the ids of step t: x_t
                label = nodes[leaf].label
                nodes[leaf].label = renamed(label, subscript(label.split("\n")[0], nodes[leaf].step))


def _is_parameter(tensor: Any) -> bool:
    from ..nn.module import Parameter

    return isinstance(tensor, Tensor) and tensor.grad_fn is None and (
        isinstance(tensor, Parameter) or (tensor.requires_grad and bool(tensor.name)))


def _fold_transposed_weights(nodes: list[Node], edges, links, outputs_of):
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


def _op_node(function: Function, show_shapes: bool, output: Tensor, named: bool = True) -> Node:
    """An op's node; a state the recurrence carries is named with its step (h₃ = tanh, c₃ = add).
    An op a recurrent layer recorded in a step knows its step (``function.step``); an op of a loop
    the user wrote is placed by its scope "t=k"."""
    name = "Σ" if function.name == "add_n" else function.name
    if function.name == "add_n":
        name += f" ({len(function.inputs)} terms)"
    record = function.step
    step = step_number(function)
    states = getattr(function, "states", ()) if function.multiple_outputs else (
        (output.name,) if named and output.name else ())  # a fused cell declares its states
    if states and not function.is_gradient:  # h₃ = tanh, i₃ = σ; a name the user gave, subscripted by its step
        said = gru_update(step) if (name, states) == ("lerp", ("h",)) and step else SYMBOLS.get(name, name)
        name = ", ".join(subscript(state, step) for state in states) + f" = {said}"  # a GRU's h₁ = (1 − z₁) ⊙ n₁ + …
    constants = [repr(x) for x in function.inputs if isinstance(x, (int, float))]
    label = name + (f" · {', '.join(constants)}" if constants else "")
    pieces = getattr(function, "n_outputs", 1) - function.saves_intermediates  # split (1, 12) → 4 × (1, 3)
    if show_shapes and function.multiple_outputs and pieces > 1 and len(function.inputs) == 1 and \
            hasattr(function.inputs[0], "shape"):
        label += f"{_shape_line(function.inputs[0].shape)}\n→ {pieces} × {_shape_text(output.shape)}"
    elif show_shapes:  # (one output, with what it keeps for backward: its shape, as any op's — a loss's, none)
        label += _shape_line(output.shape)
    row = function.scope[: step_position(function.scope)] if step is not None and record is None else ()
    return Node(function, "op", label, function.scope, step=step, row=row,
                chain=None if record is None else record.chain)


def _leaf_node(tensor: Any, show_shapes: bool) -> Node:
    shape = _shape_line(tensor.shape) if show_shapes else ""
    kind = "parameter" if _is_parameter(tensor) else "input"
    return Node(id(tensor), kind, f"{tensor.name or kind}{shape}", tensors=[tensor])


def _output_label(root: Tensor, backward: bool, show_shapes: bool) -> str:
    if backward:
        name = f"∂J/∂{root.name}" if root.name else "gradient"
    else:
        name = root.name or ("J" if root.numel() == 1 else "output")  # the loss, as every ∂J/∂… arrow names it
    return name + (_shape_line(root.shape) if show_shapes else "")


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
        for x in function.inputs:
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


def _shape_line(shape: tuple[int, ...]) -> str:
    """A node's line that gives its shape: none for a scalar (a loss J), whose "()" a room reads as nothing — the
    lectures write a scalar's shape nowhere.

    >>> _shape_line((1, 3)), _shape_line(())
    ('\\n(1, 3)', '')
    """
    return f"\n{_shape_text(shape)}" if len(shape) else ""


SHAPE_LINE = re.compile(r"\n\((\d+(, \d+)*,?)?\)$")  # a label's last line when it is a shape: (1, 3), (), (5,)


def _shapes_on_all_or_none(nodes: list[Node]) -> None:
    r"""One rule for a figure: where no computed node shows its shape (a cell, a step's op at cell level, J), no
    leaf does either — h₀ alone wrote "(1, 3)" beside cells and x_t that write none, as if h₀ were another kind
    of thing. Where ops show theirs (op level), the inputs keep theirs too.

    >>> nodes = [Node(0, "input", "h_0\n(1, 3)"), Node(1, "group", "RNN cell\nt=1")]
    >>> _shapes_on_all_or_none(nodes); [node.label for node in nodes]
    ['h_0', 'RNN cell\nt=1']
    """
    if any(SHAPE_LINE.search(node.label) for node in nodes if node.kind not in ("input", "parameter")):
        return
    for node in nodes:
        node.label = SHAPE_LINE.sub("", node.label)


def _apply_params(nodes: list[Node], edges, params: str, names: dict[int, tuple[str, str]]):
    """``params="once"``: each parameter drawn once (the layout gives its edges a tidy bus);
    "label": the nodes that use a parameter name it (W_hh) instead; "hide": not drawn. ``names``:
    each parameter node's (library name, name drawn), from ``parameter_names.name_parameters``."""
    if params == "once":  # each node its tensor's own name (weight_hh_l1), unless a lecture's is asked for
        for position, (short, drawn) in names.items():
            if not drawn.startswith(short):
                nodes[position].label = renamed(nodes[position].label, drawn)
        return nodes, edges
    parameters = {i for i, n in enumerate(nodes) if n.kind == "parameter"}
    if params == "label":
        used: dict[int, list[tuple[str, str]]] = {}
        layer_of = {}  # a parameter's layer and direction (weight_ih_l1_reverse: 1, 1): layer 1's first in every step
        for tail, head, _ in edges:
            if tail in parameters and names[tail] not in used.setdefault(head, []):
                used[head].append(names[tail])
                nodes[head].tensor_names[nodes[tail].key] = names[tail][1]  # which tensor goes by which name
                layer_of[names[tail]] = _layer_order(nodes[tail])
        for head, pairs in used.items():  # in PyTorch's order: W_ih, b_ih, W_hh, b_hh, W_hr — each in layer order
            drawn = [name for _, name in sorted(pairs, key=lambda pair: (_parameter_order(pair[0]), layer_of[pair]))]
            nodes[head].parameters = list(dict.fromkeys(drawn))  # a lecture's one b₁ for b_ih and b_hh: once
    kept = [i for i in range(len(nodes)) if i not in parameters]
    renumber = {old: new for new, old in enumerate(kept)}
    return [nodes[i] for i in kept], [(renumber[a], renumber[b], label) for a, b, label in edges
                                      if a in renumber and b in renumber]


def _parameter_order(name: str) -> tuple:
    """PyTorch's order: W_ih, b_ih, W_hh, b_hh, W_hr; a weight before its bias (head.weight, head.bias)."""
    last = name.rsplit(".", 1)[-1]
    return ("ih" not in last) + 2 * ("hr" in last), not last.startswith(("W", "weight")), name


def _layer_order(parameter: Node) -> tuple[int, bool]:
    """(layer, reverse) of a recurrent layer's parameter by its PyTorch name (weight_hh_l1_reverse: (1, True)), so
    that a step drawing several layers lists W_ih⁽¹⁾ before W_ih⁽²⁾ whichever edge came first; (0, False) else."""
    name = parameter.tensors[0].name if parameter.tensors and getattr(parameter.tensors[0], "name", None) else ""
    owner = owner_of(name)  # (module, layer, direction), read as the notation reads a layer's names
    return (owner[1], owner[2] == "reverse") if owner else (0, False)


def _keep_steps(nodes: list[Node], edges, time_steps: slice | tuple[int, ...]):
    """Keep the nodes of the chosen steps (``time_steps`` indexes the list of steps t=1…T, so
    slice(0, 3) keeps t=1, 2, 3, and (0, 1, 2, 18, 19) keeps t=1, 2, 3, 19, 20); nodes outside any
    step stay. One "…" node stands for each run of steps left out: the state flows from the last
    step drawn before it into it and from it into the next step drawn, and what those steps feed
    (J, the mean of the J_t) is reached through it. Steps are counted in time (an encoder's, then its
    decoder's: ``in_time``); a "…" names the steps it stands for as their chain does."""
    at = in_time(nodes, edges)
    steps = sorted({when for when, n in zip(at, nodes) if n.step is not None})
    chosen = set(steps[time_steps]) if isinstance(time_steps, slice) else {steps[k] for k in time_steps}
    dropped = {i for i, n in enumerate(nodes) if n.step is not None and at[i] not in chosen}
    if not dropped:
        return nodes, edges
    kept = [i for i in range(len(nodes)) if i not in dropped]
    renumber = {old: new for new, old in enumerate(kept)}
    result = [nodes[i] for i in kept]
    stands_for: dict[int, int] = {}  # a dropped node → its "…"
    for skipped in runs([t for t in steps if t not in chosen], steps):
        side = "before" if skipped[0] < min(chosen) else "after" if skipped[0] > max(chosen) else "between"
        plural = "s" if len(skipped) > 1 else ""
        shifts = {at[i] - nodes[i].step for i in dropped if at[i] in skipped}  # one chain's own steps, or two chains'
        named = f"\nt={_span([t - min(shifts) for t in skipped])}" if len(shifts) == 1 else ""
        label = {"before": f"… {len(skipped)} earlier time step{plural}",
                 "after": f"… {len(skipped)} more time step{plural}",
                 "between": f"…\n{len(skipped)} step{plural}{named}"}[side]  # narrow
        place = min(chosen) - 1 if side == "before" else max(chosen) + 1 if side == "after" else skipped[0]
        result.append(Node(("ellipsis", side, tuple(skipped)), "ellipsis", label, step=place, after=0))
        stands_for.update({i: len(result) - 1 for i in dropped if at[i] in skipped})
    new_edges = []
    for a, b, label in edges:
        if a in dropped and b in dropped:
            continue
        if (a in dropped and nodes[b].step is None and not _ends_the_loss(nodes[b])) or \
                (b in dropped and nodes[a].step is None):  # the "…" stands for steps, not their inputs or uses
            continue
        between_steps = nodes[a].step is not None and nodes[b].step is not None  # h₃ into "…": named
        if a in dropped and b not in dropped:
            result[stands_for[a]].carries[nodes[b].key] = a
        new_edges.append((stands_for.get(a, renumber.get(a)), stands_for.get(b, renumber.get(b)),
                          label if between_steps or not (a in dropped or b in dropped) else ""))
    linked = {i for edge in new_edges for i in edge[:2]}
    unused = {i for i, node in enumerate(result) if node.kind == "input" and i not in linked}  # h_0 of a dropped t=1
    if unused:
        keep = [i for i in range(len(result)) if i not in unused]
        renumber = {old: new for new, old in enumerate(keep)}
        result = [result[i] for i in keep]
        new_edges = [(renumber[a], renumber[b], label) for a, b, label in new_edges]
    return result, unique(new_edges)


def slide_steps(count: int, shown: int = 5) -> tuple[int, ...]:
    """The first and last of ``count`` steps, ``shown`` in all, the middle left out — t = 1, 2, 3, …,
    T−1, T as the lectures draw a long sequence (indexes into the list of steps, for ``time_steps``).

    >>> slide_steps(20), slide_steps(20, shown=4), slide_steps(3, shown=2)
    ((0, 1, 2, 18, 19), (0, 1, 18, 19), (0, 2))
    """
    first = (shown + 1) // 2
    return tuple(range(first)) + tuple(range(count - (shown - first), count))


def _span(steps: list[int]) -> str:
    """The steps of a run, as a figure names them: ``4…18``, or ``2`` for one.

    >>> _span([4, 5, 6]), _span([2])
    ('4…6', '2')
    """
    return f"{steps[0]}…{steps[-1]}" if len(steps) > 1 else str(steps[0])


def _ends_the_loss(node: Node) -> bool:
    """J, or the mean of the J_t: reached from the steps left out through their "…"."""
    return node.kind == "output" or is_sum_of_losses(node)
