"""Fused cells: one time step of an RNN, LSTM or GRU as one op — one node of the graph.

The primitive cells of :mod:`tinygrad_rnn.nn.cells` record a dozen ops per step; these record
one, and their backward is the chain rule through the cell written out by hand, once, with
operators and op functions that accept arrays or Tensors — so it serves the fast backward and
``create_graph=True`` alike, and a test proves it equal to the primitive cells. What backward
reads beyond the inputs (the activated gates) is an extra output of the op, kept for backward
and not returned (``kept_outputs``): in a recorded backward it is a tensor of the graph, so
second derivatives flow through it. Like PyTorch's LSTMCell and GRUCell, the functions return
(h', c') and h'.

Forward sees plain arrays only, so it computes with NumPy (or CuPy) directly; backward is the
part written for both arrays and Tensors (``gate_gradients``). On the GPU, where a step costs
what its kernel launches cost, the cells' pointwise part (the tanh RNN's too) runs as one CUDA
kernel each way instead (:mod:`.fused_kernels`: the same equations, tested equal on the GPU).

A layer also hands its cells one :class:`StepGradientBuffer`: the backward of step t writes the
gradient of its input projection into slot t of one array, as a hand-written BPTT writes into one
preallocated buffer, so the joins after the loop (the steps' gradients stacked for the input
projection; for the LSTM and RNN also the T terms of ∂J/∂W_hh and ∂J/∂b_hh) find them joined
already and copy nothing.

Shapes: x_projected (B, G·H), hidden (B, H), weight_hh (G·H, H), bias_hh (G·H,).
"""

from __future__ import annotations

from ..device import array_module
from ..function import Function
from ..tensor import Tensor
from . import fused_kernels
from .elementwise import relu, sigmoid_array
from .linalg import linear_backward, linear_forward
from .shape import cat


class StepGradientBuffer:
    """One array for the gradients of every step's input projection in a backward pass, laid out
    as that projection ((T, B, G), or (B, T, G) batch first, ``time_dim`` saying which).
    The fused cell of step t writes the gradient of its input projection into slot t (``slot``);
    whoever then needs all steps' gradients joined — unbind's backward, and ``Product.sum`` for
    ∂J/∂W_hh and ∂J/∂b_hh where that gradient is also h W_hhᵀ + b_hh's (LSTM, RNN; not a GRU) —
    asks ``positions`` whether the arrays it holds are these slots, and takes the whole array if so.

    A slot is written once per array: a cell that finds its slot already written starts a new
    array (a new backward pass), so no array a backward pass returned is overwritten by the next.

    >>> import numpy as np
    >>> buffer = StepGradientBuffer((3, 2, 4), time_dim=0, dtype=np.float32, xp=np)
    >>> slots = [buffer.slot(t) for t in (2, 1, 0)]          # backward visits the steps last first
    >>> buffer.positions(slots), buffer.array.shape
    ([2, 1, 0], (3, 2, 4))
    """

    def __init__(self, shape: tuple[int, ...], time_dim: int, dtype, xp) -> None:
        self.shape, self.time_dim, self.dtype, self.xp = shape, time_dim, dtype, xp
        self.array = None
        self.slots: list = []  # the views of array handed out, by step (None: not written yet)
        self.step_of: dict[int, int] = {}  # id(view) → its step, for the views in slots

    def slot(self, step: int):
        """The view of this pass's array where step ``step`` writes its gradient."""
        if self.array is None or self.slots[step] is not None:  # a slot written twice: a new pass
            self.array = self.xp.empty(self.shape, self.dtype)
            self.slots, self.step_of = [None] * self.shape[self.time_dim], {}
        view = self.array[step] if self.time_dim == 0 else self.array[:, step]
        self.slots[step], self.step_of[id(view)] = view, step
        return view

    def positions(self, arrays) -> list[int] | None:
        """The step of each of ``arrays`` if together they are every slot of the array, each once
        (then ``array`` is them joined); otherwise None. (The slots are held here, alive, so an
        equal id is the same view.)"""
        if len(arrays) != len(self.slots) or len(self.step_of) != len(self.slots):
            return None
        steps = [self.step_of.get(id(array)) for array in arrays]
        return steps if None not in steps and len(set(steps)) == len(steps) else None


