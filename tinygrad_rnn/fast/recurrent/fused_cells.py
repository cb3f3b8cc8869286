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
backward). Each cell's local derivatives — σ' = s(1 − s), tanh' = 1 − g² and which factor multiplies
which gate — are written once, in its ``slopes`` (the GRU's in ``through_gates``, which its ``slopes``
applies to ∂h'/∂n and ∂h'/∂z): plain expressions on arrays or Tensors, on which ``gate_gradients`` builds
the chain rule, or written in place, for all of a layer's steps at once on CPU arrays. The fused layer
(:mod:`.layers`: one node for a whole sequence) runs the same functions at every step, writing into its
buffers. On the GPU, where a step costs what its kernel launches cost, the pointwise part runs as one
CUDA kernel each way instead (:mod:`.kernels`: the same equations, tested equal on the GPU).

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


def sigmoid_slope(activated, out=None):
    """σ'(x) from s = σ(x): s(1 − s), on arrays or Tensors (on arrays written into ``out`` if given).

    >>> import numpy as np
    >>> sigmoid_slope(np.array([0.5, 0.9])).round(2).tolist()
    [0.25, 0.09]
    """
    if out is None:
        return activated * (1 - activated)
    array_module(out).subtract(1, activated, out=out)
    out *= activated
    return out


def tanh_slope(activated, out=None):
    """tanh'(x) from t = tanh(x): 1 − t², on arrays or Tensors (on arrays written into ``out`` if given).

    >>> import numpy as np
    >>> tanh_slope(np.array([0.0, 0.5])).tolist()
    [1.0, 0.75]
    """
    if out is None:
        return 1 - activated * activated
    xp = array_module(out)
    xp.multiply(activated, activated, out=out)
    return xp.subtract(1, out, out=out)


def _times(factor, other, out=None):
    """factor ⊙ other, written into ``out`` (which may be ``factor`` itself) if given."""
    return factor * other if out is None else array_module(out).multiply(factor, other, out=out)


def _difference(minuend, subtrahend, out=None):
    """minuend − subtrahend, written into ``out`` if given."""
    return minuend - subtrahend if out is None else array_module(out).subtract(minuend, subtrahend, out=out)


