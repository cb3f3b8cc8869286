"""What a drawing is made of: a Picture of Nodes and labelled edges, with each node's step and row.

``graph.py`` builds a Picture from a recorded graph, ``levels.py`` merges it into cells or steps,
``views.py`` derives the rolled loop and the BPTT figure from it; ``layout.py`` places it and
``dot.py`` / ``svg.py`` write it. Nothing here knows about tensors or formats.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

from ..steps import loop_name, step_of
from .scripts import TO_SUBSCRIPT

PER_STEP = "per step"  # the first part of the row of a node split per step (e_t below a cell, ŷ_t, J_t above)
DETACHED = "detach(): value only, no gradient"  # a state carried across a detach() (truncated BPTT: detached.py)
GRADIENT_STOPS = "gradient stops (detach)"  # its mark in a backward figure, where no gradient arrow crosses the cut
CUTS = (DETACHED, GRADIENT_STOPS)  # a detach()'s labels: the value carried across it (forward), its cut (backward)
CHOICES = ("argmax", "sampled", *CUTS)  # labels of an edge along which no gradient passes: a
# choice (ŷ_t → the next input, how the token was chosen), or a detached value and its cut: drawn dashed


def carried_across_cut(states: str) -> str:
    """A forward figure's dashed arrow across a ``detach()`` between two drawn steps, named as a solid arrow is by
    the state it hands on — its value still passes — written as the code cuts it (``detached.name_cuts``).

    >>> carried_across_cut("h₂"), carried_across_cut("c₂, h₂")
    ('h₂.detach(): value only, no gradient', '(c₂, h₂).detach(): value only, no gradient')
    """
    return f"{f'({states})' if ', ' in states else states}.{DETACHED}"


def cut_lines(label: str) -> list[str]:
    """A cut named by its states (:func:`carried_across_cut`) as a slide breaks it between two steps: the states
    on a line of their own over the cut's two, so that the gap is no wider than an unnamed cut's (one line "(c₃,
    h₃).detach():" widened a CS224N LSTM's gaps past its slide, and a "…" then hid the cut); [] for any other label.

    >>> cut_lines("h₂.detach(): value only, no gradient"), cut_lines("h₂")
    (['h₂', 'detach(): value', 'only, no gradient'], [])
    """
    if not is_named_cut(label):
        return []
    return [label[: -len(DETACHED) - 1], "detach(): value", "only, no gradient"]


def is_named_cut(label: str) -> bool:
    """Whether ``label`` is a cut named by its states, h₂.detach(): … (:func:`carried_across_cut`)."""
    return label.endswith(f".{DETACHED}")


def passes_no_gradient(label: str) -> bool:
    """Whether an edge so labelled carries no gradient (:data:`CHOICES`, or a cut named by its state:
    :func:`carried_across_cut`): what a drawing dashes and routes as a choice."""
    return label in CHOICES or is_named_cut(label)


CHOICE_INPUT = -1  # the input position of such a link in graph.py's links: not an input of the op
BACKWARD_ROW = "∂"  # the first part of a row of the backward half of a forward-and-backward figure (drawn below)


@dataclass
class Node:
    key: Any  # what the node stands for: a Function, a Tensor's id, or a group's key
    kind: str  # parameter | input | op | group | output | ellipsis
    label: str
    scope: tuple[str, ...] = ()
    tensors: list[Any] = field(default_factory=list)  # the tensors (or graph Nodes) it stands for
    gradient_norm: float | None = None
    step: int | None = None  # the time step it belongs to, None outside any step
    row: tuple[str, ...] = ()  # the scope above its step: one row of the figure per layer and direction
    parameters: list[str] = field(default_factory=list)  # params="label": the parameters it uses
    tensor_names: dict[Any, str] = field(default_factory=dict)  # each parameter tensor's key → the name drawn
    uses: dict[str, int] = field(default_factory=dict)  # a parameter its ops read more than once: name drawn → times
    states: dict[int, str] = field(default_factory=dict)  # output → the state it is, where the user named none (h)
    loops: list[str] = field(default_factory=list)  # the rolled view: the states a cell feeds back to itself
    read_inside: set[str] = field(default_factory=set)  # states a cell passes on and reads itself: c (h = o ⊙ tanh c)
    chain: Any = None  # the recurrent layer's run its row draws (function.Chain: module, layer, direction)
    after: int | None = None  # steps in time before its step 1 (a decoder's: its encoder's S), where no chain says
    # a "…": which state of the last step it stands for each line out of it carries, by its head's key (an LSTM's
    # h and c: two arrows; one state read by two ops: one line that forks)
    carries: dict[Any, int] = field(default_factory=dict)
    initial: bool = False  # the state a recurrence starts from (h₀, c₀), as the graph says (initial_states.py)
    cut_into: str = ""  # the states a detach() hands this step, their values only (h₂; c₂, h₂): detached.py
    cut_from: str = ""  # the states this step computed that a detach() hands on (the same names)


SUM_OF_LOSSES = "Σₜ Jₜ"  # the node the per-step losses of a running sum meet in


def losses_summed(mean: int | str | None) -> str:
    """The label of the node the J_t meet in: their sum, or their mean over ``mean`` steps ("T": any number of them,
    as the rolled view writes it) as a layer's mean of its J_t is written.

    >>> losses_summed(None), losses_summed(4), losses_summed("T")
    ('Σₜ Jₜ', '(1/4) Σₜ Jₜ', '(1/T) Σₜ Jₜ')
    """
    return f"(1/{mean}) {SUM_OF_LOSSES}" if mean else SUM_OF_LOSSES


def sum_of_losses(what: Any, mean: int | None, scope: tuple[str, ...] = ()) -> Node:
    """The node J_t meet in: a running sum's, or a loss over a sequence's (``what`` tells them apart in its key),
    their mean over ``mean`` steps (None: their sum). Its key says it (:func:`mean_over`), not only its label."""
    return Node(("reduced", what, mean), "op", losses_summed(mean), scope)


DROPOUT_MASK = "dropout mask"  # how a dropout mask is named (initial_states.name_dropout)


def is_dropout_mask(node: Node) -> bool:
    """A leaf named a dropout mask (:func:`.initial_states.name_dropout`): one tensor for the whole sequence, each
    step's dropout multiplying by its slice for step t — drawn once, never as a step's input, its p never
    subscripted."""
    return node.kind == "input" and node.label.startswith(DROPOUT_MASK)


def masks_into_cells(nodes: list[Node], edges: list[tuple[int, int, str]]) -> set[int]:
    """The dropout masks (:func:`is_dropout_mask`) that feed a chain's cells."""
    return {tail for tail, head, _ in edges if is_dropout_mask(nodes[tail]) and nodes[head].kind == "group"
            and nodes[head].chain is not None}


