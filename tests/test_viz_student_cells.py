"""A cell the student writes draws as the recurrence it is, in each form a course writes it: an LSTM cell Module
returning (h, c), handed back its state in a tuple or one by one; a cell returning (output, hidden) fed back its
hidden state alone; a plain function of raw ops called in a loop, found in the graph as the same ops repeated (a
Module fed back one h: test_viz_student_loops.py)."""

import pytest
from test_viz_student_loops import between_cells, labels

import tinygrad_rnn as tr
from tinygrad_rnn.viz.graph import build_picture


def hand_loop(steps=4):
    """h = rnn_cell(x_t, h), a plain function of raw ops (no module, no scope), a squared error at every step"""
    tr.manual_seed(0)
    W_xh, W_hh, W_hy = (tr.randn(*shape, requires_grad=True) for shape in [(2, 3), (3, 3), (3, 1)])
    b = tr.zeros(3, requires_grad=True)
    W_xh.name, W_hh.name, W_hy.name, b.name = "W_xh", "W_hh", "W_hy", "b"

    def rnn_cell(x, h):
        return tr.tanh(x @ W_xh + h @ W_hh + b)

    xs, h, loss = tr.randn(steps, 1, 2), tr.zeros(1, 3), 0
    for t in range(steps):
        h = rnn_cell(xs[t], h)
        loss = loss + (((h @ W_hy) - 1.0) ** 2).sum()
    loss.name = "J"
    return loss


@pytest.mark.parametrize("backward", [False, True])
def test_a_plain_function_cell_called_in_a_loop_is_found_as_the_steps_of_a_recurrence(backward):
    """h = rnn_cell(x_t, h), a def of raw ops: W_hh read once a step by the state the step before made, the same ops
    each time — cells t = 1 … 4 as its scoped loop draws, a note saying how they were found (it drew "No time steps
    found" and every op), and in BPTT one Σₜ per weight (it was "Σ (4 terms)", no step)."""
    picture = build_picture((hand_loop(),), level="cell", backward=backward, show_shapes=False)
    cells = sorted((node.step, node.label.split("\n")[0]) for node in picture.nodes if node.kind == "group")
    assert [cell for cell in cells if cell[1].startswith("cell")] == [
        (t, "cell, backward" if backward else "cell") for t in (1, 2, 3, 4)]
    assert picture.notes[0].startswith("Steps found from the graph") and not [
        note for note in picture.notes if note.startswith("No time steps found")]
    between = sorted(label for a, b, label in picture.edges if picture.nodes[a].label.startswith("cell") and
                     picture.nodes[b].label.startswith("cell"))
    if backward:
        sums = " ".join(label for label in labels(picture, "output"))
        assert all(f"∂J/∂{w} = Σₜ ∂J/∂{w}|₍ₜ₎" in sums for w in ("W_xh", "W_hh", "b", "W_hy")), sums
        assert between == ["Σₜ₌₂⁴ ∂Jₜ/∂h₁", "Σₜ₌₃⁴ ∂Jₜ/∂h₂", "∂J₄/∂h₃"]  # (its loss J_t, one a step)
    else:
        assert between == ["h₁", "h₂", "h₃"]
        assert sorted((node.step or 0, node.label) for node in picture.nodes if node.kind == "input") == [
            (0, "h_0"), (1, "x₁"), (2, "x₂"), (3, "x₃"), (4, "x₄")]


def test_a_function_cell_of_library_layers_is_found_as_well():
    """def cell(x, h): tanh(lin_x(x) + lin_h(h)) — two nn.Linear with biases, no module around them: lin_h's weight
    read once a step by the state, beside its bias (it drew "No time steps found")."""
    tr.manual_seed(0)
    lin_x, lin_h = tr.nn.Linear(2, 3), tr.nn.Linear(3, 3)
    xs, h = tr.randn(3, 1, 2), tr.zeros(1, 3)
    for t in range(3):
        h = tr.tanh(lin_x(xs[t]) + lin_h(h))
    picture = build_picture((h.sum(),), level="cell", show_shapes=False)
    assert sorted(label for label in labels(picture, "group")) == [f"cell\nt={t}" for t in (1, 2, 3)]
    assert sorted(label for _, _, label in picture.edges if label) == ["h₁", "h₂", "h₃"]


