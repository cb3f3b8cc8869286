"""A layer's input projection of all steps at once, drawn at op level as one linear node per step.

The cell and step levels fold this projection into the cells (``levels.py``); at op level the lectures draw
x_t W_ih in each step's column, x_t (or the layer below's h_t) entering it from below. What a value between
the cells carries is in ``carried_values.py``; the gradient graph's backward rules in ``backward_rules.py``.
"""

from __future__ import annotations

from typing import Any

from ..engine import vertex_of
from ..function import Function
from .levels import unique
from .picture import Node, subscript


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
