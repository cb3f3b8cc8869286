"""The errors tinygrad_rnn raises. Each derives from the built-in error a Python user would expect,
so ``except ValueError`` still works, and each message names the op, what it got and what to do."""


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