class FusedCell(Function):
    """What the fused cells share: their first step, h W_hhᵀ + b_hh, multiplies by W_hhᵀ laid out
    contiguously when the caller has it (``transposed_weight``, a constant: a layer makes it once
    per sequence, as a hand-written BPTT does; see ``linear_forward``); and a layer's cells write
    the gradient of their input projection into its buffer (``step_gradients``, a
    :class:`StepGradientBuffer`, at slot ``step``)."""

    def __init__(self, transposed_weight=None, step=None, step_gradients=None) -> None:
        self.transposed_weight, self.step, self.step_gradients = transposed_weight, step, step_gradients

    def recurrent_product(self, hidden, weight_hh, bias_hh):
        return linear_forward(hidden, weight_hh, bias_hh, self.transposed_weight)

    def recurrent_gradients(self, grad_pre, hidden, weight_hh, bias_hh, step_gradients=None):
        """(∂h, ∂W_hh, ∂b_hh) through h W_hhᵀ + b_hh, by linear's rule: hidden is every cell's
        input 1, the weight and bias its last inputs (None where no gradient is needed). The
        weight's and bias's terms name the buffer grad_pre may be a slot of (``step_gradients``)."""
        need = self.needs_input_grad
        weight_at = len(need) - (2 if bias_hh is not None else 1)
        return linear_backward(grad_pre, hidden, weight_hh, bias_hh, need[1], need[weight_at],
                               bias_hh is not None and need[-1], step_gradients)

    def release(self) -> None:
        """Also let go of the layer's W_hhᵀ and gradient buffer: like the saved arrays, memory the
        graph need not keep once backward has run."""
        super().release()
        self.transposed_weight = self.step_gradients = None

    def gradient_slot(self, like):
        """Where this step writes the gradient of its input projection: its slot of the layer's
        buffer, or None — a new array (no buffer given), or a recorded backward (``like``, any
        of backward's arguments, a Tensor)."""
        if self.step_gradients is None or isinstance(like, Tensor):
            return None
        return self.step_gradients.slot(self.step)


