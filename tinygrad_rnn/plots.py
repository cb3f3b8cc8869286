"""Figures as PNG files with matplotlib: training curves, gradient norms over time, heat maps.

matplotlib is imported only when a figure is made, and through ``matplotlib.figure.Figure``
directly, so it never changes the backend of a notebook or program that uses pyplot itself.
"""

from __future__ import annotations

import pathlib
from typing import Any

import numpy

COLOURS = ["#440154", "#21918c", "#e69138", "#3b528b"]  # dark purple, teal, orange, blue: apart in grey too


HOW_TO_INSTALL = "pip install 'tinygrad_rnn[plot]' (or: pip install matplotlib)"


def available() -> bool:
    """Whether matplotlib can be imported: the PNG figures need it, nothing else does."""
    try:
        import matplotlib.figure  # noqa: F401
    except ImportError:
        return False
    return True


def _figure(width: float, height: float) -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(f"figures need matplotlib: {HOW_TO_INSTALL}") from None
    return Figure(figsize=(width, height), dpi=120, layout="constrained")


def save_training_curves(history: dict[str, list], path: str | pathlib.Path, title: str = "") -> pathlib.Path:
    """Training loss per step and validation perplexity (if any), side by side."""
    figure = _figure(9, 3.4)
    loss_axes, perplexity_axes = figure.subplots(1, 2)
    loss_axes.plot(history["step"], history["loss"], color="#3b528b", linewidth=0.8)
    loss_axes.set(xlabel="step", ylabel="training loss J (nats/token)", title="loss")
    if history.get("valid_step"):  # label what is plotted: held-out text, or (without it) the training batches
        perplexity_axes.plot(history["valid_step"], history["valid_perplexity"], "o-", color="#21918c")
        measured = "validation perplexity", "exp(J) on held-out text"
    else:
        perplexity_axes.plot(history["step"], numpy.exp(history["loss"]), color="#21918c", linewidth=0.8)
        measured = "training perplexity", "exp(J) of each training batch"
    perplexity_axes.set(xlabel="step", ylabel=measured[1], title=measured[0], yscale="log")
    plain_log_ticks(perplexity_axes)
    if title:
        figure.suptitle(title)
    return _save(figure, path)


def save_gradient_norms(curves: dict[str, Any], path: str | pathlib.Path, title: str = "",
                        ylabel: str = "‖∂J/∂h_t‖", theory: dict[str, Any] | None = None) -> pathlib.Path:
    """One curve per model of a norm against the time step t, on a log scale (vanishing gradients).
    A curve given as a 2-D array (one row per seed) is drawn as its median with a min–max band.

    ``theory`` adds predicted curves, one per measured curve in the same colour, drawn dashed
    under the measured points — so where they agree exactly, both stay visible."""
    figure = _figure(6.4, 4)
    axes = figure.subplots()
    for (name, norms), colour in zip(curves.items(), COLOURS * 4):
        norms = numpy.maximum(numpy.asarray(norms, dtype=float), 1e-30)
        steps = numpy.arange(1, norms.shape[-1] + 1)
        if norms.ndim == 2:  # one row per seed: the median, and a band from the lowest to the highest seed
            axes.fill_between(steps, norms.min(axis=0), norms.max(axis=0), color=colour, alpha=0.2, linewidth=0)
            axes.semilogy(steps, numpy.median(norms, axis=0), "o-", markersize=3, color=colour,
                          label=f"{name} (median of {len(norms)} seeds, band: min–max)")
            continue
        style = {"linestyle": "none", "marker": "o", "markersize": 4} if theory else {"marker": "o", "markersize": 3}
        axes.semilogy(steps, norms, label=name, color=colour, zorder=3, **style)
    for (name, values), colour in zip((theory or {}).items(), COLOURS * 4):
        values = numpy.asarray(values, dtype=float)
        axes.semilogy(numpy.arange(1, len(values) + 1), numpy.maximum(values, 1e-30), "--", color=colour,
                      linewidth=1.5, label=name, zorder=2)
    axes.set(xlabel="time step t", ylabel=ylabel, title=title)
    axes.legend(fontsize=8)
    axes.grid(True, which="both", alpha=0.3)
    plain_log_ticks(axes)
    return _save(figure, path)


def save_lines(x: Any, curves: dict[str, Any], path: str | pathlib.Path, xlabel: str, ylabel: str,
               title: str = "", log_y: bool = False, reference: tuple[float, str] | None = None,
               each_seed: bool = False) -> pathlib.Path:
    """Several named curves over a shared x axis. A curve given as a 2-D array (one row per seed)
    is drawn as its mean with a bar from the lowest to the highest seed, and the legend says how
    many seeds; with ``each_seed``, one thin line per seed instead (for runs that may blow up, whose
    mean would be infinite). ``reference=(y, label)`` draws a horizontal line (chance, or a trivial
    answer)."""
    figure = _figure(6.4, 4)
    axes = figure.subplots()
    for (name, values), colour, marker in zip(curves.items(), COLOURS * 4, "osD^v" * 4):
        values = numpy.asarray(values, dtype=float)
        if values.ndim == 2 and each_seed:
            for number, row in enumerate(values):
                axes.plot(x, row, color=colour, linewidth=0.9, alpha=0.8,
                          label=f"{name} ({len(values)} seeds, a line each)" if number == 0 else None)
        elif values.ndim == 2:  # seeds × x
            mean = values.mean(axis=0)
            spread = numpy.stack([mean - values.min(axis=0), values.max(axis=0) - mean])
            axes.errorbar(x, mean, yerr=spread, marker=marker, capsize=4, color=colour,
                          label=f"{name} (mean of {len(values)} seeds, bar: min–max)")
        else:
            axes.plot(x, values, marker=marker, label=name, color=colour)
    if reference is not None:
        axes.axhline(reference[0], color="#888888", linestyle=":", label=reference[1])
    axes.set(xlabel=xlabel, ylabel=ylabel, title=title, yscale="log" if log_y else "linear")
    axes.legend(fontsize=8)
    axes.grid(True, alpha=0.3)
    if log_y:
        plain_log_ticks(axes)
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


def plain_log_ticks(axes: Any, axis: str = "y") -> None:
    """Tick labels on a log axis as plain numbers (3, 5, 10, 20 — not 1.3×10¹); within about a
    decade, at 2, 3 and 5 of each decade too, so that a narrow range still has labelled ticks.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> axes = plt.figure().add_subplot()
    >>> axes.set_xscale("log")
    >>> _ = axes.set_xlim(2, 20)
    >>> plain_log_ticks(axes, "x")
    >>> axes.xaxis.get_major_formatter()(10, 0)
    '10'
    """
    from matplotlib import ticker

    plain = ticker.FuncFormatter(lambda value, _: f"{value:g}")
    which = axes.xaxis if axis == "x" else axes.yaxis
    which.set_major_formatter(plain)
    low, high = axes.get_xlim() if axis == "x" else axes.get_ylim()
    if low > 0 and high / low < 30:
        which.set_minor_locator(ticker.LogLocator(base=10, subs=(2, 3, 5)))
        which.set_minor_formatter(plain)
    else:
        which.set_minor_formatter(ticker.NullFormatter())


def _save(figure: Any, path: str | pathlib.Path) -> pathlib.Path:
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    return path
