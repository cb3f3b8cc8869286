"""One panel of the lecture page: the figures it draws (rolled and unrolled, for the page and for a
slide), which nodes and edges each stage paints, what hovering a node shows, and the numbers and
stages of :mod:`.lecture_numbers` and :mod:`.lecture_stages` — all as plain JSON-ready data.

>>> import tinygrad_rnn as tr
>>> loss = tr.nn.RNN(2, 3)(tr.randn(3, 1, 2))[0][-1].sum()
>>> shown = panel_data("tanh RNN", loss, None, "cell", tr.viz.notation.resolve(None))
>>> shown["steps"], sorted(shown["cells"])
(3, ['1', '2', '3'])
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import numpy

from .. import analysis
from ..tensor import Tensor
from .figure_boxes import route_points
from .geometry import LABEL_LINE, drawn_width, label_lines, lines_apart
from .gradient_labels import arrow_labels
from .graph import Picture, build_picture
from .layout import labelled_layout
from .lecture_numbers import (
    cell_path,
    gru_z_path,
    rounded,
    shared_weights,
    states_start_at_zero,
    two_contributions,
    what_the_loss_is,
)
from .lecture_stages import pytorch_name, stages
from .lecture_sums import sums_over_the_row, weight_boxes
from .node_details import values_of
from .notation import Notation, resolve
from .picture import PER_STEP, is_sum_of_losses, mean_over
from .scripts import markup_runs, svg_markup
from .slide import html_of
from .stage_window import PAD, chain_fits, held_nodes, named_box, named_nodes, steps_across
from .stepwise import stepwise_graph
from .svg import picture_to_svg
from .value_names import arrows_in_notation

# the page's figure at 1,920 × 1,080, in px: the window less the page's padding (0.9 em a side) and the figure's border
# and padding (lecture.css). The sums' figure holds as many steps beside its Σ as that holds at 24 px (a slide's
# width, 1,880, held an 8-step row beside the Σ at 23.98 px on the page).
PAGE_FIGURE_PX = 1858


def panel_data(name: str, loss: Tensor, layer: Any, level: str, notation: Notation,
           tokens: list[str] | None = None) -> dict[str, Any]:
    """Everything one panel shows, as plain numbers and strings."""
    if not isinstance(loss, Tensor) or loss.grad_fn is None:
        raise TypeError(f"lecture: pass the loss, a Tensor computed by a recurrence (got {type(loss).__name__})")
    if loss.grad_fn.released:
        raise ValueError("lecture: loss.backward() has freed the values this page shows; call viz.lecture(loss) "
                         "before loss.backward() (or call loss.backward(retain_graph=True))")
    (stepwise,) = stepwise_graph((loss,))
    if stepwise is not loss:  # a layer run as one node (fast/): its steps, as the plain path records them
        loss, layer = stepwise, None  # (the layer's own states are values, not tensors of this graph)
    found = analysis.find_recurrence(loss, layer)
    hidden, steps = found.hidden_states, found.steps
    hidden_norms = [float(n) for n in analysis.hidden_state_gradient_norms(loss, hidden)]
    from_above, from_right = two_contributions(loss, hidden)
    local_jacobians = [analysis.jacobians(hidden[t + 1], [hidden[t]])[0] for t in range(steps - 1)]
    local = [_spectral(jacobian) for jacobian in local_jacobians] + [None]
    product = [float(v) for v in analysis.jacobian_norms(hidden[-1], hidden)]
    cell = cell_path(loss, found)
    gate_path = gru_z_path(loss, found) if found.kind == "gru" else None
    notation = notation.for_cell(found.kind)  # a GRU's page keeps both biases, as its figure does
    weights = shared_weights(loss, found, layer, notation)
    numbers = {"hidden_norms": hidden_norms, "from_above": from_above, "from_right": from_right,
               "local_jacobian": local, "product": product,
               "h_path": h_to_h_products(local_jacobians) if found.kind == "lstm" else None,  # (RNN, GRU: product)
               "cell": cell, "z_path": gate_path,
               "losses": None if found.step_losses is None else [float(v) for v in found.step_losses],
               "loss_is": what_the_loss_is(loss, found, from_above)}

    # no shapes, as on a slide: a tuple such as (1, 8) under h₀ is code; a node's tooltip gives its shape
    unrolled = build_picture((loss,), level=level, show_grads=True, params="hide" if level != "op" else "once",
                             notation=notation, tokens=tokens, show_shapes=False)
    unrolled.slide = True  # laid out as on a slide (every step kept)
    # the same figure with its values in the library's names (h₃, J₃, unmarked): what the arrows' rule reads
    # (gradient_labels.py), before the notation writes them and marks each chain's, as in a BPTT figure
    library_named = build_picture((loss,), level=level, params="hide" if level != "op" else "once",
                                  show_shapes=False, values_named=False)
    # the rolled network in a slide's spacing on the page too: a handful of small boxes, x_t to J, that the
    # figure's box holds whole at the page's text size only laid out compactly (free size: 17 px at 1,920 wide)
    rolled = build_picture((loss,), rolled=True, params="hide", notation=notation, show_shapes=False, slide=True)
    rolled_slide = replace(rolled, notes=list(rolled.notes))  # (the export sets its notes apart)
    labels, placed = labelled_layout(unrolled)
    rolled_labels, rolled_placed = labelled_layout(rolled)
    cells, crossing, above = step_columns(unrolled, steps)
    lit, carried = backward_arrows(unrolled, cells, crossing, above, notation, library_named)
    ratio = hidden_norms[0] / hidden_norms[-1] if hidden_norms[-1] > 0 else None
    unrolled_columns = named_columns(unrolled, cells, above)
    numbers["starts_at_zero"] = states_start_at_zero(unrolled, unrolled_columns["initial"])  # (the sums say h₀ = 0)
    stepped = stages(found, numbers, weights, notation)
    slide = _slide_figures(unrolled, (cells, crossing, above), rolled_slide, slug(name))
    # the rolled stage's text names the network (its cell, the state looping back, what the cell reads and
    # feeds): every node of the rolled figure (a window around the cell alone cut J_t and J off above it)
    ends = unrolled_columns["initial"] + unrolled_columns["loss"]  # (the row's: h₀ and c₀, J where J = Σ h_T)
    lit = {str(t): edges for t, edges in lit.items()}  # the backward stage's arrows, from the right and above
    carried = {str(k): lines for k, lines in carried.items()}  # each lit arrow's label: what it carries
    computed = {str(t): indices for t, indices in computed_at(unrolled, steps).items()}  # (dim until then)
    carried_rows = lit_label_rows(carried)  # (its lines' spacing: one rule for the page and the export)
    # (the slide's figure numbers its nodes and edges alike)
    slide.update(lit=lit, carried=carried, carried_rows=carried_rows, computed=computed,
                 initial=unrolled_columns["initial"], loss=unrolled_columns["loss"])  # (what a window leaves out)
    slide["svg"] = with_room_for_lit_labels(slide["svg"], carried)
    across, row_ends = steps_across(slide["svg"], cells, ends)
    svg = with_room_for_lit_labels(picture_to_svg(unrolled, placed, labels, "@PREFIX@-" + slug(name)), carried)
    columns = {"rolled": {"nodes": list(range(len(rolled.nodes)))},
               "unrolled": {**unrolled_columns, "across": across, "row_ends": row_ends,
                            "chain": chain_fits(svg, cells)}}  # (the page's figure, whose text it would shrink)
    rolled_svg = picture_to_svg(rolled, rolled_placed, rolled_labels, "@PREFIX@-" + slug(name) + "-rolled")
    summed = _sums_figure(loss, unrolled, level, notation, tokens, weights, slug(name))  # (None at op level)
    if summed is not None:  # the sums' figure: as many steps as the page's figure holds beside the Σ, at 24 px
        sums = sorted({weight["sum_node"] for weight in weights if weight["sum_node"] is not None})
        summed_across, summed_ends = steps_across(summed, cells, ends, PAGE_FIGURE_PX, beside=sums)
        columns["summed"] = {**columns["unrolled"], "across": summed_across, "row_ends": summed_ends}
        slide["sums_svg"] = summed.replace("@PREFIX@-", "slide-")  # (an exported sums stage draws it, as the page)
    figures = {"rolled": rolled_svg, "unrolled": svg, "summed": summed}
    for stage in stepped:  # what its text names, which its window shows (the rule: stage_window.py), and the box
        view = stage["view"] = view_of(stage, summed is not None)  # that holds it on the figure the stage shows
        stage["named"] = named_nodes(stage, columns[view])  # (lecture_fit.js reads it)
        stage["held"] = held_nodes(stage, columns[view], stage["named"])  # (and the chain)
        stage["named_box"] = named_box(figures[view], stage["held"])
        if stage["held"] != stage["named"]:  # the chain held: what is named alone, where the chain would be small
            stage["near_box"] = named_box(figures[view], _near(stage, columns[view], unrolled.edges))
        if view == "summed":
            _hold_the_chosen_sum(stage, summed, weights, svg, columns["unrolled"])
    return {
        "name": name, "kind": found.kind, "steps": steps, "units": int(hidden[0].shape[-1]),
        "svg": svg, "rolled_svg": rolled_svg, "sums_svg": summed,
        "cells": {str(t): indices for t, indices in cells.items()},
        "computed": computed,
        "crossing": {str(t): edges for t, edges in crossing.items()},
        "lit": lit, "carried": carried, "carried_rows": carried_rows,
        "above": {str(t): indices for t, indices in above.items()},  # J_t, which a backward stage's text names
        "hidden_norms": hidden_norms, "loss_is": numbers["loss_is"],
        "ratio": ratio if found.step_losses is None else None,  # with a J_t at every step it measures no vanishing
        "stages": stepped,
        "weights": [{**weight, **_weight_words(weight, notation)} for weight in weights],
        "nodes": [_node_info(node, hidden, hidden_norms, notation) for node in unrolled.nodes],
        "slide": slide,
    }


def _near(stage: dict[str, Any], columns: dict[str, Any], edges: list[tuple[int, int, str]]) -> list[int]:
    """What the page's window holds where what it would hold sets the figure's text under the page's (1,280 × 720):
    what the stage names; unrolled, its two steps from x_t up to their heads, as a 4-step language model's page shows
    them (an 8-step one's, holding the cells alone, cut the rows round them at its edge: a bare row of cells)."""
    if stage["phase"] != "unrolled":
        return stage["named"]
    two = {side: {i for t in (1, 2) for i in columns.get(side, {}).get(t, [])} for side in ("cells", "above", "below")}
    heads = {head for tail, head, _ in edges if tail in two["cells"] and head in two["above"]}  # (a cell feeds it)
    return sorted(set(stage["named"]) | heads | two["below"])


def view_of(stage: dict[str, Any], sums_drawn: bool = True) -> str:
    """Which of a panel's figures a stage shows: the rolled one, the sums' ("summed": the unrolled figure with each
    row's Σ of its shared weights, where the page draws one) or the unrolled one."""
    if stage["phase"] == "rolled":
        return "rolled"
    return "summed" if stage["phase"] == "sums" and sums_drawn else "unrolled"


def _hold_the_chosen_sum(stage: dict[str, Any], figure: str, weights: list[dict[str, Any]], unrolled_svg: str,
                         unrolled_columns: dict[str, Any]) -> None:
    """The sums stage on its figure: its window holds the chosen weight's Σ beside every step, the other rows' Σ not
    drawn — each weight's box in ``weight_boxes`` (lecture_fit.js takes the chosen one's; the first weight's when
    the page opens, and it is held). ``row_box``: the row of cells it names on the unrolled figure, which the
    unrolled stages' one layout holds as well (lecture_fit.js, ``namedExtent``)."""
    own = [[weight["sum_node"]] if weight["sum_node"] is not None else [] for weight in weights]
    stage["weight_boxes"], stage["weight_near"] = weight_boxes(figure, stage["held"], own)  # (with J_t, without)
    stage["held"] = sorted(stage["held"] + own[0])
    stage["named"] = sorted(stage["named"] + own[0])  # (an exported stage holds what is named: its Σ beside the
    # steps a slide's width holds at 24 px, where the page holds every step)
    stage["named_box"] = stage["weight_boxes"][0]
    stage.pop("near_box", None)  # (every drop held, at whatever size that needs: no window onto some of them)
    stage["row_box"] = named_box(unrolled_svg, named_nodes(stage, unrolled_columns))


def _sums_figure(loss: Tensor, unrolled: Picture, level: str, notation: Notation, tokens: list[str] | None,
                 weights: list[dict[str, Any]], name: str) -> str | None:
    """The sums stage's figure: the page's unrolled figure with the BPTT figure's Σ of each row's shared weights, one
    arrow from every step into it (``build_picture(weight_sums=True)``, as the deck's and the docs' figures draw it),
    as SVG, its nodes and edges numbered as the unrolled figure's, the Σ nodes after them. Each weight in
    ``weights`` is given the Σ node that adds its terms (``sum_node``) and the line that names it (``sum_line``).
    None at op level, whose figure draws each weight once, with an arrow into every step."""
    if level == "op" or not weights:
        return None
    picture = build_picture((loss,), level=level, show_grads=True, params="hide", notation=notation, tokens=tokens,
                            show_shapes=False, weight_sums=True)
    picture.slide = True
    count = len(unrolled.nodes)
    if [node.label for node in picture.nodes[:count]] != [node.label for node in unrolled.nodes] or \
            picture.edges[:len(unrolled.edges)] != unrolled.edges:
        raise ValueError("lecture: the sums' figure numbers its nodes and edges otherwise than the unrolled figure")
    sums = list(range(count, len(picture.nodes)))
    for weight in weights:  # its line, Σₜ ∂J/∂W_hh|₍ₜ₎, in the notation (the lecture's one b₁ for both its parts)
        term = re.compile(rf"/∂{re.escape(weight['symbol'])}\|")
        weight["sum_node"], weight["sum_line"] = next(
            ((i, k) for i in sums for k, line in enumerate(picture.nodes[i].label.split("\n")) if term.search(line)),
            (None, None))
    picture.notes = []  # (the page's figure writes no notes: the stage's text says what Σ is)
    labels, placed = labelled_layout(picture)
    sums_over_the_row(picture, placed, sums)  # (beside the row, the Σ cost it the width that holds 24 px)
    return picture_to_svg(picture, placed, labels, f"@PREFIX@-{name}-sums")


def h_to_h_products(local_jacobians: list[numpy.ndarray]) -> list[float]:
    """‖∂h_T/∂h_{T−1} ⋯ ∂h_{t+1}/∂h_t‖ for every t (1 at t = T): the product of the local Jacobians
    the page shows, the gradient along h alone. For a tanh RNN and a GRU, whose state is h, it is
    the whole ∂h_T/∂h_t; an LSTM's state is (h, c), and its ∂h_T/∂h_t also runs along c, which the
    h→h product leaves out — the difference is what the cell state keeps.

    >>> h_to_h_products([numpy.diag([0.5, 0.25]), numpy.diag([0.5, 0.5])])
    [0.25, 0.5, 1.0]
    """
    running = numpy.eye(len(local_jacobians[-1])) if local_jacobians else numpy.eye(1)
    products = [1.0]
    for jacobian in reversed(local_jacobians):  # ∂h_T/∂h_t = (∂h_T/∂h_{t+1}) (∂h_{t+1}/∂h_t)
        running = running @ jacobian
        products.append(_spectral(running))
    return products[::-1]


def _spectral(matrix: numpy.ndarray) -> float:
    return float(numpy.linalg.norm(matrix, ord=2))


Columns = dict[int, list[int]]  # step t → node (or edge) indices


def step_columns(picture: Picture, steps: int) -> tuple[Columns, Columns, Columns]:
    """(step t → its cells' node indices in the stepped row, step t → the edges the gradient
    crosses to reach t, step t → the nodes of its own loss above the cells: the head and J_t, where each
    step has one): what the page (and an exported stage) paints and shows at each stage."""
    row = _first_row(picture)
    cells: dict[int, list[int]] = {}
    above: dict[int, list[int]] = {}
    for index, node in enumerate(picture.nodes):
        if node.step is not None and node.kind in ("op", "group") and node.row == row:
            cells.setdefault(node.step, []).append(index)

    crossing: dict[int, list[int]] = {}
    node_step = dict.fromkeys(range(len(picture.nodes)))
    for t, indices in cells.items():
        node_step.update(dict.fromkeys(indices, t))
    outputs = {i for i, n in enumerate(picture.nodes) if n.kind == "output"}
    for k, (tail, head, _) in enumerate(picture.edges):
        if node_step[tail] is not None and (node_step[head] == node_step[tail] + 1 or
                                          (head in outputs and node_step[tail] == steps)):
            crossing.setdefault(node_step[tail], []).append(k)
    per_step = {i for i, n in enumerate(picture.nodes) if n.row[:1] == (PER_STEP,) and n.kind in ("op", "group")}
    fed = {i: t for t, indices in cells.items() for i in indices}  # what step t's cell feeds in its own column
    for tail, head, _ in picture.edges:  # (the edges run from the inputs up: each one after what feeds it)
        if tail in fed and head in per_step and picture.nodes[head].step == fed[tail] and head not in fed:
            fed[head] = fed[tail]
            above.setdefault(fed[tail], []).append(head)
    return cells, crossing, above


def computed_at(picture: Picture, steps: int) -> Columns:
    """Step t → every node the forward pass computes at step t: its cells, what they read (e_t = embedding),
    its head and J_t; the loss J (and its sum over the steps) at the last step. A forward stage at step t dims
    those of every later step (the inputs x_t and h₀ are given, not computed: never dimmed) — its cells alone
    dimmed, the later steps' J_t looked computed.

    >>> import tinygrad_rnn as tr
    >>> from tinygrad_rnn.viz.graph import build_picture
    >>> loss = tr.nn.RNN(2, 3)(tr.randn(3, 1, 2))[0][-1].sum()
    >>> picture = build_picture((loss,), level="cell")
    >>> [[picture.nodes[i].label.split("\\n")[0] for i in computed_at(picture, 3)[t]] for t in (1, 3)]
    [['RNN cell'], ['J', 'RNN cell']]
    """
    at: Columns = {}
    for index, node in enumerate(picture.nodes):
        if node.kind in ("op", "group", "output"):
            at.setdefault(node.step if node.step is not None else steps, []).append(index)
    return at


def backward_arrows(picture: Picture, cells: Columns, crossing: Columns, above: Columns,
                    notation: Notation | None = None, library_named: Picture | None = None
                    ) -> tuple[Columns, dict[int, list[str]]]:
    """(step t → the edges a backward stage at t lights: those the gradient crosses from step t+1 and, where
    step t has its own loss, those of its loss column, down which ∂J_t/∂h_t arrives "from above"; edge k → the
    label it wears lit, as SVG markup, in its lines (:func:`.geometry.label_lines`; the page writes them on one
    where that fits the gap): what the arrow carries back, (∂h₄/∂h₃)ᵀ ∂J/∂h₄, (1/4) ∂J₄/∂h₄, or ∂J/∂h₂ where
    h₂'s one reader is cell 3 — in the ``notation`` (CMU's ∂L/∂h₂). Lit with its forward label, h₃, it said the
    gradient was the state. Only an edge that has a label gets one. ``library_named``: ``picture`` with its values
    in the library's names (h₃, not CS224N's h⁽³⁾ or a layer's h₃⁽¹⁾: ``build_picture(values_named=False)``), which
    the rule reads; None where ``picture`` is so named.

    >>> import tinygrad_rnn as tr
    >>> from tinygrad_rnn.viz.graph import build_picture
    >>> loss = tr.nn.RNN(2, 3)(tr.randn(3, 1, 2))[0][-1].sum()
    >>> picture = build_picture((loss,), level="cell", show_shapes=False)
    >>> lit, carried = backward_arrows(picture, *step_columns(picture, 3))
    >>> lit[2] == step_columns(picture, 3)[1][2], [line.replace(' xml:space="preserve"', "")[:27]
    ...                                             for line in carried[lit[2][0]]]
    (True, ['∂J/∂h<tspan dy="0.25em" fon'])
    """
    nodes, edges = picture.nodes, picture.edges
    named = library_named or picture
    if [edge[:2] for edge in named.edges] != [edge[:2] for edge in edges]:
        raise ValueError("lecture: the figure in the library's names has other edges than the page's; "
                         "build both from the same loss, level and params")
    means = [i for i, node in enumerate(nodes) if is_sum_of_losses(node)]  # J = (1/T) Σₜ Jₜ
    losses = [tail for tail, head, _ in edges if head in means]
    counts = [mean_over(nodes[i]) for i in means if mean_over(nodes[i])]
    # as a slide's BPTT figure of the same loss labels each arrow (one rule: gradient_labels.arrow_labels)
    said = arrow_labels(named, losses, counts[0] if counts else None, by_next_step=True)
    said = arrows_in_notation(named, said, notation or resolve(None))  # written as the figures write them
    said = {edge: said[library_edge] for edge, library_edge in zip(edges, named.edges)}
    lit: Columns = {}
    for t in cells:
        column = set(cells[t]) | set(above.get(t, []))
        lit[t] = sorted(set(crossing.get(t, [])) | {k for k, (tail, head, _) in enumerate(edges)
                                                     if tail in column and head in above.get(t, [])})
    carried = {k: [svg_markup(line) for line in label_lines(said[edges[k]])]
               for k in sorted({k for ks in lit.values() for k in ks}) if edges[k][2] and said.get(edges[k])}
    return lit, carried


def lit_label_rows(carried: dict[Any, list[str]]) -> dict[Any, list[float]]:
    """Edge k → how far each line of its lit label (``carried``: its lines, SVG markup) lies under the first, in
    lines (1.1 of its font each): one apart, 1.2 where a subscript lies over a superscript of the line under it
    (:func:`.geometry.lines_apart`, the rule every figure's labels follow). Computed once, here: the page
    (lecture_lit.js, ``tinygradRnnCarries``) and an exported stage (export_paint.py, ``_carries``) both set a stacked
    label's lines by it.

    >>> lit_label_rows({0: [svg_markup("(1/3)Σₜ₌₂³"), svg_markup("∂J⁽ᵗ⁾/∂h⁽¹⁾")],
    ...                 1: [svg_markup("xₜ + y + z + w"), svg_markup("a + b + c + dᵀ")], 2: [svg_markup("h₁")]})
    {0: [0.0, 1.2], 1: [0.0, 1.0], 2: [0.0]}
    """
    return {k: [offset / LABEL_LINE for offset in lines_apart([markup_runs(line) for line in lines])]
            for k, lines in carried.items()}


def named_columns(picture: Picture, cells: Columns, above: Columns) -> dict[str, Any]:
    """What :func:`.stage_window.named_nodes` picks from: the stepped cells and each step's loss column,
    h₀ and c₀ (the inputs that feed step 1's cells), and J with what forms it from the J_t (the nodes
    of no step that feed it)."""
    nodes = picture.nodes
    first = set(cells.get(1, []))
    outputs = [i for i, n in enumerate(nodes) if n.kind == "output"]
    return {"cells": cells, "above": above, "below": _inputs_below(picture, cells),
            "loss": outputs + [tail for tail, head, _ in picture.edges if head in outputs and nodes[tail].step is None],
            "initial": sorted({tail for tail, head, _ in picture.edges
                               if head in first and nodes[tail].kind == "input" and nodes[tail].step is None})}


def _inputs_below(picture: Picture, cells: Columns) -> Columns:
    """Step t → what its cells read from below in their own step: x_t, and e_t = E[x_t] (what a forward
    stage's text names), found by walking back from the cells along their own step's edges."""
    feeding: dict[int, list[int]] = {}
    for tail, head, _ in picture.edges:
        feeding.setdefault(head, []).append(tail)
    in_cells = {i for indices in cells.values() for i in indices}
    below: Columns = {}
    for t, indices in cells.items():
        stack = list(indices)
        while stack:
            for tail in feeding.get(stack.pop(), []):
                if picture.nodes[tail].step == t and tail not in in_cells and tail not in below.get(t, []):
                    below.setdefault(t, []).append(tail)
                    stack.append(tail)
    return below


def with_room_for_lit_labels(svg: str, carried: dict[str, list[str]]) -> str:
    """The page's figure with its viewBox grown, where it must be, to hold each lit arrow's label that stands over
    (or under) the arrow's two nodes: a label wider than the gap its horizontal arrow crosses stands clear of them
    (lecture_lit.js: ∂J/∂h₅ between two cells a slide's spacing apart ran under both), and over the top
    row of cells it stood above the figure, cut off. ``carried``: edge k → its lines (SVG markup), as the page
    writes them; their widths are measured as their plain text (a script as wide as its base: room to spare).

    >>> figure = ('<svg viewBox="0.0 0 100.0 40.0" width="100" height="40">'
    ...           '<g class="node" data-index="0"><rect x="0" y="10" width="40" height="20"/></g>'
    ...           '<g class="node" data-index="1"><rect x="60" y="10" width="40" height="20"/></g>'
    ...           '<path id="p-e0" class="edge" data-tail="1" data-head="0" d="M60.0,20.0 L46.0,20.0"/>'
    ...           '<text class="edge-label" x="53.0" y="16.0" font-size="9">h</text></svg>')
    >>> with_room_for_lit_labels(figure, {"0": ["∂J/∂h"]})[:60]  # over the cells: room from 10.6 above the top
    '<svg viewBox="0.0 -10.6 100.0 50.6" width="100" height="51">'
    """
    box = re.search(r'viewBox="([-\d.]+) ([-\d.]+) ([\d.]+) ([\d.]+)" width="([\d.]+)" height="([\d.]+)"', svg)
    if box is None:
        return svg
    left, top, width, height = (float(v) for v in box.groups()[:4])
    low, high = top, top + height
    for k, lines in carried.items():
        found = re.search(rf'id="[^"]*-e{k}" class="edge[^"]*" data-tail="(\d+)" data-head="(\d+)" d="([^"]+)"[^>]*>'
                          r'\s*<text class="edge-label" x="[-\d.]+" y="([-\d.]+)" font-size="([\d.]+)"', svg)
        if found is None:
            continue
        points = route_points(found.group(3))
        (x0, y0), (x1, y1) = points[0], points[-1]
        ends = [named_box(svg, [int(found.group(i))]) for i in (1, 2)]
        if abs(x1 - x0) < abs(y1 - y0) or None in ends:
            continue
        size, plain = float(found.group(5)), [re.sub(r"<[^>]+>", "", line) for line in lines]
        shown = plain if len(plain) > 1 and drawn_width([" ".join(plain)], size) > abs(x1 - x0) - 8 else \
            [" ".join(plain)]
        half, middle = drawn_width(shown, size) / 2, (x0 + x1) / 2
        if all(end[2] <= middle - half or end[0] >= middle + half for end in ends):  # (named_box: padded)
            continue  # along the arrow, between its nodes
        tall = len(shown) * 1.1 * size + 0.3 * size + PAD  # (and the pad a window keeps around a label)
        if float(found.group(4)) > max(y0, y1):  # (under the arrow going forward: under the nodes)
            high = max(high, max(end[3] for end in ends) + tall)
        else:
            low = min(low, min(end[1] for end in ends) - tall)
    if (low, high) == (top, top + height):
        return svg
    grown = f'viewBox="{left:.1f} {low:.1f} {width:.1f} {high - low:.1f}" width="{box.group(5)}" ' \
            f'height="{high - low:.0f}"'
    return svg[:box.start()] + grown + svg[box.end():]


def _slide_figures(page_unrolled: Picture, columns: tuple[dict, dict, dict], rolled: Picture,
                   slug: str) -> dict[str, Any]:
    """The panel's figures as a slide draws them, for :mod:`.export`: no shapes, slide spacing, the
    notes apart (the slide writes them at its own size) and every step kept, however many (the
    exported stage shows a window around its step where the whole would be too small to read). The
    unrolled figure is the page's own, laid out again as on a slide (built with slide=True it would
    elide steps past 8); its step columns are the page's."""
    unrolled = replace(page_unrolled, slide=True, notes=list(page_unrolled.notes))
    cells, crossing, above = columns
    figures: dict[str, Any] = {"id": f"slide-{slug}", "cells": {str(t): v for t, v in cells.items()},
                               "crossing": {str(t): v for t, v in crossing.items()},
                               "above": {str(t): v for t, v in above.items()}}
    for key, picture, prefix in (("svg", unrolled, f"slide-{slug}"), ("rolled_svg", rolled, f"slide-{slug}-rolled")):
        figures[key.replace("svg", "notes")], picture.notes = picture.notes, []
        labels, placed = labelled_layout(picture)
        figures[key] = picture_to_svg(picture, placed, labels, prefix)
    return figures


def _first_row(picture: Picture) -> tuple[str, ...]:
    """Layer 0's forward row: the row the stepper walks."""
    rows = [n.row for n in picture.nodes if n.step is not None and n.kind in ("op", "group")]
    forward = [r for r in rows if "reverse" not in r and ("layer 0" in r or not any("layer" in p for p in r))]
    return (forward or rows or [()])[0]


def _weight_words(weight: dict[str, Any], notation: Notation) -> dict[str, str]:
    """What the page writes about a shared weight, as HTML in the notation: its name (the selector's
    button), its sum, the bars' caption and whose .grad the sum equals."""
    name, whose = weight["name"].partition(" (")[0], weight["whose"]  # b₁′, PyTorch's b_ih (W (W_ih): W)
    owner = whose or name
    said = f" (PyTorch's {pytorch_name(owner)})" if whose else ""
    part = "column" if notation.words_as_columns else "row"  # (CS224N's E is d × |V|: a word is a column)
    row = f"; step t's term: ∂J/∂e_t added into the {part} of {name} that x_t picks" if weight["lookup"] else ""
    return {"html": html_of(weight["name"]),
            "sum_html": html_of(notation.in_text(f"∂J/∂{name} = Σ_t ∂J/∂{name}|_(t){said}")),
            "bars_html": html_of(notation.in_text(f"t →   (bars: ‖∂J/∂{name}|_(t)‖, log axis{row})")),
            "grad_html": html_of(f"‖{owner}.grad‖") if not whose else f"PyTorch's ‖{pytorch_name(owner)}.grad‖"}


def _node_info(node: Any, hidden: list[Tensor], hidden_norms: list[float], notation: Notation) -> dict[str, Any]:
    """What hovering a node shows (HTML), each number named: the state a cell passes on and
    ‖∂J/∂h_t‖, or an op's output and ‖∂J/∂(its output)‖."""
    name = node.label.split("\n")[0]
    op = getattr(node.key, "name", name) if node.kind == "op" else {"group": "a cell: its ops as one node"}.get(
        node.kind, node.kind)
    shape, values, quantity = None, None, "its output"
    tensors = node.tensors
    if node.kind == "group" and node.step is not None and node.step <= len(hidden):
        tensors, quantity = [hidden[node.step - 1]], f"h_{node.step}, the state it passes on"
    gradient_of = notation.in_text(f"‖∂J/∂{quantity.split(',')[0] if quantity != 'its output' else 'its output'}‖")
    for tensor in tensors:
        shape = list(tensor.shape)
        array = values_of(tensor, {})
        if array is not None:
            values = _summary(array)
            break
    gradient = node.gradient_norm
    if node.kind == "group" and node.step is not None and node.step <= len(hidden_norms):
        gradient = hidden_norms[node.step - 1]
    return {"name": html_of(name), "op": op, "scope": "/".join(node.scope), "shape": shape, "values": values,
            "quantity": html_of(notation.in_text(quantity)), "gradient_of": html_of(gradient_of),
            "grad": None if gradient is None else rounded(gradient)}


def _summary(array: numpy.ndarray) -> dict[str, Any]:
    array = numpy.asarray(array, dtype=numpy.float64)
    summary = {"min": rounded(array.min()), "max": rounded(array.max()), "mean": rounded(array.mean())}
    if array.size <= 12:
        summary["values"] = [rounded(v) for v in array.reshape(-1)]
    return summary


def slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower())
