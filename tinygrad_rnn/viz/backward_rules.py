"""A recorded gradient graph at op level, one node per backward rule: the ops each forward op's backward
recorded merge into one node named by what it does to δ (``h₃ = tanh, backward: δ ⊙ (1 − h₃²)``), the rules
and Σ terms of cells J never reaches are left out, J's seed is drawn, and one arrow names all the steps a
rule sends a sum. The forward graph's cells and steps are merged in ``levels.py``; a layer's per-step input
projection in ``step_projections.py``.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import numpy

from ..function import Function
from ..steps import step_number, step_of
from .levels import is_sum_node, unique
from .notation import SYMBOLS, gru_update
from .picture import Node, subscript
from .scripts import TO_SUBSCRIPT
from .walk import reads_cell_state

# What each op's backward does to the gradient δ it receives, in the chain rule's words ({y}: its output).
ROLES = {
    "tanh": "δ ⊙ (1 − {y}²)", "sigmoid": "δ ⊙ {y} ⊙ (1 − {y})", "relu": "δ ⊙ [{y} > 0]", "exp": "δ ⊙ {y}",
    "mul": "δ ⊙ the other factor", "div": "δ / b, −δ a / b²", "add": "δ to both", "sub": "δ, −δ",
    "linear": "δ · W; δᵀ x for W", "matmul": "δ Bᵀ, Aᵀ δ", "split": "joins the parts' δ",
    "unbind": "stacks the steps' δ", "stack": "δ by step", "cat": "δ by part", "index": "δ in its place",
    "sum": "δ spread out", "mean": "δ / n spread out", "lerp": "δ ⊙ (1 − z), δ ⊙ z, δ ⊙ (h − n)",
    "cross_entropy": "δ (softmax − onehot)", "log_softmax": "δ − softmax Σ δ", "embedding": "δ added to its rows",
    "reshape": "δ reshaped", "permute": "δ permuted back", "softmax": "{y} ⊙ (δ − Σ {y} ⊙ δ)",
    # a fused op's backward is a whole chain rule: what it hands on, and each step's term of W_hh
    **{f"fused {cell} cell": "the cell's chain rule; δᵀ h for W_hh" for cell in ("RNN", "LSTM", "GRU")},
    **{f"fused {cell} layer": "BPTT through its steps; δₜᵀ hₜ₋₁ for W_hh" for cell in ("RNN", "LSTM", "GRU")},
    "fused linear + cross_entropy": "δ (softmax − onehot) · W; (δ (softmax − onehot))ᵀ h for W",
}


def merge_backward_rules(nodes: list[Node], edges, live: set | None = None, attended: dict | None = None,
                         named: dict[int, str] | None = None
                         ) -> tuple[list[Node], list[tuple[int, int, str]]]:
    """A recorded gradient graph at op level, one node per backward rule: the ops each forward op's
    backward recorded (1 − h², its products, the transposes and reshapes it needed) merge into one
    node named by what it does to δ — ``h₃ = tanh, backward: δ ⊙ (1 − h₃²)``. Σ nodes, parameters
    and the gradients drawn stay as they are. ``live``: the cells, (chain, step), whose states reach J
    (:func:`.step_states.cells_reaching_outputs`); the rules and Σ nodes of any other cell are left out.
    ``attended``: {forward op: (row, step, after, name)} of a hand-written attention's ops
    (:func:`.attention.attention_ops`): their rules in the decoder step whose cell they feed, named as the forward
    figure names them (e₁ = scores). ``named``: the forward ops' outputs' names (:func:`forward_names`), for a rule
    whose backward reads no output of its op (a GRU's h₁ = (1 − z₁) ⊙ n₁ + z₁ ⊙ h₀ was "lerp, backward" beside the
    forward's h₁)."""
    attended = attended or {}
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
            row, step, after, name = attended.get(forward, (node.row, step, None, None))
            result.append(Node(node.key, "op", "" if name is None else _rule_label(forward, "", name), forward.scope,
                               step=step, row=row, chain=node.chain, after=after))
        group[position] = index[forward]
        rule = result[index[forward]]
        rule.label = rule.label or _rule_label(forward, (named or {}).get(id(forward), ""))
        for vertex in () if forward in attended else node.key.parents:  # the rule reads its op's output: name it
            # as the forward figure does
            if getattr(vertex, "grad_fn", None) is forward and getattr(vertex, "name", None):
                rule.label = _rule_label(forward, vertex.name)
    zeros_carried = _zero_terms(nodes, edges)
    merged = unique([(group[t], group[h], label) for t, h, label in edges
                     if group[t] != group[h] and (t, h) not in zeros_carried])
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
    dropped.update(group[h] for _, h in zeros_carried)
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


def name_linear_weights(nodes: list[Node], names: dict[int, tuple[str, str]]) -> None:
    """A linear's rule names its weight and what it multiplies, as the figure names them (``names``: each parameter
    node's library name and drawn name, :func:`.parameter_names.name_parameters`): ``δ · W_hh⁽¹⁾; δᵀ h₂ for W_hh⁽¹⁾``
    in step 3, ``δᵀ x for W_ih⁽¹⁾`` for a layer's input projection — a cell's two linears were both
    ``δ · W; δᵀ x for W``, which never said which weight."""
    drawn = {node.key: names[i][1] for i, node in enumerate(nodes)  # (a parameter's key is its id)
             if node.kind == "parameter" and names.get(i, ("",))[0].startswith("W_")}  # not a head's bare "weight"
    for node in nodes:
        forward = getattr(node.key, "gradient_of", None) if node.kind == "op" else None
        if forward is None or forward.name != "linear" or id(forward.parents[1]) not in drawn:
            continue
        weight, read = drawn[id(forward.parents[1])], forward.parents[0]
        source, name = getattr(read, "grad_fn", None), getattr(read, "name", None) or ""
        if re.fullmatch(r"[hc]_0", name):  # the initial state
            product = f"δᵀ {subscript(name[0], 0)}"
        elif source is not None and name and step_number(source):  # h₂, read by step 3
            product = f"δᵀ {subscript(name, step_number(source))}"
        else:
            product = "δᵀ x"
        node.label = node.label.replace("δ · W;", f"δ · {weight};").replace("δᵀ x for W", f"{product} for {weight}")


def name_unread_weights(nodes: list[Node], edges) -> None:
    """The weight of a linear whose backward never reads it (a layer's input projection: δᵀ x alone, no δ · W_ih
    for x), named by the gradient its rule feeds, once the figure has named the gradients: ``δᵀ x for W_ih``
    from ``∂J/∂W_ih`` (through its Σ over steps, or straight)."""
    after: dict[int, list[int]] = {}
    for tail, head, _ in edges:
        after.setdefault(tail, []).append(head)
    for position, node in enumerate(nodes):
        if node.kind != "op" or not node.label.endswith("\nδᵀ x for W"):
            continue
        near = after.get(position, [])
        near = near + [beyond for i in near for beyond in after.get(i, [])]  # (through its Σ over steps)
        reached = {GRADIENT_NAME.match(nodes[i].label).group(1) for i in near
                   if nodes[i].kind == "output" and GRADIENT_NAME.match(nodes[i].label)  # the weight's, not b_ih's
                   and nodes[i].tensors and len(nodes[i].tensors[0].shape) == 2}
        if len(reached) == 1:
            node.label = node.label[:-len("W")] + reached.pop()


GRADIENT_NAME = re.compile(r"∂\w+/∂([^\s|]+)")  # an output's gradient, ∂J/∂W_ih⁽¹⁾ (∂L/∂W_xh in CMU's letters)


def forward_names(roots) -> dict[int, str]:
    """{id of a forward op: the name of its output} (h of a cell's h₁; an op with several outputs names none), walked
    back from ``roots`` with a stack: what a backward rule is named by, as the forward figure names its op. (Not a
    root's: J's own rule named "J = cross_entropy" sent J's seed into it as ∂J/∂J.)"""
    found: dict[int, str] = {}
    stack, seen = [root.grad_fn for root in roots if root.grad_fn is not None], set()
    while stack:
        function = stack.pop()
        for vertex in function.parents:
            source = getattr(vertex, "grad_fn", None)
            if source is None or id(source) in seen:
                continue
            seen.add(id(source))
            stack.append(source)
            if getattr(vertex, "name", None) and not source.multiple_outputs:
                found[id(source)] = vertex.name
    return found


def _zero_terms(nodes: list[Node], edges) -> set[tuple[int, int]]:
    """The arrows of the recorded gradient graph that carry exactly 0 into a Σ that adds other terms: h_n's stack,
    read by ``head(h_n[-1])``, hands layers 1 and 2 a δ of zeros at their last step (‖∂J/∂h_n[i]‖ = [0, 0, 0.217]).
    Not drawn, as the cell level leaves out what J does not reach; the Σ counts them as 0."""
    into: dict[int, list[int]] = {}
    for tail, head, _ in edges:
        into.setdefault(head, []).append(tail)
    found = set()
    for head, tails in into.items():
        if is_sum_node(nodes[head]) and nodes[head].kind == "op":
            zero = {tail for tail in tails if _rows_never_indexed(nodes[tail].key, nodes[head].key)}
            found |= {(tail, head) for tail in zero} if len(zero) < len(set(tails)) else set()
    return found


def _rows_never_indexed(source: Any, sum_function: Function) -> bool:
    """Whether every term ``sum_function`` reads from ``source`` is a row that the recorded graph knows is 0 without
    its values (the graph keeps none): the stack's backward unbinds δ by row, and where that δ is an index's backward
    (zeros, δ written where the index read: h_n[-1]'s), a row the index never read is 0."""
    if getattr(source, "name", None) != "unbind" or getattr(source.parents[0], "grad_fn", None) is None:
        return False
    scatter = source.parents[0].grad_fn
    if scatter.name != "index_add":
        return False
    written = numpy.zeros(scatter.shape, dtype=bool)
    written[scatter.index] = True  # where the index put δ (a list or an array of rows too)
    terms = [x for x in sum_function.parents if getattr(x, "grad_fn", None) is source]
    return bool(terms) and not any(written.take(x.output_index, axis=source.dim).any() for x in terms)


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
               and len(into.get(i, [])) == 1 and all(_is_zero(x) for x in node.key.parents if x.grad_fn is None)}
    for i, node in enumerate(nodes):  # a Σ that stays counts the terms it is drawn with: "Σ (3 terms)" over two
        if is_sum_node(node) and node.kind == "op" and i not in through:  # arrows read as a term left out
            constants = sum(1 for x in node.key.parents if x.grad_fn is None and _is_zero(x))
            zeros = constants + dropped[i]
            if zeros:
                count = len(node.key.parents) - zeros
                node.label = re.sub(r"\(\d+ terms\)", _terms_said(node, count, zeros, constants), node.label, count=1)
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


