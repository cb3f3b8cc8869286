"""Cells and steps: the ops of each cell application (level "cell") or time step ("step") merged
into one node, and everything between them folded into edges — step by step.

A value flowing between the cells is described by what it is made of, ("whole", sources) or
("sequence", dim, [sources of each slice]): ``carried_values.py`` follows it through the ops folded
into edges. Neighbours: ``step_projections.py`` (a layer's input projection drawn per step at op
level), ``backward_rules.py`` (a gradient graph's ops merged into one node per backward rule).

What a model does around its recurrent layers belongs to the step it serves, as the lectures
draw a language model: an op of the user's own code (outside every layer's scope) that computes
something from a sequence — the head's linear layer over all the outputs — is drawn once per
step (ŷ_t above cell t), and so is one whose result the layer reads step by step — the
embedding of all the tokens (e_t below cell t, its token x_t below it). A loss over a sequence
(cross-entropy) becomes one J_t per step and the node J that averages them. The layers' own
bookkeeping (the input projection of all steps, unbind, stack, indexing) folds into the cells.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

from ..function import Function
from ..steps import step_of
from .attention import attention_drawn, attention_of
from .carried_values import _carry, _one_step_read, _slice, _sources, sequence_picked, shapes_read, sources_of
from .loop_calls import calls_after_the_steps, inputs_of_each_step
from .picture import (
    CHOICE_INPUT,
    PER_STEP,
    Node,
    in_order,
    is_backward_rule,
    is_dropout_mask,
    step_position,
    subscript,
    sum_of_losses,
)
from .scripts import TO_SUBSCRIPT
from .step_states import (
    MARK_AFTER,
    STATES,
    cells_reaching_outputs,
    names_hidden,
    read_in_own_group,
    state_name,
    step_marks,
)
from .user_steps import cone, link_maps

BOOKKEEPING = ("unbind", "stack", "index", "reshape", "permute", "expand", "cat", "split")  # move values only
LOSSES = ("cross_entropy", "nll_loss")  # one J_t per step, averaged
NAMED_BY_ROLE = {"embedding": "e", "cross_entropy": "J", "nll_loss": "J"}  # the lectures' letters


def group_key(op: Node, level: str) -> tuple:
    """The group an op of a step is merged into: its cell's (row, step) at level "cell", its step's at "step"
    (the row's first part, its layer and direction)."""
    return op.row if level == "cell" else op.row[:1], op.step


def merge_groups(nodes: list[Node], links, level: str, gradient_only: bool = False):
    """Merge the op nodes of each cell application (level "cell") or time step ("step"). ``gradient_only`` (the
    picture a BPTT figure is made from): without the values a group reads only into ops whose results J never
    reads — their gradient is 0 (a step of two bidirectional layers reads h₄⁽²←⁾ into the reverse cell of layer
    2, which J = Σ output[-1] does not reach), and an arrow for it would say that one flows.

    A group's gradient norm is ‖∂J/∂h_t‖ of the state h it passes on (an LSTM cell's c_t is not in
    it: the lectures plot ‖∂J/∂h_t‖), or for a group that passes on no h, the norm of all it passes on."""
    group_of: dict[int, Any] = {}  # op position → (row, step) of its group
    for position, node in enumerate(nodes):
        if node.kind == "op" and node.step is not None:
            group_of[position] = group_key(node, level)
    keeps = {i for i, n in enumerate(nodes) if i not in group_of and (n.kind != "op" or is_sum_node(n))}
    layer_scopes = {_layer_scope(nodes[p]) for p in group_of}  # a layer's own ops run in its scope (RNN, …)
    own = {i for i, n in enumerate(nodes) if n.kind == "op" and i not in group_of and i not in keeps
           and not any(n.scope[: len(s)] == s for s in layer_scopes)}  # the user's ops, bookkeeping included
    users = {i for i in own if nodes[i].key.name not in BOOKKEEPING}
    attention = attention_of(nodes, links, group_of, own)  # op → the cell (row, step) whose attention it computes
    attention_sources: dict[Any, frozenset] = {}  # that cell → what its attention reads (h_i, s_{t−1})

    order = _forward_order(len(nodes), links)
    # generation: an embedding whose ids were chosen from scores (argmax) reads no value through that
    # link — its token is drawn as for any embedding, fed by a dashed edge from the node of the scores
    choices = {head: (tail, out) for tail, head, out, position in links if position == CHOICE_INPUT}
    chosen_by = {(tail, out): nodes[head].key.chosen_by for head, (tail, out) in choices.items()}  # argmax, sampled
    links = [link for link in links if link[3] != CHOICE_INPUT]
    incoming: dict[int, list[tuple[int, int, int]]] = {}
    for tail, head, out, position in links:
        incoming.setdefault(head, []).append((tail, out, position))
    values: dict[tuple[int, int], tuple] = {}  # (node, output index) → what it carries
    lazy_inputs: dict[int, list[tuple]] = {}  # a user's op: what its inputs carry (drawn per step if sliced)
    parts: dict[tuple[int, int], frozenset] = {}  # (user's op, slice k) → what slice k of it is made of
    side: dict[int, str] = {}  # a user's op drawn per step: "input" (below the cells) or "output" (above)
    reduced: dict[int, int] = {}  # a loss over a sequence → how many J_t it averages
    picked: dict[int, int | None] = {}  # such a loss over one sequence of a batch (logits[1, :2]) → that sequence

    marks = step_marks([nodes[p] for p in group_of]) if level == "step" else {}

    def state(tail: int, out: int) -> str:
        """What a cell's op passes on (h), with its chain's mark where one step holds several (h, ⁽²←⁾)."""
        name = state_name(nodes[tail], out)
        mark = marks.get(nodes[tail].chain, "") if name else ""
        return f"{name}{MARK_AFTER}{mark}" if mark else name

    def value(tail: int, out: int) -> tuple:
        if tail in group_of:
            return ("whole", frozenset({("group", group_of[tail], (state(tail, out), tail, out))}))  # (which value)
        if tail in keeps:  # an input leaf may be read slice by slice; a parameter, a Σ or a dropout mask is whole
            sliced = nodes[tail].kind == "input" and not is_dropout_mask(nodes[tail])
            return ("whole", frozenset({("leaf" if sliced else "node", tail, None)}))
        return values.get((tail, out), ("whole", frozenset()))

    # a user's op → its place in the forward order: per-step rows stack in it. Ops called once per
    # step (a generation loop) that do the same — the same op on the same parameters and shapes — share one row
    # (one Linear called on all of x and again on h_T reads two shapes: two calls, neither of them a loop's).
    rank: dict[int, int] = {}
    below_cells: set[int] = set()  # a user's op folded (read whole) that reads no cell's state: emb(x_t), proj(e_t)
    reads_cell: set[int] = set()  # one folded that does
    first_of: dict[tuple, int] = {}
    doing: dict[int, Any] = {}
    for position in order:
        parameters = frozenset(t for t, _, _ in incoming.get(position, []) if nodes[t].kind == "parameter")
        named = nodes[position].key.name if nodes[position].kind == "op" else None
        doing[position] = (named, parameters, shapes_read(nodes[position])) \
            if named and (parameters or named in LOSSES) else position
    for position in calls_after_the_steps(nodes, doing, group_of):  # proj(h_T) after a loop calling proj each step
        doing[position] = (*doing[position], "after the steps")
    repeats = Counter(doing.values())  # the same op on the same parameters (a loss on none), once per step: a loop's
    for position in order:
        rank[position] = first_of.setdefault(doing[position], len(rank))
        if position in group_of or position in keeps:
            continue
        inputs = [value(t, o) for t, o, _ in sorted(incoming.get(position, []), key=lambda item: item[2])]
        carried = _carry(nodes[position], inputs)
        if position in attention:  # one node in its decoder step, whatever encoder step the h_i it reads stands in
            key, itself = attention[position], ("attention", attention[position], None)
            attention_sources[key] = attention_sources.get(key, frozenset()) | (sources_of(inputs) - {itself})
            carried = [("whole", frozenset({itself}))] * len(carried)
        elif position in users:
            sequences = [v for v in inputs if v[0] == "sequence"]
            wholes = frozenset().union(*(v[1] for v in inputs if v[0] == "whole"))
            if nodes[position].key.name in LOSSES and len(sequences) == 1 and sequences[0][1] == 0:
                for k, piece in enumerate(sequences[0][2]):
                    parts[(position, k)] = piece | wholes
                side[position], reduced[position] = "output", len(sequences[0][2])
                if rank[position] in (rank[loss] for loss in reduced if loss != position):  # two calls' J₁: not
                    rank[position] = len(nodes) + position  # side by side in one row, each call's J_t a row of its own
                picked[position] = sequence_picked([nodes[t] for t, _, _ in incoming[position]])
                carried = [("whole", frozenset({("reduced", position, None)}))] * len(carried)
            elif carried[0][0] == "sequence":  # computed from a sequence, step by step: one node per step
                for k, piece in enumerate(carried[0][2]):
                    parts[(position, k)] = piece
                side[position] = "output"
                carried = [("sequence", carried[0][1], [frozenset({("split", position, k)})
                                                        for k in range(len(carried[0][2]))])] * len(carried)
            elif repeats[doing[position]] > 1 and _one_step_read(inputs, lazy_inputs, parts) and \
                    not any(s[0] == "op" and repeats[doing[s[1]]] == 1 for s in sources_of(inputs)):
                # called once per step (a loop's head on h_t, its loss on the head's ŷ_t): its own node above that step
                # — not a loss on a head called once (a classifier's on h_T, beside a tagger's cross_entropy)
                parts[(position, 0)] = sources_of(inputs)
                side[position] = "output"
                carried = [("whole", frozenset({("split", position, 0)}))] * len(carried)
            else:  # folded into what reads it, unless that reads it step by step (see slice_of)
                lazy_inputs[position] = inputs
                if nodes[position].key.name == "embedding" or (isinstance(doing[position], tuple) and not any(
                        s[0] not in ("leaf", "node", "op") or s[1] in reads_cell for s in sources_of(inputs))):
                    below_cells.add(position)  # computed from no cell's state: drawn below the cell reading it
                else:
                    reads_cell.add(position)
                carried = [("whole", frozenset({("op", position, None)}))] * len(carried)
        for out, piece in enumerate(carried):
            values[(position, out)] = piece

    def slice_of(position: int, k: int) -> frozenset:
        """What slice k of a user's op read step by step is made of: slice k of each input."""
        if (position, k) not in parts:
            side.setdefault(position, "input")
            pieces = [frozenset(_slice(s, k) for s in v[1]) if v[0] == "whole" else
                      (v[2][k] if k < len(v[2]) else frozenset()) for v in lazy_inputs[position]]
            # its token x_t below it; at generation the token chosen, which the choice feeds (see per_step_node)
            extra = {("token", position, k)} if nodes[position].key.name == "embedding" else set()
            parts[(position, k)] = frozenset().union(*pieces) | extra
        return parts[(position, k)]

    def drawn_sources(sources: frozenset, fold_all: bool = False) -> list[tuple]:
        """The sources that are drawn: a user's op read whole is folded into its own sources, unless it
        is drawn after the steps (a classifier's head and loss: ``after_the_steps``)."""
        found, stack, seen = [], sorted(sources, key=repr), set()
        while stack:
            source = stack.pop()
            if source in seen:
                continue
            seen.add(source)
            if source[0] == "op" and not fold_all and after_the_steps(source[1]):
                found.append(("after", source[1], None))
            elif source[0] == "op" and repeats[doing[source[1]]] > 1 and source[1] in below_cells:
                # a module called once per step before the cell (cell(proj(emb(x_t)), h)), read whole by it: that
                # step's e_t (linear t), drawn below it with its token x_t, as a layer's embedding of all the tokens
                found.append(("split", source[1], 0))
            elif source[0] == "op":
                stack.extend(sorted(sources_of(lazy_inputs[source[1]]), key=repr))
            else:
                found.append(source)
        return found

    feeds_output = {tail for tail, head, _, _ in links if nodes[head].kind == "output"}
    drawn_as_output = {id(t) for node in nodes if node.kind == "output" for t in node.tensors}

    def after_the_steps(position: int) -> bool:
        """A user's op read whole after the steps, drawn as the lectures draw a classifier (many-to-one):
        h_T → ŷ = linear → cross_entropy → J. It reads a parameter (the head), is a loss, or computes a
        value the user named (ŷ); a bare sum that is J itself (J = Σ h_T) folds into J."""
        node = nodes[position]
        if node.key.name == "embedding" or position in choices:  # drawn per step, below the cells
            return False
        reads_parameter = any(nodes[t].kind == "parameter" for t, _, _ in incoming.get(position, []))
        named = bool(_output_name(node)) and position not in feeds_output and node.key.name not in NAMED_BY_ROLE
        if not (reads_parameter or named or node.key.name in LOSSES):
            return False
        inputs = sources_of(lazy_inputs[position])
        return any(source[0] == "group" for source in drawn_sources(inputs, fold_all=True))

    groups: dict[Any, Node] = {}
    # nn.RNN(nonlinearity="relu")'s cell says so ("ReLU RNN cell"): drawn as "RNN cell", it is a tanh RNN's picture
    relu_cells = {key for position, key in group_of.items()  # (a fused step: its op's own nonlinearity)
                  if "relu" in (nodes[position].key.name, getattr(nodes[position].key, "nonlinearity", None))}
    for position, key in group_of.items():
        node = nodes[position]
        if key not in groups:
            (row, step) = key
            name = row[0] if len(row) > 1 else ""
            name = f"ReLU {name}" if key in relu_cells and name.startswith("RNN") else name
            label = (f"{name} cell".strip() if level == "cell" else "step")
            if is_backward_rule(node):
                label += ", backward"
            label += f"\nt={step}"
            groups[key] = Node(key, "group", label, node.scope[: step_position(node.scope) + 1]
                               if level == "cell" else row + (f"t={step}",), step=step, row=row,
                               chain=node.chain if level == "cell" else None,
                               after=None if node.chain is None else node.chain.after)
    result: list[Node] = []
    index: dict[Any, int] = {}

    def place(key: Any, make) -> int:
        if key not in index:
            index[key] = len(result)
            result.append(make())
        return index[key]

    read_whole = {t for t, h, _, _ in links if h in keeps or h in group_of}  # else only its slices are drawn
    for position, node in enumerate(nodes):
        if position in group_of:
            place(("group", group_of[position]), lambda p=position: groups[group_of[p]])
        elif position in keeps and (node.kind != "input" or position in read_whole):
            place(("node", position), lambda node=node: node)
    edges: list[tuple[int, int, str]] = []
    slices_used: dict[int, set[int]] = {}
    sliced: list[tuple[int, int, int, Any]] = []  # (leaf position, slice, head, head's step)
    pending: list[tuple[int, frozenset, bool]] = []  # (drawn node, its sources, is it a Σ over steps)
    read_by_decoder: set = set()  # the per-step nodes (e_t) a decoder's cell or step reads: their x_t is y_{t−1}

    def per_step_node(source: tuple, reader_step: int | None = None, reader_row: tuple = (),
                      reader: Node | None = None) -> int:
        """The node drawn for one step of a user's op (e_t, ŷ_t, J_t), for the mean of the J_t, or for x_t.
        Its step is that of the cell it comes from or, below the cells, of the one that reads it (a
        decoder's own step, 1…T′); k + 1 for slice k where neither says."""
        kind, position, k = source
        if kind == "token":  # the ids an embedding reads, named as the user named them (x_t by default)
            name = getattr(nodes[position].key, "ids_name", None) or "x"
            step = reader_step if reader_step is not None else k + 1
            # a decoder (a chain handed its first state: Chain.after) reads at step t the token of step t − 1:
            # y₀ = [BEGIN], then the true (or chosen) y_{t−1}
            # (its reader an embedding: a decoder's where a decoder's cell, or at step level its step, reads that)
            decoder = reader is not None and (reader.after or reader.key in read_by_decoder)
            shown = step - 1 if decoder else step
            new = source not in index
            drawn = place(source, lambda: Node(source, "input", subscript(name, shown), step=step))
            if new and position in choices:  # generation: s_{t−1} → (argmax) the id chosen → e_t, as the code runs
                pending.append((drawn, frozenset({("choice", *choices[position])}), False))
            return drawn
        op = nodes[position]
        if kind == "reduced":
            def make_mean() -> Node:
                mean = sum_of_losses(position, reduced[position] if _is_mean(op) else None, op.scope)
                mean.label += "" if picked[position] is None else f"\nsequence {picked[position] + 1}"
                own = _own_name(op, drawn_as_output)  # J = J_tag + J_cls: the tagger's mean by the user's name,
                if own:  # over the J_tagₜ its steps are drawn as
                    mean.label = f"{own} = {mean.label.replace('Jₜ', subscript(own, 't'))}"
                return mean
            new = source not in index
            drawn = place(source, make_mean)
            if new:
                pending.append((drawn, frozenset(("split", position, j) for j in range(reduced[position])), False))
            return drawn
        sources = parts[(position, k)] if side.get(position) == "output" or (position, k) in parts else \
            slice_of(position, k)
        new = source not in index
        if new:
            step = next((s[1][1] for s in drawn_sources(sources) if s[0] == "group"), None)
            if step is None:  # (a loop the user numbered from t=0 has a step 0)
                step = next((result[per_step_node(s, reader_step)].step for s in drawn_sources(sources)
                             if s[0] == "split"), None)
            if step is None:
                step = reader_step if reader_step is not None else k + 1
        drawn = place(source, lambda: Node(source, "group", per_step_label(op, step, picked.get(position)), op.scope,
                                            step=step, row=(PER_STEP, side[position], str(rank[position]),
                                                 *(reader_row if side[position] == "input" else ()))))
        if new:
            pending.append((drawn, sources, False))
        return drawn

    attention_row = (PER_STEP, "input", str(min((rank[p] for p in attention), default=0)))  # every step's, one row

    def attention_node(key: Any, reader: Node) -> int:
        """Decoder step t's attention (e_t → α_t → c_t), fed by what it reads (see ``attention_drawn``)."""
        source = ("attention", key, None)
        new = source not in index
        drawn = place(source, lambda: attention_drawn(  # (the scope looked up only where it is drawn)
            source, reader, next(nodes[p].scope for p in reversed(order) if attention.get(p) == key), attention_row))
        if new:
            pending.append((drawn, attention_sources[key], False))
        return drawn

    def after_node(position: int) -> int:
        """The node of a user's op drawn after the steps (ŷ = linear), its inputs connected in their turn."""
        op, key = nodes[position], ("after", position, None)
        new = key not in index
        drawn = place(key, lambda: Node(key, "op", _after_label(op, drawn_as_output), op.scope, tensors=op.tensors,
                                        gradient_norm=op.gradient_norm))
        if new:
            pending.append((drawn, sources_of(lazy_inputs[position]), False))
        return drawn

    def connect(head_index: int, sources: frozenset, into_sum: bool) -> None:
        for source in drawn_sources(sources):
            if source[0] == "group":
                tail_index = index[("group", source[1])]
                if tail_index != head_index:  # each value its own arrow, named or not (h₁ and g₁ of two loops)
                    step, (name, _, mark) = source[1][1], source[2][0].partition(MARK_AFTER)
                    label = subscript(name, step) + mark if name else ""
                    edges.append((tail_index, head_index, f"t={step}", None) if into_sum else
                                 (tail_index, head_index, label, source[2][1:]))
            elif source[0] == "attention":  # c_t, into the cell of its step
                edges.append((attention_node(source[1], result[head_index]), head_index,
                              subscript("c", result[head_index].step)))
            elif source[0] == "after":  # the head and the loss after the last step
                edges.append((after_node(source[1]), head_index, ""))
            elif source[0] in ("split", "reduced", "token"):  # the node itself names what it passes on
                reader = result[head_index]  # (below the cells: in the block of the chain it feeds)
                if reader.after:
                    read_by_decoder.add(source)
                edges.append((per_step_node(source, reader.step, reader.row if reader.chain else (), reader),
                              head_index, ""))
            elif source[0] == "choice":  # ŷ_{t−1} = argmax of the scores, fed in as the next input
                for chosen in drawn_sources(_sources(value(source[1], source[2]))):
                    if chosen[0] == "split":  # the scores of one step of the head: its ŷ_t node
                        tail_index = per_step_node(chosen)
                    elif chosen[0] == "group":  # scores computed inside a cell
                        tail_index = index[("group", chosen[1])]
                    else:
                        tail_index = place(("node", chosen[1]), lambda p=chosen[1]: nodes[p])
                    edges.append((tail_index, head_index, chosen_by[(source[1], source[2])]))
            elif source[2] is None:
                tail_index = place(("node", source[1]), lambda node=nodes[source[1]]: node)
                edges.append((tail_index, head_index, ""))
            else:
                sliced.append((source[1], source[2], head_index, result[head_index].step))
                slices_used.setdefault(source[1], set()).add(result[head_index].step)

    live = cells_reaching_outputs(*merge_groups(nodes, links, "cell")) if gradient_only else None
    for tail, head, out, _ in links:
        if head not in group_of and head not in keeps:
            continue
        if live is not None and tail in group_of and head in group_of and (nodes[head].row, nodes[head].step) \
                not in live:  # a state into a cell J does not reach (its weights stay: their terms are the Σ's)
            continue
        head_index = index[("group", group_of[head])] if head in group_of else index[("node", head)]
        connect(head_index, _sources(value(tail, out)), head in keeps and is_sum_node(nodes[head]))
    while pending:  # the per-step nodes made on the way, fed in their turn
        drawn, sources, into_sum = pending.pop(0)
        connect(drawn, sources, into_sum)
    for leaf, piece, head_index, step in sliced:  # x read step by step: x_1 → cell 1, x_2 → cell 2, …
        by_time = len(slices_used[leaf]) > 1
        base = nodes[leaf]

        def make(base=base, piece=piece, step=step, by_time=by_time) -> Node:
            name, _, lines = base.label.partition("\n")
            label = f"{name}{str(step).translate(TO_SUBSCRIPT)}" if by_time and step is not None else name
            label += "".join(f"\n{line}" for line in lines.split("\n") if line and not line.startswith("("))  # (h₀
            # a parameter says so, as the whole leaf did: its shape alone is dropped)
            return Node((base.key, piece), base.kind, label, tensors=base.tensors,
                        step=step if by_time else None, initial=base.initial and not by_time)  # (one layer's h₀)

        tail_index = place(("slice", leaf, piece), make)
        edges.append((tail_index, head_index, ""))
    leaving = {t for t, h, _, _ in links if t in group_of and group_of.get(h) != group_of[t]}
    for tail, head, out, _ in links:  # an LSTM's c_t: passed on, and read in its own cell (h_t = o_t ⊙ tanh c_t)
        if tail in leaving and group_of.get(head) == group_of[tail] and state_name(nodes[tail], out):
            groups[group_of[tail]].read_inside.add(state(tail, out).replace(MARK_AFTER, ""))
    if marks:  # one step of several layers: h₃⁽¹⁾ is read in its own step too, by layer 2 (through the ops between)
        for tail, out in read_in_own_group(links, group_of, leaving):
            if state_name(nodes[tail], out):
                groups[group_of[tail]].read_inside.add(state(tail, out).replace(MARK_AFTER, ""))
    # the colour of a cell: ‖∂J/∂h_t‖ where it passes on a state named h (what the lectures plot, and
    # what a figure's title says — an LSTM's c_t is not in it), else the norm of all it passes on
    hidden = {key for position, key in group_of.items() if position in leaving and names_hidden(nodes[position])}
    for position, key in group_of.items():
        norm = nodes[position].gradient_norm
        if norm is not None and position in leaving and (key not in hidden or names_hidden(nodes[position])):
            group = groups[key]
            group.gradient_norm = ((group.gradient_norm or 0.0) ** 2 + norm**2) ** 0.5
    if marks:  # one step of several layers: h_0 of layer 1 and of layer 2 are two tensors, h_0⁽¹⁾ and h_0⁽²⁾
        for position, mark in _initial_state_marks(nodes, links, group_of, marks).items():
            if ("node", position) in index:
                drawn = result[index[("node", position)]]
                first, newline, rest = drawn.label.partition("\n")
                result[index[("node", position)]] = replace(drawn, label=first + mark + newline + rest)
    edges = [edge[:3] for edge in unique(edges)]
    inputs_of_each_step(result, edges)
    return result, edges


def _initial_state_marks(nodes: list[Node], links, group_of: dict[int, Any], marks: dict[Any, str]) -> dict[int, str]:
    """At step level, the mark (⁽²⁾) of each initial state (h_0, c_0) that one chain alone reads: the cell level
    marks it by the cell it enters, but a step node holds every layer. Found forward from the leaf, through the ops
    outside the groups (an index of a stacked h_0), to the first op of a group on each path."""
    readers = link_maps(links).readers
    found = {}
    for position, node in enumerate(nodes):
        if node.kind != "input" or node.label.split("\n")[0] not in ("h_0", "c_0"):
            continue
        reached = cone(position, readers, lambda p: True, lambda p: p not in group_of)
        chains = {nodes[p].chain for p in reached[1:] if p in group_of}
        if len(chains) == 1 and marks.get(next(iter(chains))):  # one tensor read by two layers stays unmarked
            found[position] = marks[next(iter(chains))]
    return found


def _layer_scope(op: Node) -> tuple[str, ...]:
    """The scope a layer's own ops run in (the op one of its steps): the scopes the user put around the call, then
    the layer's name (("RNN",) of ("RNN", "layer 0", …)) — the user's other ops in that step (("t=1",), or a scope
    the user named ("dec t=1",)) are not the layer's. An op of a step the user wrote: its scope's first part, and
    the "t=k" after it.

    >>> from tinygrad_rnn.steps import Chain
    >>> lstm, cell = Chain("LSTM", 0, "forward"), Chain("dec", 0, "forward")
    >>> _layer_scope(Node(0, "op", "tanh", ("LSTM", "layer 0", "forward", "t=2"), chain=lstm))
    ('LSTM',)
    >>> _layer_scope(Node(0, "op", "tanh", ("dec t=2", "dec", "layer 0", "forward", "t=2"), chain=cell))
    ('dec t=2', 'dec')
    >>> _layer_scope(Node(0, "op", "tanh", ("t=2",))), _layer_scope(Node(0, "op", "tanh", ("block", "t=2")))
    (('t=2',), ('block',))
    """
    scope, chain = op.scope, op.chain
    if chain is not None and f"layer {chain.layer}" in scope[1:]:  # (…, module, "layer k", direction, "t=k")
        return scope[: len(scope) - 1 - scope[::-1].index(f"layer {chain.layer}")]
    return scope[: 2 if step_of(scope[:1]) is not None else 1]


def is_sum_node(node: Node) -> bool:
    """A Σ node outside the steps (a shared weight's gradient) stays at every level."""
    return isinstance(node.key, Function) and node.key.name == "add_n"


def _is_mean(op: Node) -> bool:
    return getattr(op.key, "count", 1.0) != 1.0 or op.key.name == "nll_loss"


def _output_name(op: Node) -> str:
    """The name a user gave what an op computed (the logits ŷ), or the lectures' letter for its role."""
    named = next((t.name for t in op.tensors if t.name and t.name not in STATES), None)
    return named or NAMED_BY_ROLE.get(op.key.name, "")


def per_step_label(op: Node, step: int, sequence: int | None = None) -> str:
    """e₃ = embedding, J₃ = cross_entropy, linear for ŷ₃ when unnamed: one step of a user's op (of one ``sequence``)."""
    name, which = _output_name(op), "" if sequence is None else f"\nsequence {sequence + 1}"
    return (f"{subscript(name, step)} = {op.key.name}" if name else f"{op.key.name}\nt={step}") + which


def _own_name(op: Node, output_tensors: set[int]) -> str:
    """The name the user gave what an op computed, where that is not what is drawn as J (J_tag, J_cls in
    J = J_tag + J_cls): "" for a loss that is J itself, or unnamed."""
    return next((t.name for t in op.tensors if t.name and t.name not in STATES and id(t) not in output_tensors), "")


def _after_label(op: Node, output_tensors: set[int] = frozenset()) -> str:
    """ŷ = linear for the head whose result the user named ŷ; cross_entropy for the loss, whose result is J — unless
    J adds it to other terms and the user named it (J_cls = cross_entropy, in J = J_tag + J_cls): no step subscript,
    as it reads one state. ``output_tensors``: the ids of the tensors drawn as J."""
    own = _own_name(op, output_tensors)
    name = own if op.key.name in LOSSES else _output_name(op)
    return f"{name} = {op.key.name}" if name else op.key.name


def _forward_order(count: int, links) -> list[int]:
    """Node positions with every node after the nodes it reads."""
    predecessors: list[list[int]] = [[] for _ in range(count)]
    for tail, head, _, _ in links:
        predecessors[head].append(tail)
    return in_order(list(range(count)), predecessors, set(range(count)))


def unique(edges):
    return list(dict.fromkeys(edges))  # (in their order, each once)
