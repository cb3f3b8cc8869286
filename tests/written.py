"""A figure's text as a test reads it: every script marked, whichever output drew it.

The library's SVG writes W_hh as W and a lowered "hh" (a tspan), Graphviz's DOT as plain text
that is scripted when drawn: both read here as W_{hh}, and h₃⁽²⁾ as h_{3}^{(2)}, so that a test
compares names, not markup (``viz/scripts.py`` decides which characters are scripts).
"""

from __future__ import annotations

import re
from html import unescape

from tinygrad_rnn.viz.scripts import script_runs

SCRIPT_SPAN = re.compile(r'<tspan dy="(-?[\d.]+)em" font-size="80%"[^>]*>([^<]*)</tspan>')


def as_written(text: str) -> str:
    """Plain text with its scripts marked: ``W_hh⁽¹⁾`` → ``W_{hh}^{(1)}``; code (``my_rnn``) as it is."""
    return "".join(part if kind == "base" else ("_{" if kind == "sub" else "^{") + part + "}"
                   for part, kind in script_runs(text))


def svg_written(svg: str) -> str:
    """The library's SVG with each script tspan marked as :func:`as_written` marks it, other tags left."""
    def marked(found: re.Match) -> str:  # a subscript moves down (dy > 0), a superscript up, even after one
        return ("_{" if float(found.group(1)) > 0 else "^{") + found.group(2) + "}"

    text = SCRIPT_SPAN.sub(marked, svg)
    text = re.sub(r'<tspan dy="[^"]*"( xml:space="preserve")?>([^<]*)</tspan>', r"\2", text)
    return unescape(text)


def dot_written(dot: str) -> str:
    """DOT text with each label unescaped and its scripts marked (a label, not the DOT around it, is read)."""
    def label(found: re.Match) -> str:
        return 'label="' + as_written(found.group(1).replace("\\n", "\n").replace('\\"', '"')) + '"'

    return re.sub(r'label="((?:[^"\\]|\\.)*)"', label, dot)


def svg_lines(text_element) -> list[str]:
    """The lines of one ``<text>`` of the library's SVG, each as plain characters (a script's with its line's:
    W_hh reads "Whh"): a line is a tspan placed by x and y, or the text itself; a tspan moved by dy only is a
    script (or the text after one) inside a line."""
    lines = [span for span in text_element if span.tag.endswith("tspan") and (span.get("x") or span.get("y"))]
    return ["".join(line.itertext()) for line in lines] or ["".join(text_element.itertext())]


def svg_text(element) -> str:
    """Every word under an SVG element, its scripts marked as :func:`as_written` marks them (W_{hh})."""
    from xml.etree import ElementTree

    return svg_written(ElementTree.tostring(element, encoding="unicode"))


def flat(text: str) -> str:
    """Plain text as an SVG's words read when its tspans are joined (``itertext``): every script on the line,
    its marks gone — h₂⁽²→⁾ reads "h2(2→)", W_hh "Whh", 8.6·10⁻³ "8.6·10−3"; code (my_rnn) as it is."""
    return "".join(part for part, _ in script_runs(text))


def node_step(text: str, steps: int) -> int | None:
    """The step whose forward pass computes a node, read from its words as drawn (scripts inline): "GRU cell t=3",
    "e3 = embedding", "J3 = cross_entropy" → 3; the loss J and its sum "(1/4) Σt Jt" → the last step; an input
    (x3, h0) → None: given, never computed."""
    if re.match(r"(x\d|h0|c0)", text):
        return None
    found = re.search(r"t=(\d+)", text) or re.match(r"[A-Za-zŷ]+(\d+)", text)
    return int(found.group(1)) if found else steps


def printed_value(text: str) -> float:
    """A number as a slide prints it (41.9, 8.62·10⁻³, −2.5·10⁻⁷) back to a float."""
    mantissa, _, power = text.replace("−", "-").partition("·10")
    return float(mantissa) * 10 ** int(flat(power).replace("−", "-") or 0)  # (10⁻³ reads 10−3: its power raised)
