"""An interactive lecture page: step through backpropagation through time in the browser.

``lecture(loss, layer)`` writes one self-contained HTML page — the unrolled graph (the slide
layout, as SVG), a stepper that walks the gradient back from J one step at a time, colouring each
cell it reaches by ‖∂J/∂h_t‖, and beside it ∂J/∂W_hh built as a sum with one term per step, which
ends equal to what ``W_hh.grad`` holds after backward. ``connectivity(model, vocabulary, text)``
shows how strongly each earlier character moves each prediction of a trained language model.

Every number on the page is computed here, by the engine, and embedded as JSON; the browser only
shows them. The page loads nothing (no network, no fonts) and works from ``file://``; keyboard:
← → step, Home/End, space plays.
"""

from __future__ import annotations

import itertools
import json
import pathlib
from dataclasses import dataclass
from typing import Any

import numpy

from .. import analysis
from ..engine import grad
from ..function import step_of
from ..tensor import Tensor
from .graph import Picture, _values_of, build_picture
from .layout import labelled_layout
from .svg import picture_to_svg

ASSETS = pathlib.Path(__file__).resolve().parent
_PAGE_NUMBERS = itertools.count(1)


@dataclass
class LecturePage:
    """One page: ``html`` (a whole document), ``data`` (every number it shows), ``save(path)``;
    in Jupyter it displays inline (several pages per notebook never share an id)."""

    html: str
    fragment: str
    data: dict[str, Any]

    def save(self, path: str | pathlib.Path) -> pathlib.Path:
        path = pathlib.Path(path)
        path.write_text(self.html, encoding="utf-8")
        return path

    def _repr_html_(self) -> str:
        return self.fragment


def lecture(loss: Tensor, layer: Any, *, level: str = "cell", title: str = "", name: str = "",
            compare: dict[str, tuple[Tensor, Any]] | None = None) -> LecturePage:
    """The backward-pass stepper for ``loss``, computed by ``layer`` (an RNN, LSTM or GRU whose
    last call made it): layer 0's forward direction is stepped through, its ``weight_hh_l0``
    summed term by term. ``compare`` adds more panels — {name: (loss, layer)} — on one colour scale.
    Call it before ``loss.backward()`` (it needs the values backward frees).

    >>> import tinygrad_rnn as tr
    >>> rnn = tr.nn.RNN(2, 3)
    >>> output, _ = rnn(tr.randn(4, 1, 2))
    >>> page = lecture(output[-1].sum(), rnn)
    >>> page.data["panels"][0]["steps"], "<svg" in page.html
    (4, True)
    """
    cases = {name or type(layer).__name__: (loss, layer), **(compare or {})}
    panels = [_panel(case_name, case_loss, case_layer, level) for case_name, (case_loss, case_layer) in cases.items()]
    norms = [n for panel in panels for n in panel["hidden_norms"] if n > 0]
    scale = [min(norms), max(norms)] if norms else [1e-6, 1.0]
    title = title or "Backpropagation through time: " + " vs ".join(cases)
    return _page({"title": title, "panels": panels, "scale": scale, "text": None})


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


