"""A model's embedding and output layer found by what they do, and the tied table that is both.

Whatever a model's attributes are called (emb, fc, out), :func:`parameter_roles` finds its embedding table and its
head from the ops that read them, so that a figure writes them as it writes the library's own model's (E, W_hy,
b_y; U in CS224N's names). A tied table (head.weight = embedding.weight) is one tensor in two roles:
:func:`tied_head` says how a lecture writes the pair. The lecture's symbols are in :mod:`.notation`; the names a
figure writes for each parameter, from these roles, in :mod:`.parameter_names`.
"""

from __future__ import annotations

from typing import Any

from .notation import LAYER_WEIGHTS, Notation, library_name, short_name
from .picture import CHOICE_INPUT, Node
from .user_steps import chains_reading, cone, link_maps

TIED = "embedding.weight = head.weight"  # one tensor, the embedding's table and the head's weight
LOSS_FED = " feeding "  # "head.weight feeding cls": one of several heads, by the loss the user named (J_cls)
SEQUENCE_WORD = "seq"  # J_seq, W_seq: an unnamed loss read off one step's state (h_T) beside the per-step Jₜ
SUBSCRIPT_DIGITS = "₀₁₂₃₄₅₆₇₈₉"  # (CS224N's b₂: the letter is b)


def role_symbol(role: str, notation: Notation) -> str:
    """How ``notation`` writes a parameter's role (:func:`parameter_roles`): E, U, b₂. A tied table is one tensor
    with one name, the embedding's (E): the head's boxes write it as the head reads it (:func:`tied_head`).

    >>> from tinygrad_rnn.viz.notation import preset, resolve
    >>> cs224n = preset("cs224n")
    >>> role_symbol("head.weight", cs224n), role_symbol(TIED, cs224n), role_symbol(TIED, resolve(None))
    ('U', 'E', 'E')
    >>> role_symbol("head.weight" + LOSS_FED + "cls", cs224n), role_symbol("head.bias" + LOSS_FED + "tag", cs224n)
    ('U_cls', 'b_tag')
    """
    role, _, loss = role.partition(LOSS_FED)
    name = "embedding.weight" if role == TIED else role
    written = notation.symbol(name, library_name(name))
    # one of several heads: the notation's letter (W, U, b) with the loss it feeds, never ⁽ℓ⁾, a layer's mark
    return f"{written.split('_')[0].rstrip(SUBSCRIPT_DIGITS)}_{loss}" if loss else written


def tied_head(notation: Notation) -> str:
    """The head's weight where it is the embedding's table (head.weight = embedding.weight), as ``notation`` writes
    the two: PyTorch stores both |V| × H, so W_hy = E — one tensor, no transpose; CS224N's E is d × |V| and its U
    |V| × d, so there U = Eᵀ.

    >>> from tinygrad_rnn.viz.notation import resolve
    >>> tied_head(resolve(None)), tied_head(resolve("cs224n")), tied_head(resolve("elman"))
    ('W_hy = E', 'U = Eᵀ', 'U = E')
    """
    transposed = "ᵀ" if notation.words_as_columns else ""
    return f"{notation.symbol('W_hy')} = {notation.symbol('E')}{transposed}"


def is_tied(readers: set[str]) -> bool:
    """Whether a tensor read by the ops ``readers`` (each node's op, in one word) is a tied table: read both as
    an embedding's table and as a linear layer's weight."""
    return {"embedding", "linear"} <= readers


