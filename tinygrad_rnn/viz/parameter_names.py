"""Parameters named by identity: the name a figure writes for each weight, and the footnotes on them.

A parameter read by one chain carries that chain's mark (:mod:`.chains`); one read in several places is one tensor
and carries one name, unmarked; the lecture's one bias b₁ for a layer's b_ih and b_hh is drawn as its two parts
where they are added apart (b₁′, b₁″). The footnotes say what each name is the same over, and a tied table is
written as the head reads it (W_hy = E). The symbols come from :mod:`.notation`, a model's embedding and head from
:mod:`.parameter_roles`; the values (h₃, J₃) are named in :mod:`.value_names`.
"""

from __future__ import annotations

from typing import Any

from .chains import chain_marks, chain_of, marks_of, owner_of, shared_note
from .notation import BIAS_PARTS, LAYER_WEIGHTS, Notation, drawn_cells, short_name
from .parameter_roles import is_tied, role_symbol, tied_head
from .picture import Node, Picture, steps_in_time


def name_parameters(nodes: list[Node], edges, notation: Notation,
                    roles: dict[Any, str] | None = None) -> dict[int, tuple[str, str]]:
    """For each parameter node: (its library name, the name the figure writes). A parameter read by
    one chain carries that chain's mark; one read in several places (tied embeddings, one encoder
    for two sentences) is one tensor and carries one name, unmarked. ``roles``: a model's embedding and
    head by what they do (:func:`.parameter_roles.parameter_roles`), written as the notation writes the library's
    own."""
    roles = roles or {}
    marks = marks_of(nodes, notation.module_letters)
    readers: dict[int, set] = {}
    for tail, head, _ in edges:
        if nodes[tail].kind == "parameter":
            readers.setdefault(tail, set()).add(chain_of(nodes[head]))
    cells = _cells_of_chains(nodes, readers)
    figure = notation.for_cells(set(cells.values()))  # (a GRU beside an RNN: each chain's names its own cell's)
    names = {}
    written_as: dict[int, tuple[Notation, str]] = {}  # each name's notation and chain mark: where a part goes in it
    for position, node in enumerate(nodes):
        if node.kind != "parameter":
            continue
        short = short_name(node.label.split("\n")[0])
        chains = readers.get(position, set())
        (chain,) = chains if len(chains) == 1 else (None,)
        own = figure.for_cell(cells[chain]) if chain in cells else figure  # its chain's cell's names
        drawn = own.symbol(short)
        if drawn == short and node.key in roles:  # fc.weight: the head's U, where the notation names the head
            # where it does not, the library's name for it (W_hy, b_y, E), as its own model's figure writes them:
            # out.weight beside W_hh says what the code calls it, not what it does
            drawn = role_symbol(roles[node.key], own)
        names[position] = (short, drawn + own.marked(marks.get(chain, "")))
        written_as[position] = (own, marks.get(chain, ""))
    return _bias_parts(_told_apart(names, nodes, edges, figure, written_as), edges, written_as)


def _cells_of_chains(nodes: list[Node], readers: dict[int, set]) -> dict[Any, str]:
    """Each chain's cell ("gru", "lstm", ""), by the recurrent weight it reads (``readers``: each parameter's
    position → the chains that read it): a GRU's biases are kept apart in its own chain, not in a figure's every one,
    and an RNN's beside it stay the lecture's one b."""
    cells = {}
    for position, chains in readers.items():
        for cell in drawn_cells([nodes[position]]):
            cells.update((chain, cell) for chain in chains if chain is not None)
    return cells