def _panel(name: str, loss: Tensor, layer: Any, level: str) -> dict[str, Any]:
    """Everything one panel shows, as plain numbers and strings."""
    if not getattr(layer, "hidden_states", None):
        raise ValueError(f"lecture: {type(layer).__name__} has no recorded steps; pass the layer whose last call "
                         "computed the loss")
    hidden_states = layer.hidden_states[0]  # layer 0, forward: h_1 … h_T
    weight = layer.weight_hh_l0
    steps = len(hidden_states)
    hidden_norms = analysis.hidden_state_gradient_norms(loss, hidden_states)
    by_step = analysis.weight_gradient_by_step(loss, weight)
    term_norms, running, partial = {}, {}, numpy.zeros(weight.shape)
    for scope, gradient in reversed(list(zip(by_step.scopes, by_step.gradients))):  # from t=T back, as the stepper
        partial = partial + gradient.astype(numpy.float64)
        term_norms[step_of(scope)] = float(numpy.linalg.norm(gradient))
        running[step_of(scope)] = float(numpy.linalg.norm(partial))
    (total,) = grad(loss, weight, retain_graph=True)  # what weight.grad holds after loss.backward()

    # The weight being summed is named beside the graph, so the cells need not repeat it.
    picture = build_picture((loss,), level=level, show_grads=True, params="hide" if level != "op" else "once")
    labels, placed = labelled_layout(picture)
    row = _first_row(picture)
    cells: dict[int, list[int]] = {}
    for index, node in enumerate(picture.nodes):
        if node.step is not None and node.kind in ("op", "group") and node.row == row:
            cells.setdefault(node.step, []).append(index)
    crossing: dict[int, list[int]] = {}  # step t → the edges the gradient crosses to reach it
    node_step = dict.fromkeys(range(len(picture.nodes)))  # a node's step, for the nodes the stepper colours
    for t, indices in cells.items():
        node_step.update(dict.fromkeys(indices, t))
    outputs = {i for i, n in enumerate(picture.nodes) if n.kind == "output"}
    for k, (tail, head, _) in enumerate(picture.edges):
        if node_step[tail] is not None and (node_step[head] == node_step[tail] + 1 or
                                          (head in outputs and node_step[tail] == steps)):
            crossing.setdefault(node_step[tail], []).append(k)
    return {
        "name": name, "steps": steps, "weight": weight.name or "weight_hh_l0",
        "svg": picture_to_svg(picture, placed, labels, "@PREFIX@-" + _slug(name)),
        "cells": {str(t): indices for t, indices in cells.items()},
        "crossing": {str(t): edges for t, edges in crossing.items()},
        "hidden_norms": [float(n) for n in hidden_norms],
        "terms": [term_norms.get(t, 0.0) for t in range(1, steps + 1)],
        "running": [running.get(t, 0.0) for t in range(1, steps + 1)],
        "grad_norm": float(numpy.linalg.norm(total.numpy().astype(numpy.float64))),
        "nodes": [_node_info(node, picture, hidden_states) for node in picture.nodes],
    }


def _first_row(picture: Picture) -> tuple[str, ...]:
    """Layer 0's forward row: the row the stepper walks."""
    rows = [n.row for n in picture.nodes if n.step is not None and n.kind in ("op", "group")]
    forward = [r for r in rows if "reverse" not in r and ("layer 0" in r or not any("layer" in p for p in r))]
    return (forward or rows or [()])[0]


def _node_info(node: Any, picture: Picture, hidden_states: list[Tensor]) -> dict[str, Any]:
    """What hovering a node shows: name, op, scope, shape, values (a summary), gradient norm."""
    name = node.label.split("\n")[0]
    op = node.key.name if node.kind == "op" else {"group": "a cell: its ops as one node"}.get(node.kind, node.kind)
    shape, values = None, None
    tensors = node.tensors
    if node.kind == "group" and node.step is not None and node.step <= len(hidden_states):
        tensors = [hidden_states[node.step - 1]]  # a cell shows the state it passes on, h_t
    for tensor in tensors:
        shape = list(tensor.shape)
        array = _values_of(tensor, {}) if not isinstance(tensor, Tensor) else tensor.numpy()
        if array is not None:
            values = _summary(array)
            break
    return {"name": name, "op": op, "scope": "/".join(node.scope), "shape": shape, "values": values,
            "grad": None if node.gradient_norm is None else _round(node.gradient_norm)}


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


def _page(data: dict[str, Any]) -> LecturePage:
    """The document and the notebook fragment, with this page's own id prefix."""
    prefix = f"tgr{next(_PAGE_NUMBERS)}"
    for panel in data["panels"]:
        panel["svg"] = panel["svg"].replace("@PREFIX@", prefix)
        panel["id"] = f"{prefix}-{_slug(panel['name'])}"
    script = (ASSETS / "lecture.js").read_text(encoding="utf-8")
    style = (ASSETS / "lecture.css").read_text(encoding="utf-8").replace("#PAGE", f"#{prefix}")
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    fragment = (f'<div id="{prefix}" class="tgr-lecture" tabindex="0">\n<style>\n{style}</style>\n'
                f'<script type="application/json" class="tgr-data">{payload}</script>\n'
                f"<script>\n{script}\ntinygradRnnLecture(document.getElementById({json.dumps(prefix)}));\n</script>\n"
                "</div>")
    html = ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_escape(data['title'])}</title>\n</head>\n<body>\n{fragment}\n</body>\n</html>\n")
    return LecturePage(html, fragment, data)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


__all__ = ["LecturePage", "lecture", "connectivity"]
