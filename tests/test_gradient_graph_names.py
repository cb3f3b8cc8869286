"""An op-level gradient graph (``graph --backward``, a recorded gradient graph drawn one node per backward
rule) read as a student reads it: backward starts from J, a Σ inside a step is no per-step weight term,
and each thing has one name in the figure."""

import pytest
from drawing_cases import last_step_loss

from tinygrad_rnn.viz.graph import build_picture
from tinygrad_rnn.viz.levels import is_sum_node


def gradient_graph(kind, steps=3, **options):
    _, loss = last_step_loss(kind, steps)
    return build_picture((loss,), level="op", backward=True, params="label", **options)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_backward_starts_from_js_seed(kind):
    """The last step's rule read δ from no arrow (its δ, ∂J/∂h_T, is a constant the walk does not draw): J
    is drawn, as the cell-level figures draw it, with an arrow ∂J/∂h₃ into that rule."""
    picture = gradient_graph(kind)
    fed = {head for _, head, _ in picture.edges}
    rules = [i for i, node in enumerate(picture.nodes) if node.kind == "op" and not is_sum_node(node)]
    assert all(i in fed for i in rules), [picture.nodes[i].label for i in rules if i not in fed]
    seeds = [(tail, head, label) for tail, head, label in picture.edges if picture.nodes[tail].label == "J"]
    assert [label for *_, label in seeds] == ["∂J/∂h₃"], seeds
    assert picture.nodes[seeds[0][1]].step == 3


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_a_sum_inside_a_step_has_no_step_labels(kind):
    """∂J/∂h₂ is the Σ of step 3's reads of h₂: its arrows are no "t=3" terms of a shared weight; a weight's
    Σ (in no step) keeps "t=1", "t=2", "t=3" on its terms."""
    picture = gradient_graph(kind)
    inside = {i for i, node in enumerate(picture.nodes) if is_sum_node(node) and node.step is not None}
    outside = {i for i, node in enumerate(picture.nodes) if is_sum_node(node) and node.step is None}
    assert inside and outside
    assert not [label for _, head, label in picture.edges if head in inside and "t=" in label]
    assert {label for _, head, label in picture.edges if head in outside} >= {"t=1", "t=2", "t=3"}


@pytest.mark.parametrize("kind", ["lstm", "gru"])
@pytest.mark.parametrize("notation, weight", [("pytorch", "W_hh"), ("cs224n", "W_h")])
def test_one_name_per_thing(kind, notation, weight):
    """∂J/∂weight_hh_l0 stood beside a rule that names W_hh, and r₃ = sigmoid beside the forward's r₃ = σ."""
    picture = gradient_graph(kind, notation=notation)
    words = " ".join([node.label for node in picture.nodes] + [label for *_, label in picture.edges])
    assert "weight_" not in words and "bias_" not in words and "sigmoid" not in words, words
    assert f"∂J/∂{weight}\n" in words and "= σ, backward" in words
