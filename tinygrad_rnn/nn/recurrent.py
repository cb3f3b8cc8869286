"""RNN, LSTM and GRU layers: cells unrolled through time, stacked in layers, in one or two directions.

Same arguments, outputs, state layout and parameter names as ``torch.nn.RNN/LSTM/GRU``, so a
PyTorch state_dict (as NumPy arrays) loads and gives the same numbers. The unrolling is a plain
loop over time steps; each step runs inside the scope ``(name, "layer k", "forward"|"reverse",
"t=k")``, so ``grad_contributions(loss, lstm.weight_hh_l0)`` has one term per step, and its ops
record their :class:`~tinygrad_rnn.steps.Step` — which chain (one run of one layer in one
direction) and which t — which drawings and analyses read. A call that starts from the state the
module's last call ended with continues that chain, numbered on (generation, one token per call);
any other call is a chain of its own, its steps 1, 2, … (one encoder read on two sentences; a decoder
started from its encoder's final state: its steps 1…T′, drawn after the encoder's, ``Chain.after``).

``fused`` (not PyTorch's, the same for RNN, LSTM and GRU): False, the default, records the
primitive cell of nn/cells.py (``rnn_cell``, ``lstm_cell``, ``gru_cell``) op by op. True — what the
models in ``tr.models`` pass — asks for the fast recurrent stepper where it is installed
(``RECURRENT_STEPPER`` below; ``tinygrad_rnn/fast/recurrent`` installs itself unless
``TINYGRAD_RNN_FAST=0``): it records each layer and direction as one op, with the hand-derived
backward — the same numbers, and still one term per step in ``grad_contributions``, but the steps'
states are then values, not tensors of the graph; ``fused="step"`` records one fused op per step.
Where no stepper is installed, both run the primitive cell, step by step.

Variable-length batches: pass ``lengths`` (one per sequence, any order). A sequence's state stops
changing after its last step (``where(step < length, new, old)``), so h_n is each sequence's state
at its own last step, in both directions, and outputs at padded steps are zero — what PyTorch
gives with ``pack_padded_sequence(..., enforce_sorted=False)`` and ``pad_packed_sequence``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy

from ..device import array_module
from ..errors import ShapeError
from ..ops import cat, stack, where
from ..recording import scope
from ..steps import Chain, at_step
from ..tensor import Tensor
from . import functional as F
from . import init
from .cells import gru_cell, gru_inputs_by_step, lstm_cell, named, rnn_cell
from .chains import carried_pieces, chains_of_call, keep_final_states
from .module import Module, Parameter, drawn_kind
from .utils.rnn import PackedSequence, pad_packed_sequence, repack

# The two seams tinygrad_rnn/fast/ fills as it is installed (each None on the plain path):
RECURRENT_STEPPER: Any = None
"""What runs a layer built with ``fused=True`` or ``"step"``: None — the primitive cells, step by step
— or the fast stepper (``tinygrad_rnn/fast/recurrent/stepper.py``): its ``run_layer(module, …)`` runs
one layer and direction as one op (``fused=True``), and ``fused_cell(module, …)`` gives the layer's
cell as one fused op per step (``fused="step"``)."""
BLAS_THREAD_POLICY: Callable[[], None] | None = None
"""Called as a layer's forward starts (and models.language.FixedWindowLM's): None, or the BLAS thread policy of
``tinygrad_rnn/fast/threads.py``
(BLAS on the cores other processes leave free)."""


class _Recurrent(Module):
    """What RNN, LSTM and GRU share: parameters, input checks, and the loops over layers,
    directions and time steps. Subclasses name their gate count and their cell (nn/cells.py)."""

    gates = 1

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device: Any = None, dtype: Any = None, fused: bool | str = False) -> None:
        super().__init__()
        if fused not in (False, True, "step"):
            raise ValueError(f"{type(self).__name__}: fused must be False (the primitive cells), True (the fast "
                             f"stepper: one op per layer and direction) or 'step' (one op per step), got {fused!r}")
        if hidden_size <= 0 or num_layers <= 0 or input_size <= 0:
            raise ValueError(f"{type(self).__name__}: input_size, hidden_size and num_layers must be positive")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"{type(self).__name__}: dropout must be in [0, 1], got {dropout}")
        if not 0 <= proj_size < hidden_size:
            raise ValueError(f"{type(self).__name__}: proj_size must be in [0, hidden_size), got {proj_size}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        # False: the primitive cells (a dozen ops a step); where the fast stepper is installed (RECURRENT_STEPPER),
        # "step": one op per step, True: one op per layer and direction for the whole sequence
        self.fused = fused
        self.scope_name = drawn_kind(self)  # a model holding two of a kind names them (module.py)
        self.hidden_states: list[Sequence[Tensor]] = []  # per (layer, direction): h_1 … h_T of the last call
        self.cell_states: list[Sequence[Tensor]] = []  # the same for an LSTM's cell states c_1 … c_T

        bound = 1 / math.sqrt(hidden_size)  # every weight and bias starts as U(−1/√H, 1/√H)

        def weight(*shape: int) -> Parameter:
            return init.uniform_parameter(*shape, bound=bound, dtype=dtype, device=device)

        output_size = proj_size or hidden_size
        for layer in range(num_layers):
            for direction in range(self.num_directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                layer_input = input_size if layer == 0 else output_size * self.num_directions
                setattr(self, "weight_ih" + suffix, weight(self.gates * hidden_size, layer_input))
                setattr(self, "weight_hh" + suffix, weight(self.gates * hidden_size, output_size))
                if bias:
                    setattr(self, "bias_ih" + suffix, weight(self.gates * hidden_size))
                    setattr(self, "bias_hh" + suffix, weight(self.gates * hidden_size))
                if proj_size:
                    setattr(self, "weight_hr" + suffix, weight(proj_size, hidden_size))

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    # --- forward --------------------------------------------------------------------------------------
    def forward(self, input: Tensor, hx: Any = None, lengths: Any = None) -> tuple[Tensor, Any]:
        """Run the layers over a sequence. ``input`` is (T, B, input_size), or (B, T, input_size) with
        batch_first, or (T, input_size) unbatched. Returns ``(output, h_n)`` — ``(output, (h_n, c_n))``
        for an LSTM — with output (T, B, D·H_out) (batch first if batch_first) and h_n, c_n of shape
        (num_layers·D, B, H_out), whatever batch_first says. D is 2 if bidirectional, else 1;
        H_out is proj_size if set, else hidden_size. ``input`` may also be a PackedSequence
        (nn.utils.rnn): then output is one, packed alike, and h_n, c_n follow the batch's order."""
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx, lengths)
        sequence, unbatched = self._check_input(input)
        # Steps are read along the time dimension where it lies. Moving it to the front instead (a
        # transposed view) would cost a copy of the sequence in every product that folds it into
        # rows — the input projection here, a classifier head after — forward and backward.
        time_dim = 1 if self.batch_first and not unbatched else 0
        seq_len, batch = sequence.shape[time_dim], sequence.shape[1 - time_dim]
        initial_hidden, initial_cell_state = self._initial_states(hx, batch, unbatched, sequence)
        chains, first_step = chains_of_call(self, initial_hidden)  # what the figures read: nn/chains.py
        running = self._running_masks(lengths, seq_len, batch, sequence, unbatched)
        final_hidden, final_cell_state = [], []
        self.hidden_states, self.cell_states = [], []
        layer_input = sequence
        if BLAS_THREAD_POLICY is not None:
            BLAS_THREAD_POLICY()
        with scope(self.scope_name):  # everything the layer does sits in one drawing cluster
            for layer in range(self.num_layers):
                outputs = []
                for direction in range(self.num_directions):
                    index = layer * self.num_directions + direction
                    with scope(f"layer {layer}", "reverse" if direction else "forward"):
                        output, hidden, cell_state = self._run_direction(
                            layer_input, layer, direction, initial_hidden[index],
                            None if initial_cell_state is None else initial_cell_state[index], running, time_dim,
                            chains[index], first_step)
                    outputs.append(output)
                    final_hidden.append(hidden)
                    final_cell_state.append(cell_state)
                layer_input = outputs[0] if len(outputs) == 1 else cat(outputs, dim=-1)
                if layer < self.num_layers - 1:
                    layer_input = F.dropout(layer_input, self.dropout, self.training)  # between layers only
            output = layer_input
            h_n = _stacked(final_hidden)
            c_n = _stacked(final_cell_state) if initial_cell_state is not None else None
        if unbatched:  # (T, input_size) in, (T, D·H_out) out, whatever batch_first says
            output, h_n = output.squeeze(1), h_n.squeeze(1)
            c_n = None if c_n is None else c_n.squeeze(1)
        keep_final_states(output, h_n, c_n)  # (h_n lives while output does: a detached copy continues the chain)
        return output, (h_n if c_n is None else (h_n, c_n))

    def _forward_packed(self, packed: PackedSequence, hx: Any, lengths: Any) -> tuple[PackedSequence, Any]:
        """A packed batch runs as its padded form with ``lengths``, and its output is packed alike."""
        if lengths is not None:
            raise ValueError(f"{type(self).__name__}: a PackedSequence carries its lengths; pass lengths= only "
                             "with a padded tensor")
        padded, lengths = pad_packed_sequence(packed, batch_first=self.batch_first)
        output, state = self.forward(padded, hx, lengths=lengths)
        return repack(output, packed, batch_first=self.batch_first), state

    def _run_direction(self, layer_input: Tensor, layer: int, direction: int, hidden: Tensor,
                       cell_state: Tensor | None, running: list[Tensor] | None, time_dim: int, chain: Chain,
                       first_step: int) -> tuple[Tensor, Tensor, Tensor | None]:
        """One layer in one direction: the input projection for all steps in one matmul, then the
        cell unrolled over the time steps (backwards for the reverse direction), step t recorded as
        ``Step(chain, first_step + t)``."""
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        weight_ih, weight_hh = getattr(self, "weight_ih" + suffix), getattr(self, "weight_hh" + suffix)
        bias_ih, bias_hh = getattr(self, "bias_ih" + suffix, None), getattr(self, "bias_hh" + suffix, None)
        weight_hr = getattr(self, "weight_hr" + suffix, None)

        stepper = RECURRENT_STEPPER if self.fused else None
        if stepper is not None and self.fused is True:  # the whole sequence, projection included, as one op
            return stepper.run_layer(self, layer_input, weight_ih, bias_ih, direction, hidden, cell_state, weight_hh,
                                     bias_hh, weight_hr, time_dim, running, chain, first_step)
        # x_t W_ihᵀ + b_ih for all t at once: (T, B, G·H). One product over T·B rows, so ∂J/∂W_ih's sum over
        # the steps happens inside its one backward product: W_ih gets one term, W_hh one per step
        projected = F.linear(layer_input, weight_ih, bias_ih)
        if stepper is not None:  # one fused op per step (fast/recurrent)
            cell = stepper.fused_cell(self, weight_hh, bias_hh, weight_hr)
            inputs = projected.unbind(time_dim)
        else:
            def cell(x_projected, hidden, cell_state):  # the primitive cell (nn/cells.py), a dozen ops
                return self._cell(x_projected, hidden, cell_state, weight_hh, bias_hh, weight_hr)
            inputs = self._inputs_by_step(projected, time_dim)

        seq_len = len(inputs)
        outputs: list[Any] = [None] * seq_len
        hidden_states: list[Any] = [None] * seq_len
        cell_states: list[Any] = [None] * seq_len
        for t in (reversed(range(seq_len)) if direction else range(seq_len)):
            with at_step(chain, first_step + t):
                new_hidden, new_cell_state = cell(inputs[t], hidden, cell_state)
                if running is None:
                    hidden, cell_state, outputs[t] = new_hidden, new_cell_state, new_hidden
                else:  # a finished sequence keeps its state and outputs zeros
                    hidden = named(where(running[t], new_hidden, hidden), "h")
                    if cell_state is not None:
                        cell_state = named(where(running[t], new_cell_state, cell_state), "c")
                    outputs[t] = where(running[t], new_hidden, 0.0)
            hidden_states[t], cell_states[t] = hidden, cell_state
        self.hidden_states.append(hidden_states)
        if cell_state is not None:
            self.cell_states.append(cell_states)
        return stack(outputs, dim=time_dim), hidden, cell_state

    def _inputs_by_step(self, projected: Tensor, time_dim: int) -> Any:
        """Each time step's input to the primitive cell, from the (T, B, G·H) projection of all steps
        ((B, T, G·H) if batch first)."""
        return projected.unbind(time_dim)

    def _cell(self, x_projected: Tensor, hidden: Tensor, cell_state: Tensor | None, weight_hh: Tensor,
              bias_hh: Tensor | None, weight_hr: Tensor | None) -> tuple[Tensor, Tensor | None]:
        """The primitive cell (nn/cells.py), one time step: (h', c'), c' None but for an LSTM."""
        raise NotImplementedError

    # --- checks ---------------------------------------------------------------------------------------
    def _check_input(self, input: Tensor) -> tuple[Tensor, bool]:
        """The input with a batch dimension — (T, B, I), or (B, T, I) if batch first — and whether
        it came unbatched ((T, I), made (T, 1, I))."""
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
        layout = "(B, T, input_size)" if self.batch_first else "(T, B, input_size)"
        if input.ndim not in (2, 3) or input.shape[-1] != self.input_size:
            raise ShapeError(f"{name}: expected input of shape {layout} or (T, input_size) with input_size="
                             f"{self.input_size}, got {input.shape}")
        seq_len = input.shape[1 if self.batch_first and input.ndim == 3 else 0]
        if seq_len == 0:  # a batch of no sequences is fine (batch 0); a sequence of no steps has no output
            raise ShapeError(f"{name}: expected a sequence of at least one time step, got input of shape "
                             f"{input.shape} (layout {layout})")
        weight = self.weight_ih_l0
        F.check_input_dtype(name, input, weight)
        if input.device is not weight.device:  # (one Device object per kind: ``is`` is its equality, and quicker)
            raise TypeError(f"{name}: input is on {input.device} but the weights are on {weight.device}; "
                            f"move one, e.g. x.to('{weight.device}')")
        if input.ndim == 2:
            return input.unsqueeze(1), True
        return input, False

    def _initial_states(self, hx: Any, batch: int, unbatched: bool, like: Tensor) -> tuple[Any, Any]:
        """h_0 (and c_0 for an LSTM), each as a tuple of (B, size) tensors, one per layer and direction."""
        count = self.num_layers * self.num_directions
        output_size = self.proj_size or self.hidden_size
        wants_cell_state = self.gates == 4
        if hx is None:  # (every call of a training loop: zeros, without the checks below)
            return (_zero_states(count, batch, output_size, like, "h_0"),
                    _zero_states(count, batch, self.hidden_size, like, "c_0") if wants_cell_state else None)
        if wants_cell_state and not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise TypeError(f"{type(self).__name__}: hx must be the pair (h_0, c_0)")
        states, given = [], hx if wants_cell_state else (hx,)
        for state, size, what in zip(given, (output_size, self.hidden_size), ("h_0", "c_0")):
            expected = (count, batch, size)
            if state is None:
                pieces = _zero_states(count, batch, size, like, what)
            else:
                state = state.unsqueeze(1) if unbatched else state
                if state.shape != expected:
                    raise ShapeError(f"{type(self).__name__}: expected {what} of shape "
                                     f"{expected if not unbatched else (count, size)}, got {state.shape}")
                pieces = carried_pieces(state, state.unbind(0))  # (of a detached h_n: continued, nn/chains.py)
            for piece in pieces:
                if piece.name is None and piece.grad_fn is None:
                    piece.name = what  # so a drawing labels the initial state
            states.append(pieces)
        return states[0], (states[1] if wants_cell_state else None)

    def _running_masks(self, lengths: Any, seq_len: int, batch: int, like: Tensor,
                       unbatched: bool) -> list[Tensor] | None:
        """For each t (from 0), a (B, 1) mask: True where sequence b still runs (t < lengths[b]): step t + 1."""
        if lengths is None:
            return None
        if unbatched:
            raise ValueError(f"{type(self).__name__}: lengths need a batched input")
        lengths = numpy.asarray(lengths.numpy() if isinstance(lengths, Tensor) else lengths)
        if lengths.size == 0:  # an empty batch has no lengths: [] reads as floats, so make it integers
            lengths = lengths.astype(numpy.int64)
        if lengths.shape != (batch,) or lengths.dtype.kind not in "iu":
            raise ValueError(f"{type(self).__name__}: lengths must be {batch} integers (one per sequence), "
                             f"got {lengths.dtype} of shape {lengths.shape}")
        if lengths.size and (lengths.min() < 1 or lengths.max() > seq_len):
            raise ValueError(f"{type(self).__name__}: every length must be in [1, {seq_len}], got {lengths.tolist()}")
        return [Tensor((lengths > t)[:, None], device=like.device, name=RUNNING) for t in range(seq_len)]

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        defaults = {"num_layers": 1, "bias": True, "batch_first": False, "dropout": 0.0, "bidirectional": False,
                    "proj_size": 0, "fused": False}
        for key, default in defaults.items():
            if getattr(self, key) != default:
                text += f", {key}={getattr(self, key)}"
        return text