def is_backward_rule(node: Node) -> bool:
    """Whether a node is a backward rule, an op recorded while a gradient was computed: its lines out carry
    different values (one gradient per input), not one value read by several nodes."""
    return node.kind == "op" and getattr(node.key, "is_gradient", False)


def is_sum_of_losses(node: Node) -> bool:
    """Whether ``node`` is the node J_t meet in (:func:`sum_of_losses`): told by its key, whatever its label."""
    return isinstance(node.key, tuple) and node.key[0] == "reduced"


def mean_over(node: Node) -> int | None:
    """T where ``node`` (:func:`sum_of_losses`) is the mean of T losses (the BPTT figure hands each J_t 1/T of ∂J),
    None for their sum."""
    return node.key[2]


def display_label(node: Node, line_chars: int | None = None, per_line: int = 2,
                  whole_parameters: bool = False, words_on_names: bool = False) -> str:
    """What a drawing writes in a node: its label, and with params="label" the parameters it uses,
    ``per_line`` to a line (two: W_ih, b_ih / W_hh, b_hh), so that a cell stays narrow and a figure's text
    large; three (W, b_h, V in one line) make a cell one line shorter, for a figure whose height is short.
    With ``line_chars`` (a slide), a longer line breaks after " = ", ", " or "; ": a narrower node; with
    ``whole_parameters`` only its name does (g₁ = / tanh), its parameters' lines stay whole (W_hh, b_hh):
    a node as tall as its name, where a figure has room for its width but not for its height. With
    ``words_on_names`` an input's word (``tokens=``) is written on its name's line where both fit in
    ``line_chars``: x₁ = "the", one line, not x₁ over "the" (a row of inputs a line shorter).

    >>> from tinygrad_rnn.viz.picture import Node
    >>> node = Node(key=0, label="linear", kind="op", parameters=["W_hh", "b_hh"])
    >>> display_label(node, 8).splitlines(), display_label(node, 8, whole_parameters=True).splitlines()
    (['linear', 'W_hh,', 'b_hh'], ['linear', 'W_hh, b_hh'])
    >>> word, long = Node(key=1, label='x₁\\n"the"', kind="input"), Node(key=2, label='x₂\\n"sentence"', kind="input")
    >>> display_label(word, 12, words_on_names=True), display_label(long, 12, words_on_names=True).splitlines()
    ('x₁ = "the"', ['x₂', '"sentence"'])
    """
    pairs = [", ".join(node.parameters[k:k + per_line]) for k in range(0, len(node.parameters), per_line)]
    if line_chars is None:
        return "\n".join([node.label, *pairs])
    label = _word_on_its_name(node.label, line_chars) if words_on_names and has_a_word(node) else node.label
    broken = [part for line in label.split("\n") for part in wrapped(line, line_chars)]
    return "\n".join(broken + [part for line in pairs
                                for part in ([line] if whole_parameters else wrapped(line, line_chars))])


