"""The speed, apart from the plain path: each module here fills one named seam of it.

The plain path — ``tensor.py`` (with ``tensor_base.py``), ``function.py`` (with ``recording.py``),
``engine.py``, ``ops/``, ``nn/cells.py`` and ``nn/recurrent.py``, the five places docs/autodiff.md
walks (listed once, as ``PLAIN_PATH``, in benchmarks/lines_of_code.py) — computes everything
itself, with plain NumPy calls, and neither it nor anything it imports imports from here. Each
seam is a name on the plain side that holds the plain implementation (``GRADIENT_TABLE``,
``weight_terms``) or None (or a policy that does nothing), which a module here replaces when it
installs itself:

====================== =========================================== ==========================================
seam                   installed by                                replaces, and buys (docs/fast.md, measured)
====================== =========================================== ==========================================
glibc's thresholds     :mod:`.allocator`                           a fresh page fault for every page of every
                                                                   large array, each step: 1.2–2.1× at 128 units
``RECURRENT_STEPPER``  :mod:`.recurrent` (fused cells and layers,  the primitive cells of a layer built with
(nn/recurrent.py)      their CUDA kernels)                         ``fused=True``, and its input projection:
                                                                   one node per layer, 1.1–2.6×
``BLAS_THREAD_POLICY`` :mod:`.threads`                             BLAS's own thread count: 2.5–3.4× → 1.0–1.3×
(nn/recurrent.py)                                                  beside a busy process
``GRADIENT_TABLE``     :mod:`.gradient_table`                      a weight's per-step terms summed one by one:
(engine.py)                                                        one product over all steps
``weight_terms``       :mod:`.gradient_table`                      linear's ∂W = gradᵀ x as an array each step:
(ops/linalg.py)                                                    handed to that table unmultiplied
``HEAD_AND_LOSS``      :mod:`.head`                                a language model's head, reshape and loss
(models/language.py)                                               (three ops, ``fused=True``): one node, 6–8%
                                                                   of a batch-1 step
``Function.apply``     :mod:`.recorder`                            an op of one output recorded in six Python
(function.py)                                                      frames: two, ≈ 3% of a recorded op's time
====================== =========================================== ==========================================

``import tinygrad_rnn`` installs them all unless the environment has ``TINYGRAD_RNN_FAST=0``; then
nothing from here is even imported, and everything works and gives the same numbers, only slower
(importing it by hand, as docs/autodiff.md's example does, installs nothing: only ``import
tinygrad_rnn`` calls :func:`install`).
:func:`uninstall` and :func:`install` switch them off and on in a running process (the tests run
both ways so).

>>> import tinygrad_rnn as tr
>>> from tinygrad_rnn import fast
>>> fast.uninstall(); tr.nn.LSTM(3, 4, fused=True)(tr.randn(5, 1, 3))[0].grad_fn   # the primitive cells
<Stack>
>>> fast.install(); tr.nn.LSTM(3, 4, fused=True)(tr.randn(5, 1, 3))[0].grad_fn     # the fast stepper
<FusedLSTMLayer>
"""

from __future__ import annotations

from . import allocator, gradient_table, head, recorder, recurrent, threads

SEAMS = (allocator, recurrent, threads, gradient_table, head, recorder)


def install() -> None:
    """Fill every seam (what ``import tinygrad_rnn`` does unless TINYGRAD_RNN_FAST=0)."""
    for seam in SEAMS:
        seam.install()


def uninstall() -> None:
    """Empty every seam: the plain path alone, as under TINYGRAD_RNN_FAST=0 (fast/ stays imported)."""
    for seam in SEAMS:
        seam.uninstall()
