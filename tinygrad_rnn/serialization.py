"""``save`` and ``load``, as ``torch.save`` and ``torch.load`` — without pickle.

What can be saved: Tensors (and Parameters), NumPy arrays, numbers, strings, booleans, None, dtypes
and devices, in any nesting of dicts, lists and tuples — a state_dict, an optimizer's state_dict,
``{"epoch": 3, "model": ..., "config": {...}}``. The file is a checkpoint of the same ``.npz``
format as :mod:`tinygrad_rnn.checkpoint` (whose writer and reader do the work): every array is
one entry, and the structure around them is one JSON description under ``metadata``, e.g.

    {"dict": [["epoch", 3], ["weight", {"tensor": "object/0", "requires_grad": true, "device": "cpu"}]]}

Loading therefore never runs code from the file, and a saved path is written atomically. A whole
Module is refused: PyTorch pickles the module's class; here one saves its ``state_dict()``.
"""

from __future__ import annotations

import json
import os
from typing import Any, BinaryIO

import numpy

from .checkpoint import FORMAT, VERSION, read_checkpoint, write_archive
from .device import Device, get_device
from .errors import CheckpointError, DeviceError
from .tensor import Tensor

CONTENT = "saved object"  # what metadata["content"] says in a file written by save (not a training checkpoint)
_CONTAINERS = {"dict": dict, "list": list, "tuple": tuple}


def save(obj: Any, f: str | os.PathLike | BinaryIO) -> None:
    """Write ``obj`` (Tensors, arrays, numbers, strings and dicts/lists/tuples of them) to the path
    or open binary file ``f``, as ``torch.save``, without pickle.

    A path is written atomically: a failed save leaves the old file whole.

    >>> import io, tinygrad_rnn as tr
    >>> buffer = io.BytesIO()
    >>> tr.save({"epoch": 3, "weight": tr.ones(2, 3)}, buffer)
    >>> _ = buffer.seek(0)
    >>> tr.load(buffer)
    {'epoch': 3, 'weight': tensor([[1., 1., 1.],
            [1., 1., 1.]])}
    """
    arrays: dict[str, numpy.ndarray] = {}
    description = _encode(obj, "obj", arrays, {}, set())
    metadata = {"format": FORMAT, "version": VERSION, "content": CONTENT, "object": description}
    arrays["metadata"] = numpy.array(json.dumps(metadata))
    write_archive(f, arrays)


def load(f: str | os.PathLike | BinaryIO, map_location: Any = None, weights_only: bool | None = None) -> Any:
    """Read what :func:`save` wrote, from a path or an open binary file, as ``torch.load``.

    Tensors come back on the device they were saved from, or on ``map_location`` ('cpu',
    'gpu'/'cuda' or a device object). ``weights_only`` is accepted for PyTorch's sake: loading
    never runs code, whatever it says. A corrupt or truncated file raises CheckpointError.

    >>> import io, tinygrad_rnn as tr
    >>> buffer = io.BytesIO()
    >>> tr.save([tr.tensor([1, 2]), (0.5, "adam")], buffer)
    >>> _ = buffer.seek(0)
    >>> tr.load(buffer, map_location="cpu")
    [tensor([1, 2]), (0.5, 'adam')]
    """
    target = None if map_location is None else _as_device(map_location)
    metadata, arrays = read_checkpoint(f)
    name = f if isinstance(f, (str, os.PathLike)) else f"the {type(f).__name__}"
    if metadata.get("content") != CONTENT:
        raise CheckpointError(f"{name} is a training checkpoint (save_checkpoint), not a file of tr.save: load it "
                              "with tr.checkpoint.load_checkpoint(path, model)")
    try:
        return _decode(metadata["object"], arrays, target, {})
    except (KeyError, TypeError, ValueError, IndexError) as error:
        raise CheckpointError(f"{name} is not a readable file of tr.save (corrupt?): {type(error).__name__}: "
                              f"{error}") from None


def _encode(obj: Any, where: str, arrays: dict[str, numpy.ndarray], stored: dict[int, str], open_: set[int]) -> Any:
    """The JSON description of ``obj``; its arrays go into ``arrays``. ``where`` names the place
    in messages (``obj['model'][2]``); ``stored`` maps an array already written to its entry, so a
    tensor saved twice is loaded as one; ``open_`` holds the containers being described (a cycle)."""
    if isinstance(obj, (Tensor, numpy.ndarray, numpy.generic)):  # first: numpy.float64 is also a float
        return _encode_array(obj, where, arrays, stored)
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj  # JSON's own (int stays int, bool stays bool; nan and inf are written as NaN and Infinity)
    if isinstance(obj, numpy.dtype):
        return {"dtype": obj.name}
    if isinstance(obj, Device):
        return {"device": obj.type}
    kind = next((name for name, container in _CONTAINERS.items() if isinstance(obj, container)), None)
    if kind is None:
        raise TypeError(_cannot_save(obj, where))
    if id(obj) in open_:
        raise ValueError(f"save: {where} contains itself; a saved structure must be a tree")
    open_.add(id(obj))
    if kind == "dict":
        for key in obj:
            if not (key is None or isinstance(key, (bool, int, float, str))):
                raise TypeError(f"save: the key {key!r} of {where} is a {type(key).__name__}; keys must be strings "
                                "or numbers")
        items = [[key, _encode(value, f"{where}[{key!r}]", arrays, stored, open_)] for key, value in obj.items()]
    else:
        items = [_encode(value, f"{where}[{i}]", arrays, stored, open_) for i, value in enumerate(obj)]
    open_.discard(id(obj))
    return {kind: items}


