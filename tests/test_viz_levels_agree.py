"""The step and op levels of a model say what its cell level says: each layer's initial state marked (h_0⁽¹⁾,
h_0⁽²⁾), one order of the weights in every step, a hand-written loop's x_t and J_t kept at op level.
"""

import tinygrad_rnn as tr
from tinygrad_rnn.viz.graph import build_picture

F = tr.nn.functional


def first_line(node):
    return node.label.split("\n")[0]


def two_layer_tagger(cell: str = "GRU"):
    """a user's 2-layer recurrent tagger: embedding, the layer, a linear head, cross-entropy at every step"""
    tr.manual_seed(0)
    embedding, layer, head = tr.nn.Embedding(12, 4), getattr(tr.nn, cell)(4, 5, num_layers=2, batch_first=True), \
        tr.nn.Linear(5, 6)
    output, _ = layer(embedding(tr.tensor([[1, 4, 2, 7]])))
    return F.cross_entropy(head(output).reshape(-1, 6), tr.tensor([0, 3, 2, 5]))


def test_a_step_of_two_layers_marks_each_layers_initial_states_as_the_cell_level_does():
    for cell, initial in (("GRU", ["h_0⁽¹⁾", "h_0⁽²⁾"]), ("LSTM", ["c_0⁽¹⁾", "c_0⁽²⁾", "h_0⁽¹⁾", "h_0⁽²⁾"])):
        loss = two_layer_tagger(cell)
        for level in ("cell", "step"):
            picture = build_picture((loss,), level=level)
            drawn = [first_line(n) for n in picture.nodes if n.kind == "input" and "_0" in first_line(n)]
            assert sorted(drawn) == sorted(initial), (cell, level, drawn)


def test_every_step_of_two_layers_lists_its_weights_in_one_order():
    picture = build_picture((two_layer_tagger(),), level="step")
    orders = {tuple(n.parameters) for n in picture.nodes if n.kind == "group" and n.label.startswith("step")}
    assert len(orders) == 1, orders
    (order,) = orders
    assert order.index("W_ih⁽¹⁾") < order.index("W_ih⁽²⁾") < order.index("W_hh⁽¹⁾"), order
