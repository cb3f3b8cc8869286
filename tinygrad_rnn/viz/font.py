"""How wide a line of text is drawn: each character's advance in the figures' font, the one measure behind a node's
box, the room an arrow's label is given and a slide's wrapped text.

Every figure names :data:`FAMILY`; Helvetica, Arial and Liberation Sans (Arial's free twin, what
Linux draws, and Graphviz's Helvetica there) share one set of advances, so one table serves the library's SVG, the
PNGs Graphviz draws and a browser's page. The advances are those fonts' own, in thousandths of the font's size (as
a browser reports them: an ``i`` 222, an ``m`` 833, ``∂`` 494, an arrow ``→`` a whole 1,000). A count of
characters times an average (0.6 of the size) reserved 59 points for ∂J/∂c_{t+1} where 41 are drawn, and fell
short of a ``W`` or an arrow.

>>> round(line_width("∂J/∂W", 10.0), 1), round(line_width("iiii", 10.0), 1), round(line_width("MMMM", 10.0), 1)
(27.1, 8.9, 33.3)
"""

from __future__ import annotations

import unicodedata

FAMILY = "Helvetica, Arial, sans-serif"  # every figure's font: Graphviz given "Helvetica" alone drew DejaVu Sans on
# Linux (its table of PostScript names maps it to "sans"), about a tenth wider, its text past the boxes' borders

# thousandths of the size: characters grouped by their advance (Helvetica's, Arial's and Liberation Sans's; the circled
# numbers, which those lack, as DejaVu Sans draws them in their place: wire_markers.py's marks)
_GROUPS = {
    191: "'", 188: "′", 222: "ijl", 260: "|", 278: " !,./:;I[\\]ft", 333: "()-`r·“”", 334: "{}", 354: "″\"",
    389: "*", 395: "τ", 413: "‖", 469: "^", 494: "∂", 500: "Jckvxyzsŷ", 549: "≤≥≈√",
    556: "0123456789#$?_abdeghnopquL–", 557: "δ", 584: "+<=>~−×", 611: "FTZ", 617: "σ", 618: "Σ",
    667: "ABEKPSVXY&", 713: "∞", 722: "CDHNRUw", 778: "GOQ", 833: "Mm", 838: "⊙", 889: "%", 944: "W",
    897: "①②③④⑤⑥⑦⑧⑨⑩", 1000: "…⋯←→—", 1015: "@",
}
ADVANCE = {character: width / 1000 for width, characters in _GROUPS.items() for character in characters}
# bold (a slide's title, a table's header): the characters whose advance differs, Helvetica Bold's and Liberation Sans
# Bold's. About 6 % wider in all: a title measured as regular text ran 70 px past a 1,920 px slide's right margin
_BOLD_GROUPS = {
    238: "'", 240: "′", 278: "ijl", 280: "|", 333: "!:;[]ft", 389: "r{}", 446: "τ", 474: '"', 479: "″", 498: "‖",
    500: "“”", 556: "Jckvxysŷ", 584: "^", 600: "Σ", 606: "δ", 611: "?bdghnopquL", 684: "σ", 722: "ABK&", 778: "w",
    889: "m", 975: "@",
}
BOLD = {**ADVANCE, **{character: width / 1000
                      for width, characters in _BOLD_GROUPS.items() for character in characters}}
UNKNOWN = 0.6  # a character not in the table (another alphabet's letter): a little wider than most letters here
WIDE = 1.0  # a character that East Asian typography sets a whole em wide (漢, ｗ)


def advance(character: str, bold: bool = False) -> float:
    """One character's advance, as a fraction of the font's size (a combining mark, the hat of ŷ, none).

    >>> advance("i"), advance("W"), advance("\\u0302"), advance("漢"), advance("i", bold=True)
    (0.222, 0.944, 0.0, 1.0, 0.278)
    """
    table = BOLD if bold else ADVANCE
    if character in table:
        return table[character]
    if unicodedata.combining(character):
        return 0.0
    return WIDE if unicodedata.east_asian_width(character) in "WF" else UNKNOWN


def line_width(text: str, size: float, bold: bool = False) -> float:
    """The width of ``text`` drawn in the figures' font at ``size`` (points or pixels: the result is in the same),
    in its bold face where ``bold``.

    >>> round(line_width("tanh RNN", 40.0)), round(line_width("tanh RNN", 40.0, bold=True))
    (176, 182)
    """
    return size * sum(advance(character, bold) for character in text)
