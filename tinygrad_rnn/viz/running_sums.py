"""A loss summed in a loop, as the PyTorch tutorials write it (``loss = loss + J_t`` at every step, from 0,
0.0, ``tr.tensor(0.)`` or ``tr.zeros(())``), or stacked (``tr.stack(losses).sum()``) — either divided by T
after the loop (``/ T``, ``* (1/T)``, ``.mean()``) for their mean.

Each ``add`` of that running sum is recorded inside the step it runs in, so grouped with its cell it
would be drawn as a second state handed from cell to cell, and the last one (J itself) as "J₄" — as
if the loss were on the last step only. It is the sum of per-step losses, as ``tr.stack(losses).sum()``
is: :func:`take_out_of_steps` finds the chain of adds (before the ops are grouped into cells) and
takes them out of their steps, and :func:`draw_as_sum` draws J_t of each step into one Σₜ Jₜ node
((1/T) Σₜ Jₜ for a mean) that J reads — the node a BPTT figure hands each J_t its ∂J/∂J_t = 1 from
(1/T for a mean). A loss function's J_t is a node of its own in its step's column, "J₃ = cross_entropy",
as a layer's losses are drawn, and so is a loop's log-probability of the head's scores, "J₃ = log_softmax[·]";
a sum (h_t.sum()) is the edge J_t out of the node it is computed in.

The steps are found wherever they are recorded: a loop of ``nn.RNNCell`` calls without scopes records
the cell's ops in its steps but not the user's head and J_t = head(h_t).sum(), nor an add written after
the ``with`` block. Such an op belongs to the latest step it reads (J_t to step t), and J_t is drawn
out of the node it is drawn in — its cell, or the head drawn once per step — so that the head's arrow
back into cell t reads (1/T) ∂J_t/∂h_t, never a gradient written in terms of itself.

>>> import tinygrad_rnn as tr
>>> from tinygrad_rnn.viz.graph import build_picture
>>> h, loss = tr.zeros(1, 2, requires_grad=True), 0
>>> for t in range(3):
...     with tr.scope(f"t={t + 1}"):
...         h = (h + 1).tanh()
...         loss = loss + h.sum()
>>> picture = build_picture((loss,), level="cell", show_shapes=False)
>>> sorted(label for _, _, label in picture.edges if label.startswith("J"))
['J₁', 'J₂', 'J₃']
>>> cell, head, h, total = tr.nn.RNNCell(2, 3), tr.nn.Linear(3, 4), None, tr.tensor(0.0)
>>> for t in range(3):  # the textbook mean, without scopes
...     h = cell(tr.ones(1, 2), h)
...     total = total + tr.nn.functional.cross_entropy(head(h), tr.tensor([t]))
>>> picture = build_picture((total / 3,), level="cell", show_shapes=False)
>>> sorted(node.label for node in picture.nodes if "J" in node.label)
['(1/3) Σₜ Jₜ', 'J', 'J₁ = cross_entropy', 'J₂ = cross_entropy', 'J₃ = cross_entropy']
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import replace
from typing import Any

from . import user_steps
from .levels import LOSSES, group_key, per_step_label
from .picture import PER_STEP, Node, is_sum_of_losses, subscript, sum_of_losses
from .step_states import state_name
from .user_steps import LinkMaps


def take_out_of_steps(nodes: list[Node], links: list, maps: LinkMaps) -> tuple[dict[int, list[int]], int | None]:
    """Find the per-step losses J sums, and how: a running sum — a chain of scalar adds, one a step, each
    reading the one before it and its own step's loss J_t, each read only by the next, the first reading J₁ and
    the constant the sum starts from (0, 0.0, ``tr.tensor(0.)``, ``tr.zeros(())``) — whose adds it takes out of
    their steps (drawn as J's sum, not in the cells); or ``tr.stack(losses).sum()`` or ``.mean()`` of one scalar
    a step. Either may be divided by the number of steps T (``/ T``, ``* (1/T)``): J is then their mean. An op
    outside every step (a loop of cell calls without scopes, or ``loss = loss + J_t`` after the ``with`` block)
    belongs to the latest step it reads: J_t = head(h_t).sum() to step t. A tensor the sum starts from is no
    input of J: its link is removed from ``links``. Returns ({position of the op computing J_t: its cone, the
    ops it is computed from outside the steps, nearest first, down to the first op of a step on each path}, T
    where J is their mean), or ({}, None) where J is neither. ``maps``: the links' (:func:`.user_steps.link_maps`)."""
    inputs, readers = maps
    roots = [tail for tail, head, _, _ in links if nodes[head].kind == "output"]
    if not roots or nodes[roots[0]].kind != "op":
        return {}, None
    summed, divisor = _divided(nodes, inputs, roots[0])
    if nodes[summed].kind != "op" or nodes[summed].key.name not in ("add", "sum"):
        return {}, None  # no sum of losses: the graph is not walked (:func:`_steps_read`)
    step_at = _steps_read(nodes, inputs)
    terms, chain, start = _stacked_losses(nodes, inputs, summed, step_at), [], None
    if not terms:
        terms, chain, start = _running_sum(nodes, inputs, readers, summed, step_at)
    if not terms:  # J₁ + J₂ + …, or a head applied to the whole sequence: each J_t's step known once grouped
        terms, chain, start = _added_losses(nodes, inputs, readers, summed)
    # J = Σₜ Jₜ or (1/T) Σₜ Jₜ; divided by anything else (a sum over 2 of 4 steps?) it is drawn as recorded
    if not terms or not (divisor == 1 or math.isclose(divisor, len(terms))):
        return {}, None
    for position in chain:
        nodes[position].step, nodes[position].row = None, ()
    if start is not None:  # the 0 the sum starts from: no input of J (no "input ()" beside the loss)
        links.remove(next(link for link in links if link[0] == start and link[1] in chain))
    # J_t's op and the ops outside the steps it is computed from, down to the first op of a step on each path: one
    # of them is the node J_t is drawn in (its cell, or the head drawn once per step)
    def outside_steps(tail: int) -> bool:
        return nodes[tail].step is None

    cones = {p: user_steps.cone(p, inputs, lambda tail: nodes[tail].kind == "op", outside_steps) for p in terms}
    return cones, len(terms) if divisor != 1 else None


def _divided(nodes: list[Node], inputs: dict[int, list[int]], position: int) -> tuple[int, float]:
    """J = S / T, S * (1/T), or ``S.mean()`` (a stack's, S / T; a scalar's, S / 1): (S's position, T); (J's, 1)
    where J divides nothing by a number."""
    divisor = 1.0
    while nodes[position].kind == "op" and len(inputs.get(position, [])) == 1:
        key = nodes[position].key
        numbers = _numbers(key)
        if len(numbers) != 1 or numbers[0] == 0 or key.name not in ("div", "mul") or (
                key.name == "div" and key.parents[-1] is not numbers[0]):  # (T / S divides by S)
            break
        divisor *= numbers[0] if key.name == "div" else 1 / numbers[0]
        position = inputs[position][0]
    return position, divisor


def _steps_read(nodes: list[Node], inputs: dict[int, list[int]]) -> dict[int, int]:
    """{op position: its step}: an op's own, or for an op outside every step the latest step it reads."""
    step_at: dict[int, int] = {}
    pending = [p for p, node in enumerate(nodes) if node.kind == "op"]
    done: set[int] = set()
    while pending:  # a walk in dependency order, no recursion
        position = pending[-1]
        if position in done:
            pending.pop()
            continue
        waiting = [t for t in inputs.get(position, []) if nodes[t].kind == "op" and t not in done]
        if waiting and nodes[position].step is None:
            pending.extend(waiting)
            continue
        pending.pop()
        done.add(position)
        read = [step_at[t] for t in inputs.get(position, []) if t in step_at]
        step = nodes[position].step if nodes[position].step is not None else max(read, default=None)
        if step is not None:
            step_at[position] = step
    return step_at


def _running_sum(nodes: list[Node], inputs, readers, root: int, step_at: dict[int, int]
                 ) -> tuple[dict[int, int], list[int], int | None]:
    """loss = loss + J_t: ({J_t's op: t}, the chain of adds ending at ``root``, last step first, the constant
    tensor the first add reads or None). Every add reads the one before it and its own step's J_t, nothing else,
    down to the first: 0 + J₁ (a Python 0 is no input; a tensor 0 is one). A chain that ends otherwise (J₁ + J₂,
    as a generation's log P(ŷ | x) adds up its steps' log-probabilities), or that adds a number other than 0, is
    no running sum of losses, and is drawn as it is recorded."""
    chain: list[int] = []
    terms: dict[int, int] = {}
    start: int | None = None
    position: int | None = root
    none: tuple[dict[int, int], list[int], int | None] = ({}, [], None)
    while position is not None:
        step, read = step_at.get(position), inputs.get(position, [])
        if not _scalar_add(nodes[position], step) or any(x != 0 for x in _numbers(nodes[position].key)) or (
                chain and readers[position] != {chain[-1]}):
            return none
        earlier = [p for p in read if _scalar_add(nodes[p], step_at.get(p)) and step_at[p] < step]
        zero = [p for p in read if not earlier and _zero_constant(nodes[p]) and readers.get(p) == {position}]
        own = [p for p in read if p not in earlier and step_at.get(p) == step]
        if len(earlier) > 1 or len(zero) > 1 or len(own) != 1 or len(earlier) + len(zero) + 1 != len(read) or (
                chain and step >= step_at[chain[-1]]):
            return none
        chain.append(position)
        terms[own[0]] = step
        start = zero[0] if zero else None
        position = earlier[0] if earlier else None
    if len(chain) < 2:  # one add is no loop
        return none
    return terms, chain, start


def _added_losses(nodes: list[Node], inputs, readers, root: int) -> tuple[dict[int, None], list[int], int | None]:
    """J₁ + J₂ + … + J_T written any way (``sum(losses)``, ``(J₁ + J₂ + J₃) / 3``, ``tr.stack(losses).sum()``) where
    every term is a loss function's value (cross_entropy of one step's scores): ({J_t's op: None}, the adds, the
    constant 0 a Python ``sum`` may start from or None). Their steps are not read here: ``logits[:, t]`` of a
    head applied to the whole sequence reads every step before the ops are grouped, and only the grouping
    (:func:`draw_as_sum`) draws each J_t in the column of the step it is computed from.

    >>> import tinygrad_rnn as tr
    >>> from tinygrad_rnn.viz.graph import build_picture
    >>> model = tr.models.LanguageModel(vocab_size=5, embedding_dim=2, hidden_size=3)
    >>> scores, _ = model(tr.tensor([[1, 2, 3]]))
    >>> losses = [tr.nn.functional.cross_entropy(scores[:, t], tr.tensor([t])) for t in range(3)]
    >>> picture = build_picture(((losses[0] + losses[1] + losses[2]) / 3,), level="cell", show_shapes=False)
    >>> sorted((node.label, node.step) for node in picture.nodes if "J" in node.label)[2:]  # in their steps' columns
    [('J₁ = cross_entropy', 1), ('J₂ = cross_entropy', 2), ('J₃ = cross_entropy', 3)]
    """
    none: tuple[dict[int, None], list[int], int | None] = ({}, [], None)
    if nodes[root].key.name == "sum" and len(inputs.get(root, [])) == 1 and \
            nodes[inputs[root][0]].kind == "op" and nodes[inputs[root][0]].key.name == "stack":
        stacked = inputs[inputs[root][0]]
        return ({p: None for p in stacked}, [], None) if len(stacked) >= 2 and all(
            _loss_value(nodes[p]) for p in stacked) and len(set(stacked)) == len(stacked) else none
    terms: dict[int, None] = {}
    chain: list[int] = []
    start: int | None = None
    pending = [root]
    while pending:  # the tree of adds, no recursion
        position = pending.pop()
        node = nodes[position]
        if _loss_value(node) and position not in terms:
            terms[position] = None
        elif node.kind == "op" and node.key.name == "add" and node.tensors and tuple(node.tensors[0].shape) == () \
                and not any(x != 0 for x in _numbers(node.key)) and (position == root or len(readers[position]) == 1):
            chain.append(position)
            pending.extend(inputs.get(position, []))
        elif _zero_constant(node) and start is None and len(readers.get(position, ())) == 1:
            start = position
        else:  # anything else added (a number, a penalty, a log-probability): drawn as it is recorded
            return none
    return (terms, chain, start) if len(terms) >= 2 and len(chain) >= 1 else none


def _loss_value(node: Node) -> bool:
    """A loss function's scalar value (cross_entropy, nll_loss): a J_t a lecture's J = (1/T) Σₜ Jₜ adds up."""
    return node.kind == "op" and node.key.name in LOSSES and bool(node.tensors) and tuple(node.tensors[0].shape) == ()


def _stacked_losses(nodes: list[Node], inputs: dict[int, list[int]], position: int,
                    step_at: dict[int, int]) -> dict[int, int]:
    """J = tr.stack(losses).sum() (its mean divided by T: :func:`_divided`): {J_t's op: t}."""
    if nodes[position].kind != "op" or nodes[position].key.name != "sum" or len(inputs.get(position, [])) != 1:
        return {}
    stack = inputs[position][0]
    if nodes[stack].kind != "op" or nodes[stack].key.name != "stack":
        return {}
    terms = {p: step_at[p] for p in inputs.get(stack, []) if nodes[p].kind == "op" and nodes[p].tensors
             and tuple(nodes[p].tensors[0].shape) == () and p in step_at}
    steps = sorted(terms.values())
    one_a_step = len(terms) == len(inputs[stack]) and steps == sorted(set(steps))
    return terms if len(terms) >= 2 and one_a_step else {}


def draw_as_sum(nodes: list[Node], found: tuple[dict[int, list[int]], int | None], grouped: list[Node], edges,
                level: str):
    """After grouping: each step's J_t drawn in its step's column into one Σₜ Jₜ node (or (1/T) Σₜ Jₜ for a mean),
    the only thing J reads. A loss function's J_t is a node of its own, "J₃ = cross_entropy", as a layer's loss is
    drawn: the node a loss after the ``with`` block is drawn as, or a node above the one it is computed in (its
    cell, or the head drawn once per step); any other J_t (h_t.sum()) is the edge J_t out of the node it is
    computed in. ``found`` is what :func:`take_out_of_steps` returned (positions in ``nodes``, before grouping);
    ``grouped``, the nodes after grouping at ``level``, and ``edges`` theirs."""
    terms, mean = found
    over_steps = {node.key[1] for node in grouped if is_sum_of_losses(node)}
    if not terms or over_steps & set(terms):  # a J_t a loss over several steps: J reads its own (1/T) Σₜ Jₜ
        return grouped, edges  # (a chunk's of truncated BPTT): J = J⁽¹⁾ + J⁽²⁾ drawn as recorded
    drawn_as = _drawn_as(grouped)
    result, added = list(grouped), []
    into_sum: list[tuple[int, str]] = []  # (the node J_t leaves, the edge's label)
    scored: list[tuple[int, int]] = []  # (the node computing a step's scores, J_t = cross_entropy drawn above it)
    row = _top_row(grouped)  # J_t above everything else of its step, as a layer's are
    steps: set[int] = set()  # the steps whose J_t is found: one loss a step
    for position, cone in terms.items():
        step = max((nodes[p].step for p in cone if nodes[p].step is not None), default=None)
        keys = [group_key(nodes[p], level) if nodes[p].step is not None else ("op", p) for p in cone]
        found_in = next((drawn_as[key] for key in keys if key in drawn_as), None)
        own = keys[0] == ("op", position) and keys[0] in drawn_as  # J_t's op a node of its own (after the steps)
        if own and found_in is not None and result[found_in].step is not None:
            step = result[found_in].step  # drawn per step (ŷ_t of a head over the whole sequence): in that column
        if step is None or found_in is None or found_in in {tail for tail, _ in [*into_sum, *scored]} or (
                not own and result[found_in].step is None) or step in steps:  # (two losses of one step: no J_t)
            return grouped, edges
        steps.add(step)
        name, function = subscript("J", step), nodes[position].key.name
        if own:
            result[found_in] = replace(result[found_in], kind="group", label=f"{name} = {function}", step=step, row=row)
            into_sum.append((found_in, ""))
        elif function in LOSSES or (folded := _folded_after(nodes, cone, keys, result[found_in])):
            # a node of its own: J_t = log_softmax[·] of a loop's head ŷ_t, as J_t = cross_entropy is — the edge
            # out of "ŷ₃ = linear" would say it carries J₃, and ∂J/∂J₃ = 1 would enter the head's backward
            computes = function if function in LOSSES else folded
            scored.append((found_in, len(result) + len(added)))
            into_sum.append((len(result) + len(added), ""))
            added.append(Node(("loss of step", position), "group", f"{name} = {computes}", nodes[position].scope,
                              step=step, row=row))
        else:
            into_sum.append((found_in, name))
        for p, key in zip(cone, keys):  # J_t = h_t.sum() outside the cell: the cell reads h_t in itself, as if J_t were
            if key == result[found_in].key:  # in it — the arrow back from cell t + 1 carries only a part of ∂J/∂h_t
                result[found_in].read_inside.update(filter(None, (state_name(nodes[p], out)
                                                                   for out in range(len(nodes[p].tensors)))))
    result += added
    output = next(i for i, node in enumerate(result) if node.kind == "output")
    total = len(result)
    result.append(sum_of_losses("sum of the steps' losses", mean))
    kept = [edge for edge in edges if edge[1] != output]  # J = Σₜ Jₜ: J reads the Σ alone
    return result, [*kept, *((cell, loss, "") for cell, loss in scored),
                    *((tail, total, label) for tail, label in into_sum), (total, output, "")]


def _folded_after(nodes: list[Node], cone: list[int], keys: list, drawn: Node) -> str:
    """The ops that compute J_t from a value a per-step node of the user's names (the head's ŷ₃ = linear), written
    as one expression in their order ("log_softmax[·]": an entry of the log-probabilities), or "" where J_t is that
    node's own result, the node is a cell (J_t = h_t.sum() in the cell's scope: the cell computes it), or the ops
    only add up the node's result (J_t = head(h_t).sum(): the 1 of ∂J/∂J_t reaches each of its entries as it is, so
    the edge J_t out of the head says no more than is true).
    ``cone``: J_t's op and the ops it is computed from, nearest first (:func:`take_out_of_steps`); ``keys``: the
    drawn node each of them is in."""
    if not (isinstance(drawn.key, tuple) and drawn.key[:1] == ("split",)) or keys[0] == ("op", drawn.key[1]):
        return ""
    between = []
    for position, key in zip(cone, keys):
        if key == ("op", drawn.key[1]):
            break
        between.append(nodes[position].key)
    if {function.name for function in between} <= {"sum"}:
        return ""
    written, tempered = "", ""
    ran = between[::-1]  # in the order they run
    for function, after in zip(ran, ran[1:] + [None]):
        name, divisor = function.name, _numbers(function)
        if name == "div" and divisor and getattr(after, "name", "") in SOFTMAXES:
            # a temperature, as the lectures write it, ŷ_t = softmax(U h_t / τ): the node's value over τ, not "div"
            # (τ=0.7 as t=1 is written: a label's " = " parts its name from what computes it)
            written, tempered = f"{written or drawn.label.partition(' = ')[0]}/τ", f", τ={divisor[0]:g}"
        else:
            written = f"{written}[·]" if name == "index" and written else f"{name}({written})" if written else name
    return written + tempered


SOFTMAXES = ("softmax", "log_softmax")  # what a temperature divides the scores for


def _drawn_as(grouped: list[Node]) -> dict[Any, int]:
    """{what a drawn node stands for: its index}: a cell's (row, step); ("op", position) for a user's op drawn
    as a node of its own, once per step (the head over h_t) or after the steps (a loss after the ``with`` block)."""
    drawn_as: dict[Any, int] = {}
    for i, node in enumerate(grouped):
        if isinstance(node.key, tuple) and node.key[:1] in (("split",), ("after",)):
            drawn_as.setdefault(("op", node.key[1]), i)
        elif node.kind == "group" and isinstance(node.key, tuple):
            drawn_as[node.key] = i
    return drawn_as


def _top_row(grouped: list[Node]) -> tuple[str, ...]:
    """The row of the per-step values drawn above all others (ŷ_t below it): the row of the J_t."""
    ranks = [int(node.row[2]) for node in grouped if node.row[:2] == (PER_STEP, "output")]
    return (PER_STEP, "output", str(max(ranks, default=0) + 1))


def _scalar_add(node: Node, step: int | None) -> bool:
    return (node.kind == "op" and step is not None and getattr(node.key, "name", "") == "add"
            and bool(node.tensors) and tuple(node.tensors[0].shape) == ())


def _numbers(function: Any) -> list[float]:
    """The numbers an op was called with (2 of ``total / 2``, 0 of ``0 + J₁``): constants, not inputs."""
    return [x for x in function.parents if isinstance(x, (int, float)) and not isinstance(x, bool)]


def _zero_constant(node: Node) -> bool:
    """A leaf that needs no gradient holding a scalar 0 (``tr.tensor(0.)``, ``tr.zeros(())``): a sum's start."""
    return (node.kind == "input" and len(node.tensors) == 1 and tuple(node.tensors[0].shape) == ()
            and node.tensors[0].item() == 0)


def draw_as_sum_of_ops(nodes: list[Node], edges, found: tuple[dict[int, list[int]], int | None],
                       taken: list[Node]) -> tuple[list[Node], list[tuple[int, int, str]]]:
    """At op level, what :func:`draw_as_sum` does for cells: each step's loss op named J_t ("J₃ = cross_entropy"),
    and the ops that add them up — a stack and its sum, a running sum's adds, the division by T — drawn as the one
    Σₜ Jₜ node ((1/T) Σₜ Jₜ) J reads, as the cell level draws them. ``found``: :func:`take_out_of_steps`'s answer on
    ``taken``, the op nodes before the op level rebuilt its list (``nodes`` holds the same objects)."""
    terms, mean = found
    at = {id(node): i for i, node in enumerate(nodes)}
    losses = {at.get(id(taken[p])): max((taken[q].step for q in cone if taken[q].step is not None), default=None)
              for p, cone in terms.items()}
    outputs = [i for i, node in enumerate(nodes) if node.kind == "output"]
    if not terms or None in losses or None in losses.values() or len(outputs) != 1 or \
            len(set(losses.values())) != len(losses):  # (logits[:, t] of a head over the sequence: no step read)
        return nodes, edges
    inputs, readers = user_steps.link_maps(edges)
    after, queue = set(), deque(losses)  # the ops the J_t flow through to J: what adds them up
    while queue:
        for head in readers.get(queue.popleft(), []):
            if head not in after and head not in losses and nodes[head].kind == "op":
                after.add(head)
                queue.append(head)
    # the constant a running sum starts from (0): read by the sum alone, gone with it
    starts = {i for i in range(len(nodes)) if nodes[i].kind == "input" and readers.get(i)
              and set(readers[i]) <= after}
    if not after or any(tail not in after | starts | set(losses) for head in after for tail in inputs.get(head, [])):
        return nodes, edges  # an op of the sum reads something else: drawn as recorded
    for position, step in losses.items():
        first, newline, rest = nodes[position].label.partition("\n")
        if " = " not in first and first in LOSSES:  # (a name the user gave it stays)
            nodes[position] = replace(nodes[position], label=per_step_label(nodes[position], step) + newline + rest)
    kept = [i for i in range(len(nodes)) if i not in after | starts]
    renumber = {old: new for new, old in enumerate(kept)}
    result = [nodes[i] for i in kept] + [sum_of_losses("sum of the steps' losses", mean)]
    total, output = len(result) - 1, renumber[outputs[0]]
    return result, [(renumber[t], renumber[h], label) for t, h, label in edges if t in renumber and h in renumber] + \
        [(renumber[p], total, "") for p in losses] + [(total, output, "")]
