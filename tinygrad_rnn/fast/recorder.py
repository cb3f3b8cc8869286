"""Recording an op in fewer Python frames — the seam ``Function.apply`` of :mod:`tinygrad_rnn.function`.

**Replaces** the plain ``apply`` for the ops most of a graph is made of: one output, NumPy arrays.
The plain path records an op without parameters in six Python frames — ``apply``, the op's
``__init__`` (entered from the class call, which Python 3.11 does not inline), ``_record``,
``loaded_cupy()``, the ``Node``'s ``__init__`` and ``TensorBase._make`` — each a step a reader
follows. Here it is two (``apply`` and ``loaded_cupy()``): the op made without running an
``__init__`` that would do nothing (an op with parameters, or a class with an ``__init__`` of its
own, runs it as the plain path does), its ``Node`` and ``Tensor`` made and filled in place. What is
recorded is the plain path's to the last field (tests/test_fast_recorder.py describes a graph made
both ways, every slot of each op, its ``Node`` and its ``Tensor``, and compares them); an op with
several outputs, any op once CuPy is loaded or under anomaly detection, and a recorded op that must
make a stand-in for a leaf it does not save go on by the plain ``_record``, unchanged. To step
through the plain ``apply`` in a debugger, run with ``TINYGRAD_RNN_FAST=0``.

**Buys** (docs/benchmarks.md, measured on benchmarks/per_op_overhead.py's chain): 2,500–4,400 of the
≈ 59,000 instructions of a recorded op, forward and backward (the forward's ≈ 30,100 → ≈ 27,700), and
≈ 3% of its time.

>>> import tinygrad_rnn as tr
>>> from tinygrad_rnn import fast
>>> x = tr.tensor([0.5], requires_grad=True)
>>> fast.uninstall(); plain = (x * 2).tanh()
>>> fast.install(); fast_ = (x * 2).tanh()
>>> plain.grad_fn.needs_input_grad == fast_.grad_fn.needs_input_grad, plain.tolist() == fast_.tolist()
(True, True)
"""

from __future__ import annotations

from typing import Any

import numpy

from ..device import loaded_cupy
from ..errors import forward_input_error, forward_output
from ..function import SEQUENCE_NUMBERS, Function, Node
from ..recording import STATE
from ..tensor_base import TensorBase

PLAIN_APPLY = Function.__dict__["apply"]  # the plain path's classmethod (uninstall() puts it back)
PLAIN_INIT = Function.__init__  # an op whose class has no __init__ of its own needs none run without parameters
PATTERNS: dict[tuple[bool, ...], tuple[bool, ...]] = {}  # needs_input_grad's, one tuple each (as function.py's)


def apply(cls: type[Function], *inputs: Any, **params: Any) -> Any:
    """``Op.apply(*inputs, **params)``: the plain path's, recorded in one frame for an op with one
    output on NumPy arrays; the others by the plain ``_record`` (the module docstring says which)."""
    if params or cls.__init__ is not PLAIN_INIT:
        function = cls(**params)  # the op's __init__ stores its parameters (or does what its own does)
    else:
        function = object.__new__(cls)  # (its __init__ would do nothing: no parameters)
    arrays, vertices, needs_input_grad, leaf_seen, tensor_seen = [], [], [], False, False
    for x in inputs:
        if isinstance(x, TensorBase):
            arrays.append(x.array)
            needs_input_grad.append(x.requires_grad)
            node = x._node
            vertices.append(x if node is None else node)
            leaf_seen = leaf_seen or node is None
            tensor_seen = True
        else:
            x = x.item() if isinstance(x, numpy.generic) else x
            arrays.append(x)
            vertices.append(x)
            needs_input_grad.append(False)
    if not tensor_seen:  # plain arrays in, a plain array out, nothing recorded
        return function.forward(*inputs)
    state, saves = STATE, function.saves_inputs
    records = state.grad_enabled and True in needs_input_grad and function.differentiable  # (and a float output)
    if (function.multiple_outputs or loaded_cupy() is not None or state.anomaly
            or records and not (saves is True or (saves is False and not leaf_seen))):  # (a leaf's stand-in)
        return function._record(inputs)  # the plain way
    try:
        out = function.forward(*arrays)
    except (ValueError, IndexError, TypeError) as error:
        raise forward_input_error(function, inputs, error) from None
    if type(out) is not numpy.ndarray:
        out = forward_output(function, out, out)[1]
    if not (records and out.dtype.kind == "f"):
        return function._untracked(inputs, out)
    function.parents = vertices = tuple(vertices)
    function.saved_inputs = tuple(arrays) if saves is True else vertices
    function.saved_output = out if function.saves_output else None
    needs_input_grad = tuple(needs_input_grad)
    function.needs_input_grad = PATTERNS.setdefault(needs_input_grad, needs_input_grad)
    function.sequence_nr = next(SEQUENCE_NUMBERS)
    function.scope, function.step, function.recorded_at = state.scope, state.step, state.writes
    function.released = False
    if state.recording_gradient:
        function.is_gradient, function.gradient_of = True, state.gradient_of
    if type(out) is numpy.ndarray:  # Node(function, 0, out), its __init__ written out for a NumPy array
        node = object.__new__(Node)
        node.grad_fn, node.output_index, node.shape, node.dtype = function, 0, out.shape, out.dtype
        node.retained = node._backward_hooks = None
    else:  # another kind of array (forward_output let it through): the Node finds its device
        node = Node(function, 0, out)
    tensor = object.__new__(TensorBase._made_as)  # TensorBase._make(out, node), written out
    tensor.array, tensor._node, tensor.grad_fn, tensor.requires_grad = out, node, function, True
    return tensor


def install() -> None:
    """Record ops in one frame (``Function.apply``)."""
    Function.apply = classmethod(apply)


def uninstall() -> None:
    """Back to the plain path's ``Function.apply``."""
    Function.apply = PLAIN_APPLY
