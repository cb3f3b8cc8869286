"""A dropout drawn on its arrows, not as nodes of its own: what a slide's fit ladder gives up after the weights.

A language model with ``nn.Dropout`` on its embeddings and on its outputs draws each step's "d_t = dropout" and
"d′_t = dropout" as nodes, two more rows of the figure, and each mask (a layer's ``dropout=`` too) as a node with a
line into every step: a 2-layer LSTM's at 4 steps lands its text at 18 px on a slide. A dropout is a step of the
computation, so it is never hidden: its arrow says it, "d₁ = dropout" (the value the arrow carries, and the op that
made it), "dropout(h₁⁽¹⁾)" where the cells of the layer above multiply what they read by a mask, "dropout: ∂J/∂e₁" in
the figure of the gradient, and one note under the figure says what each mask is (:func:`fold_dropout_steps`)."""

from __future__ import annotations

import re

from .initial_states import DROPOUT
from .picture import DROPOUT_MASK, Node, Picture, is_dropout_mask
from .scripts import TO_SUBSCRIPT, TO_SUPERSCRIPT

FORWARD = re.compile(rf"(?P<name>\S+) = {DROPOUT}")  # a forward figure's "d′₂ = dropout"


def is_dropout_step(node: Node) -> bool:
    """One step's dropout drawn as a node: "d₂ = dropout" forward, "dropout / t=2" in the figure of the gradient."""
    first = node.label.split("\n")[0]
    return node.kind == "group" and node.step is not None and (first == DROPOUT or bool(FORWARD.fullmatch(first)))


def fold_dropout_steps(picture: Picture) -> None:
    """Fold each step's dropout node into the arrow through it, and say once under the figure what it does.

    The arrow from what the dropout reads to what reads it carries the dropout's value, labelled with it and its op
    ("d₁ = dropout"), or, in the figure of the gradient, the gradient that left the node, marked "dropout: ". The
    masks they multiply by, drawn once each, go too: the note names each by what it drops.

    >>> import tinygrad_rnn as tr
    >>> from tinygrad_rnn.viz.graph import build_picture
    >>> tr.manual_seed(0)
    >>> embedding, rnn = tr.nn.Embedding(5, 2), tr.nn.RNN(2, 3)
    >>> dropped = tr.nn.functional.dropout(embedding(tr.tensor([[1], [2]])), 0.5)
    >>> picture = build_picture((rnn(dropped)[0].sum(),), level="cell", show_shapes=False)
    >>> fold_dropout_steps(picture)
    >>> sorted(label for _, _, label, *_ in picture.edges if "dropout" in label)
    ['d₁ = dropout', 'd₂ = dropout']
    >>> print(picture.notes[0].split("; ")[0])
    On the arrows, dropout with p = 0.5: dₜ = eₜ ⊙ mask (its slice for step t)
    """
    nodes, edges = picture.nodes, picture.edges
    if picture.gradients:  # (forward and backward on one set of nodes: the dropouts stay nodes)
        return
    into: dict[int, list] = {k: [] for k, node in enumerate(nodes) if is_dropout_step(node)}
    for edge in edges:
        if edge[1] in into:
            into[edge[1]].append(edge)
    values_in = {k: [e for e in edges_in if not is_dropout_mask(nodes[e[0]])] for k, edges_in in into.items()}
    tails = {edge[0] for edge in edges}
    folded = {k for k, values in values_in.items() if len(values) == 1 and k in tails}  # one value in (not two
    # gradients), and read: an arrow to be drawn on
    if not folded:
        return
    masks = {edge[0] for k in folded for edge in into[k] if is_dropout_mask(nodes[edge[0]])}
    masks = {mask for mask in masks if all(head in folded for tail, head, *_ in edges if tail == mask)}  # (only theirs)
    said: dict[str, tuple[str, str]] = {}  # each dropout's dₜ → (what it drops, eₜ; its mask's label)
    relabelled = _masks_into_cells(picture, folded, said)  # a layer's dropout=: on the arrows from the layer below
    masks |= set(relabelled)
    dropped_arrows = set().union(*relabelled.values())
    kept = []
    for edge in edges:
        tail, head, label, *rest = edge
        if head in folded or tail in masks:
            continue
        if (tail, head, label) in dropped_arrows:  # hₜ⁽¹⁾ into the layer above: what it reads, dropout(hₜ⁽¹⁾)
            edge = (tail, head, f"{DROPOUT}({label})", *rest)
        if tail not in folded:
            kept.append(edge)
            continue
        (read,) = values_in[tail]  # the one value it drops
        forward = FORWARD.fullmatch(nodes[tail].label)
        if forward:
            mask = next((nodes[e[0]].label.split("\n")[0] for e in into[tail] if is_dropout_mask(nodes[e[0]])),
                        DROPOUT_MASK)
            reads = read[2] or nodes[read[0]].label.split(" = ")[0].split("\n")[0]
            step = nodes[tail].step
            said.setdefault(_every_step(forward["name"], step), (_every_step(reads, step), mask))
            label = nodes[tail].label
        else:
            label = f"{DROPOUT}: {label}"
        kept.append((read[0], head, label, *rest))
    keep = [k for k in range(len(nodes)) if k not in folded and k not in masks]
    position = {old: new for new, old in enumerate(keep)}
    picture.nodes = [nodes[k] for k in keep]
    picture.edges = [(position[tail], position[head], *rest) for tail, head, *rest in kept]
    if said:  # "dₜ = eₜ ⊙ mask 1": each mask by its number, as its node was named, and their p once where it is one
        ordered = sorted(said.items(), key=lambda item: item[1][1])
        chances = {mask.partition(", ")[2] for _, (_, mask) in ordered}
        named = ", ".join(f"{name} = {reads} ⊙ {mask.split(', ')[0].replace(DROPOUT_MASK, 'mask')}"
                          + ("" if len(chances) == 1 else f" ({mask.partition(', ')[2]})")
                          for name, (reads, mask) in ordered)
        with_p = f"{DROPOUT} with {chances.pop()}" if len(chances) == 1 else DROPOUT
        picture.notes.insert(0, f"On the arrows, {with_p}: {named} (its slice for step t); a mask is one tensor for "
                                "the sequence, its entries 0 (with probability p) or 1/(1 − p)")
    else:
        picture.notes.insert(0, f"{DROPOUT}: on an arrow, the gradient that leaves a step's dropout (times its mask)")


