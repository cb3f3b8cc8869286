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


@pytest.mark.parametrize("notation, said", [
    (None, "linear reads [hₜ⁽→⁾; hₜ⁽←⁾] at every step, one vector of 8: W_hy is 5 × 8"),
    ("cs224n", "linear reads [h^[→]⁽ᵗ⁾; h^[←]⁽ᵗ⁾] at every step, one vector of 8: U is 5 × 8"),
], ids=["pytorch", "cs224n"])
def test_a_bidirectional_tagger_s_head_says_it_reads_both_directions_as_one_vector(notation, said):
    """A tagger's head over a bidirectional layer's output drew two arrows into each "linear t", and nothing said
    that it reads [h_t⁽→⁾; h_t⁽←⁾], nor why its weight is |tags| × 2H: one line under the figure, in its notation."""
    tr.manual_seed(0)
    emb, gru, head = tr.nn.Embedding(10, 3), tr.nn.GRU(3, 4, bidirectional=True, batch_first=True), tr.nn.Linear(8, 5)
    output, _ = gru(emb(tr.tensor([[1, 2, 3, 4]])))
    loss = F.cross_entropy(head(output).reshape(-1, 5), tr.tensor([0, 1, 2, 0]))
    assert said in build_picture((loss,), level="cell", notation=notation).notes


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
def test_graphviz_keeps_a_closing_bracket_after_a_script_on_its_line():
    """Graphviz drew "h₁⁽←⁾]" over "W_hy" as "h₁⁽←⁾" over "]W_hy" (and dropped a last line's "]")."""
    markup = dot_markup("[h₁⁽←⁾]\nW_hy", 10)
    drawn = subprocess.run(["dot", "-Tsvg"], input=f"digraph {{ n [shape=box, label={markup}] }}",
                           capture_output=True, text=True, check=True).stdout
    texts = [line.rsplit('">', 1)[-1].removesuffix("</text>") for line in drawn.splitlines() if "<text" in line]
    assert "]" in texts and not [text for text in texts if text.startswith("]W")], texts
