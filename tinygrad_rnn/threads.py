"""BLAS threads: how many the matrix products of a recurrent loop run on.

A recurrent layer multiplies a small matrix at every time step (h_{t−1} W_hhᵀ: batch × hidden
by hidden × gates·hidden), forward and backward. OpenBLAS splits a product over all cores and its
threads spin while they wait for the next one; on small products that costs more than it gains,
and beside one busy process (a video call, a compile) every step waits for a core — the same
training step then takes several times as long (docs/benchmarks.md, "BLAS threads").

So a layer whose per-step product is small runs its loop, and the backward walk of the graph it
recorded, on one BLAS thread; larger ones keep BLAS's own count. The policy is process-wide:

* ``"auto"`` (the default): one thread where B·H·G·H (the per-step product's multiply-adds) is
  below :data:`SMALL`, BLAS's own count above — chosen from the measured table;
* a number: that many threads for every recurrent loop and backward walk;
* ``None``: leave BLAS alone (what ``OPENBLAS_NUM_THREADS`` or ``threadpoolctl`` set).

>>> import tinygrad_rnn as tr
>>> tr.set_blas_threads(None); tr.get_blas_threads()
>>> tr.set_blas_threads("auto"); tr.get_blas_threads()
'auto'
>>> for_step(batch=32, hidden=128, gates=4)   # 2 million multiply-adds a step: one thread
1
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from .function import STATE

SMALL = 16 * 2**20  # multiply-adds of the per-step product below which one thread is faster (measured)

_policy: Any = "auto"
_controller: Any = None  # threadpoolctl's view of the BLAS libraries loaded, made on first use


def set_blas_threads(threads: int | str | None) -> None:
    """Choose the BLAS thread policy of recurrent loops: ``"auto"``, a number of threads, or None."""
    global _policy
    if not (threads is None or threads == "auto" or (isinstance(threads, int) and threads >= 1)):
        raise ValueError(f"set_blas_threads: expected 'auto', a number of threads (1 or more) or None, got {threads!r}")
    _policy = threads


def get_blas_threads() -> int | str | None:
    """The BLAS thread policy of recurrent loops (see :func:`set_blas_threads`)."""
    return _policy


def for_step(batch: int, hidden: int, gates: int) -> int | None:
    """The threads the policy gives a loop whose per-step product is (batch × hidden) @ (hidden ×
    gates·hidden); None: BLAS's own count."""
    if _policy == "auto":
        return 1 if batch * hidden * gates * hidden < SMALL else None
    return _policy


@contextlib.contextmanager
def limited(threads: int | None) -> Iterator[None]:
    """BLAS on ``threads`` threads inside the block (nothing changes for None, or on the GPU)."""
    controller = _blas() if threads is not None else None
    if controller is None:
        yield
        return
    with controller.limit(limits=threads, user_api="blas"):
        yield


@contextlib.contextmanager
def recurrent_loop(batch: int, hidden: int, gates: int) -> Iterator[None]:
    """A recurrent layer's loop: on the threads the policy gives its size; the ops recorded inside
    remember them, so that the backward walk runs on them too (:func:`of_graph`)."""
    threads = for_step(batch, hidden, gates)
    before = STATE.blas_threads
    STATE.blas_threads = threads if before is None or threads is None else min(before, threads)
    try:
        with limited(threads):
            yield
    finally:
        STATE.blas_threads = before


def of_graph(ops: Any) -> int | None:
    """The threads a backward walk over ``ops`` ((op, outputs) pairs) runs on: the fewest any of its
    recurrent loops ran on; None (BLAS's own) where none was limited."""
    counts = [op.blas_threads for op, _ in ops if op is not None and op.blas_threads is not None]
    return min(counts) if counts else None


def _blas() -> Any:
    global _controller
    if _controller is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # pragma: no cover - a dependency; without it BLAS keeps its own count
            _controller = False
        else:
            _controller = ThreadpoolController()
    return _controller or None