def _masks_into_cells(picture: Picture, folded: set[int], said: dict[str, tuple[str, str]]) -> dict[int, set]:
    """A mask that cells multiply by (a layer's ``dropout=`` between its layers: each cell of the layer above
    multiplies the h_t it reads from the layer below by the mask's slice for step t): {its node: the arrows from the
    layer below that it drops, each (tail, head, label)}, its line for the note in ``said`` ("dropout(hₜ⁽¹⁾) =
    hₜ⁽¹⁾ ⊙ …"), and the note that said what it does dropped. A mask whose every cell does not read one such
    labelled arrow keeps its node."""
    nodes, edges = picture.nodes, picture.edges
    found = {}
    for mask, node in enumerate(nodes):
        cells = {head for tail, head, *_ in edges if tail == mask}
        if not is_dropout_mask(node) or not cells or cells & folded or \
                any(nodes[cell].kind != "group" or nodes[cell].chain is None for cell in cells):
            continue
        below = {(tail, head, label) for tail, head, label, *_ in edges if head in cells and label
                 and nodes[tail].chain is not None and nodes[tail].chain != nodes[head].chain
                 and nodes[tail].step == nodes[head].step}
        if sorted(head for _, head, _ in below) != sorted(cells):  # exactly one arrow from below into each cell
            continue
        found[mask] = below
        first = min(below, key=lambda edge: nodes[edge[1]].step)
        read = _every_step(first[2], nodes[first[1]].step)
        said[f"{DROPOUT}({read})"] = (read, node.label.split("\n")[0])
        named = node.label.split(",")[0] + ": "
        picture.notes[:] = [note for note in picture.notes if not note.startswith(named)]
    return found


def _every_step(name: str, step: int) -> str:
    """A value's name at ``step`` as a note writes it for every step: d′₂ → d′ₜ, h₂⁽²⁾ → hₜ⁽²⁾ (the time lowered, the
    layer raised), e⁽²⁾ → e⁽ᵗ⁾ and h^[1]⁽²⁾ → h^[1]⁽ᵗ⁾ (CS224N's: the time raised, the layer in brackets).

    >>> _every_step("h₂⁽²⁾", 2), _every_step("e⁽²⁾", 2), _every_step("h^[1]⁽¹⁾", 1)
    ('hₜ⁽²⁾', 'e⁽ᵗ⁾', 'h^[1]⁽ᵗ⁾')
    """
    lowered = str(step).translate(TO_SUBSCRIPT)
    if lowered in name:
        return name.replace(lowered, "ₜ", 1)
    raised = f"({step})".translate(TO_SUPERSCRIPT)
    at = name.rfind(raised)
    return name if at < 0 else name[:at] + "⁽ᵗ⁾" + name[at + len(raised):]
