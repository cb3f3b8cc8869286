"""Attention written by hand, drawn as the lectures draw it: one node per decoder step.

A decoder loop that attends over its encoder's states writes, at decoder step t,

    scores = H @ s          # e_t: one score per encoder state h_i
    alpha = scores.softmax(-1)                      # α_t
    context = (alpha[:, None] * H).sum(0)           # c_t = Σ_i α_ti h_i
    s = dec(cat([y_t, context]), s)

Its ops run in decoder step t (they feed that step's cell), whatever encoder step a state they read
stands in: drawn op by op, each matmul and mul would be filed under the encoder's columns by the
h_i it reads. Here they are found by what they feed — the ops between a cell and the first softmax
behind it that reads the states of several steps of another chain — and drawn as one node in the
cell's step, fed by the encoder states (one fan-in) and the decoder's state, and feeding c_t into the
cell. Used by :func:`tinygrad_rnn.viz.levels.merge_groups` (levels "cell" and "step").
"""

from __future__ import annotations

from typing import Any

from .picture import Node, subscript

SOFTMAX = "softmax"
JOINS = ("cat", "stack")  # what joins c_t to the decoder's input y_t: the cell's input, not the attention


def attention_of(nodes: list[Node], links, group_of: dict[int, Any], own: set[int]) -> dict[int, Any]:
    """op position → the group (row, step) of the cell whose attention it is part of, for each op of a
    hand-written attention. ``own``: the user's ops (outside every cell and layer) that may belong to one.
    An op read by two steps' attention (H, made once before the loop) belongs to neither: it is an input.

    >>> attention_of([], [], {}, set())
    {}
    """
    if not any(nodes[p].key.name == SOFTMAX for p in own):  # (most figures: nothing to look for)
        return {}
    tails_of: dict[int, list[int]] = {}
    readers_of: dict[int, set[int]] = {}
    for tail, head, _, _ in links:
        tails_of.setdefault(head, []).append(tail)
        readers_of.setdefault(tail, set()).add(head)
    found: dict[int, Any] = {}
    shared: set[int] = set()
    cells: dict[Any, list[int]] = {}
    for position, key in group_of.items():
        cells.setdefault(key, []).append(position)
    for key, heads in cells.items():
        cone = _behind(heads, tails_of, lambda p: p not in group_of)  # every op between the cell and the groups
        for softmax in (p for p in cone if nodes[p].kind == "op" and nodes[p].key.name == SOFTMAX):
            reached = _behind([softmax], tails_of, lambda p: p not in group_of)
            states = {group_of[p] for p in reached if p in group_of and nodes[p].chain is not None
                      and nodes[p].chain is not nodes[heads[0]].chain}
            if len({step for _, step in states}) < 2:  # attention reads the states of several steps
                continue
            before = _behind([softmax], tails_of, lambda p: p in own) & own
            after = _ahead(softmax, readers_of, cone & own, nodes)
            members = (before | after | {softmax}) & cone
            for position in _leaving_early(members, readers_of, after | {softmax}):
                members.discard(position)
            for position in members:
                if position in found and found[position] != key:
                    shared.add(position)
                found.setdefault(position, key)
    return {p: key for p, key in found.items() if p not in shared}


def _behind(starts: list[int], tails_of, passes) -> set[int]:
    """Every position behind ``starts`` through positions ``passes`` allows (a position it refuses is kept, not
    passed)."""
    seen, stack = set(), list(starts)
    while stack:
        position = stack.pop()
        for tail in tails_of.get(position, []):
            if tail in seen:
                continue
            seen.add(tail)
            if passes(tail):
                stack.append(tail)
    return seen


def _ahead(softmax: int, readers_of, allowed: set[int], nodes: list[Node]) -> set[int]:
    """What the cell's input is made of after the softmax (α_t, α_t h_i, their sum c_t), up to the join."""
    seen, stack = set(), [softmax]
    while stack:
        for reader in readers_of.get(stack.pop(), ()):
            if reader in allowed and reader not in seen and nodes[reader].key.name not in JOINS:
                seen.add(reader)
                stack.append(reader)
    return seen


