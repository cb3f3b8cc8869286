"""Cells and steps: the ops of each cell application (level "cell") or time step ("step") merged
into one node, and everything between them folded into edges — step by step.

A value flowing between the cells is described by what it is made of: ("whole", sources) for a
tensor, or ("sequence", dim, [sources of slice 0, slice 1, …]) for one stacked along a dimension
(a layer's output, a projected input). Sources are cells (groups), leaves and parameters; a leaf
read slice by slice (x, unbound along time) becomes one source per slice: x_1, x_2, …

What a model does around its recurrent layers belongs to the step it serves, as the lectures
draw a language model: an op of the user's own code (outside every layer's scope) that computes
something from a sequence — the head's linear layer over all the outputs — is drawn once per
step (ŷ_t above cell t), and so is one whose result the layer reads step by step — the
embedding of all the tokens (e_t below cell t, its token x_t below it). A loss over a sequence
(cross-entropy) becomes one J_t per step and the node J that averages them. The layers' own
bookkeeping (the input projection of all steps, unbind, stack, indexing) folds into the cells.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from typing import Any

import numpy

from ..engine import vertex_of
from ..function import Function
from ..steps import step_number, step_of
from .notation import SYMBOLS
from .picture import (
    CHOICE_INPUT,
    PER_STEP,
    Node,
    in_order,
    is_backward_rule,
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
    layer_scopes = {_layer_scope(nodes[p].scope) for p in group_of}  # a layer's own ops run in its scope (RNN, …)
    users = {i for i, n in enumerate(nodes) if n.kind == "op" and i not in group_of and i not in keeps
             and n.key.name not in BOOKKEEPING and not (n.scope and _layer_scope(n.scope) in layer_scopes)}

    order = _forward_order(len(nodes), links)
    # generation: an embedding whose ids were chosen from scores (ŷ_t = argmax) reads no value through
    # that link — it is drawn as a dashed edge from the node of the scores in place of the token x_t
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

    marks = step_marks([nodes[p] for p in group_of]) if level == "step" else {}

    def state(tail: int, out: int) -> str:
        """What a cell's op passes on (h), with its chain's mark where one step holds several (h, ⁽²←⁾)."""
        name = state_name(nodes[tail], out)
        mark = marks.get(nodes[tail].chain, "") if name else ""
        return f"{name}{MARK_AFTER}{mark}" if mark else name

    def value(tail: int, out: int) -> tuple:
        if tail in group_of:
            return ("whole", frozenset({("group", group_of[tail], state(tail, out))}))
        if tail in keeps:  # an input leaf may be read slice by slice; a parameter or Σ is whole
            return ("whole", frozenset({("leaf" if nodes[tail].kind == "input" else "node", tail, None)}))
        return values.get((tail, out), ("whole", frozenset()))

    # a user's op → its place in the forward order: per-step rows stack in it. Ops called once per
    # step (a generation loop) that do the same — the same op on the same parameters — share one row.
    rank: dict[int, int] = {}
    first_of: dict[tuple, int] = {}
    doing: dict[int, Any] = {}
    for position in order:
        parameters = frozenset(t for t, _, _ in incoming.get(position, []) if nodes[t].kind == "parameter")
        named = nodes[position].key.name if nodes[position].kind == "op" else None
        doing[position] = (named, parameters) if named and (parameters or named in LOSSES) else position
    repeats = Counter(doing.values())  # the same op on the same parameters (a loss on none), once per step: a loop's
    for position in order:
        rank[position] = first_of.setdefault(doing[position], len(rank))
        if position in group_of or position in keeps:
            continue
        inputs = [value(t, o) for t, o, _ in sorted(incoming.get(position, []), key=lambda item: item[2])]
        carried = _carry(nodes[position], inputs)
        if position in users:
            sequences = [v for v in inputs if v[0] == "sequence"]
            wholes = frozenset().union(*(v[1] for v in inputs if v[0] == "whole"))
            if nodes[position].key.name in LOSSES and len(sequences) == 1 and sequences[0][1] == 0:
                for k, piece in enumerate(sequences[0][2]):
                    parts[(position, k)] = piece | wholes
                side[position], reduced[position] = "output", len(sequences[0][2])
                carried = [("whole", frozenset({("reduced", position, None)}))] * len(carried)
            elif carried[0][0] == "sequence":  # computed from a sequence, step by step: one node per step
                for k, piece in enumerate(carried[0][2]):
                    parts[(position, k)] = piece
                side[position] = "output"
                carried = [("sequence", carried[0][1], [frozenset({("split", position, k)})
                                                        for k in range(len(carried[0][2]))])] * len(carried)
            elif repeats[doing[position]] > 1 and _one_step_read(inputs, lazy_inputs, parts):
                # called once per step (a loop's head on h_t, its loss on the head's ŷ_t): its own node above that step
                parts[(position, 0)] = frozenset().union(*(_sources(v) for v in inputs))
                side[position] = "output"
                carried = [("whole", frozenset({("split", position, 0)}))] * len(carried)
            else:  # folded into what reads it, unless that reads it step by step (see slice_of)
                lazy_inputs[position] = inputs
                carried = [("whole", frozenset({("op", position, None)}))] * len(carried)
        for out, piece in enumerate(carried):
            values[(position, out)] = piece

    def slice_of(position: int, k: int) -> frozenset:
        """What slice k of a user's op read step by step is made of: slice k of each input."""
        if (position, k) not in parts:
            side.setdefault(position, "input")
            pieces = [frozenset(_slice(s, k) for s in v[1]) if v[0] == "whole" else
                      (v[2][k] if k < len(v[2]) else frozenset()) for v in lazy_inputs[position]]
            extra = set()
            if position in choices:
                extra = {("choice", *choices[position])}
            elif nodes[position].key.name == "embedding":
                extra = {("token", position, k)}
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
            elif source[0] == "op" and nodes[source[1]].key.name == "embedding" and repeats[doing[source[1]]] > 1:
                # an embedding called once per step (a loop of cell calls: cell(emb(x_t), h)), read whole by the
                # cell: that step's e_t, drawn below it with its token x_t, as a layer's embedding of all the tokens
                found.append(("split", source[1], 0))
            elif source[0] == "op":
                stack.extend(sorted(frozenset().union(*(_sources(v) for v in lazy_inputs[source[1]])), key=repr))
            else:
                found.append(source)
        return found

    feeds_output = {tail for tail, head, _, _ in links if nodes[head].kind == "output"}

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
        inputs = frozenset().union(*(_sources(v) for v in lazy_inputs[position]))
        return any(source[0] == "group" for source in drawn_sources(inputs, fold_all=True))

    groups: dict[Any, Node] = {}
    for position, key in group_of.items():
        node = nodes[position]
        if key not in groups:
            (row, step) = key
            name = row[0] if len(row) > 1 else ""
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
            cell = groups.get((reader.row[3:], reader.step)) if reader is not None and reader.row[:1] == (
                PER_STEP,) else reader
            shown = step - 1 if cell is not None and cell.after else step
            return place(source, lambda: Node(source, "input", subscript(name, shown), step=step))
        op = nodes[position]
        if kind == "reduced":
            def make_mean() -> Node:
                return sum_of_losses(position, reduced[position] if _is_mean(op) else None, op.scope)
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
                step = next((result[per_step_node(s)].step for s in drawn_sources(sources) if s[0] == "split"), None)
            if step is None:
                step = reader_step if reader_step is not None else k + 1
        drawn = place(source, lambda: Node(source, "group", per_step_label(op, step), op.scope, step=step,
                                            row=(PER_STEP, side[position], str(rank[position]),
                                                 *(reader_row if side[position] == "input" else ()))))
        if new:
            pending.append((drawn, sources, False))
        return drawn

    def after_node(position: int) -> int:
        """The node of a user's op drawn after the steps (ŷ = linear), its inputs connected in their turn."""
        op, key = nodes[position], ("after", position, None)
        new = key not in index
        drawn = place(key, lambda: Node(key, "op", _after_label(op), op.scope, tensors=op.tensors,
                                        gradient_norm=op.gradient_norm))
        if new:
            pending.append((drawn, frozenset().union(*(_sources(v) for v in lazy_inputs[position])), False))
        return drawn

    def connect(head_index: int, sources: frozenset, into_sum: bool) -> None:
        for source in drawn_sources(sources):
            if source[0] == "group":
                tail_index = index[("group", source[1])]
                if tail_index != head_index:
                    step = source[1][1]
                    name, _, mark = source[2].partition(MARK_AFTER)
                    label = subscript(name, step) + mark if name else ""
                    edges.append((tail_index, head_index, f"t={step}" if into_sum else label))
            elif source[0] == "after":  # the head and the loss after the last step
                edges.append((after_node(source[1]), head_index, ""))
            elif source[0] in ("split", "reduced", "token"):  # the node itself names what it passes on
                reader = result[head_index]  # (below the cells: in the block of the chain it feeds)
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
            name, _, shape = base.label.partition("\n")
            label = f"{name}{str(step).translate(TO_SUBSCRIPT)}" if by_time and step is not None else name
            return Node((base.key, piece), base.kind, label, tensors=base.tensors,
                        step=step if by_time else None)

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
    edges = unique(edges)
    _inputs_of_each_step(result, edges)
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