class FusedLSTMCell(FusedCell):
    """i, f, g, o = σ, σ, tanh, σ of (x_proj + h Wᵀ + b);  c' = f ⊙ c + i ⊙ g;  h' = o ⊙ tanh(c').
    Outputs h', c', and kept for backward the gates [i, f, g, o] and tanh(c') (as a hand-written
    BPTT keeps it, rather than computing it again).
    ∂c = ∂c' + ∂h' ⊙ o ⊙ (1 − tanh² c');  (∂i, ∂f, ∂g, ∂o) = (∂c ⊙ g, ∂c ⊙ c, ∂c ⊙ i, ∂h' ⊙ tanh c'),
    through σ' = s(1 − s) and tanh' = 1 − g²;  ∂c_prev = ∂c ⊙ f;  then linear's rule for h, W, b."""

    name = "fused LSTM cell"
    multiple_outputs = True
    kept_outputs = 2
    states = ("h", "c")  # the outputs a drawing names: h_t, c_t

    def forward(self, x_projected, hidden, cell, weight_hh, bias_hh=None):
        xp, size = array_module(cell), cell.shape[-1]
        gates = self.recurrent_product(hidden, weight_hh, bias_hh)
        gates += x_projected  # the pre-activations, activated in place: i, f, g, o
        if fused_kernels.applies_to(gates):  # on the GPU, the rest in one kernel (the same equations)
            return fused_kernels.lstm_forward(gates, cell)
        gates[:, : 2 * size] = sigmoid_array(gates[:, : 2 * size])
        xp.tanh(gates[:, 2 * size: 3 * size], out=gates[:, 2 * size: 3 * size])
        gates[:, 3 * size:] = sigmoid_array(gates[:, 3 * size:])
        new_cell = gates[:, size: 2 * size] * cell + gates[:, :size] * gates[:, 2 * size: 3 * size]
        tanh_cell = xp.tanh(new_cell)
        return gates[:, 3 * size:] * tanh_cell, new_cell, gates, tanh_cell

    def backward(self, grads, outs, x_projected, hidden, cell, weight_hh, bias_hh=None):
        grad_hidden, grad_cell, grad_gates, grad_tanh_cell = grads
        _, new_cell, gates, tanh_cell = outs
        if fused_kernels.applies_to(gates) and grad_gates is None and grad_tanh_cell is None:
            grad_pre, grad_cell_prev = fused_kernels.lstm_backward(gates, tanh_cell, cell, grad_hidden, grad_cell)
        else:
            grad_pre, grad_cell_prev = self.gate_gradients(grads, gates, tanh_cell, cell, self.gradient_slot(cell))
        need = self.needs_input_grad
        grad_h, grad_weight, grad_bias = self.recurrent_gradients(grad_pre, hidden, weight_hh, bias_hh,
                                                                  self.step_gradients)
        return (grad_pre if need[0] else None, grad_h, grad_cell_prev if need[2] else None, grad_weight,
                grad_bias)[: 5 if bias_hh is not None else 4]

    @staticmethod
    def gate_gradients(grads, gates, tanh_cell, cell, out=None):
        """(∂ pre-activations, ∂c_prev): the chain rule through the gates, on arrays or Tensors
        (on arrays, ∂ pre-activations is written into ``out`` if given)."""
        grad_hidden, grad_cell, grad_gates, grad_tanh_cell = grads
        size = cell.shape[-1]
        i, f, g, o = gates[:, :size], gates[:, size: 2 * size], gates[:, 2 * size: 3 * size], gates[:, 3 * size:]
        if grad_hidden is None:
            grad_hidden = 0 * tanh_cell
        grad_tanh = grad_hidden * o if grad_tanh_cell is None else grad_hidden * o + grad_tanh_cell
        grad_c = grad_tanh * (1 - tanh_cell * tanh_cell)
        if grad_cell is not None:
            grad_c = grad_c + grad_cell
        slopes = (i * (1 - i), f * (1 - f), 1 - g * g, o * (1 - o))  # σ' = s(1 − s), tanh' = 1 − g²
        grad_pre = cat([grad_c * g * slopes[0], grad_c * cell * slopes[1], grad_c * i * slopes[2],
                        grad_hidden * tanh_cell * slopes[3]], dim=-1, out=out)
        if grad_gates is not None:  # the gates themselves were used (a recorded backward reads them)
            grad_pre = grad_pre + grad_gates * cat(slopes, dim=-1)
        return grad_pre, grad_c * f


