"""An interactive lecture page: the whole lecture on backpropagation through time, in the browser.

``lecture(loss)`` writes one self-contained HTML page that runs the lecture's order on one slider:
the network **rolled** (one cell and its loop), **unrolled** (the cell slides out into one copy per
step), the **forward** pass (step t lights cell t; the cell's equation with its numbers), the
**backward** pass (the gradient walks back from J, each cell coloured by ‖∂J/∂h_t‖, the equation
of ∂J/∂h_t with both its contributions, the local Jacobian and the running product that is the
vanishing gradient), and the **sums**: every shared weight's gradient built term by term, equal at
the end to what ``.grad`` holds after backward. ``connectivity(model, vocabulary, text)`` shows
how strongly each earlier character moves each prediction of a trained language model.

Every number on the page is computed here, by the engine and :mod:`tinygrad_rnn.analysis`, and
embedded as JSON; the equations are written here too, as MathML (which browsers draw natively).
The browser only shows them, fitted to the window (a projector's, 1,280 × 720 to 3,840 × 2,160,
without scrolling; lecture_fit.js). The page loads nothing (no network, no fonts) and works from
``file://``; keyboard: ← → step, Home/End, space plays, T switches the theme, Z shows the whole
figure; ``#stage=12`` in the address opens stage 12.
"""

from __future__ import annotations

import itertools
import json
import math
import pathlib
from dataclasses import dataclass, field
from typing import Any

import numpy

from .. import analysis
from ..engine import grad, grad_contributions
from ..function import step_of
from ..tensor import Tensor
from .graph import Picture, _values_of, build_picture
from .layout import labelled_layout
from .mathml import _escape, _fenced, _math, _msub, _msup, _norm_of, _number, _number_plain, _op, _row, _symbol, _text
from .notation import Notation, in_notation, resolve
from .numbers import digits_to_tell_apart, slide_number
from .stepwise import stepwise_graph
from .svg import picture_to_svg

ASSETS = pathlib.Path(__file__).resolve().parent
_PAGE_NUMBERS = itertools.count(1)
WEIGHT_ORDER = ("W_hh", "W_ih", "b_hh", "b_ih")  # then the head's, under the names it carries
LEAST_DECADES = 2  # the colour scale of ‖∂J/∂h_t‖ spans at least this many powers of ten
SHOWN_UNITS = 4  # vectors of at most this many units are printed whole; longer ones as their norm


@dataclass
class LecturePage:
    """One page: ``html`` (a whole document), ``data`` (every number it shows), ``save(path)``;
    in Jupyter it displays inline (several pages per notebook never share an id). ``slides``: each
    panel's figures as a slide draws them, which ``export(directory)`` paints stage by stage."""

    html: str
    fragment: str
    data: dict[str, Any]
    slides: list[dict[str, Any]] = field(default_factory=list)  # each panel's figures as a slide draws them

    def save(self, path: str | pathlib.Path) -> pathlib.Path:
        path = pathlib.Path(path)
        path.write_text(self.html, encoding="utf-8")
        return path

    def export(self, directory: str | pathlib.Path) -> Any:
        """Every stage as a slide (SVG), index.html and slides.pdf: see :mod:`tinygrad_rnn.viz.export`."""
        from .export import export_page  # export reads this page's data: imported when asked for

        return export_page(self, directory)

    def _repr_html_(self) -> str:
        return self.fragment

    def __repr__(self) -> str:
        panels = ", ".join(f"{p['name']} ({p['steps']} steps)" for p in self.data["panels"])
        return f"<LecturePage {self.data['title']!r}: {panels or 'connectivity'}; .save(path) writes it>"


def lecture(loss: Tensor, layer: Any = None, *, level: str = "cell", title: str = "", name: str = "",
            compare: dict[str, Any] | None = None, notation: str | dict | Notation | None = None,
            tokens: list[str] | None = None) -> LecturePage:
    """The lecture page for ``loss``: rolled, unrolled, forward, backward and the sums, on one
    slider. The recurrence is found in the loss's graph — a layer (RNN, LSTM, GRU) or a loop of
    cells — and its first layer's forward direction is stepped through; ``layer`` may be given
    (the one whose last call computed the loss). A language model's loss (a cross-entropy with
    one J_t per step) shows each J_t and both contributions to ∂J/∂h_t. ``compare`` adds panels
    — {name: loss, or (loss, layer)} — with a switcher, on one colour scale. Call it before
    ``loss.backward()``: it needs the values backward frees. ``notation``: the lecture's names, as
    for :func:`tinygrad_rnn.viz.to_dot` — in the figures, the equations and the weight selector;
    ``tokens``: the words under x_t (and each J_t's target) in the unrolled figure.

    >>> import tinygrad_rnn as tr
    >>> rnn = tr.nn.RNN(2, 3)
    >>> output, _ = rnn(tr.randn(4, 1, 2))
    >>> page = lecture(output[-1].sum())
    >>> page.data["panels"][0]["steps"], [s["phase"] for s in page.data["panels"][0]["stages"]][:3]
    (4, ['rolled', 'unrolled', 'forward'])
    """
    cases = {name or _kind_name(loss, layer): (loss, layer)}
    for case_name, case in (compare or {}).items():
        cases[case_name] = case if isinstance(case, tuple) else (case, None)
    notation = resolve(notation)
    panels = [_panel(case_name, case_loss, case_layer, level, notation, tokens)
              for case_name, (case_loss, case_layer) in cases.items()]
    slides = [panel.pop("slide") for panel in panels]  # for export only: the page's script never reads them
    norms = [n for panel in panels for n in panel["hidden_norms"] if n > 0]
    scale = _colour_scale(norms)
    title = title or "Backpropagation through time: " + " vs ".join(cases)
    return _page({"title": title, "panels": panels, "scale": scale, "text": None}, slides)


