"""Fused layers: a whole sequence through one RNN, LSTM or GRU layer (one direction) as one op.

This module holds the three cells' layer nodes — :class:`FusedLSTMLayer`, :class:`FusedGRULayer`,
:class:`FusedRNNLayer`, each one's forward and backward loop side by side — and the functions that
apply them (``lstm_layer``, ``gru_layer``, ``rnn_layer``). What every layer node shares (the input
projection, the buffers and their layout, h_n, the weights' gradients, saving) is their base,
:class:`~.layer_node.FusedLayer` (:mod:`.layer_node`).

What PyTorch's ``nn.LSTM`` does in one native op and Chainer's ``n_step_lstm`` in one function:
one node of the graph for T steps. Its forward is the loop a hand-written BPTT runs — the
input projection of every step is one matrix product (given, or made by the node from x, W_ih and
b_ih as ``linear`` makes it: ``projects``, what a layer module passes), each
step's h W_hhᵀ is written into its slot of one preallocated (T, B, G·H) buffer, the states into
(T + 1, B, H) buffers — and its backward is the hand-written BPTT loop: each step's gate
gradients go into one (T, B, G·H) buffer, which *is* the gradient of the input projection, and
after the loop ∂J/∂W_hh and ∂J/∂b_hh are one product each over all steps,

    ∂J/∂W_hh = Σ_t δ_tᵀ h_{t−1} = [δ_1; …; δ_T]ᵀ [h_0; …; h_{T−1}].

The arithmetic of a step is the fused cells' (:mod:`.fused_cells`: ``lstm_pointwise`` and
``FusedLSTMCell.gate_gradients``, the same for the GRU and the tanh RNN), so the equations live
in one place. The backward loop (``steps_backward``) is written once for arrays and Tensors: with
``create_graph=True`` it runs on Tensors, the steps' gate gradients are recorded op by op, and
what they read of the forward pass (the gates, the states) are outputs of this node saved for
backward (``saves_intermediates``) — so a second derivative flows back through them, into this node's
backward again. A plain backward on CPU arrays runs it as a hand-written BPTT does instead
(``backward_in_place``, where ``FusedLayer.in_place`` says so): the factors of the chain rule that do
not depend on the arriving gradient — the cells' ``slopes``, ``gate_gradients`` factored — made for all
steps at once before the loop, then per step a few operations written into kept arrays (the LSTM's
seven, where ``gate_gradients`` makes some twenty temporaries): at batch 1 a step's backward costs
half the hand-written one's (tests/test_fused_in_place.py: the same numbers as the general loop).

Variable lengths run inside the loop (``running``: a finished sequence holds its states, as the
per-step path's ``where`` does), and so does an LSTM's projection of h_t (``proj_size``, W_hr).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ...device import array_module
from ...nn import cells as primitive  # the plain path's cells: primitive.lstm_cell …
from ...nn.cells import gru_inputs_by_step
from ...steps import Chain
from ...tensor import Tensor
from .fused_cells import (
    FusedGRUCell,
    FusedLSTMCell,
    FusedRNNCell,
    gru_pointwise,
    lstm_pointwise,
    rnn_pointwise,
)
from .layer_node import FusedLayer, grad_at, grad_sum


def _for_every_step(transposed, steps: int):
    """Wᵀ as the loop's products read it at every step: laid out contiguously (BLAS is faster with it
    than with the transposed view) — but for one step the view itself, since copying reads and writes
    all of W for a single product that reads it once (one token per call, as a generation loop feeds
    it: the copy of W_hhᵀ cost 7–14 µs at H=100, against 1–4 µs for the product itself, measured).

    >>> import numpy as np
    >>> w = np.ones((3, 2))
    >>> _for_every_step(w.T, 1).flags.c_contiguous, _for_every_step(w.T, 5).flags.c_contiguous
    (False, True)
    """
    return transposed if steps == 1 else array_module(transposed).ascontiguousarray(transposed)


class FusedLSTMLayer(FusedLayer):
    """An LSTM layer over a sequence (the equations of :class:`~.fused_cells.FusedLSTMCell`, step by step).
    Inputs (x_proj, h_0, c_0, W_hh[, b_hh[, W_hr]]); outputs the sequence h_1 … h_T, h_n, c_n, the
    cell states c_1 … c_T (time-major, as the layer shows them), and saved for backward the states h,
    c (T + 1 each), the activated gates [i, f, g, o], tanh(c_t) and o ⊙ tanh(c_t). With W_hr
    (``proj_size``), h_t = (o ⊙ tanh c_t) W_hrᵀ, as PyTorch's LSTM projects it."""

    name = "fused LSTM layer"
    saves_inputs = (3, 5)  # W_hh, W_hr
    weight_position = 3
    saves_intermediates = 5
    states = ("h", "c")

    def primitive_cell(self, x_projected, hidden, cell_state, weight_hh, bias_hh=None, weight_hr=None):
        return primitive.lstm_cell(x_projected, hidden, cell_state, weight_hh, bias_hh, weight_hr)

    def steps_forward(self, projected, hidden, cell_state, weight_hh, bias_hh=None, weight_hr=None):
        xp, steps = array_module(projected), projected.shape[self.time_dim]
        transposed_weight = _for_every_step(weight_hh.T, steps)
        gates = self.time_major(projected, bias_hh)  # x_t W_ihᵀ + b_ih + b_hh, all steps; then + h W_hhᵀ
        hiddens, cell_states = self.states_buffer(hidden, steps), self.states_buffer(cell_state, steps)
        tanh_cells = xp.empty((steps, *cell_state.shape), dtype=cell_state.dtype)
        # o ⊙ tanh c_t: h_t itself, or with W_hr what it projects (h_t = (o ⊙ tanh c_t) W_hrᵀ)
        unprojected = self.made(hiddens) if weight_hr is None else xp.empty(tanh_cells.shape, dtype=cell_state.dtype)
        transposed_projection = None if weight_hr is None else _for_every_step(weight_hr.T, steps)
        product = xp.empty(gates.shape[1:], dtype=gates.dtype)
        dot = xp.dot
        for p, before, after in self.visits(steps):
            dot(hiddens[before], transposed_weight, out=product)
            gates[p] += product
            made = hiddens[after] if weight_hr is None else unprojected[p]
            lstm_pointwise(gates[p], cell_states[before], out=(made, cell_states[after], tanh_cells[p]))
            if weight_hr is not None:
                dot(made, transposed_projection, out=hiddens[after])
            self.hold(hiddens, p, before, after)
            self.hold(cell_states, p, before, after)
        output, last_hidden = self.sequence(hiddens)
        return (output, last_hidden, self.last(cell_states), self.made(cell_states), hiddens, cell_states, gates,
                tanh_cells, unprojected)

    def steps_backward(self, grads, outs, projected, hidden, cell_state, weight_hh, bias_hh=None, weight_hr=None):
        (grad_output, grad_hidden, grad_cell, grad_cell_sequence, grad_hiddens, grad_cells, grad_gates, grad_tanh,
         grad_unprojected) = grads
        grad_hidden, grad_cell = self.from_last(grad_hidden), self.from_last(grad_cell)
        *_, hiddens, cell_states, gates, tanh_cells, unprojected = outs
        arrived = (grad_hiddens, grad_cells, grad_gates, grad_tanh, grad_unprojected)  # (a second-order pass's)
        # The textbook BPTT loop (gates [i, f, g, o]; δ_t: ∂J/∂ step t's pre-activations), with the helper per line:
        #   dh, dc = ∂J/∂h_T, ∂J/∂c_T                                       (from_last; None: no gradient came)
        #   for t = T down to 1:                          (reversed(visits); a reverse layer: t = 1 up to T)
        #       dh += ∂J/∂y_t;  dc += ∂J/∂c_t (where c_t is used)  (grad_sum; at_the_step: a finished sequence skips t)
        #       [with W_hr: ∂W_hr += dhᵀ (o_t ⊙ tanh c_t), then dh = dh W_hr]        (store; after the loop, ∂W_hr)
        #       dc = dh ⊙ o_t ⊙ (1 − tanh² c_t) + dc                                    (FusedLSTMCell.gate_gradients,
        #       δo = dh ⊙ tanh(c_t) ⊙ o_t(1 − o_t);   δg = dc ⊙ i_t ⊙ (1 − g_t²)                   these three lines)
        #       δi = dc ⊙ g_t ⊙ i_t(1 − i_t);         δf = dc ⊙ c_{t−1} ⊙ f_t(1 − f_t)
        #       keep δ_t = [δi, δf, δg, δo];  dh = δ_t W_hh;  dc = dc ⊙ f_t            (store; product; the cell)
        #   ∂x_proj = [δ_1; …; δ_T],  ∂W_hh = Σ_t δ_tᵀ h_{t−1},  ∂b_hh = Σ_t δ_t                 (after_the_loop)
        #   ∂h_0, ∂c_0 = dh, dc                                                                 (initial_gradient)
        # Which loop runs: on CPU arrays with T > 1 (no lengths, no W_hr, first order) backward_in_place, the
        # same recursion rearranged (every step's slopes first, then seven in-place operations a step); else
        # (a GPU, lengths=, proj_size, create_graph=True, T = 1) the loop below. To step through the loop below
        # on CPU, pass lengths=[T] * B (every sequence full: the same numbers).
        if weight_hr is None and self.in_place(len(tanh_cells), gates, *arrived):
            return self.backward_in_place(grad_output, grad_hidden, grad_cell, grad_cell_sequence, outs, weight_hh,
                                          bias_hh is not None)
        steps = tanh_cells.shape[0]
        step_gradients = self.new_step_gradients(gates, gates.shape)
        projection_gradients = None if weight_hr is None else self.new_step_gradients(gates, hiddens[1:].shape)
        grad_output, product = self.by_step(grad_output), self.through_weight(gates)
        for p, before, after in reversed(self.visits(steps)):
            grad_state = grad_sum(grad_hidden, grad_at(grad_output, p), grad_at(grad_hiddens, after))  # ∂J/∂h_t
            grad_hidden, held_hidden = self.at_the_step(grad_state, p)
            if weight_hr is not None:  # h_t = u_t W_hrᵀ (u_t = o ⊙ tanh c_t): ∂u_t = ∂h_t W_hr
                if grad_hidden is None:
                    grad_hidden = 0 * hiddens[after]
                self.store(projection_gradients, p, grad_hidden)
                grad_hidden = grad_sum(product(grad_hidden, weight_hr), grad_at(grad_unprojected, p))
            grad_cell_state = grad_sum(grad_cell, grad_at(grad_cell_sequence, p),
                                       grad_at(grad_cells, after))  # ∂J/∂c_t
            grad_cell, held_cell = self.at_the_step(grad_cell_state, p)
            grad_pre, grad_cell = FusedLSTMCell.gate_gradients(
                (grad_hidden, grad_cell, grad_at(grad_gates, p), grad_at(grad_tanh, p)), gates[p], tanh_cells[p],
                cell_states[before], out=self.slot(step_gradients, p))
            self.store(step_gradients, p, grad_pre)
            grad_hidden = grad_sum(product(grad_pre, weight_hh), held_hidden)
            grad_cell = grad_sum(grad_cell, held_cell)
        grad_x, grad_weight, grad_bias = self.after_the_loop(step_gradients, hiddens, bias_hh is not None)
        grad_projection = None if weight_hr is None else self.weight_gradients(
            self.joined(projection_gradients), unprojected, 5, has_bias=False)[0]  # (W_hr: input 5)
        return (grad_x, self.initial_gradient(grad_hidden, grad_hiddens, steps, 1),
                self.initial_gradient(grad_cell, grad_cells, steps, 2), grad_weight, grad_bias,
                grad_projection)[: len(self.needs)]

    def backward_in_place(self, grad_output, grad_hidden, grad_cell, grad_cell_sequence, outs, weight_hh,
                          has_bias: bool):
        """``steps_backward`` as a hand-written BPTT runs it on CPU arrays (see ``in_place``): the slopes of
        every step at once (``FusedLSTMCell.slopes``) into the buffer that then becomes δ, then per step
        dh += ∂J/∂y_t;  dc += dh ⊙ o_t ⊙ tanh'(c_t);  [δi, δf, δg] = slopes ⊙ dc;  δo = slope ⊙ dh;
        dh = δ_t W_hh;  dc = dc ⊙ f_t — seven operations, each written into a kept array."""
        *_, hiddens, cell_states, gates, tanh_cells, _ = outs
        xp, (steps, batch, size) = array_module(gates), tanh_cells.shape
        step_gradients = xp.empty(gates.shape, dtype=gates.dtype)
        _, cell_slopes = FusedLSTMCell.slopes(gates, tanh_cells, self.started_from(cell_states), out=step_gradients)
        through_cell = step_gradients.reshape(steps, batch, 4, size)[:, :, :3]  # δi, δf, δg: slopes ⊙ dc
        through_hidden = step_gradients[..., 3 * size:]  # δo: slope ⊙ dh
        forget = gates[..., size: 2 * size]
        grad_hidden = self.kept_gradient(grad_hidden, tanh_cells[0])
        grad_cell = self.kept_gradient(grad_cell, tanh_cells[0])
        grad_cell_by_gate, through_output = grad_cell[:, None, :], xp.empty_like(grad_cell)
        grad_output, dot = self.by_step(grad_output), xp.dot
        for p, _, _ in reversed(self.visits(steps)):
            if grad_output is not None:
                grad_hidden += grad_output[p]
            if grad_cell_sequence is not None:
                grad_cell += grad_cell_sequence[p]
            xp.multiply(grad_hidden, cell_slopes[p], out=through_output)
            grad_cell += through_output
            through_cell[p] *= grad_cell_by_gate
            through_hidden[p] *= grad_hidden
            dot(step_gradients[p], weight_hh, out=grad_hidden)
            grad_cell *= forget[p]
        grad_x, grad_weight, grad_bias = self.after_the_loop(step_gradients, hiddens, has_bias)
        return (grad_x, self.initial_gradient(grad_hidden, None, steps, 1),
                self.initial_gradient(grad_cell, None, steps, 2), grad_weight, grad_bias)[: len(self.needs)]


