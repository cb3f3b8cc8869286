"""A figure's title through Graphviz: a script in it (‖∂J/∂h_t‖) drawn as one line, as the library's own SVG draws it,
not as Graphviz's pieces placed by its estimate of the font (the t under the next ‖, read as ‖∂J/∂ḩ‖)."""

import re

import pytest

from tinygrad_rnn import cli
from tinygrad_rnn.viz.dot import scripts_joined
from tinygrad_rnn.viz.render import dot_available

PIECE = '<text text-anchor="start" x="{}" y="-230.72" font-family="Helvetica"{} font-size="{}">{}</text>\n'
GRAPHVIZ_TITLE = ('<g id="graph0" class="graph" transform="translate(12 256)">\n<title>tinygrad_rnn</title>\n'
                  '<polygon fill="white" points="0,0"/>\n' + PIECE.format(156.51, "", "14.00", "tanh RNN: ‖∂J/∂h") +
                  PIECE.format(261.51, ' baseline-shift="sub"', "11.00", "t") +
                  PIECE.format(264.51, "", "14.00", "‖ for a loss on step 12") +
                  '<!-- n0 -->\n<g id="node1" class="node">\n<title>n0</title>\n' +
                  PIECE.format(10, "", "10.00", "J") + "</g>\n</g>\n")


def title_texts(svg: str) -> list[str]:
    return [text for text in re.findall(r"<text\b.*?</text>", svg, re.S) if "for a loss" in text]


def test_a_titles_pieces_are_joined_into_one_line():
    (title,) = title_texts(scripts_joined(GRAPHVIZ_TITLE))
    assert 'text-anchor="middle"' in title and '<tspan dy="0.25em" font-size="80%"' in title
    assert re.sub(r"<[^>]+>", "", title) == "tanh RNN: ‖∂J/∂ht‖ for a loss on step 12"
    assert "<title>n0</title>" in scripts_joined(GRAPHVIZ_TITLE)  # the nodes after it kept


@pytest.mark.skipif(not dot_available(), reason="Graphviz's dot program is missing (tests/setup.sh installs it)")
def test_the_compare_figures_title_is_one_line_through_graphviz(tmp_path, capsys):
    cli.main(["graph", "--compare", "--steps", "3", "--level", "cell", "-o", str(tmp_path / "cmp.svg")])
    for cell in ("rnn", "lstm", "gru"):
        (title,) = title_texts((tmp_path / f"cmp_{cell}.svg").read_text(encoding="utf-8"))
        assert re.sub(r"<[^>]+>", "", title).endswith(": ‖∂J/∂ht‖ for a loss on step 3"), title