def _bias_parts(names: dict[int, tuple[str, str]], edges,
                written_as: dict[int, tuple[Notation, str]]) -> dict[int, tuple[str, str]]:
    """The lecture's one b₁ for a layer's b_ih and b_hh, read by two different nodes (an LSTM cell at
    op level: a linear of W_e, one of W_h): two tensors that are each a part of b₁, written b₁′
    (b_ih) and b₁″ (b_hh), so that no label says b₁ where only a part of it is added — with the chain's mark
    after the part, as a GRU's b₁′ is marked (:meth:`.notation.Notation.bias_part`): b₁′^[2], b_h′⁽ʳ⁾.
    ``written_as``: each name's notation and mark, as :func:`name_parameters` wrote it."""
    readers: dict[int, set] = {}
    for tail, head, _ in edges:
        readers.setdefault(tail, set()).add(head)
    for ih, (short, drawn) in names.items():
        hh = next((p for p, pair in names.items() if short == "b_ih" and pair == ("b_hh", drawn)), None)
        if hh is not None and readers.get(ih) != readers.get(hh):
            for position, name, part in ((ih, "b_ih", BIAS_PARTS[0]), (hh, "b_hh", BIAS_PARTS[1])):
                own, mark = written_as[position]
                as_named = drawn == own.symbol(name) + own.marked(mark)  # (not a name told apart by its reader)
                names[position] = (name, own.bias_part(name, mark) if as_named else drawn + part)
    return names


def _told_apart(names: dict[int, tuple[str, str]], nodes: list[Node], edges, notation: Notation,
                written_as: dict[int, tuple[Notation, str]]) -> dict[int, tuple[str, str]]:
    """Two tensors that go by one name in the library — the ``weight`` of an embedding and of a
    linear layer made outside any parent module — are written with the op that reads each
    (embedding.weight, linear.weight), then numbered, so that no name stands for two tensors. (A
    lecture's one b₁ for b_ih and b_hh is meant: their library names differ, and a note says so.)"""
    reader: dict[int, str] = {}
    for tail, head, _ in edges:
        if tail in names and tail not in reader:
            reader[tail] = _op_word(nodes[head])
    alike: dict[tuple[str, str], list[int]] = {}
    for position, (short, drawn) in names.items():
        alike.setdefault((short, drawn), []).append(position)
    result = dict(names)
    for (short, drawn), positions in alike.items():
        if len(positions) < 2:
            continue
        owners = [owner_of(nodes[p].label.split("\n")[0]) for p in positions]  # a layer's own: weight_ih_l0_reverse
        if None not in owners and len(set(owners)) == len(owners):  # (a step node reads both directions)
            marks = chain_marks(set(owners))
            for position, owner in zip(positions, owners):
                result[position] = (short, drawn + notation.marked(marks[owner]))
                written_as[position] = (notation, marks[owner])
            continue
        written = [f"{reader.get(p, 'parameter')}.{drawn}" for p in positions]
        for position, name in zip(positions, written):
            count = written.count(name)
            result[position] = (short, name if count == 1 else
                                f"{name}{notation.marked(str(written[: positions.index(position) + 1].count(name)))}")
    return result


def _op_word(node: Node) -> str:
    """The op a node stands for, in one word: embedding (of "e₁ = embedding"), linear, RNN (of "RNN cell")."""
    first = node.label.split("\n")[0].split(" = ")[-1]
    return first.split()[0] if first else node.kind


EVERY_STEP = "each is one tensor, the same at every step"  # the footnote on a recurrence's shared weights