def _blocks(joined, count: int) -> tuple:
    """The ``count`` equal blocks of ``joined``'s last dimension (views), or Nones where it is None."""
    if joined is None:
        return (None,) * count
    size = joined.shape[-1] // count
    return tuple([joined[..., k * size: (k + 1) * size] for k in range(count)])


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
        if grad_hidden is None:
            grad_hidden = 0 * tanh_cell
        (slope_i, slope_f, slope_g, slope_o), cell_slope = FusedLSTMCell.slopes(gates, tanh_cell, cell_state)
        grad_c = grad_hidden * cell_slope
        if grad_tanh_cell is not None:  # tanh c' itself was used (a recorded backward reads it)
            grad_c = grad_c + grad_tanh_cell * tanh_slope(tanh_cell)
        if grad_cell is not None:
            grad_c = grad_c + grad_cell
        grad_pre = _cat_into([grad_c * slope_i, grad_c * slope_f, grad_c * slope_g, grad_hidden * slope_o], -1, out)
        if grad_gates is not None:  # the gates themselves were used (a recorded backward reads them)
            activation_slopes = FusedLSTMCell.activation_slopes(gates, _blocks(gates, 4))
            grad_pre = _sum_into(grad_pre, grad_gates * cat(activation_slopes, dim=-1), out)
        size = cell_state.shape[-1]
        return grad_pre, grad_c * gates[..., size: 2 * size]  # ∂c_prev = ∂c ⊙ f

    @staticmethod
    def activation_slopes(gates, blocks: tuple, out=None) -> tuple:
        """[σ'(i), σ'(f), tanh'(g), σ'(o)] from the activated gates [i, f, g, o] (``blocks``: their four blocks,
        as the caller has them), as four blocks: on arrays or Tensors, and on arrays written into ``out`` if
        given — there σ' over all four blocks in one pass and then tanh' over g's (one operation over the whole
        width costs less than one per strided block)."""
        i, f, g, o = blocks
        if out is None:
            return sigmoid_slope(i), sigmoid_slope(f), tanh_slope(g), sigmoid_slope(o)
        slopes = _blocks(sigmoid_slope(gates, out), 4)
        tanh_slope(g, slopes[2])
        return slopes

    @staticmethod
    def slopes(gates, tanh_cell, cell_state, out=None):
        """The LSTM's local derivatives, the factors of ``gate_gradients``' chain rule that do not depend on the
        arriving gradient: [g ⊙ σ'(i), c ⊙ σ'(f), i ⊙ tanh'(g), tanh c' ⊙ σ'(o)], so that [δi, δf, δg, δo] =
        them ⊙ [∂c, ∂c, ∂c, ∂h'], and beside them o ⊙ tanh'(c'), so that ∂c = ∂c' + ∂h' ⊙ o ⊙ tanh'(c').
        Without ``out``, plain expressions on arrays or Tensors (the four as a tuple: ``gate_gradients``,
        a recorded backward included); with it, on arrays of any leading dimensions, written into ``out``
        (…, 4H) — a layer makes them for all its steps at once before its loop (:mod:`.layers`).

        >>> import numpy as np
        >>> gates, tanh_cell = np.full((1, 4), 0.5), np.zeros((1, 1))
        >>> out, cell_slope = FusedLSTMCell.slopes(gates, tanh_cell, np.ones((1, 1)), np.empty((1, 4)))
        >>> out.tolist(), cell_slope.tolist()
        ([[0.125, 0.25, 0.375, 0.0]], [[0.5]])
        """
        i, f, g, o = _blocks(gates, 4)
        into = _blocks(out, 4)
        slope_i, slope_f, slope_g, slope_o = FusedLSTMCell.activation_slopes(gates, (i, f, g, o), out)
        # each times what multiplies its gate in c' = f ⊙ c + i ⊙ g and h' = o ⊙ tanh c'
        gate_slopes = (_times(slope_i, g, into[0]), _times(slope_f, cell_state, into[1]),
                       _times(slope_g, i, into[2]), _times(slope_o, tanh_cell, into[3]))
        into_cell = None if out is None else array_module(out).empty(tanh_cell.shape, dtype=out.dtype)
        cell_slope = _times(tanh_slope(tanh_cell, into_cell), o, into_cell)
        return gate_slopes if out is None else out, cell_slope


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
        per_new, per_update = FusedGRUCell.state_slopes(update, new, hidden)
        grad_n, grad_z = grad_out * per_new, grad_out * per_update
        grad_r = None
        if grad_gates is not None:  # the gates themselves were used (a recorded backward reads them)
            grad_r, grad_z, grad_n = grad_gates[0], grad_z + grad_gates[1], grad_n + grad_gates[2]
        grad_r_pre, grad_z_pre, grad_hn, grad_n_pre = FusedGRUCell.through_gates(grad_n, grad_z, reset, update, new,
                                                                                 h_new, grad_r)
        grad_recurrent = _cat_into([grad_r_pre, grad_z_pre, grad_hn], -1, out_recurrent)
        if grad_recurrent_in is not None:  # h W_hhᵀ + b_hh itself was used (a recorded backward reads it)
            grad_recurrent = _sum_into(grad_recurrent, grad_recurrent_in, out_recurrent)
        return grad_recurrent, _cat_into([grad_r_pre, grad_z_pre, grad_n_pre], -1, out_x), grad_out * update

    @staticmethod
    def state_slopes(update, new, hidden, out_new=None, out_update=None) -> tuple:
        """(∂h'/∂n, ∂h'/∂z) = (1 − z, h − n), from h' = n + z ⊙ (h − n): on arrays or Tensors, and on arrays
        written into ``out_new`` and ``out_update`` if given."""
        return _difference(1, update, out_new), _difference(hidden, new, out_update)

    @staticmethod
    def through_gates(grad_new, grad_update, reset, update, new, recurrent_new, grad_reset=None, out=None,
                      out_new_input=None, scratch=None):
        """The chain rule from the activated gates to what made them: from ∂n, ∂z (and ∂r, where r itself
        was used) to (∂(pre r), ∂(pre z), ∂(h W_hnᵀ + b_hn), ∂(pre n)), through tanh'(n), pre n = x_n + r ⊙
        (h W_hnᵀ + b_hn) and σ'. On arrays or Tensors; on arrays, with ``out`` (…, B, 3H) and ``scratch``
        (…, B, H) given, the first three written into out's blocks, ∂(pre n) into ``out_new_input`` (if
        given), and ``out`` returned (``grad_new`` may be ``scratch``, ``grad_update`` out's z block)."""
        into_reset, into_update, into_new = _blocks(out, 3)
        grad_new_pre = _times(grad_new, tanh_slope(new, into_new), into_new)  # ∂(pre n) = ∂n ⊙ tanh'(n)
        grad_reset_total = _times(grad_new_pre, recurrent_new, into_reset)  # r scales h W_hnᵀ + b_hn
        if grad_reset is not None:
            grad_reset_total = grad_reset + grad_reset_total
        grad_reset_pre = _times(grad_reset_total, sigmoid_slope(reset, scratch), into_reset)
        grad_update_pre = _times(grad_update, sigmoid_slope(update, scratch), into_update)
        if out_new_input is not None:
            out_new_input[...] = grad_new_pre
        grad_recurrent_new = _times(grad_new_pre, reset, into_new)  # h W_hnᵀ + b_hn enters after r scales it
        return (grad_reset_pre, grad_update_pre, grad_recurrent_new, grad_new_pre) if out is None else out

    @staticmethod
    def slopes(gates, recurrent, hidden, out_recurrent=None, out_new_input=None):
        """The GRU's local derivatives, ``through_gates`` of ``state_slopes``: the factors of ``gate_gradients``'
        chain rule that do not depend on ∂h', so that ∂(h W_hhᵀ + b_hh) = ∂h' ⊙ [the first three] and ∂x_proj is
        the same but in its n block, ∂h' ⊙ the fourth. With s_n = (1 − z) tanh'(n) they are
        [s_n ⊙ (h W_hnᵀ + b_hn) ⊙ σ'(r), (h − n) ⊙ σ'(z), s_n ⊙ r]  and  s_n  (x_n enters before r scales it).
        Without ``out_recurrent``, plain expressions (a tuple of four); with it, on arrays of any leading
        dimensions (a layer's steps all at once, gates (…, 3, B, H)), written into ``out_recurrent`` (…, B, 3H)
        and s_n into ``out_new_input`` (…, B, H; None: not needed).

        >>> import numpy as np
        >>> gates, recurrent = np.full((3, 1, 1), 0.5), np.ones((1, 3))
        >>> out_recurrent, out_new_input = np.empty((1, 3)), np.empty((1, 1))
        >>> _ = FusedGRUCell.slopes(gates, recurrent, np.ones((1, 1)), out_recurrent, out_new_input)
        >>> out_recurrent.tolist(), out_new_input.tolist()
        ([[0.09375, 0.125, 0.1875]], [[0.375]])
        """
        reset, update, new = gates[..., 0, :, :], gates[..., 1, :, :], gates[..., 2, :, :]
        scratch = None if out_recurrent is None else array_module(new).empty(new.shape, dtype=new.dtype)
        per_new, per_update = FusedGRUCell.state_slopes(update, new, hidden, scratch, _blocks(out_recurrent, 3)[1])
        return FusedGRUCell.through_gates(per_new, per_update, reset, update, new, _blocks(recurrent, 3)[2], None,
                                          out_recurrent, out_new_input, scratch)


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
        slope = FusedRNNCell.slopes(out, nonlinearity)
        return grad * slope if into is None else array_module(into).multiply(grad, slope, out=into)

    @staticmethod
    def slopes(out, nonlinearity: str = "tanh", into=None):
        """∂h'/∂(pre-activation), elementwise: 1 − h'² (tanh) or [h' > 0] (relu), so that δ = ∂h' ⊙ it — on
        arrays or Tensors (``gate_gradients``), and on arrays of any leading dimensions written into ``into``
        if given (a layer's steps all at once).

        >>> import numpy as np
        >>> FusedRNNCell.slopes(np.array([0.5, -0.5]), into=np.empty(2)).tolist()
        [0.75, 0.75]
        """
        if nonlinearity == "relu":
            return out > 0 if into is None else array_module(out).greater(out, 0, out=into)
        return tanh_slope(out, into)


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
