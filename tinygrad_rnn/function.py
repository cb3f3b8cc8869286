"""Function: one recorded op, its forward and its backward side by side — and the op contract.

Every op in :mod:`tinygrad_rnn.ops` is a small subclass. This is the real Tanh
(ops/elementwise.py), and how a new op is written, used and checked — a template to copy:

>>> import tinygrad_rnn as tr
>>> from tinygrad_rnn.device import array_module   # NumPy for a NumPy array, CuPy for a CuPy one
>>> class Tanh(tr.Function):
...     '''tanh(x);   d/dx tanh(x) = 1 − tanh(x)²'''
...     saves_inputs = False              # backward reads the output, not the input
...     def forward(self, x):             # x: a plain array
...         xp = array_module(x)
...         return xp.tanh(x)
...     def backward(self, grad, out, x):  # grad: ∂J/∂out
...         return grad * (1 - out * out)
>>> def tanh(x):                          # the function users call (ops/ has one per op)
...     return Tanh.apply(x)
>>> x = tr.tensor([0.0, 1.0], dtype="float64", requires_grad=True)
>>> tanh(x).sum().backward()
>>> [round(g, 4) for g in x.grad.tolist()]
[1.0, 0.42]
>>> tr.gradcheck(tanh, [x]), tr.gradgradcheck(tanh, [x])
(True, True)

**The contract** (stated once, here; every op keeps it):

* ``forward(*inputs)`` gets plain arrays (NumPy or CuPy) and Python numbers, and returns an array
  — or, with ``multiple_outputs = True``, a tuple of arrays (the last ``saves_intermediates`` of
  them saved for backward only, below); a tuple from an op that does not declare it is an error.
* ``backward(grad, out, *inputs)`` gets the gradient of the loss with respect to the output
  (a tuple of them for several outputs, None for an output no gradient reached), the output and
  the inputs, and returns one gradient per input (a single value for a one-input op), None for
  an input that needs none (``needs_input_grad``) — each at its input's shape, except in an op
  of the ``Broadcasting`` kind (ops/elementwise.py: add, mul …), which returns them at the
  output's shape: the walk sums each back to its input's shape (``engine._fitted_to_input``).
* **Saved for backward** — PyTorch's ``ctx.save_for_backward``, declared on the class instead of
  called: ``saves_output`` (backward reads the output's values), ``saves_inputs`` (True: every
  input's, False: none, or a tuple of positions) and ``saves_intermediates`` (how many of
  forward's last outputs are intermediate results saved for backward and never returned to the
  caller, as cross_entropy's log-softmax). By default everything is saved (``saves_inputs = True``,
  ``saves_output = True``): declare less to keep less. Recording puts exactly those on the op, as
  ``saved_output`` and ``saved_inputs`` (PyTorch's ``saved_tensors``); in ``saved_inputs`` an
  input not saved has a stand-in in its place, a :class:`Node` — a computed tensor's own, or for a
  leaf one made for it (one per leaf, not per op) — of which backward reads only the shape, dtype
  and device, never the values. An ``out`` not saved is None in a plain backward (a Node under
  ``create_graph``). Nothing else is kept alive by the graph.
* Backward is written **once**, with operators and the functions of :mod:`tinygrad_rnn.ops`,
  which take arrays and Tensors alike — or an op's own ``Op.apply(x, **params)``, as ops/ does
  where it has the params at hand, given as the op's function would pass them (``Sum.apply(g,
  dim=(0,), keepdim=True)``: Sum's ``dim`` a sorted tuple, not the ``-1`` ``ops.sum`` accepts).
  A backward pass calls it with nothing recorded (NumPy speed), each argument one of: an array (a
  saved value, and ``grad``), a Node (an input not saved), a Python number (a constant input),
  None (an ``out`` not saved); it returns arrays (and where fast/ is installed, linear's weight
  terms unmultiplied: see ``ops.linalg.weight_terms``). ``create_graph=True`` calls it with
  Tensors — every saved value back in its place in the graph; an unsaved one its stand-in, as
  above, ``out`` too — and it returns Tensors: the gradient is itself a recorded graph, to draw
  or differentiate again. So **no Tensor methods** in a backward (PyTorch habit) but those arrays
  share (``.reshape``, ``.T``, ``.sum``, as linear's): a plain backward's arrays have no others —
  ``ops.abs(x)``, not ``x.abs()``; ``ops.exp(x)``, not ``x.exp()`` (``from tinygrad_rnn import ops``).
  An in-place operator (``g -= x``) writes into an array but records a new Tensor, so a
  backward uses one only on a value it made itself, never on ``grad`` or a saved value
  (:func:`~tinygrad_rnn.gradcheck` hands ``grad`` read-only, so it names a backward that does).
  A backward that breaks this contract — reads the values of an input or output it did not save,
  or calls NumPy (``numpy.exp``) where a Tensor may come, or a Tensor method on an array — raises
  its TypeError (or AttributeError) again naming the op and what to do, on a leaf as on a computed
  input; :func:`~tinygrad_rnn.gradcheck` runs both backwards, so it finds these. So does one that
  returns more or fewer gradients than the op has inputs (a GraphError), or a gradient at a
  shape that is not its input's (a ShapeError), or as a gradient what is none (a
  ``ReturnedGradientError``, a TypeError): a list (``[grad]``: a tuple, and only a tuple, is one
  gradient per input), a number, None for an input that needs a gradient, an array of no floating
  dtype (a mask: return ``grad * mask``), an array from a recorded backward (it would be cut from
  the graph) or a Tensor from a plain one. A float gradient of another precision is cast to its
  input's dtype, as PyTorch does.

A new op in ops/ is its class, its lowercase function (in the module's ``__all__``), the alias in
tensor.py if it is a Tensor method too, and a case in tests/test_op_gradients.py (a test there
finds an op class without one).

The graph's vertices are :class:`Node` records of the tensors ops computed (and the leaf tensors
themselves). What decides whether and how an op is recorded (grad mode, scopes, recurrent steps,
anomaly detection) is in :mod:`tinygrad_rnn.recording`; what a recurrent layer's steps record
(``Chain``, ``Step``, ``at_step``, ``step_number``) in :mod:`tinygrad_rnn.steps`.
"""