# The GRU's in-place backward up to this many units of state a step (B × H): its slopes, made for all
# steps at once, stream (T, B, H) arrays through memory some fifteen times, which the per-step loop does
# in cache. Measured (the node's backward alone, T = 64, against the general loop): faster at B × H of
# 100 (batch 1) to 2,048 (0.84 against 0.90 × the hand-written at 16 × 128, 0.81 against 0.91 at 32 × 64),
# slower at 4,096 (0.98–1.03 against 0.92–0.95 at 32 × 128). The LSTM's and tanh RNN's win at every size.
GRU_IN_PLACE_UP_TO = 2048


class FusedGRULayer(FusedLayer):
    """A GRU layer over a sequence (the equations of :class:`~.fused_cells.FusedGRUCell`, step by step).
    Inputs (x_proj, h_0, W_hh[, b_hh]); outputs the sequence, h_n, and saved for backward the
    states (T + 1), the gates (T, 3, B, H): r, z, n and each step's h W_hhᵀ + b_hh."""

    name = "fused GRU layer"
    saves_inputs = (2,)  # W_hh
    weight_position = 2
    saves_intermediates = 3

    def step_inputs(self, projected):
        return gru_inputs_by_step(projected, self.time_dim)

    def primitive_cell(self, x_projected, hidden, cell_state, weight_hh, bias_hh=None):
        return primitive.gru_cell(x_projected, hidden, weight_hh, bias_hh), None

    def steps_forward(self, projected, hidden, weight_hh, bias_hh=None):
        xp, steps = array_module(projected), projected.shape[self.time_dim]
        transposed_weight = _for_every_step(weight_hh.T, steps)
        hiddens = self.states_buffer(hidden, steps)
        recurrent = xp.empty((steps, *hidden.shape[:-1], weight_hh.shape[0]), dtype=hidden.dtype)
        gates = xp.empty((steps, 3, *hidden.shape), dtype=hidden.dtype)  # each step's r, z, n
        projected, dot = self.by_step(projected), xp.dot
        for p, before, after in self.visits(steps):
            dot(hiddens[before], transposed_weight, out=recurrent[p])
            if bias_hh is not None:  # (inside the reset product for n: it cannot be folded into x_proj)
                recurrent[p] += bias_hh
            gru_pointwise(projected[p], recurrent[p], hiddens[before], gates[p], hiddens[after])
            self.hold(hiddens, p, before, after)
        return (*self.sequence(hiddens), hiddens, gates, recurrent)

    def steps_backward(self, grads, outs, projected, hidden, weight_hh, bias_hh=None):
        grad_output, grad_hidden, grad_hiddens, grad_gates, grad_recurrent_saved = grads
        grad_hidden = self.from_last(grad_hidden)
        *_, hiddens, gates, recurrent = outs
        small = math.prod(hiddens.shape[1:]) <= GRU_IN_PLACE_UP_TO  # B × H
        # On CPU arrays with T > 1 and a small B × H (first order, no lengths) backward_in_place runs, not the
        # textbook loop below (FusedLSTMLayer.steps_backward says when each runs).
        if small and self.in_place(len(gates), gates, grad_hiddens, grad_gates, grad_recurrent_saved):
            return self.backward_in_place(grad_output, grad_hidden, outs, weight_hh, bias_hh is not None)
        steps = gates.shape[0]
        # the gradient of the input projection written in its own layout (no transposed copy after)
        recurrent_grads = self.new_step_gradients(gates, recurrent.shape)
        steps_first = recurrent.shape  # (T, B, 3H); x_proj's shape is that in the input's layout
        in_layout = steps_first if self.time_dim == 0 else (steps_first[1], steps_first[0], steps_first[2])
        input_grads = self.new_step_gradients(gates, in_layout, self.time_dim)
        grad_output, product = self.by_step(grad_output), self.through_weight(gates)
        # The textbook BPTT loop (h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}, n_t = tanh(x_n + r_t ⊙ a_n), where
        # a = h_{t−1} W_hhᵀ + b_hh, parts [a_r, a_z, a_n]), with the helper per line:
        #   dh = ∂J/∂h_T                                                    (from_last; None: no gradient came)
        #   for t = T down to 1:                          (reversed(visits); a reverse layer: t = 1 up to T)
        #       dh += ∂J/∂y_t                                (grad_sum; at_the_step: a finished sequence skips t)
        #       δn = dh ⊙ (1 − z_t) ⊙ (1 − n_t²);   δz = dh ⊙ (h_{t−1} − n_t) ⊙ z_t(1 − z_t)
        #       δr = δn ⊙ a_n ⊙ r_t(1 − r_t)                                           (FusedGRUCell.gate_gradients)
        #       keep ∂x_proj_t = [δr, δz, δn] and ε_t = ∂a = [δr, δz, δn ⊙ r_t]                      (store, twice)
        #       dh = ε_t W_hh + dh ⊙ z_t                                                                 (product)
        #   ∂x_proj = [∂x_proj_1; …],  ∂W_hh = Σ_t ε_tᵀ h_{t−1},  ∂b_hh = Σ_t ε_t                (weight_gradients)
        #   ∂h_0 = dh                                                                           (initial_gradient)
        for p, before, after in reversed(self.visits(steps)):
            grad_state = grad_sum(grad_hidden, grad_at(grad_output, p), grad_at(grad_hiddens, after))  # ∂J/∂h_t
            grad_hidden, held = self.at_the_step(grad_state, p)
            grad_recurrent, grad_x, grad_direct = FusedGRUCell.gate_gradients(
                (grad_hidden, grad_at(grad_gates, p), grad_at(grad_recurrent_saved, p)), gates[p], recurrent[p],
                hiddens[before], self.slot(recurrent_grads, p), self.slot(input_grads, p, self.time_dim))
            self.store(recurrent_grads, p, grad_recurrent)
            self.store(input_grads, p, grad_x, self.time_dim)
            grad_hidden = grad_sum(product(grad_recurrent, weight_hh) + grad_direct, held)
        return (self.joined(input_grads, self.time_dim) if self.needs[0] else None,
                self.initial_gradient(grad_hidden, grad_hiddens, steps, 1),
                *self.weight_gradients(self.joined(recurrent_grads), self.started_from(hiddens), self.weight_position,
                                       bias_hh is not None))[: 4 if bias_hh is not None else 3]

    def backward_in_place(self, grad_output, grad_hidden, outs, weight_hh, has_bias: bool):
        """``steps_backward`` as a hand-written BPTT runs it on CPU arrays (see ``in_place``): the slopes of
        every step at once (``FusedGRUCell.slopes``) into the buffer that then holds ε = ∂(h W_hhᵀ + b_hh),
        and s_n into ∂x_proj's n block, then per step  dh += ∂J/∂y_t;  ε_t = slopes ⊙ dh;  ∂x_n = s_n ⊙ dh;
        dh = ε_t W_hh + dh ⊙ z_t; after the loop ∂x_proj's r and z blocks are ε's, copied."""
        *_, hiddens, gates, recurrent = outs
        xp, (steps, batch, size) = array_module(gates), recurrent.shape[:2] + hiddens.shape[-1:]
        recurrent_grads = xp.empty(recurrent.shape, dtype=recurrent.dtype)
        in_layout = recurrent.shape if self.time_dim == 0 else (batch, steps, 3 * size)
        input_grads = xp.empty(in_layout, dtype=recurrent.dtype) if self.needs[0] else None  # (no copy after)
        new_input_grads = None if input_grads is None else self.by_step(input_grads)[..., 2 * size:]
        FusedGRUCell.slopes(gates, recurrent, self.started_from(hiddens), recurrent_grads, new_input_grads)
        each_gate, update = recurrent_grads.reshape(steps, batch, 3, size), gates[:, 1]
        grad_hidden = self.kept_gradient(grad_hidden, hiddens[0])
        grad_hidden_by_gate, through_weight = grad_hidden[:, None, :], xp.empty_like(grad_hidden)
        grad_output, dot = self.by_step(grad_output), xp.dot
        for p, _, _ in reversed(self.visits(steps)):
            if grad_output is not None:
                grad_hidden += grad_output[p]
            each_gate[p] *= grad_hidden_by_gate
            if new_input_grads is not None:
                new_input_grads[p] *= grad_hidden
            grad_hidden *= update[p]
            dot(recurrent_grads[p], weight_hh, out=through_weight)
            grad_hidden += through_weight
        if input_grads is not None:  # x_r and x_z enter where h W_hrᵀ + b_hr and h W_hzᵀ + b_hz do
            self.by_step(input_grads)[..., : 2 * size] = recurrent_grads[..., : 2 * size]
        return (input_grads, self.initial_gradient(grad_hidden, None, steps, 1),
                *self.weight_gradients(recurrent_grads, self.started_from(hiddens), self.weight_position,
                                       has_bias))[: 4 if has_bias else 3]


