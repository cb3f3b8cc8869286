"""Fused layers: a whole sequence through one RNN, LSTM or GRU layer (one direction) as one op.

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
in one place. The backward loop is written once for arrays and Tensors: with
``create_graph=True`` it runs on Tensors, the steps' gate gradients are recorded op by op, and
what they read of the forward pass (the gates, the states) are outputs of this node saved for
backward (``saves_intermediates``) — so a second derivative flows back through them, into this node's
backward again.

The weight's term is handed over as one :class:`~..gradient_table.DeferredProduct` that knows its steps
(``steps``): the gradient table multiplies it out as one product, and ``grad_contributions`` (or
a recorded backward) splits it into each step's term, δ_tᵀ h_{t−1}, with the step's scope.

Variable lengths run inside the loop (``running``: a finished sequence holds its states, as the
per-step path's ``where`` does), and so does an LSTM's projection of h_t (``proj_size``, W_hr).

Layout: the input projection is (T, B, G·H), or (B, T, G·H) with ``time_dim=1`` (batch first),
and so is the output sequence; the buffers are time-major, as the step loop reads them.
``reverse`` runs the steps last to first (the backward direction of a bidirectional layer). The
state buffers hold h_0 at one end (``initial``); ``visits`` lists, in the order of the forward
pass, each step's position and the indices of the states it starts from and makes.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from ...device import array_module
from ...function import Function
from ...nn import cells as primitive  # the plain path's cells: primitive.lstm_cell …
from ...nn.cells import gru_inputs_by_step, named
from ...nn.functional import linear
from ...ops.elementwise import where
from ...ops.linalg import MatMul, linear_backward, linear_forward
from ...ops.shape import stack
from ...recording import STATE
from ...steps import Chain, Step, at_step
from ...tensor import Tensor
from ..gradient_table import DeferredProduct, handed_over
from .fused_cells import (
    FusedGRUCell,
    FusedLSTMCell,
    FusedRNNCell,
    gru_pointwise,
    lstm_pointwise,
    rnn_pointwise,
)


class FusedLayer(Function):
    """What the three fused layers share: the order of the steps, the buffers and their layout,
    and the gradients of the weights after the loop."""

    multiple_outputs = True
    # Of its inputs, backward reads the weights' values only (``saves_inputs``, set by each layer): the
    # states it saves as outputs of its own (``saves_intermediates``), and the (T, B, G·H) projection,
    # once copied into the buffers, is let go.
    states = ("h",)  # the returned outputs after the sequence: h_n (an LSTM's c_n too)

    def __init__(self, time_dim: int = 0, reverse: bool = False, first_step: int = 1, running=None,
                 chain: Chain | None = None, projects: bool = False, stacks_states: bool = False) -> None:
        # stacks_states: h_n (an LSTM's c_n too) returned as (1, B, H), as a module of one layer and one direction
        # returns them: no stack op after the node (a view of the state buffer, as the (B, H) one is)
        self.stacks_states = stacks_states
        # projects: the node makes the input projection x W_ihᵀ + b_ih itself, its inputs (x, W_ih, b_ih, h_0, …)
        # in place of (x_proj, h_0, …): one node fewer per layer (the layer's linear). Its backward then
        # reads x and W_ih too, as linear's does; the layer's own inputs are two places on.
        self.projects = projects
        if projects:
            self.saves_inputs = _saves_when_projecting(type(self).saves_inputs)
        # its steps are step first_step, first_step + 1, … of ``chain`` (the layer's run in this direction)
        self.time_dim, self.reverse, self.first_step = time_dim, reverse, first_step
        self.chain = chain or Chain(type(self).name, 0, "reverse" if reverse else "forward")
        # (T, B, 1) booleans, True where sequence b still runs at step t (None: all do, every step); a
        # finished sequence holds its state: h_t = h_{t−1} (c_t too), as where(running, new, old) does
        self.running = running
        self.finished = None if running is None else ~running  # (once, not at every step that reads it)

    # --- the input projection, taken in or not -----------------------------------------------------------
    def forward(self, *inputs):
        """The layer's steps (``steps_forward``) from its own inputs (x_proj, h_0, …); with ``projects``, x_proj
        made first from (x, W_ih, b_ih) as linear makes it — the same arithmetic, the same numbers."""
        if self.projects:
            x, weight_ih, bias_ih, *inputs = inputs
            inputs = (linear_forward(x, weight_ih, bias_ih), *inputs)
        return self.steps_forward(*inputs)

    def backward(self, grads, outs, *inputs):
        """The steps' backward (``steps_backward``); with ``projects``, then linear's rule on the gradient of
        x_proj it gave: (∂x, ∂W_ih, ∂b_ih) from the same function linear's backward calls."""
        if not self.projects:
            return self.steps_backward(grads, outs, *inputs)
        x, weight_ih, bias_ih, *inputs = inputs
        grad_projected, *rest = self.steps_backward(grads, outs, None, *inputs)
        need = self.needs_input_grad
        if grad_projected is None:
            return (None, None, None, *rest)
        return (*linear_backward(grad_projected, x, weight_ih, bias_ih, *need[:3]), *rest)

    @property
    def needs(self) -> tuple[bool, ...]:
        """``needs_input_grad`` of the layer's own inputs (x_proj, h_0, …): with ``projects``, x_proj's
        gradient is needed where x's, W_ih's or b_ih's is."""
        need = self.needs_input_grad
        return (need[0] or need[1] or need[2], *need[3:]) if self.projects else need

    def own_inputs(self, inputs):
        """The layer's own inputs (x_proj, h_0, …) from the node's, on Tensors: with ``projects``, x_proj
        recorded by linear (as the plain path's layer records it): what ``stepwise`` replays."""
        if not self.projects:
            return inputs
        x, weight_ih, bias_ih, *inputs = inputs
        return (linear(x, weight_ih, bias_ih), *inputs)

    # --- the steps and the buffers -----------------------------------------------------------------------
    def visits(self, steps: int) -> list[tuple[int, int, int]]:
        """(position p, before(p), after(p)) in the order the forward pass visits the steps: step p
        starts from state ``before(p)`` of the state buffers and makes state ``after(p)``."""
        if self.reverse:
            return [(p, p + 1, p) for p in range(steps - 1, -1, -1)]
        return [(p, p, p + 1) for p in range(steps)]

    def initial(self, steps: int) -> int:
        """The index of the initial state in the state buffers."""
        return steps if self.reverse else 0

    def states_buffer(self, initial, steps: int):
        """(T + 1, B, H), the initial state at the end the loop starts from."""
        xp = array_module(initial)
        buffer = xp.empty((steps + 1, *initial.shape), dtype=initial.dtype)
        buffer[self.initial(steps)] = initial
        return buffer

    def hold(self, states, position: int, before: int, after: int) -> None:
        """A finished sequence keeps the state it had: where step ``position`` does not run, the state
        it made is the one it started from."""
        if self.running is not None:
            array_module(states).copyto(states[after], states[before], where=self.finished[position])

    def at_the_step(self, grad_state, position: int):
        """(∂J/∂ the state step ``position`` made, ∂J/∂ the state it started from through a finished
        sequence's held state) from ∂J/∂ the state after the step (None: no gradient)."""
        if self.running is None or grad_state is None:
            return grad_state, None
        return grad_state * self.running[position], grad_state * self.finished[position]

    def time_major(self, projected, bias=None, out=None):
        """The input projection (T, B, G·H) time-major, + ``bias`` if given (folded in once for all
        steps, as a hand-written BPTT does), written into ``out`` (a new array if None)."""
        xp, steps = array_module(projected), self.by_step(projected)
        out = xp.empty(steps.shape, dtype=steps.dtype) if out is None else out
        if bias is None:
            out[...] = steps
            return out
        return xp.add(steps, bias, out=out)

    @property
    def final_step(self) -> Step | None:
        """The step whose state is the h_n this node returns (a forward chain's last): a next call of
        the layer started from it continues the chain (see ``nn.recurrent``)."""
        if self.reverse or getattr(self, "inputs", None) is None:  # (a reverse chain ends at its first step)
            return None
        steps = self.inputs[0].shape[self.time_dim]  # x or the projection of every step: (T, B, …)
        return Step(self.chain, self.first_step + steps - 1)

    def made(self, states):
        """The states the steps made, in time order (T, B, H): a view of the state buffer."""
        return states[:-1] if self.reverse else states[1:]

    def started_from(self, states):
        """The state each step started from, in time order (T, B, H): a view of the state buffer."""
        return states[1:] if self.reverse else states[:-1]

    def sequence(self, states):
        """The output sequence (the states each step made) in the input's layout; and the last state."""
        made = self.made(states)
        if self.time_dim == 1:
            made = _batch_first(made)
        return made, self.last(states)

    def last(self, states):
        """The state after the sequence (B, H) — (1, B, H) with ``stacks_states``: a view of the state buffer."""
        if self.stacks_states:
            return states[:1] if self.reverse else states[-1:]
        return states[0] if self.reverse else states[-1]

    def from_last(self, grad):
        """∂J/∂ the state after the sequence as (B, H), as the steps' loop reads it (None: none came)."""
        return grad[0] if self.stacks_states and grad is not None else grad

    def by_step(self, sequence):
        """A sequence in the input's layout, indexed by step (a time-major view); None stays None."""
        if sequence is None or self.time_dim == 0:
            return sequence
        return sequence.transpose(0, 1) if isinstance(sequence, Tensor) else sequence.transpose(1, 0, 2)

    # --- backward: the parts every cell shares ----------------------------------------------------------
    @staticmethod
    def new_step_gradients(like, shape: tuple[int, ...], time_dim: int = 0):
        """Where the steps' gate gradients go: one (T, B, G) array (or of ``shape``, its steps along
        ``time_dim``); on Tensors (a recorded backward) a list of T, stacked after the loop."""
        if isinstance(like, Tensor):
            return [None] * shape[time_dim]
        return array_module(like).empty(shape, dtype=like.dtype)

    @staticmethod
    def slot(step_gradients, position: int, time_dim: int = 0):
        """The array step ``position`` writes its gate gradients into (None on Tensors); ``time_dim``:
        where the buffer's steps lie."""
        if isinstance(step_gradients, list):
            return None
        return step_gradients[position] if time_dim == 0 else step_gradients[:, position]

    @staticmethod
    def collect(step_gradients, position: int, gradient) -> None:
        """On Tensors, collect the step's gradient for the stack (arrays wrote it into their slot)."""
        if isinstance(step_gradients, list):
            step_gradients[position] = gradient

    def put(self, step_gradients, position: int, gradient) -> None:
        """Step ``position``'s gradient into its slot (arrays) or held for the stack (Tensors)."""
        if isinstance(step_gradients, list):
            step_gradients[position] = gradient
        else:
            self.slot(step_gradients, position)[...] = gradient

    @staticmethod
    def joined(step_gradients, time_dim: int = 0):
        return stack(step_gradients, dim=time_dim) if isinstance(step_gradients, list) else step_gradients

    def in_layout(self, time_major_grad):
        """A time-major gradient (of the input projection) in the input's layout."""
        if self.time_dim == 0:
            return time_major_grad
        if isinstance(time_major_grad, Tensor):
            return time_major_grad.transpose(0, 1)
        return _batch_first(time_major_grad)

    @staticmethod
    def through_weight(like):
        """The product ∂J/∂h_{t−1} = grad_pre W_hh is made with, through h_{t−1} W_hhᵀ (linear's rule
        for its input): on arrays one BLAS call, ``dot`` (each step's: none of linear's general
        folding), recorded (MatMul) on Tensors. Chosen once per backward, from ``like``, not at each step."""
        return MatMul.apply if isinstance(like, Tensor) else array_module(like).dot

    def initial_gradient(self, grad, per_step_grad, steps: int, position: int):
        """∂J/∂ of the initial state (input ``position``): what the loop sent it, and what its slot
        of the saved states received (None where no gradient is needed)."""
        return _plus(grad, _at(per_step_grad, self.initial(steps))) if self.needs[position] else None

    def after_the_loop(self, step_gradients, states, has_bias: bool):
        """(∂x_proj in the input's layout, ∂W_hh, ∂b_hh) from the steps' gate gradients."""
        grad_pre = self.joined(step_gradients)
        return (self.in_layout(grad_pre) if self.needs[0] else None,
                *self.weight_gradients(grad_pre, self.started_from(states), self.weight_position, has_bias))

    def weight_gradients(self, step_grads, step_inputs, position: int, has_bias: bool):
        """(∂W, ∂b) of a weight every step multiplies its input by (input ``position`` of this node, its
        bias the next), all steps at once: [δ_1; …; δ_T]ᵀ [x_1; …; x_T] and Σ δ_t — for W_hh, x_t is
        h_{t−1}. Each a :class:`DeferredProduct` that knows its steps: multiplied out as one product, or split
        into each step's term where they are shown (``grad_contributions``; and a recorded backward,
        on Tensors, records the sum Σ_t with one term per step, as the per-step path does)."""
        need = self.needs
        need_weight, need_bias = need[position], has_bias and need[position + 1]
        rows, steps = step_grads.reshape(-1, step_grads.shape[-1]), self.step_names(len(step_inputs))
        grad_weight = (handed_over(DeferredProduct(rows, step_inputs.reshape(-1, step_inputs.shape[-1]), steps))
                       if need_weight else None)
        grad_bias = handed_over(DeferredProduct(rows, None, steps)) if need_bias else None
        return grad_weight, grad_bias

    # --- the same computation, step by step ------------------------------------------------------------
    def stepwise(self, *inputs):
        """This layer's returned outputs recorded step by step with the primitive cells of
        ``nn/cells.py``, each step in its scope t=k — the graph the plain path records (with ``projects``,
        the input projection first, one linear). Drawings draw a layer node so (``viz/stepwise.py``): its
        steps as columns, as without tinygrad_rnn/fast/."""
        projected, hidden, *rest = self.own_inputs(inputs)
        cell_state, weights = (rest[0], rest[1:]) if len(self.states) == 2 else (None, rest)  # (LSTM: c_0); W_hh, …
        steps_in, steps = self.step_inputs(projected), projected.shape[self.time_dim]
        outputs, cell_states = [None] * steps, [None] * steps
        for p, _, _ in self.visits(steps):
            with at_step(self.chain, p + self.first_step):
                new_hidden, new_cell_state = self.primitive_cell(steps_in[p], hidden, cell_state, *weights)
                if self.running is not None:  # a finished sequence holds its state
                    new_hidden = where(self.running[p], new_hidden, hidden)
                    if cell_state is not None:
                        new_cell_state = where(self.running[p], new_cell_state, cell_state)
                hidden, cell_state = new_hidden, new_cell_state
            outputs[p], cell_states[p] = named(hidden, "h"), None if cell_state is None else named(cell_state, "c")
        sequence = stack(outputs, dim=self.time_dim)
        cell_sequence = None if cell_state is None else stack(cell_states)
        if self.stacks_states:  # h_n (c_n) stacked as the plain path's module stacks them: in its scope, the
            inside, STATE.scope = STATE.scope, STATE.scope[:-2]  # node's less "layer k" and the direction
            hidden, cell_state = stack([hidden]), None if cell_state is None else stack([cell_state])
            STATE.scope = inside
        return (sequence, hidden) if cell_state is None else (sequence, hidden, cell_state, cell_sequence)

    def step_inputs(self, projected):
        """Each step's input projection, as the plain path's layer hands it to its cell."""
        return projected.unbind(self.time_dim)

    def primitive_cell(self, x_projected, hidden, cell_state, weight_hh, bias_hh=None):
        """One step as the plain path records it (nn/cells.py): (h', c') (c' None but for an LSTM)."""
        raise NotImplementedError

    def step_names(self, steps: int) -> StepNames:
        """Each step's block of a weight's term and the scope it came from (the t=k of the per-step
        path), in the order backward visits the steps."""
        return StepNames(self, steps)