class RNN(_Recurrent):
    """Elman RNN layers: h_t = tanh(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh), or relu.

    Parameters per layer k (suffix ``_reverse`` for the backward direction): weight_ih_lk
    (H, I or D·H), weight_hh_lk (H, H), bias_ih_lk (H,), bias_hh_lk (H,).

    ``fused`` (not PyTorch's: :mod:`tinygrad_rnn.nn.recurrent` says what each value runs): False,
    the default, records the primitive cell ``rnn_cell`` of nn/cells.py op by op.

    >>> import tinygrad_rnn as tr
    >>> rnn = tr.nn.RNN(3, 5, num_layers=2)
    >>> output, h_n = rnn(tr.randn(7, 2, 3))
    >>> output.shape, h_n.shape
    ((7, 2, 5), (2, 2, 5))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device: Any = None, dtype: Any = None, fused: bool | str = False) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        _only_lstm_projects(proj_size)
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype, fused=fused)
        self.nonlinearity = nonlinearity

    def _cell(self, x_projected, hidden, cell_state, weight_hh, bias_hh, weight_hr):
        return rnn_cell(x_projected, hidden, weight_hh, bias_hh, self.nonlinearity), None


class LSTM(_Recurrent):
    """LSTM layers (gates i, f, g, o): c_t = f ⊙ c_{t−1} + i ⊙ g,  h_t = o ⊙ tanh(c_t).

    Parameters per layer k: weight_ih_lk (4H, I or D·H_out), weight_hh_lk (4H, H_out), bias_ih_lk
    and bias_hh_lk (4H,), and with proj_size P > 0 weight_hr_lk (P, H), which projects h_t to P
    units (H_out = P). Returns ``output, (h_n, c_n)``.

    ``fused`` (not PyTorch's: :mod:`tinygrad_rnn.nn.recurrent` says what each value runs): False,
    the default, records the primitive cell ``lstm_cell`` of nn/cells.py op by op.

    >>> import tinygrad_rnn as tr
    >>> lstm = tr.nn.LSTM(3, 5, batch_first=True, bidirectional=True)
    >>> output, (h_n, c_n) = lstm(tr.randn(2, 7, 3))
    >>> output.shape, h_n.shape, c_n.shape
    ((2, 7, 10), (2, 2, 5), (2, 2, 5))
    """

    gates = 4

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device: Any = None, dtype: Any = None, fused: bool | str = False) -> None:
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device, dtype, fused)

    def _cell(self, x_projected, hidden, cell_state, weight_hh, bias_hh, weight_hr):
        return lstm_cell(x_projected, hidden, cell_state, weight_hh, bias_hh, weight_hr)


class GRU(_Recurrent):
    """GRU layers (gates r, z, n): h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}.

    Parameters per layer k: weight_ih_lk (3H, I or D·H), weight_hh_lk (3H, H), bias_ih_lk and
    bias_hh_lk (3H,).

    ``fused`` (not PyTorch's: :mod:`tinygrad_rnn.nn.recurrent` says what each value runs): False,
    the default, records the primitive cell ``gru_cell`` of nn/cells.py op by op.

    >>> import tinygrad_rnn as tr
    >>> output, h_n = tr.nn.GRU(3, 5)(tr.randn(7, 3))     # unbatched
    >>> output.shape, h_n.shape
    ((7, 5), (1, 5))
    """

    gates = 3

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device: Any = None, dtype: Any = None, fused: bool | str = False) -> None:
        _only_lstm_projects(proj_size)
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype, fused=fused)

    def _inputs_by_step(self, projected, time_dim):
        return gru_inputs_by_step(projected, time_dim)

    def _cell(self, x_projected, hidden, cell_state, weight_hh, bias_hh, weight_hr):
        return gru_cell(x_projected, hidden, weight_hh, bias_hh), None


def _stacked(states: list[Tensor]) -> Tensor:
    """h_n (or c_n), (L·D, B, H): each layer and direction's last state, stacked — or the one layer's as the
    fast stepper returns it, already (1, B, H) (``RECURRENT_STEPPER.run_layer``: no stack op)."""
    return states[0] if len(states) == 1 and states[0].ndim == 3 else stack(states)


def _zero_states(count: int, batch: int, size: int, like: Tensor, name: str) -> tuple[Tensor, ...]:
    """Zeros as an initial state: one (B, size) tensor per layer and direction, on ``like``'s device, named
    (h_0, c_0) so that a drawing labels it."""
    xp, dtype = array_module(like.array), like.array.dtype
    pieces = tuple(Tensor._make(xp.zeros((batch, size), dtype=dtype)) for _ in range(count))
    for piece in pieces:
        piece.name = name
    return pieces


RUNNING = "t ≤ lengths"  # the name of a mask of the sequences still running at step t (from 1): drawings say so
FUSED_LAYER_STATE = "state of a fused layer"  # the name of such a state: analyses explain why it has no gradient


def _only_lstm_projects(proj_size: int) -> None:
    """RNN and GRU take proj_size as PyTorch's do, and refuse it the same way."""
    if proj_size:
        raise ValueError(f"proj_size argument is only supported for LSTM, not RNN or GRU (got proj_size={proj_size})")
