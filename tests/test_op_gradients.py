"""Finite-difference checks, first and second order, in float64, of every op.

Each case is (name, function, input arrays). Inputs are drawn so that no entry sits on a kink
(|x| at 0, relu at 0, ties in max, clamp's bounds), where a derivative does not exist.
"""

import functools

import numpy
import pytest
from conftest import make

import tinygrad_rnn as tr
from tinygrad_rnn.engine import ops_in_order, vertex_of

R = numpy.random.default_rng(7)


def normal(*shape):
    return R.standard_normal(shape)


def positive(*shape):
    return R.uniform(0.5, 2.0, shape)


def away_from_zero(*shape):
    return R.choice([-1.0, 1.0], shape) * R.uniform(0.2, 1.5, shape)


def distinct(*shape):
    """Entries at least 0.1 apart, so a max never ties."""
    count = int(numpy.prod(shape))
    return R.permutation(numpy.linspace(-1.5, 1.5, count)).reshape(shape)


CASES = [
    # arithmetic, with NumPy broadcasting
    ("add", lambda a, b: a + b, [normal(2, 3), normal(3)]),
    ("add broadcast both", lambda a, b: a + b, [normal(2, 1, 3), normal(4, 1)]),
    ("add scalar", lambda a: a + 2.0, [normal(2, 3)]),
    ("sub", lambda a, b: a - b, [normal(2, 3), normal(2, 1)]),
    ("rsub", lambda a: 1 - a, [normal(3)]),
    ("mul", lambda a, b: a * b, [normal(3), normal(2, 3)]),
    ("div", lambda a, b: a / b, [normal(2, 3), positive(3)]),
    ("rdiv", lambda a: 2.0 / a, [positive(4)]),
    ("neg", lambda a: -a, [normal(2, 2)]),
    ("pow int", lambda a: a**3, [normal(5)]),
    ("pow fractional", lambda a: a**2.5, [positive(5)]),
    ("pow negative", lambda a: a**-1.5, [positive(5)]),
    ("pow tensor exponent", lambda a, b: a**b, [positive(2, 3), normal(3)]),
    ("rpow", lambda a: 2.0**a, [normal(4)]),
    # elementwise functions
    ("exp", lambda a: a.exp(), [normal(2, 3)]),
    ("log", lambda a: a.log(), [positive(2, 3)]),
    ("sqrt", lambda a: a.sqrt(), [positive(2, 3)]),
    ("abs", lambda a: a.abs(), [away_from_zero(2, 3)]),
    ("tanh", lambda a: a.tanh(), [normal(2, 3)]),
    ("sigmoid", lambda a: a.sigmoid(), [normal(2, 3)]),
    ("relu", lambda a: a.relu(), [away_from_zero(2, 3)]),
    ("clamp", lambda a: a.clamp(-0.5, 0.5), [R.choice([-1.0, 0.0, 1.0], (3, 4)) + R.uniform(-0.3, 0.3, (3, 4))]),
    ("clamp min only", lambda a: a.clamp(min=0.1), [away_from_zero(6) + 0.1]),
    ("maximum", lambda a, b: tr.maximum(a, b), [distinct(2, 3), distinct(3) + 0.05]),
    ("minimum", lambda a, b: tr.minimum(a, b), [distinct(2, 3), distinct(2, 1) + 0.05]),
    ("where", lambda a, b: tr.where(tr.tensor([True, False, True], device=a.device), a, b),
     [normal(2, 3), normal(2, 1)]),
    ("lerp", lambda a, b, w: tr.lerp(a, b, w), [normal(2, 3), normal(3), R.uniform(0, 1, (2, 1))]),
    ("lerp, number weight", lambda a, b: a.lerp(b, 0.3), [normal(2, 3), normal(2, 3)]),
    ("add_n", lambda a, b, c: tr.add_n(a, b, c), [normal(2, 2), normal(2, 2), normal(2, 2)]),
    ("add_n broadcasting", lambda a, b, c: tr.add_n(a, b, c), [normal(2, 2), normal(2), normal(1, 2)]),
    # matmul with NumPy's vector and batch rules
    ("matmul", lambda a, b: a @ b, [normal(3, 4), normal(4, 2)]),
    ("matmul batch", lambda a, b: a @ b, [normal(2, 3, 4), normal(4, 2)]),
    ("matmul batch broadcast", lambda a, b: a @ b, [normal(2, 1, 3, 4), normal(3, 4, 2)]),
    ("matmul vector-matrix", lambda a, b: a @ b, [normal(3), normal(3, 2)]),
    ("matmul matrix-vector", lambda a, b: a @ b, [normal(2, 3), normal(3)]),
    ("matmul vector-vector", lambda a, b: a @ b, [normal(3), normal(3)]),
    ("matmul outer product (inner dimension 1)", lambda a, b: a @ b, [normal(4, 1), normal(1, 3)]),
    # linear: x Wᵀ + b in one op, for a batch, a sequence of batches, one sample, and no bias
    ("linear", lambda x, w, b: tr.nn.functional.linear(x, w, b), [normal(3, 4), normal(2, 4), normal(2)]),
    ("linear sequence", lambda x, w, b: tr.nn.functional.linear(x, w, b), [normal(2, 3, 4), normal(5, 4), normal(5)]),
    ("linear one sample", lambda x, w, b: tr.nn.functional.linear(x, w, b), [normal(4), normal(3, 4), normal(3)]),
    ("linear no bias, batch 1", lambda x, w: tr.nn.functional.linear(x, w), [normal(1, 4), normal(3, 4)]),
    # reductions over every axis
    ("sum all", lambda a: a.sum(), [normal(2, 3, 4)]),
    ("sum dim 0", lambda a: a.sum(0), [normal(2, 3, 4)]),
    ("sum dim 1 keepdim", lambda a: a.sum(1, keepdim=True), [normal(2, 3, 4)]),
    ("sum dim -1", lambda a: a.sum(-1), [normal(2, 3, 4)]),
    ("sum dims (0, 2)", lambda a: a.sum((0, 2)), [normal(2, 3, 4)]),
    ("mean dim 1", lambda a: a.mean(1), [normal(2, 3, 4)]),
    ("mean all keepdim", lambda a: a.mean(keepdim=True), [normal(2, 3)]),
    ("var dim 0", lambda a: a.var(0), [normal(4, 3)]),
    ("var all biased", lambda a: a.var(correction=0), [normal(4, 3)]),
    ("std dim 1 keepdim", lambda a: a.std(1, keepdim=True), [normal(3, 5)]),
    ("amax all", lambda a: a.amax(), [distinct(2, 3, 4)]),
    ("amax dim 1", lambda a: a.amax(1), [distinct(2, 3, 4)]),
    ("amin dims (0, 2) keepdim", lambda a: a.amin((0, 2), keepdim=True), [distinct(2, 3, 4)]),
    ("max dim values", lambda a: a.max(0).values, [distinct(3, 4)]),
    ("min all", lambda a: a.min(), [distinct(3, 4)]),
    ("logsumexp dim 0", lambda a: a.logsumexp(0), [normal(3, 4)]),
    ("logsumexp dim -1 keepdim", lambda a: a.logsumexp(-1, keepdim=True), [normal(3, 4)]),
    ("softmax dim 0", lambda a: a.softmax(0), [normal(3, 4)]),
    ("softmax dim 1", lambda a: a.softmax(1), [normal(2, 3, 4)]),
    ("log_softmax dim -1", lambda a: a.log_softmax(-1), [normal(3, 4)]),
    ("log_softmax dim 0", lambda a: a.log_softmax(0), [normal(3, 4)]),
    # shapes
    ("reshape", lambda a: a.reshape(3, -1), [normal(2, 3, 2)]),
    ("permute", lambda a: a.permute(2, 0, 1), [normal(2, 3, 4)]),
    ("transpose", lambda a: a.transpose(0, 2), [normal(2, 3, 4)]),
    ("T", lambda a: a.T, [normal(2, 3)]),
    ("squeeze", lambda a: a.squeeze(), [normal(2, 1, 3, 1)]),
    ("unsqueeze", lambda a: a.unsqueeze(1), [normal(2, 3)]),
    ("flatten", lambda a: a.flatten(1), [normal(2, 3, 4)]),
    ("expand", lambda a: a.expand(2, -1, 3), [normal(4, 1)]),
    ("broadcast_to", lambda a: a.broadcast_to((2, 3, 4)), [normal(3, 1)]),
    # indexing: basic, negative steps, masks, integer arrays with repeats (an embedding lookup)
    ("slice", lambda a: a[1:, ::2], [normal(3, 5)]),
    ("negative step", lambda a: a[::-1, 1], [normal(3, 5)]),
    ("ellipsis and None", lambda a: a[..., None, 0], [normal(2, 3, 4)]),
    ("int array with repeats", lambda a: a[numpy.array([0, 2, 0, 0])], [normal(3, 4)]),
    ("int tensor index", lambda a: a[tr.tensor([[1, 1], [0, 2]], device=a.device)], [normal(3, 2)]),
    ("embedding", lambda w: tr.nn.functional.embedding(tr.tensor([[1, 3], [0, 1]], device=w.device), w),
     [normal(4, 3)]),
    # (a padding row that is read gets no gradient by design — not the derivative; test_nn_modules checks it)
    ("embedding, padding row not read", lambda w: tr.nn.functional.embedding(
        tr.tensor([[1, 3], [0, 1]], device=w.device), w, padding_idx=2), [normal(4, 3)]),
    # the language model's loss: log-softmax and NLL as one op (cross_entropy), with an ignored target
    ("cross_entropy", lambda a: tr.nn.functional.cross_entropy(a, tr.tensor([1, 0, 3], device=a.device)),
     [normal(3, 4)]),
    ("cross_entropy ignore_index, sum", lambda a: tr.nn.functional.cross_entropy(
        a, tr.tensor([1, -100, 3], device=a.device), reduction="sum"), [normal(3, 4)]),
    ("two int arrays", lambda a: a[[0, 1, 1], [2, 0, 2]], [normal(2, 3)]),
    ("bool mask", lambda a: a[tr.tensor([True, False, True], device=a.device)], [normal(3, 2)]),
    ("cat dim 0", lambda a, b: tr.cat([a, b]), [normal(2, 3), normal(1, 3)]),
    ("cat dim 1", lambda a, b: tr.cat([a, b], dim=1), [normal(2, 3), normal(2, 2)]),
    ("stack dim 1", lambda a, b: tr.stack([a, b], dim=1), [normal(2, 3), normal(2, 3)]),
    ("stack as the last dim", lambda a, b: tr.stack([a, b], dim=-1), [normal(2, 3), normal(2, 3)]),
    ("split", lambda a: [p * (i + 1) for i, p in enumerate(a.split(2, dim=1))], [normal(2, 5)]),
    ("split sections", lambda a: [p * (i + 1) for i, p in enumerate(a.split([1, 3], dim=0))], [normal(4, 2)]),
    ("chunk", lambda a: [p * (i + 1) for i, p in enumerate(a.chunk(3, dim=0))], [normal(5, 2)]),
    ("split, one piece unused", lambda a: a.split(2, dim=1)[0] * 2, [normal(2, 5)]),
    ("unbind", lambda a: [p * (i + 1) for i, p in enumerate(a.unbind(1))], [normal(2, 3, 2)]),
    ("unbind the last dim of three", lambda a: [p * (i + 1) for i, p in enumerate(a.unbind(2))], [normal(2, 3, 4)]),
    ("unbind, some slices unused", lambda a: a.unbind(0)[1].exp(), [normal(3, 2)]),
]