def has_a_word(node: Node) -> bool:
    """Whether ``node`` is an input with its word written under its name (``tokens=``: x₁ over "the").

    >>> has_a_word(Node(key=0, label='x₁\\n"the"', kind="input")), has_a_word(Node(key=1, label="x₁", kind="input"))
    (True, False)
    """
    lines = node.label.split("\n")
    return node.kind == "input" and len(lines) == 2 and lines[1][:1] == lines[1][-1:] == '"'


def _word_on_its_name(label: str, line_chars: int) -> str:
    """x₁ over "the" (a label has_a_word) as one line, x₁ = "the", where that is no longer than ``line_chars``
    (else as it was)."""
    name, _, word = label.partition("\n")
    joined = f"{name} = {word}"
    return joined if len(joined) <= line_chars else label


def wrapped(line: str, line_chars: int) -> list[str]:
    """A line longer than ``line_chars`` broken after its first " = ", ", " or "; " outside brackets
    (a shape such as (3, 1, 3) stays whole), and so on in what is left.

    >>> wrapped("J₁ = cross_entropy", 12), wrapped("∂J/∂W_hy = Σₜ ∂J/∂W_hy|₍ₜ₎", 12), wrapped("(3, 1, 3)", 4)
    (['J₁ =', 'cross_entropy'], ['∂J/∂W_hy =', 'Σₜ ∂J/∂W_hy|₍ₜ₎'], ['(3, 1, 3)'])
    >>> wrapped("δ · W; δᵀ x for W", 12)  # a backward's two products, one a line
    ['δ · W;', 'δᵀ x for W']
    """
    parts: list[str] = []
    while len(line) > line_chars:
        cut = _first_break(line)
        if not cut:
            break
        parts.append(line[:cut].rstrip())
        line = line[cut:]
    return parts + [line]


def _first_break(line: str) -> int:
    """Where a line may break: just after its first " = ", ", " or "; " outside brackets (0: nowhere)."""
    depth = 0
    for k, char in enumerate(line):
        depth += (char in "([{") - (char in ")]}")
        if depth == 0 and k > 0 and any(line.startswith(mark, k) for mark in (" = ", ", ", "; ")):
            return k + (3 if line[k + 1] == "=" else 2)
    return 0


