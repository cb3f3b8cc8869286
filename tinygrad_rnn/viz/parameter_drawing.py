"""How a figure draws the parameters: once each, named in the nodes that use them, or not at all.

``apply_params`` carries out ``params="once" | "label" | "hide"`` with the names ``parameter_names.py`` chose,
listing a node's weights in PyTorch's order (W_ih, b_ih, W_hh, b_hh, W_hr), layer by layer. ``graph.py`` calls
it once the cells are merged; ``layout.py`` gives the parameters drawn once their bus.
"""

from __future__ import annotations

from .chains import owner_of
from .initial_states import renamed
from .picture import Node


def apply_params(nodes: list[Node], edges, params: str, names: dict[int, tuple[str, str]]):
    """``params="once"``: each parameter drawn once (the layout gives its edges a tidy bus);
    "label": the nodes that use a parameter name it (W_hh) instead; "hide": not drawn. ``names``:
    each parameter node's (library name, name drawn), from ``parameter_names.name_parameters``."""
    if params == "once":  # each node its tensor's own name (weight_hh_l1), unless a lecture's is asked for
        for position, (short, drawn) in names.items():
            if not drawn.startswith(short):
                nodes[position].label = renamed(nodes[position].label, drawn)
        return nodes, edges
    parameters = {i for i, n in enumerate(nodes) if n.kind == "parameter"}
    if params == "label":
        used: dict[int, list[tuple[str, str]]] = {}
        layer_of = {}  # a parameter's layer and direction (weight_ih_l1_reverse: 1, 1): layer 1's first in every step
        for tail, head, _ in edges:
            if tail in parameters and names[tail] not in used.setdefault(head, []):
                used[head].append(names[tail])
                nodes[head].tensor_names[nodes[tail].key] = names[tail][1]  # which tensor goes by which name
                layer_of[names[tail]] = _layer_order(nodes[tail])
        for head, pairs in used.items():  # in PyTorch's order: W_ih, b_ih, W_hh, b_hh, W_hr — each in layer order
            drawn = [name for _, name in sorted(pairs, key=lambda pair: (_parameter_order(pair[0]), layer_of[pair]))]
            nodes[head].parameters = list(dict.fromkeys(drawn))  # a lecture's one b₁ for b_ih and b_hh: once
    kept = [i for i in range(len(nodes)) if i not in parameters]
    renumber = {old: new for new, old in enumerate(kept)}
    return [nodes[i] for i in kept], [(renumber[a], renumber[b], label) for a, b, label in edges
                                      if a in renumber and b in renumber]


def _parameter_order(name: str) -> tuple:
    """PyTorch's order: W_ih, b_ih, W_hh, b_hh, W_hr; a weight before its bias (head.weight, head.bias)."""
    last = name.rsplit(".", 1)[-1]
    return ("ih" not in last) + 2 * ("hr" in last), not last.startswith(("W", "weight")), name


def _layer_order(parameter: Node) -> tuple[int, bool]:
    """(layer, reverse) of a recurrent layer's parameter by its PyTorch name (weight_hh_l1_reverse: (1, True)), so
    that a step drawing several layers lists W_ih⁽¹⁾ before W_ih⁽²⁾ whichever edge came first; (0, False) else."""
    name = parameter.tensors[0].name if parameter.tensors and getattr(parameter.tensors[0], "name", None) else ""
    owner = owner_of(name)  # (module, layer, direction), read as the notation reads a layer's names
    return (owner[1], owner[2] == "reverse") if owner else (0, False)