class StepNames(Sequence):
    """(block, step name) of each step of a fused layer, ``(0, "t=1")``, in the order backward visits
    the steps: what a weight's term needs to be split into each step's term. Named when first read
    (by ``grad_contributions`` or a recorded backward), not at every backward, which only multiplies
    the term out: T formatted names a step cost a batch-1 step ~0.2 µs per time step.

    >>> from tinygrad_rnn.fast.recurrent.layers import FusedRNNLayer
    >>> list(StepNames(FusedRNNLayer(first_step=4), 2)), len(StepNames(FusedRNNLayer(reverse=True), 3))
    ([(1, 't=5'), (0, 't=4')], 3)
    """

    def __init__(self, layer: FusedLayer, steps: int) -> None:
        self.layer, self.steps = layer, steps
        self.names: tuple[tuple[int, str], ...] | None = None

    def __len__(self) -> int:
        return self.steps

    def __getitem__(self, index: Any) -> Any:
        if self.names is None:
            first = self.layer.first_step
            self.names = tuple((p, f"t={p + first}") for p, _, _ in reversed(self.layer.visits(self.steps)))
        return self.names[index]


def _plus(first, second, third=None):
    """The sum of the gradients that arrived (None for one that did not; None if none did)."""
    total = first if second is None else second if first is None else first + second
    return total if third is None else third if total is None else total + third


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