@pytest.mark.parametrize("name, fn, arrays", CASES, ids=[case[0] for case in CASES])
def test_first_order(name, fn, arrays, device):
    inputs = [make(array, device) for array in arrays]
    assert tr.gradcheck(fn, inputs)


@pytest.mark.parametrize("name, fn, arrays", CASES, ids=[case[0] for case in CASES])
def test_second_order(name, fn, arrays, device):
    inputs = [make(array, device) for array in arrays]
    assert tr.gradgradcheck(fn, inputs)


def test_gradcheck_catches_a_wrong_gradient():
    """The checker itself can fail: an op with a deliberately wrong backward is caught."""

    class WrongTanh(tr.Function):
        def forward(self, x):
            return numpy.tanh(x)

        def backward(self, grad, out, x):
            return grad * (1 - out)  # should be 1 − out²

    x = make(normal(4))
    with pytest.raises(AssertionError, match="disagree"):
        tr.gradcheck(lambda x: WrongTanh.apply(x), [x])


def test_gradgradcheck_catches_a_backward_that_is_not_recorded():
    """A backward that drops to raw arrays gives correct first derivatives but no second ones."""

    class OpaqueSquare(tr.Function):
        def forward(self, x):
            return x * x

        def backward(self, grad, out, x):
            raw = getattr(x, "array", x)
            return grad * 2 * raw  # uses x's numbers but not x itself: not differentiable again

    x = make(normal(3))
    assert tr.gradcheck(lambda x: OpaqueSquare.apply(x), [x])
    with pytest.raises(AssertionError):
        tr.gradgradcheck(lambda x: OpaqueSquare.apply(x), [x])


