"""Fused cells: one time step of an RNN, LSTM or GRU as one op — one node of the graph.

The primitive cells of :mod:`tinygrad_rnn.nn.cells` record a dozen ops per step; these record
one, and their backward is the chain rule through the cell written out by hand, once, with
operators and op functions that accept arrays or Tensors — so it serves the fast backward and
``create_graph=True`` alike, and a test proves it equal to the primitive cells. What backward
reads beyond the inputs (the activated gates) is an extra output of the op, saved for backward
and not returned (``saves_intermediates``): in a recorded backward it is a tensor of the graph, so
second derivatives flow through it. Like PyTorch's LSTMCell and GRUCell, the functions return
(h', c') and h'.

Each cell's arithmetic after its matrix products — the pointwise part — is one function here
(``lstm_pointwise``, ``gru_pointwise``, ``rnn_pointwise`` forward; the cells' ``gate_gradients``
backward, and their ``slopes``: its factors that do not depend on the arriving gradient, which a
layer on CPU arrays makes for all its steps at once). The fused layer (:mod:`.layers`: one node for
a whole sequence) runs the same functions at every step, writing into its buffers. On the GPU,
where a step costs what its kernel launches cost, the pointwise part runs as one CUDA kernel each
way instead (:mod:`.kernels`: the same equations, tested equal on the GPU).

Shapes: x_projected (B, G·H), hidden (B, H), weight_hh (G·H, H), bias_hh (G·H,).
"""

from __future__ import annotations

import functools

from ...device import array_module
from ...errors import ShapeError
from ...function import Function
from ...ops.elementwise import relu, sigmoid_array
from ...ops.linalg import linear_backward, linear_forward
from ...ops.shape import cat
from . import kernels


def lstm_pointwise(gates, cell_state, out=None):
    """(h', c', tanh c') of one LSTM step from its pre-activations ``gates`` (B, 4H), which are
    activated in place (i, f, g, o = σ, σ, tanh, σ): c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh(c').
    Arrays only; ``out`` = (h', c', tanh c') arrays to write into (new ones if None)."""
    xp, size = array_module(cell_state), cell_state.shape[-1]
    if out is None:
        out = tuple(xp.empty(cell_state.shape, dtype=cell_state.dtype) for _ in range(3))
    hidden_out, cell_out, tanh_cell = out
    if kernels.applies_to(gates):  # on the GPU: one kernel (the same equations)
        return kernels.lstm_forward(gates, cell_state, out)
    # σ(x) = ½ + ½ tanh(x/2) (sigmoid_array's, the same numbers): all four gates through one tanh, the
    # pre-activations of i, f and o halved before it and ½ t + ½ after it, g's left as they are
    scale, shift = _gate_scale_and_shift(4 * size, gates.dtype, xp)
    gates *= scale
    xp.tanh(gates, out=gates)
    gates *= scale
    gates += shift
    xp.multiply(gates[:, size: 2 * size], cell_state, out=cell_out)
    xp.multiply(gates[:, :size], gates[:, 2 * size: 3 * size], out=hidden_out)  # i ⊙ g (h' is written last)
    cell_out += hidden_out
    xp.tanh(cell_out, out=tanh_cell)
    xp.multiply(gates[:, 3 * size:], tanh_cell, out=hidden_out)
    return out


@functools.cache
def _gate_scale_and_shift(width: int, dtype, xp) -> tuple:
    """[½ … ½ (i, f), 1 … 1 (g), ½ … ½ (o)] and [½ … ½, 0 … 0, ½ … ½], each (4H,): with them an LSTM's
    gates go through one tanh (``lstm_pointwise``). Made once per width and dtype, and never written."""
    size = width // 4
    scale, shift = xp.full(width, 0.5, dtype=dtype), xp.full(width, 0.5, dtype=dtype)
    scale[2 * size: 3 * size], shift[2 * size: 3 * size] = 1, 0
    return scale, shift