def _terms_said(node: Node, count: int, zeros: int, constants: int) -> str:
    """How a Σ of a state says the terms it adds and those that are 0. A layer's hₜ has one use besides the next
    step: the stack of its output, whose row t J may never read (J = output[-1].sum() reads h_T alone) — said by
    that use, and why it is 0, not a bare "1 more = 0", read as a term left out.

    >>> _terms_said(Node(None, "op", "Σ", row=("GRU", "layer 0", "forward"), step=3), 2, 1, 1)
    "(2 terms; the stack's is 0:\\nJ never reads its row t=3)"
    >>> _terms_said(Node(None, "op", "Σ", step=3), 2, 1, 0)
    '(2 terms; 1 more = 0)'
    """
    if zeros == constants == 1 and node.step is not None and node.row[1:2] and node.row[1].startswith("layer "):
        return f"({count} terms; the stack's is 0:\nJ never reads its row t={node.step})"
    return f"({count} terms; {zeros} more = 0)"


def _is_zero(tensor: Any) -> bool:
    return not bool((tensor.array != 0).any())


def _rule_label(forward: Function, named: str, attention: str | None = None) -> str:
    """The rule's node as the forward figure names its op, then what it does to δ, in the forward's names: a GRU's
    ``h₁ = (1 − z₁) ⊙ n₁ + z₁ ⊙ h₀, backward`` with its three δs (to n₁, h₀ and z₁), an LSTM's ``tanh(c₁)``.
    ``attention``: the name the forward figure gives an attention's op (``α₁ = softmax(e₁)``; "": none)."""
    if attention:  # its name under the op's, as the forward figure writes it (a first line's e₁ would be marked)
        y = attention.split(" = ")[0]
        return f"{forward.name}, backward\n{attention}\n{ROLES.get(forward.name, 'its backward').format(y=y)}"
    step = step_number(forward)
    named = named or next(iter(getattr(forward, "states", ()) or ()), "")
    # an output with no name is written as the op applied to its input, tanh(·): a bare y would be undefined
    y = subscript(named, step) if named else f"{SYMBOLS.get(forward.name, forward.name)}(·)"
    if not named and step and reads_cell_state(forward):  # an LSTM's h_t = o_t ⊙ tanh(c_t): drawn tanh(c_t)
        y = f"tanh({subscript('c', step)})"
    role = ROLES.get(forward.name, "its backward").format(y=y)
    if forward.name == "linear" and not forward.needs_input_grad[0]:  # x needs no δ (h_0 = 0): W's term alone
        role = "δᵀ x for W"
    if forward.name == "stack":  # h_n stacks the layers' (and directions') last states, not steps
        role = f"δ by {_what_is_stacked(forward)}"
    said = SYMBOLS.get(forward.name, forward.name)
    if forward.name == "lerp" and named == "h" and step:  # lerp(n, h, z) = n + z ⊙ (h − n): δ to n, to h, to z
        said, role = gru_update(step), _gru_update_rule(step)
    head = f"{y} = {said}" if named else y if y.startswith("tanh(c") else forward.name
    return f"{head}, backward\n{role}"