def _inputs_of_each_step(nodes: list[Node], edges) -> None:
    """A loop written by hand that reads one new leaf a step (xs[t] of a tensor that needs no gradient: a leaf
    of its own each step): each is that step's input x_t, drawn under its cell as the lectures draw x_t — beside
    the row they sat wherever there was room (x₃ right of J, x₁ on h_0's arrowhead). An initial state (h_0, read by
    the first cell alone) is not one: the leaves must feed every cell of a row, one each, alike in name."""
    readers: dict[int, list[int]] = {}
    for tail, head, _ in edges:
        readers.setdefault(tail, []).append(head)
    by_row: dict[tuple, list[tuple[int, int]]] = {}  # (row, the leaf's label) → (leaf, the cell reading it)
    for i, node in enumerate(nodes):
        heads = readers.get(i, [])
        if node.kind == "input" and node.step is None and len(heads) == 1 and nodes[heads[0]].kind == "group":
            by_row.setdefault((nodes[heads[0]].row, node.label), []).append((i, heads[0]))
    placed = []
    for (row, _), pairs in by_row.items():
        cells = {j for j, node in enumerate(nodes) if node.kind == "group" and node.row == row and node.step}
        if len(pairs) >= 2 and {cell for _, cell in pairs} == cells and len(pairs) == len(cells):
            placed.append(pairs)
    unnamed = sum(nodes[pairs[0][0]].label.partition("\n")[0] == "input" for pairs in placed)
    for pairs in placed:
        for leaf, cell in pairs:
            node, step = nodes[leaf], nodes[cell].step
            name, _, rest = node.label.partition("\n")
            name = "x" if name == "input" and unnamed == 1 else name  # two rows' inputs are not both x_t
            node.step = step
            node.label = subscript(name, step) + ("\n" + rest if rest else "")


