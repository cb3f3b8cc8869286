"""Figures as PNG files with matplotlib: training curves, gradient norms over time, heat maps.

matplotlib is imported only when a figure is made, and through ``matplotlib.figure.Figure``
directly, so it never changes the backend of a notebook or program that uses pyplot itself.
"""

from __future__ import annotations

import pathlib
from typing import Any

import numpy


def _figure(width: float, height: float) -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("figures need matplotlib: pip install 'tinygrad_rnn[plot]' (or: pip install matplotlib)") \
            from None
    return Figure(figsize=(width, height), dpi=120, layout="constrained")


def save_training_curves(history: dict[str, list], path: str | pathlib.Path, title: str = "") -> pathlib.Path:
    """Training loss per step and validation perplexity (if any), side by side."""
    figure = _figure(9, 3.4)
    loss_axes, perplexity_axes = figure.subplots(1, 2)
    loss_axes.plot(history["step"], history["loss"], color="#3b528b", linewidth=0.8)
    loss_axes.set(xlabel="step", ylabel="training loss J (nats/token)", title="loss")
    if history.get("valid_step"):
        perplexity_axes.plot(history["valid_step"], history["valid_perplexity"], "o-", color="#21918c")
    else:
        perplexity_axes.plot(history["step"], numpy.exp(history["loss"]), color="#21918c", linewidth=0.8)
    perplexity_axes.set(xlabel="step", ylabel="perplexity = exp(J)", title="perplexity", yscale="log")
    if title:
        figure.suptitle(title)
    return _save(figure, path)


def save_gradient_norms(curves: dict[str, Any], path: str | pathlib.Path, title: str = "",
                        ylabel: str = "‖∂J/∂h_t‖") -> pathlib.Path:
    """One curve per model of a norm against the time step t, on a log scale (vanishing gradients)."""
    figure = _figure(6.4, 4)
    axes = figure.subplots()
    colours = ["#440154", "#21918c", "#e69138", "#3b528b"]
    for (name, norms), colour in zip(curves.items(), colours * 4):
        norms = numpy.asarray(norms, dtype=float)
        axes.semilogy(numpy.arange(1, len(norms) + 1), numpy.maximum(norms, 1e-30), "o-", markersize=3,
                      label=name, color=colour)
    axes.set(xlabel="time step t", ylabel=ylabel, title=title)
    axes.legend()
    axes.grid(True, which="both", alpha=0.3)
    return _save(figure, path)


def save_lines(x: Any, curves: dict[str, Any], path: str | pathlib.Path, xlabel: str, ylabel: str,
               title: str = "", log_y: bool = False) -> pathlib.Path:
    """Several named curves over a shared x axis."""
    figure = _figure(6.4, 4)
    axes = figure.subplots()
    for name, values in curves.items():
        axes.plot(x, values, "o-", label=name)
    axes.set(xlabel=xlabel, ylabel=ylabel, title=title, yscale="log" if log_y else "linear")
    axes.legend()
    axes.grid(True, alpha=0.3)
    return _save(figure, path)


def save_heatmap(values: Any, text: str, path: str | pathlib.Path, row_labels: list[str] | None = None,
                 title: str = "") -> pathlib.Path:
    """Rows of activations (one per neuron) over the characters of ``text``, red for +1, blue for −1."""
    values = numpy.asarray(values)
    figure = _figure(max(6.0, 0.12 * len(text)), 0.5 + 0.35 * len(values))
    axes = figure.subplots()
    axes.imshow(values, cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto", interpolation="nearest")
    axes.set_xticks(range(len(text)), [c if c != "\n" else "⏎" for c in text], fontsize=6, family="monospace")
    axes.set_yticks(range(len(values)), row_labels or [str(i) for i in range(len(values))], fontsize=7)
    axes.set_title(title)
    return _save(figure, path)


def _save(figure: Any, path: str | pathlib.Path) -> pathlib.Path:
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    return path
