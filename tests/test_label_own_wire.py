"""A layer's chain rule into the layer below is named beside its own drop, never along another arrow's line.

``nn.GRU(3, 4, num_layers=2, bidirectional=True)`` as a tagger, BPTT at cell level on a slide: each layer-1 state
receives one part from each direction of layer 2, each named (∂h_t⁽²→⁾/∂h_t⁽¹→⁾)ᵀ ∂J/∂h_t⁽²→⁾ on its own drop. With no
spot clear of lines between the rows, (∂h₂⁽²→⁾/∂h₂⁽¹→⁾)ᵀ ∂J/∂h₂⁽²→⁾ lay along layer 1 reverse's arrow from step 2 into
step 3, 3 points under it, for 96 of its 115 points, and ran up to the step-3 cell: that arrow read as carrying it.
Where no spot is clear, the drop now carries a numbered marker (①) and the name is written in a key under the figure
(:mod:`tinygrad_rnn.viz.wire_markers`): 7 of the GRU's names, 12 of the LSTM's.
"""

import xml.etree.ElementTree as ElementTree

import pytest
from test_label_placement import _labels_and_lines, drawn, polyline_distance

import tinygrad_rnn as tr
import tinygrad_rnn.nn.functional as F
from tinygrad_rnn.viz.graph import build_picture
from tinygrad_rnn.viz.legibility import label_clashes
from tinygrad_rnn.viz.wire_markers import CIRCLED, KEY_HEADING, MARK_APART

ALONG = 3.5  # a level line this near a label's box (points), under more than half its width, reads as its line


def labels_along_other_lines(svg_text: str) -> list[tuple[str, float, float]]:
    """The chain-rule labels ((…)ᵀ …) of a library SVG that lie along another arrow's level line: within ALONG
    points of its box, over more than half its width. (words, the stretch along that line, its width), in points.
    An unnamed fork of its own line (the same tail) carries what it names, and is not another's."""
    lines, tails, named, labels, _ = _labels_and_lines(svg_text)
    found = []
    for words, own, (left, top, right, bottom) in labels:
        if ")T" not in words.replace("ᵀ", "T"):
            continue
        for k, line in enumerate(lines):
            if k == own or tails[k] is not None and tails[k] == tails[own] and k not in named:
                continue
            for (x0, y0), (x1, y1) in zip(line, line[1:]):
                stretch = min(right, max(x0, x1)) - max(left, min(x0, x1))
                if y0 == y1 and top - ALONG <= y0 <= bottom + ALONG and stretch > (right - left) / 2:
                    found.append((words, round(stretch, 1), round(right - left, 1)))
    return found


def test_the_measure_sees_a_label_along_another_arrows_line():
    text = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 80">'
            '<path class="edge" d="M100,0 L100,80"/><text class="edge-label" x="130" y="50">(∂h/∂g)ᵀ δ</text>'
            '<path class="edge" d="M0,40 L200,40"/></svg>')
    assert [words for words, *_ in labels_along_other_lines(text)] == ["(∂h/∂g)ᵀ δ"]


@pytest.fixture(scope="module")
def tagger_bptt() -> str:
    """The 4-step 2-layer bidirectional GRU tagger's BPTT at cell level on a slide, as the library's SVG (drawn
    once)."""
    tr.manual_seed(0)
    gru, head = tr.nn.GRU(3, 4, num_layers=2, bidirectional=True), tr.nn.Linear(8, 3)
    out, _ = gru(tr.randn(4, 1, 3))
    loss = F.cross_entropy(head(out).reshape(4, 3), tr.tensor([0, 2, 1, 0]))
    loss.name = "J"
    return drawn(build_picture((loss,), level="cell", backward=True, slide=True))


def test_a_stacked_bidirectional_grus_layer_to_layer_labels_lie_on_their_own_drops(tagger_bptt):
    """Measured before the markers: 13 names crossed by a line, 1 along another arrow's line (the LSTM's: 16 and 16;
    ranking crossed spots by whose line they lie along left 11, and set two of the LSTM's names over each other)."""
    assert labels_along_other_lines(tagger_bptt) == []
    assert label_clashes(tagger_bptt).count == 0, label_clashes(tagger_bptt)


def test_a_name_with_no_clear_spot_is_a_marker_beside_one_line_and_written_in_the_key(tagger_bptt):
    """Each marker lies beside its own line and MARK_APART from every other (it names one arrow), and the key under
    the figure writes each marker's name once, in the markers' order: the layer-to-layer chain rules."""
    lines, _, _, labels, _ = _labels_and_lines(tagger_bptt)
    markers = [(words, own, box) for words, own, box in labels if words in CIRCLED]
    assert [words for words, _, _ in markers] != []  # (before: the names lay across the lines, no marker drawn)
    for words, own, box in markers:
        assert polyline_distance(lines[own], box) < 4.0, words
        nearest_other = min(polyline_distance(line, box) for k, line in enumerate(lines) if k != own)
        assert nearest_other > MARK_APART - 1.0, (words, nearest_other)
    notes = ["".join(element.itertext()) for element in ElementTree.fromstring(tagger_bptt)
             if element.get("class") == "note"]
    key = notes[notes.index(KEY_HEADING) + 1:]
    assert [entry[0] for entry in key] == list(CIRCLED[:len(markers)])
    assert sorted(words for words, _, _ in markers) == [entry[0] for entry in key]
    assert all(entry[1:].startswith(" (∂h") and ")T ∂J/∂h" in entry for entry in key), key
