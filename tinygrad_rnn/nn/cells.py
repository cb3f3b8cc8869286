"""RNN, LSTM and GRU cells, built from primitive ops only: linear, add, tanh (or relu), sigmoid, mul, split, lerp.

A cell is the equations of one time step. They live in the three functions ``rnn_cell``,
``lstm_cell`` and ``gru_cell`` below (PyTorch's ``torch.lstm_cell`` …), which the Cell modules here
and the layers in ``recurrent.py`` both call, so there is one place to read them. A cell takes the
input already projected, ``x W_ihᵀ + b_ih``: a layer computes that for all time steps at once
with one matrix product (the vectorisation every fast RNN uses), a Cell module for its one step.
``linear(h, W, b)`` is h Wᵀ + b as one op (PyTorch's F.linear), so each step records the product
with W_hh once and a drawing shows W_hh and b_hh feeding it directly. The three functions hold the
arithmetic and, after it, the names drawings label the gates and states with (``named``, a label
only); the Cell modules below also tell drawings which step of a chain a call is (``chains.py``).

Shapes: B batch, I input size, H hidden size, G the number of gates (1 RNN, 4 LSTM, 3 GRU).
Names: ``hidden`` is the state h, ``cell_state`` an LSTM's c (PyTorch's "cell state").
PyTorch's names, shapes, gate order and initialisation: every weight and bias starts as
U(−1/√H, 1/√H).
"""

from __future__ import annotations

import math
from typing import Any

from ..creation import zeros
from ..errors import ShapeError
from ..tensor import Tensor
from . import init
from .chains import at_cell_step, name_initial_state
from .functional import check_input_dtype, linear
from .module import Module, Parameter, drawn_kind


def rnn_cell(x_projected: Tensor, hidden: Tensor, weight_hh: Tensor, bias_hh: Tensor | None,
             nonlinearity: str = "tanh") -> Tensor:
    """Elman RNN:  h_t = tanh(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh)   (or relu)."""
    pre_activation = x_projected + linear(hidden, weight_hh, bias_hh)
    return named(pre_activation.tanh() if nonlinearity == "tanh" else pre_activation.relu(), "h")


