"""PyTorch's names in ``nn`` and ``nn.functional`` and at the top level that course code uses:
activations and losses as layers, ``ModuleList``, ``one_hot``, ``multinomial`` — compared with
PyTorch (values and gradients), checked by finite differences where differentiable."""

import numpy
import pytest
from conftest import assert_same_as_torch, make

import tinygrad_rnn as tr
from tinygrad_rnn.nn import functional as F

torch = pytest.importorskip("torch", reason="PyTorch (test oracle) is not installed")

R = numpy.random.default_rng(350)
LOGITS, TARGETS = R.standard_normal((6, 5)), numpy.array([0, 4, 2, 2, 1, 3])
SEQUENCE_LOGITS, SEQUENCE_TARGETS = R.standard_normal((2, 5, 3)), numpy.array([[0, 4, 1], [2, 2, 0]])

LAYERS = [
    ("Tanh", lambda nn: nn.Tanh(), [R.standard_normal((2, 3))]),
    ("ReLU", lambda nn: nn.ReLU(), [R.standard_normal((2, 3))]),
    ("Sigmoid", lambda nn: nn.Sigmoid(), [R.standard_normal((4,))]),
    ("Softmax over dim 1", lambda nn: nn.Softmax(dim=1), [R.standard_normal((2, 3, 4))]),
    ("LogSoftmax over the last dim", lambda nn: nn.LogSoftmax(dim=-1), [R.standard_normal((2, 3))]),
    ("Identity", lambda nn: nn.Identity(7, anything=1), [R.standard_normal((2, 3))]),
    ("MSELoss", lambda nn: nn.MSELoss(), [R.standard_normal((3, 2)), R.standard_normal((3, 2))]),
    ("MSELoss, sum", lambda nn: nn.MSELoss(reduction="sum"), [R.standard_normal((3, 2)), R.standard_normal((3, 2))]),
    ("MSELoss, none", lambda nn: nn.MSELoss(reduction="none"), [R.standard_normal(4), R.standard_normal(4)]),
    ("BCEWithLogitsLoss", lambda nn: nn.BCEWithLogitsLoss(), [R.standard_normal(4), R.uniform(0, 1, 4)]),
    ("CrossEntropyLoss", lambda nn: nn.CrossEntropyLoss(), [LOGITS, TARGETS]),
    ("CrossEntropyLoss, ignore_index", lambda nn: nn.CrossEntropyLoss(ignore_index=2), [LOGITS, TARGETS]),
    ("CrossEntropyLoss, sum over a sequence", lambda nn: nn.CrossEntropyLoss(reduction="sum"),
     [SEQUENCE_LOGITS, SEQUENCE_TARGETS]),
    ("NLLLoss after LogSoftmax", lambda nn: nn.Sequential(nn.LogSoftmax(dim=1)), [LOGITS]),
    ("NLLLoss", lambda nn: nn.NLLLoss(), [LOGITS, TARGETS]),
    ("NLLLoss, none, ignore_index", lambda nn: nn.NLLLoss(ignore_index=4, reduction="none"), [LOGITS, TARGETS]),
]


@pytest.mark.parametrize("name, build, arrays", LAYERS, ids=[c[0] for c in LAYERS])
def test_layers_give_pytorchs_values_and_gradients(name, build, arrays):
    assert_same_as_torch(lambda M, *inputs: build(M.nn)(*inputs), arrays, R)


@pytest.mark.parametrize("name, build, arrays", LAYERS, ids=[c[0] for c in LAYERS])
def test_layers_first_and_second_order(name, build, arrays, device):
    layer = build(tr.nn)
    floats = [make(a, device) for a in arrays if a.dtype.kind == "f"]
    ints = [tr.tensor(a, device=device) for a in arrays if a.dtype.kind != "f"]
    assert tr.gradcheck(lambda *xs: layer(*xs, *ints), floats)
    assert tr.gradgradcheck(lambda *xs: layer(*xs, *ints), floats)


@pytest.mark.parametrize("name", ["relu", "tanh", "sigmoid", "softmax", "log_softmax"])
def test_functional_activations_as_pytorch(name):
    x = R.standard_normal((3, 4))
    args = {"dim": 0} if "softmax" in name else {}
    ours = getattr(F, name)(tr.tensor(x, requires_grad=True), **args)
    theirs = getattr(torch.nn.functional, name)(torch.tensor(x, requires_grad=True), **args)
    numpy.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-12)
    assert tr.gradgradcheck(lambda t: getattr(F, name)(t, **args), [make(x)])


