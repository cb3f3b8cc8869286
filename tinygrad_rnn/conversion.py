"""Conversion between tensors and what lies outside autodiff: which array data (numbers, lists,
NumPy and CuPy arrays) becomes, what a dtype's name means, which device and dtype ``.to(...)`` asks
for, PyTorch's names for tensor types, and a tensor's values as NumPy, Python numbers and text
(:class:`TensorValues`, which :class:`~tinygrad_rnn.tensor_base.TensorBase` inherits). Nothing
here records or differentiates anything.
"""

from __future__ import annotations

from typing import Any

import numpy

from .device import CPU, GPU, Device, array_module, device_of_array, get_device, is_device_name, move_array
from .errors import DeviceError, tensor_total_error

DEFAULT_FLOAT = numpy.dtype("float32")
_SUPPORTED_KINDS = "fiub"  # float, signed int, unsigned int, bool


def as_dtype(dtype: Any) -> numpy.dtype:
    """A NumPy dtype from a dtype, a type or a name such as ``"float64"``.

    >>> as_dtype("float64")
    dtype('float64')
    """
    if type(dtype).__module__ == "torch":  # torch.float64, in code that mixes the two libraries
        dtype = str(dtype).removeprefix("torch.")
    try:
        resolved = numpy.dtype(dtype)
    except TypeError:
        raise TypeError(f"unknown dtype {dtype!r}: use a dtype such as tr.float32 or its name 'float32'") from None
    if resolved.kind not in _SUPPORTED_KINDS:
        raise TypeError(f"dtype {resolved} is not supported: use a float, integer or bool dtype")
    return resolved


TYPE_NAMES = {"HalfTensor": "float16", "FloatTensor": "float32", "DoubleTensor": "float64",
              "ByteTensor": "uint8", "CharTensor": "int8", "ShortTensor": "int16", "IntTensor": "int32",
              "LongTensor": "int64", "BoolTensor": "bool"}  # PyTorch's names for its tensor types


def to_arguments(op: str, args: tuple, device: Any, dtype: Any) -> tuple[Device | None, numpy.dtype | None]:
    """The device and dtype that ``.to(...)`` asks for (of a tensor or a module), checked: positional
    arguments may be a device (or its name), a dtype (or its name) or a tensor (its device and dtype).

    >>> to_arguments("to", ("cuda", "float64"), None, None)
    (device(type='gpu'), dtype('float64'))
    """
    from .tensor_base import TensorBase  # (here: tensor_base imports this module)

    for arg in args:
        if isinstance(arg, TensorBase):
            device, dtype = arg.device, arg.dtype
        elif is_device_name(arg):
            device = arg
        elif isinstance(arg, str) and not _names_dtype(arg):
            raise DeviceError(f"{op}: unknown device or dtype {arg!r}: use a device such as 'cpu' or 'cuda' "
                              "(tr.device('cuda')), or a dtype such as tr.float64")
        else:
            dtype = arg
    return (None if device is None else Device(device)), (None if dtype is None else as_dtype(dtype))


def gradient_array(total: Any, tensor: Any) -> Any:
    """A plain backward's gradient ``total`` delivered to ``tensor`` (into its ``.grad``, or to
    ``grad()``'s and ``grad_contributions()``'s caller), as an array: a NumPy scalar (a reduction's
    result) made a 0-d array. A Tensor is an error (:func:`~tinygrad_rnn.errors.tensor_total_error`):
    a backward without ``create_graph`` returns arrays, and one that returned a Tensor is named here,
    where every delivery passes and it costs the walk nothing per op.

    >>> import numpy
    >>> gradient_array(numpy.float32(2.0), None)
    array(2., dtype=float32)
    """
    if isinstance(total, TensorValues):  # a Tensor (TensorBase inherits TensorValues: this module is below it)
        raise tensor_total_error(total, tensor)
    return array_module(total).asarray(total)


def _names_dtype(name: str) -> bool:
    try:
        numpy.dtype(name)
    except TypeError:
        return False
    return True