def _one_step_read(inputs: list[tuple], lazy_inputs: dict[int, list[tuple]],
                   parts: dict[tuple[int, int], frozenset]) -> bool:
    """Whether what an op reads comes from exactly one cell (through ops folded on the way, or the one node drawn
    for one step of a user's op above that cell: J_t = cross_entropy reads the head's ŷ_t)."""
    groups, stack, seen = set(), list(frozenset().union(*(_sources(v) for v in inputs))), set()
    while stack:
        source = stack.pop()
        if source in seen:
            continue
        seen.add(source)
        if source[0] == "group":
            groups.add(source[1])
        elif source[0] == "op":
            stack.extend(frozenset().union(*(_sources(v) for v in lazy_inputs[source[1]])))
        elif source[0] == "split" and source[1:] in parts:
            stack.extend(parts[source[1:]])
    return len(groups) == 1


def _layer_scope(scope: tuple[str, ...]) -> tuple[str, ...]:
    """The scope a layer's own ops run in: its first part (("RNN",) of ("RNN", "layer 0", …)), after the "t=k" a
    loop the user wrote put around the call — the user's other ops in that step (("t=1",)) are not the layer's.

    >>> _layer_scope(("LSTM", "layer 0", "forward", "t=2")), _layer_scope(("t=2", "LSTM", "layer 0"))
    (('LSTM',), ('t=2', 'LSTM'))
    >>> _layer_scope(("t=2",))
    ('t=2',)
    """
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


def per_step_label(op: Node, step: int) -> str:
    """e₃ = embedding, J₃ = cross_entropy, linear for ŷ₃ when unnamed: one step of a user's op."""
    name = _output_name(op)
    return f"{subscript(name, step)} = {op.key.name}" if name else f"{op.key.name}\nt={step}"