def gru_pointwise(x_projected, recurrent, hidden, gates_out=None, hidden_out=None):
    """(h', gates) of one GRU step from its input projection and h W_hhᵀ + b_hh (both (B, 3H)):
    r, z = σ(x_r + …), σ(x_z + …); n = tanh(x_n + r ⊙ (h W_hnᵀ + b_hn)); h' = n + z ⊙ (h − n).
    Arrays only; the gates are written into ``gates_out`` (3, B, H): r, z and n each contiguous,
    as the backward reads them, and h' into ``hidden_out``."""
    xp, size = array_module(hidden), hidden.shape[-1]
    if gates_out is None:
        gates_out = xp.empty((3, *hidden.shape), dtype=hidden.dtype)
    if hidden_out is None:
        hidden_out = xp.empty(hidden.shape, dtype=hidden.dtype)
    if kernels.applies_to(recurrent):  # on the GPU: one kernel (the same equations)
        kernels.gru_forward(x_projected, recurrent, hidden, (hidden_out, *gates_out))
        return hidden_out, gates_out
    # r and z side by side in one pass: σ of [x_r + h W_hrᵀ + b_hr, x_z + h W_hzᵀ + b_hz]
    reset_update = sigmoid_array(x_projected[:, : 2 * size] + recurrent[:, : 2 * size])
    reset, update, new = gates_out
    reset[...], update[...] = reset_update[:, :size], reset_update[:, size:]
    xp.multiply(reset, recurrent[:, 2 * size:], out=new)
    new += x_projected[:, 2 * size:]
    xp.tanh(new, out=new)
    xp.subtract(hidden, new, out=hidden_out)  # h' = n + z ⊙ (h − n)
    hidden_out *= update
    hidden_out += new
    return hidden_out, gates_out


def rnn_pointwise(pre, nonlinearity: str = "tanh", out=None):
    """h' = tanh(pre) or relu(pre) of one Elman step's pre-activation (arrays; into ``out`` if given)."""
    if nonlinearity == "relu":
        return relu(pre) if out is None else array_module(pre).maximum(pre, 0, out=out)
    return array_module(pre).tanh(pre, out=pre if out is None else out)


def _sum_into(total, term, out):
    """total + term, written into ``out`` (an array total already is) if given."""
    return total + term if out is None else array_module(out).add(total, term, out=out)


def _cat_into(parts, dim: int, out):
    """``cat(parts, dim)``, written into ``out`` if given (plain arrays only: a step's slot of one
    buffer, so the layer's backward allocates nothing per step); a misfit names the shapes."""
    if out is None:
        return cat(parts, dim=dim)
    try:
        return array_module(out).concatenate(parts, axis=dim, out=out)
    except (ValueError, IndexError) as error:
        shapes = ", ".join(str(tuple(part.shape)) for part in parts)
        raise ShapeError(f"cat: cannot join shapes {shapes} along dim {dim} into out of shape "
                         f"{tuple(out.shape)} ({error})") from None


class FusedCell(Function):
    """What the fused cells share: their first step, h W_hhᵀ + b_hh, multiplies by W_hhᵀ laid out
    contiguously when the caller has it (``transposed_weight``, a constant: a layer makes it once
    per sequence, as a hand-written BPTT does; see ``linear_forward``)."""

    def __init__(self, transposed_weight=None) -> None:
        self.transposed_weight = transposed_weight

    def recurrent_product(self, hidden, weight_hh, bias_hh):
        return linear_forward(hidden, weight_hh, bias_hh, self.transposed_weight)

    def recurrent_gradients(self, grad_pre, hidden, weight_hh, bias_hh):
        """(∂h, ∂W_hh, ∂b_hh) through h W_hhᵀ + b_hh, by linear's rule: hidden is every cell's
        input 1, the weight and bias its last inputs (None where no gradient is needed)."""
        need = self.needs_input_grad
        weight_at = len(need) - (2 if bias_hh is not None else 1)
        return linear_backward(grad_pre, hidden, weight_hh, bias_hh, need[1], need[weight_at],
                               bias_hh is not None and need[-1])

    def release(self) -> None:
        """Also let go of the layer's W_hhᵀ: like the saved arrays, memory the graph need not keep
        once backward has run."""
        super().release()
        self.transposed_weight = None


