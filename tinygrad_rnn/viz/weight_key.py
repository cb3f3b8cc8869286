"""``params="key"``: the weights a row shares named once, in a key line under the figure, not in each of its cells.

A stacked or bidirectional layer's cells each name four weights (W_ih⁽²⁾, b_ih⁽²⁾ / W_hh⁽²⁾, b_hh⁽²⁾): two lines in
every cell of every row, the widest text of the figure. The lectures write W_hh on every copy to say that the copies
share it; a key says the same once: "Every GRU cell of layer ℓ: W_ih⁽ℓ⁾, b_ih⁽ℓ⁾, W_hh⁽ℓ⁾, b_hh⁽ℓ⁾ (ℓ = 1, 2); every
embedding: E", and the footnote after it: "Each is one tensor, the same at every step of its layer". A slide's fit
ladder (``ladder.py``) draws it so where the labelled figure misses a slide's text size and ``params`` was not given.
"""

from __future__ import annotations

from .chains import chain_of, marks_of
from .fit_notes import left_out_notes
from .notation import Notation
from .parameter_names import EVERY_STEP
from .picture import Node, Picture


def write_weight_key(picture: Picture, notation: Notation) -> None:
    """Move the weights that every node of a row names (a layer's cells, each step's embedding or head) out of the
    nodes into a key note, in the place of the footnote that says each is one tensor (said after it, without the names
    it gave again, and how to draw the names in every cell). Rows of one kind whose names
    differ only by the row's mark (W_hh⁽¹⁾, W_hh⁽²⁾: the mark their states carry too, h₃⁽²⁾) share one line. A node
    drawn once (a classifier's head after the steps) keeps its own: it is no copy that a key could stand for.

    >>> import tinygrad_rnn as tr
    >>> from tinygrad_rnn.viz.graph import build_picture
    >>> tr.manual_seed(0)
    >>> picture = build_picture((tr.nn.GRU(2, 3, num_layers=2)(tr.randn(3, 1, 2))[0].sum(),), level="cell",
    ...                         params="key", show_shapes=False)
    >>> [node.parameters for node in picture.nodes if node.parameters]
    []
    >>> for note in picture.notes[:2]:
    ...     print(note)
    Every GRU cell of layer ℓ: W_ih⁽ℓ⁾, b_ih⁽ℓ⁾, W_hh⁽ℓ⁾, b_hh⁽ℓ⁾ (ℓ = 1, 2), each gates r, z, n stacked
    Each is one tensor, the same at every step of its layer (params="label" writes them in every cell)
    """
    rows = rows_naming_weights(picture)
    marks = marks_of(picture.nodes, notation.module_letters)
    kinds: dict[tuple, list[tuple[str, list[str]]]] = {}  # (what, its names without a mark) → (row's mark, names)
    for nodes in rows.values():
        names = nodes[0].parameters  # (the same in every node of the row)
        mark = marks.get(chain_of(nodes[0]), "")
        ending = notation.marked(mark)
        marked = bool(ending) and all(name.endswith(ending) for name in names)
        bare = tuple(name[: -len(ending)] for name in names) if marked else tuple(names)
        kinds.setdefault((_called(nodes[0].label), bare, marked), []).append((mark, names))
        for node in nodes:
            node.parameters = []
    lines = []
    for (what, bare, marked), members in kinds.items():
        if len(members) == 1 or not marked:
            lines += [f"Every {what}: {', '.join(names)}{_stacked(what, names)}" for _, names in members]
            continue
        layers = all(mark.isdigit() for mark, _ in members)
        whose, letter = ("layer", "ℓ") if layers else ("row", "r")
        named = [name + notation.marked(letter) for name in bare]
        marks = ", ".join(mark for mark, _ in members)
        lines.append(f"Every {what} of {whose} {letter}: {', '.join(named)} ({letter} = {marks})"
                     f"{_stacked(what, named)}")
    if not lines:  # no row names weights (a BPTT figure: its Σ name them): no key, nor how to bring its names back
        return
    key = "; ".join(line[0].lower() + line[1:] if k else line for k, line in enumerate(lines))
    back = f" ({left_out_notes()[2]})"  # how to draw the names in every cell again: save's keyword, or the CLI's flag
    footnote = next((k for k, note in enumerate(picture.notes) if EVERY_STEP in note), None)
    if footnote is None:
        picture.notes.append(key + back)
        return
    # the footnote named a few of the weights again (W_hh⁽¹⁾, W_hh⁽²⁾, …: each is one tensor, …): the key, all of them
    said = picture.notes[footnote]
    sharing = said[said.index(EVERY_STEP):]
    picture.notes[footnote:footnote + 1] = [key, f"{sharing[0].upper()}{sharing[1:]}{back}"]  # (two notes: each packs)


def rows_naming_weights(picture: Picture) -> dict[tuple, list[Node]]:
    """Each row whose nodes, one per step, name the same weights: (the row, its nodes), a layer's rows first, layer 1
    first, as the footnote names them. A node alone in its row (one cell, a head after the steps) is left out: it is
    no copy; so is a row of ops, whose steps hold several nodes that name weights (x W_ihᵀ and h W_hhᵀ, each its own
    pair): "every linear" would say that each reads all four.

    >>> cell = lambda step, *weights: Node(step, "group", "cell", step=step, row=("RNN",), parameters=list(weights))
    >>> [len(nodes) for nodes in rows_naming_weights(Picture([cell(1, "W"), cell(2, "W")], [])).values()]
    [2]
    >>> rows_naming_weights(Picture([cell(1, "W"), cell(1, "V"), cell(2, "W"), cell(2, "V")], []))
    {}
    """
    rows: dict[tuple, list[Node]] = {}
    for node in picture.nodes:
        if node.parameters and node.step is not None:
            rows.setdefault(node.row, []).append(node)
    copies = {row: nodes for row, nodes in rows.items() if len(nodes) > 1 and len({n.step for n in nodes}) ==
              len(nodes) and len({tuple(n.parameters) for n in nodes}) == 1}
    return dict(sorted(copies.items(), key=_layer_first))


def _layer_first(row_and_nodes: tuple) -> tuple:
    chain = row_and_nodes[1][0].chain
    return (0, chain.layer, chain.direction == "reverse") if chain is not None else (1, 0, False)


GATES = {"LSTM cell": "i, f, g, o", "GRU cell": "r, z, n"}  # the blocks of a gated cell's weights, PyTorch's order


def _stacked(what: str, names: list[str]) -> str:
    """What a gated cell's names stand for, said after them: each of an LSTM's or GRU's weights is its gates' own
    matrices (or biases) stacked, one block of H rows per gate; a key that named them as the RNN's single W_h, W_e would
    teach that an LSTM has the RNN's three parameters. An LSTM's projection W_hr (``proj_size``) is one matrix, said
    apart. "" for any other row.

    >>> _stacked("LSTM cell", ["W_ih", "W_hh"]), _stacked("LSTM cell", ["W_ih", "W_hr"]), _stacked("embedding", ["E"])
    (', each gates i, f, g, o stacked', ', each but W_hr gates i, f, g, o stacked', '')
    """
    gates = GATES.get(what)
    projection = next((name for name in names if name.startswith("W_hr")), None)
    return f", each{f' but {projection}' if projection else ''} gates {gates} stacked" if gates else ""


def _called(label: str) -> str:
    """What a node of a row is, without its step: "GRU cell" (of "GRU cell\\nt=2"), "embedding" (of "e₂ =
    embedding"), "linear" (of "ŷ₂ = linear")."""
    return label.split("\n")[0].split(" = ")[-1]
