"""PyTorch's Tensor methods that course code reaches for: values and gradients equal to PyTorch's,
and each differentiable one checked against finite differences, first and second order.

Each case is a function of a module ``M`` (``tinygrad_rnn`` or ``torch``) and float64 tensors,
written with the names both share.
"""

import numpy
import pytest
from conftest import assert_same_as_torch, make
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_rnn as tr

torch = pytest.importorskip("torch", reason="PyTorch (test oracle) is not installed")

R = numpy.random.default_rng(35)


def normal(*shape):
    return R.standard_normal(shape)


def distinct(*shape):
    """Entries at least 0.1 apart: no ties for topk or the inf-norm."""
    count = int(numpy.prod(shape))
    return R.permutation(numpy.linspace(-2, 2, count)).reshape(shape)


def away_from_zero(*shape):
    return R.choice([-1.0, 1.0], shape) * R.uniform(0.3, 1.5, shape)


MASK = R.random((3, 1, 4)) > 0.5

CASES = [
    ("t", lambda M, a: a.t() @ a, [normal(3, 2)]),
    ("t of a vector", lambda M, a: a.t() * 2, [normal(3)]),
    ("clone", lambda M, a: a.clone() * a, [normal(2, 3)]),
    ("contiguous of a transpose", lambda M, a: a.t().contiguous() ** 2, [normal(2, 3)]),
    ("narrow", lambda M, a: a.narrow(1, 1, 2)[:2] * a.narrow(0, -2, 2).narrow(1, 0, 2), [normal(3, 4)]),
    ("masked_fill, broadcast mask", lambda M, a: a.masked_fill(M.tensor(MASK, device=a.device), 0.5).tanh(),
     [normal(3, 2, 4)]),
    ("masked_fill by a 0-d tensor", lambda M, a, v: a.masked_fill(a > 0, v) * a, [normal(3, 4), normal()]),
    ("masked_fill -inf before softmax",
     lambda M, a: a.masked_fill(M.tensor(MASK[0, 0], device=a.device), float("-inf")).softmax(-1), [normal(2, 4)]),
    ("norm", lambda M, a: a.norm(), [normal(3, 4)]),
    ("norm over a dim, keepdim", lambda M, a: a / a.norm(dim=1, keepdim=True), [normal(3, 4)]),
    ("norm over dims", lambda M, a: a.norm(2, dim=(0, 2)), [normal(2, 3, 4)]),
    ("norm p=1", lambda M, a: a.norm(1, dim=0), [away_from_zero(3, 4)]),
    ("norm p=inf", lambda M, a: a.norm(float("inf"), dim=-1, keepdim=True), [distinct(3, 4) + 2.5]),
    ("norm p=3", lambda M, a: a.norm(3), [away_from_zero(2, 5)]),
    ("mm", lambda M, a, b: a.mm(b), [normal(2, 3), normal(3, 4)]),
    ("bmm", lambda M, a, b: a.bmm(b), [normal(5, 2, 3), normal(5, 3, 4)]),
    ("topk values", lambda M, a: a.topk(2).values * 3, [distinct(3, 5)]),
    ("topk smallest over dim 0", lambda M, a: a.topk(2, dim=0, largest=False)[0].exp(), [distinct(4, 3)]),
    ("topk of a 3-d tensor over dim 1", lambda M, a: a.topk(3, 1).values.sin(), [distinct(2, 4, 3)]),
    ("div, with broadcasting", lambda M, a, b: a.div(b), [normal(2, 3), away_from_zero(3)]),
    ("add, sub, mul with alpha", lambda M, a, b: a.add(b, alpha=2).sub(a, alpha=0.5).mul(b),
     [normal(2, 3), normal(3)]),
    ("repeat", lambda M, a: a.repeat(2, 3), [normal(2, 3)]),
    ("repeat with new dims", lambda M, a: a.repeat(2, 1, 2) * M.arange(12.0, device=a.device).reshape(2, 1, 6),
     [normal(1, 3)]),
    ("sin and cos", lambda M, a: M.sin(a) * a.cos() + M.cos(a.sin()), [normal(2, 3)]),
    ("new_zeros and new_ones join the graph as constants",
     lambda M, a: a + a.new_zeros(2, 3) + a.new_ones((1, 3)), [normal(2, 3)]),
]