def connectivity(model: Any, vocabulary: Any, text: str, *, title: str = "") -> LecturePage:
    """The page for a trained character model: hover (or focus) a character to colour every
    earlier one by ‖∂ log p(that character) / ∂e_s‖, the gradient of the prediction with respect
    to the input embedding at s (:func:`tinygrad_rnn.analysis.input_influence`)."""
    ids = vocabulary.encode(text)
    influence = analysis.input_influence(model, ids)
    positive = influence[influence > 0]
    scale = [float(positive.min()), float(positive.max())] if positive.size else [1e-6, 1.0]
    data = {"title": title or "Which earlier characters move each prediction", "panels": [], "scale": scale,
            "text": {"characters": list(text), "influence": [[_round(v) for v in row] for row in influence]}}
    return _page(data)


def _kind_name(loss: Tensor, layer: Any) -> str:
    if layer is not None:
        return type(layer).__name__
    return {"rnn": "tanh RNN", "lstm": "LSTM", "gru": "GRU"}[analysis.find_recurrence(loss).kind]


def _colour_scale(norms: list[float]) -> list[float]:
    """[low, high] of the colours of ‖∂J/∂h_t‖: the norms' range, widened about its middle (on the
    log axis) to at least LEAST_DECADES decades. Stretched over its own range, a 30% difference
    would run from purple to yellow and read as a vanished gradient; on two decades it is a shade.

    >>> [f"{v:.3g}" for v in _colour_scale([0.11, 0.16])], _colour_scale([1e-5, 1.0])
    (['0.0133', '1.33'], [1e-05, 1.0])
    """
    if not norms:
        return [1e-6, 1.0]
    low, high = min(norms), max(norms)
    widen = 10 ** max(0.0, (LEAST_DECADES - math.log10(high / low)) / 2)  # on each side
    return [low / widen, high * widen]


# --- one panel: every number it shows ------------------------------------------------------------