def _batch_first(time_major):
    """A (T, B, …) array copied into a new (B, T, …) one; for one sequence (B = 1) the transposed
    view, already laid out batch first (no copy, as for a time-major layer's view of its states)."""
    if time_major.shape[1] == 1:
        return time_major.transpose(1, 0, *range(2, time_major.ndim))
    out = array_module(time_major).empty((time_major.shape[1], time_major.shape[0], *time_major.shape[2:]),
                                         dtype=time_major.dtype)
    out[...] = time_major.transpose(1, 0, *range(2, time_major.ndim))
    return out


def _at(per_step_grad, index: int):
    """Step ``index`` of a per-step gradient (None where no gradient came)."""
    return None if per_step_grad is None else per_step_grad[index]


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
        steps = tanh_cells.shape[0]
        step_gradients = self.new_step_gradients(gates, gates.shape)
        projection_gradients = None if weight_hr is None else self.new_step_gradients(gates, hiddens[1:].shape)
        grad_output, product = self.by_step(grad_output), self.through_weight(gates)
        for p, before, after in reversed(self.visits(steps)):
            grad_state = _plus(grad_hidden, _at(grad_output, p), _at(grad_hiddens, after))  # ∂J/∂h_t
            grad_hidden, held_hidden = self.at_the_step(grad_state, p)
            if weight_hr is not None:  # h_t = u_t W_hrᵀ (u_t = o ⊙ tanh c_t): ∂u_t = ∂h_t W_hr
                if grad_hidden is None:
                    grad_hidden = 0 * hiddens[after]
                self.put(projection_gradients, p, grad_hidden)
                grad_hidden = _plus(product(grad_hidden, weight_hr), _at(grad_unprojected, p))
            grad_cell_state = _plus(grad_cell, _at(grad_cell_sequence, p), _at(grad_cells, after))  # ∂J/∂c_t
            grad_cell, held_cell = self.at_the_step(grad_cell_state, p)
            grad_pre, grad_cell = FusedLSTMCell.gate_gradients(
                (grad_hidden, grad_cell, _at(grad_gates, p), _at(grad_tanh, p)), gates[p], tanh_cells[p],
                cell_states[before], out=self.slot(step_gradients, p))
            self.collect(step_gradients, p, grad_pre)
            grad_hidden = _plus(product(grad_pre, weight_hh), held_hidden)
            grad_cell = _plus(grad_cell, held_cell)
        grad_x, grad_weight, grad_bias = self.after_the_loop(step_gradients, hiddens, bias_hh is not None)
        grad_projection = None if weight_hr is None else self.weight_gradients(
            self.joined(projection_gradients), unprojected, 5, has_bias=False)[0]  # (W_hr: input 5)
        return (grad_x, self.initial_gradient(grad_hidden, grad_hiddens, steps, 1),
                self.initial_gradient(grad_cell, grad_cells, steps, 2), grad_weight, grad_bias,
                grad_projection)[: len(self.needs)]


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
        steps = gates.shape[0]
        # the gradient of the input projection written in its own layout (no transposed copy after)
        recurrent_grads = self.new_step_gradients(gates, recurrent.shape)
        steps_first = recurrent.shape  # (T, B, 3H); x_proj's shape is that in the input's layout
        in_layout = steps_first if self.time_dim == 0 else (steps_first[1], steps_first[0], steps_first[2])
        input_grads = self.new_step_gradients(gates, in_layout, self.time_dim)
        grad_output, product = self.by_step(grad_output), self.through_weight(gates)
        for p, before, after in reversed(self.visits(steps)):
            grad_state = _plus(grad_hidden, _at(grad_output, p), _at(grad_hiddens, after))  # ∂J/∂h_t
            grad_hidden, held = self.at_the_step(grad_state, p)
            grad_recurrent, grad_x, grad_direct = FusedGRUCell.gate_gradients(
                (grad_hidden, _at(grad_gates, p), _at(grad_recurrent_saved, p)), gates[p], recurrent[p],
                hiddens[before], self.slot(recurrent_grads, p), self.slot(input_grads, p, self.time_dim))
            self.collect(recurrent_grads, p, grad_recurrent)
            self.collect(input_grads, p, grad_x)
            grad_hidden = _plus(product(grad_recurrent, weight_hh) + grad_direct, held)
        return (self.joined(input_grads, self.time_dim) if self.needs[0] else None,
                self.initial_gradient(grad_hidden, grad_hiddens, steps, 1),
                *self.weight_gradients(self.joined(recurrent_grads), self.started_from(hiddens), self.weight_position,
                                       bias_hh is not None))[: 4 if bias_hh is not None else 3]