@pytest.mark.parametrize("name, fn, arrays", CASES, ids=[c[0] for c in CASES])
def test_same_values_and_gradients_as_pytorch(name, fn, arrays):
    assert_same_as_torch(fn, arrays, R)


DIFFERENTIABLE = [case for case in CASES if "-inf" not in case[0]]  # (finite differences need finite values)


@pytest.mark.parametrize("name, fn, arrays", DIFFERENTIABLE, ids=[c[0] for c in DIFFERENTIABLE])
def test_first_order(name, fn, arrays, device):
    assert tr.gradcheck(lambda *xs: fn(tr, *xs), [make(a, device) for a in arrays])


@pytest.mark.parametrize("name, fn, arrays", DIFFERENTIABLE, ids=[c[0] for c in DIFFERENTIABLE])
def test_second_order(name, fn, arrays, device):
    assert tr.gradgradcheck(lambda *xs: fn(tr, *xs), [make(a, device) for a in arrays])


def test_norm_of_zeros_has_gradient_zero_as_pytorch():
    ours, theirs = tr.zeros(3, dtype=tr.float64, requires_grad=True), torch.zeros(3, dtype=torch.float64,
                                                                                  requires_grad=True)
    ours.norm().backward()
    theirs.norm().backward()
    assert ours.grad.tolist() == theirs.grad.tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("shape, k, dim, largest", [((6,), 3, 0, True), ((3, 5), 5, 1, False), ((4, 2, 3), 0, 0, True),
                                                     ((2, 7, 3), 4, -2, True)])
def test_topk_indices_are_pytorchs(shape, k, dim, largest):
    data = distinct(*shape)
    ours, theirs = tr.tensor(data).topk(k, dim, largest), torch.tensor(data).topk(k, dim, largest)
    assert ours.indices.tolist() == theirs.indices.tolist() and ours.indices.dtype == tr.int64
    assert ours.values.tolist() == theirs.values.tolist()


@pytest.mark.parametrize("a, b", [(normal(3, 1), normal(1, 4)), (numpy.arange(6).reshape(2, 3), 3)])
def test_comparison_methods_as_pytorch(a, b):
    for name in ["eq", "ne", "lt", "le", "gt", "ge"]:
        other_ours = tr.tensor(b) if isinstance(b, numpy.ndarray) else b
        other_theirs = torch.tensor(b) if isinstance(b, numpy.ndarray) else b
        ours, theirs = getattr(tr.tensor(a), name)(other_ours), getattr(torch.tensor(a), name)(other_theirs)
        assert ours.dtype == tr.bool and ours.tolist() == theirs.tolist(), name


def test_repeat_and_new_tensors_as_pytorch():
    data = numpy.arange(6).reshape(2, 3)
    assert tr.tensor(data).repeat(2, 1, 2).tolist() == torch.tensor(data).repeat(2, 1, 2).tolist()
    x, y = tr.ones(2, dtype=tr.float64), torch.ones(2, dtype=torch.float64)
    for ours, theirs in [(x.new_zeros(2, 3), y.new_zeros(2, 3)), (x.new_ones((3,)), y.new_ones((3,))),
                         (x.new_full((2,), 7), y.new_full((2,), 7)), (x.new_tensor([1, 2]), y.new_tensor([1, 2])),
                         (x.new_zeros(2, dtype=tr.long), y.new_zeros(2, dtype=torch.long))]:
        assert ours.tolist() == theirs.tolist() and str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")


def test_clone_and_contiguous_make_new_memory_only_when_asked():
    x = tr.arange(6.0).reshape(2, 3)
    copy = x.clone()
    copy += 1
    assert x.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert x.contiguous() is x and x.t().contiguous().array.flags.c_contiguous