from __future__ import annotations

from itertools import count
from typing import TYPE_CHECKING, Any

import numpy

from .device import CPU, Device, device_of_array, loaded_cupy
from .errors import forward_input_error, forward_output, mixed_devices_error
from .recording import STATE, check_finite
from .tensor_base import TensorBase

if TYPE_CHECKING:
    from .tensor import Tensor


class Node:
    """The graph's record of a tensor computed by an op: ``grad_fn`` made it (as output number
    ``output_index``); its ``shape``, ``dtype`` and ``device``; the ``name`` drawings label it with.

    Not PyTorch's ``torch.autograd.graph.Node``, which is the op (a ``grad_fn``): here the op is a
    :class:`Function`, and a Node is a tensor's record. It holds no values, so a backward that only
    needs shapes (add, reshape, sum, split …) gets the Node in place of the array. ``retained`` is
    set by ``retain_grad()``: a weak reference to the tensor whose ``.grad`` should be filled in.

    >>> import tinygrad_rnn as tr
    >>> y = tr.ones(2, 3, requires_grad=True) * 2
    >>> y._node
    <Node of mul, shape (2, 3)>
    """

    # Slots for what every Node has, the retain_grad() reference and the hooks included (set on few, but the walk
    # reads both at every Node, and a slot is read faster than a class's default). A name and a GPU device are set
    # on few, into __dict__ (made only then), the class's value read until then; detach() notes a Node weakly.
    __slots__ = ("grad_fn", "output_index", "shape", "dtype", "retained", "_backward_hooks", "__dict__", "__weakref__")
    device: Device = CPU
    name: str | None = None

    def __init__(self, grad_fn: Any, output_index: int, array: Any) -> None:
        self.grad_fn, self.output_index = grad_fn, output_index
        self.shape, self.dtype = array.shape, array.dtype
        self.retained = self._backward_hooks = None
        if type(array) is not numpy.ndarray:  # (a NumPy array is on the CPU, the class's device)
            self.device = device_of_array(array)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"<Node of {self.grad_fn.name if self.grad_fn else 'a leaf'}, shape {tuple(self.shape)}>"