class FusedRNNLayer(FusedLayer):
    """An Elman RNN layer over a sequence (:class:`~.fused_cells.FusedRNNCell`, step by step). Inputs
    (x_proj, h_0, W_hh[, b_hh]); outputs the sequence, h_n, and saved for backward the states."""

    name = "fused RNN layer"
    saves_inputs = (2,)  # W_hh
    weight_position = 2
    saves_intermediates = 1

    def __init__(self, nonlinearity: str = "tanh", time_dim: int = 0, reverse: bool = False, first_step: int = 1,
                 running=None, chain: Chain | None = None, projects: bool = False, stacks_states: bool = False,
                 step_masks: Sequence[Tensor] | None = None) -> None:
        super().__init__(time_dim, reverse, first_step, running, chain, projects, stacks_states, step_masks)
        self.nonlinearity = nonlinearity

    def primitive_cell(self, x_projected, hidden, cell_state, weight_hh, bias_hh=None):
        return primitive.rnn_cell(x_projected, hidden, weight_hh, bias_hh, self.nonlinearity), None

    def steps_forward(self, projected, hidden, weight_hh, bias_hh=None):
        xp, steps = array_module(projected), projected.shape[self.time_dim]
        transposed_weight = _for_every_step(weight_hh.T, steps)
        hiddens = self.states_buffer(hidden, steps)
        # each state's slot first holds its pre-activation x_t W_ihᵀ + b_ih + b_hh (all steps at once),
        # then + h_{t−1} W_hhᵀ, then tanh in place: no buffer beside the states
        self.time_major(projected, bias_hh, out=self.made(hiddens))
        product = xp.empty(hidden.shape[:-1] + (weight_hh.shape[0],), dtype=hidden.dtype)
        dot, nonlinearity = xp.dot, self.nonlinearity
        for p, before, after in self.visits(steps):
            state = hiddens[after]  # the pre-activation, + h_{t−1} W_hhᵀ, then the state itself
            dot(hiddens[before], transposed_weight, out=product)
            state += product
            rnn_pointwise(state, nonlinearity, out=state)
            self.hold(hiddens, p, before, after)
        return (*self.sequence(hiddens), hiddens)

    def steps_backward(self, grads, outs, projected, hidden, weight_hh, bias_hh=None):
        grad_output, grad_hidden, grad_hiddens = grads
        grad_hidden = self.from_last(grad_hidden)
        hiddens = outs[-1]
        # On CPU arrays with T > 1 (first order, no lengths) backward_in_place runs, not the textbook loop below
        # (FusedLSTMLayer.steps_backward says when each runs).
        if self.in_place(len(hiddens) - 1, hiddens, grad_hiddens):
            return self.backward_in_place(grad_output, grad_hidden, hiddens, weight_hh, bias_hh is not None)
        steps = hiddens.shape[0] - 1
        step_gradients = self.new_step_gradients(hiddens, (steps, *hiddens.shape[1:]))
        grad_output, product = self.by_step(grad_output), self.through_weight(hiddens)
        # The textbook BPTT loop (h_t = tanh(x_proj_t + h_{t−1} W_hhᵀ + b_hh)), with the helper per line:
        #   dh = ∂J/∂h_T                                                    (from_last; None: no gradient came)
        #   for t = T down to 1:                          (reversed(visits); a reverse layer: t = 1 up to T)
        #       dh += ∂J/∂y_t                                (grad_sum; at_the_step: a finished sequence skips t)
        #       δ_t = dh ⊙ (1 − h_t²)   (relu: dh ⊙ [h_t > 0])                       (FusedRNNCell.gate_gradients)
        #       keep δ_t;  dh = δ_t W_hh                                                          (store; product)
        #   ∂x_proj = [δ_1; …; δ_T],  ∂W_hh = Σ_t δ_tᵀ h_{t−1},  ∂b_hh = Σ_t δ_t                 (after_the_loop)
        #   ∂h_0 = dh                                                                           (initial_gradient)
        for p, _, after in reversed(self.visits(steps)):
            grad_state = grad_sum(grad_hidden, grad_at(grad_output, p), grad_at(grad_hiddens, after))  # ∂J/∂h_t
            grad_hidden, held = self.at_the_step(grad_state, p)
            grad_pre = FusedRNNCell.gate_gradients(grad_hidden, hiddens[after], self.nonlinearity,
                                                   self.slot(step_gradients, p))
            self.store(step_gradients, p, grad_pre)
            grad_hidden = grad_sum(product(grad_pre, weight_hh), held)
        grad_x, grad_weight, grad_bias = self.after_the_loop(step_gradients, hiddens, bias_hh is not None)
        return (grad_x, self.initial_gradient(grad_hidden, grad_hiddens, steps, 1), grad_weight,
                grad_bias)[: 4 if bias_hh is not None else 3]

    def backward_in_place(self, grad_output, grad_hidden, hiddens, weight_hh, has_bias: bool):
        """``steps_backward`` as a hand-written BPTT runs it on CPU arrays (see ``in_place``): every step's
        slope (``FusedRNNCell.slopes``) at once into the buffer that then holds δ, then per step
        dh += ∂J/∂y_t;  δ_t = slope ⊙ dh;  dh = δ_t W_hh — three operations, each into a kept array."""
        xp, steps = array_module(hiddens), hiddens.shape[0] - 1
        step_gradients = FusedRNNCell.slopes(self.made(hiddens), self.nonlinearity,
                                             into=xp.empty((steps, *hiddens.shape[1:]), dtype=hiddens.dtype))
        grad_hidden = self.kept_gradient(grad_hidden, hiddens[0])
        grad_output, dot = self.by_step(grad_output), xp.dot
        for p, _, _ in reversed(self.visits(steps)):
            if grad_output is not None:
                grad_hidden += grad_output[p]
            step_gradients[p] *= grad_hidden
            dot(step_gradients[p], weight_hh, out=grad_hidden)
        grad_x, grad_weight, grad_bias = self.after_the_loop(step_gradients, hiddens, has_bias)
        return (grad_x, self.initial_gradient(grad_hidden, None, steps, 1), grad_weight,
                grad_bias)[: 4 if has_bias else 3]