def squared_in_float32(a):
    return tr.cast(a * a, tr.float32)


def test_a_cast_and_a_move_pass_the_gradient_back_to_the_inputs_dtype_and_device(device):
    """float32 rounding needs a wider finite-difference step (1e-3: the error ≈ 6e-5 of the slope)."""
    x = make(normal(5))
    assert tr.gradcheck(squared_in_float32, [x], eps=1e-3) and tr.gradgradcheck(squared_in_float32, [x], eps=1e-3)
    moved = lambda a: (a.to(device) ** 2).cpu()  # noqa: E731 — on the GPU, two ToDevice ops (on the CPU, none)
    assert tr.gradcheck(moved, [x]) and tr.gradgradcheck(moved, [x])


# Op classes of ops/ no case above records: a base class, and a move the CPU never makes (the test above, on a GPU)
NO_CASE_HERE = {"Reduction": "the base of Sum, Amax, Norm, LogSumExp, ArgMax, never applied itself",
                "ToDevice": "recorded only between two devices: test_a_cast_and_a_move_… on the GPU"}


def _ops_recorded(outputs) -> set[type]:
    roots = [vertex_of(o) for o in outputs if o is not None and o.requires_grad]
    return {type(function) for function in ops_in_order(roots)[1]}


def _op_classes(base=tr.Function) -> set[type]:
    """Every op class of ops/ (a class with a forward: not a base such as Broadcasting)."""
    found = set()
    for cls in base.__subclasses__():
        if cls.__module__.startswith("tinygrad_rnn.ops.") and cls.forward is not tr.Function.forward:
            found.add(cls)
        found |= _op_classes(cls)
    return found