class Function:
    """Base class of every op. ``Op.apply(*inputs, **params)`` runs it on Tensors or plain arrays;
    the ``params`` (constants such as Sum's ``dim`` or Reshape's ``shape``) become its attributes.

    After ``apply`` records an op, its Function holds what backward needs, and no more:

    * ``parents``: the op's edges in the graph, one per input — the vertex it comes from (the
      :class:`Node` of a computed tensor, or the tensor itself for a leaf), or the constant itself
      (a Python number). Edges, never values: what backward gets as its ``*inputs`` (saved values,
      or stand-ins) is ``saved_inputs``;
    * ``saved_inputs`` and ``saved_output``: what was saved for backward (the module docstring:
      the values the op declares with ``saves_inputs`` and ``saves_output``, and for every other
      input a stand-in Node) — so ``add`` saves no arrays;
    * ``needs_input_grad``: one bool per input, True where a gradient must flow;
    * ``sequence_nr``: its place in the order ops were recorded (as PyTorch's): an op
      is recorded after the ops that made its inputs, so it is larger than theirs;
    * ``scope``: the :func:`scope` path it was created in, e.g. ``("LSTM", "layer 0", "t=3")``;
    * ``step``: the :class:`Step` of a recurrent layer it computes (which chain, which t), or None;
    * ``is_gradient``: True if it was recorded while computing a gradient (``create_graph=True``);
    * ``recorded_at``: the count of in-place writes when it was recorded (see ``inplace.py``).

    An op with several outputs (``multiple_outputs = True``: split, unbind) is written as the op
    contract in the module docstring says (what its forward returns, what its backward gets): it
    is stated there once.

    >>> from tinygrad_rnn import tensor
    >>> y = tensor([1.0, 2.0], requires_grad=True) * 3
    >>> y.grad_fn, y.grad_fn.scope
    (<Mul>, ())
    """

    # Slots for what every recorded op holds (an op's own parameters, e.g. Sum's ``dim``, go into a __dict__)
    __slots__ = ("parents", "saved_inputs", "saved_output", "needs_input_grad", "sequence_nr", "scope", "step",
                 "recorded_at", "released", "__dict__", "__weakref__")
    differentiable = True  # False for ops whose result is a constant (comparisons, sign, argmax)
    multiple_outputs = False  # True for ops whose forward returns a tuple (split, unbind)
    gradient_of: Any = None  # recorded by create_graph=True: the op whose backward made this one
    is_gradient = False  # True if recorded while create_graph=True computed a gradient
    n_outputs = 1  # how many outputs forward returned (set for ops with several)
    saves_inputs: bool | tuple[int, ...] = True  # backward reads the inputs' values (False: only their shapes;
    # a tuple: the values of those inputs only — linear's (0, 1): x and W, not the bias)
    saves_output = True  # backward reads the output's values
    saves_intermediates = 0  # forward's last outputs saved for backward, never returned (cross_entropy's log-softmax)
    hint = ""  # what the inputs must satisfy; quoted when forward rejects them
    keeps_choice = False  # True for ops that only move or select values: ids chosen from scores stay so

    name = "function"  # the op's name as users write it: "mul", "matmul", "log_softmax"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            cls.name = _snake_case(cls.__name__)

    def __init__(self, **params: Any) -> None:
        if params:  # the op's parameters as apply() got them: Sum's dim, Reshape's shape
            self.__dict__.update(params)

    def forward(self, *inputs: Any) -> Any:
        raise NotImplementedError

    def backward(self, grad: Any, out: Any, *inputs: Any) -> Any:
        raise NotImplementedError(f"{self.name} has no gradient")

    @classmethod
    def apply(cls, *inputs: Any, **params: Any) -> Any:
        """Run the op. Plain arrays in → plain array out, nothing recorded (how the unrecorded
        backward, on arrays, runs an op). Any Tensor in → a Tensor out, recorded in the graph when it
        needs a gradient (as in the recorded backward, ``create_graph=True``)."""
        function = cls(**params) if params else cls()  # (``cls(**{})`` makes two dicts: 2% of a recorded op)
        for x in inputs:
            if isinstance(x, TensorBase):
                return function._record(inputs)
        return function.forward(*inputs)

    def _record(self, inputs: tuple[Any, ...]) -> Tensor:
        arrays, vertices, needs_input_grad, leaf_seen = [], [], [], False
        for x in inputs:
            if isinstance(x, TensorBase):
                arrays.append(x.array)
                needs_input_grad.append(x.requires_grad)
                node = x._node
                vertices.append(x if node is None else node)  # (a leaf is its own vertex)
                leaf_seen = leaf_seen or node is None
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
            raise forward_input_error(self, inputs, error) from None
        first = out[0] if self.multiple_outputs else out
        if type(first) is not numpy.ndarray:  # a NumPy scalar (from a reduction) made 0-d, a CuPy array, or a mistake
            first, out = forward_output(self, first, out)
        state = STATE
        if state.anomaly:
            for array in out if self.multiple_outputs else (out,):
                check_finite(array, f"forward of {self.name}", state.scope)
        if not (state.grad_enabled and True in needs_input_grad and self.differentiable and first.dtype.kind == "f"):
            return self._untracked(inputs, out)
        # Record. The inputs' vertices are the graph's edges; of the values, save only those
        # backward reads — for the rest a Node (shape, dtype, device) stands in: a computed tensor's
        # own, a leaf's made for it (a leaf holds values, which backward must not read unsaved).
        self.parents = vertices = tuple(vertices)
        saves = self.saves_inputs
        if saves is True:  # every input's values
            self.saved_inputs = tuple(arrays)
        elif saves is False and not leaf_seen:  # no values, and no leaf: every vertex is its own stand-in
            self.saved_inputs = vertices  # (the edges' tuple, shared: no tuple more per op for add and tanh)
        else:  # the values of the inputs in the tuple (of none, for False); for every other input, its stand-in
            self.saved_inputs = tuple(arrays[i] if saves and i in saves else _stand_in(vertex)
                                      for i, vertex in enumerate(vertices))
        self.saved_output = out if self.saves_output else None
        needs_input_grad = tuple(needs_input_grad)  # one tuple per pattern, (True, False) …, shared by every op
        self.needs_input_grad = _PATTERNS.setdefault(needs_input_grad, needs_input_grad)  # that has it (see below)
        self.sequence_nr = next(SEQUENCE_NUMBERS)  # larger than that of every op it depends on: see engine.ops_in_order
        self.scope, self.step, self.recorded_at = state.scope, state.step, state.writes
        self.released = False  # True once a backward without retain_graph has freed the saved arrays
        if state.recording_gradient:
            self.is_gradient, self.gradient_of = True, state.gradient_of
        if not self.multiple_outputs:
            return TensorBase._make(out, Node(self, 0, out))
        self.n_outputs = len(out)
        returned = out[: len(out) - self.saves_intermediates]
        return tuple(TensorBase._make(array, Node(self, i, array)) for i, array in enumerate(returned))

    def _untracked(self, inputs: tuple[Any, ...], out: Any) -> Any:
        """The results as Tensors outside the graph (nothing needs a gradient, or grad mode is off)."""
        if self.multiple_outputs:
            return tuple(map(TensorBase._make, out[: len(out) - self.saves_intermediates]))
        result = TensorBase._make(out)
        if self.keeps_choice and out.dtype.kind in "iu":  # ids reshaped or indexed: still the ids chosen
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
            return saved if isinstance(saved, Node) else vertex  # a leaf's stand-in; or the leaf saved, a constant

        if self.multiple_outputs:
            # An output that no gradient reached has no Node in hand; a fresh one stands for the same
            # value (this op's output i), so what backward reads of it stays connected to the graph.
            saved = self.saved_output or (None,) * self.n_outputs
            nodes = [node if node is not None or array is None else Node(self, i, array)
                     for i, (array, node) in enumerate(zip(saved, output_nodes))]
            output = tuple(None if node is None else as_tensor(array, node) for array, node in zip(saved, nodes))
        else:
            output = as_tensor(self.saved_output, output_nodes)
        return (output, *[as_tensor(saved, vertex) for saved, vertex in zip(self.saved_inputs, self.parents)])

    def release(self) -> None:
        """Drop the saved arrays, freeing what backward would have needed. The edges (``parents``:
        Nodes and leaves, no values) stay, so the graph's structure can still be drawn."""
        self.saved_inputs = self.saved_output = None
        self.released = True

    def _check_one_device(self, inputs: tuple[Any, ...], arrays: list[Any]) -> None:
        found = {device_of_array(x) for x in arrays if hasattr(x, "shape")}
        if len(found) > 1:
            raise mixed_devices_error(self, inputs, found)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


# needs_input_grad's patterns, each one tuple: an op records an object fewer for Python's garbage collector to
# visit (−5% of the instructions of a recorded op, forward and backward, in benchmarks/per_op_overhead.py's chain)
_PATTERNS: dict[tuple[bool, ...], tuple[bool, ...]] = {}

# The sequence numbers of recorded ops, 1, 2, 3 … (``next`` on it is one C call, safe across threads; nn/chains.py
# draws one to mark where a call of a module the user wrote begins and ends)
SEQUENCE_NUMBERS = count(1)


def _stand_in(vertex: Any) -> Any:
    """What a backward gets for an input not saved: a computed tensor's Node, a constant itself, and
    for a leaf a Node of its shape, dtype and device (no values: reading them is the contract error,
    as for a computed input — not the leaf's values of now, which an in-place update may have changed).
    Made once per leaf and kept on it, with the array it describes (made again for a new one: ``.to()``)."""
    if not isinstance(vertex, TensorBase):
        return vertex
    kept = vertex._stand_in
    if kept is None or kept[0] is not vertex.array:
        kept = vertex._stand_in = (vertex.array, Node(None, 0, vertex.array))
    return kept[1]


def _snake_case(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() and i else c.lower() for i, c in enumerate(name))