class FusedRNNLayer(FusedLayer):
    """An Elman RNN layer over a sequence (:class:`~.fused_cells.FusedRNNCell`, step by step). Inputs
    (x_proj, h_0, W_hh[, b_hh]); outputs the sequence, h_n, and saved for backward the states."""

    name = "fused RNN layer"
    saves_inputs = (2,)  # W_hh
    weight_position = 2
    saves_intermediates = 1

    def __init__(self, nonlinearity: str = "tanh", time_dim: int = 0, reverse: bool = False, first_step: int = 1,
                 running=None, chain: Chain | None = None, projects: bool = False, stacks_states: bool = False) -> None:
        super().__init__(time_dim, reverse, first_step, running, chain, projects, stacks_states)
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
        steps = hiddens.shape[0] - 1
        step_gradients = self.new_step_gradients(hiddens, (steps, *hiddens.shape[1:]))
        grad_output, product = self.by_step(grad_output), self.through_weight(hiddens)
        for p, _, after in reversed(self.visits(steps)):
            grad_state = _plus(grad_hidden, _at(grad_output, p), _at(grad_hiddens, after))  # ∂J/∂h_t
            grad_hidden, held = self.at_the_step(grad_state, p)
            grad_pre = FusedRNNCell.gate_gradients(grad_hidden, hiddens[after], self.nonlinearity,
                                                   self.slot(step_gradients, p))
            self.collect(step_gradients, p, grad_pre)
            grad_hidden = _plus(product(grad_pre, weight_hh), held)
        grad_x, grad_weight, grad_bias = self.after_the_loop(step_gradients, hiddens, bias_hh is not None)
        return (grad_x, self.initial_gradient(grad_hidden, grad_hiddens, steps, 1), grad_weight,
                grad_bias)[: 4 if bias_hh is not None else 3]


