"""How ops are recorded, and the switches that change it: grad mode (:class:`no_grad`), scopes
(:class:`scope`), the recurrent step an op belongs to (``STATE.step``, set by
:class:`~tinygrad_rnn.steps.at_step`) and anomaly detection (:func:`detect_anomaly`). Every op
reads :data:`STATE` when :class:`~tinygrad_rnn.function.Function` records it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy

from .device import array_module
from .errors import AnomalyError

if TYPE_CHECKING:
    from .steps import Step


class _State:
    """What every op consults when it is recorded. Module-level, like PyTorch's grad mode. (Each set
    on the instance: a recorded op reads six, and an attribute the instance lacks is looked up on the
    class too, ≈ 2% of a recorded op's instructions.)"""

    def __init__(self) -> None:
        self.grad_enabled = True
        self.scope: tuple[str, ...] = ()
        self.step: Step | None = None  # the recurrent step new ops belong to (set by the layers: at_step)
        self.anomaly = False
        self.recording_gradient = False  # True while create_graph=True records a backward pass
        self.gradient_of: Any = None  # then: the op whose backward is being recorded (drawings group by it)
        self.writes = 0  # in-place writes so far (inplace.py): an op's backward checks those made after it


STATE = _State()


def check_finite(array: Any, where: str, scope: tuple[str, ...]) -> None:
    """Raise AnomalyError if a float array holds NaN or Inf (used by detect_anomaly)."""
    if array.dtype.kind == "f" and not bool(array_module(array).isfinite(array).all()):
        place = f" in scope {'/'.join(scope)}" if scope else ""
        raise AnomalyError(f"{where}{place} produced NaN or Inf (shape {tuple(array.shape)}).")


class set_grad_enabled(contextlib.ContextDecorator):
    """Turn recording on or off inside a ``with`` block or a decorated function.

    >>> import tinygrad_rnn as tr
    >>> with tr.set_grad_enabled(False):
    ...     (tr.ones(2, requires_grad=True) * 2).requires_grad
    False
    """

    def __init__(self, mode: bool) -> None:
        self.mode = mode
        self.previous: list[bool] = []

    def __enter__(self) -> None:
        self.previous.append(STATE.grad_enabled)
        STATE.grad_enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        STATE.grad_enabled = self.previous.pop()


class no_grad(set_grad_enabled):
    """Record nothing: results need no gradient and keep no graph alive (inference, updates).

    >>> import tinygrad_rnn as tr
    >>> w = tr.ones(3, requires_grad=True)
    >>> with tr.no_grad():
    ...     y = w * 2
    >>> y.requires_grad, y.grad_fn is None
    (False, True)
    """

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Record again inside a :class:`no_grad` block.

    >>> import tinygrad_rnn as tr
    >>> with tr.no_grad(), tr.enable_grad():
    ...     (tr.ones(2, requires_grad=True) * 2).requires_grad
    True
    """

    def __init__(self) -> None:
        super().__init__(True)


def is_grad_enabled() -> bool:
    """True unless inside :class:`no_grad`.

    >>> is_grad_enabled()
    True
    """
    return STATE.grad_enabled


class scope:
    """Tag every op created inside with a scope path; scopes nest.

    Unrolled RNNs give each time step its own scope, so drawings cluster per step and
    :func:`tinygrad_rnn.grad_contributions` reports which step each gradient term came from.
    (A class rather than a generator-based context manager: a layer enters one per time step.)

    >>> import tinygrad_rnn as tr
    >>> with tr.scope("RNN", "layer 0"), tr.scope("t=3"):
    ...     y = tr.ones(2, requires_grad=True) * 2
    >>> y.grad_fn.scope
    ('RNN', 'layer 0', 't=3')
    """

    __slots__ = ("names", "previous")

    def __init__(self, *names: str) -> None:
        self.names = tuple(map(str, names))

    def __enter__(self) -> tuple[str, ...]:
        self.previous = STATE.scope
        STATE.scope = self.previous + self.names
        return STATE.scope

    def __exit__(self, *exc: object) -> None:
        STATE.scope = self.previous


def current_scope() -> tuple[str, ...]:
    """The scope path new ops are tagged with.

    >>> current_scope()
    ()
    """
    return STATE.scope


@contextlib.contextmanager
def detect_anomaly() -> Iterator[None]:
    """Make the first op that produces NaN or Inf, forward or backward, raise AnomalyError.

    >>> import tinygrad_rnn as tr
    >>> with tr.detect_anomaly():
    ...     tr.tensor([-1.0]).log()
    Traceback (most recent call last):
    ...
    tinygrad_rnn.errors.AnomalyError: forward of log produced NaN or Inf (shape (1,)).
    """
    previous = STATE.anomaly
    STATE.anomaly = True
    try:
        with numpy.errstate(all="ignore"):  # the check reports it; NumPy need not warn as well
            yield
    finally:
        STATE.anomaly = previous


@contextlib.contextmanager
def recording_gradient(function_scope: tuple[str, ...], of: Any = None) -> Iterator[None]:
    """While create_graph=True computes an op's gradient: record it, in the op's own scope and step,
    each recorded op knowing which op's backward it belongs to (``of``; None for the sum of terms)."""
    previous = (STATE.grad_enabled, STATE.scope, STATE.step, STATE.recording_gradient, STATE.gradient_of)
    STATE.grad_enabled, STATE.scope, STATE.step, STATE.recording_gradient, STATE.gradient_of = (
        True, function_scope, getattr(of, "step", None), True, of)
    try:
        yield
    finally:
        STATE.grad_enabled, STATE.scope, STATE.step, STATE.recording_gradient, STATE.gradient_of = previous