def _after_label(op: Node) -> str:
    """ŷ = linear for the head whose result the user named ŷ; cross_entropy for the loss, whose result is J."""
    name = "" if op.key.name in LOSSES else _output_name(op)
    return f"{name} = {op.key.name}" if name else op.key.name


def _forward_order(count: int, links) -> list[int]:
    """Node positions with every node after the nodes it reads."""
    predecessors: list[list[int]] = [[] for _ in range(count)]
    for tail, head, _, _ in links:
        predecessors[head].append(tail)
    return in_order(list(range(count)), predecessors, set(range(count)))


def _sources(carried: tuple) -> frozenset:
    return carried[1] if carried[0] == "whole" else frozenset().union(*carried[2])


def _carry(node: Node, inputs: list[tuple]) -> list[tuple]:
    """What each output of a bookkeeping op carries, slice by slice where it can tell."""
    function = node.key if isinstance(node.key, Function) else None
    name = function.name if function else ""
    everything = ("whole", frozenset().union(*(_sources(v) for v in inputs)) if inputs else frozenset())
    outputs = max((getattr(vertex_of(t), "output_index", 0) for t in node.tensors), default=0) + 1
    if function is not None and function.multiple_outputs:
        outputs = max(outputs, getattr(function, "n_outputs", outputs))
    shape = tuple(node.tensors[0].shape) if node.tensors else ()
    if name == "unbind" and len(inputs) == 1:
        carried = inputs[0]
        ndim = len(shape) + 1
        dim = function.dim % ndim
        if carried[0] == "sequence" and carried[1] == dim:
            return [("whole", carried[2][k]) if k < len(carried[2]) else everything for k in range(outputs)]
        if carried[0] == "sequence":
            return [("sequence", carried[1] - (dim < carried[1]), carried[2])] * outputs
        return [("whole", frozenset(_slice(s, k) for s in carried[1])) for k in range(outputs)]
    if name == "stack" and all(v[0] == "whole" for v in inputs) and not _stacks_layers(inputs):
        return [("sequence", function.dim % len(shape), [v[1] for v in inputs])]
    if name == "index" and len(inputs) == 1 and inputs[0][0] == "sequence":
        _, dim, slices = inputs[0]
        key = function.index if isinstance(function.index, tuple) else (function.index,)
        if len(key) > dim and all(k == slice(None) for k in key[:dim]):
            chosen = key[dim]
            if isinstance(chosen, (int, numpy.integer)) and -len(slices) <= chosen < len(slices):
                return [("whole", slices[chosen])]
            if isinstance(chosen, slice):
                return [("sequence", dim, slices[chosen])]
        return [everything]
    if name == "reshape" and len(inputs) == 1 and inputs[0][0] == "sequence":  # (1, T, V) or (T, B, V) → rows
        _, dim, slices = inputs[0]
        before = tuple(function.inputs[0].shape)
        if len(shape) == 2 and all(n == 1 for n in before[:dim]) and shape[0] == int(numpy.prod(before[:-1])):
            return [("sequence", 0, slices)]
        return [everything]
    if name == "permute" and len(inputs) == 1 and inputs[0][0] == "sequence":
        _, dim, slices = inputs[0]
        return [("sequence", list(function.dims).index(dim), slices)]
    sequences = [v for v in inputs if v[0] == "sequence"]
    if sequences and name not in ("reshape", "permute", "expand", "sum", "mean", "index"):
        dim, length = sequences[0][1], len(sequences[0][2])
        split_dim = getattr(function, "dim", None)
        same = all(v[1] == dim and len(v[2]) == length for v in sequences)
        if same and len(shape) > dim and shape[dim] == length and (split_dim is None or split_dim % len(shape) != dim):
            wholes = frozenset().union(*(v[1] for v in inputs if v[0] == "whole")) if len(sequences) < len(inputs) \
                else frozenset()
            slices = [frozenset().union(*(v[2][k] for v in sequences)) | wholes for k in range(length)]
            return [("sequence", dim, slices)] * outputs
    return [everything] * outputs


def _stacks_layers(inputs: list[tuple]) -> bool:
    """A stack that is not a sequence in time: of one value, or of the final states of several rows
    (h_n: one per layer and direction) — what reads it reads it whole."""
    rows = {source[1][0] for v in inputs for source in v[1] if source[0] == "group"}
    return len(inputs) == 1 or len(rows) > 1


