"""In-place changes and the graph: PyTorch's two rules, so that no gradient is ever silently wrong.

1. **A leaf that requires grad is not changed in place while gradients are recorded.** ``w += 1``
   on a parameter would make ``w`` a new tensor cut from its own leaf, and ``w.grad`` would never
   be filled. Parameters are updated inside ``no_grad()`` (as every optimizer does).
2. **An array saved for backward is not changed before backward reads it.** ``y = w * x`` saves
   ``x`` to compute ∂y/∂w = x; ``x += 1`` afterwards would make that gradient use the new x.
   PyTorch counts versions per storage; here every in-place write is stamped with a global write
   counter and the memory range it wrote (:func:`mark_written`). Each op remembers the counter's
   value when it was recorded (``Function.recorded_at``); its backward checks its saved arrays
   against the writes made since then — only when there were any, so a training step pays
   nothing. Because the check compares memory ranges, it sees a write through a view or a
   ``detach()``-ed copy as well. The newest 5,000–10,000 ranges written are remembered: a backward
   through a graph older than that is checked against those, and warns that older writes were not.

What is recorded and what is written in place (``x += y`` and ``x[index] = value``; PyTorch's
methods follow the same rules: ``add_``, ``sub_``, ``mul_``, ``div_`` as ``+=`` and the like, and
``fill_``, ``copy_``, ``zero_`` as ``x[...] = value``):

* no graph involved (``no_grad()``, or neither side requires grad): the values change in place;
* ``x`` is part of a graph (an op made it): ``x += y`` records ``x + y`` and ``x`` becomes that
  new tensor (what was computed from the old ``x`` keeps its values; ``x[index] = value`` is
  refused: build the new tensor out of place with :func:`tinygrad_rnn.where`);
* ``x`` is a leaf without grad and ``y`` requires grad: refused (write ``x = x + y``).

Writes through ``tensor.data`` (PyTorch's escape hatch: a Tensor sharing the array, cut from the
graph) skip rule 1, as in PyTorch: ``p.data.add_(p.grad, alpha=-lr)`` is how course code updates a
parameter outside ``no_grad()``. They are still stamped, so rule 2 holds where PyTorch checks
nothing: a ``p.data.add_(…)`` between forward and backward makes that backward raise, where in
PyTorch it silently computes the gradient from the new values. It costs nothing more: the check
is the one every in-place write already has. ``tensor.array`` is the raw NumPy or CuPy array,
which nothing tracks: the library's own writes to it (optimizers, ``nn.init``) call :func:`mark_written`.

>>> import tinygrad_rnn as tr
>>> w = tr.ones(3, requires_grad=True)
>>> w += 1
Traceback (most recent call last):
...
tinygrad_rnn.errors.GraphError: w += …: w is a leaf tensor that requires grad (Tensor(shape=(3,), float32, cpu)); ...
"""

from __future__ import annotations

import operator
import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .errors import DeviceError, GraphError, ShapeError, describe
from .function import Function
from .recording import STATE
from .tensor_base import TensorBase

if TYPE_CHECKING:
    from .tensor import Tensor

# where each write went: (device, first byte, end byte) → (stamp, how it was written); one entry per range
_WRITES: dict[tuple[str, int, int], tuple[int, str]] = {}
_KEPT_WRITES = 10_000  # memory ranges remembered; beyond this the oldest half is forgotten
_FORGOTTEN = [0]  # the newest stamp forgotten: an op recorded before it cannot be fully checked (a warning says so)