def parameter_notes(nodes: list[Node], edges, names: dict[int, tuple[str, str]], notation: Notation) -> list[str]:
    """The footnote: what each name is the same over, which tensors appear in several places, and
    the lecture's one bias where the layer has two."""
    if not names:
        return []
    # the marks of the chains drawn, and of the weights' own layers: a step node draws both layers in one
    # node (no chain of either), and its note named only "W_hh⁽²⁾, …" as if W_hh⁽¹⁾ were not shared
    owners = {owner for p in names if (owner := owner_of(nodes[p].label.split("\n")[0])) is not None}
    drawn_marks = set(marks_of(nodes, notation.module_letters).values()) | \
        set(chain_marks(owners, notation.module_letters).values())
    notation = notation.for_drawing(nodes)
    if any(short in LAYER_WEIGHTS for short, _ in names.values()):  # W_hh⁽¹⁾, W_hh⁽²⁾, b_hh⁽¹⁾: layer 1 first
        ordered = sorted(drawn_marks or {""}, key=lambda mark: mark.replace("→", "0").replace("←", "1"))
        # as drawn: b₁′ and b₁″ where the figure draws the lecture's b₁ as its two tensors ("b₁ …: each is one
        # tensor" stood above "b₁ = b₁′ + b₁″, two tensors"), and no b_hh where the model has none
        wanted = [written for name in ("W_hh", "b_hh") for mark in ordered for written in (
            notation.symbol(name) + notation.marked(mark),
            *((notation.symbol(name) + part + notation.marked(mark) for part in BIAS_PARTS) if name == "b_hh" else ()))]
        drawn = {shown for short, shown in names.values() if short in ("W_hh", "b_hh", "b_ih")}
        recurrent = [name for name in wanted if name in drawn] or [next(iter(names.values()))[1]]
    else:
        recurrent = [next(iter(names.values()))[1]]
    recurrent = list(dict.fromkeys(recurrent))
    calls = any(n.row[1:2] == ("call 2",) for n in nodes)  # a module run on two sequences (chain_rows)
    # a model without steps (the fixed-window one) or with one (a cell alone): nothing the same at every step
    stepped = len(steps_in_time(nodes, edges)) > 1  # (in time: an encoder's steps, then its decoder's)
    notes = [f"{', '.join(recurrent[:4])}, …: {EVERY_STEP}"
             + (" of every call" if calls else "") + shared_note(drawn_marks)] if stepped else []
    rows: dict[int, set] = {}
    for tail, head, _ in edges:  # where a tensor is drawn: its layers, directions, modules — not its calls
        if tail in names:
            rows.setdefault(tail, set()).add(chain_of(nodes[head]) or nodes[head].row[:3])
    read_as: dict[int, set[str]] = {}  # each parameter → the ops that read it, in one word
    for tail, head, _ in edges:
        if tail in names:
            read_as.setdefault(tail, set()).add(_op_word(nodes[head]))
    notes += [tied_note(names[p][1], notation) if is_tied(read_as[p]) else
              f"{names[p][1]}: one tensor, the same in every place it is drawn" for p, found in rows.items()
              if len(found) > 1]
    projected = next((p for p, (short, _) in names.items() if short == "W_hr" and nodes[p].tensors), None)
    return notes + ([projection_note(nodes[projected].tensors[0].shape, notation)] if projected is not None else [])


PROJECTION = "(proj_size = "  # how the note on W_hr ends: a BPTT figure, which sums W_hr, says it too


def projection_note(shape: tuple[int, ...], notation: Notation) -> str:
    """What an LSTM's W_hr does (``proj_size``: its weight_hr is P × H), in the notation's names: h is P wide, c H.

    >>> from tinygrad_rnn.viz.notation import resolve
    >>> projection_note((2, 6), resolve(None))
    'W_hr: hₜ = W_hr (oₜ ⊙ tanh cₜ), the projection: hₜ is 2 wide, cₜ 6 (proj_size = 2)'
    """
    W, h, o, c = notation.symbol("W_hr"), *(notation.at_step(name, "t") for name in ("h", "o", "c"))
    return f"{W}: {h} = {W} ({o} ⊙ tanh {c}), the projection: {h} is {shape[0]} wide, {c} {shape[1]} " \
           f"{PROJECTION}{shape[0]})"


def tied_note(name: str, notation: Notation) -> str:
    """The footnote on a tied table named ``name``: the head's weight is the embedding's table, as the notation
    writes the pair (:func:`.parameter_roles.tied_head`); a table the user named otherwise keeps its name."""
    if name != notation.symbol("E"):
        return f"{name}: one tensor (tied: the embedding's table and the head's weight), the same in every place"
    if notation.words_as_columns:
        return (f"{tied_head(notation)} (tied): one tensor — {name} (d × |V|) is the embedding's table, the head "
                "reads it transposed")
    # |V|: the vocabulary's size, never a bare V, which is a matrix in Elman's names (the recurrent one)
    return f"{tied_head(notation)} (tied): one tensor, the embedding's table and the head's weight (|V| × H)"


