"""fast/head.py: a language model's head, reshape and loss as one node — its hand-composed backward
checked against finite differences (first and second order, float64) and equal to the primitive
ops (the loss and every gradient, 1e-12), with fast/ installed and not."""

import numpy
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import fast
from tinygrad_rnn.checks import gradcheck, gradgradcheck
from tinygrad_rnn.engine import ops_in_order, vertex_of
from tinygrad_rnn.fast.head import LinearCrossEntropy, linear_cross_entropy
from tinygrad_rnn.nn.functional import cross_entropy, linear


def primitive(x, weight, bias, target, ignore_index=-100):
    """What the node replaces: linear, a reshape into rows, cross_entropy — three recorded ops."""
    scores = linear(x, weight, bias)
    return cross_entropy(scores.reshape(-1, weight.shape[0]), tr.tensor(numpy.asarray(target).reshape(-1)),
                         ignore_index=ignore_index)


def inputs(seed, shape=(2, 3, 4), classes=5, bias=True):
    rng = numpy.random.default_rng(seed)
    x = tr.tensor(rng.standard_normal(shape), requires_grad=True)
    weight = tr.tensor(rng.standard_normal((classes, shape[-1])), requires_grad=True)
    b = tr.tensor(rng.standard_normal(classes), requires_grad=True) if bias else None
    return x, weight, b, rng.integers(0, classes, shape[:-1])


@pytest.mark.parametrize("shape, bias, padded", [((2, 3, 4), True, False), ((6, 4), False, False),
                                                 ((2, 3, 4), True, True)])
def test_finite_differences_first_and_second_order(shape, bias, padded):
    x, weight, b, target = inputs(0, shape, bias=bias)
    if padded:  # targets at ignore_index weigh nothing: the node's weights, as cross_entropy's
        target.reshape(-1)[:2] = 0

    def loss(*tensors):
        (value,) = LinearCrossEntropy.apply(*tensors, **counted(target, padded))
        return value

    tensors = [x, weight] + ([b] if bias else [])
    assert gradcheck(loss, tensors)
    assert gradgradcheck(loss, tensors)


def counted(target, padded):
    from tinygrad_rnn.nn.functional import cross_entropy_targets

    return cross_entropy_targets((target.size, 5), numpy.float64, target.reshape(-1), 0 if padded else -100)


@pytest.mark.parametrize("seed", range(4))
def test_equal_to_the_primitive_ops_loss_and_every_gradient(seed, fast_path):
    """Both ways (the weight's term goes through whichever gradient table is installed), float64."""
    x, weight, bias, target = inputs(seed, (int(seed % 2) + 1, 3, 4))
    fused = linear_cross_entropy(x, weight, bias, tr.tensor(target))
    assert type(fused.grad_fn) is LinearCrossEntropy
    fused.backward()
    mine = [t.grad.numpy().copy() for t in (x, weight, bias)]
    for t in (x, weight, bias):
        t.grad = None
    reference = primitive(x, weight, bias, target)
    reference.backward()
    numpy.testing.assert_allclose(fused.item(), reference.item(), rtol=0, atol=1e-12)
    for got, t in zip(mine, (x, weight, bias)):
        numpy.testing.assert_allclose(got, t.grad.numpy(), rtol=0, atol=1e-12)


def test_second_derivative_equal_to_the_primitive_ops():
    """create_graph=True records the node's backward: ∂/∂x of (∂J/∂W · R) as the primitive ops give it."""
    x, weight, bias, target = inputs(7)
    direction = tr.tensor(numpy.random.default_rng(8).standard_normal(weight.shape))
    results = []
    for make in (lambda: linear_cross_entropy(x, weight, bias, target), lambda: primitive(x, weight, bias, target)):
        (grad_weight,) = tr.grad(make(), [weight], create_graph=True)
        (second,) = tr.grad((grad_weight * direction).sum(), [x])
        results.append(second.numpy())
    numpy.testing.assert_allclose(results[0], results[1], rtol=0, atol=1e-12)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_language_model_loss_one_node_where_fast_is_installed(cell, fast_path):
    """LanguageModel.loss: the same loss and every parameter's gradient as model(ids) followed by the
    primitive head, reshape and cross_entropy (float64, 1e-12); one node only with fast/ and fused=True."""
    ids = tr.tensor(numpy.random.default_rng(1).integers(0, 11, (2, 5)))
    targets = tr.tensor(numpy.random.default_rng(2).integers(0, 11, (2, 5)))
    results = []
    for fused in (True, False):
        tr.manual_seed(0)
        model = tr.models.LanguageModel(11, 3, 4, cell=cell, dtype="float64", fused=fused)
        loss, _ = model.loss(ids, targets)
        names = [op.name for op in ops_in_order([vertex_of(loss)], freed=True)[1]]
        assert ("fused linear + cross_entropy" in names) == (fast_path == "fast" and fused is True)
        assert ("cross_entropy" in names) != ("fused linear + cross_entropy" in names)
        loss.backward()
        results.append([loss.item()] + [p.grad.numpy() for p in model.parameters()])
        logits, _ = model(ids)  # the model's forward, then the loss as a user writes it
        for p in model.parameters():
            p.grad = None
        reference = cross_entropy(logits.reshape(-1, 11), targets.reshape(-1))
        reference.backward()
        results.append([reference.item()] + [p.grad.numpy() for p in model.parameters()])
    for other in results[1:]:
        for got, expected in zip(results[0], other):
            numpy.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_training_runs_the_node_and_a_users_own_head_stays_primitive(fast_path):
    model = tr.models.LanguageModel(7, 3, 4, cell="gru")
    loss, _ = tr.training.language_model_loss(model, tr.tensor([[1, 2]]), tr.tensor([[2, 3]]))
    assert loss.grad_fn.name == ("fused linear + cross_entropy" if fast_path == "fast" else "cross_entropy")
    head = tr.nn.Linear(4, 7)  # a user's own head and loss: primitive ops, drawn as such
    user = cross_entropy(head(tr.randn(2, 4)), tr.tensor([1, 2]))
    assert type(user.grad_fn).__name__ == "CrossEntropy"


@pytest.mark.parametrize("target, message", [([[1, 9]], "9"), ([[1, 2, 3]], "")])
def test_bad_targets_get_the_primitive_ops_errors(target, message):
    """Where the node does not apply (a target that is no class, a count that does not fit) the model
    runs the primitive ops, whose error says what is wrong — the same error as without the node."""
    model = tr.models.LanguageModel(7, 3, 4, cell="rnn")
    errors = []
    was_installed = tr.models.language.HEAD_AND_LOSS is not None
    for install in (fast.install, fast.uninstall):
        install()
        with pytest.raises(Exception) as caught:
            model.loss(tr.tensor([[1, 2]]), tr.tensor(target))
        errors.append((type(caught.value), str(caught.value)))
    fast.install() if was_installed else fast.uninstall()
    assert errors[0] == errors[1] and message in errors[0][1]


def test_ignored_targets_as_cross_entropy():
    """ignore_index=-100 is cross_entropy's default: a target of -100 weighs nothing, through the node too."""
    x, weight, bias, target = inputs(3)
    target = target.astype(numpy.int64)
    target[0, 0] = -100
    fused = linear_cross_entropy(x, weight, bias, target)
    assert type(fused.grad_fn) is LinearCrossEntropy
    numpy.testing.assert_allclose(fused.item(), primitive(x, weight, bias, target).item(), rtol=0, atol=1e-12)