class FusedLSTMCell(FusedCell):
    """i, f, g, o = σ, σ, tanh, σ of (x_proj + h Wᵀ + b);  c' = f ⊙ c + i ⊙ g;  h' = o ⊙ tanh(c').
    Outputs h', c', and saved for backward the gates [i, f, g, o] and tanh(c') (as a hand-written
    BPTT keeps it, rather than computing it again).
    ∂c = ∂c' + ∂h' ⊙ o ⊙ (1 − tanh² c');  (∂i, ∂f, ∂g, ∂o) = (∂c ⊙ g, ∂c ⊙ c, ∂c ⊙ i, ∂h' ⊙ tanh c'),
    through σ' = s(1 − s) and tanh' = 1 − g²;  ∂c_prev = ∂c ⊙ f;  then linear's rule for h, W, b."""

    name = "fused LSTM cell"
    multiple_outputs = True
    saves_intermediates = 2
    states = ("h", "c")  # the outputs a drawing names: h_t, c_t

    def forward(self, x_projected, hidden, cell_state, weight_hh, bias_hh=None):
        gates = self.recurrent_product(hidden, weight_hh, bias_hh)
        gates += x_projected  # the pre-activations, activated in place: i, f, g, o
        new_hidden, new_cell_state, tanh_cell = lstm_pointwise(gates, cell_state)
        return new_hidden, new_cell_state, gates, tanh_cell

    def backward(self, grads, outs, x_projected, hidden, cell_state, weight_hh, bias_hh=None):
        _, _, gates, tanh_cell = outs
        grad_pre, grad_cell_prev = self.gate_gradients(grads, gates, tanh_cell, cell_state)
        need = self.needs_input_grad
        grad_h, grad_weight, grad_bias = self.recurrent_gradients(grad_pre, hidden, weight_hh, bias_hh)
        return (grad_pre if need[0] else None, grad_h, grad_cell_prev if need[2] else None, grad_weight,
                grad_bias)[: 5 if bias_hh is not None else 4]

    @staticmethod
    def gate_gradients(grads, gates, tanh_cell, cell_state, out=None):
        """(∂ pre-activations, ∂c_prev) from grads = (∂h', ∂c', ∂gates, ∂tanh c'), any None: the
        chain rule through the gates, on arrays or Tensors (on arrays, ∂ pre-activations is
        written into ``out`` if given). On the GPU, one kernel (when only ∂h', ∂c' arrived)."""
        grad_hidden, grad_cell, grad_gates, grad_tanh_cell = grads
        if kernels.applies_to(gates) and grad_gates is None and grad_tanh_cell is None:
            grad_pre, grad_cell_prev = kernels.lstm_backward(gates, tanh_cell, cell_state, grad_hidden, grad_cell)
            if out is not None:
                out[...] = grad_pre
            return grad_pre if out is None else out, grad_cell_prev
        size = cell_state.shape[-1]
        i, f, g, o = gates[:, :size], gates[:, size: 2 * size], gates[:, 2 * size: 3 * size], gates[:, 3 * size:]
        if grad_hidden is None:
            grad_hidden = 0 * tanh_cell
        grad_tanh = grad_hidden * o if grad_tanh_cell is None else grad_hidden * o + grad_tanh_cell
        grad_c = grad_tanh * (1 - tanh_cell * tanh_cell)
        if grad_cell is not None:
            grad_c = grad_c + grad_cell
        slopes = (i * (1 - i), f * (1 - f), 1 - g * g, o * (1 - o))  # σ' = s(1 − s), tanh' = 1 − g²
        grad_pre = _cat_into([grad_c * g * slopes[0], grad_c * cell_state * slopes[1], grad_c * i * slopes[2],
                              grad_hidden * tanh_cell * slopes[3]], -1, out)
        if grad_gates is not None:  # the gates themselves were used (a recorded backward reads them)
            grad_pre = _sum_into(grad_pre, grad_gates * cat(slopes, dim=-1), out)
        return grad_pre, grad_c * f

    @staticmethod
    def slopes(gates, tanh_cell, cell_state, out):
        """``gate_gradients``' chain rule with its factors that do not depend on the arriving gradient
        multiplied out first — on arrays, for any number of leading dimensions, so that a layer makes
        them for all its steps at once before its loop (:mod:`.layers`): written into ``out`` (…, 4H),
        [g ⊙ σ'(i), c ⊙ σ'(f), i ⊙ tanh'(g), tanh c' ⊙ σ'(o)], so that [δi, δf, δg, δo] = out ⊙ [∂c, ∂c,
        ∂c, ∂h']; and returned beside it o ⊙ tanh'(c'), so that ∂c = ∂c' + ∂h' ⊙ o ⊙ tanh'(c').

        >>> import numpy as np
        >>> gates, tanh_cell = np.full((1, 4), 0.5), np.zeros((1, 1))
        >>> out, cell_slope = FusedLSTMCell.slopes(gates, tanh_cell, np.ones((1, 1)), np.empty((1, 4)))
        >>> out.tolist(), cell_slope.tolist()
        ([[0.125, 0.25, 0.375, 0.0]], [[0.5]])
        """
        xp, size = array_module(gates), cell_state.shape[-1]
        xp.subtract(1, gates, out=out)
        out *= gates  # s(1 − s): σ' of i, f and o (g's block is made again below)
        slope_i, slope_f, slope_g, slope_o = (out[..., k * size: (k + 1) * size] for k in range(4))
        i, f, g, o = (gates[..., k * size: (k + 1) * size] for k in range(4))
        xp.multiply(g, g, out=slope_g)
        xp.subtract(1, slope_g, out=slope_g)  # tanh'(g) = 1 − g²
        slope_i *= g
        slope_f *= cell_state
        slope_g *= i
        slope_o *= tanh_cell
        cell_slope = tanh_cell * tanh_cell
        xp.subtract(1, cell_slope, out=cell_slope)
        cell_slope *= o
        return out, cell_slope


