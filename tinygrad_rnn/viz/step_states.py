"""The states a cell or step passes on between groups, and their names: h or c (or a name the user gave
them), each chain's mark where one step node holds several layers and directions (h₃⁽²←⁾), which states a
group reads inside itself too, and which cells J reaches at all (a state into a cell J never reaches carries a
zero gradient: a BPTT figure draws no arrow for it). ``levels.py`` merges the groups with these.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..engine import vertex_of
from .chains import chain_mark, chain_marks, chain_of
from .picture import Node, reaching_outputs

GATES = ("i", "f", "g", "o", "r", "z", "n")  # the names a layer gives its gates
STATES = ("h", "c", "h_0", "c_0", *GATES)  # names the layers give, not users


MARK_AFTER = "\t"  # a state's name and its chain's mark, at step level (h and ⁽²←⁾: h₃⁽²←⁾ once it has its step)


def state_name(node: Node, out: int) -> str:
    """The name of what a cell passes on (h or c, or a name the user gave it), for the label of the edge. A gate
    is named so by a layer's or cell's own step (``node.chain``): a state a hand-written loop names g is no gate; a
    state the user named nothing, as the drawing names it (``node.states``: a hand-written loop's one state, h)."""
    if out in node.states:
        return node.states[out]
    for tensor in node.tensors:
        vertex = vertex_of(tensor)
        if getattr(vertex, "output_index", 0) == out and tensor.name and (
                tensor.name not in GATES or node.chain is None):
            return tensor.name
    return ""


def names_hidden(node: Node) -> bool:
    """Whether an op node computes a hidden state h (the name the layers give it)."""
    return any(t.name == "h" for t in node.tensors)


def step_marks(ops: list[Node]) -> dict[Any, str]:
    """At step level, where one node holds every layer and direction of a step: each chain's mark (⁽²←⁾), for
    the states passed between steps — unmarked, "h₃" named any of them (four in two bidirectional layers)."""
    by_chain = {op.chain: chain_of(op) for op in ops if op.chain is not None}
    marks = chain_marks(set(by_chain.values()))
    return {chain: chain_mark(marks[key]) for chain, key in by_chain.items() if marks.get(key)}


def read_in_own_group(links, group_of: dict[int, Any], leaving: set[int]) -> set[tuple[int, int]]:
    """(op, output) of the ops passing a value out of their group that an op of the same group reads too,
    through ops outside every group (a stack, an index: layer 1's h₃ into layer 2 at step 3)."""
    successors: dict[int, list[int]] = {}
    for tail, head, _, _ in links:
        successors.setdefault(tail, []).append(head)
    found = set()
    for tail, head, out, _ in links:
        if tail not in leaving or head in group_of:
            continue
        stack, seen = [head], {head}
        while stack:  # forward through the ops outside the groups, to the first op of a group on each path
            node = stack.pop()
            if node in group_of:
                if group_of[node] == group_of[tail]:
                    found.add((tail, out))
                    break
                continue
            for after in successors.get(node, []):
                if after not in seen:
                    seen.add(after)
                    stack.append(after)
    return found


def cells_reaching_outputs(cells: list[Node], edges, key: Callable[[Node], Any] = lambda cell: cell.key) -> set:
    """The cells whose states reach an output (J), found on the cell-level picture (``cells`` and ``edges`` from
    ``merge_groups(nodes, links, "cell")``, or the forward figure at cell level): there the slices of a stacked
    output are told apart (J = Σ output[-1] reads the last step's states alone; a classifier on the last step
    reads the reverse direction's last cell alone), where the op links join every step's state into the stack.
    Each cell as ``key`` names it: its key, (row, step), or (chain, step) for the rules of the op-level gradient
    graph (:func:`.backward_rules.merge_backward_rules`)."""
    return {key(cells[i]) for i in reaching_outputs(cells, edges) if cells[i].kind == "group"}