def test_every_op_class_of_ops_has_a_gradient_case():
    """Each differentiable op of ops/ is recorded by a case above (or one of test_torch_methods.py's),
    forward or in its recorded backward, so gradcheck and gradgradcheck cover it. A new op needs a case."""
    import test_torch_methods

    cases = [fn for _, fn, _ in CASES] + [functools.partial(fn, tr) for _, fn, _ in test_torch_methods.DIFFERENTIABLE]
    arrays = [a for _, _, a in CASES] + [a for _, _, a in test_torch_methods.DIFFERENTIABLE]
    cases, arrays = cases + [squared_in_float32], arrays + [[normal(3)]]
    covered = set()
    for fn, values in zip(cases, arrays):
        inputs = [make(value) for value in values]
        out = fn(*inputs)
        outputs = list(out) if isinstance(out, (list, tuple)) else [out]
        covered |= _ops_recorded(outputs)
        grads = tr.grad(outputs, inputs, [tr.ones_like(o) for o in outputs], create_graph=True, allow_unused=True)
        covered |= _ops_recorded(grads)
    differentiable = {cls for cls in _op_classes() if cls.differentiable and cls.__name__ not in NO_CASE_HERE}
    assert len(differentiable) > 40
    missing = sorted(cls.__name__ for cls in differentiable - covered)
    assert not missing, f"ops without a gradient case in tests/test_op_gradients.py: {missing}"