def lstm_layer(projected, hidden, cell_state, weight_hh, bias_hh=None, time_dim: int = 0, reverse: bool = False,
               first_step: int = 1, running=None, weight_hr=None, chain: Chain | None = None, weight_ih=None,
               bias_ih=None, stacks_states: bool = False, step_masks: Sequence[Tensor] | None = None):
    """(output, h_n, c_n, c_1 … c_T): an LSTM over a whole sequence as one op (see :class:`FusedLSTMLayer`).
    ``projected`` is x W_ihᵀ + b_ih of every step, (T, B, 4H) — (B, T, 4H) with ``time_dim=1``.
    ``running``: (T, B, 1) booleans, True where sequence b still runs at step t (variable lengths):
    a finished sequence holds its states, and the output holds them too (a layer then zeroes it).
    ``weight_hr`` (P, H): each h_t projected to P units (PyTorch's ``proj_size``); h_0 is then (B, P).
    ``weight_ih`` (and ``bias_ih``) given, ``projected`` is the layer's input x itself, (T, B, I), and the
    node makes x W_ihᵀ + b_ih as linear would: one node for the layer's projection and its steps.
    ``stacks_states``: h_n and c_n returned as (1, B, H), as a module of one layer and direction returns them.
    ``step_masks``: with ``running``, the module's own (B, 1) mask Tensor of each step, which the steps a drawing
    records (``FusedLayer.stepwise``) read, as the plain path's steps do.

    >>> import tinygrad_rnn as tr
    >>> output, h_n, c_n, cells = lstm_layer(tr.zeros(5, 2, 8), tr.zeros(2, 2), tr.zeros(2, 2),
    ...                               tr.ones(8, 2, requires_grad=True))
    >>> output.shape, h_n.shape, output.grad_fn
    ((5, 2, 2), (2, 2), <FusedLSTMLayer>)
    """
    weights = (weight_hh,) if bias_hh is None and weight_hr is None else (weight_hh, bias_hh)  # (b_hh may be None)
    return FusedLSTMLayer.apply(*_first_inputs(projected, weight_ih, bias_ih), hidden, cell_state, *weights,
                                *(() if weight_hr is None else (weight_hr,)), time_dim=time_dim, reverse=reverse,
                                first_step=first_step, running=running, chain=chain, projects=weight_ih is not None,
                                stacks_states=stacks_states, step_masks=step_masks)