def test_softmax_with_a_dtype_computes_in_it():
    x = tr.randn(2, 3)
    for name in ("softmax", "log_softmax"):
        y = getattr(F, name)(x, -1, dtype=tr.float64)
        reference = getattr(torch.nn.functional, name)(torch.tensor(x.numpy()), -1, dtype=torch.float64)
        assert y.dtype == tr.float64
        numpy.testing.assert_allclose(y.numpy(), reference.numpy(), rtol=1e-12)


def test_functional_exports_public_names_only():
    assert "perplexity" in F.__all__  # the project's own
    assert set(F.__all__) - {"perplexity"} <= set(dir(torch.nn.functional))
    assert not {"array_module", "generator", "vertex_of", "Tensor", "check_input_dtype"} & set(F.__all__)
    assert all(callable(getattr(F, name)) for name in F.__all__)


def test_nn_names_exist_and_are_exported():
    names = ["NLLLoss", "CrossEntropyLoss", "MSELoss", "ModuleList", "Tanh", "ReLU", "Softmax", "LogSoftmax",
             "Identity", "Sigmoid", "BCEWithLogitsLoss"]
    assert set(names) <= set(tr.nn.__all__)
    assert all(issubclass(getattr(tr.nn, name), tr.nn.Module) for name in names)


# --- one_hot -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ids, num_classes", [([2, 0, 1], -1), ([[1, 3], [0, 0]], 5), ([], 3), (4, 6)])
def test_one_hot_is_pytorchs(ids, num_classes):
    ours = F.one_hot(tr.tensor(ids, dtype=tr.long), num_classes)
    theirs = torch.nn.functional.one_hot(torch.tensor(ids, dtype=torch.long), num_classes)
    assert ours.shape == tuple(theirs.shape) and ours.dtype == tr.int64 and ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("ids, num_classes, error, message", [
    (tr.tensor([0.0, 1.0]), -1, TypeError, "one_hot: expects integer class ids, got a tensor of dtype float32"),
    (tr.tensor([0, -1]), 3, ValueError, "one_hot: class ids must be non-negative"),
    (tr.tensor([0, 3]), 3, ValueError, "one_hot: class id 3 does not fit num_classes=3"),
    (tr.tensor([], dtype=tr.long), -1, ValueError, "cannot infer num_classes from an empty tensor"),
])
def test_one_hot_bad_input(ids, num_classes, error, message):
    with pytest.raises(error, match=message):
        F.one_hot(ids, num_classes)


# --- ModuleList ----------------------------------------------------------------------------------------------


