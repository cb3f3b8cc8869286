"""The benchmarks' hand-derived NumPy BPTT computes the same loss and gradients as the framework
(float64), so that comparing their speeds compares the same work."""

import importlib.util
import pathlib
import sys

import numpy
import pytest

import tinygrad_rnn as tr

spec = importlib.util.spec_from_file_location(
    "numpy_baseline", pathlib.Path(__file__).resolve().parent.parent / "benchmarks" / "numpy_baseline.py")
baseline = importlib.util.module_from_spec(spec)
spec.loader.exec_module(baseline)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_hand_derived_gradients_equal_the_frameworks(cell, fast_path):  # (both ways: fast/ installed and not)
    vocab, embed, hidden, batch, steps = 11, 5, 6, 3, 7
    params = baseline.init_params(cell, vocab, embed, hidden, seed=1, dtype=numpy.float64)
    rng = numpy.random.default_rng(2)
    ids, targets = rng.integers(0, vocab, (batch, steps)), rng.integers(0, vocab, (batch, steps))
    loss, grads = baseline.loss_and_grads(cell, params, ids, targets)

    model = tr.models.LanguageModel(vocab, embed, hidden, cell=cell, dtype="float64")
    model.embedding.padding_idx = None  # the baseline has no padding row
    model.load_state_dict(params)
    logits, _ = model(tr.tensor(ids))
    ours = tr.nn.functional.cross_entropy(logits.reshape(-1, vocab), tr.tensor(targets).reshape(-1))
    ours.backward()
    assert ours.item() == pytest.approx(loss, rel=1e-12)
    for name, parameter in model.named_parameters():
        numpy.testing.assert_allclose(parameter.grad.numpy(), grads[name], rtol=1e-9, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("num_layers, bidirectional", [(2, False), (1, True), (2, True)])
def test_hand_derived_stacked_and_bidirectional_lstm_equals_the_frameworks(num_layers, bidirectional, fast_path):
    vocab, embed, hidden, batch, steps = 11, 5, 6, 3, 7
    params = baseline.init_stacked_lstm(vocab, embed, hidden, num_layers, bidirectional, seed=1, dtype=numpy.float64)
    rng = numpy.random.default_rng(2)
    ids, targets = rng.integers(0, vocab, (batch, steps)), rng.integers(0, vocab, (batch, steps))
    loss, grads = baseline.stacked_lstm_loss_and_grads(params, ids, targets, num_layers, bidirectional)

    model = baseline_tagger(vocab, embed, hidden, num_layers, bidirectional, dtype="float64")
    model.load_state_dict(params)
    logits = model(tr.tensor(ids))
    ours = tr.nn.functional.cross_entropy(logits.reshape(-1, vocab), tr.tensor(targets).reshape(-1))
    ours.backward()
    assert ours.item() == pytest.approx(loss, rel=1e-12)
    for name, parameter in model.named_parameters():
        numpy.testing.assert_allclose(parameter.grad.numpy(), grads[name], rtol=1e-9, atol=1e-12, err_msg=name)


def baseline_tagger(vocab, embed, hidden, num_layers, bidirectional, dtype):
    spec = importlib.util.spec_from_file_location(
        "training_step", pathlib.Path(__file__).resolve().parent.parent / "benchmarks" / "training_step.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("numpy_baseline", baseline)  # what the benchmark imports, from its own folder
    spec.loader.exec_module(module)
    return module.Tagger(vocab, embed, hidden, num_layers, bidirectional, dtype=dtype)
