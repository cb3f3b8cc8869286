"""An interactive lecture page: the whole lecture on backpropagation through time, in the browser.

``lecture(loss)`` writes one self-contained HTML page that runs the lecture's order on one slider:
the network **rolled** (one cell and its loop), **unrolled** (the cell slides out into one copy per
step), the **forward** pass (step t lights cell t; the cell's equation with its numbers), the
**backward** pass (the gradient walks back from J, each cell coloured by ‖∂J/∂h_t‖, the equation
of ∂J/∂h_t with both its contributions, the local Jacobian and the running product that is the
vanishing gradient), and the **sums**: every shared weight's gradient built term by term, equal at
the end to what ``.grad`` holds after backward. ``connectivity(model, vocabulary, text)`` shows
how strongly each earlier character moves each prediction of a trained language model.

Every number on the page is computed in Python, by the engine and :mod:`tinygrad_rnn.analysis`
(:mod:`.lecture_numbers`), and embedded as JSON with each panel's figures (:mod:`.lecture_panel`);
the equations are written as MathML, which browsers draw natively (:mod:`.lecture_stages`).
The browser only shows them, fitted to the window (a projector's, 1,280 × 720 to 3,840 × 2,160,
without scrolling; lecture_fit.js). The page loads nothing (no network, no fonts) and works from
``file://``; keyboard: ← → step, Home/End, space plays, T switches the theme, Z shows the whole
figure, D opens a stage's details where a narrow window folds them; ``#stage=12`` in the address
opens stage 12.
"""

from __future__ import annotations

import itertools
import json
import math
import pathlib
from dataclasses import dataclass, field
from typing import Any

from .. import analysis
from ..tensor import Tensor
from .lecture_numbers import rounded
from .lecture_panel import panel_data, slug
from .mathml import _escape
from .notation import CELL_NAMES, Notation, resolve
from .slide import html_of

ASSETS = pathlib.Path(__file__).resolve().parent
_PAGE_NUMBERS = itertools.count(1)
LEAST_DECADES = 2  # the colour scale of ‖∂J/∂h_t‖ spans at least this many powers of ten


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
    panels = [panel_data(case_name, case_loss, case_layer, level, notation, tokens)
              for case_name, (case_loss, case_layer) in cases.items()]
    slides = [panel.pop("slide") for panel in panels]  # for export only: the page's script never reads them
    norms = [n for panel in panels for n in panel["hidden_norms"] if n > 0]
    scale = _colour_scale(norms)
    title = title or "Backpropagation through time: " + " vs ".join(cases)
    written = {"time": notation.time, "loss": notation.symbol("J")}  # for the exported slides' own words
    words = {"norm": html_of(notation.in_text("‖∂J/∂h_t‖")),
             "ratio": html_of(notation.in_text("‖∂J/∂h_1‖ / ‖∂J/∂h_T‖"))}
    return _page({"title": title, "panels": panels, "scale": scale, "text": None, "notation": written,
                  "words": words}, slides)


def connectivity(model: Any, vocabulary: Any, text: str, *, title: str = "") -> LecturePage:
    """The page for a trained character model: hover (or focus) a character to colour every
    earlier one by ‖∂ log p(that character) / ∂e_s‖, the gradient of the prediction with respect
    to the input embedding at s (:func:`tinygrad_rnn.analysis.input_influence`)."""
    ids = vocabulary.encode(text)
    influence = analysis.input_influence(model, ids)
    positive = influence[influence > 0]
    scale = [float(positive.min()), float(positive.max())] if positive.size else [1e-6, 1.0]
    data = {"title": title or "Which earlier characters move each prediction", "panels": [], "scale": scale,
            "text": {"characters": list(text), "influence": [[rounded(v) for v in row] for row in influence]}}
    return _page(data)


def _kind_name(loss: Tensor, layer: Any) -> str:
    if layer is not None:
        return type(layer).__name__
    return CELL_NAMES[analysis.find_recurrence(loss).kind]


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


def _page(data: dict[str, Any], slides: list[dict[str, Any]] | None = None) -> LecturePage:
    """The document and the notebook fragment, with this page's own id prefix."""
    prefix = f"tgr{next(_PAGE_NUMBERS)}"
    for panel in data["panels"]:
        panel["svg"] = panel["svg"].replace("@PREFIX@", prefix)
        panel["rolled_svg"] = panel["rolled_svg"].replace("@PREFIX@", prefix)
        if panel.get("sums_svg"):
            panel["sums_svg"] = panel["sums_svg"].replace("@PREFIX@", prefix)
        panel["id"] = f"{prefix}-{slug(panel['name'])}"
    # (its numbers, the steps' frames, the equation's rows and its fit, the window's glide, the figure's fit, the lit
    # edges, the page)
    scripts = ("lecture_numbers.js", "lecture_frames.js", "lecture_rows.js", "lecture_equation.js", "lecture_glide.js",
               "lecture_fit.js", "lecture_lit.js", "lecture.js")
    script = "\n".join((ASSETS / name).read_text(encoding="utf-8") for name in scripts)
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
