"""The errors tinygrad_rnn raises. Each derives from the built-in error a Python user would expect,
so ``except ValueError`` still works, and each message names the op, what it got and what to do —
naming values as :func:`describe` does."""

from __future__ import annotations

from typing import Any


class DeviceError(RuntimeError):
    """A device is unavailable, unknown, or two devices were mixed in one op."""


class ShapeError(ValueError, RuntimeError):
    """An op got shapes it cannot combine. A ValueError, and a RuntimeError too: PyTorch raises
    RuntimeError for the same mistakes, so code written for it catches these as well."""


class GraphError(RuntimeError):
    """Backward cannot run: the graph was freed, the output is not scalar, nothing requires grad."""


class AnomalyError(FloatingPointError):
    """An op produced NaN or Inf while :func:`tinygrad_rnn.detect_anomaly` was active."""


class CheckpointError(ValueError):
    """A checkpoint is missing, corrupt, truncated, or does not fit the model it is loaded into."""


def describe(value: Any) -> str:
    """How error messages name a value: ``Tensor(shape=(2, 3), float32, cpu, name='W')``, an
    array's type, shape and dtype, a number itself, or any other value's type.

    >>> describe(2.0), describe([1, 2])
    ('2.0', 'list')
    """
    if hasattr(value, "grad_fn") and hasattr(value, "array"):  # a tensor (errors.py sits below tensor_base.py)
        name = f", name={value.name!r}" if value.name else ""
        return f"Tensor(shape={tuple(value.shape)}, {value.dtype}, {value.device}{name})"
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return f"{type(value).__name__}(shape={tuple(value.shape)}, {value.dtype})"
    return repr(value) if isinstance(value, (int, float, complex, str, type(None))) else type(value).__name__


def describe_inputs(inputs: tuple[Any, ...]) -> str:
    """'Tensor(shape=(2, 3), float32, cpu) and 2.0': how error messages name an op's inputs."""
    return " and ".join(map(describe, inputs))
