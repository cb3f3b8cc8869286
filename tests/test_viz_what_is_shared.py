"""What a user's figure says is shared must be true: a Σ over steps has one drop for each term the engine adds
(``tr.grad_contributions``), a tensor read at one step alone is never summed over steps, and each step's leaf
input stands under its step — for models written by hand, where nothing but the recorded graph says so."""

import pytest

import tinygrad_rnn as tr
from tinygrad_rnn.viz.graph import build_picture
from tinygrad_rnn.viz.layout import labelled_layout


def first_line(node):
    return node.label.split("\n")[0]


def linear_used_twice():
    """one Linear for the input and the state, h = tanh(L(x_t) + L(h)): two terms of each weight a step"""
    L = tr.nn.Linear(3, 3)
    xs, h = tr.randn(3, 1, 3), tr.zeros(1, 3)
    for t in range(3):
        with tr.scope(f"t={t + 1}"):
            h = (L(xs[t]) + L(h)).tanh()
    return h.sum(), {"weight": L.weight, "bias": L.bias}


def separate_weights():
    """the textbook loop, h = tanh(x_t W_xh + h W_hh), its loss in every step: one term a step"""
    W_xh, W_hh, W_hy = (tr.randn(*shape, requires_grad=True) for shape in ((2, 3), (3, 3), (3, 1)))
    W_xh.name, W_hh.name, W_hy.name = "W_xh", "W_hh", "W_hy"
    xs, h, loss = tr.randn(3, 1, 2), tr.zeros(1, 3), 0
    for t in range(3):
        with tr.scope(f"t={t + 1}"):
            h = (xs[t] @ W_xh + h @ W_hh).tanh()
            loss = loss + ((h @ W_hy) ** 2).sum()
    return loss, {"W_xh": W_xh, "W_hh": W_hh, "W_hy": W_hy}


def unnamed_weights():
    """the textbook loop with the weights named nothing, as a student writes it: W_ih, W_hh and b by their roles
    (before: three "input" nodes beside the cells, and no Σ in the BPTT figure)"""
    W_xh, W_hh, b = (tr.randn(*shape, requires_grad=True) for shape in ((2, 3), (3, 3), (3,)))
    xs, h = tr.randn(3, 1, 2), tr.zeros(1, 3)
    for t in range(3):
        with tr.scope(f"t={t + 1}"):
            h = (xs[t] @ W_xh + h @ W_hh + b).tanh()
    return h.sum(), {"W_ih": W_xh, "W_hh": W_hh, "b": b}


@pytest.mark.parametrize("make", [linear_used_twice, separate_weights, unnamed_weights])
def test_a_sums_drops_are_the_terms_the_engine_adds(make):
    """A Linear read twice a step sent three drops (t=1, 2, 3) into its Σ, where grad_contributions finds six
    terms (the op level said "Σ (6 terms)")."""
    tr.manual_seed(0)
    loss, weights = make()
    backward = build_picture((loss,), level="cell", backward=True, show_shapes=False)
    for name, weight in weights.items():
        (total,) = [i for i, node in enumerate(backward.nodes) if f"Σₜ ∂J/∂{name}|" in node.label]
        drops = [label for tail, head, label in backward.edges if head == total]
        assert len(drops) == len(tr.grad_contributions(loss, weight, retain_graph=True)), (name, drops)


