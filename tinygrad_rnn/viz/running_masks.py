"""A batch of sequences of different lengths (``lengths=``, or a PackedSequence unpacked to one) runs every step
with a mask of the sequences still running, m_t = [t ≤ lengths]: where it is 0 the step hands on the state it was
handed, so each sequence's h_n is its state at its own last step. The masks are the layer's bookkeeping, one per
step and not one per sequence, so a cell-level figure draws them not as an input under each cell (where x_t and
e_t are drawn) but in a key line, with the step each sequence's h_n is taken at: h_n = (h₄ of sequence 1, h₂ of
sequence 2). A packed batch's padding, the value read past a sequence's end that the masks throw away, is folded
alike.

>>> import tinygrad_rnn as tr
>>> from tinygrad_rnn.viz.graph import build_picture
>>> _, h_n = tr.nn.GRU(2, 3, batch_first=True)(tr.randn(2, 3, 2), lengths=[3, 1])
>>> picture = build_picture((h_n.sum(),), level="cell", show_shapes=False)
>>> [node.label for node in picture.nodes if node.kind == "input"]
['h_0', 'x₁', 'x₂', 'x₃']
>>> for line in picture.notes[-1].split(", so "):
...     print(line)
Each cell reads mₜ = [t ≤ lengths], lengths = (3, 1): a sequence that has ended keeps its state
hₙ = (h₃ of sequence 1, h₁ of sequence 2)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy

from ..nn.recurrent import RUNNING
from ..nn.utils.rnn import PADDING
from .notation import Notation
from .picture import Node
from .scripts import TO_SUBSCRIPT

SHOWN_ONE_BY_ONE = 3  # up to this many sequences, each h_n is named with its sequence; more, in batch order


def fold_running_masks(nodes: list[Node], links: list[tuple]) -> tuple[list[tuple], set]:
    """The links less those out of the leaves a cell-level figure folds (the masks of the sequences still running,
    and the padding a packed batch is unpacked with), and the chains whose steps read such a mask."""
    folded = {position for position, node in enumerate(nodes) if node.kind == "input" and
              any(getattr(tensor, "name", None) in (RUNNING, PADDING) for tensor in node.tensors)}
    masked = {nodes[head].chain for tail, head, *_ in links if tail in folded and
              any(getattr(tensor, "name", None) == RUNNING for tensor in nodes[tail].tensors)}
    return [link for link in links if link[0] not in folded], masked - {None}


def name_final_states(nodes: list[Node], edges: list[tuple[int, int, str]], masked: set) -> list[tuple[int, int, str]]:
    """The edges, the states a forward chain run with lengths hands on after its last step T named h_n (c_n), not
    h_T: each is every sequence's state at its own last step (the key line of :func:`lengths_notes` says which). A
    reverse chain's last step is t = 1 for every sequence (it starts at each one's end): its h₁ stays h₁."""
    last = {}
    for node in nodes:
        if node.kind == "group" and node.chain in masked and node.chain.direction == "forward" and node.step:
            last[node.chain] = max(last.get(node.chain, 0), node.step)

    def named(tail: int, head: int, label: str) -> str:
        cell = nodes[tail]
        if cell.chain not in last or cell.step != last[cell.chain] or nodes[head].step is not None:
            return label
        state = label.removesuffix(str(cell.step).translate(TO_SUBSCRIPT))
        return f"{state}_n" if state in ("h", "c") and label != state else label
    return [(tail, head, named(tail, head, label)) for tail, head, label in edges]


def lengths_notes(roots: Iterable[Any], notation: Notation, modules: dict | None = None,
                  gradient_of: str = "") -> list[str]:
    """The key line of each batch run with lengths under ``roots``: its masks read back into the lengths they were
    made from (the mask of step t is 1 for the sequences still running at t), and the step each sequence's h_n is
    taken at (a forward direction's, where a reverse direction reads the masks too: its h_n is h₁ for every
    sequence). A walk of the recorded graph, no recursion. Where several calls ran with lengths, one line each, named
    by the module its chains are drawn in (``modules``: chain → the name its row is drawn with, "RNN 2"). A BPTT
    figure (``gradient_of``: the loss's letter, J) adds what its arrows cannot show: :func:`padded_steps_note`.

    >>> import tinygrad_rnn as tr
    >>> from tinygrad_rnn.viz.notation import resolve
    >>> _, h_n = tr.nn.RNN(2, 3, bidirectional=True)(tr.randn(3, 2, 2), lengths=[2, 3])
    >>> for line in lengths_notes([h_n], resolve(None))[0].split(", so "):
    ...     print(line)
    Each cell reads mₜ = [t ≤ lengths], lengths = (2, 3): a sequence that has ended keeps its state
    hₙ = (h₂ of sequence 1, h₃ of sequence 2) forward; in reverse, h₁
    """
    by_call = _masks_of_each_call(roots)
    notes = []
    mask, last = notation.at_step("m", "t"), notation.at_step("h", "n")  # (mₜ and hₙ, or m⁽ᵗ⁾ and h⁽ⁿ⁾)
    for chains, rows in by_call.items():
        reverse = any(chain.direction == "reverse" for chain in chains)
        lengths = [int(length) for length in numpy.sum(rows, axis=0)]
        if len(lengths) <= SHOWN_ONE_BY_ONE:
            taken = ", ".join(f"{notation.at_step('h', str(length))} of sequence {b + 1}"
                              for b, length in enumerate(lengths))
        else:
            taken = ", ".join(notation.at_step("h", str(length)) for length in lengths)
        drawn = {(modules or {}).get(chain) for chain in chains} - {None}
        cell = f"{drawn.pop()} cell" if len(by_call) > 1 and len(drawn) == 1 else "cell"
        notes.append(f"Each {cell} reads {mask} = [t ≤ lengths], lengths = ({', '.join(map(str, lengths))}): a "
                     f"sequence that has ended keeps its state, so {last} = ({taken})" +
                     (f" forward; in reverse, {notation.at_step('h', '1')}" if reverse else ""))
        notes += unread_padding_note(roots, lengths, len(rows), gradient_of or "J", backward=bool(gradient_of))
        if gradient_of:
            notes += padded_steps_note(lengths, len(rows), notation, gradient_of, cell.removesuffix("cell"))
    return notes


def _masks_of_each_call(roots: Iterable[Any]) -> dict[frozenset, list[numpy.ndarray]]:
    """The masks of each call run with lengths under ``roots`` (one a step, 1 for the sequences still running), by
    the chains that read them: two calls of one batch size are two sets of lengths, and only a call with a reverse
    direction has an h₁ to name. A walk of the recorded graph, no recursion."""
    masks: dict[int, Any] = {}  # (each mask once: every layer and direction of a call reads the same ones)
    readers: dict[int, set] = {}  # each mask → the chains whose steps read it: one call's layers and directions
    stack, seen = [root.grad_fn for root in roots if root.grad_fn is not None], set()
    while stack:
        function = stack.pop()
        for x in function.parents:
            if getattr(x, "grad_fn", None) is not None and id(x.grad_fn) not in seen:
                seen.add(id(x.grad_fn))
                stack.append(x.grad_fn)
            elif getattr(x, "name", None) == RUNNING and function.step is not None:  # (read outside any step: a
                # fused layer's outputs zeroed past each end by one (T, B, 1) mask, its steps' own masks say the same)
                masks[id(x)] = x
                readers.setdefault(id(x), set()).add(function.step.chain)
    by_call: dict[frozenset, list[numpy.ndarray]] = {}
    for key, mask in masks.items():
        by_call.setdefault(frozenset(readers[key]), []).append(numpy.asarray(mask.numpy()).reshape(-1))
    return by_call


def padding_left_out(roots: Iterable[Any], letter: str = "J") -> list[str]:
    """The op level's key line of a batch run with lengths whose loss leaves some sequences' padding out: it draws
    each step's mask (t ≤ lengths) and every loss call, not which outputs the loss reads (:func:`unread_padding_note`;
    one head for the whole sequence, so no line about the heads' gradients).

    >>> import tinygrad_rnn as tr
    >>> out, _ = tr.nn.GRU(2, 3, batch_first=True)(tr.randn(2, 4, 2), lengths=[4, 2])
    >>> padding_left_out([out[0].sum() + out[1, :2].sum()])
    ['Sequence 2: no loss at t = 3, 4 (J reads none of its outputs there)']
    """
    return [note for rows in _masks_of_each_call(roots).values()
            for note in unread_padding_note(roots, [int(n) for n in numpy.sum(rows, axis=0)], len(rows), letter)]


def unread_padding_note(roots: Iterable[Any], lengths: list[int], steps: int, letter: str = "J",
                        backward: bool = False) -> list[str]:
    """A key line for each sequence whose outputs past its end the loss leaves out (a tagger's
    ``cross_entropy(logits[1, :2], …)``) while it reads other sequences' outputs at those steps: the figure draws one
    head and one arrow into J per step for the whole batch, which reads as a loss over every position. Found from
    ∂J/∂(the per-position outputs nearest J, read outside the cells), zero at the positions the loss does not read;
    none where the graph is freed or no such outputs are found. A BPTT figure (``backward``) adds what its heads'
    arrows, one per step for the batch, do not show: they hand that sequence no gradient there.

    >>> import tinygrad_rnn as tr
    >>> out, _ = tr.nn.GRU(2, 3, batch_first=True)(tr.randn(2, 4, 2), lengths=[4, 2])
    >>> logits = tr.nn.Linear(3, 2)(out)
    >>> J = logits[0].sum() + logits[1, :2].sum()
    >>> unread_padding_note([J], [4, 2], 4)
    ['Sequence 2: no loss at t = 3, 4 (J reads none of its outputs there)']
    >>> unread_padding_note([logits.sum()], [4, 2], 4)
    []
    """
    from ..engine import grad  # (the engine imports nn, which this module's imports reach)

    loss = next(iter(roots), None)
    batch = len(lengths)
    if loss is None or loss.grad_fn is None or loss.numel() != 1 or batch == steps:  # (B = T: which axis is time?)
        return []
    stack, seen, outputs = [loss.grad_fn], {id(loss.grad_fn)}, None
    while stack and outputs is None:  # breadth first from J, not into the cells: the nearest (B, T, …) or (T, B, …)
        function = stack.pop(0)
        for x in function.parents:
            if getattr(x, "grad_fn", None) is None or x.grad_fn.step is not None or id(x.grad_fn) in seen:
                continue
            if len(x.shape) >= 3 and tuple(x.shape[:2]) in ((batch, steps), (steps, batch)):
                outputs = x
                break
            seen.add(id(x.grad_fn))
            stack.append(x.grad_fn)
    if outputs is None:
        return []
    try:
        (gradient,) = grad(loss, (outputs,), retain_graph=True, allow_unused=True)
    except RuntimeError:  # (the graph freed by a backward without retain_graph: nothing to read it from)
        return []
    if gradient is None:
        return []
    read = numpy.abs(numpy.asarray(gradient.numpy())).reshape(*gradient.shape[:2], -1).max(axis=-1) > 0
    read = read if tuple(outputs.shape[:2]) == (batch, steps) else read.T  # (sequence, step): whether J reads it
    notes = []
    for b, length in enumerate(lengths):
        past_end = [t for t in range(length, steps) if not read[b, t] and read[:, t].any()]
        if past_end and past_end == list(range(length, steps)):  # every step past its end, left out
            times = ", ".join(str(t + 1) for t in past_end)
            notes.append(f"Sequence {b + 1}: no loss at t = {times} ({letter} reads none of its outputs there)" +
                         (", so the heads there hand it no gradient" if backward else ""))
    return notes


def padded_steps_note(lengths: list[int], steps: int, notation: Notation, loss: str, module: str = "") -> list[str]:
    """A BPTT figure's key line for a batch run with ``lengths`` over ``steps`` steps: a step past a sequence's end
    (mₜ = 0) hands ∂J/∂hₜ back unchanged for that sequence and adds nothing to its Σ terms — the figure draws every
    step's drop into Σ alike, the batch's sum, and would say the padding contributes. None where every sequence runs
    every step.

    >>> from tinygrad_rnn.viz.notation import resolve
    >>> padded_steps_note([4, 2], 4, resolve(None), "J")
    ['Sequence 2 at t = 3, 4 (mₜ = 0): ∂J/∂hₜ passes back unchanged, and those steps add nothing to Σ for it']
    >>> padded_steps_note([5, 5, 1, 2], 5, resolve("cs224n"), "J", "GRU 2 ")[0][:62]
    'GRU 2: where m⁽ᵗ⁾ = 0 (a sequence past its end), ∂J/∂h⁽ᵗ⁾ pass'
    """
    short = [(b, length) for b, length in enumerate(lengths) if length < steps]
    if not short:
        return []
    mask, gradient = notation.at_step("m", "t"), f"∂{loss}/∂{notation.at_step('h', 't')}"
    prefix = f"{module.strip()}: " if module.strip() else ""
    if len(lengths) > SHOWN_ONE_BY_ONE:
        text = f"{prefix}where {mask} = 0 (a sequence past its end), {gradient} passes back unchanged for that " \
               "sequence, and the step adds nothing to Σ for it"
    else:
        said = []
        for b, length in short:
            padded = list(range(length + 1, steps + 1))
            times = ", ".join(map(str, padded)) if len(padded) <= 3 else f"{padded[0]} … {padded[-1]}"
            said.append(f"sequence {b + 1} at t = {times}")
        text = f"{prefix}{' and '.join(said)} ({mask} = 0): {gradient} passes back unchanged, and those steps " \
               f"add nothing to Σ for {'it' if len(short) == 1 else 'each'}"
    return [text[0].upper() + text[1:]]
