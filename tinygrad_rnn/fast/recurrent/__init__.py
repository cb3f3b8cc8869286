"""The recurrent stepper: an RNN, LSTM or GRU layer as one node of the graph, with its backward
derived by hand — the seam ``RECURRENT_STEPPER`` of :mod:`tinygrad_rnn.nn.recurrent`.

**Replaces** the primitive cells (``nn/cells.py``: a dozen recorded ops a step, each with its own
backward) for a layer built with ``fused=True`` (one node per layer and direction, the layer's input
projection x W_ihᵀ + b_ih made inside it: :mod:`.layers`, on the base every layer node shares,
:mod:`.layer_node`)
or ``fused="step"`` (one node per step: :mod:`.fused_cells`); ``fused=False`` keeps the primitive cells.
:mod:`.stepper` is what the seam calls: how a layer module runs on these.
The one place of the hand-derived LSTM, GRU and tanh/relu RNN backward is here: each cell's
``gate_gradients`` (:mod:`.fused_cells`, built on the cell's ``slopes``: its local derivatives, written
once), which the layers' backward loops call at every step, and on the
GPU the same equations as one CUDA kernel each way (:mod:`.kernels`); a plain backward on CPU arrays
runs them factored, each cell's ``slopes`` made for all steps at once before an in-place loop
(``backward_in_place`` in :mod:`.layers`).

**Buys** (docs/fast.md, measured): a training step of the language model 1.1–2.6× faster than on
the primitive cells (most at batch 1) — the loop a hand-written BPTT runs, one node in the graph
instead of a dozen a step. The numbers are the primitive cells' (tests: every output, gradient and
step's term equal, both ways, float64).

>>> import tinygrad_rnn as tr
>>> from tinygrad_rnn.fast import recurrent
>>> output, h_n = recurrent.gru_layer(tr.zeros(5, 2, 9), tr.zeros(2, 3), tr.ones(9, 3, requires_grad=True))
>>> output.grad_fn, output.shape
(<FusedGRULayer>, (5, 2, 3))
"""

from __future__ import annotations

from . import stepper
from .fused_cells import fused_gru_cell, fused_lstm_cell, fused_rnn_cell
from .layers import gru_layer, lstm_layer, rnn_layer

__all__ = ["fused_gru_cell", "fused_lstm_cell", "fused_rnn_cell", "gru_layer", "lstm_layer", "rnn_layer", "install",
           "uninstall"]


def install() -> None:
    """Layers built with ``fused=True`` or ``"step"`` run on this stepper from now on."""
    from ...nn import recurrent

    recurrent.RECURRENT_STEPPER = stepper  # (its run_layer and fused_cell: how a layer runs on the functions above)


def uninstall() -> None:
    """Layers run the primitive cells again, whatever their ``fused``."""
    from ...nn import recurrent

    recurrent.RECURRENT_STEPPER = None
