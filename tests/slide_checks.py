"""Checks every slide must pass, shared by test_export.py and test_deck.py: standalone SVG of a
1,920 × 1,080 slide, and the smallest text on it at that size.

The text is measured in two parts: the slide's own text (title, equations, charts: every <text>
and <tspan> outside a fitted figure, in slide pixels) and each fitted figure's text, by the
figures' measure (``viz.legibility.measure``) at the width the figure is shown on the slide.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree

from tinygrad_rnn.viz.legibility import measure

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
    """Each figure fitted into the slide (a nested <svg>) and the width it is shown at, in slide pixels."""
    found = []
    for nested in root.iter(SVG + "svg"):
        if nested is root:
            continue
        _, _, box_width, box_height = (float(v) for v in nested.get("viewBox").split())
        scale = min(float(nested.get("width")) / box_width, float(nested.get("height")) / box_height)
        found.append((nested, scale * box_width))
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
    """The smallest text of the slide's figures as shown on it (None without a figure)."""
    sizes = [measure(ElementTree.tostring(nested, encoding="unicode"), shown_width=width).smallest_text_px
             for nested, width in figures(root)]
    return min(sizes, default=None)


def title_px(root: ElementTree.Element) -> float:
    """The size of the slide's title: its first text."""
    return float(root.find(SVG + "text").get("font-size"))


def pdf_pages(data: bytes) -> int:
    """How many pages a PDF holds: its /Type /Page objects."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))