def test_module_list_registers_parameters_with_pytorchs_names():
    def build(nn):
        model = nn.Module()
        model.layers = nn.ModuleList([nn.Linear(3, 3) for _ in range(2)])
        model.layers.append(nn.Linear(3, 1))
        return model

    ours, theirs = build(tr.nn), build(torch.nn)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == [
        "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias", "layers.2.weight", "layers.2.bias"]
    ours.load_state_dict(theirs.state_dict())
    x = R.standard_normal((4, 3))
    y_ours, y_theirs = tr.tensor(x, dtype=tr.float32), torch.tensor(x, dtype=torch.float32)
    for a, b in zip(ours.layers, theirs.layers):
        y_ours, y_theirs = a(y_ours), b(y_theirs)
    numpy.testing.assert_allclose(y_ours.numpy(), y_theirs.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_module_list_behaves_as_a_list():
    a, b, c = tr.nn.Tanh(), tr.nn.ReLU(), tr.nn.Linear(2, 2)
    layers = tr.nn.ModuleList([a, b])
    layers.insert(0, c)
    assert list(layers) == [c, a, b] and layers[-1] is b and list(layers[1:]) == [a, b]
    assert [name for name, _ in layers.named_parameters()] == ["0.weight", "0.bias"]
    del layers[0]
    layers[1] = c
    assert list(layers) == [a, c] and [name for name, _ in layers.named_children()] == ["0", "1"]
    assert len(list(layers.parameters())) == 2
    with pytest.raises(TypeError, match="ModuleList: holds modules only, got int"):
        layers.append(3)


def test_activation_and_loss_layers_say_what_is_wrong():
    with pytest.raises(ValueError, match=r"Softmax: give the dimension to normalise over, e.g. Softmax\(dim=-1\)"):
        tr.nn.Softmax()(tr.ones(2, 3))
    with pytest.raises(ValueError, match="NLLLoss: reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        tr.nn.NLLLoss(reduction="avg")
    assert repr(tr.nn.LogSoftmax(dim=1)) == "LogSoftmax(dim=1)" and repr(tr.nn.MSELoss(reduction="sum")) == \
        "MSELoss(reduction='sum')"


# --- multinomial -----------------------------------------------------------------------------------------------

# the 99.9 % quantile of the chi-square distribution with 4 degrees of freedom: a right sampler fails 1 time in 1000,
# and the seed fixes which draws are tested
CHI_SQUARE_4_DOF_999 = 18.47


@pytest.mark.parametrize("replacement", [True, False])
def test_multinomial_draws_in_proportion_to_the_weights(replacement):
    weights = numpy.array([1.0, 2.0, 3.0, 4.0, 10.0])
    tr.manual_seed(0)
    rows = 4000
    draws = tr.multinomial(tr.tensor(numpy.tile(weights, (rows, 1))), 2, replacement=replacement).numpy()
    assert draws.shape == (rows, 2) and draws.dtype == numpy.int64
    counts = numpy.bincount(draws[:, 0], minlength=5)  # the first draw of a row: in proportion either way
    expected = rows * weights / weights.sum()
    assert ((counts - expected) ** 2 / expected).sum() < CHI_SQUARE_4_DOF_999
    if not replacement:
        assert (draws[:, 0] != draws[:, 1]).all()


def test_multinomial_is_seeded_by_manual_seed_and_takes_a_generator():
    probs = tr.tensor([0.2, 0.3, 0.5])
    tr.manual_seed(3)
    first = tr.multinomial(probs, 10, replacement=True).tolist()
    tr.manual_seed(3)
    assert tr.multinomial(probs, 10, replacement=True).tolist() == first
    mine = numpy.random.default_rng(3)
    assert tr.multinomial(probs, 10, True, generator=mine).shape == (10,)
    assert sorted(tr.multinomial(probs, 3).tolist()) == [0, 1, 2]  # all three, without replacement
    assert tr.multinomial(tr.tensor([0.0, 0.0, 1.0]), 4, replacement=True).tolist() == [2, 2, 2, 2]


@pytest.mark.parametrize("weights, num_samples, message", [
    ([0.5, -0.1], 1, "must be finite and non-negative"),
    ([0.5, float("nan")], 1, "must be finite and non-negative"),
    ([[0.0, 0.0]], 1, "a row of weights sums to 0"),
    ([0.0, 1.0, 1.0], 3, "cannot draw 3 distinct samples from a row with 2 categories of nonzero weight"),
    ([[[1.0]]], 1, r"expects weights of shape \(categories,\) or \(rows, categories\), got shape \(1, 1, 1\)"),
])
def test_multinomial_bad_input(weights, num_samples, message):
    with pytest.raises(ValueError, match=message):
        tr.multinomial(tr.tensor(weights), num_samples)


# --- randint, from_numpy, is_tensor ------------------------------------------------------------------------------


@pytest.mark.parametrize("args, kwargs", [((5, (2, 3)), {}), ((2, 9, (4,)), {}), ((7,), {"size": (3, 1)}),
                                          ((0, 3, [10]), {"dtype": "int32"})])
def test_randint_takes_pytorchs_arguments(args, kwargs):
    ours = tr.randint(*args, **{k: getattr(tr, v) if k == "dtype" else v for k, v in kwargs.items()})
    theirs = torch.randint(*args, **{k: getattr(torch, v) if k == "dtype" else v for k, v in kwargs.items()})
    assert ours.shape == tuple(theirs.shape) and str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    low, high = (0, args[0]) if len(args) == 1 or isinstance(args[1], tuple) else args[:2]
    assert (ours.numpy() >= low).all() and (ours.numpy() < high).all()


def test_randint_is_seeded_and_uniform():
    tr.manual_seed(1)
    first = tr.randint(5, (5000,))
    tr.manual_seed(1)
    assert tr.randint(5, (5000,)).tolist() == first.tolist()
    counts = numpy.bincount(first.numpy(), minlength=5)
    assert ((counts - 1000) ** 2 / 1000).sum() < CHI_SQUARE_4_DOF_999


def test_randint_bad_input():
    with pytest.raises(TypeError, match=r"randint: needs a size"):
        tr.randint(5)
    with pytest.raises(ValueError, match=r"randint: the range \[3, 3\) is empty"):
        tr.randint(3, 3, (2,))


def test_from_numpy_shares_memory_as_pytorch_and_is_tensor():
    array = numpy.arange(3.0)
    ours, theirs = tr.from_numpy(array), torch.from_numpy(array)
    array[1] = 7.0
    assert ours.tolist() == theirs.tolist() == [0.0, 7.0, 2.0] and ours.dtype == tr.float64
    assert tr.is_tensor(ours) and tr.is_tensor(tr.nn.Linear(1, 1).weight) and not tr.is_tensor(array)
    with pytest.raises(TypeError, match="from_numpy: expects a NumPy array, got list"):
        tr.from_numpy([1.0])
    with pytest.raises(TypeError, match="not supported"):
        tr.from_numpy(numpy.array(["a"]))
