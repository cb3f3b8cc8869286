"""What a second student's reading of the plain path (README → docs/autodiff.md → code) found: each
place the docs send her must be what runs, and each message must name the op and the fix."""

import inspect
import re
from pathlib import Path

import numpy
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import fast

ROOT = Path(__file__).resolve().parent.parent
AUTODIFF = (ROOT / "docs" / "autodiff.md").read_text()


def one_line(text: str) -> str:
    return " ".join(text.split())


# --- 1. the LSTM backward the docs name is the one that runs -------------------------------------------------


def lstm_backward_calls(monkeypatch, **forward):
    """Which of the fused LSTM layer's backward loops ran, and the weights' gradients."""
    from tinygrad_rnn.fast.recurrent import fused_cells, layers
    calls = []
    for owner, name in [(layers.FusedLSTMLayer, "steps_backward"), (layers.FusedLSTMLayer, "backward_in_place"),
                        (fused_cells.FusedLSTMCell, "gate_gradients")]:
        original = inspect.getattr_static(owner, name)
        function = original.__func__ if isinstance(original, staticmethod) else original

        def counted(*args, _function=function, _name=name, **kwargs):
            calls.append(_name)
            return _function(*args, **kwargs)
        monkeypatch.setattr(owner, name, staticmethod(counted) if isinstance(original, staticmethod) else counted)
    tr.manual_seed(0)
    layer = tr.nn.LSTM(3, 4, fused=True)
    x = tr.tensor(numpy.random.default_rng(0).standard_normal((5, 2, 3)), dtype="float32")
    output, _ = layer(x, **forward)
    output.sum().backward()
    return set(calls), layer.weight_hh_l0.grad.numpy()


@pytest.mark.skipif(not fast.gradient_table.installed(), reason="fast/ is off (TINYGRAD_RNN_FAST=0)")
def test_the_lstm_backward_chain_names_the_loop_that_runs_on_cpu_and_the_way_to_the_readable_one(monkeypatch):
    text = one_line(AUTODIFF)
    assert "what runs is `backward_in_place`" in text
    assert "`layer(x, lengths=[T] * B)`" in text
    calls, by_default = lstm_backward_calls(monkeypatch)
    assert calls == {"steps_backward", "backward_in_place"}  # the textbook loop and gate_gradients never run
    calls, through_the_textbook_loop = lstm_backward_calls(monkeypatch, lengths=[5, 5])
    assert calls == {"steps_backward", "gate_gradients"}
    numpy.testing.assert_allclose(through_the_textbook_loop, by_default, rtol=1e-5, atol=1e-6)


def test_the_textbook_loop_comment_sits_above_the_return_that_skips_it_and_says_when_each_runs():
    from tinygrad_rnn.fast.recurrent import layers
    source = inspect.getsource(layers.FusedLSTMLayer.steps_backward)
    textbook, switch = source.index("# The textbook BPTT loop"), source.index("return self.backward_in_place")
    assert textbook < switch
    assert "lengths=[T] * B" in source[textbook:switch]
    for layer in (layers.FusedGRULayer, layers.FusedRNNLayer):
        source = inspect.getsource(layer.steps_backward)
        assert source.index("backward_in_place runs") < source.index("return self.backward_in_place"), layer
