"""Making tensors: from data, filled with a constant, or random from the package's seeded generator.

Random numbers are drawn on the host from one NumPy generator and then moved to the device, so a
seed gives the same numbers on CPU and GPU.
"""

from __future__ import annotations

from typing import Any

import numpy

from .conversion import DEFAULT_FLOAT, as_dtype
from .device import get_device, move_array
from .inplace import set_item
from .ops.reduce import mark_choice
from .ops.shape import shape_argument
from .tensor import Tensor

_generator = numpy.random.default_rng()


def manual_seed(seed: int) -> None:
    """Seed the generator behind randn, rand and the nn initialisers.

    >>> manual_seed(0); a = randn(3)
    >>> manual_seed(0); b = randn(3)
    >>> bool((a == b).all())
    True
    """
    global _generator
    _generator = numpy.random.default_rng(seed)


def generator() -> numpy.random.Generator:
    """The package's random generator (seeded by :func:`manual_seed`)."""
    return _generator


def fill_random_(tensor: Tensor, distribution: str, *parameters: float) -> Tensor:
    """Samples of ``distribution`` ("uniform" or "normal", with its parameters) drawn from the
    package's generator and written into ``tensor`` in place, in its dtype and on its device, under
    the rules of inplace.py (a parameter only through ``.data`` or under ``no_grad()``): what
    ``Tensor.uniform_`` and ``Tensor.normal_`` do. Returns ``tensor``.

    >>> manual_seed(0); x = zeros(3)
    >>> bool((fill_random_(x, "uniform", 2.0, 3.0) >= 2.0).all())
    True
    """
    if tensor.dtype.kind != "f":
        raise TypeError(f"{distribution}_: the tensor is {tensor.dtype}; random samples need a floating-point "
                        "tensor (convert it first, e.g. x = x.float())")
    return write_host_values_(tensor, getattr(_generator, distribution)(*parameters, tensor.shape),
                              f".{distribution}_(…)")


def write_host_values_(tensor: Tensor, values: numpy.ndarray, written: str) -> Tensor:
    """``values``, drawn on the host, written into ``tensor`` in place in its dtype and on its device,
    under the rules of inplace.py (``written``: how the caller wrote it, for their messages); returns
    ``tensor``. The one place random draws and nn.init's values reach a tensor.

    >>> x = zeros(2, dtype="float64")
    >>> write_host_values_(x, numpy.array([1.5, 2.5]), ".copy_(…)").tolist()
    [1.5, 2.5]
    """
    set_item(tensor, ..., move_array(values.astype(tensor.dtype), tensor.device), written)
    return tensor


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None, device: Any = None,
           name: str | None = None) -> Tensor:
    """A new tensor holding a copy of ``data``, as ``torch.tensor``.

    >>> tensor([[1, 2], [3, 4]]).dtype, tensor(1.5).dtype
    (dtype('int64'), dtype('float32'))
    """
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, device=device, name=name)


def _shape_and_dtype(shape: tuple, dtype: Any) -> tuple[tuple[int, ...], Any]:
    """A new tensor's shape, written ``zeros(2, 3)`` or ``zeros((2, 3))``, and its dtype: the default float
    unless one is given (what every creation function, filled or random, reads from its arguments)."""
    return shape_argument(shape, "a new tensor's shape"), DEFAULT_FLOAT if dtype is None else as_dtype(dtype)


def _filled(fill: Any, shape: tuple, dtype: Any, device: Any, requires_grad: bool) -> Tensor:
    device = get_device(device)
    shape, dtype = _shape_and_dtype(shape, dtype)
    data = device.xp.full(shape, fill, dtype=dtype)
    return Tensor._make(data).requires_grad_(requires_grad)