def learned_initial_state(layer):
    """h₀ an nn.Parameter of the model, handed to the layer as hx"""
    class Model(tr.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn, self.h0 = layer(2, 3), tr.nn.Parameter(tr.zeros(1, 1, 3))

        def forward(self, x):
            return self.rnn(x, self.h0)

    model = Model()
    output, _ = model(tr.randn(4, 1, 2))
    return output[-1].sum(), model.h0


@pytest.mark.parametrize("layer", [tr.nn.RNN, tr.nn.GRU])
def test_a_parameter_read_at_one_step_is_never_summed_over_steps(layer):
    """An nn.Parameter h₀ sat in cell 1's list of weights, and in BPTT in the Σ with a drop from every step;
    it is the h₀ node (a parameter), and its gradient ∂J/∂h₀ is one term, from cell 1 alone."""
    tr.manual_seed(0)
    loss, h0 = learned_initial_state(layer)
    assert len(tr.grad_contributions(loss, h0, retain_graph=True)) == 1
    forward = build_picture((loss,), level="cell", show_shapes=False)
    (start,) = [i for i, node in enumerate(forward.nodes) if node.label == "h_0\nparameter"]
    assert [forward.nodes[head].step for tail, head, _ in forward.edges if tail == start] == [1]
    assert not any("h0" in node.parameters for node in forward.nodes)
    backward = build_picture((loss,), level="cell", backward=True, show_shapes=False)
    assert not any("h0" in node.label or "h_0" in node.label for node in backward.nodes if "Σ" in node.label)
    (gradient,) = [i for i, node in enumerate(backward.nodes) if node.label == "∂J/∂h_0"]
    assert [backward.nodes[tail].step for tail, head, _ in backward.edges if head == gradient] == [1]


def test_each_steps_leaf_input_stands_under_its_step_and_the_unnamed_state_is_h0():
    """The same Linear twice a step: h₀ (a zeros tensor the user named nothing) was "input", x₁ entered cell 1
    from the left, x₂ from far left, x₃ right of J, and the state's arrows were unnamed."""
    tr.manual_seed(0)
    loss, _ = linear_used_twice()
    forward = build_picture((loss,), level="cell", show_shapes=False, slide=True)
    inputs = {first_line(node): node.step for node in forward.nodes if node.kind == "input"}
    assert inputs == {"h_0": None, "x₁": 1, "x₂": 2, "x₃": 3}
    assert sorted(label for tail, _, label in forward.edges if forward.nodes[tail].kind == "group") == \
        ["h₁", "h₂", "h₃"]
    backward = build_picture((loss,), level="cell", backward=True, show_shapes=False)
    assert {"∂J/∂h₁", "∂J/∂h₂", "∂J/∂h₃"} <= {label for _, _, label in backward.edges}
    _, placed = labelled_layout(forward)
    cells = {node.step: placed.boxes[i] for i, node in enumerate(forward.nodes) if node.kind == "group"}
    for i, node in enumerate(forward.nodes):
        if node.kind == "input" and node.step is not None:
            assert placed.boxes[i].x == pytest.approx(cells[node.step].x)
            assert placed.boxes[i].y < cells[node.step].bottom
        elif node.kind == "input":  # h₀ where the state enters: left of cell 1, level with it
            assert placed.boxes[i].right < cells[1].left and placed.boxes[i].y == pytest.approx(cells[1].y)


@pytest.mark.parametrize("backward", [False, True])
def test_an_lstm_with_proj_size_says_what_w_hr_does(backward):
    """Every cell listed W_hr and the Σ summed it, but nothing said h_t = W_hr (o_t ⊙ tanh c_t), h 2 wide, c 6."""
    tr.manual_seed(0)
    output, _ = tr.nn.LSTM(3, 6, proj_size=2)(tr.randn(2, 1, 3))
    notes = build_picture((output[-1].sum(),), level="cell", backward=backward, notation="cs224n").notes
    assert "W_hr: h⁽ᵗ⁾ = W_hr (o⁽ᵗ⁾ ⊙ tanh c⁽ᵗ⁾), the projection: h⁽ᵗ⁾ is 2 wide, c⁽ᵗ⁾ 6 (proj_size = 2)" in notes


def test_a_learned_h0_and_c0_get_their_gradients_from_cell_1_in_one_node():
    """(h₀, c₀) both nn.Parameters of an LSTM: one line out of cell 1 forked into ∂J/∂h₀ and ∂J/∂c₀, as if one
    value went to both; they are one node, as a Σ holds a cell's weights, fed once by cell 1."""
    tr.manual_seed(0)
    h0, c0 = tr.nn.Parameter(tr.zeros(1, 1, 3)), tr.nn.Parameter(tr.zeros(1, 1, 3))
    output, _ = tr.nn.LSTM(2, 3)(tr.randn(3, 1, 2), (h0, c0))
    backward = build_picture((output[-1].sum(),), level="cell", backward=True, show_shapes=False)
    (gradients,) = [i for i, node in enumerate(backward.nodes) if "∂J/∂h_0" in node.label]
    assert backward.nodes[gradients].label == "∂J/∂h_0\n∂J/∂c_0"
    assert [backward.nodes[tail].step for tail, head, _ in backward.edges if head == gradients] == [1]


@pytest.mark.parametrize("state", ["h1", "h_enc"])
def test_a_learned_start_of_a_state_named_any_way_gets_its_own_gradient_node(state):
    """A hand loop whose state the user named ``h1`` or ``h_enc``, started from a tensor that learns: the figure
    finds the start from the graph (what starts the recurrence), not from its drawn name matching "h_0"; its
    gradient is one term, from cell 1 (before: no node at all, as "h1_0" and "h_enc_0" did not match)."""
    tr.manual_seed(0)
    W_xh, W_hh = tr.randn(2, 3, requires_grad=True), tr.randn(3, 3, requires_grad=True)
    W_xh.name, W_hh.name = "W_xh", "W_hh"
    xs, start = tr.randn(3, 1, 2), tr.zeros(1, 3, requires_grad=True)
    h = start
    for t in range(3):
        with tr.scope(f"t={t + 1}"):
            h = (xs[t] @ W_xh + h @ W_hh).tanh()
            h.name = state
    assert len(tr.grad_contributions(h.sum(), start, retain_graph=True)) == 1
    backward = build_picture((h.sum(),), level="cell", backward=True, show_shapes=False)
    (gradient,) = [i for i, node in enumerate(backward.nodes) if node.label == f"∂J/∂{state}_0"]
    assert [backward.nodes[tail].step for tail, head, _ in backward.edges if head == gradient] == [1]
