"""A figure whose colours are its content — ``show_grads`` on one recurrence, the vanishing gradient — drawn whole.

Such a figure is never fitted to a slide by leaving steps out: the steps in the middle are where ‖∂J/∂h_t‖
fades, and a "… 7 steps" there hides the fade the figure is drawn to show. Where every step drawn as a cell does
not fit, each step is drawn with less in it instead, as the deck's vanishing slide draws its strip: one unlabeled
cell per step, its t (the number in it) and its colour, no x_t under it and no h_t on its arrows (the key says what
the colour is), the chain from h_0 to J kept. The ratio ‖∂J/∂h_1‖ / ‖∂J/∂h_T‖ the colours show is written under
the figure, as a slide writes a number (3.8·10⁻⁴).

>>> import tinygrad_rnn as tr
>>> from tinygrad_rnn.viz.graph import build_picture
>>> from tinygrad_rnn.viz.lecture_models import last_step_loss
>>> picture = build_picture((last_step_loss(tr.nn.RNN(2, 3), 4),), level="cell", show_grads=True, slide=True)
>>> ratio_of_the_ends(picture).startswith("‖∂J/∂h₁‖ / ‖∂J/∂h₄‖ = ")
True
>>> strip = as_strip(picture)
>>> sorted(node.label for node in strip.nodes if node.kind == "group")
['1', '2', '3', '4']
>>> any(node.label.startswith("x") for node in strip.nodes)  # the inputs left out
False
"""

from __future__ import annotations

from .numbers import slide_number
from .picture import Picture
from .scripts import TO_SUBSCRIPT

STRIP_NOTE = "Each step's cell drawn as its t and its colour alone, every step: the colours are what the figure shows"


def colours_of_one_chain(picture: Picture) -> list:
    """The cells (or steps) of ``picture`` in time order, where it is a forward figure of one recurrence coloured by
    its gradient norms (``show_grads``); else []."""
    cells = [node for node in picture.nodes if node.kind == "group" and node.step is not None]
    if picture.backward or not picture.legend or not cells or len({node.row for node in cells}) != 1:
        return []
    if any(node.gradient_norm is None for node in cells):
        return []
    return sorted(cells, key=lambda node: node.step)


def ratio_of_the_ends(picture: Picture) -> str:
    """‖∂J/∂h_1‖ / ‖∂J/∂h_T‖ of a figure of one recurrence's gradient colours, as a slide writes the number; "" for
    any other figure (or where ‖∂J/∂h_T‖ is 0)."""
    cells = colours_of_one_chain(picture)
    if len(cells) < 2 or not cells[-1].gradient_norm:
        return ""
    first, last = (str(node.step).translate(TO_SUBSCRIPT) for node in (cells[0], cells[-1]))
    return f"‖∂J/∂h{first}‖ / ‖∂J/∂h{last}‖ = {slide_number(cells[0].gradient_norm / cells[-1].gradient_norm)}"


def as_strip(picture: Picture) -> Picture:
    """``picture`` (a figure of one recurrence's gradient colours) with less drawn in each step: each cell's label
    its t alone, the step's inputs x_t left out and the states' names off the arrows between the cells; the colours,
    h_0, J and the notes as they were. Changed in place, and returned."""
    steps = {node.step for node in colours_of_one_chain(picture)}
    inputs = {index for index, node in enumerate(picture.nodes) if node.kind == "input" and node.step in steps}
    kept = [index for index in range(len(picture.nodes)) if index not in inputs]
    moved = {old: new for new, old in enumerate(kept)}
    for node in picture.nodes:
        if node.kind == "group" and node.step in steps:
            node.label = str(node.step)
            node.parameters = []
    picture.nodes = [picture.nodes[index] for index in kept]
    # the arrows between the steps and into J unnamed: every one is an h_t, and the key names what is coloured; one
    # arrow from a cell to the next (an LSTM's c_t and h_t, both unnamed here, drawn as two crossed beside each other)
    picture.edges = list(dict.fromkeys((moved[tail], moved[head], "") for tail, head, _ in picture.edges
                                       if tail in moved and head in moved))
    picture.gradients = set()
    picture.strip = True  # (laid out closer: nothing is named between the cells)
    if STRIP_NOTE not in picture.notes:
        picture.notes.append(STRIP_NOTE)
    return picture