def _what_is_stacked(stack: Function) -> str:
    """What a stack's rows are, by the scopes of the ops that made them (module, layer, direction, t=k): a layer's
    output stacks its steps; h_n and c_n the layers' and directions' final states.

    >>> import tinygrad_rnn as tr
    >>> _, (h_n, _) = tr.nn.LSTM(2, 3, num_layers=2)(tr.randn(3, 1, 2))
    >>> _what_is_stacked(h_n.grad_fn)
    'layer'
    """
    rows = {tuple(part for part in vertex.grad_fn.scope if not part.startswith("t="))
            for vertex in stack.parents if getattr(vertex, "grad_fn", None) is not None}
    if len(rows) < 2 or any(len(row) < 3 for row in rows):
        return "step"
    said = [word for word, at in (("layer", slice(None, -1)), ("direction", slice(-1, None)))
            if len({row[at] for row in rows}) > 1]
    return " and ".join(said)


def _gru_update_rule(step: int) -> str:
    """What h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1} hands back to n_t, h_{t−1} and z_t, with the step's subscripts
    (the notation's pass writes them as its preset does): no bare h, which read as the node's own h_t.

    >>> _gru_update_rule(1)
    'δ ⊙ (1 − z₁), δ ⊙ z₁, δ ⊙ (h₀ − n₁)'
    """
    t, before = (str(k).translate(TO_SUBSCRIPT) for k in (step, step - 1))
    return f"δ ⊙ (1 − z{t}), δ ⊙ z{t}, δ ⊙ (h{before} − n{t})"
