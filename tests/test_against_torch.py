"""The same code, run by tinygrad_rnn and by PyTorch, gives the same values and gradients.

Each case is a function of a module ``M`` (``tinygrad_rnn`` or ``torch``) and tensors, written with
the names both share, so the comparison also checks that names and semantics are PyTorch's —
including at ties and kinks (max, maximum, abs, relu, clamp), where a convention decides.
"""

import numpy
import pytest
from conftest import assert_same_as_torch

import tinygrad_rnn as tr

torch = pytest.importorskip("torch", reason="PyTorch (test oracle) is not installed")

R = numpy.random.default_rng(11)


def normal(*shape):
    return R.normal(size=shape)


TIES = numpy.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 1.0], [3.0, 0.0, 3.0, 3.0]])

CASES = [
    ("mlp with log_softmax", lambda M, a, b: (a @ b).tanh().log_softmax(-1), [normal(3, 4), normal(4, 5)]),
    ("sigmoid, exp, sqrt, log", lambda M, a: (a.sigmoid() + a.exp()).sqrt().log(), [normal(2, 3)]),
    ("softmax and logsumexp", lambda M, a: a.softmax(0) * a.logsumexp(1, keepdim=True), [normal(3, 4)]),
    ("var, std, mean", lambda M, a: a.var(0) + a.std(1).sum() + a.mean(), [normal(4, 3)]),
    ("broadcast arithmetic", lambda M, a, b: (a - b) / (b * b + 1) + a**2, [normal(2, 1, 3), normal(4, 3)]),
    ("reshape, permute, transpose", lambda M, a: a.reshape(2, 6).permute(1, 0).transpose(0, 1).flatten(),
     [normal(3, 4)]),
    ("squeeze, unsqueeze, expand", lambda M, a: a.unsqueeze(0).expand(3, -1, -1).squeeze(), [normal(1, 4)]),
    ("indexing", lambda M, a: a[M.tensor([0, 2, 0])][:, 1:] * a[-1, 1:], [normal(3, 4)]),
    ("cat, stack, split, chunk",
     lambda M, a, b: M.stack([M.cat([a, b], 1), M.cat(b.chunk(2, 1) + a.split(1, 1), 1)]),
     [normal(2, 2), normal(2, 2)]),
    ("where, maximum, minimum", lambda M, a, b: M.where(a > 0, M.maximum(a, b), M.minimum(a, b)),
     [normal(3, 3), normal(3, 3)]),
    ("lerp: tensor and number weights", lambda M, a, b, w: M.lerp(a, b, w) + a.lerp(b, 0.7),
     [normal(2, 3), normal(3), R.uniform(0, 1, (2, 1))]),
    ("ties: amax over a dim", lambda M, a: a.amax(1), [TIES]),
    ("ties: amax over all", lambda M, a: a.amax(), [TIES]),
    ("ties: amin over dims", lambda M, a: a.amin((0, 1)), [TIES]),
    ("ties: maximum and minimum", lambda M, a, b: M.maximum(a, b) + M.minimum(a, b) * 3, [TIES, TIES.T.copy().T]),
    ("kinks: abs and relu at 0", lambda M, a: a.abs() + a.relu() * 2, [numpy.array([-1.0, 0.0, 2.0])]),
    ("kinks: clamp at its bounds", lambda M, a: a.clamp(-0.5, 0.5), [numpy.array([-1.0, -0.5, 0.0, 0.5, 1.0])]),
    ("add and sub with alpha, as functions and methods",
     lambda M, a, b: M.add(a, b, alpha=2.5) * M.sub(b, a, alpha=-0.5) + a.add(b, alpha=3) - a.sub(b, alpha=2),
     [normal(2, 3), normal(3)]),
]


@pytest.mark.parametrize("name, fn, arrays", CASES, ids=[c[0] for c in CASES])
def test_same_values_and_gradients_as_pytorch(name, fn, arrays):
    assert_same_as_torch(fn, arrays, R)


def test_max_with_dim_matches_pytorch_values_and_indices():
    a = normal(3, 5)
    values, indices = tr.tensor(a).max(1)
    reference = torch.tensor(a).max(1)
    numpy.testing.assert_array_equal(values.numpy(), reference.values.numpy())
    numpy.testing.assert_array_equal(indices.numpy(), reference.indices.numpy())


@pytest.mark.parametrize("padding_idx", [0, -4])  # (-4: the same row counted from the end, as PyTorch allows)
def test_an_embeddings_padding_row_that_is_read_gets_no_gradient_first_or_second_order_as_in_pytorch(padding_idx):
    """The padding row (read twice here) is left at zero by the gradient's scatter itself, and the
    second derivative, through that scatter's backward, is zero at the positions that read it."""
    ids, weight, scale, probe = numpy.array([[0, 2, 0, 1]]), normal(4, 3), normal(1, 4, 3), normal(4, 3)
    results = []
    for M in (tr, torch):
        grad = tr.grad if M is tr else torch.autograd.grad
        w, s = M.tensor(weight, requires_grad=True), M.tensor(scale, requires_grad=True)
        first = (M.nn.functional.embedding(M.tensor(ids), w, padding_idx=padding_idx) ** 2 * s).sum()
        (g,) = grad(first, w, create_graph=True)
        gg = grad((g * M.tensor(probe)).sum(), (w, s))
        results.append([g.detach().numpy()] + [x.numpy() for x in gg])
    for ours, theirs in zip(*results):
        numpy.testing.assert_allclose(ours, theirs, rtol=1e-12)
    assert not results[0][0][0].any() and not results[0][2][0, [0, 2]].any()
