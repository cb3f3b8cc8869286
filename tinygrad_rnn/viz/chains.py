"""Chains — one module's layer in one direction — and the marks that tell them apart in a figure.

Two layers, two directions or an encoder and a decoder each have their own W_hh: a figure that names them alike
says they are one tensor. Each chain marks its names (W_hh⁽¹⁾, W_hh⁽²⁾; W_hh⁽→⁾, W_hh⁽←⁾; W_hh⁽ᵉ⁾) where the figure
has several; layers count from 1, as on a slide (PyTorch's ``weight_hh_l0`` is W_hh⁽¹⁾). Where the mark goes beside
a step is the notation's (:meth:`.notation.Notation.at_step`); the parameters and values it marks are named in
:mod:`.parameter_names` and :mod:`.value_names`.

>>> chain_mark(chain_marks({("RNN", 0, "forward"), ("RNN", 1, "forward")})[("RNN", 1, "forward")])
'⁽²⁾'
"""

from __future__ import annotations

import re
from typing import Any

from .picture import BACKWARD_ROW, PER_STEP, Node
from .scripts import TO_SUPERSCRIPT


def chain_of(node: Node) -> tuple[str, int | None, str | None] | None:
    """(module, layer, direction) of a node inside a recurrent layer's steps, from the chain its ops
    recorded (every call of a layer shares its weights, so calls are not told apart here); a loop
    written by hand: (its scope, None, None); None outside any step."""
    if node.chain is not None:  # the module as its row names it ("RNN 2" where two go by one name)
        row = node.row[1:] if node.row[:1] == (BACKWARD_ROW,) else node.row
        return row[0], node.chain.layer, node.chain.direction
    row = node.row[1:] if node.row[:1] == (BACKWARD_ROW,) else node.row
    if not row or row[:1] == (PER_STEP,):
        return None
    return row[0], None, None


def chains_in(nodes: list[Node]) -> set:
    """The chains the nodes belong to: one per module, layer and direction drawn."""
    return {c for n in nodes if (c := chain_of(n)) is not None}


KINDS = ("RNN", "LSTM", "GRU")  # a recurrent layer's name in drawings until a model names it (nn.module.drawn_kind)


def handover_roles(nodes: list[Node]) -> dict[str, str]:
    """{module: "encoder" or "decoder"} where the figure draws two layers of two kinds that no model names (an
    nn.LSTM and an nn.GRU: rows "LSTM", "GRU") and every chain of one starts from the other's final state
    (``Chain.after``); else {}. Marked by their kinds' first letters they were ⁽ˡ⁾ and ⁽ᵍ⁾, and h₃⁽ˡ⁾ reads as the
    state of layer l, as every lecture and the stacked figures write it: the figure's point is which chain
    encodes and which decodes, so they are marked so (⁽ᵉ⁾, ⁽ᵈ⁾), their kinds said on their cells. (Two of one kind
    stay numbered: which of them is the decoder the hand-over alone does not say, docs/drawing.md.)"""
    starts: dict[str, set[bool]] = {}
    for node in nodes:
        if node.chain is not None and (chain := chain_of(node)) is not None:
            starts.setdefault(chain[0], set()).add(node.chain.after > 0)
    if len(starts) != 2 or not set(starts) <= set(KINDS) or \
            {frozenset(after) for after in starts.values()} != {frozenset({False}), frozenset({True})}:
        return {}
    return {module: "decoder" if True in after else "encoder" for module, after in starts.items()}


def marks_of(nodes: list[Node], letters: int = 1) -> dict[Any, str]:
    """:func:`chain_marks` of the chains the nodes are drawn in, an encoder and a decoder of two kinds by their
    roles (:func:`handover_roles`)."""
    return chain_marks(chains_in(nodes), letters, handover_roles(nodes))


