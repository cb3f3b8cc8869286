"""Conversion between tensors and what lies outside autodiff: which array data (numbers, lists,
NumPy and CuPy arrays) becomes, what a dtype's name means, which device and dtype ``.to(...)`` asks
for, PyTorch's names for tensor types, and a tensor as text. Nothing here records or differentiates
anything: :mod:`tinygrad_rnn.tensor_base` and :mod:`tinygrad_rnn.tensor` call each in one line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy

from .device import CPU, GPU, Device, device_of_array, get_device, is_device_name, move_array
from .errors import DeviceError

if TYPE_CHECKING:
    from .tensor_base import TensorBase

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


def tensor_type(tensor: TensorBase, dtype: Any = None) -> Any:
    """With no argument, PyTorch's name for this tensor's type (``'torch.FloatTensor'``,
    ``'torch.cuda.LongTensor'``, …), so code that compares it keeps working; with a dtype
    (or such a name), ``tensor`` cast to it, as ``.to(dtype)``.

    >>> import tinygrad_rnn as tr
    >>> tr.ones(2).type(), tr.ones(2).type(tr.float64).type()
    ('torch.FloatTensor', 'torch.DoubleTensor')
    """
    names = {str(numpy.dtype(kind)): name for name, kind in TYPE_NAMES.items()}
    if dtype is None:
        if str(tensor.dtype) not in names:
            raise TypeError(f"type: PyTorch has no tensor type for dtype {tensor.dtype}; read .dtype instead")
        return f"torch.{'cuda.' if tensor.device == GPU else ''}{names[str(tensor.dtype)]}"
    if isinstance(dtype, str) and dtype.startswith("torch."):
        name = dtype.rsplit(".", 1)[-1]
        if name not in TYPE_NAMES:
            raise TypeError(f"type: unknown tensor type {dtype!r}: use a dtype such as tr.float64, or one of "
                            + ", ".join(f"'torch.{known}'" for known in TYPE_NAMES))
        return tensor.to(dtype=TYPE_NAMES[name], device=GPU if ".cuda." in dtype else CPU)
    return tensor.to(dtype=dtype)


def tensor_text(tensor: TensorBase) -> str:
    """How a tensor prints, as PyTorch prints it: ``tensor([1., 2.], requires_grad=True)``."""
    body = numpy.array2string(tensor.numpy(), separator=", ", prefix="tensor(", threshold=200)
    extras = []
    if tensor.dtype not in (DEFAULT_FLOAT, numpy.dtype("int64"), numpy.dtype("bool")):
        extras.append(f"dtype={tensor.dtype}")
    if tensor.device != "cpu":
        extras.append(f"device='{tensor.device}'")
    if tensor.grad_fn is not None:
        extras.append(f"grad_fn={tensor.grad_fn!r}")
    elif tensor.requires_grad:
        extras.append("requires_grad=True")
    if tensor.name:
        extras.append(f"name={tensor.name!r}")
    return "tensor(" + ", ".join([body] + extras) + ")"