@dataclass
class Picture:
    nodes: list[Node]  # in a stable order: first seen, walking back from the outputs
    edges: list[tuple[int, int, str]]  # (tail index, head index, label)
    rankdir: str = "LR"
    title: str = ""
    legend: tuple[float, float] | None = None  # the gradient-norm range shown by the colour scale
    backward: bool = False  # a gradient graph: its steps run right to left
    notes: list[str] = field(default_factory=list)  # lines under the figure (what a label means)
    slide: bool = False  # drawn for a 16:9 slide: tighter spacing, long lines broken, the canvas landscape
    # the edges (tail, head, label) that carry a gradient back in a figure that draws both ways on one set of nodes
    # (forward and backward on a slide): drawn in the gradient's colour, the others as values. (By label too: a
    # step node's reverse state h₃⁽←⁾ runs from step 3 to step 2 as the forward direction's gradient does.)
    gradients: set[tuple[int, int, str]] = field(default_factory=set)
    # each step one cell with its t alone (gradient_strip.as_strip): the cells closer, nothing named between them
    strip: bool = False


def relabel_edges(picture: Picture, edges: list[tuple[int, int, str]]) -> None:
    """``picture.edges`` replaced by ``edges``, the same edges in the same order, renamed (h₃ → h₃⁽¹⁾): the
    gradients among them (``Picture.gradients``) renamed with them."""
    flowing_back = [edge in picture.gradients for edge in picture.edges]
    picture.edges = edges
    picture.gradients = {edge for edge, back in zip(edges, flowing_back) if back}


def runs(left_out: list[int], steps: list[int]) -> list[list[int]]:
    """The steps left out, in runs of neighbours: [1, 2, 6, 7] of t=1…8 → [[1, 2], [6, 7]].

    >>> runs([1, 2, 6, 7], list(range(1, 9)))
    [[1, 2], [6, 7]]
    """
    position = {step: k for k, step in enumerate(steps)}
    runs: list[list[int]] = []
    for step in left_out:
        if runs and position[step] == position[runs[-1][-1]] + 1:
            runs[-1].append(step)
        else:
            runs.append([step])
    return runs


def steps_text(steps: list[int]) -> str:
    """Steps as a slide writes them: runs of neighbours as first…last.

    >>> steps_text([4, 5, 6, 7, 9])
    '4…7, 9'
    """
    ordered = sorted(steps)
    return ", ".join(f"{run[0]}…{run[-1]}" if len(run) > 2 else ", ".join(map(str, run))
                     for run in runs(ordered, list(range(ordered[0], ordered[-1] + 1))))


def subscript(name: str, step: int | None) -> str:
    """h, 3 → h₃; a name that already ends in its step (h_3, y₃), or a token in brackets ([BEGIN]),
    is left as it is.

    >>> subscript("h", 12), subscript("y_1", 1), subscript("J", None), subscript("[BEGIN]", 4)
    ('h₁₂', 'y_1', 'J', '[BEGIN]')
    """
    if step is None or not name or name[-1].isdigit() or name[-1] in "₀₁₂₃₄₅₆₇₈₉]":
        return name
    return name + str(step).translate(TO_SUBSCRIPT)


def chain_calls(chains: Any) -> dict[Any, int]:
    """Each chain's call of its module: 1 for its first chain at its layer and direction, 2 for the
    next one that did not continue it (one encoder read on two sentences), in the order they ran.

    >>> from tinygrad_rnn.steps import Chain
    >>> first, second = Chain("GRU", 0, "forward", owner=1), Chain("GRU", 0, "forward", owner=1)
    >>> calls = chain_calls([second, first])
    >>> calls[first], calls[second]
    (1, 2)
    """
    siblings: dict[tuple, list[Any]] = {}
    for chain in sorted(set(chains), key=lambda chain: chain.serial):
        siblings.setdefault((chain.owner, chain.layer, chain.direction), []).append(chain)
    return {chain: call for found in siblings.values() for call, chain in enumerate(found, 1)}