def lstm_cell(x_projected: Tensor, hidden: Tensor, cell_state: Tensor, weight_hh: Tensor, bias_hh: Tensor | None,
              weight_hr: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """LSTM (gates in PyTorch's order i, f, g, o):

        i, f, g, o = σ, σ, tanh, σ  of  (x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh), split in four
        c_t = f ⊙ c_{t−1} + i ⊙ g          the cell state: an additive path through time
        h_t = o ⊙ tanh(c_t)                then h_t ← h_t W_hrᵀ with a projection (proj_size)
    """
    gates = x_projected + linear(hidden, weight_hh, bias_hh)  # x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh
    i, f, g, o = gates.chunk(4, dim=-1)
    i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
    c = f * cell_state + i * g
    h = o * c.tanh()
    if weight_hr is not None:
        h = linear(h, weight_hr)
    for gate, label in zip((i, f, g, o), "ifgo"):  # labels for the drawings (i_t = σ …), no arithmetic
        gate.name = label
    return named(h, "h"), named(c, "c")


def gru_cell(x_projected: tuple[Tensor, Tensor, Tensor], hidden: Tensor, weight_hh: Tensor,
             bias_hh: Tensor | None) -> Tensor:
    """GRU (gates in PyTorch's order r, z, n; b_hn stays inside the reset gate's product):

        r = σ(x_t W_irᵀ + b_ir + h_{t−1} W_hrᵀ + b_hr)
        z = σ(x_t W_izᵀ + b_iz + h_{t−1} W_hzᵀ + b_hz)
        n = tanh(x_t W_inᵀ + b_in + r ⊙ (h_{t−1} W_hnᵀ + b_hn))
        h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}  = lerp(n, h_{t−1}, z): z interpolates between the candidate
                                           n (z = 0) and the previous state (z = 1), as one op

    ``x_projected`` comes already split into its r, z and n parts (a layer splits the projection
    of all time steps once, not once per step). ``W_hr`` here is the reset gate's block of
    ``weight_hh`` (PyTorch's naming), not the LSTM's projection ``weight_hr`` above.
    """
    x_r, x_z, x_n = x_projected  # x_t W_irᵀ + b_ir, x_t W_izᵀ + b_iz, x_t W_inᵀ + b_in
    h_r, h_z, h_n = linear(hidden, weight_hh, bias_hh).chunk(3, dim=-1)  # h_{t−1} W_hrᵀ + b_hr, …
    r = (x_r + h_r).sigmoid()
    z = (x_z + h_z).sigmoid()
    n = (x_n + r * h_n).tanh()
    h = n.lerp(hidden, z)
    for gate, label in zip((r, z, n), "rzn"):  # labels for the drawings (r_t = σ …), no arithmetic
        gate.name = label
    return named(h, "h")


def gru_inputs_by_step(projected: Tensor, time_dim: int = 0) -> list[tuple[Tensor, Tensor, Tensor]]:
    """Each step's input projection as its (r, z, n) parts, for :func:`gru_cell`: the projection of
    all steps (T, B, 3H) split into its gates once, then by step along ``time_dim``."""
    by_gate = []
    for part, name in zip(projected.chunk(3, dim=-1), "rzn"):
        pieces = part.unbind(time_dim)
        for piece in (part, *pieces):
            piece.name = name  # so a drawing labels the edges r, z, n
        by_gate.append(pieces)
    return list(zip(*by_gate))


def named(tensor: Tensor, name: str) -> Tensor:
    """Name a state the recurrence carries (h, c) or a gate (i, f, g, o; r, z, n), so that drawings
    label it h_t or i_t = σ; returns the tensor.

    >>> named(Tensor([1.0]), "h").name
    'h'
    """
    tensor.name = name
    return tensor


class _CellBase(Module):
    """Parameters shared by the three cells: weight_ih (G·H, I), weight_hh (G·H, H),
    bias_ih and bias_hh (G·H,), all U(−1/√H, 1/√H)."""

    gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.scope_name = drawn_kind(self)  # "GRU" in drawings; a model holding two of a kind names them (module.py)
        bound = 1 / math.sqrt(hidden_size)

        def weight(*shape: int) -> Parameter:
            return init.uniform_parameter(*shape, bound=bound, dtype=dtype, device=device)

        rows = self.gates * hidden_size
        self.weight_ih = weight(rows, input_size)
        self.weight_hh = weight(rows, hidden_size)
        self.bias_ih = weight(rows) if bias else None
        self.bias_hh = weight(rows) if bias else None

    def _check_input(self, x: Tensor) -> tuple[Tensor, bool]:
        """(x as a batch, whether it was a single unbatched vector)."""
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ShapeError(f"{type(self).__name__}: expected input of shape (batch, {self.input_size}) or "
                             f"({self.input_size},), got {x.shape}")
        check_input_dtype(type(self).__name__, x, self.weight_ih, module="cell")
        return (x.unsqueeze(0), True) if x.ndim == 1 else (x, False)

    def _initial(self, state: Tensor | None, x: Tensor, unbatched: bool, size: int, name: str = "h_0") -> Tensor:
        """The state a call starts from (h_0, or c_0): ``state`` as a batch, or zeros like the input batch ``x``."""
        if state is None:  # zeros named as a layer names its own (h_0, c_0): a drawing labels the initial state
            return named(zeros(x.shape[0], size, dtype=x.dtype, device=x.device), name)
        name_initial_state(state, name)  # a state of the user's (zeros) is h_0 as the cell's own zeros are
        state = state.unsqueeze(0) if unbatched else state
        if state.shape != (x.shape[0], size):
            raise ShapeError(f"{type(self).__name__}: expected a state of shape {(x.shape[0], size)}, "
                             f"got {state.shape}")
        return state

    def _recording_step(self, state: Tensor | None) -> Any:
        """Where this call's ops are recorded: the next step of this cell's chain when ``state`` is what its
        last call returned, as a layer's generation loop continues its chain (``chains.at_cell_step``), so a
        loop of cell calls is drawn unrolled, cell by cell, without a scope written around each."""
        return at_cell_step(self, self.scope_name, state)

    def _project(self, x: Tensor) -> Tensor:
        return linear(x, self.weight_ih, self.bias_ih)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")


class RNNCell(_CellBase):
    """One step of an Elman RNN: ``h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)`` (or relu).

    x: (B, I) or (I,); h: (B, H), zeros if None. Returns h' of shape (B, H).

    >>> import tinygrad_rnn as tr
    >>> cell = tr.nn.RNNCell(3, 5)
    >>> cell(tr.ones(2, 3)).shape
    (2, 5)
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device: Any = None, dtype: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, bias, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, x: Tensor, hx: Tensor | None = None) -> Tensor:
        x, unbatched = self._check_input(x)
        with self._recording_step(hx):
            hidden = self._initial(hx, x, unbatched, self.hidden_size)
            hidden = rnn_cell(self._project(x), hidden, self.weight_hh, self.bias_hh, self.nonlinearity)
        return hidden.squeeze(0) if unbatched else hidden


class LSTMCell(_CellBase):
    """One step of an LSTM: gates i, f, g, o; ``c' = f ⊙ c + i ⊙ g``; ``h' = o ⊙ tanh(c')``.

    x: (B, I) or (I,); hx: the pair (h, c), each (B, H), zeros if None. Returns (h', c').
    weight_ih (4H, I) and weight_hh (4H, H) stack the gates' weights in the order i, f, g, o.

    >>> import tinygrad_rnn as tr
    >>> h, c = tr.nn.LSTMCell(3, 5)(tr.ones(2, 3))
    >>> h.shape, c.shape
    ((2, 5), (2, 5))
    """

    gates = 4

    def forward(self, x: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        x, unbatched = self._check_input(x)
        with self._recording_step(None if hx is None else hx[0]):
            hidden = self._initial(None if hx is None else hx[0], x, unbatched, self.hidden_size)
            cell_state = self._initial(None if hx is None else hx[1], x, unbatched, self.hidden_size, "c_0")
            hidden, cell_state = lstm_cell(self._project(x), hidden, cell_state, self.weight_hh, self.bias_hh)
        return (hidden.squeeze(0), cell_state.squeeze(0)) if unbatched else (hidden, cell_state)


class GRUCell(_CellBase):
    """One step of a GRU: gates r, z, n; ``h' = (1 − z) ⊙ n + z ⊙ h``.

    x: (B, I) or (I,); h: (B, H), zeros if None. Returns h' of shape (B, H).
    weight_ih (3H, I) and weight_hh (3H, H) stack the gates' weights in the order r, z, n.

    >>> import tinygrad_rnn as tr
    >>> tr.nn.GRUCell(3, 5)(tr.ones(3)).shape
    (5,)
    """

    gates = 3

    def forward(self, x: Tensor, hx: Tensor | None = None) -> Tensor:
        x, unbatched = self._check_input(x)
        with self._recording_step(hx):
            hidden = self._initial(hx, x, unbatched, self.hidden_size)
            hidden = gru_cell(self._project(x).chunk(3, dim=-1), hidden, self.weight_hh, self.bias_hh)
        return hidden.squeeze(0) if unbatched else hidden