def zeros(*shape: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``.

    >>> zeros(2, 3).shape
    (2, 3)
    """
    return _filled(0, shape, dtype, device, requires_grad)


def ones(*shape: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones.

    >>> ones(2).tolist()
    [1.0, 1.0]
    """
    return _filled(1, shape, dtype, device, requires_grad)


def full(shape: Any, fill_value: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value``.

    >>> full((2,), 7.0).tolist()
    [7.0, 7.0]
    """
    # a tuple passed on as it is, not wrapped once more: new_ones(*size) hands on ((1, 3),), which the shape
    # reader unwraps once
    return _filled(fill_value, shape if isinstance(shape, (tuple, list)) else (shape,), dtype, device, requires_grad)


def zeros_like(other: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape (and, unless given, dtype and device) of ``other``.

    >>> zeros_like(ones(2, dtype="float64")).dtype
    dtype('float64')
    """
    return _filled(0, other.shape, dtype or other.dtype, device or other.device, requires_grad)


def ones_like(other: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones with the shape (and, unless given, dtype and device) of ``other``.

    >>> ones_like(zeros(3)).tolist()
    [1.0, 1.0, 1.0]
    """
    return _filled(1, other.shape, dtype or other.dtype, device or other.device, requires_grad)


def from_numpy(array: numpy.ndarray) -> Tensor:
    """A tensor on the CPU that shares ``array``'s memory and dtype, as ``torch.from_numpy``: a
    write into one shows in the other. (``tensor(array)`` copies.)

    >>> values = numpy.zeros(2)
    >>> x = from_numpy(values)
    >>> values[0] = 5.0
    >>> x.tolist(), x.dtype
    ([5.0, 0.0], dtype('float64'))
    """
    if not isinstance(array, numpy.ndarray):
        raise TypeError(f"from_numpy: expects a NumPy array, got {type(array).__name__}; "
                        "tr.tensor(data) copies any data")
    as_dtype(array.dtype)  # a dtype the tensor supports, or an error that says which are
    return Tensor._make(array)


def is_tensor(obj: Any) -> bool:
    """True if ``obj`` is a Tensor (a Parameter too), as ``torch.is_tensor``.

    >>> is_tensor(zeros(1)), is_tensor(numpy.zeros(1))
    (True, False)
    """
    return isinstance(obj, Tensor)


def _random(draw: Any, shape: tuple, dtype: Any, device: Any, requires_grad: bool) -> Tensor:
    shape, dtype = _shape_and_dtype(shape, dtype)
    return Tensor(draw(shape).astype(dtype), device=device, requires_grad=requires_grad)


def randn(*shape: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Samples of the standard normal distribution N(0, 1).

    >>> randn(2, 3).shape
    (2, 3)
    """
    return _random(_generator.standard_normal, shape, dtype, device, requires_grad)


def rand(*shape: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Samples of the uniform distribution on [0, 1).

    >>> bool(((rand(100) >= 0) & (rand(100) < 1)).all())
    True
    """
    return _random(_generator.random, shape, dtype, device, requires_grad)


def randint(low: int, high: Any = None, size: Any = None, *, dtype: Any = None, device: Any = None,
            generator: numpy.random.Generator | None = None) -> Tensor:
    """Integers drawn uniformly from [low, high), as ``torch.randint``: ``randint(high, size)`` or
    ``randint(low, high, size)``; int64 unless ``dtype`` says otherwise.

    >>> manual_seed(0)
    >>> ids = randint(5, (2, 3))
    >>> ids.shape, ids.dtype, bool(((ids >= 0) & (ids < 5)).all())
    ((2, 3), dtype('int64'), True)
    """
    if size is None and isinstance(high, (tuple, list)):  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:  # randint(high, size=...)
        low, high = 0, low
    if size is None:
        raise TypeError("randint: needs a size: randint(high, size) or randint(low, high, size), "
                        "e.g. randint(10, (3,))")
    if high <= low:
        raise ValueError(f"randint: the range [{low}, {high}) is empty; need low < high")
    shape = (size,) if isinstance(size, int) else tuple(size)
    drawn = (generator or _generator).integers(low, high, size=shape)
    return Tensor(drawn, dtype="int64" if dtype is None else dtype, device=device)


def arange(start: Any, end: Any = None, step: Any = 1, dtype: Any = None, device: Any = None) -> Tensor:
    """Evenly spaced values in [start, end): integers if all arguments are integers.

    >>> arange(4).tolist(), arange(0, 1, 0.5).tolist()
    ([0, 1, 2, 3], [0.0, 0.5])
    """
    if end is None:
        start, end = 0, start
    values = numpy.arange(start, end, step)
    if dtype is None and values.dtype.kind == "f":
        dtype = DEFAULT_FLOAT
    return Tensor(values, dtype=dtype, device=device)


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator: numpy.random.Generator | None = None) -> Tensor:
    """Indices drawn from the categorical distribution each row of ``input`` gives, as
    ``torch.multinomial``: the weights are non-negative and need not sum to 1; without
    ``replacement`` a row's samples are distinct (each drawn from the categories left). From the
    package's generator (:func:`manual_seed`), or ``generator``. A language model samples its next
    word so: ``next_id = tr.multinomial(logits.softmax(-1), 1)`` (and a drawing of that loop shows
    the sampled ids' link back to the scores).

    >>> manual_seed(0)
    >>> multinomial(tensor([0.0, 10.0, 0.0]), 2, replacement=True).tolist()
    [1, 1]
    >>> multinomial(tensor([[1.0, 0.0], [0.0, 1.0]]), 1).tolist()
    [[0], [1]]
    """
    weights = input.numpy().astype(numpy.float64)
    if weights.ndim not in (1, 2) or weights.shape[-1] == 0:
        raise ValueError(f"multinomial: expects weights of shape (categories,) or (rows, categories), got "
                         f"shape {input.shape}")
    if not numpy.isfinite(weights).all() or (weights < 0).any():
        raise ValueError("multinomial: the weights must be finite and non-negative (probabilities, or "
                         "unnormalised ones); got a negative, inf or NaN entry. softmax makes logits such weights")
    rows = weights.reshape(-1, weights.shape[-1])
    if rows.sum(axis=1).min() == 0:
        raise ValueError("multinomial: a row of weights sums to 0; every row needs a category of positive weight")
    possible = (rows > 0).sum(axis=1).min()
    if not replacement and num_samples > possible:
        raise ValueError(f"multinomial: cannot draw {num_samples} distinct samples from a row with {possible} "
                         "categories of nonzero weight; pass replacement=True, or draw fewer")
    rng = generator or _generator
    drawn = numpy.stack([rng.choice(row.size, size=num_samples, replace=replacement, p=row / row.sum())
                         for row in rows]).astype(numpy.int64)
    ids = Tensor(drawn.reshape(weights.shape[:-1] + (num_samples,)), device=input.device)
    return mark_choice(ids, input, "sampled")  # an embedding of them links back to the scores, for drawings