# --- in place ------------------------------------------------------------------------------------------------


def test_in_place_methods_change_values_as_pytorch():
    a, b = normal(2, 3), normal(3)
    ours, theirs = tr.tensor(a), torch.tensor(a)
    for method, args, kwargs in [("add_", (b,), {"alpha": -0.5}), ("sub_", (b,), {"alpha": 2}), ("mul_", (b,), {}),
                                 ("div_", (b + 3,), {}), ("add_", (1.5,), {})]:
        result = getattr(ours, method)(tr.tensor(args[0]) if isinstance(args[0], numpy.ndarray) else args[0], **kwargs)
        getattr(theirs, method)(torch.tensor(args[0]) if isinstance(args[0], numpy.ndarray) else args[0], **kwargs)
        assert result is ours
        numpy.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    assert ours.fill_(2.5) is ours and ours.tolist() == theirs.fill_(2.5).tolist()
    assert ours.copy_(tr.tensor(b)).tolist() == theirs.copy_(torch.tensor(b)).tolist()  # broadcast
    assert ours.fill_(tr.tensor(1.0)).tolist() == [[1.0] * 3] * 2
    ints = tr.zeros(3, dtype=tr.long).copy_(tr.tensor([1.7, -2.2, 3.0]))  # converted, as PyTorch
    assert ints.tolist() == torch.zeros(3, dtype=torch.long).copy_(torch.tensor([1.7, -2.2, 3.0])).tolist()


def test_sgd_by_hand_through_add_under_no_grad_as_pytorch():
    for M in (tr, torch):
        w = M.tensor([1.0, 2.0], requires_grad=True)
        (w * w).sum().backward()
        with M.no_grad():
            assert w.add_(w.grad, alpha=-0.1) is w
        assert w.tolist() == pytest.approx([0.8, 1.6]) and w.is_leaf and w.requires_grad


@pytest.mark.parametrize("change, written", [(lambda w: w.add_(1), r"w\.add_\(…\)"), (lambda w: w.mul_(2), r"w\.mul_"),
                                             (lambda w: w.fill_(0), r"w\.fill_\(\)"),
                                             (lambda w: w.copy_(tr.zeros(2)), r"w\.copy_"),
                                             (lambda w: w.zero_(), r"w\.zero_\(\)")])
def test_in_place_on_a_leaf_that_requires_grad_is_refused_outside_no_grad(change, written):
    w = tr.ones(2, requires_grad=True)
    with pytest.raises(tr.GraphError, match=written + ".*leaf tensor that requires grad.*no_grad"):
        change(w)
    with tr.no_grad():
        change(w)


def test_in_place_on_a_saved_tensor_is_caught_at_backward():
    w = tr.ones(2, requires_grad=True)
    x = tr.tensor([1.0, 2.0])
    y = (w * x).sum()
    x.add_(1)
    with pytest.raises(tr.GraphError, match="changed in place"):
        y.backward()


def test_add_on_a_tensor_in_a_graph_is_recorded_as_pytorch():
    for M in (tr, torch):
        w = M.tensor([1.0, 2.0], requires_grad=True)
        h = w * 2
        h.add_(w)
        h.sum().backward()
        assert w.grad.tolist() == [3.0, 3.0]


def test_fill_and_copy_into_a_tensor_in_a_graph_say_what_to_do():
    h = tr.ones(2, requires_grad=True) * 2
    with pytest.raises(tr.GraphError, match=r"x\.fill_\(\).*part of a graph.*out of place"):
        h.fill_(0)
    with pytest.raises(tr.GraphError, match=r"x\.copy_\(…\).*value\.clone\(\)"):
        tr.zeros(2).copy_(h)


