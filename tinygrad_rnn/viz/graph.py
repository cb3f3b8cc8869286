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

Its neighbours: ``walk.py`` (the walk and the nodes it makes), ``node_details.py`` (shapes, values,
gradient norms in the labels), ``parameter_drawing.py`` (``params=``), ``kept_steps.py`` (``time_steps=``
and a slide's "…").
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..errors import GraphError
from ..function import Node as GraphNode
from ..tensor import Tensor
from .attention import attention_ops, place_attention_ops
from .backward_rules import forward_names, merge_backward_rules, name_linear_weights, name_unread_weights
from .concatenated import concatenations, write_concatenations
from .detached import around_cuts, cuts_in_time, detached_sources, draw_detached, name_cuts
from .dropout_arrows import fold_dropout_steps
from .found_steps import FOUND_NOTE, find_steps
from .initial_states import (
    decoder_reads,
    name_decoder_words,
    name_dropout,
    name_dropout_steps,
    name_initial_states,
    name_loop_weights,
    name_step_inputs,
    split_shared_initial_states,
)
from .kept_steps import chains_in_time, keep_steps, steps_within_chains
from .levels import group_key, merge_groups
from .loss_targets import loss_targets
from .node_details import (
    attach_gradient_norms,
    clipped_note,
    coloured_norms,
    mark_updated_leaves,
    shapes_on_all_or_none,
    updated_note,
    values_text,
)
from .notation import Notation, cells_of_weights, resolve, short_name
from .overlaid import overlaid_picture
from .parameter_drawing import apply_params
from .parameter_names import borrowed_head_notes, input_weight_notes, name_parameters, parameter_notes
from .parameter_roles import parameter_roles
from .picture import (
    Node,
    Picture,
    chain_rows,
    display_label,
    in_order,
    steps_in_time,
)
from .running_masks import fold_running_masks, lengths_notes, name_final_states, padding_left_out
from .running_sums import draw_as_sum, draw_as_sum_of_ops, take_out_of_steps
from .sequence_loss import name_sequence_loss
from .step_projections import per_step_projections
from .step_states import cells_reaching_outputs
from .stepwise import stepwise_graph
from .user_steps import (
    link_maps,
    loops_numbered_from_0,
    place_model_ops,
    renumbered_note,
    split_recurrences,
    steps_holding_calls,
)
from .value_names import name_values
from .views import bptt_picture, forward_and_backward_picture, rolled_picture
from .walk import (
    fold_transposed_weights,
    gradients_of,
    leaves_of,
    place_step_inputs,
    token_inputs,
    walk,
    write_loss_indexes,
)
from .weight_key import write_weight_key

__all__ = ["build_picture", "Node", "Picture", "display_label", "in_order", "LEVELS", "PARAMS"]

LEVELS = ("op", "cell", "step")
PARAMS = ("once", "label", "key", "hide")
SLIDE_STEPS = 8  # a slide draws this many steps whole; a longer sequence elides its middle
# what a cell-level figure says where no op records a step and none is found in the graph (found_steps.py): true of
# a model without a recurrence and of a loop written without scopes alike (a loop of nn.RNNCell calls records its
# steps itself, as a layer does, and so does a module of the user's fed its own state)
NO_STEPS = ('No time steps found, so every op is drawn: write each step of a loop under tr.scope(f"t={t}"), or its '
            "cell as an nn.Module called h = cell(x_t, h)")


def build_picture(tensors: tuple[Tensor, ...], level: str = "op", backward: bool | str = False,
                  show_shapes: bool = True, show_values: bool = False, show_grads: bool = False,
                  time_steps: slice | None = None, max_nodes: int | None = None,
                  grad_range: tuple[float, float] | None = None, params: str | None = None,
                  rolled: bool = False, notation: Any = None, tokens: list[str] | None = None,
                  slide: bool = False, targets: list[str] | None = None, values_named: bool = True,
                  weight_sums: bool = False, dropouts_on_arrows: bool = False) -> Picture:
    """The picture of the graph that computed ``tensors``; see :func:`tinygrad_rnn.viz.to_dot`.
    ``values_named=False``: as it is before its values are written in the notation and marked with their chains
    (h₃ and J₃, not h⁽³⁾ or h₃⁽¹⁾): what the rule of the gradient arrows' labels reads (gradient_labels.py).
    ``weight_sums``: the forward figure with the BPTT figure's Σ of each row's shared weights, one arrow from
    every step into it (:func:`.overlaid.overlaid_picture`, ``sums_only``): what the lecture page's sums stage shows.
    ``dropouts_on_arrows``: each step's dropout a mark on its arrow, not a node (a slide's fit ladder:
    :func:`.dropout_arrows.fold_dropout_steps`)."""
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
    keyed, params = params == "key", "label" if params == "key" else params  # labelled, then the key (weight_key.py)
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
    if weight_sums and (level == "op" or rolled or backward):
        raise ValueError("viz: weight_sums=True adds the Σ nodes to a forward figure of cells or steps, unrolled")
    recorded = backward is True and not _is_gradient(roots) and level == "op"  # op level: the recorded gradient graph
    bptt = bool(backward) and not _is_gradient(roots) and level != "op"  # cells: the BPTT figure (views.py)
    needs_values = {"backward=True": recorded, "show_grads=True": show_grads}
    for option, needed in needs_values.items():
        if needed:
            _check_not_freed(roots, option)
    found = not _is_gradient(roots) and find_steps(roots)  # a loop calling a plain function: its steps, if certain
    drawn = stepwise_graph(roots)  # a fused layer node (fused=True) is drawn step by step: its steps as columns
    layer_nodes, roots = drawn is not roots, drawn
    live, attended, named = None, None, None
    if recorded:  # the cells J reaches, read off the forward figure: the rules of any other hand on only zeros
        cells = _picture_of(roots, "cell", False, False, False, False, None, "label", layer_nodes)
        live = cells_reaching_outputs(cells.nodes, cells.edges, lambda cell: (cell.chain, cell.step))
        attended = _attention_in_steps(roots)  # its rules drawn where the forward figure draws its ops
        named = forward_names(roots)  # each rule named as the forward figure names its op (h₁ = …, backward)
        roots = gradients_of(roots)
    gradient_graph = backward is True and not bptt  # drawn as recorded: made here (op level), or given
    def drawn_picture(gradient_only: bool) -> Picture:
        return _picture_of(roots, level, gradient_graph, show_shapes, show_values, show_grads, time_steps,
                           "label" if gradient_only or bptt else params, layer_nodes, notation, slide and not rolled,
                           gradient_only, live, attended, named)

    picture = drawn_picture(gradient_only=bptt and not both)
    if layer_nodes:
        picture.notes[:0] = ["A fused layer is one node for the whole sequence, drawn as its steps",
                             "fused=False records those primitive ops themselves"]
    if both and slide:  # as a slide draws BPTT: the gradient's arrows back along the forward nodes (overlaid.py)
        picture = overlaid_picture(picture, gradient=drawn_picture(gradient_only=True))
    elif both:  # free size: the backward rows under the forward rows, a node per backward call
        picture = forward_and_backward_picture(picture, gradient=drawn_picture(gradient_only=True))
    elif weight_sums:  # each row's Σ and the arrows of its terms, nothing else of the gradient (overlaid.py)
        picture = overlaid_picture(picture, gradient=drawn_picture(gradient_only=True), sums_only=True)
    elif bptt:
        # rolled: labels that hold at any step t (and its one cell says "backward")
        picture = bptt_picture(picture, generic=rolled, slide=slide and not rolled)
    if rolled:
        picture = rolled_picture(picture)
    elif not backward:  # (before the notation writes the states: h⁽²⁾ on a dashed arrow as on a solid one)
        name_cuts(picture)  # the state a detach() hands on, named on its dashed arrow: h₂
    picture.notes[:0] = renumbered_note(loops_numbered_from_0(roots))  # (once, whatever view: its steps t=1…T)
    picture.notes[:0] = [FOUND_NOTE] if found else []
    if not values_named:
        return picture
    # what each J_t predicts: the words written by tokens=, and the target a BPTT figure's ∂J/∂sₜ note names
    known = loss_targets(tensors) if (tokens is not None and targets is None) or backward else None
    leaves = [t for t in leaves_of(roots) if t.name]  # the layers' cells by their weights: gone from the picture
    cells = cells_of_weights([(t.name, t) for t in leaves])  # each module's own (a GRU beside an RNN: both)
    written_in = name_values(picture, notation.for_cells(cells), {short_name(t.name) for t in leaves},
                             params != "hide", tokens, targets, known)
    name_unread_weights(picture.nodes, picture.edges)  # by the gradients' names: δᵀ x for W_ih
    picture.notes += input_weight_notes(picture, notation)  # CS224N's W_e drawn on x⁽ᵗ⁾: what x⁽ᵗ⁾ stands for
    picture.notes += borrowed_head_notes(picture, notation)  # USC's figure writing W_hy, b_y: whose they are
    if level != "op":  # each sequence's h_n, where a batch ran with lengths=
        modules = {node.chain: node.row[0] for node in picture.nodes if node.chain is not None and node.row}
        loss = written_in.symbol("J") if backward else ""  # (∂L/∂hₜ, as its arrows)
        picture.notes += lengths_notes(roots, notation, modules, gradient_of=loss)
    else:  # the op level draws each step's mask and each loss call; which outputs the loss leaves out, it says
        picture.notes += padding_left_out(tensors, written_in.symbol("J"))  # (a BPTT figure's roots: its gradients)
    if level != "op" and not backward:  # a head's states that a cat joined: [h₄⁽→⁾; h₁⁽←⁾] under its name
        write_concatenations(picture, concatenations(tensors), notation)
    if show_grads:  # the scale spans the norms drawn, unless fixed (to compare several figures)
        norms = [norm for norm in coloured_norms(picture.nodes) if norm]  # (a figure of cells: theirs alone)
        picture.legend = tuple(grad_range) if grad_range else (picture.legend or ((min(norms), max(norms)) if norms
                                                                                 else None))
    if slide:  # a scalar's shape () says nothing on a slide
        for node in picture.nodes:
            if node.kind == "output" and node.label.endswith("\n()") and node.tensors and node.tensors[0].ndim == 0:
                node.label = node.label[: -len("\n()")]
    if keyed:  # (after the names are written: the key says them as the cells would)
        write_weight_key(picture, notation)
    if dropouts_on_arrows and level != "op":  # (after the names are written: the arrow says d₁, as the node did)
        fold_dropout_steps(picture)
    shapes_on_all_or_none(picture.nodes)
    picture.slide = slide
    if max_nodes is not None and len(picture.nodes) > max_nodes:
        raise ValueError(f"viz: the graph has {len(picture.nodes)} nodes, more than max_nodes={max_nodes}. Draw it "
                         "with level='cell' or level='step', or only some steps with time_steps=slice(0, 5)")
    return picture


def _picture_of(roots: tuple[Tensor, ...], level: str, backward: bool, show_shapes: bool, show_values: bool,
                show_grads: bool, time_steps: slice | None, params: str, layer_nodes: bool = False,
                notation: Notation | None = None, elide: bool = False, gradient_only: bool = False,
                live: set | None = None, attended: dict | None = None, named: dict[int, str] | None = None
                ) -> Picture:
    """The picture of the recorded graph (forward, or a recorded gradient graph), at ``level``; ``elide``:
    a long sequence's middle steps left out, as on a slide (unless ``time_steps`` chooses); ``gradient_only``:
    the edges a BPTT figure draws, none that carries a zero gradient (:func:`~.levels.merge_groups`); ``live`` and
    ``attended``: what a recorded gradient graph reads off the forward figure (:func:`.merge_backward_rules`)."""
    from_0 = loops_numbered_from_0(roots)  # a loop's scopes t=0…T−1: drawn as t=1…T, and a key line says so
    nodes, edges, links, outputs_of, kept_values = walk(roots, backward, show_shapes, from_0)
    rows = chain_rows([node.chain for node in nodes if node.chain is not None])
    for node in nodes:  # each chain its own row, whatever its scope strings say
        if node.chain is not None:
            node.row = rows[node.chain]
    chains = {node.chain for node in nodes if node.chain is not None}  # (before a user's "t=k" takes a cell's ops in)
    nodes, edges, links, outputs_of = fold_transposed_weights(nodes, edges, links, outputs_of)
    split_shared_initial_states(nodes, edges, links, chains)  # h = c = zeros: drawn as h_0 and as c_0
    notes = []
    steps_holding_calls(nodes, level)  # a scope around a cell's call is its time step: the calls in it drawn apart
    maps = link_maps(links)  # which node feeds which: built once for the two passes that read it here
    first_cones = split_recurrences(nodes, maps)  # two recurrences a hand-written step computes: two rows
    name_initial_states(nodes, links, maps, chains, first_cones)  # h_0 (c_0) handed to a cell, a layer or a loop
    name_loop_weights(nodes, links)  # a hand loop's unnamed W = tr.randn(…, requires_grad=True): W_hh, W_ih, b
    roles = parameter_roles(nodes, links)  # the embedding and the head, by what they do (read before merging)
    decoded = decoder_reads(nodes, maps.readers)  # a decoder's words: y_t, not the encoder's x_t again
    dropped = name_dropout(nodes, maps.readers)  # a dropout mask, not "input"; the ops that multiply by it
    taken = list(nodes)  # (the op level rebuilds its list: J's sum found by the nodes themselves)
    detached = detached_sources(nodes) if not backward else {}  # truncated BPTT: the values carried across a cut
    summed = take_out_of_steps(nodes, links, maps) if not (level == "op" and backward) else ({}, None)  # J's sum
    if level != "op" and not any(n.kind == "op" and n.step is not None for n in nodes):
        level = "op"  # no step recorded (a window model, or a loop written without scopes): no cells to merge into
        notes.append(NO_STEPS)
    if level == "op" and not backward:  # (cells and steps draw x_t under each step's embedding: levels.py)
        place_attention_ops(nodes, links)  # a decoder's attention in the step whose cell it feeds (attention.py)
        place_model_ops(nodes, maps, summed[0])  # a loop without scopes: its embedding, head and loss by their steps
        edges = edges + token_inputs(nodes, show_shapes)
        place_step_inputs(nodes, edges)
        write_loss_indexes(nodes, edges)  # index [1, :2] → cross_entropy: which positions each loss call reads
    if show_grads:
        attach_gradient_norms(roots, nodes, outputs_of)
    if show_values:
        for node in nodes:
            node.label += values_text(node.tensors, kept_values)
        mark_updated_leaves(nodes, links)  # after opt.step(): a weight's new values, said to be new
    reads = _reads_per_group(nodes, links, level) if level != "op" else {}  # W twice a step: two terms of its Σ
    if level != "op":  # (the masks of a batch run with lengths= are no input under a cell: a key line says them)
        unmasked, masked = fold_running_masks(nodes, links)
        nodes, edges = draw_as_sum(nodes, summed, *merge_groups(nodes, unmasked, level, gradient_only), level)
        edges = name_final_states(nodes, edges, masked)  # h_n, each sequence's last state: not h_T
    elif not backward:  # each step's input projection in its column, x_t entering it from below
        nodes, edges = per_step_projections(nodes, edges, links, show_shapes) or (nodes, edges)
        nodes, edges = draw_as_sum_of_ops(nodes, edges, summed, taken)  # J_t and (1/T) Σₜ Jₜ, as cells draw them
    else:  # a recorded gradient graph: one node per backward rule, named by what it does to δ
        nodes, edges = merge_backward_rules(nodes, edges, live, attended, named)
    nodes, edges = draw_detached(nodes, edges, detached, taken, level)  # dashed from the step that computed it
    name_step_inputs(nodes, edges)  # x_t, not "input₂", at every level; a second module's y_t
    name_decoder_words(nodes, decoded)  # a decoder's y_t, y₀ = [BEGIN] first
    notation = notation or resolve(None)
    notes += name_sequence_loss(nodes, edges, notation, roles)  # J_seq = cross_entropy beside the Jₜ, not unnamed
    notes += name_dropout_steps(nodes, edges, dropped, notation)  # "d₂ = dropout", not "mul t=2"; a mask fed to cells
    names = name_parameters(nodes, edges, notation, roles)  # by identity: W_hh⁽¹⁾ and W_hh⁽²⁾ are two tensors
    if level == "op" and backward:  # a linear's rule names its weight: W_ih or W_hh, as the figure writes it
        name_linear_weights(nodes, names)
    if show_grads or backward or gradient_only:  # a gradient drawn (‖∂J/∂h_t‖, Σₜ ∂J/∂W): clipping since, said
        notes += clipped_note(nodes, names, roots, show_grads)
    shared = parameter_notes(nodes, edges, names, notation) if params == "label" else []
    nodes, edges = apply_params(nodes, edges, params, names)
    for node in nodes:  # (by the name drawn: one b_h for b_ih and b_hh is two tensors, each read once a step)
        for key, name in node.tensor_names.items():
            if reads.get((key, node.key), 1) > 1:
                node.uses[name] = max(node.uses.get(name, 1), reads[(key, node.key)])
    legend = None
    count = len(steps_in_time(nodes, edges))  # in time: an encoder's S and its decoder's T′ steps
    if elide and time_steps is None and count > SLIDE_STEPS:  # within each chain: every handover drawn (None where
        time_steps = steps_within_chains(chains_in_time(nodes, edges))  # its chains' ends are more than 5: all)
        time_steps = time_steps and around_cuts(time_steps, count, cuts_in_time(nodes, edges), beside=backward)
    if time_steps is not None:
        norms = [norm for norm in coloured_norms(nodes) if norm]
        if norms and time_steps != slice(None):  # coloured on the scale of the whole sequence: a slice alone would
            # stretch a 2× range into a rainbow (every step drawn: nothing to say)
            legend = (min(norms), max(norms))
            total = count
            notes.append(f"Colours on the scale of all {total} time steps, not only of those drawn")
        nodes, edges = keep_steps(nodes, edges, time_steps)
    fused = any(n.kind == "op" and getattr(n.key, "name", "").startswith("fused") for n in nodes)  # (Σₜ Jₜ: no op)
    if level == "op" and fused and not layer_nodes:
        notes.append("Fused cells are one op per step: build the layer with fused=False to draw its primitive ops")
    if params == "label" and any(n.parameters for n in nodes):
        notes += shared
    if show_values:
        notes += updated_note(nodes)
    return Picture(nodes, edges, backward=backward, notes=notes, legend=legend)


def _attention_in_steps(roots: tuple[Tensor, ...]) -> dict:
    """{forward op: (row, step, after, name)} for each op of a hand-written attention, as the forward figure at op level
    places and names it (:func:`.attention.attention_ops`): where a recorded gradient graph draws its rule."""
    nodes, _, links, _, _ = walk(roots, False, False, loops_numbered_from_0(roots))
    rows = chain_rows([node.chain for node in nodes if node.chain is not None])
    for node in nodes:
        if node.chain is not None:
            node.row = rows[node.chain]
    return {nodes[p].key: placed for p, placed in attention_ops(nodes, links).items()}


def _reads_per_group(nodes: list[Node], links, level: str) -> Counter:
    """{(a parameter's key, the key of the cell or step its reader is merged into): how many ops there read it}:
    one term of its gradient each (``tr.grad_contributions``) — a Linear applied to x_t and to h_{t−1} in one step
    is two terms a step, not one."""
    return Counter((nodes[tail].key, group_key(nodes[head], level)) for tail, head, _, _ in links
                   if nodes[tail].kind == "parameter" and nodes[head].kind == "op" and nodes[head].step is not None)


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
        for x in function.parents:
            if isinstance(x, GraphNode) and id(x.grad_fn) not in seen:
                seen.add(id(x.grad_fn))
                stack.append(x.grad_fn)