class FusedGRUCell(FusedCell):
    """r = σ(x_r + h W_hrᵀ + b_hr), z = σ(x_z + …), n = tanh(x_n + r ⊙ (h W_hnᵀ + b_hn));
    h' = n + z ⊙ (h − n), with x_proj = [x_r, x_z, x_n].  Outputs h', and saved for backward
    the gates (r, z, n), (3, B, H), and h W_hhᵀ + b_hh (whose n part, h W_hnᵀ + b_hn, r scales).
    ∂n = ∂h' ⊙ (1 − z);  ∂z = ∂h' ⊙ (h − n);  ∂h = ∂h' ⊙ z + (linear's rule);
    through n: ∂(pre n) = ∂n ⊙ (1 − n²), ∂r = ∂(pre n) ⊙ hn, ∂hn = ∂(pre n) ⊙ r."""

    name = "fused GRU cell"
    multiple_outputs = True
    saves_intermediates = 2
    states = ("h",)

    def forward(self, x_projected, hidden, weight_hh, bias_hh=None):
        recurrent = self.recurrent_product(hidden, weight_hh, bias_hh)
        new_hidden, gates = gru_pointwise(x_projected, recurrent, hidden)
        return new_hidden, gates, recurrent

    def backward(self, grads, outs, x_projected, hidden, weight_hh, bias_hh=None):
        _, gates, recurrent = outs
        need = self.needs_input_grad
        grad_recurrent, grad_x, grad_h_direct = self.gate_gradients(grads, gates, recurrent, hidden)
        grad_h, grad_weight, grad_bias = self.recurrent_gradients(grad_recurrent, hidden, weight_hh, bias_hh)
        if need[1]:
            grad_h = grad_h + grad_h_direct
        return (grad_x if need[0] else None, grad_h, grad_weight, grad_bias)[: 4 if bias_hh is not None else 3]

    @staticmethod
    def gate_gradients(grads, gates, recurrent, hidden, out_recurrent=None, out_x=None):
        """(∂ of h W_hhᵀ + b_hh, ∂x_proj, ∂h' ⊙ z) from grads = (∂h', ∂gates, ∂(h W_hhᵀ + b_hh)),
        any None: the chain rule through the gates, on arrays or Tensors. x_proj's n part enters
        before r scales it, h W_hnᵀ + b_hn after: their gradients differ there. (On arrays, the
        first two are written into ``out_recurrent`` and ``out_x`` if given; on the GPU, one kernel
        when only ∂h' arrived.)"""
        grad_out, grad_gates, grad_recurrent_in = grads
        size = hidden.shape[-1]
        reset, update, new = gates[0], gates[1], gates[2]
        h_new = recurrent[:, 2 * size:]
        if kernels.applies_to(gates) and grad_gates is None and grad_recurrent_in is None:
            made = kernels.gru_backward(grad_out, reset, update, new, h_new, hidden)
            for result, out in zip(made, (out_recurrent, out_x)):
                if out is not None:
                    out[...] = result
            return (made[0] if out_recurrent is None else out_recurrent, made[1] if out_x is None else out_x, made[2])
        if grad_out is None:
            grad_out = 0 * new
        grad_n = grad_out * (1 - update)
        grad_z = grad_out * (hidden - new)
        grad_r = None
        if grad_gates is not None:
            grad_r, grad_z, grad_n = grad_gates[0], grad_z + grad_gates[1], grad_n + grad_gates[2]
        grad_n_pre = grad_n * (1 - new * new)
        grad_r = grad_n_pre * h_new if grad_r is None else grad_r + grad_n_pre * h_new
        grad_hn = grad_n_pre * reset
        grad_r_pre = grad_r * reset * (1 - reset)
        grad_z_pre = grad_z * update * (1 - update)
        grad_recurrent = _cat_into([grad_r_pre, grad_z_pre, grad_hn], -1, out_recurrent)
        if grad_recurrent_in is not None:  # h W_hhᵀ + b_hh itself was used (a recorded backward reads it)
            grad_recurrent = _sum_into(grad_recurrent, grad_recurrent_in, out_recurrent)
        return grad_recurrent, _cat_into([grad_r_pre, grad_z_pre, grad_n_pre], -1, out_x), grad_out * update

    @staticmethod
    def slopes(gates, recurrent, hidden, out_recurrent, out_new_input=None):
        """``gate_gradients``' chain rule with its factors that do not depend on ∂h' multiplied out first
        (arrays, any leading dimensions: a layer's steps all at once, gates (…, 3, B, H)), so that
        ∂(h W_hhᵀ + b_hh) = ∂h' ⊙ ``out_recurrent`` (…, B, 3H), and ∂x_proj is the same but in its n block,
        ∂h' ⊙ ``out_new_input`` (…, B, H; None: not needed). With s_n = (1 − z) tanh'(n), written there:
        [s_n ⊙ (h W_hnᵀ + b_hn) ⊙ σ'(r), (h − n) ⊙ σ'(z), s_n ⊙ r]  and  s_n  (x_n enters before r scales it).

        >>> import numpy as np
        >>> gates, recurrent = np.full((3, 1, 1), 0.5), np.ones((1, 3))
        >>> out_recurrent, out_new_input = np.empty((1, 3)), np.empty((1, 1))
        >>> FusedGRUCell.slopes(gates, recurrent, np.ones((1, 1)), out_recurrent, out_new_input)
        >>> out_recurrent.tolist(), out_new_input.tolist()
        ([[0.09375, 0.125, 0.1875]], [[0.375]])
        """
        xp, size = array_module(hidden), hidden.shape[-1]
        reset, update, new = gates[..., 0, :, :], gates[..., 1, :, :], gates[..., 2, :, :]
        slope_r, slope_z, slope_n = (out_recurrent[..., k * size: (k + 1) * size] for k in range(3))
        xp.multiply(new, new, out=slope_n)
        xp.subtract(1, slope_n, out=slope_n)  # tanh'(n) = 1 − n²
        kept = 1 - update
        slope_n *= kept  # s_n
        xp.subtract(hidden, new, out=slope_z)
        slope_z *= update
        slope_z *= kept  # (h − n) z (1 − z)
        xp.multiply(slope_n, recurrent[..., 2 * size:], out=slope_r)
        slope_r *= reset
        slope_r *= xp.subtract(1, reset, out=kept)  # s_n (h W_hnᵀ + b_hn) r (1 − r)
        if out_new_input is not None:
            out_new_input[...] = slope_n
        slope_n *= reset  # the n block of h W_hhᵀ + b_hh enters after r scales it