# --- register_hook ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("M", [tr, torch], ids=["tinygrad_rnn", "torch"])
def test_register_hook_sees_the_total_gradient_and_may_replace_it(M):
    w = M.tensor([1.0, 2.0], requires_grad=True)
    h = w * 3
    seen = []
    handle = h.register_hook(lambda grad: seen.append(grad.tolist()) or grad * 10)
    (h * h + h).sum().backward()  # two uses of h: the hook sees their sum, once
    assert seen == [[7.0, 13.0]] and w.grad.tolist() == [210.0, 390.0]
    handle.remove()
    handle.remove()  # again: nothing
    w.grad = None
    (w * 3).sum().backward()
    assert w.grad.tolist() == [3.0, 3.0]


@pytest.mark.parametrize("M", [tr, torch], ids=["tinygrad_rnn", "torch"])
def test_hooks_on_a_leaf_run_in_order_before_grad_is_filled(M):
    w = M.tensor([1.0, 2.0], requires_grad=True)
    w.register_hook(lambda grad: grad + 1)
    w.register_hook(lambda grad: grad * 2)
    w.register_hook(lambda grad: None)  # looks only
    (w * w).sum().backward()
    assert w.grad.tolist() == [6.0, 10.0]


def test_hooks_in_a_recorded_backward_are_differentiable_as_pytorch():
    results = []
    for M, grad in [(tr, tr.grad), (torch, torch.autograd.grad)]:
        x = M.tensor([1.5, -0.5], dtype=M.float64, requires_grad=True)
        y = x * x
        y.register_hook(lambda g, y=y: g * y)  # runs in both backward passes: y is in g's graph too
        (g,) = grad(y.sum(), x, create_graph=True)  # g = (1 · y) · 2x = 2x³
        g.sum().backward()
        results.append((g.tolist(), x.grad.tolist()))
    assert results[0][0] == pytest.approx([2 * 1.5**3, 2 * (-0.5) ** 3])
    numpy.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12)
    numpy.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)


def test_register_hook_errors():
    with pytest.raises(tr.GraphError, match="does not require grad"):
        tr.ones(2).register_hook(lambda grad: grad)
    with pytest.raises(TypeError, match="must be a function"):
        tr.ones(2, requires_grad=True).register_hook(3)
    w = tr.ones(2, requires_grad=True)
    w.register_hook(lambda grad: tr.ones(3))
    with pytest.raises(tr.ShapeError, match=r"hook returned shape \(3,\).*shape \(2,\)"):
        w.sum().backward()


