"""Checks every slide must pass, shared by test_export.py and test_deck.py: standalone SVG of a
1,920 × 1,080 slide, and the smallest text on it at that size.

The text is measured in two parts: the slide's own text (title, equations, charts: every <text>
and <tspan> outside a fitted figure, in slide pixels) and each fitted figure's text, by the
figures' own measure on a slide (``viz.legibility.slide_fit``), scaled from a figure that fills
the slide to the box it is shown in.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree

from tinygrad_rnn.viz.legibility import SLIDE, slide_fit

SVG = "{http://www.w3.org/2000/svg}"
SLIDE_TEXT_PX, TITLE_PX = 24, 40


def standalone(svg_text: str) -> ElementTree.Element:
    """The root of a standalone slide: an <svg> 1920 × 1080 with its viewBox, nothing loaded from outside."""
    root = ElementTree.fromstring(svg_text)  # parses as XML
    assert root.tag == SVG + "svg"
    assert (root.get("width"), root.get("height"), root.get("viewBox")) == ("1920", "1080", "0 0 1920 1080")
    for element in root.iter():
        for name, value in element.attrib.items():
            if name.endswith("href"):
                assert value.startswith(("#", "data:")), f"an external reference: {name}={value!r}"
            assert "url(" not in value or re.fullmatch(r".*url\(#[^)]+\).*", value), f"an external url: {value!r}"
        assert element.tag not in (SVG + "script", SVG + "foreignObject"), f"a {element.tag} on a slide"
    assert "@import" not in svg_text
    return root


def figures(root: ElementTree.Element) -> list[tuple[ElementTree.Element, float]]:
    """Each figure fitted into the slide (a nested <svg>) and its scale there, in slide pixels per unit."""
    found = []
    for nested in root.iter(SVG + "svg"):
        if nested is root:
            continue
        _, _, box_width, box_height = (float(v) for v in nested.get("viewBox").split())
        found.append((nested, min(float(nested.get("width")) / box_width, float(nested.get("height")) / box_height)))
    return found


def slide_text_sizes(root: ElementTree.Element) -> list[float]:
    """The font size of every piece of the slide's own text (outside fitted figures), in slide pixels."""
    sizes, stack = [], [(root, float(root.get("font-size", 16)))]
    while stack:
        element, inherited = stack.pop()
        size = float(element.get("font-size", inherited))
        if element.tag in (SVG + "text", SVG + "tspan") and (element.text or "").strip():
            sizes.append(size)
        stack.extend((child, size) for child in element if child.tag != SVG + "svg")
    return sizes


def smallest_figure_text(root: ElementTree.Element) -> float | None:
    """The smallest text of the slide's figures as shown on it (None without a figure): what
    ``slide_fit`` finds with the figure filling the slide, scaled to the box the figure has."""
    sizes = []
    for nested, scale in figures(root):
        _, _, box_width, box_height = (float(v) for v in nested.get("viewBox").split())
        filling = min(SLIDE[0] / box_width, SLIDE[1] / box_height)
        sizes.append(round(slide_fit(ElementTree.tostring(nested, encoding="unicode")).text_px * scale / filling, 1))
    return min(sizes, default=None)


def title_px(root: ElementTree.Element) -> float:
    """The size of the slide's title: its first text."""
    return float(root.find(SVG + "text").get("font-size"))


def pdf_pages(data: bytes) -> int:
    """How many pages a PDF holds: its /Type /Page objects."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))
