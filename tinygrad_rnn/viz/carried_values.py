"""What a value between the cells is made of, followed through the ops folded into edges.

A value is ("whole", sources) for a tensor, or ("sequence", dim, [sources of slice 0, slice 1, …]) for one
stacked along a dimension (a layer's output, a projected input); a stack of the rows' final states (h_n, c_n) is
("whole", sources, dim, [sources of row 0, row 1, …]), whole to all but an index, which reads the rows it picks
(h_n[-1]: the top layer's state alone). Sources are cells (groups), leaves and
parameters; a leaf read slice by slice (x, unbound along time) becomes one source per slice: x_1, x_2, …
``levels.py`` merges the groups and carries these values through the bookkeeping ops between them with
:func:`_carry`; ``step_projections.py`` draws a layer's input projection per step; ``backward_rules.py``
merges a gradient graph's ops into backward rules.
"""

from __future__ import annotations

import numpy

from ..engine import vertex_of
from ..function import Function
from .picture import Node


def _sources(carried: tuple) -> frozenset:
    return carried[1] if carried[0] == "whole" else frozenset().union(*carried[2])


def sources_of(carried: list[tuple]) -> frozenset:
    """What several carried values are made of, all together: the union of each one's sources (an op's inputs).

    >>> sorted(sources_of([("whole", frozenset({("leaf", 0, None)})), ("sequence", 0, [frozenset({("group", 1, 0)})])]))
    [('group', 1, 0), ('leaf', 0, None)]
    """
    return frozenset().union(*(_sources(v) for v in carried))


def _carry(node: Node, inputs: list[tuple]) -> list[tuple]:
    """What each output of a bookkeeping op carries, slice by slice where it can tell."""
    function = node.key if isinstance(node.key, Function) else None
    name = function.name if function else ""
    everything = ("whole", sources_of(inputs))
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
    if name == "stack" and len(inputs) > 1 and all(v[0] == "whole" for v in inputs):
        # h_n: each row's final state, read whole by what reads it whole, but each piece still known, so that an
        # index picks the rows it reads (h_n[-1], layer 3's h_4 alone; h_n[-2:], the top layer's two directions)
        return [("whole", everything[1], function.dim % len(shape), tuple(v[1] for v in inputs))]
    if name == "index" and len(inputs) == 1 and len(inputs[0]) == 4:
        return [_rows_picked(function, *inputs[0][2:])]
    if name == "index" and len(inputs) == 1 and inputs[0][0] == "sequence":
        _, dim, slices = inputs[0]
        key = function.index if isinstance(function.index, tuple) else (function.index,)
        before = key[:dim]
        if len(before) == dim and all(isinstance(k, slice) or _is_integer(k) for k in before):
            # an integer before the time axis picks one sequence of a batch (logits[1] of (B, T, V)), a slice some:
            # each step still made of what it was (an integer moves the axis up one) — a padded tagger's loss over
            # logits[1, :2] reads steps 1, 2
            dim_after = dim - sum(_is_integer(k) for k in before)
            chosen = key[dim] if len(key) > dim else slice(None)
            if _is_integer(chosen) and -len(slices) <= chosen < len(slices):
                return [("whole", slices[chosen])]
            if isinstance(chosen, slice):
                return [("sequence", dim_after, slices[chosen])]
        return [everything]
    if name == "reshape" and len(inputs) == 1 and inputs[0][0] == "sequence":  # (1, T, V) or (T, B, V) → rows
        _, dim, slices = inputs[0]
        before = tuple(function.parents[0].shape)
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