def chain_rows(chains: list[Any]) -> dict[Any, tuple[str, ...]]:
    """The row each chain is drawn in: (module, "layer k", direction), with "call n" where the same
    module ran several chains at that layer and direction, and the module numbered where two modules
    go by one name (two separate ``nn.RNN``: "RNN 1", "RNN 2") — never one row for two chains.

    >>> from tinygrad_rnn.steps import Chain
    >>> first, second = Chain("GRU", 0, "forward", owner=1), Chain("GRU", 0, "forward", owner=1)
    >>> rows = chain_rows([second, first])
    >>> rows[first], rows[second]
    (('GRU', 'call 1', 'layer 0', 'forward'), ('GRU', 'call 2', 'layer 0', 'forward'))
    >>> other = Chain("GRU", 0, "forward", owner=2)
    >>> chain_rows([first, other])[other][0]
    'GRU 2'
    """
    calls = chain_calls(chains)
    owners: dict[str, list[int]] = {}  # module name → the modules that go by it, in the order they ran
    for chain in sorted(set(chains), key=lambda chain: chain.serial):
        if chain.owner not in owners.setdefault(chain.module, []):
            owners[chain.module].append(chain.owner)
    several = {chain: max(c for o, c in calls.items() if (o.owner, o.layer, o.direction) ==
                          (chain.owner, chain.layer, chain.direction)) > 1 for chain in calls}
    scoped = scope_names(list(calls), owners)
    rows = {}
    for chain, call in calls.items():
        named = owners[chain.module]
        module = chain.module if len(named) == 1 else scoped.get(chain.owner) or \
            f"{chain.module} {named.index(chain.owner) + 1}"
        rows[chain] = (module, *((f"call {call}",) if several[chain] else ()), f"layer {chain.layer}", chain.direction)
    return rows


def scope_names(chains: list[Any], owners: dict[str, list[int]]) -> dict[int, str]:
    """The name a scope the user wrapped around a whole layer call gives that layer, where two layers go by one kind
    (``with tr.scope("encoder"): enc(x)`` and ``with tr.scope("decoder"): dec(y, h)``: rows "encoder" and "decoder",
    marks ⁽ᵉ⁾, ⁽ᵈ⁾, never "GRU 1", "GRU 2"): {owner: its scope's innermost word}, each word one layer's alone. Where
    one scope wraps several of them, or not every one has a scope of its own, it names none of them and a warning
    says once how to name a layer: ``layer.scope_name``.

    >>> from tinygrad_rnn.steps import Chain
    >>> from tinygrad_rnn.recording import scope
    >>> with scope("encoder"):
    ...     first = Chain("GRU", 0, "forward", owner=1)
    >>> with scope("decoder"):
    ...     second = Chain("GRU", 0, "forward", owner=2)
    >>> scope_names([first, second], {"GRU": [1, 2]})
    {1: 'encoder', 2: 'decoder'}
    """
    words: dict[int, set[str]] = {}  # owner → the innermost scope word of each of its calls
    for chain in chains:
        if len(owners[chain.module]) > 1:
            words.setdefault(chain.owner, set()).add(chain.user_scope[-1] if chain.user_scope else "")
    taken = [word for found in words.values() for word in found]
    named = {owner: next(iter(found)) for owner, found in words.items()
             if len(found) == 1 and "" not in found and taken.count(next(iter(found))) == 1}
    if len(named) < len(words) and any(taken):  # (the user did write a scope: say why it is not the layer's name)
        warnings.warn(f"viz: the scopes {sorted(set(filter(None, taken)))} do not each wrap one layer's calls, so "
                      f"the layers of one kind are drawn numbered ({', '.join(sorted(owners))} 1, 2, …); name a layer "
                      f"with layer.scope_name = \"encoder\"", stacklevel=2)
        return {}
    return named


def step_position(scope: tuple[str, ...]) -> int:
    """The index of the innermost "t=k" in a scope path.

    >>> step_position(("LSTM", "layer 0", "forward", "t=3"))
    3
    """
    return max(i for i, part in enumerate(scope) if step_of((part,)) is not None)


def loop_row(scope: tuple[str, ...]) -> tuple[str, ...]:
    """The row of an op of a loop written by hand: the scope above its step, and the name the loop gives its
    steps ("enc" of "enc t=2"), so that two loops named apart are drawn as two rows, never as one.

    >>> loop_row(("t=3",)), loop_row(("model", "dec t=3"))
    ((), ('model', 'dec'))
    """
    position = step_position(scope)
    return scope[:position] + tuple(filter(None, [loop_name(scope[position])]))


