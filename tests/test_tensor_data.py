"""``Tensor.data`` is a Tensor, as in PyTorch: the same array, cut from the graph. Course code writes
through it (``p.data.add_(p.grad, alpha=-lr)``, ``w.data.uniform_(-0.1, 0.1)``) and replaces it
(``p.data = t``); the raw NumPy/CuPy array is ``Tensor.array``."""

import numpy
import pytest

import tinygrad_rnn as tr

torch = pytest.importorskip("torch", reason="PyTorch (test oracle) is not installed")


def both(values):
    """A float64 leaf that requires grad, in each library."""
    return (tr.tensor(values, dtype=tr.float64, requires_grad=True),
            torch.tensor(values, dtype=torch.float64, requires_grad=True))


def test_data_shares_the_array_and_a_write_through_it_changes_the_tensor():
    w = tr.ones(2, 3, requires_grad=True)
    data = w.data
    assert isinstance(data, tr.Tensor) and data.array is w.array  # a view, not a copy
    data[0, 1] = 5.0
    data.add_(1.0)
    assert w.tolist() == [[2.0, 6.0, 2.0], [2.0, 2.0, 2.0]]
    assert w.requires_grad and w.is_leaf  # still the same parameter


def test_data_is_cut_from_the_graph():
    w = tr.ones(3, requires_grad=True)
    h = w * 2
    for data in (w.data, h.data):
        assert data.grad_fn is None and not data.requires_grad and data.is_leaf
    with pytest.raises(tr.GraphError, match="does not require grad"):
        (h.data * w.data).sum().backward()
    # h.data carries a hidden state forward without the old graph, as h.detach() does
    (h.data * w).sum().backward()
    assert w.grad.tolist() == [2.0, 2.0, 2.0]


def test_data_clone_is_a_copy():
    w = tr.ones(2, requires_grad=True)
    copy = w.data.clone()
    copy.add_(1.0)
    assert w.tolist() == [1.0, 1.0] and copy.tolist() == [2.0, 2.0] and not copy.requires_grad


@pytest.mark.parametrize("step", [
    lambda p, q, lib: p.data.add_(p.grad, alpha=-0.5),  # a hand-written SGD step
    lambda p, q, lib: p.data.sub_(p.grad, alpha=2.0),
    lambda p, q, lib: p.data.mul_(3.0).div_(q.data),
    lambda p, q, lib: p.data.copy_(q.data),
    lambda p, q, lib: p.data.zero_(),
    lambda p, q, lib: p.data.fill_(7.0),
    lambda p, q, lib: p.data.mul_(2.0).add_(q.data * p.grad),
])
def test_in_place_methods_on_data_as_pytorch(step):
    """Outside no_grad(), as course code writes them: the parameter changes, stays a leaf that
    requires grad, and its next gradient is PyTorch's."""
    (p_ours, p_theirs), (q_ours, q_theirs) = both([1.0, -2.0, 3.0]), both([0.5, 4.0, -1.5])
    for p, q, lib in ((p_ours, q_ours, tr), (p_theirs, q_theirs, torch)):
        (p * p * q).sum().backward()
        result = step(p, q, lib)
        assert result.requires_grad is False
        assert p.requires_grad and p.is_leaf
        p.grad = None
        (p * p * q).sum().backward()
    numpy.testing.assert_allclose(p_ours.numpy(), p_theirs.detach().numpy(), rtol=1e-12)
    numpy.testing.assert_allclose(p_ours.grad.numpy(), p_theirs.grad.numpy(), rtol=1e-12)


def test_augmented_assignment_to_data_as_pytorch():
    """``p.data *= 4`` writes in place, then assigns the same array back to ``p.data``."""
    ours, theirs = both([1.0, 2.0])
    array = ours.array
    ours.data *= 4
    ours.data -= tr.tensor([1.0, 1.0], dtype=tr.float64)
    theirs.data *= 4
    theirs.data -= torch.tensor([1.0, 1.0], dtype=torch.float64)
    assert ours.array is array and ours.tolist() == theirs.tolist() == [3.0, 7.0]


def test_assigning_data_replaces_the_array():
    p = tr.nn.Parameter(tr.ones(2))
    optimizer = tr.optim.SGD([p], lr=0.5)
    new = tr.tensor([3.0, 4.0])
    p.data = new
    assert p.array is new.array and p.requires_grad and p.is_leaf
    (p * p).sum().backward()
    optimizer.step()  # writes into the new array
    assert p.grad.tolist() == [6.0, 8.0] and p.tolist() == new.tolist() == [0.0, 0.0]
    p.data = numpy.array([1.0, 2.0], dtype=numpy.float32)  # an array of the same kind, as before
    assert p.tolist() == [1.0, 2.0]


@pytest.mark.parametrize("value, found", [
    (tr.zeros(3), r"shape \(3,\)"),
    (tr.zeros(2, dtype=tr.float64), "float64"),
    ([1.0, 2.0], "the value is a list"),
])
def test_assigning_data_of_another_kind_says_what_to_do(value, found):
    p = tr.nn.Parameter(tr.ones(2))
    with pytest.raises(TypeError, match=rf"\.data = …: .*{found}.*"):
        p.data = value
    assert p.tolist() == [1.0, 1.0]


def test_a_write_through_data_before_backward_is_caught_where_pytorch_is_silently_wrong():
    """PyTorch's .data skips its version counter: the gradient is computed from the new values.
    Here the write is stamped as every in-place write is, and the backward that reads it refuses."""
    ours, theirs = both([5.0, 5.0])
    y_ours, y_theirs = (ours * ours).sum(), (theirs * theirs).sum()
    ours.data.zero_()
    theirs.data.zero_()
    y_theirs.backward()
    assert theirs.grad.tolist() == [0.0, 0.0]  # PyTorch: 2 · 0, not the 2 · 5 of the forward pass
    with pytest.raises(tr.GraphError, match="changed in place"):
        y_ours.backward()


def test_the_leaf_rule_still_holds_on_the_parameter_itself():
    w = tr.ones(2, requires_grad=True)
    with pytest.raises(tr.GraphError, match=r"w\.data"):  # the message names both ways out
        w.add_(1.0)
    with pytest.raises(tr.GraphError, match="leaf tensor that requires grad"):
        w.uniform_(-0.1, 0.1)


def test_uniform_and_normal_draw_as_nn_init():
    model = tr.nn.Linear(50, 40)
    tr.manual_seed(3)
    assert model.weight.data.uniform_(-0.1, 0.1) is not None
    drawn = model.weight.numpy()
    tr.manual_seed(3)
    expected = tr.nn.init.uniform_(tr.zeros(40, 50), -0.1, 0.1).numpy()
    numpy.testing.assert_array_equal(drawn, expected)
    assert numpy.abs(drawn).max() <= 0.1 and drawn.std() > 0.05
    tr.manual_seed(4)
    model.bias.data.normal_(2.0, 0.5)
    tr.manual_seed(4)
    numpy.testing.assert_array_equal(model.bias.numpy(), tr.nn.init.normal_(tr.zeros(40), 2.0, 0.5).numpy())
    with pytest.raises(TypeError, match="uniform_: the tensor is int64"):
        tr.zeros(3, dtype=tr.int64).uniform_()
