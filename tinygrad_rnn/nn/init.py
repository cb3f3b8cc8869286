"""Weight initialisation, in place, as ``torch.nn.init``.

Values are drawn on the host from the package's generator (seed it with
``tinygrad_rnn.manual_seed``), then written into the tensor in its own dtype and on its device.

fan_in and fan_out are a weight's input and output sizes: for a (out, in) matrix, fan_in = in.
"""

from __future__ import annotations

import math
from typing import Any

import numpy

from ..creation import generator, write_host_values_, zeros
from ..inplace import mark_written
from ..recording import no_grad
from ..tensor import Tensor


def _fill(tensor: Tensor, values: numpy.ndarray) -> Tensor:
    """Write host values into the tensor in place, as PyTorch's nn.init does: under no_grad (a
    parameter may be filled; no gradient is recorded)."""
    with no_grad():
        return write_host_values_(tensor, values, " (nn.init)")


def _fans(tensor: Tensor) -> tuple[int, int]:
    if tensor.ndim < 2:
        raise ValueError(f"fan_in and fan_out need a tensor with at least 2 dimensions, got shape {tensor.shape}")
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def uniform_parameter(*shape: int, bound: float, dtype: Any = None, device: Any = None) -> Any:
    """A new Parameter of the given shape drawn from U(−bound, bound): how the layers create their
    weights (PyTorch's defaults use bound = 1/√fan_in, or 1/√hidden_size in recurrent layers).

    >>> p = uniform_parameter(3, 2, bound=0.1)
    >>> p.shape, p.requires_grad, bool((p.abs() <= 0.1).all())
    ((3, 2), True, True)
    """
    from .module import Parameter

    return Parameter(uniform_(zeros(*shape, dtype=dtype, device=device), -bound, bound))


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill with samples of U(a, b).

    >>> import tinygrad_rnn as tr
    >>> w = uniform_(tr.zeros(1000), -0.1, 0.1)
    >>> bool((w.abs() <= 0.1).all())
    True
    """
    return _fill(tensor, generator().uniform(a, b, tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill with samples of N(mean, std²).

    >>> import tinygrad_rnn as tr
    >>> round(normal_(tr.zeros(100000), 0.0, 2.0).std().item(), 1)
    2.0
    """
    return _fill(tensor, generator().normal(mean, std, tensor.shape))


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with zeros.

    >>> import tinygrad_rnn as tr
    >>> zeros_(tr.ones(2)).tolist()
    [0.0, 0.0]
    """
    return constant_(tensor, 0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with ones.

    >>> import tinygrad_rnn as tr
    >>> ones_(tr.zeros(2)).tolist()
    [1.0, 1.0]
    """
    return constant_(tensor, 1)


def constant_(tensor: Tensor, value: Any) -> Tensor:
    """Fill with ``value``.

    >>> import tinygrad_rnn as tr
    >>> constant_(tr.zeros(2), 3.0).tolist()
    [3.0, 3.0]
    """
    return _fill(tensor, numpy.full(tensor.shape, value))


def xavier_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot & Bengio (2010): U(−a, a) with a = gain·√(6 / (fan_in + fan_out)), so that
    Var = gain² · 2 / (fan_in + fan_out).

    >>> import tinygrad_rnn as tr
    >>> w = xavier_uniform_(tr.zeros(300, 200))
    >>> abs(w.var().item() - 2 / 500) < 2e-4
    True
    """
    fan_in, fan_out = _fans(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot & Bengio (2010): N(0, σ²) with σ = gain·√(2 / (fan_in + fan_out)).

    >>> import tinygrad_rnn as tr
    >>> w = xavier_normal_(tr.zeros(300, 200))
    >>> abs(w.var().item() - 2 / 500) < 2e-4
    True
    """
    fan_in, fan_out = _fans(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def orthogonal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Saxe et al. (2013): a (semi-)orthogonal matrix, from the QR decomposition of a Gaussian
    one, with signs fixed so that it is uniformly distributed. Keeps ‖W h‖ = ‖h‖ at the start:
    neither vanishing nor exploding through a linear recurrence.

    >>> import tinygrad_rnn as tr
    >>> w = orthogonal_(tr.zeros(4, 4, dtype="float64")).numpy()
    >>> bool(numpy.allclose(w @ w.T, numpy.eye(4)))
    True
    """
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_ needs a tensor with at least 2 dimensions, got shape {tensor.shape}")
    rows, columns = tensor.shape[0], tensor.numel() // tensor.shape[0]
    flat = generator().standard_normal((rows, columns))
    if rows < columns:
        flat = flat.T
    q, r = numpy.linalg.qr(flat)
    q *= numpy.sign(numpy.diag(r))
    if rows < columns:
        q = q.T
    return _fill(tensor, gain * q.reshape(tensor.shape))


def lstm_forget_gate_bias_(lstm: Any, value: float = 1.0) -> Any:
    """Open an LSTM's forget gates at the start: set each layer's forget-gate bias
    b_if + b_hf to ``value`` (b_if = value, b_hf = 0), so that c_t ≈ c_{t−1} carries memory and
    gradient from the first step (Gers et al. 2000; Jozefowicz et al. 2015 recommend 1).
    With PyTorch's default initialisation the gates start near σ(0) = ½ and halve both at every
    step. Works on LSTM layers and LSTMCells; returns the module.

    >>> import tinygrad_rnn as tr
    >>> lstm = lstm_forget_gate_bias_(tr.nn.LSTM(2, 3), 1.0)
    >>> (lstm.bias_ih_l0 + lstm.bias_hh_l0)[3:6].tolist()       # gates i, f, g, o: f is rows H…2H
    [1.0, 1.0, 1.0]
    """
    hidden = lstm.hidden_size
    forget = slice(hidden, 2 * hidden)
    for name, parameter in lstm.named_parameters():
        if name.startswith("bias_ih"):
            parameter.array[forget] = value
        elif name.startswith("bias_hh"):
            parameter.array[forget] = 0.0
        mark_written(parameter.array, "nn.init.lstm_forget_gate_bias_")
    return lstm