def write_tied_uses(picture: Picture, notation: Notation) -> None:
    """A tied table (head.weight = embedding.weight) is one tensor, named E: a forward figure's head boxes write it
    as the head reads it, W_hy = E (U = Eᵀ in CS224N's names: :func:`.parameter_roles.tied_head`), its embedding
    boxes E; a BPTT figure's Σ of it, fed by both rows, is Σₜ ∂J/∂E|₍ₜ₎, and a note says that it adds the terms of
    both uses. (A name the user gave the table stays in every box.)"""
    table = notation.symbol("E")
    read_as: dict[str, set[str]] = {}
    for node in picture.nodes:
        for name in node.parameters:
            read_as.setdefault(name, set()).add(_op_word(node))
    if table in read_as and is_tied(read_as[table]):
        for node in picture.nodes:
            if _op_word(node) == "linear":
                node.parameters = [tied_head(notation) if name == table else name for name in node.parameters]
    feeding: dict[int, set[str]] = {}
    for tail, head, _ in picture.edges:
        if picture.nodes[head].kind == "output" and "Σ" in picture.nodes[head].label:
            feeding.setdefault(head, set()).add(_op_word(picture.nodes[tail]).rstrip(","))
    for head, readers in feeding.items():
        if is_tied(readers) and f"∂J/∂{table}|" in picture.nodes[head].label:
            picture.notes.append(f"{table}, tied ({tied_head(notation)}): its Σ adds both uses' terms at every step")


def input_weight_notes(picture: Picture, notation: Notation) -> list[str]:
    """Where the lecture's input weight multiplies an embedding (CS224N's W_e e⁽ᵗ⁾) and the figure draws it applied to
    a layer's input x_t itself (a layer drawn alone), what x_t stands for (:meth:`.Notation.input_stands_for`), said
    once: W_e beside x⁽ᵗ⁾ with no word mixes two notations. Not under a rolled figure: its slide says it in a line, as
    a line more under it set its labels under a slide's 28 px (:func:`.value_names.upper_layer_notes`)."""
    said = notation.input_stands_for()
    if not said or any(node.loops for node in picture.nodes):
        return []
    weight, x = notation.symbol("W_ih"), notation.symbol("x")

    def is_weight(name: str) -> bool:  # W_e, or a chain's W_e^[gru] (layer 2's W_e^[2] reads h^[1], never x_t)
        return name == weight or name.startswith(weight + "^[")

    readers = {position for position, node in enumerate(picture.nodes) if any(map(is_weight, node.parameters))}
    readers |= {head for tail, head, _ in picture.edges if picture.nodes[tail].kind == "parameter"
                and is_weight(picture.nodes[tail].label.split("\n")[0])}
    for tail, head, _ in picture.edges:
        first = picture.nodes[tail].label.split("\n")[0]
        if head in readers and picture.nodes[tail].kind == "input" and first.startswith(x) and \
                not first[len(x):len(x) + 1].isalpha():
            return [said]
    return []


def borrowed_head_notes(picture: Picture, notation: Notation) -> list[str]:
    """Where the lecture names no output layer (:meth:`.Notation.head_borrowed`: USC's) and the figure writes its
    head's W_hy or b_y — in a node, in the key of a row's weights, in a BPTT figure's Σ — that they are CMU's, said
    once, as the deck's slides say it: W_hy beside W_x, W_h with no word mixes two notations.

    >>> from tinygrad_rnn.viz.notation import resolve
    >>> head = Picture([Node(0, "group", "linear", parameters=["W_hy", "b_y"])], [])
    >>> borrowed_head_notes(head, resolve("usc")), borrowed_head_notes(head, resolve("cmu"))
    (["W_hy, b_y (CMU's names: this lecture names none)"], [])
    """
    borrowed = notation.head_borrowed()
    names = (notation.symbol("W_hy"), notation.symbol("b_y"))
    written = any(name in text for node in picture.nodes for text in (node.label, *node.parameters) for name in names)
    return [f"{names[0]}, {names[1]} ({borrowed})"] if borrowed and written else []
