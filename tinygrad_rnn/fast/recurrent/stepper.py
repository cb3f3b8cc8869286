"""How a layer of ``nn/recurrent.py`` runs on the fast stepper: what its seam ``RECURRENT_STEPPER``
calls. ``run_layer`` runs one layer and direction as one node (``fused=True``); ``fused_cell`` gives
the layer's cell as one fused node per step (``fused="step"``). Both take the module itself
(an ``nn.RNN``, ``nn.LSTM`` or ``nn.GRU``) and return what its primitive cells would: the same
tensors, the same numbers.

>>> import tinygrad_rnn as tr
>>> from tinygrad_rnn.fast.recurrent import stepper
>>> gru = tr.nn.GRU(2, 3)
>>> cell = stepper.fused_cell(gru, gru.weight_hh_l0, gru.bias_hh_l0, None)
>>> hidden, cell_state = cell(tr.zeros(1, 9), tr.zeros(1, 3), None)
>>> hidden.grad_fn, hidden.name, cell_state
(<FusedGRUCell>, 'h', None)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ...device import array_module
from ...nn.cells import named
from ...nn.functional import linear
from ...nn.recurrent import FUSED_LAYER_STATE, RUNNING
from ...ops.elementwise import where
from ...steps import Chain
from ...tensor import Tensor
from .fused_cells import fused_gru_cell, fused_lstm_cell, fused_rnn_cell
from .layers import gru_layer, lstm_layer, rnn_layer


def run_layer(module: Any, layer_input: Tensor, weight_ih: Tensor, bias_ih: Tensor | None, direction: int,
              hidden: Tensor, cell_state: Tensor | None, weight_hh: Tensor, bias_hh: Tensor | None,
              weight_hr: Tensor | None, time_dim: int, running_masks: list[Tensor] | None, chain: Chain,
              first_step: int) -> tuple[Tensor, Tensor, Tensor | None]:
    """One layer in one direction as one node, its input projection x W_ihᵀ + b_ih included: (output, h_n,
    c_n) — h_n and c_n (1, B, H) where the module has one layer and one direction, as it returns them (the
    layer then stacks nothing), else (B, H). The states of its steps are kept
    as values (``module.hidden_states``, ``module.cell_states``), not as tensors of the graph. With
    lengths (``running_masks``), the node holds a finished sequence's states, and its outputs there are
    zeroed after it: where(running, output, 0), one op for the whole sequence."""
    running = None if running_masks is None else array_module(layer_input.array).stack(
        [mask.array for mask in running_masks])  # (T, B, 1)
    # (the call's masks, one (B, 1) tensor a step, go into the node too: what its drawn steps read)
    placement = {"time_dim": time_dim, "reverse": bool(direction), "chain": chain, "first_step": first_step,
                 "running": running, "step_masks": running_masks, "weight_ih": weight_ih, "bias_ih": bias_ih,
                 "stacks_states": module.num_layers == 1 and not module.bidirectional}
    cell_states = None
    if module.gates == 4:
        output, hidden, cell_state, cell_states = lstm_layer(layer_input, hidden, cell_state, weight_hh, bias_hh,
                                                             weight_hr=weight_hr, **placement)
    elif module.gates == 3:
        output, hidden = gru_layer(layer_input, hidden, weight_hh, bias_hh, **placement)
    else:
        output, hidden = rnn_layer(layer_input, hidden, weight_hh, bias_hh, module.nonlinearity, **placement)
    module.hidden_states.append(StepValues(output.array if time_dim == 0 else output.array.transpose(1, 0, 2)))
    if cell_states is not None:
        module.cell_states.append(StepValues(cell_states.array))
    if running is not None:  # outputs at padded steps are zeros
        mask = Tensor._make(running if time_dim == 0 else running.transpose(1, 0, 2))
        mask.name = RUNNING
        output = where(mask, output, 0.0)
    if placement["stacks_states"]:  # h_n (c_n) themselves: unnamed, as the plain path's stack of them is
        return output, hidden, cell_state
    return output, named(hidden, "h"), None if cell_state is None else named(cell_state, "c")


def fused_cell(module: Any, weight_hh: Tensor, bias_hh: Tensor | None,
               weight_hr: Tensor | None) -> Callable[[Tensor, Tensor, Tensor | None], tuple[Tensor, Tensor | None]]:
    """The cell of one layer and direction, its weights bound, one fused node per step: (x_t W_ihᵀ + b_ih,
    h, c) → (h', c'), c' None but for an LSTM. W_hhᵀ is laid out contiguously once, for all steps
    (BLAS is faster with it than with the view W_hh.T)."""
    transposed = array_module(weight_hh.array).ascontiguousarray(weight_hh.array.T)

    def cell(x_projected: Tensor, hidden: Tensor, cell_state: Tensor | None) -> tuple[Tensor, Tensor | None]:
        if module.gates == 4:
            hidden, cell_state = fused_lstm_cell(x_projected, hidden, cell_state, weight_hh, bias_hh,
                                                 transposed_weight=transposed)
            if weight_hr is not None:
                hidden = linear(hidden, weight_hr)
            return named(hidden, "h"), named(cell_state, "c")
        if module.gates == 3:
            return named(fused_gru_cell(x_projected, hidden, weight_hh, bias_hh,
                                        transposed_weight=transposed), "h"), None
        return named(fused_rnn_cell(x_projected, hidden, weight_hh, bias_hh, module.nonlinearity,
                                    transposed_weight=transposed), "h"), None

    return cell


class StepValues(Sequence):
    """The states h_1 … h_T (or c_t) of a fused layer node, one Tensor per step, made when read: their
    values, not tensors of the graph (the node recorded the whole sequence), so asking for their
    gradient is an error that says why, not a partial answer.

    >>> import numpy
    >>> states = StepValues(numpy.zeros((5, 2, 3)))
    >>> len(states), states[-1].shape, states[0].name
    (5, (2, 3), 'state of a fused layer')
    """

    def __init__(self, time_major: Any) -> None:
        self.time_major = time_major  # (T, B, H)

    def __len__(self) -> int:
        return len(self.time_major)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[t] for t in range(len(self))[index]]
        state = Tensor._make(self.time_major[index])
        state.name = FUSED_LAYER_STATE
        return state
