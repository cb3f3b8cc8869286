"""A NumPy-backed stand-in for CuPy, for machines without a GPU. It is NOT a GPU: its arrays are
NumPy arrays of a distinct type, so that tinygrad_rnn's device bookkeeping — which array module an
op dispatches to, device checks, host↔device moves, the GPU branches of the code — runs and is
tested on any machine. tests/test_device_dispatch.py runs the GPU cases of the suite against it;
on a machine with real CuPy and a GPU, the same cases run on the GPU instead.

Only what tinygrad_rnn uses is provided: NumPy's functions (through module ``__getattr__``, with
results turned into stand-in arrays), ``asarray``/``array``, ``ndarray.get()``, ``cuda.runtime``,
``cuda.Device().synchronize()`` and the memory pool's counters.
"""

import numpy as _np


class ndarray(_np.ndarray):
    """An array "on the GPU": a NumPy array whose type says so."""

    def get(self):
        """A host (NumPy) copy, as CuPy's ndarray.get()."""
        return _np.array(self.view(_np.ndarray), copy=True)

    def __getitem__(self, index):
        # As CuPy: indexing down to one entry gives a 0-d array on the device, not a NumPy scalar.
        return _on_device(super().__getitem__(index))

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        plain = _plain(ufunc, inputs)
        if "out" in kwargs:
            kwargs["out"] = _plain(ufunc, kwargs["out"])
        return _on_device(getattr(ufunc, method)(*plain, **kwargs))


def _plain(ufunc, arrays) -> tuple:
    """The operands as plain NumPy arrays (in one pass: every op of the GPU cases comes through here). As CuPy:
    arithmetic between a GPU array and a host (NumPy) array is an error, not a copy."""
    plain = []
    for x in arrays:
        if isinstance(x, ndarray):
            x = x.view(_np.ndarray)
        elif isinstance(x, _np.ndarray):
            raise TypeError(f"stand-in CuPy: {ufunc.__name__} mixes a GPU array with a NumPy array")
        plain.append(x)
    return tuple(plain)


def _on_device(value):
    if isinstance(value, _np.ndarray):  # (an op's result, most often: looked at first)
        return value if isinstance(value, ndarray) else value.view(ndarray)
    if isinstance(value, _np.generic):  # CuPy's reductions return 0-d arrays, never NumPy scalars
        return _np.asarray(value).view(ndarray)
    if isinstance(value, (tuple, list)):
        return type(value)(_on_device(v) for v in value)
    return value


def asarray(a, dtype=None):
    if isinstance(a, ndarray):
        return a if dtype is None else a.astype(dtype)
    return _np.array(a, dtype=dtype).view(ndarray)


def array(a, dtype=None, copy=True):
    base = a.view(_np.ndarray) if isinstance(a, ndarray) else a
    return _np.array(base, dtype=dtype, copy=True).view(ndarray)


def __getattr__(name):
    target = getattr(_np, name)
    if callable(target) and not isinstance(target, type):
        def on_device(*args, **kwargs):
            return _on_device(target(*args, **kwargs))
        return on_device
    return target


class _Runtime:
    @staticmethod
    def getDeviceCount():
        return 1


class _Device:
    def synchronize(self):
        pass


class cuda:  # noqa: N801  (CuPy's name)
    runtime = _Runtime
    Device = _Device


class _MemoryPool:
    def free_all_blocks(self):
        pass

    def total_bytes(self):
        return 0


def get_default_memory_pool():
    return _MemoryPool()
