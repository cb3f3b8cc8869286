"""Labels that must name what they stand for (a lecturer's review): the per-step term of a generation loop's
score, not the logits it was computed from."""

import pytest

import tinygrad_rnn as tr
from tinygrad_rnn.viz.graph import build_picture

F = tr.nn.functional


def texts(picture) -> list[str]:
    return [node.label for node in picture.nodes] + [label for *_, label in picture.edges]


@pytest.fixture(scope="module")
def generation_score():
    """docs/drawing.md's generation loop: the logits named ŷ, the score a running sum of log-probabilities."""
    tr.manual_seed(0)
    embedding, rnn, head = tr.nn.Embedding(10, 3), tr.nn.RNN(3, 4), tr.nn.Linear(4, 10)
    token, state, score = tr.tensor([[1]]), None, 0.0
    for _ in range(4):
        output, state = rnn(embedding(token), state)
        logits = head(output[-1])
        logits.name = "ŷ"
        token = logits.argmax(-1).unsqueeze(0)
        score = score + logits.log_softmax(-1)[0, int(token.item())]
    return score


def test_a_generation_loop_s_bptt_names_each_step_s_term_not_the_logits_it_was_computed_from(generation_score):
    """∂J/∂ŷ₁ = 1 and Σₜ ∂ŷₜ/∂h₁ were Jacobians of the logits written as gradients of J: the log_softmax and the
    index folded into the edge make the term J_t, and ŷ_t is the forward node's name alone."""
    bptt = texts(build_picture((generation_score,), level="cell", backward=True))
    assert not [text for text in bptt if "ŷ" in text], bptt
    assert {"∂J/∂J₁ = 1", "∂J/∂J₄ = 1", "Σₜ₌₂⁴ ∂Jₜ/∂h₁", "∂J₁/∂h₁"} <= set(bptt)
    forward = texts(build_picture((generation_score,), level="cell"))
    assert "ŷ₁ = linear" in forward and "J₁" in forward  # ŷ_t on its node, J_t on the edge into Σₜ Jₜ


def test_a_named_score_is_the_j_its_terms_and_gradients_name_in_both_figures(generation_score):
    generation_score.name = "log p"
    try:
        roots = [build_picture((generation_score,), level="cell", backward=backward).nodes[0].label
                 for backward in (False, True)]
        cmu = build_picture((generation_score,), level="cell", backward=True, notation="cmu").nodes[0].label
    finally:
        generation_score.name = None
    assert roots == ["J = log p", "J = log p"] and cmu == "L = log p"
