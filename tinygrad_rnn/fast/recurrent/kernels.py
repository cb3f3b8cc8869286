"""The fused cells' pointwise arithmetic as one GPU kernel each way (CuPy).

On the GPU a time step costs what its kernel launches cost — each NumPy-style operation on a
CuPy array is one launch and about 10 µs of Python — not what the arithmetic costs. The LSTM's
gates, cell and hidden state are some fifteen such operations forward and twenty backward (the
tanh RNN's two and three); here each direction is one kernel, one thread per unit, computing
exactly the equations of :class:`~.fused_cells.FusedLSTMCell`, :class:`~.fused_cells.FusedGRUCell` and the
tanh :class:`~.fused_cells.FusedRNNCell` (σ(x) = ½ + ½ tanh(x/2), as on the CPU). The cells call these
on CuPy arrays only, and only for a plain backward; a recorded backward (create_graph) takes the
cells' own expressions, and the tests check the two equal on the GPU.

A thread handles unit k of row b; the gates of that unit sit at ``at + j·size`` in the row-major
(B, G·H) array, with ``at = b·G·H + k``.
"""

from __future__ import annotations

from typing import Any

from ...device import array_module, loaded_cupy

_SIGMOID = "template <typename T> __device__ T sigmoid(T x) { return T(0.5) + T(0.5) * tanh(T(0.5) * x); }"

_LSTM_FORWARD = (
    "T cell, int32 size", "raw T gates, T hidden_out, T cell_out, T tanh_cell", """
    const ptrdiff_t at = (i / size) * 4 * size + i % size;
    const T input = sigmoid(gates[at]), forget = sigmoid(gates[at + size]);
    const T candidate = tanh(gates[at + 2 * size]), output = sigmoid(gates[at + 3 * size]);
    gates[at] = input; gates[at + size] = forget; gates[at + 2 * size] = candidate; gates[at + 3 * size] = output;
    cell_out = forget * cell + input * candidate;
    tanh_cell = tanh(cell_out);
    hidden_out = output * tanh_cell;
    """)

_LSTM_BACKWARD = (
    "raw T gates, T tanh_cell, T cell, T grad_hidden, T grad_cell, int32 size", "raw T grad_pre, T grad_cell_prev", """
    const ptrdiff_t at = (i / size) * 4 * size + i % size;
    const T input = gates[at], forget = gates[at + size], candidate = gates[at + 2 * size];
    const T output = gates[at + 3 * size];
    const T grad_c = grad_hidden * output * (T(1) - tanh_cell * tanh_cell) + grad_cell;
    grad_pre[at] = grad_c * candidate * input * (T(1) - input);
    grad_pre[at + size] = grad_c * cell * forget * (T(1) - forget);
    grad_pre[at + 2 * size] = grad_c * input * (T(1) - candidate * candidate);
    grad_pre[at + 3 * size] = grad_hidden * tanh_cell * output * (T(1) - output);
    grad_cell_prev = grad_c * forget;
    """)

_GRU_FORWARD = (
    "raw T x, raw T recurrent, T hidden, int32 size", "T hidden_out, T reset, T update, T candidate", """
    const ptrdiff_t at = (i / size) * 3 * size + i % size;
    reset = sigmoid(x[at] + recurrent[at]);
    update = sigmoid(x[at + size] + recurrent[at + size]);
    candidate = tanh(x[at + 2 * size] + reset * recurrent[at + 2 * size]);
    hidden_out = candidate + update * (hidden - candidate);
    """)

_GRU_BACKWARD = (
    "T grad_out, T reset, T update, T candidate, T h_new, T hidden, int32 size",
    "raw T grad_recurrent, raw T grad_x, T grad_hidden_direct", """
    const ptrdiff_t at = (i / size) * 3 * size + i % size;
    const T grad_n_pre = grad_out * (T(1) - update) * (T(1) - candidate * candidate);
    const T grad_r_pre = grad_n_pre * h_new * reset * (T(1) - reset);
    const T grad_z_pre = grad_out * (hidden - candidate) * update * (T(1) - update);
    grad_recurrent[at] = grad_r_pre; grad_recurrent[at + size] = grad_z_pre;
    grad_recurrent[at + 2 * size] = grad_n_pre * reset;
    grad_x[at] = grad_r_pre; grad_x[at + size] = grad_z_pre; grad_x[at + 2 * size] = grad_n_pre;
    grad_hidden_direct = grad_out * update;
    """)

_RNN_TANH_FORWARD = ("T pre, T x", "T hidden_out", "hidden_out = tanh(pre + x);")

_RNN_TANH_BACKWARD = ("T grad_out, T hidden_out", "T grad_pre",
                      "grad_pre = grad_out * (T(1) - hidden_out * hidden_out);")