class FusedGRUCell(FusedCell):
    """r = σ(x_r + h W_hrᵀ + b_hr), z = σ(x_z + …), n = tanh(x_n + r ⊙ (h W_hnᵀ + b_hn));
    h' = n + z ⊙ (h − n), with x_proj = [x_r, x_z, x_n].  Outputs h', and kept for backward
    r, z, n, h W_hnᵀ + b_hn.
    ∂n = ∂h' ⊙ (1 − z);  ∂z = ∂h' ⊙ (h − n);  ∂h = ∂h' ⊙ z + (linear's rule);
    through n: ∂(pre n) = ∂n ⊙ (1 − n²), ∂r = ∂(pre n) ⊙ hn, ∂hn = ∂(pre n) ⊙ r."""

    name = "fused GRU cell"
    multiple_outputs = True
    kept_outputs = 4
    states = ("h",)

    def forward(self, x_projected, hidden, weight_hh, bias_hh=None):
        xp, size = array_module(hidden), hidden.shape[-1]
        projected = self.recurrent_product(hidden, weight_hh, bias_hh)
        h_new = projected[:, 2 * size:]
        if fused_kernels.applies_to(projected):  # on the GPU, the rest in one kernel (the same equations)
            return (*fused_kernels.gru_forward(x_projected, projected, hidden), h_new)
        # r and z side by side in one pass: σ of [x_r + h W_hrᵀ + b_hr, x_z + h W_hzᵀ + b_hz]
        reset_update = sigmoid_array(x_projected[:, : 2 * size] + projected[:, : 2 * size])
        reset, update = reset_update[:, :size], reset_update[:, size:]
        new = xp.tanh(x_projected[:, 2 * size:] + reset * h_new)
        return new + update * (hidden - new), reset, update, new, h_new

    def backward(self, grads, outs, x_projected, hidden, weight_hh, bias_hh=None):
        _, reset, update, new, h_new = outs
        need = self.needs_input_grad
        if fused_kernels.applies_to(new) and all(g is None for g in grads[1:]):
            grad_recurrent, grad_x, grad_h_direct = fused_kernels.gru_backward(grads[0], reset, update, new, h_new,
                                                                               hidden)
        else:
            grad_recurrent, grad_x, grad_h_direct = self.gate_gradients(grads, reset, update, new, h_new, hidden,
                                                                        self.gradient_slot(new))
        grad_h, grad_weight, grad_bias = self.recurrent_gradients(grad_recurrent, hidden, weight_hh, bias_hh)
        if need[1]:
            grad_h = grad_h + grad_h_direct
        return (grad_x if need[0] else None, grad_h, grad_weight, grad_bias)[: 4 if bias_hh is not None else 3]

    @staticmethod
    def gate_gradients(grads, reset, update, new, h_new, hidden, out_x=None):
        """(∂ of h W_hhᵀ + b_hh, ∂x_proj, ∂h' ⊙ z): the chain rule through the gates, on arrays or
        Tensors. x_proj's n part enters before r scales it, h W_hnᵀ + b_hn after: their gradients
        differ there. (On arrays, ∂x_proj is written into ``out_x`` if given.)"""
        grad_out, grad_reset, grad_update, grad_new, grad_h_new = grads
        if grad_out is None:
            grad_out = 0 * new
        grad_n = grad_out * (1 - update)
        grad_z = grad_out * (hidden - new)
        if grad_new is not None:
            grad_n = grad_n + grad_new
        if grad_update is not None:
            grad_z = grad_z + grad_update
        grad_n_pre = grad_n * (1 - new * new)
        grad_r = grad_n_pre * h_new
        grad_hn = grad_n_pre * reset
        if grad_reset is not None:
            grad_r = grad_r + grad_reset
        if grad_h_new is not None:
            grad_hn = grad_hn + grad_h_new
        grad_r_pre = grad_r * reset * (1 - reset)
        grad_z_pre = grad_z * update * (1 - update)
        grad_recurrent = cat([grad_r_pre, grad_z_pre, grad_hn], dim=-1)
        return grad_recurrent, cat([grad_r_pre, grad_z_pre, grad_n_pre], dim=-1, out=out_x), grad_out * update


