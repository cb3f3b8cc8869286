"""Function: one recorded op, its forward and its backward side by side.

Every op in :mod:`tinygrad_rnn.ops` is a small subclass::

    class Tanh(Function):
        '''tanh(x);   d/dx tanh(x) = 1 − tanh(x)²'''
        saves_inputs = False          # backward reads the output only
        def forward(self, x):
            return array_module(x).tanh(x)
        def backward(self, grad, out, x):
            return grad * (1 - out * out)

``forward`` sees plain arrays and returns one. ``backward`` gets the gradient of the loss with
respect to the output (``grad``), the output (``out``) and the inputs, and returns one gradient per
input. An op declares which of these values its backward reads (``saves_inputs``,
``saves_output``); the graph keeps no others, and backward gets the input's :class:`Node` (shape,
dtype, device) in place of an array it does not read. It is written **once** with operators and
the functions of :mod:`tinygrad_rnn.ops`, which accept plain arrays as well as Tensors:

* ordinary backward passes plain arrays: nothing is recorded, it runs at NumPy speed;
* ``create_graph=True`` passes Tensors: every step of the gradient is itself recorded, so the
  gradient is a graph that can be drawn and differentiated again.

The graph's vertices are :class:`Node` records of the tensors ops computed (and the leaf tensors
themselves). This module also holds the switches that change how ops are recorded: :class:`no_grad`,
:func:`scope` and :func:`detect_anomaly`.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy

from .device import CPU, Device, array_module, device_of_array, loaded_cupy
from .errors import AnomalyError, DeviceError, ShapeError
from .tensor_base import TensorBase

if TYPE_CHECKING:
    from .tensor import Tensor


class _State:
    """What every op consults when it is recorded. Module-level, like PyTorch's grad mode."""

    grad_enabled = True
    scope: tuple[str, ...] = ()
    step: Step | None = None  # the recurrent step new ops belong to (set by the layers: at_step)
    anomaly = False
    recording_gradient = False  # True while create_graph=True records a backward pass
    gradient_of: Any = None  # then: the op whose backward is being recorded (drawings group by it)
    writes = 0  # in-place writes so far (inplace.py): an op's backward checks those made after it


STATE = _State()


class Node:
    """The graph's record of a tensor computed by an op: ``grad_fn`` made it (as output number
    ``output_index``); its ``shape``, ``dtype`` and ``device``; the ``name`` drawings label it with.

    It holds no values, so a backward that only needs shapes (add, reshape, sum, split …) gets
    the Node in place of the array. ``retained`` is set by ``retain_grad()``: a weak reference to
    the tensor whose ``.grad`` should be filled in.

    >>> import tinygrad_rnn as tr
    >>> y = tr.ones(2, 3, requires_grad=True) * 2
    >>> y._node
    <Node of mul, shape (2, 3)>
    """

    # Slots for what every Node has; a name, a retain_grad() reference, hooks and a GPU device
    # are set on few, into the instance's __dict__ (made only then), the class's value read until then.
    __slots__ = ("grad_fn", "output_index", "shape", "dtype", "__dict__")
    device: Device = CPU
    name: str | None = None
    retained: Any = None
    _backward_hooks: dict | None = None  # Tensor.register_hook's functions (hooks.py)

    def __init__(self, grad_fn: Any, output_index: int, array: Any) -> None:
        self.grad_fn, self.output_index = grad_fn, output_index
        self.shape, self.dtype = array.shape, array.dtype
        if loaded_cupy() is not None:  # (before CuPy is imported every array is on the CPU)
            self.device = device_of_array(array)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"<Node of {self.grad_fn.name}, shape {tuple(self.shape)}>"