def _encode_array(obj: Any, where: str, arrays: dict[str, numpy.ndarray], stored: dict[int, str]) -> dict:
    """A Tensor, Parameter, NumPy array or NumPy scalar: its values become one entry of the archive."""
    if id(obj) not in stored:
        values = obj.numpy() if isinstance(obj, Tensor) else numpy.asarray(obj)
        if values.dtype.hasobject:  # NumPy would pickle these
            raise TypeError(f"save: {where} is an array of Python objects; only numeric, bool and string arrays "
                            "can be saved without pickle")
        stored[id(obj)] = f"object/{len(stored)}"
        arrays[stored[id(obj)]] = values
    entry = stored[id(obj)]
    if not isinstance(obj, Tensor):
        return {"ndarray" if isinstance(obj, numpy.ndarray) else "numpy scalar": entry}
    from .nn.module import Parameter

    kind = "parameter" if isinstance(obj, Parameter) else "tensor"
    return {kind: entry, "requires_grad": obj.requires_grad, "device": obj.device.type}


def _decode(description: Any, arrays: dict[str, numpy.ndarray], target: Device | None,
            loaded: dict[str, Any]) -> Any:
    """The object ``description`` (from _encode) describes; ``loaded`` maps an entry to the object
    made from it, so an array saved twice comes back as one object."""
    if not isinstance(description, dict):
        return description
    ((kind, value), *options) = description.items()
    if kind in _CONTAINERS:
        if kind == "dict":
            return {key: _decode(item, arrays, target, loaded) for key, item in value}
        return _CONTAINERS[kind](_decode(item, arrays, target, loaded) for item in value)
    if kind == "dtype":
        return numpy.dtype(value)
    if kind == "device":
        return get_device(value)
    if value not in loaded:
        loaded[value] = _make_array(kind, arrays[value], dict(options), target)
    return loaded[value]


def _make_array(kind: str, values: numpy.ndarray, options: dict[str, Any], target: Device | None) -> Any:
    if kind == "ndarray":
        return values
    if kind == "numpy scalar":
        return values[()]
    if kind not in ("tensor", "parameter"):
        raise ValueError(f"unknown entry {kind!r}")
    device = target or _saved_device(options["device"])
    if kind == "parameter":
        from .nn.module import Parameter

        return Parameter(Tensor(values, device=device), requires_grad=options["requires_grad"])
    return Tensor(values, device=device, requires_grad=options["requires_grad"])


def _saved_device(name: str) -> Device:
    """The device a tensor was saved from, or an error that says how to load it elsewhere."""
    try:
        return get_device(name)
    except DeviceError as error:
        raise DeviceError(f"load: the file holds tensors saved on {name}, which is not usable here "
                                  f"({error}). Load them elsewhere with map_location='cpu'.") from None


def _as_device(map_location: Any) -> Device:
    if isinstance(map_location, (str, Device)):
        return get_device(map_location)
    if isinstance(getattr(map_location, "type", None), str):  # a device object of another kind (torch.device)
        return get_device(map_location.type)
    raise TypeError(f"load: map_location must be a device ('cpu', 'gpu'/'cuda' or a device object), got "
                    f"{type(map_location).__name__}; PyTorch's dict and function forms remap pickled storages, "
                    "which these files do not have")


def _cannot_save(obj: Any, where: str) -> str:
    name = type(obj).__name__
    if hasattr(obj, "state_dict") and hasattr(obj, "load_state_dict"):
        # a Module, an optimizer, a scheduler: PyTorch would pickle the object and its class
        owner = name.lower()
        return (f"save: {where} is a whole {name}, which tinygrad_rnn does not pickle: save its state_dict() "
                f"instead, tr.save({owner}.state_dict(), path), and restore it with "
                f"{owner}.load_state_dict(tr.load(path))")
    return (f"save: {where} is of type {name}; save stores Tensors, NumPy arrays, numbers, strings, None, dtypes "
            "and devices, in dicts, lists and tuples (it never pickles)")
