"""The BLAS thread policy of recurrent loops (tinygrad_rnn/threads.py): what it chooses, that the
ops a loop records and the backward walk over them run on its choice, that BLAS is put back as it
was, and that the numbers do not depend on it."""

import numpy
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import threads
from tinygrad_rnn.engine import ops_in_order, vertex_of


@pytest.fixture(autouse=True)
def default_policy():
    yield
    tr.set_blas_threads("auto")


def blas_threads_now():
    controller = threads._blas()
    return None if controller is None else [lib["num_threads"] for lib in controller.info() if lib["user_api"] == "blas"]


def test_auto_gives_small_loops_one_thread_and_large_ones_blas_own_count():
    assert threads.for_step(batch=1, hidden=100, gates=4) == 1
    assert threads.for_step(batch=32, hidden=512, gates=4) is None  # 32·512·2048 ≈ 34 M multiply-adds a step
    tr.set_blas_threads(2)
    assert threads.for_step(batch=1, hidden=8, gates=1) == 2
    tr.set_blas_threads(None)
    assert threads.for_step(batch=1, hidden=8, gates=1) is None


@pytest.mark.parametrize("wrong", [0, -1, "fast", 1.5])
def test_a_policy_that_is_not_one_is_refused(wrong):
    with pytest.raises(ValueError, match="set_blas_threads: expected 'auto', a number of threads"):
        tr.set_blas_threads(wrong)


def test_a_small_layer_records_its_thread_count_and_its_backward_walk_uses_it():
    layer = tr.nn.LSTM(3, 4)
    before = blas_threads_now()
    seen_inside = []
    original = layer._run_direction

    def spy(*args, **kwargs):
        seen_inside.append(blas_threads_now())
        return original(*args, **kwargs)

    layer._run_direction = spy
    output, _ = layer(tr.randn(5, 2, 3))
    loss = output.sum()
    if before is not None:
        assert seen_inside == [[1] * len(before)]  # inside the loop: one thread
        assert blas_threads_now() == before  # and BLAS put back as it was after it
    assert threads.of_graph(ops_in_order([vertex_of(loss)])) == 1
    tr.set_blas_threads(None)
    output, _ = layer(tr.randn(5, 2, 3))
    assert threads.of_graph(ops_in_order([vertex_of(output.sum())])) is None  # left alone: nothing recorded


def test_the_gradients_do_not_depend_on_the_thread_policy():
    results = []
    for policy in ("auto", None, 2):
        tr.set_blas_threads(policy)
        tr.manual_seed(0)
        layer = tr.nn.GRU(3, 6, num_layers=2, dtype="float64")
        output, _ = layer(tr.randn(7, 4, 3, dtype="float64"))
        output.sum().backward()
        results.append([p.grad.numpy() for p in layer.parameters()])
    for other in results[1:]:
        for a, b in zip(results[0], other):
            numpy.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
