"""Figures of models a lecturer writes in Python say only what their graph supports: J_t's target is the
next word only where the cross-entropy's targets are the next inputs, and the words reach every figure
that draws the steps they belong to."""

import warnings

import pytest

import tinygrad_rnn as tr
from tinygrad_rnn.viz.graph import build_picture

F = tr.nn.functional
WORDS = "the keys to the".split()


def tagger_loss():
    """A 2-layer GRU tagger: its J_t predict the tags 0, 1, 2, 0, not the next words."""
    tr.manual_seed(0)
    embed, gru, out = tr.nn.Embedding(10, 4), tr.nn.GRU(4, 5, num_layers=2, batch_first=True), tr.nn.Linear(5, 5)
    states, _ = gru(embed(tr.tensor([[1, 2, 3, 1]])))
    return F.cross_entropy(out(states).reshape(-1, 5), tr.tensor([0, 1, 2, 0]))


def loop_language_model_loss():
    """A GRUCell loop with teacher forcing, written without scopes: step t reads token t, J_t predicts t + 1."""
    tr.manual_seed(0)
    emb, cell, head = tr.nn.Embedding(12, 4), tr.nn.GRUCell(4, 6), tr.nn.Linear(6, 12)
    tokens, h, losses = [1, 5, 3, 7, 2], tr.zeros(1, 6), []
    for t in range(4):
        h = cell(emb(tr.tensor([tokens[t]])), h)
        losses.append(F.cross_entropy(head(h), tr.tensor([tokens[t + 1]])))
    return tr.stack(losses).mean()


def bidirectional_classifier_loss(layer: str = "RNN"):
    """``fc(cat([h_n[-2], h_n[-1]]))`` over a bidirectional ``layer`` (an LSTM's h_n: the first of its (h_n, c_n))."""
    tr.manual_seed(0)
    emb, rnn, fc = tr.nn.Embedding(10, 3), getattr(tr.nn, layer)(3, 4, bidirectional=True, batch_first=True), \
        tr.nn.Linear(8, 2)
    _, final = rnn(emb(tr.tensor([[1, 2, 3, 4]])))
    h_n = final[0] if layer == "LSTM" else final
    return F.cross_entropy(fc(tr.cat([h_n[-2], h_n[-1]], dim=-1)), tr.tensor([1]))


def targets_written(picture) -> dict[int, str]:
    return {node.step: node.label.split("\n")[-1] for node in picture.nodes
            if "cross_entropy" in node.label and node.step is not None}


@pytest.mark.parametrize("backward", [False, True])
def test_a_tagger_s_j_t_is_never_labelled_with_the_next_word(backward):
    """tokens= on a tagger wrote J₁ target "keys", J₂ target "to": a tagger trained to predict the next word.
    Its cross-entropy's targets are the tags 0, 1, 2, 0: each J_t is labelled with its target id, and a warning
    says to pass targets= for words."""
    with pytest.warns(UserWarning, match=r"not the next words .*0, 1, 2, 0.*pass targets="):
        picture = build_picture((tagger_loss(),), level="cell", tokens=WORDS, backward=backward)
    assert targets_written(picture) == {1: "target id 0", 2: "target id 1", 3: "target id 2", 4: "target id 0"}
    assert not [node.label for node in picture.nodes if 'target "' in node.label]
    tags = ["DT", "NNS", "IN", "DT"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the words asked for: no warning
        named = build_picture((tagger_loss(),), level="cell", tokens=WORDS, targets=tags, backward=backward)
    assert targets_written(named) == {t: f'target "{tag}"' for t, tag in enumerate(tags, start=1)}


def test_a_language_model_written_as_a_loop_keeps_its_next_words():
    """The targets are the next inputs' ids (a loop's embeddings read one id a step): J_t's target is x_{t+1}'s
    word, with no warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        picture = build_picture((loop_language_model_loss(),), level="cell", tokens="a b c d e".split())
    assert targets_written(picture) == {1: 'target "b"', 2: 'target "c"', 3: 'target "d"', 4: 'target "e"'}


def test_a_classifier_s_bptt_figure_takes_the_words_of_its_forward_figure():
    """save(loss, backward=True, tokens=words) raised "draw it … at level='cell'" at level='cell': the BPTT figure
    of a classifier draws no x_t and no J_t. It writes each word by the embedding step that reads it."""
    loss = bidirectional_classifier_loss()
    picture = build_picture((loss,), level="cell", backward=True, tokens="the movie was great".split())
    lookups = {node.step: node.label.split("\n")[-1] for node in picture.nodes
               if node.label.startswith("embedding") and node.step is not None}
    assert lookups == {1: '"the"', 2: '"movie"', 3: '"was"', 4: '"great"'}
    with pytest.raises(ValueError, match=r"tokens: the sequence has 4 steps"):
        build_picture((loss,), level="cell", backward=True, tokens=["the"])


def test_a_loop_without_scopes_draws_each_step_s_embedding_head_and_loss_in_that_step_at_op_level():
    """A GRUCell loop written without tr.scope at op level drew its embeddings, heads and losses outside the steps,
    J₄, J₃, J₁, J₂ top to bottom, and every input "x": each now sits in the step it feeds or reads, as the cell
    level and a scope around each step draw them, and its ids are x₁ … x₄."""
    from tinygrad_rnn.viz.layout import labelled_layout

    picture = build_picture((loop_language_model_loss(),), level="op")
    steps: dict[str, list] = {}
    for node in picture.nodes:
        first = node.label.split("\n")[0].split(" = ")[0]
        if first == "embedding" or first == "linear" and "W_hy" in node.parameters or first[:1] in "Jx" and first[1:]:
            steps.setdefault(first, []).append(node.step)
    assert sorted(steps.pop("embedding")) == sorted(steps.pop("linear")) == [1, 2, 3, 4], steps
    assert steps == {"J₁": [1], "J₂": [2], "J₃": [3], "J₄": [4], "x₁": [1], "x₂": [2], "x₃": [3], "x₄": [4]}
    _, placed = labelled_layout(picture)
    losses = sorted((node.label, placed.boxes[i].x) for i, node in enumerate(picture.nodes)
                    if node.label.startswith("J") and node.step is not None)
    assert [x for _, x in losses] == sorted(x for _, x in losses)  # J₁ … J₄ left to right, each over its step