class Function:
    """Base class of every op. ``Op.apply(*inputs, **params)`` runs it on Tensors or plain arrays.

    After ``apply`` records an op, its Function keeps what backward needs, and no more:

    * ``inputs``: one entry per input — its graph vertex (the :class:`Node` of a computed tensor,
      or the tensor itself for a leaf), or the constant itself (a Python number);
    * ``saved_inputs`` and ``saved_output``: what backward will read. An op declares which values
      its backward uses (``saves_inputs``, ``saves_output``); for the rest it gets the Node, which
      has the shape, dtype and device but no values — so ``add`` keeps no arrays at all;
    * ``needs_input_grad``: one bool per input, True where a gradient must flow;
    * ``depth``: 1 + the largest depth of the ops that made its inputs (leaves count 0);
    * ``scope``: the :func:`scope` path it was created in, e.g. ``("LSTM", "layer 0", "t=3")``;
    * ``step``: the :class:`Step` of a recurrent layer it computes (which chain, which t), or None;
    * ``is_gradient``: True if it was recorded while computing a gradient (``create_graph=True``);
    * ``recorded_at``: the count of in-place writes when it was recorded (see ``inplace.py``).

    An op with several outputs (``multiple_outputs = True``: split, unbind) returns a tuple from
    forward; its backward gets a tuple of output gradients, None for an output no gradient
    reached.

    >>> from tinygrad_rnn import tensor
    >>> y = tensor([1.0, 2.0], requires_grad=True) * 3
    >>> y.grad_fn, y.grad_fn.scope
    (<Mul>, ())
    """

    differentiable = True  # False for ops whose result is a constant (comparisons, sign, argmax)
    multiple_outputs = False  # True for ops whose forward returns a tuple (split, unbind)
    kept_outputs = 0  # of those, the last few are kept for backward only and never returned (a fused cell's gates)
    released = False  # True once a backward without retain_graph has freed the saved arrays
    gradient_of: Any = None  # recorded by create_graph=True: the op whose backward made this one
    is_gradient = False  # True if recorded while create_graph=True computed a gradient
    n_outputs = 1  # how many outputs forward returned (set for ops with several)
    saves_inputs: bool | tuple[int, ...] = True  # backward reads the inputs' values (False: only their shapes;
    # a tuple: the values of those inputs only — a layer node reads W_hh, not the (T, B, G·H) projection)
    saves_output = True  # backward reads the output's values
    hint = ""  # what the inputs must satisfy; quoted when forward rejects them
    keeps_choice = False  # True for ops that only move or select values: ids chosen from scores stay so

    inputs: tuple[Any, ...] | None
    saved_inputs: tuple[Any, ...] | None
    saved_output: Any
    needs_input_grad: tuple[bool, ...]
    depth: int
    scope: tuple[str, ...]
    step: Step | None
    recorded_at: int

    name = "function"  # the op's name as users write it: "mul", "matmul", "log_softmax"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            cls.name = _snake_case(cls.__name__)

    def forward(self, *inputs: Any) -> Any:
        raise NotImplementedError

    def backward(self, grad: Any, out: Any, *inputs: Any) -> Any:
        raise NotImplementedError(f"{self.name} has no gradient")

    @classmethod
    def apply(cls, *inputs: Any, **params: Any) -> Any:
        """Run the op. Plain arrays in → plain array out, nothing recorded (the fast backward
        path). Any Tensor in → a Tensor out, recorded in the graph when it needs a gradient."""
        function = cls(**params)
        for x in inputs:
            if isinstance(x, TensorBase):
                return function._record(inputs)
        return function.forward(*inputs)

    def _record(self, inputs: tuple[Any, ...]) -> Tensor:
        arrays, vertices, needs_input_grad, depth = [], [], [], 0
        for x in inputs:
            if isinstance(x, TensorBase):
                arrays.append(x.array)
                needs_input_grad.append(x.requires_grad)
                node = x._node
                if node is None:  # a leaf: its own vertex
                    vertices.append(x)
                else:
                    vertices.append(node)
                    if node.grad_fn.depth > depth:
                        depth = node.grad_fn.depth
            else:  # a constant, its own vertex. A NumPy scalar would promote a float32 tensor to
                # float64; PyTorch treats it as a Python scalar, and so do we.
                x = x.item() if isinstance(x, numpy.generic) else x
                arrays.append(x)
                vertices.append(x)
                needs_input_grad.append(False)
        if loaded_cupy() is not None:  # before CuPy is imported every array is a NumPy array
            self._check_one_device(inputs, arrays)
        try:
            out = self.forward(*arrays)
        except (ValueError, IndexError, TypeError) as error:
            raise self._input_error(inputs, error) from None
        outs = out if self.multiple_outputs else (out,)
        if isinstance(outs[0], numpy.generic):  # NumPy reductions return scalars, not 0-d arrays
            outs = (numpy.asarray(outs[0]), *outs[1:])
        state = STATE
        if state.anomaly:
            for array in outs:
                check_finite(array, f"forward of {self.name}", state.scope)
        if not (state.grad_enabled and True in needs_input_grad and self.differentiable and outs[0].dtype.kind == "f"):
            return self._untracked(inputs, outs)
        # Record. The inputs' vertices are the graph's edges; of the values, keep only those
        # backward reads — for the rest the vertex (a Node: shape, dtype, device) stands in.
        self.inputs = vertices = tuple(vertices)
        saves = self.saves_inputs
        self.saved_inputs = (tuple(arrays) if saves is True else vertices if saves is False else
                             tuple(arrays[i] if i in saves else vertices[i] for i in range(len(arrays))))
        self.saved_output = (outs if self.multiple_outputs else outs[0]) if self.saves_output else None
        self.needs_input_grad = tuple(needs_input_grad)
        self.depth = depth + 1  # deeper than every op it depends on: see engine.ops_in_order
        self.scope, self.step, self.recorded_at = state.scope, state.step, state.writes
        if state.recording_gradient:
            self.is_gradient, self.gradient_of = True, state.gradient_of
        if not self.multiple_outputs:
            return TensorBase._make(outs[0], Node(self, 0, outs[0]))
        self.n_outputs = len(outs)
        returned = outs[: len(outs) - self.kept_outputs]
        return tuple(TensorBase._make(array, Node(self, i, array)) for i, array in enumerate(returned))

    def _untracked(self, inputs: tuple[Any, ...], outs: tuple[Any, ...]) -> Any:
        """The results as Tensors outside the graph (nothing needs a gradient, or grad mode is off)."""
        if self.multiple_outputs:
            return tuple(map(TensorBase._make, outs[: len(outs) - self.kept_outputs]))
        result = TensorBase._make(outs[0])
        if self.keeps_choice and outs[0].dtype.kind in "iu":  # ids reshaped or indexed: still the ids chosen
            choice = next((x._choice for x in inputs if getattr(x, "_choice", None) is not None), None)
            if choice is not None:
                result._choice = choice
        return result

    def recorded_arguments(self, output_nodes: Any) -> tuple[Any, ...]:
        """(output, *inputs) as Tensors in the graph, for a backward that create_graph records.

        A saved array is wrapped again with the Node it came from, so the recorded gradient is
        connected to the forward graph (its second derivative flows through it)."""
        def as_tensor(saved: Any, vertex: Any) -> Any:
            if isinstance(vertex, Node):  # a computed tensor: its saved array, back in its place
                return vertex if saved is None or saved is vertex else TensorBase._make(saved, vertex)
            return vertex  # a leaf tensor, or a constant

        if self.multiple_outputs:
            # An output that no gradient reached has no Node in hand; a fresh one stands for the same
            # value (this op's output i), so what backward reads of it stays connected to the graph.
            saved = self.saved_output or (None,) * self.n_outputs
            output = tuple(None if array is None and node is None else
                           as_tensor(array, node if node is not None else Node(self, i, array))
                           for i, (array, node) in enumerate(zip(saved, output_nodes)))
        else:
            output = as_tensor(self.saved_output, output_nodes)
        return (output, *[as_tensor(saved, vertex) for saved, vertex in zip(self.saved_inputs, self.inputs)])

    def release(self) -> None:
        """Drop the saved arrays, freeing what backward would have needed. The edges (``inputs``:
        Nodes and leaves, no values) stay, so the graph's structure can still be drawn."""
        self.saved_inputs = self.saved_output = None
        self.released = True

    def _check_one_device(self, inputs: tuple[Any, ...], arrays: list[Any]) -> None:
        found = {device_of_array(x) for x in arrays if hasattr(x, "shape")}
        if len(found) > 1:
            names = " and ".join(sorted(str(d) for d in found))
            raise DeviceError(
                f"{self.name}: inputs are on different devices ({names}; shapes "
                f"{describe_inputs(inputs)}). Move them to one device first, "
                "e.g. x.to('gpu') or x.cpu(); tinygrad_rnn never copies between devices silently."
            )

    def _input_error(self, inputs: tuple[Any, ...], error: Exception) -> Exception:
        hint = f" {self.hint}." if self.hint else ""
        message = f"{self.name}: cannot apply to {describe_inputs(inputs)}.{hint} ({error})"
        return ShapeError(message) if isinstance(error, ValueError) else type(error)(message)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


