"""Losses and gradient clipping against PyTorch (values and gradients, float64), plus errors."""

import numpy
import pytest
from conftest import make

import tinygrad_rnn as tr
from tinygrad_rnn.device import scatter_add
from tinygrad_rnn.nn import functional as F
from tinygrad_rnn.nn.utils import clip_grad_norm_, clip_grad_value_

torch = pytest.importorskip("torch", reason="PyTorch (test oracle) is not installed")
TF = torch.nn.functional
R = numpy.random.default_rng(5)


def compare(fn_ours, fn_theirs, arrays, constants=(), device="cpu"):
    ours = [make(a, device) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    ours_out = fn_ours(*ours, *[tr.tensor(c, device=device) for c in constants])
    theirs_out = fn_theirs(*theirs, *[torch.tensor(c) for c in constants])
    numpy.testing.assert_allclose(ours_out.numpy(), theirs_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    weights = R.standard_normal(tuple(theirs_out.shape))
    (ours_out * tr.tensor(weights, device=device)).sum().backward()
    (theirs_out * torch.tensor(weights)).sum().backward()
    for mine, reference in zip(ours, theirs):
        numpy.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=1e-10, atol=1e-12)


TARGETS_2D = numpy.array([0, 3, 1, 3, 2])
TARGETS_3D = numpy.array([[0, 1, 2], [3, 3, 0]])  # (N, T) with logits (N, C, T)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_and_nll(reduction, device):
    logits = R.standard_normal((5, 4))
    compare(lambda x, t: F.cross_entropy(x, t, reduction=reduction),
            lambda x, t: TF.cross_entropy(x, t, reduction=reduction), [logits], [TARGETS_2D], device)
    compare(lambda x, t: F.nll_loss(x.log_softmax(1), t, reduction=reduction),
            lambda x, t: TF.nll_loss(x.log_softmax(1), t, reduction=reduction), [logits], [TARGETS_2D], device)


def test_cross_entropy_over_a_sequence_with_padding_ignored(device):
    logits = R.standard_normal((2, 4, 3))
    targets = TARGETS_3D.copy()
    targets[1, 2] = -100
    compare(lambda x, t: F.cross_entropy(x, t), lambda x, t: TF.cross_entropy(x, t), [logits], [targets], device)
    compare(lambda x, t: F.cross_entropy(x, t, ignore_index=3), lambda x, t: TF.cross_entropy(x, t, ignore_index=3),
            [logits], [TARGETS_3D], device)


def test_cross_entropy_unbatched(device):
    compare(lambda x, t: F.cross_entropy(x, t), lambda x, t: TF.cross_entropy(x, t), [R.standard_normal(5)],
            [numpy.array(2)], device)


def test_mse_and_binary_cross_entropy_with_logits(device):
    x, y = R.standard_normal((3, 4)), R.standard_normal((3, 4))
    compare(F.mse_loss, TF.mse_loss, [x, y], device=device)
    logits = numpy.concatenate([R.standard_normal(6) * 30, [0.0]])  # large values stay finite; 0 is no kink
    targets = R.integers(0, 2, 7).astype(float)
    for reduction in ("mean", "sum", "none"):
        compare(lambda a, t, r=reduction: F.binary_cross_entropy_with_logits(a, t, reduction=r),
                lambda a, t, r=reduction: TF.binary_cross_entropy_with_logits(a, t, reduction=r), [logits], [targets],
                device)


def test_perplexity_is_exp_of_mean_cross_entropy():
    logits, targets = R.standard_normal((6, 5)), R.integers(0, 5, 6)
    expected = numpy.exp(TF.cross_entropy(torch.tensor(logits), torch.tensor(targets)).item())
    assert F.perplexity(tr.tensor(logits), tr.tensor(targets)).item() == pytest.approx(expected)


def test_loss_errors_are_clear():
    with pytest.raises(IndexError, match=r"targets must lie in \[0, 4\)"):
        F.cross_entropy(tr.zeros(2, 4), tr.tensor([1, 4]))
    with pytest.raises(IndexError, match=r"targets must lie in \[0, 4\)"):
        F.cross_entropy(tr.zeros(2, 4), tr.tensor([1, -1]))  # negative, and not ignore_index
    with pytest.raises(IndexError, match=r"targets must lie in \[0, 4\)"):
        F.cross_entropy(tr.zeros(2, 4), tr.tensor([0, 7]), ignore_index=0)  # an in-range ignore_index, one bad target
    with pytest.raises(TypeError, match="integer class indices"):
        F.cross_entropy(tr.zeros(2, 4), tr.tensor([1.0, 2.0]))
    with pytest.raises(tr.ShapeError, match=r"needs targets of shape \(2,\)"):
        F.cross_entropy(tr.zeros(2, 4), tr.tensor([1, 2, 3]))
    with pytest.raises(ValueError, match="reduction"):
        F.mse_loss(tr.zeros(2), tr.zeros(2), reduction="avg")


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_clip_grad_norm_matches_pytorch(norm_type):
    grads = [R.standard_normal((3, 4)) * 5, R.standard_normal(4)]
    ours = [make(numpy.zeros_like(g)) for g in grads]
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, q, g in zip(ours, theirs, grads):
        p.grad, q.grad = tr.tensor(g), torch.tensor(g)
    total = clip_grad_norm_(ours, max_norm=2.0, norm_type=norm_type)
    reference = torch.nn.utils.clip_grad_norm_(theirs, max_norm=2.0, norm_type=norm_type)
    assert total.item() == pytest.approx(reference.item())
    for p, q in zip(ours, theirs):
        numpy.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-12)