def parameter_roles(nodes: list[Node], links) -> dict[Any, str]:
    """A model's embedding and output layer found by what they do, whatever its attributes are called (emb,
    fc, out, decoder): {parameter node's key: the library's name for it ("embedding.weight", "head.weight",
    "head.bias")}, so that a figure writes them as it writes the library's own model's (E, W_hy, b_y; ``fc.weight``
    reads U in CS224N's). Read from the ops (``links``: tail, head, output, input position) before they are merged,
    in a figure with a recurrent layer's weights: the embedding is the one module weight read only by embedding
    ops (the table the ids index); the head, the one module linear layer computed from a recurrent layer's states
    (what reaches the loss from the recurrence). No role where that is not one: two embeddings (an
    encoder–decoder's), two linear layers after the recurrence (which is the output layer?), a linear layer only
    before it (an input projection is no W_hy); nor for a parameter named by the user (W_hy): its name stays."""
    readers: dict[int, set[tuple[str, int]]] = {}
    for tail, head, _, position in links:
        if nodes[tail].kind == "parameter" and nodes[head].kind == "op":
            readers.setdefault(tail, set()).add((nodes[head].key.name, position))
    module_parameters = {p: uses for p, uses in readers.items()
                         if nodes[p].label.split("\n")[0].rsplit(".", 1)[-1] in ("weight", "bias")}
    if not any(short_name(nodes[p].label.split("\n")[0]) in LAYER_WEIGHTS for p in readers):
        return {}
    embeddings = [p for p, uses in module_parameters.items() if {op for op, _ in uses} == {"embedding"}]
    roles = {nodes[embeddings[0]].key: "embedding.weight"} if len(embeddings) == 1 else {}
    # what reads each node, not through a choice (a generated token is no input of the graph)
    read_by = link_maps([link for link in links if link[3] != CHOICE_INPUT]).readers
    if len(embeddings) == 2:  # an encoder–decoder's: the table the encoder reads, and the one its decoder reads
        roles = _source_and_target(nodes, read_by, embeddings)
    after = _after_the_recurrence(nodes, read_by)
    heads: dict[int, set[int]] = {}  # the weights read by a linear op computed from the states → those ops
    for tail, head, _, position in links:
        if head in after and position == 1 and nodes[tail].kind == "parameter" and nodes[head].key.name == "linear" \
                and short_name(nodes[tail].label.split("\n")[0]) not in LAYER_WEIGHTS:  # (a layer's, above the first)
            heads.setdefault(tail, set()).add(head)
    for weight in [w for w in heads if any(nodes[op].key.name == "linear" and op not in after for op in read_by[w])]:
        del heads[weight]  # one Linear used before the recurrence and again after it (proj): shared, no output layer
    if len(heads) > 1:  # a tagger's head and a classifier's: each named by the loss it feeds, where the user named it
        return roles | (_heads_by_their_losses(nodes, links, read_by, heads, readers, module_parameters)
                        or _heads_by_the_steps_they_read(nodes, links, heads, readers, module_parameters))
    weight = next(iter(heads)) if len(heads) == 1 else None
    # tied (head.weight = embedding.weight): the one table the ids index and the head multiplies, where no other
    # table is the embedding — one tensor in two roles, named by both
    tied = weight is not None and not embeddings and {op for op, _ in readers[weight]} == {"linear", "embedding"}
    if weight is not None and readers[weight] != {("linear", 1)} and not tied:
        weight = None  # read elsewhere too (tied to something): not the output layer's alone
    biases = [tail for tail, head, _, position in links if weight is not None and position == 2 and
              head in heads[weight] and readers.get(tail) == {("linear", 2)}]
    for parameter, role in ((weight, TIED if tied else "head.weight"), (biases[0] if biases else None, "head.bias")):
        if parameter in module_parameters:  # (one the user named, W_hy, keeps its name)
            roles[nodes[parameter].key] = role
    return roles


def _heads_by_their_losses(nodes: list[Node], links, read_by: dict[int, set[int]], heads: dict[int, set[int]],
                           readers: dict[int, set[tuple[str, int]]], module_parameters) -> dict[Any, str]:
    """{key: "head.weight feeding tag"} for each of several linear heads after the recurrence (J = J_tag + J_cls):
    the first value the user named with a word after a letter (J_tag, J_cls) that its ops reach, that word, and the
    same for the bias it adds — so that a figure writes W_tag, b_tag and W_cls, b_cls (U_cls in CS224N's letters),
    not linear.weight⁽¹⁾ and linear.weight⁽²⁾, which read as two layers. {} where two heads reach one name
    first, or one reaches none (which would be which?), or a weight is read elsewhere too (tied)."""
    words: dict[int, str] = {}
    for weight, ops in heads.items():
        seen, frontier, named = set(ops), list(ops), None
        while frontier and named is None:  # breadth first, no recursion: the nearest named value
            following = []
            for position in frontier:
                named = named or next((t.name for t in nodes[position].tensors  # (J_tag, not a bare J or ŷ)
                                       if "_" in (getattr(t, "name", None) or "")), None)
                following += [p for p in read_by.get(position, ()) if p not in seen]
                seen.update(following)
            frontier = following
        words[weight] = named.split("_", 1)[-1] if named else ""
    if "" in words.values() or len(set(words.values())) < len(words):
        return {}
    return _head_roles(nodes, links, heads, readers, module_parameters,
                       {weight: LOSS_FED + word for weight, word in words.items()})


