"""A classifier on a stacked RNN's final states reads the states its index picks, and only those: ``head(h_n[-1])``
of a 3-layer LSTM reads layer 3's h₄ alone, and its gradient enters layer 3 alone (layers 1 and 2 get theirs
through the layers above: ‖∂J/∂h_n[i]‖ = [0, 0, 0.217] measured). The figure drew h₄⁽¹⁾, h₄⁽²⁾ and h₄⁽³⁾ on one wire
into the head, and "∂J/∂h₄⁽¹⁾, direct", "∂J/∂h₄⁽²⁾, direct" arrows that carry exactly zero.
"""

import pytest

import tinygrad_rnn as tr
import tinygrad_rnn.nn.functional as F
from tinygrad_rnn.viz.graph import build_picture


def classifier_loss(reads: str, bidirectional: bool = False) -> tr.Tensor:
    """J = cross_entropy(head(what ``reads`` takes of the LSTM's results)): 3 layers, or 2 bidirectional ones."""
    tr.manual_seed(0)
    lstm = tr.nn.LSTM(3, 4, num_layers=2 if bidirectional else 3, bidirectional=bidirectional)
    output, (h_n, c_n) = lstm(tr.randn(4, 1, 3))
    read = {"h_n[-1]": lambda: h_n[-1], "c_n[-1]": lambda: c_n[-1], "output[-1]": lambda: output[-1],
            "h_n[-2:]": lambda: h_n[-2:].transpose(0, 1).reshape(1, 8),
            "cat([h_n[-2], h_n[-1]])": lambda: tr.cat([h_n[-2], h_n[-1]], dim=1)}[reads]()
    loss = F.cross_entropy(tr.nn.Linear(read.shape[-1], 2)(read), tr.tensor([1]))
    loss.name = "J"
    return loss


def cells_at_the_head(loss: tr.Tensor, level: str, backward: bool) -> list[tuple[str, int, str]]:
    """(row, step, the arrow's name) of each cell or step the head's linear reads (forward) or feeds (BPTT)."""
    picture = build_picture((loss,), level=level, backward=backward)
    nodes = picture.nodes
    head = [i for i, node in enumerate(nodes) if node.label.split("\n")[0].split(", ")[0] == "linear"]
    pairs = [(b, a) if backward else (a, b) for a, b, _ in picture.edges]
    labels = [label for *_, label in picture.edges]
    return sorted((" ".join(nodes[cell].row[1:]), nodes[cell].step, label)
                  for (cell, reader), label in zip(pairs, labels) if reader in head and nodes[cell].kind == "group")


FORWARD_TOP = [("layer 2 forward", 4, "h₄⁽³⁾")]  # (rows are named as the scopes name them: PyTorch's layer 2)
TOP_BOTH_WAYS = [("layer 1 forward", 4, "h₄⁽²→⁾"), ("layer 1 reverse", 1, "h₁⁽²←⁾")]


@pytest.mark.parametrize("reads, bidirectional, expected", [
    ("h_n[-1]", False, FORWARD_TOP),
    ("c_n[-1]", False, [("layer 2 forward", 4, "c₄⁽³⁾")]),
    ("output[-1]", False, FORWARD_TOP),
    ("h_n[-2:]", False, [("layer 1 forward", 4, "h₄⁽²⁾"), *FORWARD_TOP]),
    ("h_n[-2:]", True, TOP_BOTH_WAYS),
    ("cat([h_n[-2], h_n[-1]])", True, TOP_BOTH_WAYS),  # as a bidirectional classifier is written: layer 2's states
])
def test_the_head_reads_the_final_states_its_index_picks(reads, bidirectional, expected):
    assert cells_at_the_head(classifier_loss(reads, bidirectional), "cell", backward=False) == expected


@pytest.mark.parametrize("level", ["cell", "step"])
def test_the_head_s_gradient_enters_only_the_layer_it_read(level):
    loss = classifier_loss("h_n[-1]")
    fed = cells_at_the_head(loss, level, backward=True)
    assert [label for *_, label in fed] == ["∂J/∂h₄⁽³⁾"], "layers 1 and 2 get no direct gradient from the head"
    assert not any("direct" in label for *_, label in build_picture((loss,), level=level, backward=True).edges)
    if level == "cell":
        assert [cell[:2] for cell in fed] == [("layer 2 forward", 4)]


def test_at_op_level_the_stack_of_final_states_feeds_only_the_layer_it_read():
    """The op level's "stack, backward" of h_n unbinds δ by layer: rows the index h_n[-1] never read carry exactly 0
    (‖∂J/∂h_n[i]‖ = [0, 0, 0.217]) and are not drawn; its rule says it stacks layers, not steps."""
    picture = build_picture((classifier_loss("h_n[-1]"),), level="op", backward=True)
    nodes = picture.nodes
    stacks = [i for i, node in enumerate(nodes) if node.label.startswith("stack, backward")]
    said = [nodes[i].label.split("\n")[1] for i in stacks]  # h_n's, and each layer's output's (layers 1 and 2)
    assert sorted(said) == ["δ by layer", "δ by step", "δ by step"]
    of_layers = stacks[said.index("δ by layer")]
    fed = sorted((nodes[head].row[1], nodes[head].step, label) for tail, head, label in picture.edges
                 if tail == of_layers)
    assert fed == [("layer 2", 4, "∂J/∂h₄⁽³⁾")], "layers 1 and 2 get their δ through the layers above"
    # a cell's two linears say which weight each is the gradient of, as the figure names them
    rules = {node.label.split("\n")[1] for node in nodes if node.label.startswith("linear, backward") and node.step}
    assert {rule for rule in rules if rule.endswith("⁽¹⁾")} == {"δᵀ h_0 for W_hh⁽¹⁾", "δ · W_hh⁽¹⁾; δᵀ h₁ for W_hh⁽¹⁾",
                                                              "δ · W_hh⁽¹⁾; δᵀ h₂ for W_hh⁽¹⁾",
                                                              "δ · W_hh⁽¹⁾; δᵀ h₃ for W_hh⁽¹⁾"}
    projections = sorted(node.label.split("\n")[1] for node in nodes
                         if node.label.startswith("linear, backward") and not node.step)  # (the head's: "weight")
    assert projections == ["δ · W; δᵀ x for W", "δ · W_ih⁽²⁾; δᵀ x for W_ih⁽²⁾", "δ · W_ih⁽³⁾; δᵀ x for W_ih⁽³⁾",
                           "δᵀ x for W_ih⁽¹⁾"]