def lstm_layer(projected, hidden, cell_state, weight_hh, bias_hh=None, time_dim: int = 0, reverse: bool = False,
               first_step: int = 1, running=None, weight_hr=None, chain: Chain | None = None, weight_ih=None,
               bias_ih=None, stacks_states: bool = False):
    """(output, h_n, c_n, c_1 … c_T): an LSTM over a whole sequence as one op (see :class:`FusedLSTMLayer`).
    ``projected`` is x W_ihᵀ + b_ih of every step, (T, B, 4H) — (B, T, 4H) with ``time_dim=1``.
    ``running``: (T, B, 1) booleans, True where sequence b still runs at step t (variable lengths):
    a finished sequence holds its states, and the output holds them too (a layer then zeroes it).
    ``weight_hr`` (P, H): each h_t projected to P units (PyTorch's ``proj_size``); h_0 is then (B, P).
    ``weight_ih`` (and ``bias_ih``) given, ``projected`` is the layer's input x itself, (T, B, I), and the
    node makes x W_ihᵀ + b_ih as linear would: one node for the layer's projection and its steps.
    ``stacks_states``: h_n and c_n returned as (1, B, H), as a module of one layer and direction returns them.

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
                                stacks_states=stacks_states)


def gru_layer(projected, hidden, weight_hh, bias_hh=None, time_dim: int = 0, reverse: bool = False,
              first_step: int = 1, running=None, chain: Chain | None = None, weight_ih=None, bias_ih=None,
              stacks_states: bool = False):
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
                               stacks_states=stacks_states)


def rnn_layer(projected, hidden, weight_hh, bias_hh=None, nonlinearity: str = "tanh", time_dim: int = 0,
              reverse: bool = False, first_step: int = 1, running=None, chain: Chain | None = None, weight_ih=None,
              bias_ih=None, stacks_states: bool = False):
    """(output, h_n): an Elman RNN over a whole sequence as one op (see :class:`FusedRNNLayer`).

    >>> import tinygrad_rnn as tr
    >>> output, h_n = rnn_layer(tr.zeros(5, 2, 3), tr.zeros(2, 3), tr.ones(3, 3, requires_grad=True))
    >>> output.grad_fn
    <FusedRNNLayer>
    """
    return FusedRNNLayer.apply(*_first_inputs(projected, weight_ih, bias_ih), hidden, weight_hh,
                               *(() if bias_hh is None else (bias_hh,)), nonlinearity=nonlinearity, time_dim=time_dim,
                               reverse=reverse, first_step=first_step, running=running, chain=chain,
                               projects=weight_ih is not None, stacks_states=stacks_states)


@functools.cache
def _saves_when_projecting(saves: tuple[int, ...]) -> tuple[int, ...]:
    """What a layer node that makes its projection saves: x and W_ih (what linear's rule reads), then the
    layer's own saved inputs, two places on (x, W_ih, b_ih stand where x_proj stood). Once per class."""
    return (0, 1, *(i + 2 for i in saves))


def _first_inputs(projected, weight_ih, bias_ih) -> tuple:
    """The node's inputs before h_0: the projection x_proj, or (x, W_ih, b_ih) — b_ih may be None — where the
    node makes it (``weight_ih`` given)."""
    return (projected,) if weight_ih is None else (projected, weight_ih, bias_ih)