class FusedRNNCell(FusedCell):
    """h' = tanh(x_proj + h Wᵀ + b) (or relu);   ∂(pre) = ∂h' ⊙ (1 − h'²) (relu: ∂h' where h' > 0);
    then linear's rule for h, W, b."""

    name = "fused RNN cell"

    def __init__(self, nonlinearity: str = "tanh", transposed_weight=None) -> None:
        super().__init__(transposed_weight)
        self.nonlinearity = nonlinearity

    def forward(self, x_projected, hidden, weight_hh, bias_hh=None):
        pre = self.recurrent_product(hidden, weight_hh, bias_hh)
        if self.nonlinearity == "tanh" and kernels.applies_to(pre):  # on the GPU: one kernel
            return kernels.rnn_tanh_forward(pre, x_projected)
        pre += x_projected
        return rnn_pointwise(pre, self.nonlinearity, out=pre)

    def backward(self, grad, out, x_projected, hidden, weight_hh, bias_hh=None):
        grad_pre = self.gate_gradients(grad, out, self.nonlinearity)
        need = self.needs_input_grad
        grad_h, grad_weight, grad_bias = self.recurrent_gradients(grad_pre, hidden, weight_hh, bias_hh)
        return (grad_pre if need[0] else None, grad_h, grad_weight, grad_bias)[: 4 if bias_hh is not None else 3]

    @staticmethod
    def gate_gradients(grad, out, nonlinearity: str = "tanh", into=None):
        """∂(pre-activation) from ∂h', on arrays or Tensors (on arrays, into ``into`` if given)."""
        if nonlinearity == "tanh" and kernels.applies_to(out) and into is None:
            return kernels.rnn_tanh_backward(grad, out)
        slope = 1 - out * out if nonlinearity == "tanh" else out > 0
        return grad * slope if into is None else array_module(into).multiply(grad, slope, out=into)

    @staticmethod
    def slopes(out, nonlinearity: str = "tanh", into=None):
        """∂h'/∂(pre-activation), elementwise, for any leading dimensions (arrays; a layer's steps all at
        once): 1 − h'² (tanh) or [h' > 0] (relu), written into ``into``, so that δ = ∂h' ⊙ it.

        >>> import numpy as np
        >>> FusedRNNCell.slopes(np.array([0.5, -0.5]), into=np.empty(2)).tolist()
        [0.75, 0.75]
        """
        xp = array_module(out)
        if nonlinearity == "relu":
            return xp.greater(out, 0, out=into)
        into = xp.multiply(out, out, out=into)
        return xp.subtract(1, into, out=into)