def to_array(data: Any, dtype: Any, device: Any) -> Any:
    """Copy ``data`` (a number, nested lists, a NumPy or CuPy array) into a new array of the
    requested dtype on the requested device."""
    source_device = device_of_array(data)
    target = get_device(device) if device is not None or source_device is CPU else source_device
    if target is not source_device and source_device is GPU:
        raise TypeError("Tensor: data is on the GPU; pass device='gpu', or move it with .cpu() first")
    wanted = None if dtype is None else as_dtype(dtype)
    if source_device is CPU:
        is_array = isinstance(data, (numpy.ndarray, numpy.generic))
        try:
            array = numpy.array(data, dtype=wanted)
        except (ValueError, TypeError) as error:
            raise TypeError(f"Tensor: cannot make a tensor from {type(data).__name__}: {error}") from None
        if wanted is None and not is_array and array.dtype == numpy.float64:
            array = array.astype(DEFAULT_FLOAT)  # Python floats are float32 by default, as in PyTorch
        if array.dtype.kind not in _SUPPORTED_KINDS:
            raise TypeError(f"Tensor: unsupported data of dtype {array.dtype}; use numbers or bools")
        return array if target is CPU else move_array(array, target)
    return target.xp.array(data, dtype=wanted)


class TensorValues:
    """A tensor's values outside the graph: as NumPy, as Python numbers and lists, as text, and its
    type by PyTorch's name — conversion to other libraries, none of it recorded or differentiated.
    :class:`~tinygrad_rnn.tensor_base.TensorBase` inherits it.

    >>> import tinygrad_rnn as tr
    >>> x = tr.tensor([1.5, 2.0])
    >>> x.tolist(), x[0].item(), float(x[1]), x
    ([1.5, 2.0], 1.5, 2.0, tensor([1.5, 2. ]))
    """

    __slots__ = ()
    array: Any

    def numpy(self) -> numpy.ndarray:
        """A NumPy copy of the data, on the host."""
        return numpy.array(move_array(self.array, CPU), copy=True)

    def tolist(self) -> Any:
        """The values as nested Python lists (a number for a 0-d tensor)."""
        return self.numpy().tolist()

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if self.array.size != 1:
            raise ValueError(f"item: the tensor has {self.array.size} elements (shape {self.shape}); "
                             "it needs exactly one")
        return self.array.item()

    def __bool__(self) -> bool:
        if self.array.size != 1:
            raise ValueError(f"the truth value of a tensor with {self.array.size} elements is ambiguous; "
                             "use .any() or .all()")
        return bool(self.array)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.dtype.kind not in "iu" or self.array.size != 1:
            raise TypeError("only one-element integer tensors can be used as an index")
        return int(self.item())

    def __repr__(self) -> str:
        body = numpy.array2string(self.numpy(), separator=", ", prefix="tensor(", threshold=200)
        extras = []
        if self.dtype not in (DEFAULT_FLOAT, numpy.dtype("int64"), numpy.dtype("bool")):
            extras.append(f"dtype={self.dtype}")
        if self.device != "cpu":
            extras.append(f"device='{self.device}'")
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        return "tensor(" + ", ".join([body] + extras) + ")"

    def type(self, dtype: Any = None) -> Any:
        """With no argument, PyTorch's name for this tensor's type (``'torch.FloatTensor'``,
        ``'torch.cuda.LongTensor'``, …), so code that compares it keeps working; with a dtype
        (or such a name), ``self`` cast to it, as ``.to(dtype)``.

        >>> import tinygrad_rnn as tr
        >>> tr.ones(2).type(), tr.ones(2).type(tr.float64).type()
        ('torch.FloatTensor', 'torch.DoubleTensor')
        """
        names = {str(numpy.dtype(kind)): name for name, kind in TYPE_NAMES.items()}
        if dtype is None:
            if str(self.dtype) not in names:
                raise TypeError(f"type: PyTorch has no tensor type for dtype {self.dtype}; read .dtype instead")
            return f"torch.{'cuda.' if self.device == GPU else ''}{names[str(self.dtype)]}"
        if isinstance(dtype, str) and dtype.startswith("torch."):
            name = dtype.rsplit(".", 1)[-1]
            if name not in TYPE_NAMES:
                raise TypeError(f"type: unknown tensor type {dtype!r}: use a dtype such as tr.float64, or one of "
                                + ", ".join(f"'torch.{known}'" for known in TYPE_NAMES))
            return self.to(dtype=TYPE_NAMES[name], device=GPU if ".cuda." in dtype else CPU)
        return self.to(dtype=dtype)