_ARRAY_UPDATES = {"+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv}
_RECORDED = {"+=": operator.add, "-=": operator.sub, "*=": operator.mul, "/=": operator.truediv}


def mark_written(array: Any, how: str, known_range: tuple[str, int, int] | None = None) -> None:
    """Stamp an in-place write of ``array`` (call it for every write the graph cannot see);
    ``known_range``: its :func:`memory_range`, if the caller keeps it (an optimizer does, for
    parameters whose memory does not move between steps).

    >>> import numpy
    >>> mark_written(numpy.zeros(3), "nn.init.zeros_")
    """
    mark_all_written((known_range or memory_range(array),), how)


def mark_all_written(ranges: Iterable[tuple[str, int, int]], how: str) -> None:
    """:func:`mark_written` for the memory ranges of several arrays written at once (an optimizer's
    step over all its parameters): one stamp for them all.

    >>> import numpy
    >>> mark_all_written([memory_range(numpy.zeros(3)), memory_range(numpy.ones(2))], "SGD.step()")
    """
    STATE.writes += 1
    stamp = (STATE.writes, how)
    for written_range in ranges:
        _WRITES[written_range] = stamp
    if len(_WRITES) > _KEPT_WRITES:
        for key in sorted(_WRITES, key=lambda k: _WRITES[k][0])[: _KEPT_WRITES // 2]:
            _FORGOTTEN[0] = max(_FORGOTTEN[0], _WRITES.pop(key)[0])


def check_saved_unchanged(function: Function) -> None:
    """Raise if an array ``function`` saved for backward was written in place after it was recorded.
    The engine calls it only when some write happened since (``STATE.writes != function.recorded_at``).
    The ranges of the oldest writes are forgotten once more than 10,000 ranges were written: a
    graph recorded before a forgotten write is checked against the rest, and a warning says so."""
    if function.recorded_at < _FORGOTTEN[0]:
        warnings.warn(f"backward of {function.name}: more than {_KEPT_WRITES:,} arrays were written in place since "
                      "it was recorded; the oldest of those writes are no longer known, so whether they changed "
                      "an array it saved is not checked", RuntimeWarning, stacklevel=2)
    since = _writes_since(function.recorded_at)
    if not since:
        return
    saved = []
    if function.saved_inputs is not None:  # (an input not saved: its vertex stands there, which has no nbytes)
        saved += [(f"input {i}", x) for i, x in enumerate(function.saved_inputs) if hasattr(x, "nbytes")]
    if function.saved_output is not None:
        outputs = function.saved_output if function.multiple_outputs else (function.saved_output,)
        saved += [("its output", x) for x in outputs if hasattr(x, "nbytes")]
    for role, array in saved:
        overlapping = _overlapping(array, since)
        if overlapping:
            how = overlapping[0][1]  # (stamp, how) of the first write found
            raise GraphError(
                f"backward of {function.name}: an array it saved for its gradient ({role}, shape "
                f"{tuple(array.shape)}, {array.dtype}) was changed in place ({how}) after {function.name} "
                "used it, so the gradient would be computed from the wrong values. Make the change out of "
                "place (x = x + 1 makes a new tensor), or make it after backward().")


def _writes_since(recorded_at: int) -> list[tuple[tuple[str, int, int], tuple[int, str]]]:
    """The writes kept, as (memory range, (stamp, how)), made after the stamp ``recorded_at``."""
    return [(key, written) for key, written in _WRITES.items() if written[0] > recorded_at]


def _overlapping(array: Any, writes: list[tuple[tuple[str, int, int], Any]]) -> list[Any]:
    """What is kept of each write in ``writes`` whose memory range overlaps ``array``'s."""
    device, low, high = memory_range(array)
    return [what for (written_device, written_low, written_high), what in writes
            if written_device == device and written_low < high and low < written_high]


def written_since(array: Any, recorded_at: int) -> str | None:
    """How ``array`` was last written in place after the op recorded at ``recorded_at`` (``Function.recorded_at``)
    read it — ``"SGD.step()"`` — or None where nothing written since overlaps its memory (or it is not known: a
    forgotten write). A drawing asks it of a leaf whose values it shows: an optimizer's step after the forward.

    >>> import numpy
    >>> from tinygrad_rnn.recording import STATE
    >>> weight, before = numpy.ones(3), STATE.writes
    >>> mark_written(weight, "SGD.step()")
    >>> written_since(weight, before), written_since(weight, STATE.writes)
    ('SGD.step()', None)
    """
    found = _overlapping(array, _writes_since(recorded_at))  # (stamp, how) pairs: the newest names it
    return max(found)[1] if found else None


def in_place(tensor: Tensor, symbol: str, other: Any, written: str | None = None) -> Tensor:
    """``tensor += other`` (and -=, *=, /=) under the rules above; returns what the name now holds.
    ``written``: how the caller wrote it, after the tensor's name, if not so (``".add_(…)"``)."""
    other_needs_grad = isinstance(other, TensorBase) and other.requires_grad
    written = written or f" {symbol} …"
    if STATE.grad_enabled:
        _refuse_leaf(tensor, written)
        if tensor.grad_fn is not None:  # part of a graph: record the op, the name takes the result
            return _rebind(tensor, _RECORDED[symbol](tensor, other))
        if other_needs_grad:
            raise GraphError(
                f"{_in_a_backward()}{_name(tensor)}{written}: {_name(tensor)} has no graph ({describe(tensor)}) but "
                f"the right side requires grad; an in-place change cannot make it part of the graph. Write "
                f"{_name(tensor)} = {_name(tensor)} {symbol[0]} … for a new tensor.")
    values = _array_of(tensor, other, written)
    if tensor.shape != _broadcast_shape(tensor, values, symbol):
        raise ShapeError(f"{_name(tensor)}{written}: the right side has shape {tuple(values.shape)}, which does "
                         f"not broadcast to the tensor's shape {tensor.shape}; an in-place change keeps the shape")
    try:
        _ARRAY_UPDATES[symbol](tensor.array, values)
    except TypeError as error:  # NumPy's casting rule: an int tensor cannot hold a float result
        raise TypeError(f"{_name(tensor)}{written}: the result would be {_result_dtype(tensor, values, symbol)}, "
                        f"which the tensor's dtype {tensor.dtype} cannot hold in place; convert first, e.g. "
                        f"x = x.float() ({error})") from None
    mark_written(tensor.array, f"{written.strip(' …')} on a tensor of shape {tensor.shape}")  # "+=", ".add_(…)"
    return tensor


def set_item(tensor: Tensor, index: Any, value: Any, written: str = "[…] = …") -> None:
    """``tensor[index] = value`` under the rules above. ``written`` is how the caller wrote it, after
    the tensor's name, for messages: ``fill_()`` and ``copy_()`` write ``tensor[...]`` as ``".fill_()"``."""
    if STATE.grad_enabled:
        _refuse_leaf(tensor, written)
        if tensor.grad_fn is not None or (isinstance(value, TensorBase) and value.requires_grad):
            raise GraphError(
                f"{_name(tensor)}{written}: {_name(tensor)} or the value is part "
                "of a graph, and writing into a tensor is not recorded. Build the new tensor out of place, e.g. "
                "x = tr.where(mask, value, x) or x = value.clone(), or write under tr.no_grad() if no gradient "
                "should flow.")
    values = _array_of(tensor, value, written)
    try:
        tensor.array[index] = values
    except (ValueError, IndexError, TypeError) as error:
        where = f"[{index!r}] = …" if written == "[…] = …" else written
        raise type(error)(f"{_name(tensor)}{where}: cannot assign a value of shape "
                          f"{tuple(getattr(values, 'shape', ()))} into a tensor of shape {tensor.shape} "
                          f"({error})") from None
    what = "[…] =" if written == "[…] = …" else written  # the write as the caller wrote it: .zero_(), .fill_()
    mark_written(tensor.array, f"{what} on a tensor of shape {tensor.shape}")


def _refuse_leaf(tensor: Tensor, written: str) -> None:
    if tensor.grad_fn is None and tensor.requires_grad:
        raise GraphError(
            f"{_name(tensor)}{written}: {_name(tensor)} is a leaf tensor that requires grad ({describe(tensor)}); "
            "changing it in place while gradients are recorded would cut it from the graph, and its .grad "
            "would never be filled. Update parameters inside `with tr.no_grad():` (as an optimizer does) or "
            f"through {_name(tensor)}.data, "
            f"or make a new tensor: {_name(tensor)} = {_name(tensor)} + 1.")


def _rebind(tensor: Tensor, result: Tensor) -> Tensor:
    """Give ``tensor`` the recorded result: the graph keeps the old value where earlier ops read it."""
    name = tensor.name
    tensor.array, tensor.grad_fn, tensor._node = result.array, result.grad_fn, result._node
    tensor.requires_grad = result.requires_grad
    tensor.name = name
    return tensor


def _array_of(tensor: Tensor, other: Any, written: str) -> Any:
    if not isinstance(other, TensorBase):
        return other
    if other.device != tensor.device:
        raise DeviceError(f"{_name(tensor)}{written}: the tensor is on {tensor.device} and the value on "
                          f"{other.device}; move one first, e.g. value.to('{tensor.device}')")
    return other.array


def _broadcast_shape(tensor: Tensor, values: Any, symbol: str) -> tuple[int, ...]:
    try:
        return tuple(tensor.device.xp.broadcast_shapes(tensor.shape, tuple(getattr(values, "shape", ()))))
    except ValueError:
        raise ShapeError(f"{_name(tensor)} {symbol} …: shapes {tensor.shape} and {tuple(values.shape)} do not "
                         "broadcast") from None


def _result_dtype(tensor: Tensor, values: Any, symbol: str) -> Any:
    xp = tensor.device.xp
    return xp.result_type(tensor.array, values) if symbol != "/=" else xp.result_type(tensor.array, values, 1.0)


def memory_range(array: Any) -> tuple[str, int, int]:
    """(device, first byte, end byte) of the memory an array's elements occupy."""
    interface = getattr(array, "__cuda_array_interface__", None)
    device = "gpu" if interface is not None else "cpu"
    interface = interface or array.__array_interface__
    low = high = interface["data"][0]
    itemsize = array.dtype.itemsize
    strides = interface.get("strides")
    if strides is None:  # C-contiguous
        strides, step = [], itemsize
        for n in reversed(array.shape):
            strides.insert(0, step)
            step *= n
    for n, stride in zip(array.shape, strides):
        if n == 0:
            return device, low, low
        extent = (n - 1) * stride
        low, high = (low + extent, high) if stride < 0 else (low, high + extent)
    return device, low, high + itemsize


def _in_a_backward() -> str:
    """'backward of mul (create_graph=True), which writes …: ' while that op's backward is recorded,
    else '': an in-place write there is the backward's, and the names below are only placeholders."""
    of = STATE.gradient_of
    return "" if of is None else f"backward of {of.name} (create_graph=True), which writes in place into an argument: "


def _name(tensor: Tensor) -> str:
    return tensor.name or ("w" if tensor.requires_grad and tensor.grad_fn is None else "x")
