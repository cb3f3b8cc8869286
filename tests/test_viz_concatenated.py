"""A head that reads several states joined by cat says so: fc(cat([h_n[-2], h_n[-1]])) of a bidirectional
classifier drew two arrows into "linear" with nothing saying that it reads them as one vector."""

import shutil
import subprocess

import pytest

import tinygrad_rnn as tr
from tinygrad_rnn.viz.graph import build_picture
from tinygrad_rnn.viz.scripts import dot_markup

F = tr.nn.functional


def classifier_loss(join):
    tr.manual_seed(0)
    emb, rnn, fc = tr.nn.Embedding(10, 3), tr.nn.RNN(3, 4, bidirectional=True, batch_first=True), tr.nn.Linear(8, 2)
    _, h_n = rnn(emb(tr.tensor([[1, 2, 3, 4]])))
    return F.cross_entropy(fc(join(h_n)), tr.tensor([1]))


def head_label(loss) -> str:
    picture = build_picture((loss,), level="cell")
    (head,) = [node.label for node in picture.nodes if node.label.startswith("linear")]
    return head


def test_the_head_names_the_states_it_reads_concatenated_in_the_cat_s_order():
    forward_first = classifier_loss(lambda h_n: tr.cat([h_n[-2], h_n[-1]], dim=-1))
    assert head_label(forward_first).split("\n")[1] == "[h₄⁽→⁾; h₁⁽←⁾]"
    reverse_first = classifier_loss(lambda h_n: tr.cat([h_n[-1], h_n[-2]], dim=-1))
    assert head_label(reverse_first).split("\n")[1] == "[h₁⁽←⁾; h₄⁽→⁾]"
    summed = classifier_loss(lambda h_n: tr.cat([h_n[-2] + h_n[-1]] * 2, dim=-1))  # no state of one chain: no claim
    assert "[" not in head_label(summed)


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
def test_graphviz_keeps_a_closing_bracket_after_a_script_on_its_line():
    """Graphviz drew "h₁⁽←⁾]" over "W_hy" as "h₁⁽←⁾" over "]W_hy" (and dropped a last line's "]")."""
    markup = dot_markup("[h₁⁽←⁾]\nW_hy", 10)
    drawn = subprocess.run(["dot", "-Tsvg"], input=f"digraph {{ n [shape=box, label={markup}] }}",
                           capture_output=True, text=True, check=True).stdout
    texts = [line.rsplit('">', 1)[-1].removesuffix("</text>") for line in drawn.splitlines() if "<text" in line]
    assert "]" in texts and not [text for text in texts if text.startswith("]W")], texts