def _leaving_early(members: set[int], readers_of, exits_allowed: set[int]) -> set[int]:
    """The ops before the softmax that something outside the attention also reads (h_S, the decoder's
    first state, read as s_0 by the scores and by the cell): inputs of the attention, not part of it."""
    members = set(members)
    removed: set[int] = set()
    changed = True
    while changed:
        changed = False
        for position in sorted(members - exits_allowed):
            if any(reader not in members for reader in readers_of.get(position, ())):
                members.discard(position)
                removed.add(position)
                changed = True
    return removed


def attention_names(step: int) -> tuple[str, str, str]:
    """Decoder step t's attention in the lectures' letters: e_t the scores, α_t = softmax(e_t), c_t = Σᵢ α_tᵢ hᵢ
    the context.

    >>> attention_names(1)
    ('e₁ = scores', 'α₁ = softmax(e₁)', 'c₁ = Σᵢ α₁ᵢ hᵢ')
    """
    e, alpha, c = subscript("e", step), subscript("α", step), subscript("c", step)
    return f"{e} = scores", f"{alpha} = softmax({e})", f"{c} = Σᵢ {alpha}ᵢ hᵢ"


def attention_label(step: int) -> str:
    """The node of decoder step t's attention (levels "cell" and "step"): "attention", then its names.

    >>> print(attention_label(2))
    attention
    e₂ = scores
    α₂ = softmax(e₂)
    c₂ = Σᵢ α₂ᵢ hᵢ
    """
    return "\n".join(("attention", *attention_names(step)))


def attention_ops(nodes: list[Node], links) -> dict[int, tuple[tuple, int, int | None, str]]:
    """Level "op": op position → (row, step, after, name) for each op of a hand-written attention, in the column of
    the decoder step whose cell it feeds (the step of the call its output goes into, not of an encoder state it reads:
    ``after``, its encoder's S steps before the decoder's step 1, as its cell's chain says);
    its name: the last op before the softmax is e_t′ (the scores), the softmax α_t′, the last op after it whose
    result goes on to the cell c_t′ (the weighted sum); the ops between keep theirs ("" here).

    >>> attention_ops([], [])
    {}
    """
    group_of = {p: (node.row, node.step) for p, node in enumerate(nodes) if node.kind == "op" and node.step is not None}
    own = {p for p, node in enumerate(nodes) if node.kind == "op" and node.step is None and node.chain is None}
    found = attention_of(nodes, links, group_of, own)  # (a layer's bookkeeping read by every step: none's)
    readers_of: dict[int, set[int]] = {}
    for tail, head, _, _ in links:
        readers_of.setdefault(tail, set()).add(head)
    after = {group: nodes[p].chain.after for p, group in group_of.items() if nodes[p].chain is not None}
    named: dict[int, tuple[tuple, int, int | None, str]] = {}
    for position, (row, step) in found.items():
        scores, alpha, context = attention_names(step)
        name = ""
        if nodes[position].key.name == SOFTMAX:
            name = alpha
        elif _computes(nodes[position]):
            ahead = _through_bookkeeping(position, readers_of, nodes)
            if any(nodes[p].key.name == SOFTMAX and found.get(p) == (row, step) for p in ahead):
                name = scores  # (its result goes on, reshaped at most, into the softmax)
            elif not any(p in found and _computes(nodes[p]) for p in ahead):
                name = context  # (nothing of the attention computes on it: it goes on to the cell)
        named[position] = (row, step, after.get((row, step)), name)
    if named:  # (only beside an attention: a plain decoder handed h_n[0] keeps its drawing)
        named.update(_encoder_moves(nodes, links, set(named)))
    return named


