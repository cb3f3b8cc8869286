"""What an unrolled graph keeps alive: the activations backward reads, no more, and nothing after.

Measured with tracemalloc (it sees NumPy's allocations). Per time step and per (batch × hidden)
block, backward must keep:

* tanh RNN: h_t (tanh keeps its output; the next step's matmul reads the same array) — 1
* LSTM: i, f, g, o, c_t, tanh(c_t), h_t — 7
* GRU: r, z, n, h_t (lerp reads n, h_{t−1} and z, arrays other ops keep anyway), and the (B, 3H)
  product h W_hhᵀ + b_hh, whose n-part the reset gate multiplies (a slice keeps its whole array
  alive) — 7

The bound allows the graph's own Python objects (Functions, Nodes) on top.
"""

from __future__ import annotations

import gc
import tracemalloc

import pytest

import tinygrad_rnn as tr

STEPS, BATCH, HIDDEN = 100, 32, 128


@pytest.fixture(autouse=True)
def blas_threads_left_alone():
    """Measure the graph alone, not the BLAS thread policy: under "auto" a layer's forward looks at the machine's
    load (fast/threads.py), and where other processes kept a core busy since the last look, a second earlier, it
    changes BLAS's thread count — the first time in a process by importing threadpoolctl, whose 0.24 MB then counts
    as held by the graph (the RNN's 1.15 × its blocks became 1.29–1.31: failed after other tests, on a busy machine).
    Under the policy None the forward looks at nothing; the test's policy is put back after it."""
    policy = tr.get_blas_threads()
    tr.set_blas_threads(None)
    yield
    tr.set_blas_threads(policy)


@pytest.mark.parametrize("layer_name, blocks_per_step", [("RNN", 1), ("LSTM", 7), ("GRU", 7)])
def test_the_graph_holds_what_backward_reads_and_backward_frees_it(layer_name, blocks_per_step):
    tr.manual_seed(0)
    layer = getattr(tr.nn, layer_name)(16, HIDDEN)
    x = tr.randn(STEPS, BATCH, 16)
    block = STEPS * BATCH * HIDDEN * 4  # one float32 (B, H) array per step
    gc.collect()
    tracemalloc.start()
    try:
        output, state = layer(x)
        loss = output.sum()
        del output, state  # h_n (and c_n) would keep the graph's structure (Nodes, no arrays) alive
        held_by_graph = tracemalloc.get_traced_memory()[0]
        loss.backward()
        del loss
        layer.hidden_states = layer.cell_states = []  # the layer's record of h_t, c_t for analysis
        held_after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert blocks_per_step * block <= held_by_graph <= 1.3 * blocks_per_step * block
    assert held_after < 0.5 * block  # the weights' gradients; every activation is gone


def test_inference_under_no_grad_keeps_nothing():
    layer = tr.nn.LSTM(16, HIDDEN)
    x = tr.randn(STEPS, BATCH, 16)
    gc.collect()
    tracemalloc.start()
    try:
        with tr.no_grad():
            output, (h_n, c_n) = layer(x)
        layer.hidden_states = layer.cell_states = []
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert output.grad_fn is None and h_n.grad_fn is None
    assert held < 1.1 * STEPS * BATCH * HIDDEN * 4 + 4 * BATCH * HIDDEN * 4  # the output, h_n and c_n


@pytest.mark.parametrize("op, read", [
    (lambda a, b, c: tr.where(a > 0, b, c), (0,)),   # the condition only, not a and b
    (lambda a, b, c: a / b, (1,)),                   # b (and the output), not a
    (lambda a, b, c: tr.nn.functional.linear(a, b, c[0]), (0, 1)),  # x and W; of the bias, only that there is one
])
def test_an_op_keeps_only_the_inputs_its_backward_reads(op, read):
    a, b, c = (tr.randn(3, 3, requires_grad=True) * 1 for _ in range(3))  # computed: each input a Node
    function = op(a, b, c).grad_fn
    kept = [i for i, (saved, vertex) in enumerate(zip(function.saved_inputs, function.parents)) if saved is not vertex]
    assert tuple(kept) == read
