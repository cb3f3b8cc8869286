"""RNN, LSTM, GRU and their cells against PyTorch, live, in float64, to 1e-6.

Each layer case is a random configuration (1–3 layers, bidirectional, batch_first, bias off,
relu, proj_size, dropout in eval mode, unbatched input, variable lengths in random order against
pack_padded_sequence(enforce_sorted=False)). PyTorch initialises the layer; its state_dict, as
NumPy arrays, is loaded into ours; outputs, final states and every gradient must agree.
"""

import numpy
import pytest
from recurrent_cases import CELLS, assert_same, layer_arguments, layer_inputs, random_layer_config, run_ours, run_torch

import tinygrad_rnn as tr

torch = pytest.importorskip("torch", reason="PyTorch (test oracle) is not installed; the golden vectors still run")

SEEDS = range(60)


@pytest.mark.parametrize("seed", SEEDS)
def test_layer_matches_pytorch(seed, device):
    rng = numpy.random.default_rng(seed)
    config = random_layer_config(rng)
    data = layer_inputs(config, rng)
    state_dict, reference = run_torch(config, data, torch, seed)
    assert_same(run_ours(config, data, state_dict, device), reference, str(config))


def test_the_random_configurations_cover_every_feature():
    configs = [random_layer_config(numpy.random.default_rng(seed)) for seed in SEEDS]
    for feature in ("bidirectional", "batch_first", "lengths", "unbatched", "initial_state"):
        assert any(c[feature] for c in configs), feature
    assert any(not c["bias"] for c in configs) and any(c["num_layers"] == 3 for c in configs)
    assert any(c.get("nonlinearity") == "relu" for c in configs) and any(c.get("proj_size") for c in configs)
    assert any(c["dropout"] for c in configs) and {c["kind"] for c in configs} == {"RNN", "LSTM", "GRU"}


@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("with_state", [True, False])
@pytest.mark.parametrize("unbatched", [False, True])
def test_cell_matches_pytorch(kind, bias, with_state, unbatched, device):
    rng = numpy.random.default_rng(hash((kind, bias, with_state, unbatched)) % 2**32)
    input_size, hidden, batch = 3, 4, 2
    extra = {"nonlinearity": "relu"} if kind == "RNNCell" and bias else {}
    torch.manual_seed(0)
    theirs = getattr(torch.nn, kind)(input_size, hidden, bias=bias, dtype=torch.float64, **extra)
    ours = CELLS[kind](input_size, hidden, bias=bias, dtype="float64", device=device, **extra)
    ours.load_state_dict(theirs.state_dict())
    lead = () if unbatched else (batch,)
    x = rng.standard_normal((*lead, input_size))
    states = [rng.standard_normal((*lead, hidden)) for _ in range(2 if kind == "LSTMCell" else 1)] if with_state else []
    weights = [rng.standard_normal((*lead, hidden)) for _ in range(2)]

    def run(module, make):
        inputs = [make(a) for a in [x, *states]]
        hx = None if not with_state else (tuple(inputs[1:]) if kind == "LSTMCell" else inputs[1])
        out = module(inputs[0], hx)
        outs = out if kind == "LSTMCell" else (out,)
        loss = sum((o * make(w, False)).sum() for o, w in zip(outs, weights))
        loss.backward()
        grads = [i.grad for i in inputs] + [p.grad for _, p in module.named_parameters()]
        return [o.detach() if hasattr(o, "detach") else o for o in outs] + grads

    reference = run(theirs, lambda a, grad=True: torch.tensor(a, requires_grad=grad))
    result = run(ours, lambda a, grad=True: tr.tensor(a, requires_grad=grad, device=device))
    for mine, expected in zip(result, reference):
        numpy.testing.assert_allclose(mine.numpy(), expected.numpy(), rtol=1e-6, atol=1e-9)


def test_pytorch_parameter_names_order_and_shapes():
    configs = [("RNN", {"num_layers": 2, "bidirectional": True}), ("LSTM", {"num_layers": 2, "proj_size": 2}),
               ("GRU", {"bias": False, "num_layers": 3}), ("LSTM", {"bidirectional": True, "proj_size": 1})]
    for kind, arguments in configs:
        theirs = getattr(torch.nn, kind)(3, 4, **arguments)
        ours = getattr(tr.nn, kind)(3, 4, **arguments)
        assert [(n, tuple(p.shape)) for n, p in theirs.named_parameters()] == \
               [(n, p.shape) for n, p in ours.named_parameters()]


def test_dropout_between_layers_in_training_mode():
    """Random masks differ between frameworks, so: shapes as PyTorch's, some difference from eval
    mode, and no dropout after the last layer (h_n of the top layer is unaffected by nothing but
    the masks of lower layers: with one layer, train and eval agree)."""
    tr.manual_seed(0)
    lstm = tr.nn.LSTM(3, 4, num_layers=2, dropout=0.5, dtype="float64")
    x = tr.randn(5, 2, 3, dtype="float64")
    train_output, (h_n, _) = lstm.train()(x)
    eval_output, _ = lstm.eval()(x)
    assert train_output.shape == eval_output.shape == (5, 2, 4) and h_n.shape == (2, 2, 4)
    assert not numpy.allclose(train_output.numpy(), eval_output.numpy())
    single = tr.nn.GRU(3, 4, num_layers=1, dtype="float64")
    numpy.testing.assert_array_equal(single.train()(x)[0].numpy(), single.eval()(x)[0].numpy())
    reference = torch.nn.LSTM(3, 4, num_layers=2, dropout=0.5).train()
    assert tuple(reference(torch.zeros(5, 2, 3))[0].shape) == train_output.shape


def test_layer_arguments_are_pytorch_keyword_compatible():
    config = random_layer_config(numpy.random.default_rng(3))
    getattr(torch.nn, config["kind"])(**layer_arguments(config))
