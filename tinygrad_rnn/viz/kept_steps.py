"""Drawing some time steps of a long sequence: the steps chosen, one "…" node for each run left out.

``keep_steps`` keeps the steps ``time_steps`` chooses and joins them through "…" nodes that carry the state
and reach the loss; ``slide_steps`` chooses the first and last steps as a slide draws a long sequence
(``SLIDE_STEPS`` in ``graph.py`` says when), and ``steps_within_chains`` does so in each chain of a sequence that runs
through several (an encoder's, then its decoder's: ``chains_in_time``), so that every handover is drawn. ``graph.py``
calls them; ``ladder.py`` chooses its steps the same way.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy

from .chains import chain_of
from .levels import unique
from .picture import Node, in_time, is_sum_of_losses, runs, steps_text


class StepsLeftOut(NamedTuple):
    """The key of a "…" node: the steps it stands for. ``steps`` are columns in time (:func:`~.picture.in_time`: a
    decoder's after its encoder's), what the ladder counts and the layout places; ``named`` is each as its own
    chain names it, (chain, t) — the decoder's first step is ("decoder", 1) wherever it stands — and ``losses`` the
    steps, as their chain names them, whose J_t reach J through the "…": what a label or a note may write (a
    decoder's J₁ … J_T′, never J_(S+1)). Its first item says what it is under the keys of the views built on it
    (("backward", key))."""

    kind: str  # "ellipsis"
    side: str  # "before", "between" or "after" the steps drawn
    steps: tuple[int, ...]
    named: tuple[tuple[str, int], ...]
    losses: tuple[int, ...]


def keep_steps(nodes: list[Node], edges, time_steps: slice | tuple[int, ...]):
    """Keep the nodes of the chosen steps (``time_steps`` indexes the list of steps t=1…T, so
    slice(0, 3) keeps t=1, 2, 3, and (0, 1, 2, 18, 19) keeps t=1, 2, 3, 19, 20); nodes outside any
    step stay. One "…" node stands for each run of steps left out: the state flows from the last
    step drawn before it into it and from it into the next step drawn, and what those steps feed
    (J, the mean of the J_t) is reached through it, and J's gradient enters it. Of an op level's stack that an
    index reads one step of (J = out[-1].sum()), only that step's edge is drawn, the index saying which ("[-1] →
    h₆"): the other steps reach J through no path. Steps are counted in time (an encoder's, then its
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
    named: dict[int, tuple[str, int]] = {}  # a step in time → (its chain, its step as the chain names it)
    for i in sorted(dropped, key=lambda i: nodes[i].chain is None):  # a chain's own cells first, then e_t, J_t
        named.setdefault(at[i], (chain_of(nodes[i])[0] if nodes[i].chain is not None else "", nodes[i].step))
    with_loss = {at[a]: nodes[a].step for a, b, _ in edges if a in dropped and is_sum_of_losses(nodes[b])}  # J_t
    picks = steps_picked(nodes, edges)  # out[-1] of an op level's stack: the one step it reaches J from
    for skipped in runs([t for t in steps if t not in chosen], steps):
        side = "before" if skipped[0] < min(chosen) else "after" if skipped[0] > max(chosen) else "between"
        plural = "s" if len(skipped) > 1 else ""
        own = [named[t][1] for t in skipped]
        one_chain = len({t - step for t, step in zip(skipped, own)}) == 1  # one chain's own steps, or two chains'
        said = f"\nt={_span(own)}" if one_chain else ""
        label = {"before": f"… {len(skipped)} earlier time step{plural}",
                 "after": f"… {len(skipped)} more time step{plural}",
                 "between": f"…\n{len(skipped)} step{plural}{said}"}[side]  # narrow
        place = min(chosen) - 1 if side == "before" else max(chosen) + 1 if side == "after" else skipped[0]
        key = StepsLeftOut("ellipsis", side, tuple(skipped), tuple(named[t] for t in skipped),
                           tuple(with_loss[t] for t in skipped if t in with_loss))
        result.append(Node(key, "ellipsis", label, step=place, after=0))
        stands_for.update({i: len(result) - 1 for i in dropped if at[i] in skipped})
    for _, said, read_by in picks.values():  # "index [-1] → h₆": which step the index reads, drawn or not
        reader = nodes[read_by]
        first, newline, rest = reader.label.partition("\n")
        # (a loss's index says its [-1] already: write_loss_indexes)
        first = first.removesuffix(" " + said.partition(" → ")[0])
        reader.label = f"{first} {said}{newline}{rest}"
    new_edges = []
    # what a step left out reaches J through: the stack an index reads one step of, an op J is (J = Σ h₂ of step 2
    # left out: its sum, fed by the "…")
    read_through = picks.keys() | {a for a, b, _ in edges if nodes[b].kind == "output"}
    for a, b, label in edges:
        if a in dropped and b in dropped:
            continue
        if b in picks and nodes[a].step is not None and a != picks[b][0]:
            continue  # a step the index does not read: no path from it to J through the stack (J = out[-1].sum())
        if (a in dropped and nodes[b].step is None and not _ends_the_loss(nodes[b]) and b not in read_through) or \
                (b in dropped and nodes[a].step is None and not _ends_the_loss(nodes[a])):  # the "…" stands for
            continue  # steps, not their inputs or uses; but J is reached through it, and its gradient enters it
        between_steps = nodes[a].step is not None and nodes[b].step is not None  # h₃ into "…": named
        between_steps = between_steps or (b in dropped and _ends_the_loss(nodes[a]))  # J into "…": ∂J/∂h₆
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


def chains_in_time(nodes: list[Node], edges) -> list[int]:
    """How many steps each chain that hands its state to the next has, in time: [4, 4] for an encoder of 4 words and
    its decoder of 4; [T] where the chains run side by side (a stacked or bidirectional layer's, one sequence's
    steps). A chain's steps are those its own step names are shifted by one amount (``in_time``: its decoder's t=1
    stands after the encoder's S); a step a "…" stands for is counted with the step drawn before it (steps are left
    out only within a chain).

    >>> from tinygrad_rnn.steps import Chain
    >>> encoder, decoder = Chain("encoder", 0, "forward"), Chain("decoder", 0, "forward", after=2)
    >>> chains_in_time([Node(k, "group", "", step=t, chain=c) for k, (t, c) in
    ...                 enumerate([(1, encoder), (2, encoder), (1, decoder), (2, decoder), (3, decoder)])], [])
    [2, 3]
    """
    at = in_time(nodes, edges)
    shifts: dict[int, set[int]] = {}
    for when, node in zip(at, nodes):
        if node.step is None or when is None:
            continue
        if node.kind == "ellipsis":
            shifts.update({step: shifts.get(step, set()) for step in left_out(node)})
        else:
            shifts.setdefault(when, set()).add(when - node.step)
    lengths: list[int] = []
    shift_before = None
    for step in sorted(shifts):
        shift = next(iter(shifts[step])) if len(shifts[step]) == 1 else shift_before  # (a "…": its chain's)
        if not lengths or shift != shift_before:
            lengths.append(0)
        lengths[-1] += 1
        shift_before = shift
    return lengths


def steps_within_chains(lengths: list[int], shown: int = 5) -> tuple[int, ...] | None:
    """``shown`` steps of a sequence that runs through chains of ``lengths`` steps each, the rest left out within each
    chain, never across a handover: each chain's first and last steps, then one more for each chain in turn, from its
    start (encoder t = 1, …, 4 | decoder t = 1, …, 4, then t = 1, 2, …, 4 | t = 1, …, 4). Indexes into the list of
    steps in time, as :func:`slide_steps`; one chain: :func:`slide_steps`. None where ``shown`` is fewer than every
    chain's first and last steps.

    >>> steps_within_chains([4, 4], 4), steps_within_chains([4, 4], 5), steps_within_chains([4, 4], 3)
    ((0, 3, 4, 7), (0, 1, 3, 4, 7), None)
    >>> steps_within_chains([12], 5)
    (0, 1, 2, 10, 11)
    """
    if len(lengths) == 1:
        return slide_steps(lengths[0], shown)
    kept = [min(length, 2) for length in lengths]
    if sum(kept) > shown:
        return None
    while sum(kept) < shown and any(k < length for k, length in zip(kept, lengths)):
        for chain, length in enumerate(lengths):
            if kept[chain] < length and sum(kept) < shown:
                kept[chain] += 1
    starts = [sum(lengths[:chain]) for chain in range(len(lengths))]
    return tuple(start + k for start, length, count in zip(starts, lengths, kept) for k in slide_steps(length, count))


def left_out(node: Node) -> list[int]:
    """The steps a "…" stands for, in time (the columns it stands in for)."""
    return list(steps_left_out(node).steps)


def steps_left_out(node: Node) -> StepsLeftOut:
    """What a "…" stands for: its key, under the keys of the views built on it."""
    key = node.key
    while key[0] != "ellipsis":  # ("backward", ("ellipsis", side, steps, …)), …
        key = key[1]
    return key


def left_out_said(nodes: list[Node]) -> str:
    """The steps the "…" among ``nodes`` stand for, as their chains name them ("" where none): t=4…18; where the
    timeline runs through several chains (an encoder's steps, then its decoder's, each numbered from 1), each chain's
    by its name (a t alone would say a step of each).

    >>> dots = [Node(StepsLeftOut("ellipsis", "between", (2,), (("encoder", 2),), ()), "ellipsis", ""),
    ...         Node(StepsLeftOut("ellipsis", "between", (5, 6), (("decoder", 2), ("decoder", 3)), (2, 3)),
    ...              "ellipsis", "")]
    >>> left_out_said(dots[:1]), left_out_said(dots)
    ('t=2', 'encoder t=2; decoder t=2, 3')
    """
    found = sorted((step, chain, own) for node in nodes if node.kind == "ellipsis"
                   for step, (chain, own) in zip(steps_left_out(node).steps, steps_left_out(node).named))
    if not found:
        return ""
    afters = {node.chain.after for node in nodes if node.chain is not None} | {step - own for step, _, own in found}
    if len(afters) < 2:  # one chain in time (or several side by side: layers, directions): t is every row's
        return f"t={steps_text([own for _, _, own in found])}"
    by_chain: list[tuple[str, list[int]]] = []
    for _, chain, own in found:
        if not by_chain or by_chain[-1][0] != chain:
            by_chain.append((chain, []))
        by_chain[-1][1].append(own)
    return "; ".join(f"{chain} t={steps_text(owns)}".lstrip() for chain, owns in by_chain)


def _span(steps: list[int]) -> str:
    """The steps of a run, as a figure names them: ``4…18``, or ``2`` for one.

    >>> _span([4, 5, 6]), _span([2])
    ('4…6', '2')
    """
    return f"{steps[0]}…{steps[-1]}" if len(steps) > 1 else str(steps[0])


def _ends_the_loss(node: Node) -> bool:
    """J, or the mean of the J_t: reached from the steps left out through their "…"."""
    return node.kind == "output" or is_sum_of_losses(node)


def steps_picked(nodes: list[Node], edges) -> dict[int, tuple[int, str, int]]:
    """{an op-level stack of every step's state: (the step node whose state the index that alone reads it takes,
    what the index says: "[-1] → h₆", that index's node)} — J = out[-1].sum() reads h₆ alone, though the stack
    reads every h_t. A stack read by several nodes (out.sum() + out[-1].sum()) reaches J from every step.
    (Also an attending decoder's h_n[0], named where it is handed over: :func:`.attention.place_attention_ops`.)

    >>> steps_picked([], [])
    {}
    """
    found = {}
    computed_by = {id(other.key): j for j, other in enumerate(nodes) if other.kind == "op"}
    for stack, node in enumerate(nodes):
        function = node.key
        if node.kind != "op" or node.step is not None or getattr(function, "name", "") != "stack":
            continue
        reader = _reader(stack, edges)
        if reader is None:  # none or several read the stack
            continue
        index = getattr(nodes[reader].key, "index", None)
        key = index if isinstance(index, tuple) else (index,)
        dim = function.dim % len(node.tensors[0].shape) if node.tensors else 0
        if getattr(nodes[reader].key, "name", "") != "index" or len(key) <= dim or \
                any(k != slice(None) for k in key[:dim]) or not isinstance(key[dim], (int, numpy.integer)) or \
                not -len(function.parents) <= key[dim] < len(function.parents):
            continue
        picked = computed_by.get(id(getattr(function.parents[key[dim]], "grad_fn", None)))
        if picked is None or nodes[picked].step is None:
            continue
        name = nodes[picked].label.split("\n")[0].split(" = ")
        written = "[" + ", ".join([":"] * dim + [str(key[dim])]) + "]"
        found[stack] = (picked, f"{written} → {name[0] if len(name) > 1 else f't={nodes[picked].step}'}", reader)
    return found


def _reader(position: int, edges) -> int | None:
    """The one node that reads ``position`` (None where none or several do)."""
    readers = {b for a, b, _ in edges if a == position}
    return next(iter(readers)) if len(readers) == 1 else None