def in_time(nodes: list[Node], edges: list[tuple[int, int, str]]) -> list[int | None]:
    """Where each node stands in time, its column: its step after the steps before its chain's first
    (``Chain.after``: a decoder's step 1 stands after its encoder's S) — a step's name is its chain's own,
    its column is not. A node of no chain (e_t below a decoder's cell, J_t above it) stands where the
    node of its own step that it is joined to stands.

    >>> from tinygrad_rnn.steps import Chain
    >>> nodes = [Node(0, "group", "", step=1, chain=Chain("decoder", 0, "forward", after=3)),
    ...          Node(1, "group", "J₁", step=1), Node(2, "output", "J")]
    >>> in_time(nodes, [(0, 1, ""), (1, 2, "")])
    [4, 4, None]
    """
    joined: list[list[int]] = [[] for _ in nodes]
    for tail, head, _ in edges:
        joined[tail].append(head)
        joined[head].append(tail)
    at: list[int | None] = [None] * len(nodes)
    for i, node in enumerate(nodes):
        after = node.chain.after if node.chain is not None else node.after
        if node.step is not None and after is not None:
            at[i] = node.step + after
    known = [i for i, value in enumerate(at) if value is not None]
    while known:  # outwards from the chains' own nodes, along edges, within one step
        i = known.pop()
        for j in joined[i]:
            if at[j] is None and nodes[j].step == nodes[i].step:
                at[j] = at[i]
                known.append(j)
    return [node.step if value is None else value for node, value in zip(nodes, at)]


def steps_in_time(nodes: list[Node], edges: list[tuple[int, int, str]], drawn_only: bool = False) -> list[int]:
    """The steps of a picture in time, each once: an encoder's 1…S and its decoder's after them
    (S+1…S+T′, whatever the decoder calls them) — what choosing steps (``time_steps``) and eliding
    count. ``drawn_only``: without the "…" of steps left out.

    >>> from tinygrad_rnn.steps import Chain
    >>> decoder = Chain("decoder", 0, "forward", after=2)
    >>> nodes = [Node(0, "group", "", step=1), Node(1, "group", "", step=2),
    ...          Node(2, "group", "", step=1, chain=decoder)]
    >>> steps_in_time(nodes, [(0, 1, ""), (1, 2, "")])
    [1, 2, 3]
    """
    at = in_time(nodes, edges)
    return sorted({when for when, node in zip(at, nodes) if node.step is not None and when is not None
                   and not (drawn_only and node.kind == "ellipsis")})


def reaching_outputs(nodes: list[Node], edges: list[tuple[int, int, str]]) -> set[int]:
    """The nodes whose value an output (J) reads, directly or through others: back from J along the edges
    (a stack, not recursion: a long unroll is deep). What no path joins to J gets a gradient of exactly 0.

    >>> reaching_outputs([Node(0, "input", "x"), Node(1, "op", "a"), Node(2, "output", "J")], [(0, 2, ""), (1, 1, "")])
    {0, 2}
    """
    predecessors: dict[int, list[int]] = {}
    for tail, head, _ in edges:
        predecessors.setdefault(head, []).append(tail)
    found = {i for i, node in enumerate(nodes) if node.kind == "output"}
    stack = list(found)
    while stack:
        for tail in predecessors.get(stack.pop(), []):
            if tail not in found:
                found.add(tail)
                stack.append(tail)
    return found


def in_order(members: list[int], predecessors, inside: set[int]) -> list[int]:
    """``members`` with each after those of its predecessors that are in ``inside`` (Kahn's
    algorithm: a node is released when the last node it reads is placed; no recursion)."""
    waiting = {i: sum(1 for p in predecessors[i] if p in inside) for i in members}
    readers: dict[int, list[int]] = {}
    for i in members:
        for p in predecessors[i]:
            if p in inside:
                readers.setdefault(p, []).append(i)
    ready = sorted((i for i in members if waiting[i] == 0), reverse=True)
    order = []
    while ready:
        i = ready.pop()
        order.append(i)
        for reader in readers.get(i, ()):
            waiting[reader] -= 1
            if waiting[reader] == 0:
                ready.append(reader)
    return order