def _panel(name: str, loss: Tensor, layer: Any, level: str, notation: Notation,
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
    from_above, from_right = _two_contributions(loss, hidden)
    local = [float(analysis.jacobian_norms(hidden[t + 1], [hidden[t]])[0]) for t in range(steps - 1)] + [None]
    product = [float(v) for v in analysis.jacobian_norms(hidden[-1], hidden)]
    cell = _cell_path(loss, found)
    gate_path = _gru_z_path(loss, found) if found.kind == "gru" else None
    weights = _weights(loss, found, layer, notation)
    numbers = {"hidden_norms": hidden_norms, "from_above": from_above, "from_right": from_right,
               "local_jacobian": local, "product": product, "cell": cell, "z_path": gate_path,
               "losses": None if found.step_losses is None else [float(v) for v in found.step_losses],
               "loss_is": _what_the_loss_is(loss, found, from_above)}

    unrolled = build_picture((loss,), level=level, show_grads=True, params="hide" if level != "op" else "once",
                             notation=notation, tokens=tokens)
    rolled = build_picture((loss,), rolled=True, params="hide", notation=notation)
    _drop_empty_shapes(unrolled, rolled)
    labels, placed = labelled_layout(unrolled)
    rolled_labels, rolled_placed = labelled_layout(rolled)
    cells, crossing = _step_columns(unrolled, steps)
    ratio = hidden_norms[0] / hidden_norms[-1] if hidden_norms[-1] > 0 else None
    return {
        "name": name, "kind": found.kind, "steps": steps, "units": int(hidden[0].shape[-1]),
        "svg": picture_to_svg(unrolled, placed, labels, "@PREFIX@-" + _slug(name)),
        "rolled_svg": picture_to_svg(rolled, rolled_placed, rolled_labels, "@PREFIX@-" + _slug(name) + "-rolled"),
        "cells": {str(t): indices for t, indices in cells.items()},
        "crossing": {str(t): edges for t, edges in crossing.items()},
        "hidden_norms": hidden_norms, "loss_is": numbers["loss_is"],
        "ratio": ratio if found.step_losses is None else None,  # with a J_t at every step it measures no vanishing
        "weights": weights,
        "stages": _stages(found, numbers, weights, notation),
        "nodes": [_node_info(node, unrolled, hidden, hidden_norms) for node in unrolled.nodes],
        "slide": _slide_figures(loss, level, notation, tokens, steps, _slug(name)),
    }


def _step_columns(picture: Picture, steps: int) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    """(step t → its cells' node indices in the stepped row, step t → the edges the gradient
    crosses to reach t): what the page (and an exported stage) paints at each stage."""
    row = _first_row(picture)
    cells: dict[int, list[int]] = {}
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
    return cells, crossing


def _slide_figures(loss: Tensor, level: str, notation: Notation, tokens: list[str] | None, steps: int,
                   slug: str) -> dict[str, Any]:
    """The panel's figures as a slide draws them, for :mod:`.export`: no shapes, slide spacing, the
    notes apart (the slide writes them at its own size) and every step kept, however many (the
    exported stage shows a window around its step where the whole would be too small to read)."""
    unrolled = build_picture((loss,), level=level, show_grads=True, params="hide" if level != "op" else "once",
                             show_shapes=False, notation=notation, tokens=tokens)
    unrolled.slide = True  # laid out as on a slide; built without slide=True, which would elide steps past 8
    rolled = build_picture((loss,), rolled=True, params="hide", show_shapes=False, notation=notation, slide=True)
    cells, crossing = _step_columns(unrolled, steps)
    figures: dict[str, Any] = {"id": f"slide-{slug}", "cells": {str(t): v for t, v in cells.items()},
                               "crossing": {str(t): v for t, v in crossing.items()}}
    for key, picture, prefix in (("svg", unrolled, f"slide-{slug}"), ("rolled_svg", rolled, f"slide-{slug}-rolled")):
        figures[key.replace("svg", "notes")], picture.notes = picture.notes, []
        labels, placed = labelled_layout(picture)
        figures[key] = picture_to_svg(picture, placed, labels, prefix)
    return figures


def _norm(x: Any) -> float:
    if x is None:
        return 0.0
    array = x.numpy() if isinstance(x, Tensor) else x
    return float(numpy.linalg.norm(numpy.asarray(array, dtype=numpy.float64)))


def _split_by_step(loss: Tensor, tensor: Tensor, step: int) -> tuple[float, float]:
    """‖the part of ∂J/∂tensor that came through step ``step``‖ and ‖the rest‖."""
    through, rest = None, None
    for scope, gradient in grad_contributions(loss, tensor, allow_unused=True):  # unused: no part, 0 and 0
        array = numpy.asarray(gradient.numpy(), dtype=numpy.float64)
        if step_of(scope) == step:
            through = array if through is None else through + array
        else:
            rest = array if rest is None else rest + array
    return _norm(through), _norm(rest)


def _two_contributions(loss: Tensor, hidden: list[Tensor]) -> tuple[list[float], list[float]]:
    """For each h_t, ‖∂J_t/∂h_t‖ (what reads h_t at its own step and above it: the loss, the head,
    the layer above) and ‖(∂h_{t+1}/∂h_t)ᵀ ∂J/∂h_{t+1}‖ (what reaches it from the next step)."""
    above, right = [], []
    for t, state in enumerate(hidden, start=1):
        through_next, rest = _split_by_step(loss, state, t + 1)
        above.append(rest)
        right.append(through_next)
    return above, right


def _what_the_loss_is(loss: Tensor, found: analysis.Recurrence, from_above: list[float]) -> dict[str, Any]:
    """What J is, as the page says it: the mean of the steps' losses J_t (a language model), the
    sum of the last state's units (∂J/∂h_T all ones, and nothing reads an earlier h_t but the next
    step: ``from_above`` is 0 before T), or the scalar the graph ends in, named by its op."""
    steps = found.steps
    if found.step_losses is not None:
        return {"per_step": True, "last_state_sum": False,
                "text": f"J = (1/{steps}) Σ_t J_t, the mean of the steps' losses"}
    last = found.hidden_states[-1]
    (to_last,) = grad(loss, [last], retain_graph=True, allow_unused=True)
    if (loss.grad_fn.name == "sum" and to_last is not None and not any(from_above[:-1])
            and numpy.array_equal(to_last.numpy(), numpy.ones(last.shape, dtype=to_last.dtype))):
        return {"per_step": False, "last_state_sum": True,
                "text": f"J = Σ h_{steps}, the sum of the last state's units"}
    return {"per_step": False, "last_state_sum": False, "text": f"J, the {loss.grad_fn.name} the graph ends in"}


def _cell_path(loss: Tensor, found: analysis.Recurrence) -> dict[str, list] | None:
    """An LSTM's cell state: ‖∂J/∂c_t‖, the part that comes through h_t (o_t ⊙ tanh′(c_t) ⊙ ∂J/∂h_t)
    and the part that comes from c_{t+1} (f_{t+1} ⊙ ∂J/∂c_{t+1}), the additive path."""
    if found.kind != "lstm" or len(found.cell_states) != found.steps:
        return None
    gradients = grad(loss, found.cell_states, retain_graph=True, allow_unused=True)
    through_h, from_next = [], []
    for t, state in enumerate(found.cell_states, start=1):
        next_part, own = _split_by_step(loss, state, t + 1)
        from_next.append(next_part)
        through_h.append(own)
    values = [_vector(c) for c in found.cell_states]
    forget = [_vector(g["f"]) if "f" in g else None for g in found.gates]
    return {"norms": [_norm(g) for g in gradients], "through_h": through_h, "from_next": from_next,
            "values": values, "forget": forget}


def _gru_z_path(loss: Tensor, found: analysis.Recurrence) -> list[float | None]:
    """A GRU's skip: h_{t+1} = (1 − z) ⊙ n + z ⊙ h_t, so z_{t+1} ⊙ ∂J/∂h_{t+1} reaches h_t directly,
    with no Jacobian of a layer in between. ‖that part‖ for each t (None at T, or without z)."""
    gradients = grad(loss, found.hidden_states, retain_graph=True, allow_unused=True)
    result: list[float | None] = []
    for t in range(found.steps):
        gates = found.gates[t + 1] if t + 1 < found.steps else {}
        if "z" not in gates or gradients[t + 1] is None:
            result.append(None)
            continue
        z = numpy.asarray(gates["z"].numpy(), dtype=numpy.float64)
        result.append(_norm(z * numpy.asarray(gradients[t + 1].numpy(), dtype=numpy.float64)))
    return result


def _weights(loss: Tensor, found: analysis.Recurrence, layer: Any = None,
             notation: Notation | None = None) -> list[dict[str, Any]]:
    """Each weight shared over the steps (W_hh, W_ih, b_hh, b_ih, and a head's W_hy and b and an
    embedding E where the model has them): its per-step terms, their running sum from t=T back, and
    ‖.grad‖; ``name`` as the notation writes it, ``role`` the library's name (W_hh, even where the
    user named it W_h), ``key`` its name in ``found.weights``, ``lookup`` whether it is a table whose
    rows the tokens x_t pick (E: step t's term is a row, not a product)."""
    notation = notation or resolve(None)
    roles = _roles(found.weights, layer)
    ordered = sorted(found.weights, key=lambda n: (WEIGHT_ORDER.index(roles[n]) if roles[n] in WEIGHT_ORDER
                                                   else len(WEIGHT_ORDER)))
    drawn = [notation.symbol(n) for n in ordered]
    tables = {id(f.inputs[0]) for f in analysis._Graph(loss).functions if f.name == "embedding"}  # x_t picks rows
    result = []
    for weight_name, shown in zip(ordered, drawn):
        weight = found.weights[weight_name]
        if weight_name not in WEIGHT_ORDER and _of_another_layer(weight_name):
            continue  # another layer's or direction's: the page steps through layer 0, forward
        by_step = analysis.weight_gradient_by_step(loss, weight, found.time_dim)
        step_numbers = [step_of(scope) for scope in by_step.scopes]
        if len(step_numbers) == found.steps and not any(step_numbers):
            # a loop written without scopes: one use per step, met by backward from the last step back
            step_numbers = list(range(found.steps, 0, -1))
        if not by_step.gradients or None in step_numbers or max(step_numbers) != found.steps:
            continue  # not taken apart by step (an embedding): not a per-step sum
        terms = [numpy.zeros(weight.shape)] * found.steps
        for t, gradient in zip(step_numbers, by_step.gradients):
            terms[t - 1] = terms[t - 1] + numpy.asarray(gradient, dtype=numpy.float64)
        running, partial = [0.0] * found.steps, numpy.zeros(weight.shape)
        for t in reversed(range(found.steps)):  # from t=T back, as the gradient arrives
            partial = partial + terms[t]
            running[t] = _norm(partial)
        (total,) = grad(loss, weight, retain_graph=True)  # what weight.grad holds after loss.backward()
        twice = drawn.count(shown) > 1  # b₁ for b_ih and for b_hh: say which
        result.append({"name": f"{shown} ({roles[weight_name]})" if twice else shown, "role": roles[weight_name],
                       "key": weight_name, "lookup": id(weight) in tables,
                       "terms": [_norm(term) for term in terms], "running": running, "grad_norm": _norm(total)})
    return result


def _roles(weights: dict[str, Tensor], layer: Any) -> dict[str, str]:
    """Each weight's library name: W_hh for the layer's weight_hh_l0 whatever the user named it."""
    own = {}
    if layer is not None:
        for attribute, role in analysis.LECTURE_NAMES.items():
            tensor = getattr(layer, f"{attribute}_l0", None)
            if tensor is not None:
                own[id(tensor)] = role
    return {name: own.get(id(tensor), name) for name, tensor in weights.items()}


def _vector(tensor: Tensor | None) -> list[float] | None:
    """The first sequence's values of a state or gate, as printed in an equation."""
    if tensor is None:
        return None
    array = numpy.asarray(tensor.numpy(), dtype=numpy.float64)
    return [_round(v) for v in array.reshape(-1, array.shape[-1])[0]]


# --- the stages and their equations (MathML) -------------------------------------------------------

def _stages(found: analysis.Recurrence, numbers: dict[str, Any], weights: list[dict],
            notation: Notation | None = None) -> list[dict[str, Any]]:
    """One entry per position of the slider: its phase, the step it is at, a line of text, and the
    equation being applied with its symbols (in the notation) and its numbers."""
    notation = notation or resolve(None)
    names = {role: notation.symbol(role) for role in WEIGHT_ORDER}
    names.update({w["role"]: w["name"].split(" (")[0] for w in weights})
    stages = _stages_in(found, numbers, weights, names)
    for stage in stages:
        stage["math"] = in_notation(stage["math"], notation)
    return stages


def _stages_in(found: analysis.Recurrence, numbers: dict[str, Any], weights: list[dict],
               names: dict[str, str]) -> list[dict[str, Any]]:
    steps, kind = found.steps, found.kind
    losses = numbers["losses"]
    stages = [{"phase": "rolled", "t": None, "text": "The network rolled: one cell, its state a loop back into it",
               "math": _math(_cell_equation(kind, "t", names))},
              {"phase": "unrolled", "t": None,
               "text": f"Unrolled over {steps} steps: the same cell (the same {names['W_hh']}, {names['W_ih']}, b) at "
                       "every step",
               "math": _math(_cell_equation(kind, "t", names))}]
    for t in range(1, steps + 1):
        h = _vector(found.hidden_states[t - 1])
        lines = [_cell_equation(kind, str(t), names), _values_line(f"h_{t}", h, found.hidden_states[t - 1])]
        if t > 1:  # what it was computed from
            lines.insert(1, _values_line(f"h_{t - 1}", _vector(found.hidden_states[t - 2]), found.hidden_states[t - 2]))
        if kind == "lstm" and found.gates[t - 1].get("f") is not None:
            lines.insert(1, _values_line(f"f_{t}", _vector(found.gates[t - 1]["f"]), found.gates[t - 1]["f"]))
        if kind == "gru" and found.gates[t - 1].get("z") is not None:
            lines.insert(1, _values_line(f"z_{t}", _vector(found.gates[t - 1]["z"]), found.gates[t - 1]["z"]))
        if losses is not None:
            lines.append(_row(_symbol(f"J_{t}"), _op("="), _op("−"), _text("log "), _symbol(f"ŷ_{t}"),
                              _text(f"[x_{t + 1}]"), _op("="), _number(losses[t - 1])))
        text = f"Forward, step {t}: h_{t} from h_{t - 1} and x_{t}" + (
            f"; J_{t} = {slide_number(losses[t - 1])}" if losses is not None else "")
        stages.append({"phase": "forward", "t": t, "text": text, "math": _math(*lines)})
    total = sum(losses) / steps if losses is not None else None
    start = numbers["loss_is"]["text"] + (f" = {slide_number(total)}" if total is not None else "")
    stages.append({"phase": "backward", "t": steps + 1, "text": f"Backward: the gradient starts at the loss, {start}",
                   "math": _math(_loss_line(numbers["loss_is"], steps),
                                 _row(_symbol("∂J/∂J"), _op("="), _number_plain("1")))})
    for t in range(steps, 0, -1):
        norm = slide_number(numbers["hidden_norms"][t - 1])
        stages.append({"phase": "backward", "t": t,
                       "math": _math(*_backward_lines(kind, t, steps, numbers, weights, names)),
                       "text": f"Backward, reached t={t}: ‖∂J/∂h_{t}‖ = {norm}"})
    stages.append({"phase": "sums", "t": 1, "math": _math(*_sum_lines(weights)), "text": _sums_text(found, weights)})
    return stages


def _loss_line(loss_is: dict[str, Any], steps: int) -> str:
    """J written out: the mean of the J_t, or the sum of h_T's units (else as the stage's text says)."""
    if loss_is["per_step"]:
        return _row(_symbol("J"), _op("="), _text(f"(1/{steps}) "), _msub("Σ", "t"), _symbol("J_t"), _text(",   "),
                    _symbol("J_t"), _op("="), _op("−"), _text("log "), _symbol("ŷ_t"), _text("["), _symbol("x_t+1"),
                    _text("]"))
    if loss_is["last_state_sum"]:
        return _row(_symbol("J"), _op("="), _op("Σ"), _symbol(f"h_{steps}"),
                    _text(f"   (the sum of h_{steps}'s units: a loss on the last step only)"))
    return _row(_text(loss_is["text"]))


def _sums_text(found: analysis.Recurrence, weights: list[dict]) -> str:
    """The sums stage's line: what is summed, and which parameters the page leaves out and why."""
    text = "The sums: each shared weight's gradient is the sum of one term per step, equal to .grad"
    shown = {w["key"] for w in weights}
    other_layers = [name for name in found.weights if name not in shown and _of_another_layer(name)]
    unsplit = [name for name in found.weights if name not in shown and not _of_another_layer(name)]
    if other_layers:
        text += f"; not summed here: {', '.join(other_layers)} (this page steps through layer 0, forward)"
    if unsplit:
        text += f"; not summed here: {', '.join(unsplit)} (its gradient is not one term per step)"
    return text


def _of_another_layer(name: str) -> bool:
    """weight_hh_l1, weight_hh_l0_reverse: a weight of a layer or direction the page does not step through."""
    return "_l" in name.rsplit(".", 1)[-1]


def _cell_equation(kind: str, t: str, names: dict[str, str] | None = None) -> str:
    names = names or {role: role for role in WEIGHT_ORDER}
    previous = "t−1" if t == "t" else str(int(t) - 1)
    h, hp, x = _symbol(f"h_{t}"), _symbol(f"h_{previous}"), _symbol(f"x_{t}")
    if kind == "lstm":
        return _row(_symbol(f"c_{t}"), _op("="), _symbol(f"f_{t}"), _op("⊙"), _symbol(f"c_{previous}"), _op("+"),
                    _symbol(f"i_{t}"), _op("⊙"), _symbol(f"g_{t}"), _text(",  "), h, _op("="), _symbol(f"o_{t}"),
                    _op("⊙"), _text("tanh"), _fenced(_symbol(f"c_{t}")))
    if kind == "gru":
        return _row(h, _op("="), _fenced(_row(_number_plain("1"), _op("−"), _symbol(f"z_{t}"))), _op("⊙"),
                    _symbol(f"n_{t}"), _op("+"), _symbol(f"z_{t}"), _op("⊙"), hp)
    if names["b_ih"] == names["b_hh"]:  # the lecture's one bias for the layer's two
        inside = _row(_symbol(names["W_hh"]), hp, _op("+"), _symbol(names["W_ih"]), x, _op("+"), _symbol(names["b_ih"]))
        return _row(h, _op("="), _text("tanh"), _fenced(inside))
    return _row(h, _op("="), _text("tanh"), _fenced(_row(_symbol(names["W_ih"]), x, _op("+"), _symbol(names["b_ih"]),
                                                        _op("+"), _symbol(names["W_hh"]), hp, _op("+"),
                                                        _symbol(names["b_hh"]))))


def _backward_lines(kind: str, t: int, steps: int, numbers: dict[str, Any], weights: list[dict],
                    names: dict[str, str]) -> list[str]:
    """∂J/∂h_t as its two contributions, with their norms; the local Jacobian and the running
    product; the cell state's path (LSTM) or the z path (GRU); the step's term of ∂J/∂W_hh."""
    def d(name: str) -> str:
        return _symbol(f"∂J/∂{name}")

    # J = (1/T) Σ_t J_t (the page finds J_t only for a mean over the steps): what comes from above is its 1/T share
    above = _row(_text(f"(1/{steps}) "), _symbol(f"∂J_{t}/∂h_{t}")) if numbers["losses"] is not None else \
        _symbol(f"∂J/∂h_{t}|_(above)")
    norms = _row(_norm_of(d(f"h_{t}")), _op("="), _number(numbers["hidden_norms"][t - 1]), _text(":  from above "),
                 _number(numbers["from_above"][t - 1]))
    if t == steps:
        lines = [_row(d(f"h_{t}"), _op("="), above, _text("   (the last step: nothing from the right)")), norms]
    else:
        squared = _msup(_symbol(f"h_{t + 1}"), "2")
        jacobian = {"rnn": _row(_text("diag"), _fenced(_row(_number_plain("1"), _op("−"), squared)),
                                _symbol(names["W_hh"])),
                    "lstm": _text("through o, tanh(c) and the gates"), "gru": _text("diag(z) + through r, z, n")}[kind]
        right = [_op("+"), _msup(_fenced(_symbol(f"∂h_{t + 1}/∂h_{t}")), "T"), d(f"h_{t + 1}")]
        if kind == "lstm":  # h_t reaches J through step t+1's gates, which make both c_{t+1} and h_{t+1}
            right = [_op("+"), _msup(_symbol(names["W_hh"]), "T"), _msub("δ", f"{t + 1}")]
        lines = [_row(d(f"h_{t}"), _op("="), above, *right),
                 _row(norms, _text(",  from the right "), _number(numbers["from_right"][t - 1])),
                 _row(_symbol(f"∂h_{t + 1}/∂h_{t}"), _op("="), jacobian, _text(",   "),
                      _norm_of(_symbol(f"∂h_{t + 1}/∂h_{t}")), _op("="), _number(numbers["local_jacobian"][t - 1]))]
        if kind == "lstm":  # a line of its own: a long line would shrink the whole equation to fit the window
            lines.insert(1, _delta_line(kind, t, names, also_next=True))
    lines.append(_row(_norm_of(_symbol(f"∂h_{steps}/∂h_{t}")), _op("="), _number(numbers["product"][t - 1]),
                      _text("   (the local Jacobians' product: what vanishes)")))
    cell = numbers["cell"]
    if cell is not None:
        through_h = [_symbol(f"o_{t}"), _op("⊙"), _text("tanh′"), _fenced(_symbol(f"c_{t}")), _op("⊙"), d(f"h_{t}")]
        norms = [_norm_of(d(f"c_{t}")), _op("="), _number(cell["norms"][t - 1]), _text(":  through h "),
                 _number(cell["through_h"][t - 1])]
        if t == steps:  # there is no c_{T+1}: nothing comes along c
            lines.append(_row(d(f"c_{t}"), _op("="), *through_h, _text("   (the last step: nothing along c)")))
        else:
            lines.append(_row(d(f"c_{t}"), _op("="), *through_h, _op("+"), _symbol(f"f_{t + 1}"), _op("⊙"),
                              d(f"c_{t + 1}")))
            norms += [_text(",  along c "), _number(cell["from_next"][t - 1])]
        lines.append(_row(*norms))
    if numbers["z_path"] is not None and numbers["z_path"][t - 1] is not None:
        lines.append(_row(_norm_of(_row(_symbol(f"z_{t + 1}"), _op("⊙"), d(f"h_{t + 1}"))), _op("="),
                          _number(numbers["z_path"][t - 1]), _text("   (the part that skips the layer)")))
    w_hh = next((w for w in weights if w["role"] == "W_hh"), None)
    if w_hh is not None:
        if kind != "lstm" or t == steps:  # an LSTM's, before T: defined under ∂J/∂h_t, with δ_{t+1}
            lines.append(_delta_line(kind, t, names))
        term = _symbol(f"∂J/∂{names['W_hh']}|_({t})")
        lines.append(_row(term, _op("="), _msub("δ", str(t)), _msup(_symbol(f"h_{t - 1}"), "T"), _text(",   "),
                          _norm_of(term), _op("="), _number(w_hh["terms"][t - 1])))
    return lines


def _delta_line(kind: str, t: int, names: dict[str, str], also_next: bool = False) -> str:
    """δ_t, defined where the equations use it: the gradient at what W_hh h_{t−1} is added into at
    step t — so that ∂J/∂W_hh|_(t) = δ_t h_{t−1}ᵀ. ``also_next``: δ_{t+1} as well (an LSTM's
    ∂J/∂h_t reads it)."""
    delta = _msub("δ", str(t))
    if kind == "rnn":  # h_t = tanh(a_t): δ_t = ∂J/∂a_t
        return _row(delta, _op("="), _fenced(_row(_number_plain("1"), _op("−"), _msup(_symbol(f"h_{t}"), "2"))),
                    _op("⊙"), _symbol(f"∂J/∂h_{t}"), _text(f":  the gradient at tanh's input, step {t}"))
    if kind == "gru":  # the gates r, z, n read W_hh h_{t−1} + b_hh (n through r ⊙ it)
        return _row(delta, _text(":  the gradient at "), _symbol(names["W_hh"]), _symbol(f"h_{t - 1}"), _op("+"),
                    _symbol(names["b_hh"]), _text(", the gates' input from "), _symbol(f"h_{t - 1}"))
    both = [_msub("δ", str(t + 1)), _op(","), delta] if also_next else [delta]  # (each its step's: the subscript)
    return _row(*both, _text(":  the gradient at the pre-activations of the gates i, f, g, o"))


def _sum_lines(weights: list[dict]) -> list[str]:
    lines = []
    for weight in weights:
        name, _, which = weight["name"].partition(" (")  # b₁ (b_hh): the lecture's b₁, the layer's b_hh
        owner = which.rstrip(")") or name
        lines.append(_row(_norm_of(_row(_msub("Σ", "t"), _symbol(f"∂J/∂{name}|_(t)"))), _text(f" ({which}" if which
                                                                                                 else ""),
                          _op("="), _number(weight["running"][0]), _text(f",  ‖{owner}.grad‖ = "),
                          _number(weight["grad_norm"]),
                          # a table's term at step t is no product: the gradient at e_t, added into one row
                          _row(_text("  (term t: "), _symbol("∂J/∂e_t"), _text(" in row "), _symbol("x_t"), _text(")"))
                          if weight["lookup"] else ""))
    return lines


def _values_line(name: str, values: list[float] | None, tensor: Tensor) -> str:
    if values is not None and len(values) <= SHOWN_UNITS:
        digits = digits_to_tell_apart(values)  # h_t's units: two different ones never print alike
        shown = _fenced(_row(*[_number_plain(slide_number(v, digits)) if i == 0 else
                               _row(_op(","), _number_plain(slide_number(v, digits))) for i, v in enumerate(values)]),
                        "[", "]")
        return _row(_symbol(name), _op("="), shown)
    return _row(_norm_of(_symbol(name)), _op("="), _number(_norm(tensor)))


# --- the graph and the tooltips --------------------------------------------------------------------

def _first_row(picture: Picture) -> tuple[str, ...]:
    """Layer 0's forward row: the row the stepper walks."""
    rows = [n.row for n in picture.nodes if n.step is not None and n.kind in ("op", "group")]
    forward = [r for r in rows if "reverse" not in r and ("layer 0" in r or not any("layer" in p for p in r))]
    return (forward or rows or [()])[0]


def _drop_empty_shapes(*pictures: Picture) -> None:
    """A scalar's shape, (), says nothing on a slide: J, not "J ()". Other shapes stay."""
    for picture in pictures:
        for node in picture.nodes:
            node.label = "\n".join(line for line in node.label.split("\n") if line != "()")


def _node_info(node: Any, picture: Picture, hidden: list[Tensor], hidden_norms: list[float]) -> dict[str, Any]:
    """What hovering a node shows, each number named: the state a cell passes on and ‖∂J/∂h_t‖,
    or an op's output and ‖∂J/∂(its output)‖."""
    name = node.label.split("\n")[0]
    op = getattr(node.key, "name", name) if node.kind == "op" else {"group": "a cell: its ops as one node"}.get(
        node.kind, node.kind)
    shape, values, quantity = None, None, "its output"
    tensors = node.tensors
    if node.kind == "group" and node.step is not None and node.step <= len(hidden):
        tensors, quantity = [hidden[node.step - 1]], f"h_{node.step}, the state it passes on"
    for tensor in tensors:
        shape = list(tensor.shape)
        array = _values_of(tensor, {})
        if array is not None:
            values = _summary(array)
            break
    gradient = node.gradient_norm
    if node.kind == "group" and node.step is not None and node.step <= len(hidden_norms):
        gradient = hidden_norms[node.step - 1]
    return {"name": name, "op": op, "scope": "/".join(node.scope), "shape": shape, "values": values,
            "quantity": quantity, "grad": None if gradient is None else _round(gradient)}


def _summary(array: numpy.ndarray) -> dict[str, Any]:
    array = numpy.asarray(array, dtype=numpy.float64)
    summary = {"min": _round(array.min()), "max": _round(array.max()), "mean": _round(array.mean())}
    if array.size <= 12:
        summary["values"] = [_round(v) for v in array.reshape(-1)]
    return summary


def _round(value: float) -> float:
    return float(f"{float(value):.6g}")


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower())


