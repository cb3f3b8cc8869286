"""gradcheck and gradgradcheck: autodiff checked against finite differences.

For a function f and inputs x, pick a random direction r for the output and compare
``∂(r · f(x))/∂x`` from backward with central differences ``(s(x + εeᵢ) − s(x − εeᵢ)) / 2ε`` of
``s = r · f``, for every input entry i (so: float64 and small inputs). A random r checks every
output at once: an error in any entry of the Jacobian would almost surely show.

gradgradcheck applies gradcheck to the backward pass itself, ``(x, r) ↦ ∂(r · f(x))/∂x``,
recorded with ``create_graph=True``: this checks second derivatives, and that each op's backward,
run on Tensors, is differentiable in its turn.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy

from . import engine
from .engine import as_tuple, grad
from .tensor import Tensor


def gradcheck(fn: Callable[..., Any], inputs: Sequence[Tensor], eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-3, seed: int = 0) -> bool:
    """Check ``fn``'s gradients with respect to every input that requires grad. Raises
    AssertionError naming the input and the worst entry if they disagree; returns True otherwise.

    Two backward passes are checked: the one on arrays (``backward()``), against finite differences,
    and the recorded one (``create_graph=True``, which gets Tensors: see the op contract in
    ``function.py``), against the first. Both run ``fn`` on computed copies of the inputs (``x * 1``),
    so that each input reaches ``fn``'s first op as a computed tensor, as inside a model: a backward
    that reads the values of an input it did not save (``saves_inputs``) fails here, naming the op.

    >>> import tinygrad_rnn as tr
    >>> x = tr.randn(3, dtype="float64", requires_grad=True)
    >>> gradcheck(lambda x: x.tanh() * x, [x])
    True
    """
    inputs = list(inputs)
    for x in inputs:
        if x.requires_grad and x.dtype != numpy.float64:
            raise TypeError(f"gradcheck needs float64 inputs (finite differences); got {x.dtype}")
    outputs = as_tuple(fn(*inputs))
    rng = numpy.random.default_rng(seed)
    directions = [rng.standard_normal(out.shape) for out in outputs]
    differentiable = [x for x in inputs if x.requires_grad]

    def projected(*args: Any) -> Tensor:
        return sum((out * Tensor(r, device=out.device)).sum() for out, r in zip(as_tuple(fn(*args)), directions))

    def on_computed_copies() -> Tensor:  # (a leaf reaches a backward as itself, where it would run)
        return projected(*[x * 1 if x.requires_grad else x for x in inputs])

    with _grads_read_only():  # (a backward that writes into its grad fails here, named)
        analytic = _zero_filled(grad(on_computed_copies(), differentiable, allow_unused=True), differentiable)
    recorded = _zero_filled(grad(on_computed_copies(), differentiable, allow_unused=True, create_graph=True),
                            differentiable)
    for position, x in enumerate(differentiable):
        numeric = _finite_difference(projected, inputs, x, eps)
        which = next(i for i, candidate in enumerate(inputs) if candidate is x)
        _assert_close(analytic[position], numeric, atol, rtol, f"gradient of input {which}, backward on arrays",
                      ("autodiff", "finite differences"))
        _assert_close(recorded[position], analytic[position], 1e-12, 1e-9,
                      f"gradient of input {which}, create_graph=True", ("create_graph=True", "backward on arrays"))
    return True


def gradgradcheck(fn: Callable[..., Any], inputs: Sequence[Tensor], eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3, seed: int = 0) -> bool:
    """Check second derivatives: gradcheck of the recorded backward pass ``(x, r) ↦ Jᵀr``.

    It checks the derivative of that backward pass against finite differences *of that backward
    pass*, not the first derivative itself: a backward with a wrong formula (a square forgotten)
    can pass here, and so can one that calls a Tensor method (``x.abs()``: here its arguments are
    Tensors, which have them). Run :func:`gradcheck` first (as in PyTorch).

    >>> import tinygrad_rnn as tr
    >>> x = tr.randn(3, dtype="float64", requires_grad=True)
    >>> gradgradcheck(lambda x: (x * x).exp(), [x])
    True
    """
    inputs = list(inputs)
    outputs = as_tuple(fn(*inputs))
    rng = numpy.random.default_rng(seed + 1)
    upstream = [Tensor(rng.standard_normal(out.shape), requires_grad=True, device=out.device) for out in outputs]
    differentiable = [x for x in inputs if x.requires_grad]

    def backward_pass(*args: Any) -> tuple[Tensor, ...]:
        xs, rs = args[: len(inputs)], args[len(inputs):]
        chosen = [x for x in xs if x.requires_grad]
        projected = sum((out * r).sum() for out, r in zip(as_tuple(fn(*xs)), rs))
        grads = grad(projected, chosen, create_graph=True, allow_unused=True)
        return _zero_filled(grads, chosen)

    if not differentiable:
        raise ValueError("gradgradcheck: no input requires grad")
    return gradcheck(backward_pass, inputs + upstream, eps, atol, rtol, seed)


def _finite_difference(projected: Callable[..., Tensor], inputs: list[Tensor], x: Tensor, eps: float) -> Any:
    """Central differences of the scalar ``projected(*inputs)`` with respect to each entry of x."""
    original = x.array.copy()
    flat = x.array.reshape(-1)  # a view: writing to it perturbs x in place
    numeric = numpy.zeros(flat.shape, dtype=numpy.float64)
    for i in range(flat.size):
        values = []
        for step in (eps, -eps):
            flat[i] = original.reshape(-1)[i] + step
            values.append(float(projected(*inputs).array))  # recorded, but never backpropagated
        flat[i] = original.reshape(-1)[i]
        numeric[i] = (values[0] - values[1]) / (2 * eps)
    x.array[...] = original
    return numeric.reshape(x.shape)


def _assert_close(actual: Tensor, expected: Any, atol: float, rtol: float, what: str,
                  names: tuple[str, str]) -> None:
    """Raise if ``actual`` and ``expected`` differ; ``what`` is the gradient and the run it came
    from, ``names`` what each of the two values is, for the message."""
    actual_array = actual.numpy() if isinstance(actual, Tensor) else numpy.asarray(actual)
    expected_array = expected.numpy() if isinstance(expected, Tensor) else numpy.asarray(expected)
    if not numpy.allclose(actual_array, expected_array, atol=atol, rtol=rtol):
        error = numpy.abs(actual_array - expected_array)
        worst = numpy.unravel_index(numpy.argmax(error), error.shape) if error.ndim else ()
        raise AssertionError(
            f"{what}: {names[0]} and {names[1]} disagree; worst entry {tuple(int(i) for i in worst)}: "
            f"{names[0]} {actual_array[worst]}, {names[1]} {expected_array[worst]} (|difference| {error.max():.3g}, "
            f"atol {atol}, rtol {rtol})"
        )


def _zero_filled(grads: Sequence[Tensor | None], inputs: Sequence[Tensor]) -> tuple[Tensor, ...]:
    """None (an input the output does not depend on) becomes a zero gradient."""
    return tuple(Tensor._make(x.device.xp.zeros_like(x.array)) if g is None else g for g, x in zip(grads, inputs))


@contextlib.contextmanager
def _grads_read_only() -> Iterator[None]:
    """Within, every plain backward gets its ``grad`` as a read-only view, so one that writes into it
    (``grad /= …``, which the op contract forbids) fails, naming the op, rather than changing a gradient
    that another use of the same array receives too (``a + b`` hands both the same array).

    Only in :func:`gradcheck`: a read-only view for every backward costs 5–7% of a recorded op
    (benchmarks/per_op_overhead.py's chain, +250–315 ns on 4.6 µs an op), so ordinary runs do not pay it.
    """
    table = engine.GRADIENT_TABLE

    class ReadOnlyGrads(table):  # the installed table (fast/'s or the plain one), handing out views
        def pop(self, vertex: Any, scope: tuple[str, ...]) -> Any:
            total = super().pop(vertex, scope)
            if type(total) is numpy.ndarray:
                total = total.view()
                total.setflags(write=False)
            return total

        def is_fresh(self, vertex: Any) -> bool:
            return False  # a view is never stored in .grad as it is

    engine.GRADIENT_TABLE = ReadOnlyGrads
    try:
        yield
    finally:
        engine.GRADIENT_TABLE = table