def describe_inputs(inputs: tuple[Any, ...]) -> str:
    """'Tensor(shape=(2, 3), float32, cpu) and 2.0': how error messages name an op's inputs."""
    parts = []
    for x in inputs:
        if isinstance(x, TensorBase):
            parts.append(f"Tensor(shape={tuple(x.shape)}, {x.dtype}, {x.device})")
        elif hasattr(x, "shape") and hasattr(x, "dtype"):
            parts.append(f"{type(x).__name__}(shape={tuple(x.shape)}, {x.dtype})")
        else:
            parts.append(repr(x))
    return " and ".join(parts)


def check_finite(array: Any, where: str, scope: tuple[str, ...]) -> None:
    """Raise AnomalyError if a float array holds NaN or Inf (used by detect_anomaly)."""
    if array.dtype.kind == "f" and not bool(array_module(array).isfinite(array).all()):
        place = f" in scope {'/'.join(scope)}" if scope else ""
        raise AnomalyError(f"{where}{place} produced NaN or Inf (shape {tuple(array.shape)}).")


def _snake_case(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() and i else c.lower() for i, c in enumerate(name))


# ---------------------------------------------------------------------------------------------
# Switches: grad mode, scopes, anomaly detection
# ---------------------------------------------------------------------------------------------


class set_grad_enabled(contextlib.ContextDecorator):
    """Turn recording on or off inside a ``with`` block or a decorated function.

    >>> import tinygrad_rnn as tr
    >>> with tr.set_grad_enabled(False):
    ...     (tr.ones(2, requires_grad=True) * 2).requires_grad
    False
    """

    def __init__(self, mode: bool) -> None:
        self.mode = mode
        self.previous: list[bool] = []

    def __enter__(self) -> None:
        self.previous.append(STATE.grad_enabled)
        STATE.grad_enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        STATE.grad_enabled = self.previous.pop()