def fused_lstm_cell(x_projected, hidden, cell_state, weight_hh, bias_hh=None, transposed_weight=None):
    """(h', c'): one LSTM step as one op (see :class:`FusedLSTMCell`). A caller may pass what makes
    it faster, not different: ``transposed_weight``, an array equal to W_hhᵀ and contiguous.

    >>> import tinygrad_rnn as tr
    >>> x, h, c = tr.zeros(2, 8), tr.zeros(2, 2), tr.zeros(2, 2)
    >>> h, c = fused_lstm_cell(x, h, c, tr.ones(8, 2, requires_grad=True))
    >>> h.shape, c.shape, h.grad_fn
    ((2, 2), (2, 2), <FusedLSTMCell>)
    """
    return FusedLSTMCell.apply(x_projected, hidden, cell_state, weight_hh, *(() if bias_hh is None else (bias_hh,)),
                               transposed_weight=transposed_weight)


def fused_gru_cell(x_projected, hidden, weight_hh, bias_hh=None, transposed_weight=None):
    """h': one GRU step as one op (see :class:`FusedGRUCell`); ``x_projected`` is the step's input
    projection [x_r, x_z, x_n], (B, 3H); the rest as for :func:`fused_lstm_cell`.

    >>> import tinygrad_rnn as tr
    >>> fused_gru_cell(tr.zeros(2, 9), tr.zeros(2, 3), tr.ones(9, 3, requires_grad=True)).shape
    (2, 3)
    """
    (new_hidden,) = FusedGRUCell.apply(x_projected, hidden, weight_hh, *(() if bias_hh is None else (bias_hh,)),
                                       transposed_weight=transposed_weight)
    return new_hidden


def fused_rnn_cell(x_projected, hidden, weight_hh, bias_hh=None, nonlinearity: str = "tanh", transposed_weight=None):
    """h': one Elman RNN step as one op (see :class:`FusedRNNCell`; the rest as for :func:`fused_lstm_cell`).

    >>> import tinygrad_rnn as tr
    >>> fused_rnn_cell(tr.zeros(2, 3), tr.zeros(2, 3), tr.ones(3, 3, requires_grad=True)).grad_fn
    <FusedRNNCell>
    """
    return FusedRNNCell.apply(x_projected, hidden, weight_hh, *(() if bias_hh is None else (bias_hh,)),
                              nonlinearity=nonlinearity, transposed_weight=transposed_weight)
