"""Devices: where a tensor's array lives, and which array module computes on it.

``"cpu"`` arrays are NumPy arrays; ``"gpu"`` (alias ``"cuda"``) arrays are CuPy arrays. Every op is
written once against the NumPy API and runs on either, because CuPy mirrors it; the one question an
op ever asks is "which module?", answered by :func:`array_module`.

CuPy is imported only when a GPU is first asked for, so ``import tinygrad_rnn`` stays light and
works on machines without it.
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any

import numpy

from .errors import DeviceError

_cupy: ModuleType | None = None  # set by _import_cupy() once a GPU has been asked for


class Device:
    """A place arrays live, as ``torch.device``: ``Device("cpu")``, ``Device("gpu")``.

    The package exports it as ``tinygrad_rnn.device``, so ``tr.device("cuda")`` reads as in PyTorch.
    There are two devices, one object each: ``"cuda"``, ``"cuda:0"`` and ``Device("cuda", 0)`` all
    name the GPU, whose ``type`` is ``"gpu"``. A device compares equal to any of its names, so
    ``tensor.device == "cpu"`` reads naturally (PyTorch's compares unequal to every string).
    Making one checks the name only; using the GPU (``get_device``, ``.to``) checks that CuPy sees one.

    >>> Device("cpu").xp is numpy
    True
    >>> Device("cuda:0") is Device("gpu"), Device("cuda") == "cuda"
    (True, True)
    """

    __slots__ = ("type",)

    def __new__(cls, type: str | Device, index: int | None = None) -> Device:
        if isinstance(type, Device):
            return type
        name = _ALIASES.get(type.lower()) if isinstance(type, str) else None
        if name is None or (index not in (None, 0)) or (name == "cpu" and index is not None):
            spec = type if index is None else f"{type}:{index}"
            raise DeviceError(f"unknown device {spec!r}: use 'cpu' or 'gpu' (alias 'cuda' or 'cuda:0'; "
                              "one GPU is supported)")
        return _DEVICES[name]

    @property
    def xp(self) -> ModuleType:
        """The array module that computes on this device (numpy or cupy)."""
        return numpy if self.type == "cpu" else _import_cupy()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return self.type == _ALIASES.get(other.lower(), other)
        return isinstance(other, Device) and other.type == self.type

    def __hash__(self) -> int:
        return hash(self.type)

    def __reduce__(self) -> tuple:
        return Device, (self.type,)  # copy and pickle give back the one object of its type

    def __repr__(self) -> str:
        return f"device(type='{self.type}')"

    def __str__(self) -> str:
        return self.type


def _one_device(name: str) -> Device:
    device = object.__new__(Device)
    device.type = name
    return device


_DEVICES = {"cpu": _one_device("cpu"), "gpu": _one_device("gpu")}
CPU, GPU = _DEVICES["cpu"], _DEVICES["gpu"]
_ALIASES = {"cpu": "cpu", "gpu": "gpu", "cuda": "gpu", "cuda:0": "gpu"}


def is_device_name(spec: Any) -> bool:
    """True for a Device and for the names of one ('cpu', 'gpu', 'cuda', 'cuda:0'), in any case.

    >>> is_device_name("CUDA"), is_device_name("float64")
    (True, False)
    """
    return isinstance(spec, Device) or (isinstance(spec, str) and spec.lower() in _ALIASES)


def get_device(spec: str | Device | None = None) -> Device:
    """Turn ``"cpu"``, ``"gpu"``/``"cuda"`` or a Device into a Device, checking a GPU is usable.

    ``None`` means the default device: the environment variable ``TINYGRAD_RNN_DEVICE``, else cpu.

    >>> get_device("cpu")
    device(type='cpu')
    """
    if spec is None:
        spec = os.environ.get("TINYGRAD_RNN_DEVICE", "cpu")
    device = Device(spec)
    if device is GPU:
        _import_cupy()
    return device


def device_argument(text: str) -> str:
    """An argparse ``type`` for a ``--device`` option: the name, checked at once, so that a missing
    GPU is one line from argparse ("argument --device: a GPU was asked for, but …"), not a traceback.

    >>> device_argument("cpu")
    'cpu'
    """
    import argparse

    try:
        return get_device(text).type
    except DeviceError as error:
        raise argparse.ArgumentTypeError(str(error).replace("device='cpu'", "--device cpu")) from None


def gpu_available() -> bool:
    """True when CuPy is installed and sees a CUDA device. Never raises.

    >>> isinstance(gpu_available(), bool)
    True
    """
    try:
        _import_cupy()
    except DeviceError:
        return False
    return True


def _import_cupy() -> ModuleType:
    """Import CuPy on first use, with an error that says what is missing and how to get it."""
    global _cupy
    if _cupy is not None:
        return _cupy
    try:
        import cupy
    except ImportError as error:
        raise DeviceError(
            "a GPU was asked for, but CuPy is not installed. Install it with "
            "`pip install 'tinygrad_rnn[gpu]'` (CuPy for CUDA 12; see https://docs.cupy.dev for "
            f"other CUDA versions), or use device='cpu'. ({error})"
        ) from None
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # CUDA driver missing or broken: CuPy raises its own types
        raise DeviceError(
            f"a GPU was asked for: CuPy is installed but found no usable CUDA device ({error}). "
            "Check the NVIDIA driver with `nvidia-smi`, or use device='cpu'."
        ) from None
    if count == 0:
        raise DeviceError("a GPU was asked for: CuPy is installed but no CUDA device is visible; use device='cpu'.")
    _cupy = cupy
    return cupy


def loaded_cupy() -> ModuleType | None:
    """CuPy once a GPU has been asked for, else None (never imports it: a cheap "could any array be
    on a GPU?")."""
    return _cupy


def array_module(*arrays: Any) -> ModuleType:
    """numpy or cupy, whichever owns the arrays (Chainer's get_array_module).

    >>> array_module(numpy.zeros(2)) is numpy
    True
    """
    if _cupy is not None:
        for array in arrays:
            if isinstance(array, _cupy.ndarray):
                return _cupy
    return numpy


def device_of_array(array: Any) -> Device:
    """The device an array lives on: GPU for a CuPy array, CPU for anything else."""
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return GPU
    return CPU


def move_array(array: Any, device: Device) -> Any:
    """Copy an array to a device (the only place host↔device copies happen)."""
    if device.type == "cpu":
        return array.get() if device_of_array(array) is GPU else numpy.asarray(array)
    return _import_cupy().asarray(array)


def scatter_add(target: Any, index: Any, values: Any) -> None:
    """``target[index] += values`` in place, summing where ``index`` repeats an entry.

    Plain ``target[index] += values`` keeps only one of the repeated writes; this is the
    gradient of an embedding lookup that uses a row twice, so every write must count.
    """
    if device_of_array(target) is GPU:
        import cupyx

        cupyx.scatter_add(target, index, values)
    elif isinstance(index, numpy.ndarray) and index.dtype.kind in "iu" and values.size > 4096:
        # Rows picked by one integer array (an embedding's lookup): sort the ids once and sum each
        # run of equal ones — several times faster than numpy.add.at, which adds row by row, on a
        # batch's ids (2,048 rows of 64: 0.4 against 3 ms); for a few rows add.at is the faster
        # (one row of 64: 2 µs against 25 — a batch-1 step's embedding).
        rows = numpy.where(index < 0, index + target.shape[0], index).reshape(-1)
        order = numpy.argsort(rows, kind="stable")
        ordered = rows[order]
        starts = numpy.flatnonzero(numpy.concatenate(([True], ordered[1:] != ordered[:-1])))
        flat_values = values.reshape((rows.size,) + target.shape[1:])
        in_order = numpy.take(flat_values, order, axis=0, mode="clip")  # (an order's entries are in range)
        target[ordered[starts]] += numpy.add.reduceat(in_order, starts, axis=0)
    else:
        numpy.add.at(target, index, values)