def test_clip_grad_norm_leaves_small_gradients_and_clip_value_clamps():
    w = make([1.0, 1.0])
    w.grad = tr.tensor([0.3, 0.4], dtype="float64")
    assert clip_grad_norm_(w, 1.0).item() == pytest.approx(0.5)
    assert w.grad.tolist() == [0.3, 0.4]
    w.grad = tr.tensor([3.0, -0.4], dtype="float64")
    clip_grad_value_(w, 0.5)
    assert w.grad.tolist() == [0.5, -0.4]
    w.grad = tr.tensor([float("nan"), 1.0], dtype="float64")
    with pytest.raises(RuntimeError, match="nan"):
        clip_grad_norm_(w, 1.0, error_if_nonfinite=True)


def test_cross_entropy_is_one_op_with_first_and_second_order_gradients():
    rng = numpy.random.default_rng(3)
    logits = tr.tensor(rng.standard_normal((6, 5)), requires_grad=True)
    targets = tr.tensor([0, 4, 2, -100, 1, 4])
    loss = F.cross_entropy(logits, targets, ignore_index=-100)
    assert loss.grad_fn.name == "cross_entropy"  # log-softmax and NLL together: one node
    reference = F.nll_loss(logits.log_softmax(1), targets, ignore_index=-100)
    numpy.testing.assert_allclose(loss.item(), reference.item(), rtol=1e-12)
    for reduction in ("mean", "sum"):
        def loss_of(x, reduction=reduction):
            return F.cross_entropy(x, targets, ignore_index=-100, reduction=reduction)

        assert tr.gradcheck(loss_of, [logits]) and tr.gradgradcheck(loss_of, [logits])


def test_an_embedding_gradient_sums_repeated_rows():
    weight = tr.tensor(numpy.zeros((5, 2)), requires_grad=True)
    ids = numpy.array([[1, 3, 1], [0, 4, 1]])  # row 1 three times
    (F.embedding(ids, weight) * tr.tensor(numpy.arange(12.0).reshape(2, 3, 2))).sum().backward()
    expected = numpy.zeros((5, 2))
    numpy.add.at(expected, ids, numpy.arange(12.0).reshape(2, 3, 2))
    numpy.testing.assert_array_equal(weight.grad.numpy(), expected)
    target = numpy.zeros((5, 2))
    scatter_add(target, numpy.array([-1, 4, 0]), numpy.ones((3, 2)))  # -1 and 4: the same row
    numpy.testing.assert_array_equal(target[:, 0], [1, 0, 0, 0, 2])


@pytest.mark.parametrize("rows", [3, 700])  # (a few rows: numpy.add.at; a batch's: sorted and summed by run)
def test_scatter_add_sums_repeated_and_negative_rows_at_every_size(rows):
    rng = numpy.random.default_rng(rows)
    index = rng.integers(-5, 5, (rows // 7 + 1, 7))[:rows] if rows > 3 else numpy.array([-1, 4, 0])
    values = rng.standard_normal(index.shape + (8,))
    expected, target = numpy.zeros((5, 8)), numpy.zeros((5, 8))
    numpy.add.at(expected, index, values)
    scatter_add(target, index, values)
    numpy.testing.assert_allclose(target, expected, rtol=1e-12, atol=1e-12)


def test_logsumexp_skips_the_fix_for_non_finite_rows_only_where_every_row_is_finite():
    """Rows whose largest entry is finite take the short way (no where, no numpy.errstate); a batch with
    a row of −inf, +inf or NaN takes the careful way for all rows, and says nothing either way."""
    import warnings

    finite = numpy.array([[1.0, 2.0, 3.0], [-5.0, 0.0, 5.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        short = tr.tensor(finite).logsumexp(-1).tolist()
        careful = tr.tensor(numpy.vstack([finite, [[-numpy.inf] * 3], [[numpy.inf, 0.0, 1.0]]])).logsumexp(-1).tolist()
    expected = numpy.log(numpy.exp(finite).sum(1)).tolist()
    assert short == pytest.approx(expected) and careful[:2] == pytest.approx(expected)
    assert careful[2:] == [-numpy.inf, numpy.inf]
    assert numpy.isnan(tr.tensor([[numpy.nan, 1.0]]).logsumexp(-1).item())