_compiled: dict[tuple[int, str], Any] = {}


def applies_to(array: Any) -> bool:
    """True for a CuPy array of a module that compiles elementwise kernels (CuPy itself, not a
    NumPy stand-in); False for a NumPy array, or a Tensor (a recorded backward). While CuPy is
    not loaded this is one check: the fused cells ask it at every step.

    >>> import numpy
    >>> applies_to(numpy.zeros(3))
    False
    """
    cupy = loaded_cupy()
    return cupy is not None and isinstance(array, cupy.ndarray) and hasattr(cupy, "ElementwiseKernel")


def _kernel(xp: Any, name: str, definition: tuple[str, str, str]) -> Any:
    key = (id(xp), name)
    if key not in _compiled:  # compiled once per process (CuPy caches the binary on disk too)
        inputs, outputs, body = definition
        _compiled[key] = xp.ElementwiseKernel(inputs, outputs, body, f"tinygrad_rnn_{name}", preamble=_SIGMOID)
    return _compiled[key]


def _zero_if_none(gradient: Any, like: Any) -> Any:
    return gradient if gradient is not None else array_module(like).zeros((), dtype=like.dtype)


def lstm_forward(gates: Any, cell: Any, out: tuple[Any, Any, Any]) -> tuple[Any, Any, Any]:
    """(h', c', tanh c'), written into ``out``, from the pre-activations ``gates`` (B, 4H, contiguous),
    activated in place."""
    xp, size = array_module(cell), cell.shape[-1]
    _kernel(xp, "lstm_forward", _LSTM_FORWARD)(cell, size, gates, *out)
    return out


def lstm_backward(gates: Any, tanh_cell: Any, cell: Any, grad_hidden: Any, grad_cell: Any) -> tuple[Any, Any]:
    """(∂ pre-activations (B, 4H), ∂c_prev) from ∂h' and ∂c' (either may be None: no gradient)."""
    xp, size = array_module(cell), cell.shape[-1]
    grad_pre = xp.empty(gates.shape, dtype=gates.dtype)
    grad_cell_prev = xp.empty(cell.shape, dtype=cell.dtype)
    _kernel(xp, "lstm_backward", _LSTM_BACKWARD)(
        xp.ascontiguousarray(gates), tanh_cell, cell, _zero_if_none(grad_hidden, cell),
        _zero_if_none(grad_cell, cell), size, grad_pre, grad_cell_prev)
    return grad_pre, grad_cell_prev


def gru_forward(x_projected: Any, recurrent: Any, hidden: Any, out: tuple[Any, Any, Any, Any]) -> tuple:
    """(h', r, z, n), written into ``out`` (four (B, H) arrays), from the step's input projection and
    h W_hhᵀ + b_hh, both (B, 3H)."""
    xp, size = array_module(hidden), hidden.shape[-1]
    _kernel(xp, "gru_forward", _GRU_FORWARD)(xp.ascontiguousarray(x_projected), xp.ascontiguousarray(recurrent),
                                             hidden, size, *out)
    return out


def gru_backward(grad_out: Any, reset: Any, update: Any, new: Any, h_new: Any, hidden: Any) -> tuple[Any, Any, Any]:
    """(∂ of h W_hhᵀ + b_hh, ∂x_proj, ∂h' ⊙ z — the direct part of ∂h) from ∂h'."""
    xp, size = array_module(hidden), hidden.shape[-1]
    grad_recurrent = xp.empty(hidden.shape[:-1] + (3 * size,), dtype=hidden.dtype)
    grad_x = xp.empty_like(grad_recurrent)
    grad_hidden_direct = xp.empty(hidden.shape, dtype=hidden.dtype)
    _kernel(xp, "gru_backward", _GRU_BACKWARD)(grad_out, reset, update, new, h_new, hidden, size,
                                               grad_recurrent, grad_x, grad_hidden_direct)
    return grad_recurrent, grad_x, grad_hidden_direct


def rnn_tanh_forward(pre: Any, x_projected: Any) -> Any:
    """h' = tanh(h W_hhᵀ + b_hh + x_proj), from the first sum (``pre``) and the step's projection."""
    return _kernel(array_module(pre), "rnn_tanh_forward", _RNN_TANH_FORWARD)(pre, x_projected)


def rnn_tanh_backward(grad_out: Any, hidden_out: Any) -> Any:
    """∂(pre-activation) = ∂h' ⊙ (1 − h'²)."""
    return _kernel(array_module(hidden_out), "rnn_tanh_backward", _RNN_TANH_BACKWARD)(grad_out, hidden_out)
