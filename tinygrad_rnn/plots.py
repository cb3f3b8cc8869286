"""Figures with matplotlib (PNG, SVG, from the suffix): training curves, gradient norms over time, heat maps.

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


SLIDE_WIDTH_PX = 1920  # a 16:9 slide, 1,920 × 1,080: what a figure's text sizes are measured at
SLIDE_TEXT_PT = 15  # at 120 dpi on a 16-inch (1,920 px) figure: 15 pt = 25 px, readable from the back row


def heatmap_figure(values: Any, text: str, row_labels: list[str] | None = None, title: str = "",
                   slide: bool = True, columns: int = 56, scale_label: str = "tanh(c_t)") -> Any:
    """The figure ``save_heatmap`` saves (a ``matplotlib.figure.Figure``), to look at or measure.

    ``slide=True`` (the default) shapes it for a 16:9 slide: the text is wrapped at spaces into lines of
    at most ``columns`` characters, one panel per row of ``values`` (one unit) with its label above it,
    each character in a cell coloured by that unit's value there, and a colour bar from −1 to +1 —
    every character ≥ 24 px on a 1,920 × 1,080 slide. A longer text makes the figure taller, never
    the characters smaller. ``slide=False`` is the free-size strip for a notebook: one row per unit,
    the characters along the bottom.

    >>> figure = heatmap_figure([[0.9, -0.5, 0.1]], "a[[", row_labels=["unit 3"])
    >>> figure.axes[0].get_title(loc="left"), round(figure.get_figwidth() * figure.dpi)
    ('unit 3', 1920)
    """
    values = numpy.asarray(values, dtype=float)
    if values.ndim != 2 or values.shape[1] != len(text):
        raise ValueError(f"save_heatmap: values of shape {values.shape} do not match the text of {len(text)} "
                         f"characters; pass one row per unit and one column per character, (units, {len(text)})")
    row_labels = row_labels or [f"unit {i}" for i in range(len(values))]
    shown = [c if c != "\n" else "⏎" for c in text]
    if not slide:
        figure = _figure(max(6.0, 0.12 * len(text)), 1.2 + 0.35 * len(values))
        axes = figure.subplots()
        image = axes.imshow(values, cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto", interpolation="nearest")
        axes.set_xticks(range(len(text)), shown, fontsize=6, family="monospace")
        axes.set_yticks(range(len(values)), row_labels, fontsize=7)
        axes.set_title(title)
        figure.colorbar(image, ax=axes, label=scale_label, ticks=[-1, 0, 1])
        return figure
    lines = _wrap(text, columns)
    width = max(end - start for start, end in lines)
    line_inches = 0.55  # one line of cells: two units of 5 lines and their titles fit 9 inches
    height = max(9.0, 1.6 + len(values) * (0.9 + line_inches * len(lines)))
    figure = _figure(SLIDE_WIDTH_PX / 120, height)
    panels = figure.subplots(len(values), 1, squeeze=False)[:, 0]
    for unit, (axes, label) in enumerate(zip(panels, row_labels)):
        grid = numpy.full((len(lines), width), numpy.nan)  # NaN: no character there, left white
        for line, (start, end) in enumerate(lines):
            grid[line, :end - start] = values[unit, start:end]
            for column, character in enumerate(shown[start:end]):
                dark = abs(values[unit, start + column]) > 0.55  # white letters on a deep red or blue cell
                axes.text(column, line, character, ha="center", va="center", family="monospace",
                          fontsize=SLIDE_TEXT_PT, color="white" if dark else "black")
        image = axes.imshow(grid, cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto", interpolation="nearest")
        axes.set_title(label, fontsize=SLIDE_TEXT_PT + 2, loc="left")
        axes.set_axis_off()
    if title:
        figure.suptitle(title, fontsize=SLIDE_TEXT_PT + 3)
    bar = figure.colorbar(image, ax=list(panels), orientation="horizontal", fraction=0.05, aspect=60,
                          ticks=[-1, 0, 1])
    bar.set_label(f"{scale_label}: −1 (blue) … +1 (red)", fontsize=SLIDE_TEXT_PT)
    bar.ax.tick_params(labelsize=SLIDE_TEXT_PT)
    return figure


def save_heatmap(values: Any, text: str, path: str | pathlib.Path, row_labels: list[str] | None = None,
                 title: str = "", slide: bool = True, columns: int = 56,
                 scale_label: str = "tanh(c_t)") -> pathlib.Path:
    """Rows of activations (one per neuron) over the characters of ``text``, red for +1, blue for −1,
    as ``heatmap_figure`` draws them (slide-shaped by default; ``slide=False``: free size). PNG, SVG
    or PDF, from the suffix of ``path``.

    >>> save_heatmap(activations, text, "neurons.svg", row_labels=["unit 7: inside a URL?"])  # doctest: +SKIP
    PosixPath('neurons.svg')
    """
    figure = heatmap_figure(values, text, row_labels, title, slide=slide, columns=columns, scale_label=scale_label)
    return _save(figure, path)


def _wrap(text: str, columns: int) -> list[tuple[int, int]]:
    """(start, end) of each line: at most ``columns`` characters, broken after a space where there is
    one (a word longer than a line is cut). Every character is on exactly one line, none dropped."""
    lines, start = [], 0
    while start < len(text):
        end = min(start + columns, len(text))
        if end < len(text):
            space = text.rfind(" ", start, end)
            end = space + 1 if space >= start else end
        lines.append((start, end))
        start = end
    return lines


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