class FusedRNNCell(FusedCell):
    """h' = tanh(x_proj + h Wᵀ + b) (or relu);   ∂(pre) = ∂h' ⊙ (1 − h'²) (relu: ∂h' where h' > 0);
    then linear's rule for h, W, b."""

    name = "fused RNN cell"

    def __init__(self, nonlinearity: str = "tanh", transposed_weight=None, step=None, step_gradients=None) -> None:
        super().__init__(transposed_weight, step, step_gradients)
        self.nonlinearity = nonlinearity

    def forward(self, x_projected, hidden, weight_hh, bias_hh=None):
        pre = self.recurrent_product(hidden, weight_hh, bias_hh)
        xp = array_module(pre)
        if self.nonlinearity == "tanh" and fused_kernels.applies_to(pre):  # on the GPU: one kernel
            return fused_kernels.rnn_tanh_forward(pre, x_projected)
        pre += x_projected
        return xp.tanh(pre, out=pre) if self.nonlinearity == "tanh" else relu(pre)

    def backward(self, grad, out, x_projected, hidden, weight_hh, bias_hh=None):
        if self.nonlinearity == "tanh" and fused_kernels.applies_to(out):
            grad_pre = fused_kernels.rnn_tanh_backward(grad, out)
        else:
            slope = 1 - out * out if self.nonlinearity == "tanh" else out > 0
            slot = self.gradient_slot(out)
            grad_pre = grad * slope if slot is None else array_module(slot).multiply(grad, slope, out=slot)
        need = self.needs_input_grad
        grad_h, grad_weight, grad_bias = self.recurrent_gradients(grad_pre, hidden, weight_hh, bias_hh,
                                                                  self.step_gradients)
        return (grad_pre if need[0] else None, grad_h, grad_weight, grad_bias)[: 4 if bias_hh is not None else 3]


def lstm_cell(x_projected, hidden, cell, weight_hh, bias_hh=None, transposed_weight=None, step=None,
              step_gradients=None):
    """(h', c'): one LSTM step as one op (see :class:`FusedLSTMCell`). A layer passes what makes it
    faster, not different: ``transposed_weight``, an array equal to W_hhᵀ and contiguous, and
    ``step_gradients`` (its :class:`StepGradientBuffer`) with the ``step`` this is; see :class:`FusedCell`.

    >>> import tinygrad_rnn as tr
    >>> x, h, c = tr.zeros(2, 8), tr.zeros(2, 2), tr.zeros(2, 2)
    >>> h, c = lstm_cell(x, h, c, tr.ones(8, 2, requires_grad=True))
    >>> h.shape, c.shape, h.grad_fn
    ((2, 2), (2, 2), <FusedLSTMCell>)
    """
    return FusedLSTMCell.apply(x_projected, hidden, cell, weight_hh, *(() if bias_hh is None else (bias_hh,)),
                               transposed_weight=transposed_weight, step=step, step_gradients=step_gradients)


def gru_cell(x_projected, hidden, weight_hh, bias_hh=None, transposed_weight=None, step=None, step_gradients=None):
    """h': one GRU step as one op (see :class:`FusedGRUCell`); ``x_projected`` is the step's input
    projection [x_r, x_z, x_n], (B, 3H); the rest as for :func:`lstm_cell`.

    >>> import tinygrad_rnn as tr
    >>> gru_cell(tr.zeros(2, 9), tr.zeros(2, 3), tr.ones(9, 3, requires_grad=True)).shape
    (2, 3)
    """
    (new_hidden,) = FusedGRUCell.apply(x_projected, hidden, weight_hh, *(() if bias_hh is None else (bias_hh,)),
                                       transposed_weight=transposed_weight, step=step, step_gradients=step_gradients)
    return new_hidden


def rnn_cell(x_projected, hidden, weight_hh, bias_hh=None, nonlinearity: str = "tanh", transposed_weight=None,
             step=None, step_gradients=None):
    """h': one Elman RNN step as one op (see :class:`FusedRNNCell`; the rest as for :func:`lstm_cell`).

    >>> import tinygrad_rnn as tr
    >>> rnn_cell(tr.zeros(2, 3), tr.zeros(2, 3), tr.ones(3, 3, requires_grad=True)).grad_fn
    <FusedRNNCell>
    """
    return FusedRNNCell.apply(x_projected, hidden, weight_hh, *(() if bias_hh is None else (bias_hh,)),
                              nonlinearity=nonlinearity, transposed_weight=transposed_weight, step=step,
                              step_gradients=step_gradients)