def _heads_by_the_steps_they_read(nodes: list[Node], links, heads: dict[int, set[int]],
                                  readers: dict[int, set[tuple[str, int]]], module_parameters) -> dict[Any, str]:
    """Two heads whose losses the user left unnamed (J = cross_entropy(tag(out), …) + cross_entropy(cls(h[-1]), …)),
    told apart by what they read: the one that reads every step's state is the lecture's output layer (W_hy, b_y),
    the one that reads one step's state alone (h_T) feeds the sequence's loss, J_seq (:data:`SEQUENCE_WORD`), and is
    written W_seq, b_seq — never linear.weight⁽¹⁾ and ⁽²⁾, which read as two layers. {} where that is not so."""
    inputs = link_maps(links).inputs
    def steps_read(weight: int) -> int:  # the recurrent steps whose states its ops read, through no other step
        first_steps = cone(heads[weight], inputs, lambda p: True, lambda p: nodes[p].chain is None)
        return len({(nodes[p].chain, nodes[p].step) for p in first_steps if nodes[p].chain is not None})
    read = {weight: steps_read(weight) for weight in heads}
    if len(heads) != 2 or sorted(min(count, 2) for count in read.values()) != [1, 2]:
        return {}
    return _head_roles(nodes, links, heads, readers, module_parameters,
                       {weight: "" if count > 1 else LOSS_FED + SEQUENCE_WORD for weight, count in read.items()})


def _head_roles(nodes: list[Node], links, heads: dict[int, set[int]], readers: dict[int, set[tuple[str, int]]],
                module_parameters, fed: dict[int, str]) -> dict[Any, str]:
    """{key: "head.weight" + ``fed[weight]``} for each head's weight and the bias its ops add, where the user named
    neither (tag_head.weight, W_hy: the user's names stay); {} where a weight is read elsewhere too (tied)."""
    if any(readers[weight] != {("linear", 1)} for weight in heads):
        return {}
    def unnamed(parameter: int) -> bool:  # a bare weight or bias: the user named neither it nor its module's
        return parameter in module_parameters and nodes[parameter].label.split("\n")[0] in ("weight", "bias")

    roles = {}
    for weight, feeding in fed.items():
        if unnamed(weight):
            roles[nodes[weight].key] = "head.weight" + feeding
        for tail, head, _, position in links:
            if position == 2 and head in heads[weight] and readers.get(tail) == {("linear", 2)} and unnamed(tail):
                roles[nodes[tail].key] = "head.bias" + feeding
    return roles


def _source_and_target(nodes: list[Node], read_by: dict[int, set[int]], embeddings: list[int]) -> dict[Any, str]:
    """{key: "source_embedding.weight" / "target_embedding.weight"} where of two embedding tables one feeds only
    chains that start the timeline (an encoder) and the other only chains started after another (a decoder,
    ``Chain.after``); {} where either feeds both or neither (whose would it be?). ``read_by``: what reads each
    node, not through a choice."""
    found: dict[str, Any] = {}
    for table in embeddings:
        starts = {chain.after > 0 for chain in chains_reading(nodes, read_by, table)}
        if len(starts) == 1:
            found["target_embedding.weight" if starts.pop() else "source_embedding.weight"] = nodes[table].key
    return {key: role for role, key in found.items()} if len(found) == 2 else {}


def _after_the_recurrence(nodes: list[Node], read_by: dict[int, set[int]]) -> set[int]:
    """The ops computed from a recurrent layer's (or cell's) states: reached from its steps' ops along what reads
    them (``read_by``, not through a choice). A loop whose steps the user scoped (t=1, t=2) records no layer's
    chain: its steps are then the ops that read a recurrent weight (W_hh, W_ih), and what is computed from them."""
    steps = [p for p, node in enumerate(nodes) if node.chain is not None]
    if not steps:  # (its head is named W_hy, b_y as the same loop's cell level names it)
        steps = [op for p, node in enumerate(nodes) if node.kind == "parameter"
                 and short_name(node.label.split("\n")[0]) in LAYER_WEIGHTS for op in read_by.get(p, ())]
    return set(cone(steps, read_by, lambda p: True)) - set(steps)