class MyLSTMCell(tr.nn.Module):
    """An LSTM cell written by hand, returning (h, c) as nn.LSTMCell does; handed its state in a tuple or one by one."""

    def __init__(self, in_tuple):
        super().__init__()
        self.W_x, self.W_h, self.in_tuple = tr.nn.Linear(2, 12), tr.nn.Linear(3, 12, bias=False), in_tuple

    def forward(self, x, *state):
        h, c = state[0] if self.in_tuple else state
        i, f, g, o = (self.W_x(x) + self.W_h(h)).chunk(4, dim=-1)
        c = f.sigmoid() * c + i.sigmoid() * g.tanh()
        return o.sigmoid() * c.tanh(), c


@pytest.mark.parametrize("in_tuple", [True, False])
def test_the_students_own_lstm_cell_returning_h_and_c_is_a_recurrence_of_steps(in_tuple):
    """h, c = cell(x_t, (h, c)) and h, c = cell(x_t, h, c): "MyLSTM cell" t = 1 … 3, h_t and c_t between them, h₀ and
    c₀ (it drew "No time steps found": every op, four leaves "input"); BPTT: a gradient arrow for each state, one Σₜ
    per weight."""
    tr.manual_seed(0)
    cell, xs, h, c = MyLSTMCell(in_tuple), tr.randn(3, 1, 2), tr.zeros(1, 3), tr.zeros(1, 3)
    for t in range(3):
        h, c = cell(xs[t], (h, c)) if in_tuple else cell(xs[t], h, c)
    loss = h.sum()
    loss.name = "J"
    forward = build_picture((loss,), level="cell", show_shapes=False)
    assert sorted((node.step, node.label) for node in forward.nodes if node.kind == "group") == [
        (t, f"MyLSTM cell\nt={t}") for t in (1, 2, 3)]
    assert sorted(between_cells(forward)) == [(1, 2, "c₁"), (1, 2, "h₁"), (2, 3, "c₂"), (2, 3, "h₂")]
    assert sorted((node.step or 0, node.label) for node in forward.nodes if node.kind == "input") == [
        (0, "c_0"), (0, "h_0"), (1, "x₁"), (2, "x₂"), (3, "x₃")]
    backward = build_picture((loss,), level="cell", backward=True, show_shapes=False)
    assert sorted(between_cells(backward)) == [(2, 1, "(∂c₂/∂c₁)ᵀ ∂J/∂c₂"), (2, 1, "∂J/∂h₁"),
                                               (3, 2, "(∂c₃/∂c₂)ᵀ ∂J/∂c₃"), (3, 2, "∂J/∂h₂")]
    sums = next(node.label for node in backward.nodes if node.kind == "output" and node.label != "J")
    assert sums.splitlines() == [f"∂J/∂{w} = Σₜ ∂J/∂{w}|₍ₜ₎" for w in ("W_h.weight", "W_x.weight", "W_x.bias")]


class TutorialRNN(tr.nn.Module):
    """PyTorch's char-RNN tutorial's cell: it returns (output, hidden), and only the hidden state is fed back."""

    def __init__(self):
        super().__init__()
        self.i2h, self.h2o = tr.nn.Linear(2 + 3, 3), tr.nn.Linear(3, 4)

    def forward(self, x, hidden):
        hidden = self.i2h(tr.cat([x, hidden], dim=-1)).tanh()
        return self.h2o(hidden), hidden


def test_a_cell_returning_its_output_and_its_state_names_only_the_state_fed_back_h():
    tr.manual_seed(0)
    cell, hidden = TutorialRNN(), tr.zeros(1, 3)
    outputs = []
    for _ in range(3):
        output, hidden = cell(tr.randn(1, 2), hidden)
        outputs.append(output)
    assert [(output.name, output.grad_fn.step.t) for output in outputs] == [(None, 1), (None, 2), (None, 3)]
    assert hidden.name == "h" and hidden.grad_fn.step.t == 3


def test_a_first_step_written_apart_is_no_step_found_one_late():
    """h = tanh(x_1 @ W_x + b) where h is None, the cell with W_h after: the first W_h read's state was made with the
    cell's own weights, so which op is step 1 is not certain — no steps are made up (they were drawn t = 1 … 3 for four
    steps, h₁ the loop's h₂, the first step's weights drawn as inputs)."""
    W_x, W_h = tr.randn(2, 3, requires_grad=True), tr.randn(3, 3, requires_grad=True)
    b = tr.zeros(3, requires_grad=True)
    h = None
    for x in tr.randn(4, 1, 2):
        h = tr.tanh(x @ W_x + b) if h is None else tr.tanh(x @ W_x + h @ W_h + b)
    picture = build_picture((h.sum(),), level="cell", show_shapes=False)
    assert [node for node in picture.nodes if node.kind == "group"] == []
    assert picture.notes[0].startswith("No time steps found")
