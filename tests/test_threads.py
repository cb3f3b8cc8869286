"""The BLAS thread policy (tinygrad_rnn/fast/threads.py): what it chooses from the load it sees, that
it sets BLAS and puts it back, and that the numbers do not depend on it."""

import importlib.util
import sys

import numpy
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn.fast import threads


@pytest.fixture(autouse=True)
def policy_restored(monkeypatch):
    # each test starts from BLAS's own count: what "auto" chose earlier in a run depends on the
    # machine's load (a busy test machine had left BLAS on one thread)
    monkeypatch.setattr(threads, "_auto", None)
    tr.set_blas_threads("auto")
    yield
    tr.set_blas_threads("auto")


def blas_counts():
    controller = threads._blas()
    if controller is None:
        return None
    return [lib["num_threads"] for lib in controller.info() if lib["user_api"] == "blas"]


def test_auto_leaves_a_quiet_machine_alone_and_gives_a_busy_one_the_cores_left():
    assert threads.threads_for(cores=2, others_busy=0.0) is None
    assert threads.threads_for(cores=2, others_busy=0.4) is None
    assert threads.threads_for(cores=2, others_busy=0.9) == 1
    assert threads.threads_for(cores=2, others_busy=3.0) == 1  # never fewer than one
    assert threads.threads_for(cores=16, others_busy=1.0) == 15


@pytest.mark.parametrize("wrong", [0, -1, "fast", 1.5])
def test_a_policy_that_is_not_one_is_refused(wrong):
    with pytest.raises(ValueError, match="set_blas_threads: expected 'auto', a number of threads"):
        tr.set_blas_threads(wrong)


@pytest.mark.skipif(threads._blas() is None or not blas_counts(), reason="no BLAS library threadpoolctl can set")
def test_a_number_sets_blas_and_none_puts_it_back():
    before = blas_counts()
    tr.set_blas_threads(1)
    assert blas_counts() == [1] * len(before)
    tr.set_blas_threads(None)
    assert blas_counts() == before


@pytest.mark.skipif(threads._blas() is None or not blas_counts(), reason="no BLAS library threadpoolctl can set")
def test_a_layer_under_auto_follows_the_load_it_sees(monkeypatch):
    before = blas_counts()
    clock, machine = [1000.0], [500.0]
    monkeypatch.setattr(threads.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(threads, "_machine_busy_seconds", lambda: machine[0])
    monkeypatch.setattr(threads.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(threads, "_last", None)
    monkeypatch.setattr(threads.os, "getloadavg", lambda: (0.1, 0.1, 0.1))  # quiet by its load average
    layer = tr.nn.LSTM(3, 4)
    layer(tr.randn(5, 2, 3))  # the first look: nothing to compare with yet, and a quiet load average
    assert blas_counts() == before
    clock[0] += 2.0
    machine[0] += 2.0 * 1.0 + 0.0  # another process kept one core busy (this one took ~no CPU time: fake clock)
    layer(tr.randn(5, 2, 3))
    assert blas_counts() == [1] * len(before)
    clock[0] += 0.5
    layer(tr.randn(5, 2, 3))  # within a second of the last look: not looked at again
    assert blas_counts() == [1] * len(before)
    clock[0] += 2.0  # quiet again: nobody else took CPU time
    layer(tr.randn(5, 2, 3))
    assert blas_counts() == before


@pytest.mark.skipif(threads._blas() is None or not blas_counts(), reason="no BLAS library threadpoolctl can set")
def test_the_first_look_on_a_busy_machine_takes_its_load_average_and_the_fixed_window_model_looks(monkeypatch):
    """A process that starts training beside busy neighbours runs BLAS on the cores they leave from its first
    forward: its first look had nothing to compare with and left BLAS's own threads for a second, all of the
    fixed-window model's training on the deck (which looked at nothing: not a recurrent layer), 19–31 s instead
    of 2 s on 2 busy cores."""
    before = blas_counts()
    monkeypatch.setattr(threads, "_last", None)
    monkeypatch.setattr(threads.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(threads.os, "getloadavg", lambda: (2.4, 1.0, 1.0))  # others keep more than a core busy
    model = tr.models.FixedWindowLM(vocabulary_size=9, window=3, embedding_dim=4, hidden_size=8)
    model(tr.tensor([[1, 2, 3, 4]]))
    assert blas_counts() == [1] * len(before) and threads._last is not None


def test_the_gradients_do_not_depend_on_the_thread_policy():
    results = []
    for policy in ("auto", None, 1, 2):
        tr.set_blas_threads(policy)
        tr.manual_seed(0)
        layer = tr.nn.GRU(3, 6, num_layers=2, dtype="float64")
        output, _ = layer(tr.randn(7, 4, 3, dtype="float64"))
        output.sum().backward()
        results.append([p.grad.numpy() for p in layer.parameters()])
    for other in results[1:]:
        for a, b in zip(results[0], other):
            numpy.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_without_proc_stat_blas_is_left_alone_and_not_looked_at_again(monkeypatch):
    looks = []
    monkeypatch.setattr(threads, "_machine_busy_seconds", lambda: looks.append(1))
    monkeypatch.setattr(threads, "_last", None)
    for _ in range(3):
        threads.adapt()
    assert looks == [1] and tr.get_blas_threads() == "auto"


def test_without_proc_stat_the_load_comes_from_psutil_or_auto_stays_off(monkeypatch):
    proc = threads._proc_stat_busy_seconds()
    monkeypatch.setattr(threads, "_proc_stat_busy_seconds", lambda: None)  # macOS, Windows
    if importlib.util.find_spec("psutil") is not None:
        busy = threads._machine_busy_seconds()
        assert threads.load_source() == "psutil" and busy > 0
        if proc is not None:  # on Linux both count the same busy time, give or take what passed between
            assert abs(busy - proc) < 0.05 * proc + 5.0
    monkeypatch.setitem(sys.modules, "psutil", None)  # not installed
    assert threads.load_source() is None and threads._machine_busy_seconds() is None