def _page(data: dict[str, Any], slides: list[dict[str, Any]] | None = None) -> LecturePage:
    """The document and the notebook fragment, with this page's own id prefix."""
    prefix = f"tgr{next(_PAGE_NUMBERS)}"
    for panel in data["panels"]:
        panel["svg"] = panel["svg"].replace("@PREFIX@", prefix)
        panel["rolled_svg"] = panel["rolled_svg"].replace("@PREFIX@", prefix)
        panel["id"] = f"{prefix}-{_slug(panel['name'])}"
    script = "\n".join((ASSETS / name).read_text(encoding="utf-8") for name in ("lecture_fit.js", "lecture.js"))
    style = (ASSETS / "lecture.css").read_text(encoding="utf-8").replace("#PAGE", f"#{prefix}")
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    fragment = (f'<div id="{prefix}" class="tgr-lecture" tabindex="0" data-theme="light">\n<style>\n{style}</style>\n'
                f'<script type="application/json" class="tgr-data">{payload}</script>\n'
                f"<script>\n{script}\ntinygradRnnLecture(document.getElementById({json.dumps(prefix)}));\n</script>\n"
                "</div>")
    html = ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_escape(data['title'])}</title>\n<style>html, body {{ margin: 0; }}</style>\n</head>\n"
            f"<body>\n{fragment}\n</body>\n</html>\n")
    return LecturePage(html, fragment, data, slides or [])


__all__ = ["LecturePage", "lecture", "connectivity"]
