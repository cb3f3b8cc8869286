"""What every fused layer node does, whatever its cell: :class:`FusedLayer`, the base of the LSTM, GRU
and RNN layer nodes of :mod:`.layers`.

Each cell's layer node writes its own steps' loop (``steps_forward``, ``steps_backward``, in
:mod:`.layers`); around it, every layer node does the same: it takes the input projection of every
step, or makes it itself from x, W_ih and b_ih as ``linear`` makes it (``projects``, what a layer
module passes: ``forward``, ``backward``, and what it then saves, ``_saves_when_projecting``); it
orders the steps, allocates the buffers and lays them out; it returns h_n (``last``,
``stacks_states``); and after the loop it makes the weights' gradients.

Layout: the input projection is (T, B, G·H), or (B, T, G·H) with ``time_dim=1`` (batch first),
and so is the output sequence; the buffers are time-major, as the step loop reads them.
``reverse`` runs the steps last to first (the backward direction of a bidirectional layer). The
state buffers hold h_0 at one end (``initial``); ``visits`` lists, in the order of the forward
pass, each step's position and the indices of the states it starts from and makes.

Variable lengths run inside the loop (``running``: a finished sequence holds its states, as the
per-step path's ``where`` does: ``hold``, ``at_the_step``).

The weight's term is handed over as one :class:`~..gradient_table.DeferredProduct` that knows its steps
(``steps``, :class:`StepNames`): the gradient table multiplies it out as one product, and
``grad_contributions`` (or a recorded backward) splits it into each step's term, δ_tᵀ h_{t−1}, with
the step's scope. ``stepwise`` records the same computation step by step with the plain path's cells,
for the drawings.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from ...device import array_module
from ...function import Function
from ...nn.cells import named
from ...nn.functional import linear
from ...ops.elementwise import where
from ...ops.linalg import MatMul, linear_backward, linear_forward
from ...ops.shape import stack
from ...recording import STATE
from ...steps import Chain, Step, at_step
from ...tensor import Tensor
from ..gradient_table import DeferredProduct, handed_over
from . import kernels


class FusedLayer(Function):
    """What the three fused layers share: the order of the steps, the buffers and their layout,
    and the gradients of the weights after the loop."""

    multiple_outputs = True
    # Of its inputs, backward reads the weights' values only (``saves_inputs``, set by each layer): the
    # states it saves as outputs of its own (``saves_intermediates``), and the (T, B, G·H) projection,
    # once copied into the buffers, is let go.
    states = ("h",)  # the returned outputs after the sequence: h_n (an LSTM's c_n too)

    def __init__(self, time_dim: int = 0, reverse: bool = False, first_step: int = 1, running=None,
                 chain: Chain | None = None, projects: bool = False, stacks_states: bool = False,
                 step_masks: Sequence[Tensor] | None = None) -> None:
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
        # with lengths, the layer module's own masks, a (B, 1) Tensor per step, shared by the layers and directions
        # of one call as on the plain path: what the steps ``stepwise`` records read (None: ``running``'s rows)
        self.step_masks = step_masks

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
        if self.reverse or getattr(self, "parents", None) is None:  # (a reverse chain ends at its first step)
            return None
        steps = self.parents[0].shape[self.time_dim]  # x or the projection of every step: (T, B, …)
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
        """The part of the buffer that is step ``position``'s (None on Tensors): handed to the cell as
        ``out``, so that it writes its gate gradients there and the loop allocates nothing per step;
        ``time_dim``: where the buffer's steps lie."""
        if isinstance(step_gradients, list):
            return None
        return step_gradients[position] if time_dim == 0 else step_gradients[:, position]

    @staticmethod
    def store(step_gradients, position: int, gradient, time_dim: int = 0) -> None:
        """Keep step ``position``'s gradient for after the loop: on Tensors in the list stacked then; on
        arrays in its slot — nothing to do where the cell already wrote it there (handed the slot as ``out``,
        it returns that view of the buffer: its ``base`` is the buffer, or what the buffer itself views).

        >>> import numpy as np
        >>> buffer = np.zeros((2, 3))
        >>> FusedLayer.store(buffer, 1, np.ones(3)); buffer
        array([[0., 0., 0.],
               [1., 1., 1.]])
        """
        if isinstance(step_gradients, list):
            step_gradients[position] = gradient
            return
        base = gradient.base
        if base is None or (base is not step_gradients and base is not step_gradients.base):
            FusedLayer.slot(step_gradients, position, time_dim)[...] = gradient

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

    def in_place(self, steps: int, like, *arrived) -> bool:
        """Whether the backward loop runs as a hand-written BPTT does (``backward_in_place``): every step's
        slopes made at once (the cells' ``slopes``), then a few in-place operations a step into kept buffers
        — where there are several ``steps`` (for one, the slopes made apart cost more operations than the
        general loop's step: measured, 0.6–3 µs at batch 1), ``like`` is a CPU array and nothing else
        arrived: not Tensors (a recorded backward, which the general loop writes op by op), not the GPU
        (one kernel a step there), no variable lengths, and no gradient of what the node saved for
        backward (``arrived``: a second-order pass sends those)."""
        return (steps > 1 and not isinstance(like, Tensor) and not kernels.applies_to(like) and self.running is None
                and all(gradient is None for gradient in arrived))

    @staticmethod
    def kept_gradient(grad, like):
        """∂J/∂ a state as a new array of ``like``'s shape that the loop then updates in place: what arrived
        (broadcast to that shape, as a sum with it would be), or zeros."""
        xp = array_module(like)
        if grad is None:
            return xp.zeros(like.shape, dtype=like.dtype)
        kept = xp.empty(like.shape, dtype=like.dtype)
        kept[...] = grad
        return kept

    @staticmethod
    def through_weight(like):
        """The product ∂J/∂h_{t−1} = grad_pre W_hh is made with, through h_{t−1} W_hhᵀ (linear's rule
        for its input): on arrays one BLAS call, ``dot`` (each step's: none of linear's general
        folding), recorded (MatMul) on Tensors. Chosen once per backward, from ``like``, not at each step."""
        return MatMul.apply if isinstance(like, Tensor) else array_module(like).dot

    def initial_gradient(self, grad, per_step_grad, steps: int, position: int):
        """∂J/∂ of the initial state (input ``position``): what the loop sent it, and what its slot
        of the saved states received (None where no gradient is needed)."""
        return grad_sum(grad, grad_at(per_step_grad, self.initial(steps))) if self.needs[position] else None

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
        # the masks each step reads: the module's own tensors, which a drawing reads the lengths from, else the rows
        masks = self.running if self.step_masks is None else self.step_masks  # of (T, B, 1) booleans
        for p, _, _ in self.visits(steps):
            with at_step(self.chain, p + self.first_step):
                new_hidden, new_cell_state = self.primitive_cell(steps_in[p], hidden, cell_state, *weights)
                if self.running is not None:  # a finished sequence holds its state
                    new_hidden = where(masks[p], new_hidden, hidden)
                    if cell_state is not None:
                        new_cell_state = where(masks[p], new_cell_state, cell_state)
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


def grad_sum(first, second, third=None):
    """The sum of the gradients that arrived (None for one that did not; None if none did)."""
    total = first if second is None else second if first is None else first + second
    return total if third is None else third if total is None else total + third


def _batch_first(time_major):
    """A (T, B, …) array copied into a new (B, T, …) one; for one sequence (B = 1) the transposed
    view, already laid out batch first (no copy, as for a time-major layer's view of its states)."""
    view = time_major.transpose(1, 0, *range(2, time_major.ndim))
    if time_major.shape[1] == 1:
        return view
    out = array_module(time_major).empty(view.shape, dtype=time_major.dtype)
    out[...] = view
    return out


def grad_at(per_step_grad, index: int):
    """Step ``index`` of a per-step gradient (None where no gradient came)."""
    return None if per_step_grad is None else per_step_grad[index]


@functools.cache
def _saves_when_projecting(saves: tuple[int, ...]) -> tuple[int, ...]:
    """What a layer node that makes its projection saves: x and W_ih (what linear's rule reads), then the
    layer's own saved inputs, two places on (x, W_ih, b_ih stand where x_proj stood). Once per class."""
    return (0, 1, *(i + 2 for i in saves))