# --- bad input ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("call, error, message", [
    (lambda: tr.zeros(2, 3, 4).t(), tr.ShapeError, r"t: expects a tensor of at most 2 dim.*\(2, 3, 4\)"),
    (lambda: tr.zeros(2, 3).narrow(1, 2, 2), IndexError, r"narrow: start 2 and length 2 do not fit.* size 3"),
    (lambda: tr.zeros(2, 3).narrow(2, 0, 1), IndexError, "narrow: dimension 2 is out of range"),
    (lambda: tr.zeros(2, 3).repeat(2), tr.ShapeError, r"repeat: needs a non-negative count for each of the 2"),
    (lambda: tr.zeros(2, 3).mm(tr.zeros(5, 3, 4)), tr.ShapeError, r"mm: multiplies two matrices.*\(5, 3, 4\)"),
    (lambda: tr.zeros(2, 3).mm(tr.zeros(4, 2)), tr.ShapeError, r"matmul"),
    (lambda: tr.zeros(2, 2, 3).bmm(tr.zeros(3, 3, 4)), tr.ShapeError, r"bmm: .*one batch size"),
    (lambda: tr.zeros(3).topk(4), IndexError, r"topk: k=4 is out of range for dimension 0 of size 3"),
    (lambda: tr.zeros(()).topk(1), tr.ShapeError, "topk: needs a tensor of at least one dimension"),
    (lambda: tr.zeros(3).masked_fill(tr.ones(3), 0), TypeError, "masked_fill: the mask must be a bool tensor"),
    (lambda: tr.zeros(3).masked_fill(tr.ones(2, dtype=tr.bool), 0), tr.ShapeError,
     r"masked_fill: the mask's shape \(2,\) and the tensor's shape \(3,\) do not broadcast together"),
    (lambda: tr.zeros(3).norm("nuc"), ValueError, "norm: p='nuc' is not supported"),
    (lambda: tr.zeros(3).copy_(tr.zeros(2)), ValueError, r"x\.copy_\(…\): cannot assign a value of shape \(2,\)"),
])
def test_bad_input_names_the_op_and_what_to_do(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_the_new_names_keep_results_on_the_tensors_device(device):
    x = tr.tensor([[0.5, 2.0, 1.0]], device=device, requires_grad=True)
    values, indices = x.topk(2)
    assert values.device == indices.device == device and indices.tolist() == [[1, 2]]
    assert tr.nn.functional.one_hot(indices, 3).device == device
    assert tr.multinomial(x.detach(), 1).device == device
    assert x.type() == ("torch.FloatTensor" if device == "cpu" else "torch.cuda.FloatTensor")
    assert x.type("torch.DoubleTensor").device == "cpu" and x.new_zeros(2).device == device
    seen = []
    x.register_hook(lambda grad: seen.append(grad.device))
    (x.norm() + x.clone().sin().sum() + x.repeat(2, 1).narrow(0, 1, 1).sum()).backward()
    assert seen == [tr.device(device)] and x.grad.device == device
    with tr.no_grad():
        x.add_(tr.ones(3, device=device), alpha=2).fill_(1.0).copy_(tr.zeros(3))  # copy_ from the CPU: allowed
    assert x.tolist() == [[0.0, 0.0, 0.0]] and x.device == device


# --- random shapes -----------------------------------------------------------------------------------------------

shapes = hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4)


@given(shapes, st.data())
def test_norm_over_random_dims_as_pytorch(shape, data):
    dims = data.draw(st.lists(st.integers(-len(shape), len(shape) - 1), min_size=1, max_size=len(shape),
                              unique_by=lambda d: d % len(shape)) | st.none())
    p = data.draw(st.sampled_from([2, 1, 3, float("inf")]))  # (PyTorch's "fro" takes one or two dims only)
    keepdim = data.draw(st.booleans())
    rng = numpy.random.default_rng(data.draw(st.integers(0, 2**31)))
    values = rng.permutation(numpy.linspace(0.5, 2.0, int(numpy.prod(shape)))).reshape(shape)  # no ties, no zeros
    values *= rng.choice([-1.0, 1.0], shape)
    assert_same_as_torch(lambda M, a: a.norm(p, dim=None if dims is None else tuple(dims), keepdim=keepdim),
                         [values], rng)


@given(shapes, st.data())
def test_repeat_narrow_topk_masked_fill_over_random_shapes_as_pytorch(shape, data):
    rng = numpy.random.default_rng(data.draw(st.integers(0, 2**31)))
    values = rng.permutation(numpy.linspace(-2.0, 2.0, int(numpy.prod(shape)))).reshape(shape)
    repeats = data.draw(st.lists(st.integers(1, 3), min_size=len(shape), max_size=len(shape) + 2))
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    start = data.draw(st.integers(0, shape[dim] - 1))
    length = data.draw(st.integers(0, shape[dim] - start))
    k = data.draw(st.integers(0, shape[dim]))
    largest = data.draw(st.booleans())
    mask_shape = data.draw(hnp.broadcastable_shapes(shape, max_dims=len(shape) + 1))  # either may broadcast
    mask = rng.random(mask_shape) > 0.5
    assert_same_as_torch(lambda M, a: a.repeat(*repeats), [values], rng)
    assert_same_as_torch(lambda M, a: a.narrow(dim, start, length), [values], rng)
    assert_same_as_torch(lambda M, a: a.topk(k, dim, largest).values, [values], rng)
    assert_same_as_torch(lambda M, a: a.masked_fill(M.tensor(mask), 0.25), [values], rng)