def _rows_picked(function: Function, dim: int, rows: tuple[frozenset, ...]) -> tuple:
    """What an index into a stack of the rows' final states (h_n, c_n: one per layer and direction, stacked along
    ``dim``) reads: the row an integer picks (h_n[-1]: the top layer's), the rows a slice does (h_n[-2:]), all of them
    where the index reads along another axis first (h_n[:, 0]) or in a way not followed.

    >>> import tinygrad_rnn as tr
    >>> h_n = tr.zeros(3, 1, 4, requires_grad=True)
    >>> rows = (frozenset({"layer 1"}), frozenset({"layer 2"}), frozenset({"layer 3"}))
    >>> _rows_picked(h_n[-1].grad_fn, 0, rows)
    ('whole', frozenset({'layer 3'}))
    >>> sorted(_rows_picked(h_n[-2:].grad_fn, 0, rows)[1])
    ['layer 2', 'layer 3']
    """
    every = ("whole", frozenset().union(*rows), dim, rows)
    key = function.index if isinstance(function.index, tuple) else (function.index,)
    if len(key) <= dim or any(k != slice(None) for k in key[:dim]):
        return every
    chosen = key[dim]
    if _is_integer(chosen) and -len(rows) <= chosen < len(rows):
        return ("whole", rows[chosen])
    if isinstance(chosen, slice) and rows[chosen]:
        kept = rows[chosen]
        return ("whole", frozenset().union(*kept), dim, kept) if len(kept) > 1 else ("whole", kept[0])
    return every


def sequence_picked(read: list[Node]) -> int | None:
    """The one sequence of a batch that a loss over a sequence (what it reads is split along time in its dim 0) reads
    through an index of (B, T, …) values: 1 for ``logits[1, :2]``, a padded tagger's loss over sequence 2's steps 1
    and 2 (an integer first, the time axis after it). None where it reads no such index, or several, or the batch is
    one sequence (logits[0] of a (1, T, V) batch: an unpadded tagger's loss, which says no sequence)."""
    found = set()
    for node in read:
        function = node.key if isinstance(node.key, Function) else None
        if function is None or function.name != "index" or len(function.parents[0].shape) != 3:
            continue
        key = function.index if isinstance(function.index, tuple) else (function.index,)
        if _is_integer(key[0]) and all(isinstance(k, slice) for k in key[1:2]) and function.parents[0].shape[0] > 1:
            found.add(int(key[0]) % function.parents[0].shape[0])
    return found.pop() if len(found) == 1 else None


def _is_integer(key: object) -> bool:
    return isinstance(key, (int, numpy.integer)) and not isinstance(key, bool)


def _stacks_layers(inputs: list[tuple]) -> bool:
    """A stack that is not a sequence in time: of one value, or of the final states of several rows
    (h_n: one per layer and direction) — what reads it reads it whole, an index the rows it picks (_rows_picked)."""
    rows = {source[1][0] for v in inputs for source in v[1] if source[0] == "group"}
    return len(inputs) == 1 or len(rows) > 1


def _slice(source: tuple, piece: int) -> tuple:
    """Slice ``piece`` of a source: a leaf input becomes that slice of it, a user's op read step
    by step that step of it (drawn per step); anything else is whole."""
    kind, position, already = source
    if kind == "op":
        return ("split", position, piece)
    return (kind, position, piece) if kind == "leaf" and already is None else source



def _one_step_read(inputs: list[tuple], lazy_inputs: dict[int, list[tuple]],
                   parts: dict[tuple[int, int], frozenset]) -> bool:
    """Whether what an op reads comes from exactly one cell (through ops folded on the way, or the one node drawn
    for one step of a user's op above that cell: J_t = cross_entropy reads the head's ŷ_t)."""
    groups, stack, seen = set(), list(sources_of(inputs)), set()
    while stack:
        source = stack.pop()
        if source in seen:
            continue
        seen.add(source)
        if source[0] == "group":
            groups.add(source[1])
        elif source[0] == "op":
            stack.extend(sources_of(lazy_inputs[source[1]]))
        elif source[0] == "split" and source[1:] in parts:
            stack.extend(parts[source[1:]])
    return len(groups) == 1


def shapes_read(op: Node) -> tuple:
    """The shapes of what an op reads: an op called once per step reads the same shapes at every step; one module
    called on a whole sequence and again on h_T (a Linear used twice) reads two.

    >>> import tinygrad_rnn as tr
    >>> y = tr.nn.Linear(3, 2)(tr.ones(4, 3))
    >>> shapes_read(Node(y.grad_fn, "op", "linear"))
    ((4, 3), (2, 3), (2,))
    """
    return tuple(tuple(getattr(parent, "shape", ())) for parent in getattr(op.key, "parents", ()))