def _slice(source: tuple, piece: int) -> tuple:
    """Slice ``piece`` of a source: a leaf input becomes that slice of it, a user's op read step
    by step that step of it (drawn per step); anything else is whole."""
    kind, position, already = source
    if kind == "op":
        return ("split", position, piece)
    return (kind, position, piece) if kind == "leaf" and already is None else source


def unique(edges):
    seen, result = set(), []
    for edge in edges:
        if edge not in seen:
            seen.add(edge)
            result.append(edge)
    return result


def per_step_projections(nodes: list[Node], edges, links, show_shapes: bool = True
                         ) -> tuple[list[Node], list[tuple[int, int, str]]] | None:
    """At op level: a layer's input projection of all steps at once (linear, then unbind by step —
    for a GRU split into r, z, n first) drawn as one linear node in each step's column, x_t (or the
    layer below's h_t) entering it from below, as the lectures draw x_t W_ih; its shapes only with
    ``show_shapes``. Returns the new nodes and edges, or None when the graph has no such projection."""
    def name(i: int) -> str:
        return nodes[i].key.name if nodes[i].kind == "op" and isinstance(nodes[i].key, Function) else ""

    into: dict[int, list[tuple[int, int, int]]] = {}  # head → [(tail, output index, input position)]
    out_of: dict[int, list[tuple[int, int]]] = {}  # tail → [(head, output index)]
    for tail, head, out, position in links:
        into.setdefault(head, []).append((tail, out, position))
        out_of.setdefault(tail, []).append((head, out))
    removed: set[int] = set()
    added: list[Node] = []
    new_edges: list[tuple[Any, Any, str]] = []  # tails and heads: old positions, or ("new", k) for added nodes
    for p, node in enumerate(nodes):
        if name(p) != "linear" or node.step is not None or not node.scope:
            continue
        unbinds, splits = [], []  # (unbind, the gate its slices feed: r, z, n, or "")
        for head, _ in out_of.get(p, []):
            if name(head) == "unbind":
                unbinds.append((head, ""))
            elif name(head) == "split":
                splits.append(head)
                gates = [t.name for t in sorted(nodes[head].tensors, key=lambda t: vertex_of(t).output_index)]
                for unbind, piece in out_of.get(head, []):
                    if name(unbind) == "unbind":
                        unbinds.append((unbind, gates[piece] if piece < len(gates) and gates[piece] else ""))
        consumers = {h for h, _ in out_of.get(p, [])}
        if not unbinds or consumers - {u for u, _ in unbinds} - set(splits):
            continue
        steps = max(out for u, _ in unbinds for _, out in out_of.get(u, [])) + 1
        shape = list(nodes[unbinds[0][0]].tensors[0].shape) if nodes[unbinds[0][0]].tensors and show_shapes else []
        if splits and shape:
            shape[-1] *= len(unbinds)  # the projection of one step, before its split into r, z, n
        first = len(added)
        # each step's projection in the column and row of the step that reads it (its step record)
        reader = {out: nodes[head] for unbind, _ in unbinds for head, out in out_of.get(unbind, [])}
        at = [reader[k] if k in reader and reader[k].step is not None else
              Node(None, "op", "", step=k + 1, row=node.scope) for k in range(steps)]
        for k in range(steps):
            label = "linear" + (f"\n({', '.join(map(str, shape))})" if shape else "")
            added.append(Node(node.key, "op", label, node.scope + (f"t={at[k].step}",), step=at[k].step,
                              row=at[k].row, chain=at[k].chain))
        pieces = {}  # a GRU's r, z, n: each step's projection split in three, as its h W_hhᵀ is
        if splits:
            for k in range(steps):
                piece = [*shape[:-1], shape[-1] // len(unbinds)] if shape else []
                shapes = f"\n({', '.join(map(str, shape))})\n→ {len(unbinds)} × ({', '.join(map(str, piece))})"
                added.append(Node(nodes[splits[0]].key, "op", "split" + (shapes if shape else ""),
                                  node.scope + (f"t={at[k].step}",), step=at[k].step, row=at[k].row,
                                  chain=at[k].chain))
                pieces[k] = len(added) - 1
                new_edges.append((("new", first + k), ("new", pieces[k]), ""))
        for unbind, _ in unbinds:  # unlabelled: a GRU's piece is W_in x_t + b_in, not n (nor r, z)
            for head, out in out_of.get(unbind, []):
                new_edges.append((("new", pieces.get(out, first + out)), head, ""))
            removed.add(unbind)
        removed.update(splits)
        removed.add(p)
        for tail, _, _ in into.get(p, []):
            source = nodes[tail]
            if source.kind == "input":  # x, read step by step: x_1 → step 1, …
                label = source.label.split("\n")[0]
                for k in range(steps):
                    added.append(Node((source.key, k), "input", subscript(label, at[k].step), step=at[k].step))
                    new_edges.append((("new", len(added) - 1), ("new", first + k), ""))
                removed.add(tail)
            elif name(tail) in ("stack", "cat") and source.step is None:  # the layer below's h_t, step by step
                stacks = [tail] if name(tail) == "stack" else \
                    [t for t, _, _ in into.get(tail, []) if name(t) == "stack"]
                for stack in stacks:
                    for below, _, position in into.get(stack, []):
                        new_edges.append((below, ("new", first + position), subscript("h", position + 1)))
                    if {h for h, _ in out_of.get(stack, [])} <= {p, tail}:
                        removed.add(stack)
                if name(tail) == "cat" and {h for h, _ in out_of.get(tail, [])} == {p}:
                    removed.add(tail)
            else:
                for k in range(steps):
                    new_edges.append((tail, ("new", first + k), ""))
    if not added:
        return None
    for i in range(len(nodes)):  # the cat of two directions, read by both directions' projections above: gone with them
        if name(i) in ("stack", "cat") and out_of.get(i) and all(head in removed for head, _ in out_of[i]):
            removed.add(i)
    kept = [i for i in range(len(nodes)) if i not in removed]
    index = {old: new for new, old in enumerate(kept)}
    result = [nodes[i] for i in kept] + added

    def position(end: Any) -> int | None:
        return len(kept) + end[1] if isinstance(end, tuple) else index.get(end)

    kept_edges = [(index[t], index[h], label) for t, h, label in edges if t in index and h in index]
    kept_edges += [(position(t), position(h), label) for t, h, label in new_edges
                   if position(t) is not None and position(h) is not None]
    return result, unique(kept_edges)


# What each op's backward does to the gradient δ it receives, in the chain rule's words ({y}: its output).
ROLES = {
    "tanh": "δ ⊙ (1 − {y}²)", "sigmoid": "δ ⊙ {y} ⊙ (1 − {y})", "relu": "δ ⊙ [{y} > 0]", "exp": "δ ⊙ {y}",
    "mul": "δ ⊙ the other factor", "div": "δ / b, −δ a / b²", "add": "δ to both", "sub": "δ, −δ",
    "linear": "δ · W; δᵀ x for W", "matmul": "δ Bᵀ, Aᵀ δ", "split": "joins the parts' δ",
    "unbind": "stacks the steps' δ", "stack": "δ by step", "cat": "δ by part", "index": "δ in its place",
    "sum": "δ spread out", "mean": "δ / n spread out", "lerp": "δ ⊙ (1 − z), δ ⊙ z, δ ⊙ (h − n)",
    "cross_entropy": "δ (softmax − onehot)", "log_softmax": "δ − softmax Σ δ", "embedding": "δ added to its rows",
    "reshape": "δ reshaped", "permute": "δ permuted back",
    # a fused op's backward is a whole chain rule: what it hands on, and each step's term of W_hh
    **{f"fused {cell} cell": "the cell's chain rule; δᵀ h for W_hh" for cell in ("RNN", "LSTM", "GRU")},
    **{f"fused {cell} layer": "BPTT through its steps; δₜᵀ hₜ₋₁ for W_hh" for cell in ("RNN", "LSTM", "GRU")},
    "fused linear + cross_entropy": "δ (softmax − onehot) · W; (δ (softmax − onehot))ᵀ h for W",
}


def merge_backward_rules(nodes: list[Node], edges, live: set | None = None
                         ) -> tuple[list[Node], list[tuple[int, int, str]]]:
    """A recorded gradient graph at op level, one node per backward rule: the ops each forward op's
    backward recorded (1 − h², its products, the transposes and reshapes it needed) merge into one
    node named by what it does to δ — ``h₃ = tanh, backward: δ ⊙ (1 − h₃²)``. Σ nodes, parameters
    and the gradients drawn stay as they are. ``live``: the cells, (chain, step), whose states reach J
    (:func:`.step_states.cells_reaching_outputs`); the rules and Σ nodes of any other cell are left out."""
    group: dict[int, int] = {}
    result: list[Node] = []
    index: dict[Any, int] = {}
    for position, node in enumerate(nodes):
        forward = getattr(node.key, "gradient_of", None) if node.kind == "op" else None
        if forward is None:
            group[position] = len(result)
            result.append(node)
            continue
        if forward not in index:
            index[forward] = len(result)
            # placed where its forward op is: a layer node's rule sits in no step, though its terms do
            step = step_number(forward)
            result.append(Node(node.key, "op", "", forward.scope, step=step, row=node.row, chain=node.chain))
        group[position] = index[forward]
        rule = result[index[forward]]
        rule.label = rule.label or _rule_label(forward, "")
        for vertex in node.key.inputs:  # the rule reads its op's output: name it as the forward figure does
            if getattr(vertex, "grad_fn", None) is forward and getattr(vertex, "name", None):
                rule.label = _rule_label(forward, vertex.name)
    merged = unique([(group[t], group[h], label) for t, h, label in edges if group[t] != group[h]])
    # the rules of a cell J never reaches hand on δ = 0 (the reverse steps of a classifier on the last step):
    # not drawn, as the cell level's BPTT leaves them out, and the Σ their terms went into counts them as 0
    zero_rules = set() if live is None else {i for i, n in enumerate(result) if n.kind == "op" and n.chain is not None
                                             and n.step is not None and (n.chain, n.step) not in live}
    fed: dict[int, set[int]] = {}
    for tail, head, _ in merged:
        fed.setdefault(head, set()).add(tail)
    while True:  # a Σ in such a cell (∂J/∂h_t of the reverse direction's two reads) adds only their terms
        idle = {head for head, tails in fed.items() if head not in zero_rules and tails <= zero_rules
                and is_sum_node(result[head]) and result[head].kind == "op"}
        if not idle:
            break
        zero_rules |= idle
    dropped = Counter(h for t, h, _ in merged if t in zero_rules and h not in zero_rules)  # Σ → its terms left out
    merged = [(t, h, label) for t, h, label in merged if t not in zero_rules and h not in zero_rules]
    result, merged = _without_zero_terms(result, merged, zero_rules, dropped)
    one_value = _sums_of_one_value(result, merged)
    merged = [(t, h, "" if h in one_value else label) for t, h, label in merged]
    merged = _steps_on_one_arrow(merged)
    merged += _seed_of_j(result, merged)
    named = {i: n.label.split(" = ")[0] for i, n in enumerate(result) if " = " in n.label.split("\n")[0]}
    for tail, head, _ in merged:  # a layer's op that J's seed enters unnamed (a GRU's h_T = lerp): it computes h_T
        if result[tail].key == SEED and head not in named and result[head].chain is not None and result[head].step:
            named[head] = subscript("h", result[head].step)
    into = [head for _, head, _ in merged]
    # δ entering a rule for h_t is ∂J/∂h_t: the label of the lecture's right-to-left arrows
    return result, [(t, h, f"∂J/∂{named[h]}" if h in named and into.count(h) == 1 and not label else label)
                    for t, h, label in merged]


def _sums_of_one_value(nodes: list[Node], edges) -> set[int]:
    """The Σ nodes that add the parts of one value's gradient (∂J/∂h₂ through step 3's two reads of h₂; an LSTM's
    ∂J/∂c₂ through steps 3 and 2): every term from one step, or the Σ recorded in a step. Their arrows carry no
    "t=3" — they are no steps' terms of a shared weight, whose Σ (in no step) adds terms of several steps and
    names the step of each."""
    steps: dict[int, list[int]] = {}
    for _, head, label in edges:
        if is_sum_node(nodes[head]) and nodes[head].kind == "op" and label:
            steps.setdefault(head, []).append(step_of((label,)))
    return {head for head, found in steps.items() if len(found) > 1 and None not in found
            and (len(set(found)) == 1 or nodes[head].step is not None)}


SEED = ("J", "seed")  # the key of J's node in an op-level gradient graph


def _seed_of_j(nodes: list[Node], edges) -> list[tuple[int, int, str]]:
    """J's seed drawn, as the cell-level figures draw it: a rule that nothing recorded hands a δ to reads a
    constant that backward starts from (∂J/∂h_T, where J = Σ h_T; the walk draws no constant), so J is added
    with an arrow into each such rule — the last step's backward does not start from nothing. Adds J's node
    to ``nodes``; returns the arrows (unlabelled: the caller names them ∂J/∂h_T)."""
    fed = {head for _, head, _ in edges}
    starts = [i for i, node in enumerate(nodes) if node.kind == "op" and i not in fed and not is_sum_node(node)
              and getattr(node.key, "gradient_of", None) is not None]
    if not starts:
        return []
    nodes.append(Node(SEED, "output", "J"))
    return [(len(nodes) - 1, start, "") for start in starts]


def _steps_on_one_arrow(edges):
    """One arrow, its steps named together, where one rule sends a sum several steps' terms — a layer
    node's δₜᵀ hₜ₋₁ of every step into the Σ of ∂J/∂W_hh: ``t=1, t=2, t=3`` (``t=1 … t=T`` for a longer
    run), not T arrows drawn over one another."""
    steps: dict[tuple[int, int], list[int]] = {}
    for tail, head, label in edges:
        step = step_of((label,)) if label else None
        if step is not None:
            steps.setdefault((tail, head), []).append(step)
    joined = {pair: sorted(found) for pair, found in steps.items() if len(found) > 1}
    result = []
    for tail, head, label in edges:
        found = joined.get((tail, head))
        if found is None:
            result.append((tail, head, label))
        elif found:  # the first of the pair's arrows carries them all
            run = len(found) > 3 and found == list(range(found[0], found[-1] + 1))
            result.append((tail, head, f"t={found[0]} … t={found[-1]}" if run else
                           ", ".join(f"t={step}" for step in found)))
            joined[(tail, head)] = []
    return result


def _without_zero_terms(nodes: list[Node], edges, zero_rules: frozenset | set = frozenset(),
                        dropped: Counter | None = None):
    """No node for a Σ that adds nothing: the terms a recorded Σ adds that are zeros — constants (the
    δ of the steps a loss on the last step never reads), or ``dropped[Σ]`` terms computed by the rules in
    ``zero_rules`` (left out) — are not terms, and a Σ left with one term is that term, drawn straight
    through to what reads the sum."""
    into: dict[int, list[tuple[int, int, str]]] = {}
    for edge in edges:
        into.setdefault(edge[1], []).append(edge)
    dropped = dropped or Counter()
    through = {i for i, node in enumerate(nodes) if is_sum_node(node) and node.kind == "op" and i not in zero_rules
               and len(into.get(i, [])) == 1 and all(_is_zero(x) for x in node.key.inputs if x.grad_fn is None)}
    for i, node in enumerate(nodes):  # a Σ that stays counts the terms it is drawn with: "Σ (3 terms)" over two
        if is_sum_node(node) and node.kind == "op" and i not in through:  # arrows read as a term left out
            zeros = sum(1 for x in node.key.inputs if x.grad_fn is None and _is_zero(x)) + dropped[i]
            if zeros:
                count = len(node.key.inputs) - zeros
                node.label = re.sub(r"\(\d+ terms\)", f"({count} terms; {zeros} more = 0)", node.label, count=1)
    if not through and not zero_rules:
        return nodes, edges
    source = {i: into[i][0] for i in through}
    kept = [i for i in range(len(nodes)) if i not in through and i not in zero_rules]
    renumber = {old: new for new, old in enumerate(kept)}
    result = []
    for tail, head, label in edges:
        if head in through:
            continue
        while tail in through:  # the one term it passes on
            tail = source[tail][0]
        result.append((renumber[tail], renumber[head], label))
    return [nodes[i] for i in kept], unique(result)


def _is_zero(tensor: Any) -> bool:
    return not bool((tensor.array != 0).any())


def _rule_label(forward: Function, named: str) -> str:
    step = step_number(forward)
    named = named or next(iter(getattr(forward, "states", ()) or ()), "")
    # an output with no name is written as the op applied to its input, tanh(·): a bare y would be undefined
    y = subscript(named, step) if named else f"{SYMBOLS.get(forward.name, forward.name)}(·)"
    role = ROLES.get(forward.name, "its backward").format(y=y)
    if forward.name == "linear" and not forward.needs_input_grad[0]:  # x needs no δ (h_0 = 0): W's term alone
        role = "δᵀ x for W"
    head = f"{y} = {SYMBOLS.get(forward.name, forward.name)}" if named else forward.name
    return f"{head}, backward\n{role}"