def gru_layer(projected, hidden, weight_hh, bias_hh=None, time_dim: int = 0, reverse: bool = False,
              first_step: int = 1, running=None, chain: Chain | None = None, weight_ih=None, bias_ih=None,
              stacks_states: bool = False, step_masks: Sequence[Tensor] | None = None):
    """(output, h_n): a GRU over a whole sequence as one op (see :class:`FusedGRULayer`; the rest as
    for :func:`lstm_layer`).

    >>> import tinygrad_rnn as tr
    >>> output, h_n = gru_layer(tr.zeros(5, 2, 9), tr.zeros(2, 3), tr.ones(9, 3, requires_grad=True))
    >>> output.shape
    (5, 2, 3)
    """
    return FusedGRULayer.apply(*_first_inputs(projected, weight_ih, bias_ih), hidden, weight_hh,
                               *(() if bias_hh is None else (bias_hh,)), time_dim=time_dim, reverse=reverse,
                               first_step=first_step, running=running, chain=chain, projects=weight_ih is not None,
                               stacks_states=stacks_states, step_masks=step_masks)


def rnn_layer(projected, hidden, weight_hh, bias_hh=None, nonlinearity: str = "tanh", time_dim: int = 0,
              reverse: bool = False, first_step: int = 1, running=None, chain: Chain | None = None, weight_ih=None,
              bias_ih=None, stacks_states: bool = False, step_masks: Sequence[Tensor] | None = None):
    """(output, h_n): an Elman RNN over a whole sequence as one op (see :class:`FusedRNNLayer`).

    >>> import tinygrad_rnn as tr
    >>> output, h_n = rnn_layer(tr.zeros(5, 2, 3), tr.zeros(2, 3), tr.ones(3, 3, requires_grad=True))
    >>> output.grad_fn
    <FusedRNNLayer>
    """
    return FusedRNNLayer.apply(*_first_inputs(projected, weight_ih, bias_ih), hidden, weight_hh,
                               *(() if bias_hh is None else (bias_hh,)), nonlinearity=nonlinearity, time_dim=time_dim,
                               reverse=reverse, first_step=first_step, running=running, chain=chain,
                               projects=weight_ih is not None, stacks_states=stacks_states, step_masks=step_masks)


def _first_inputs(projected, weight_ih, bias_ih) -> tuple:
    """The node's inputs before h_0: the projection x_proj, or (x, W_ih, b_ih) — b_ih may be None — where the
    node makes it (``weight_ih`` given)."""
    return (projected,) if weight_ih is None else (projected, weight_ih, bias_ih)