class no_grad(set_grad_enabled):
    """Record nothing: results need no gradient and keep no graph alive (inference, updates).

    >>> import tinygrad_rnn as tr
    >>> w = tr.ones(3, requires_grad=True)
    >>> with tr.no_grad():
    ...     y = w * 2
    >>> y.requires_grad, y.grad_fn is None
    (False, True)
    """

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Record again inside a :class:`no_grad` block.

    >>> import tinygrad_rnn as tr
    >>> with tr.no_grad(), tr.enable_grad():
    ...     (tr.ones(2, requires_grad=True) * 2).requires_grad
    True
    """

    def __init__(self) -> None:
        super().__init__(True)


def is_grad_enabled() -> bool:
    """True unless inside :class:`no_grad`.

    >>> is_grad_enabled()
    True
    """
    return STATE.grad_enabled


class scope:
    """Tag every op created inside with a scope path; scopes nest.

    Unrolled RNNs give each time step its own scope, so drawings cluster per step and
    :func:`tinygrad_rnn.grad_contributions` reports which step each gradient term came from.
    (A class rather than a generator-based context manager: a layer enters one per time step.)

    >>> import tinygrad_rnn as tr
    >>> with tr.scope("RNN", "layer 0"), tr.scope("t=3"):
    ...     y = tr.ones(2, requires_grad=True) * 2
    >>> y.grad_fn.scope
    ('RNN', 'layer 0', 't=3')
    """

    __slots__ = ("names", "previous")

    def __init__(self, *names: str) -> None:
        self.names = tuple(map(str, names))

    def __enter__(self) -> tuple[str, ...]:
        self.previous = STATE.scope
        STATE.scope = self.previous + self.names
        return STATE.scope

    def __exit__(self, *exc: object) -> None:
        STATE.scope = self.previous


def step_of(scope: tuple[str, ...]) -> int | None:
    """The time step k of the innermost "t=k" in a scope path, or None outside any step.

    >>> step_of(("LSTM", "layer 0", "forward", "t=3"))
    3
    """
    for part in reversed(scope):
        if part.startswith("t=") and part[2:].isdigit():
            return int(part[2:])
    return None


@dataclass(frozen=True, eq=False)  # compared by identity: two calls of one module are two chains
class Chain:
    """One run of a recurrent layer, in one direction, over a sequence: what a figure draws as one
    row of cells. A module called on two sequences makes two chains (that share its weights); a
    call that starts from the state its own last call ended with continues that chain, its steps
    numbered on (a generation loop, one token per call).

    >>> first, second = Chain("LSTM", 0, "forward"), Chain("LSTM", 0, "forward")
    >>> first == second, first.serial < second.serial
    (False, True)
    """

    module: str  # the module's name in drawings and scopes ("LSTM", "encoder")
    layer: int  # 0 for the layer that reads the input
    direction: str  # "forward", or "reverse" for the second direction of a bidirectional layer
    owner: int = 0  # id() of the module that made it: only its own later calls continue it
    serial: int = field(default_factory=lambda: next(_CHAINS_MADE))  # the order chains were made in


_CHAINS_MADE = itertools.count()


@dataclass(frozen=True)
class Step:
    """Where an op of a recurrent layer belongs: step ``t`` of ``chain``. ``t`` counts on one
    timeline: a decoder started from its encoder's final state numbers its steps on from there.

    >>> chain = Chain("RNN", layer=0, direction="forward")
    >>> Step(chain, 3).t, Step(chain, 3) == Step(chain, 3), Step(chain, 3) == Step(Chain("RNN", 0, "forward"), 3)
    (3, True, False)
    """

    chain: Chain
    t: int


def step_number(function: Any) -> int | None:
    """The time step an op belongs to: the t of the :class:`Step` a layer recorded, or for a loop
    written by hand the "t=k" of its scope; None outside any step.

    >>> import tinygrad_rnn as tr
    >>> with tr.scope("t=2"):
    ...     y = tr.ones(2, requires_grad=True) * 2
    >>> step_number(y.grad_fn)
    2
    """
    return function.step.t if function.step is not None else step_of(function.scope)


class at_step:
    """Record the ops created inside as step ``t`` of ``chain`` — the :class:`Step` drawings and
    analyses read — and in the scope "t=k" inside the current one (a layer's is (module, "layer k",
    direction)), which ``grad_contributions`` reports.

    >>> import tinygrad_rnn as tr
    >>> chain = Chain("RNN", layer=0, direction="forward")
    >>> with tr.scope("RNN", "layer 0", "forward"), at_step(chain, 2):
    ...     y = tr.ones(2, requires_grad=True) * 2
    >>> y.grad_fn.step.t, y.grad_fn.scope
    (2, ('RNN', 'layer 0', 'forward', 't=2'))
    """

    __slots__ = ("record", "previous")

    def __init__(self, chain: Chain, t: int) -> None:
        self.record = Step(chain, t)

    def __enter__(self) -> Step:
        self.previous = STATE.scope, STATE.step
        STATE.scope, STATE.step = (*STATE.scope, f"t={self.record.t}"), self.record
        return self.record

    def __exit__(self, *exc: object) -> None:
        STATE.scope, STATE.step = self.previous


def current_scope() -> tuple[str, ...]:
    """The scope path new ops are tagged with.

    >>> current_scope()
    ()
    """
    return STATE.scope


@contextlib.contextmanager
def detect_anomaly() -> Iterator[None]:
    """Make the first op that produces NaN or Inf, forward or backward, raise AnomalyError.

    >>> import tinygrad_rnn as tr
    >>> with tr.detect_anomaly():
    ...     tr.tensor([-1.0]).log()
    Traceback (most recent call last):
    ...
    tinygrad_rnn.errors.AnomalyError: forward of log produced NaN or Inf (shape (1,)).
    """
    previous = STATE.anomaly
    STATE.anomaly = True
    try:
        with numpy.errstate(all="ignore"):  # the check reports it; NumPy need not warn as well
            yield
    finally:
        STATE.anomaly = previous


@contextlib.contextmanager
def _recording_gradient(function_scope: tuple[str, ...], of: Any = None) -> Iterator[None]:
    """While create_graph=True computes an op's gradient: record it, in the op's own scope and step,
    each recorded op knowing which op's backward it belongs to (``of``; None for the sum of terms)."""
    previous = (STATE.grad_enabled, STATE.scope, STATE.step, STATE.recording_gradient, STATE.gradient_of)
    step = getattr(of, "step", None)
    STATE.grad_enabled, STATE.scope, STATE.step, STATE.recording_gradient, STATE.gradient_of = (
        True, function_scope, step, True, of)
    try:
        yield
    finally:
        STATE.grad_enabled, STATE.scope, STATE.step, STATE.recording_gradient, STATE.gradient_of = previous