def chain_marks(chains: set, letters: int = 1, roles: dict[str, str] | None = None) -> dict[Any, str]:
    """The mark of each chain: its module (the start of its name: e for the encoder, d for the decoder),
    its layer counted from 1, its direction (→, ←) — only what tells the figure's chains apart; ""
    where there is one chain. ``letters``: the fewest of a module's mark (:attr:`.notation.Notation.module_letters`);
    ``roles``: a module's role, by which it is marked instead of its name (:func:`handover_roles`).

    >>> marks = chain_marks({("encoder", 0, "forward"), ("decoder", 0, "forward")})
    >>> marks[("encoder", 0, "forward")], marks[("decoder", 0, "forward")]
    ('e', 'd')
    """
    modules = {c[0] for c in chains}
    # (a node of a layer's row that records no chain — a gradient graph's Σ — is (module, None, None): no layer
    # of its own, so not a second one; counted, it marked a one-layer GRU's W_hh⁽¹→⁾ beside W_hh, two names)
    layers = {c[1] for c in chains if c[1] is not None}
    directions = {c[2] for c in chains if c[2] is not None}
    named = {module: (roles or {}).get(module, module) for module in modules}
    by_name = module_marks(set(named.values()), letters)
    by_module = {module: by_name[name] for module, name in named.items()}
    marks = {}
    for module, layer, direction in chains:
        mark = by_module[module] if len(modules) > 1 else ""
        mark += str(layer + 1) if len(layers) > 1 and layer is not None else ""
        mark += {"forward": "→", "reverse": "←"}.get(direction, "") if len(directions) > 1 else ""
        marks[(module, layer, direction)] = mark
    return marks


def module_marks(modules: set[str], letters: int = 1) -> dict[str, str]:
    """Each module by the shortest start of its name, of at least ``letters`` letters, that tells it from the others:
    encoder, decoder → e, d (enc, dec with ``letters=3``, :attr:`.notation.Notation.module_letters`); two modules of
    one name, numbered by the drawing (RNN 1, RNN 2), by a letter for their number: a, b (a digit would read as a
    layer).

    >>> sorted(module_marks({"encoder", "decoder"}).values()), sorted(module_marks({"RNN 1", "RNN 2"}, 3).values())
    (['d', 'e'], ['a', 'b'])
    """
    numbers = {module: module.rpartition(" ")[2] for module in modules}
    if len(modules) > 1 and all(number.isdigit() and 0 < int(number) <= 8 for number in numbers.values()) and \
            len({module.rpartition(" ")[0] for module in modules}) == 1:
        return {module: "abcdefgh"[int(number) - 1] for module, number in numbers.items()}
    length = next((k for k in range(letters, 40) if len({m[:k].lower() for m in modules}) == len(modules)), 40)
    return {module: module[:length].lower() for module in modules}


def chain_mark(mark: str) -> str:
    """"2" → ⁽²⁾, "e" → ⁽ᵉ⁾, "1→" → ⁽¹→⁾ (an arrow has no superscript form)."""
    return f"({mark})".translate(TO_SUPERSCRIPT) if mark else ""


def shared_note(owner_marks: set[str]) -> str:
    """What "the same at every step" means where the chains have marks."""
    if not any(owner_marks):
        return ""
    kinds = []
    if any(any(ch.isdigit() for ch in mark) for mark in owner_marks):
        kinds.append("layer")
    if any(ch in mark for mark in owner_marks for ch in "→←"):
        kinds.append("direction")
    if any(any(ch.isalpha() for ch in mark) for mark in owner_marks):
        kinds.append("module")
    return " of its " + " and ".join(kinds)


def owner_of(name: str) -> tuple[str, int, str] | None:
    """(module, layer, direction) of a recurrent layer's parameter, by PyTorch's names for them; None for any
    other name. The one reader of those names (a figure's marks, its footnote, the order a step lists them in).

    >>> owner_of("encoder.weight_hh_l1_reverse"), owner_of("bias_ih_l0"), owner_of("head.weight")
    (('encoder', 1, 'reverse'), ('', 0, 'forward'), None)
    """
    found = re.fullmatch(r"(?:(.*)\.)?(?:weight|bias)_\w\w_l(\d+)(_reverse)?", name)
    if found is None:
        return None
    return found.group(1) or "", int(found.group(2)), "reverse" if found.group(3) else "forward"


def gradient_owner(name: str) -> tuple[str, int, str] | None:
    """Whose gradient a BPTT figure draws, by the parameter's name: a layer's (:func:`owner_of`), or a cell's
    (nn.GRUCell's ``weight_hh``: one layer, one direction), which the forward figure names W_hh as it names a
    layer's, so that its gradient is ∂J/∂W_hh beside it, not ∂J/∂weight_hh; None for any other name.

    >>> gradient_owner("weight_hh_l1"), gradient_owner("cell.bias_ih"), gradient_owner("head.weight")
    (('', 1, 'forward'), ('cell', 0, 'forward'), None)
    """
    found = re.fullmatch(r"(?:(.*)\.)?(?:weight|bias)_(?:ih|hh)", name)
    return owner_of(name) or (None if found is None else (found.group(1) or "", 0, "forward"))