def _encoder_moves(nodes: list[Node], links, attending: set[int]) -> dict[int, tuple[tuple, int, int | None, str]]:
    """The ops that only move one encoder's states — nn.GRU's stack of h₁ … h_S, ``states[0]``'s index that
    makes H, ``h_n[0]``'s that hands h_S to the decoder — in the column of the encoder's last step they read, on
    its row: outside every step they stood at the far right beside J, their wires running back into each step's
    scores, as if the loss made them. (Found op by op from the states up: an op all of whose inputs are one
    chain's states, or ops found so, and that only moves them; ``attending``: the attention's own, s_{t−1}[0] among
    them, which stay in their decoder step.)"""
    tails_of: dict[int, list[int]] = {}
    for tail, head, _, _ in links:
        tails_of.setdefault(head, []).append(tail)
    loose = [p for p, node in enumerate(nodes) if node.kind == "op" and node.step is None and node.chain is None
             and node.key.name in (*ONLY_MOVES, "stack") and tails_of.get(p) and p not in attending]
    chain_of: dict[int, Any] = {}  # a found op → the chain whose states it moves
    step_of: dict[int, int] = {}
    changed = True
    while changed:  # (to a fixed point: H's index reads the stack found before it)
        changed = False
        for position in loose:
            if position in chain_of:
                continue
            tails = tails_of[position]
            chains = {nodes[t].chain if nodes[t].chain is not None else chain_of.get(t) for t in tails}
            if len(chains) != 1 or None in chains:
                continue
            chain_of[position] = chains.pop()
            step_of[position] = max(nodes[t].step if nodes[t].chain is not None else step_of[t] for t in tails)
            changed = True
    row_of = {node.chain: node.row for node in nodes if node.chain is not None}
    return {p: (row_of[chain], step_of[p], chain.after, "") for p, chain in chain_of.items()}


ONLY_MOVES = ("reshape", "index", "permute", "expand", "unsqueeze", "squeeze", "transpose")  # (of one value: no score)


def _computes(node: Node) -> bool:
    return node.key.name not in ONLY_MOVES


def _through_bookkeeping(position: int, readers_of, nodes: list[Node]) -> set[int]:
    """The ops that read ``position``'s result, past the ones that only reshape or index it."""
    reached, stack = set(), [position]
    while stack:
        for reader in readers_of.get(stack.pop(), ()):
            if reader not in reached:
                reached.add(reader)
                if not _computes(nodes[reader]):
                    stack.append(reader)
    return reached


def attention_drawn(key: Any, reader: Node, scope: tuple[str, ...], row: tuple) -> Node:
    """The node of one decoder step's attention: in its cell's column (``after``: the decoder's step t′, not the
    encoder's step t), on the row of that cell's other inputs (a layer's: at step level, the step's own)."""
    return Node(key, "group", attention_label(reader.step), scope, step=reader.step,
                row=(*row, *(reader.row if reader.chain else ())), after=reader.after)


def place_attention_ops(nodes: list[Node], links) -> None:
    """Level "op", forward: each op of a hand-written attention in its decoder step's column and row, the scores,
    α and the context named under the op as the cell level names them (``matmul``, then ``e₁ = scores``); see
    :func:`attention_ops`. The encoder's h_n[0], moved beside its last step, says the state it picks, "index [0] →
    h₃", which the notation names as both chains do where it is handed over: "→ h₃⁽ᵃ⁾ = h₀⁽ᵇ⁾", the decoder's s₀."""
    placed = attention_ops(nodes, links)  # (it changes no node: the steps picked below are read as before)
    if not placed:
        return
    from .kept_steps import steps_picked  # (here: kept_steps reads levels, which reads this module)
    picks = steps_picked(nodes, [(tail, head, "") for tail, head, _, _ in links])  # (before the stacks get a step)
    for position, (row, step, after, name) in placed.items():
        node = nodes[position]
        node.step, node.row, node.after = step, row, after
        if name:  # under the op's own name (its first line, which the notation rewrites, marked: never e₁⁽ᵇ⁾)
            op, *rest = node.label.split("\n")
            node.label = "\n".join((op, name, *rest))
    for stack, (_, said, index) in picks.items():
        if stack in placed and index in placed:
            op, newline, rest = nodes[index].label.partition("\n")
            nodes[index].label = f"{op} {said}{newline}{rest}"
