"""Large arrays reused from one training step to the next, once nobody holds them.

A hand-written NumPy training loop allocates its large arrays — the states, the gates, the
logits and their gradients — once, and every step writes them again. A framework that asks
NumPy for fresh ones each step pays for more than the allocation: glibc hands large freed
arrays back to the system, and a fresh one faults its pages in again, one 4 KiB page at a time,
as it is first written (at 128 units the tanh RNN's training step faulted 1,250 pages, and took
1.5–1.9× the time it takes with no fault at all). The ops that make a training step's large arrays
— a layer node's buffers, the products of ``linear``, an embedding's lookup, the loss — take
them from here instead (``WORKSPACE.take``, in place of ``numpy.empty``).

The rule that makes it safe: the workspace remembers the arrays it handed out, and hands one
out again only when its reference count says that nothing but the workspace holds it — no
tensor, no saved array of a graph, no recorded backward, no view of it (a view keeps its base
alive). So no value anybody can read ever changes under them; an array a user keeps is simply
never handed out again. CuPy pools GPU memory itself, and small arrays come cheaply from the
heap: both are left to their own allocators.
"""

from __future__ import annotations

import math
import sys
from typing import Any

import numpy


class Workspace:
    """Arrays handed out by shape and dtype, taken again once nobody else holds them.

    It remembers at most ``kept`` arrays of a shape (the oldest forgotten for a new one) and
    ``most`` in all (the shapes used longest ago go first: batches of many lengths keep only the
    recent ones). Arrays under ``smallest`` bytes are not pooled.

    >>> pool = Workspace(smallest=0)
    >>> first = pool.take((2, 3), numpy.float32)
    >>> pool.take((2, 3), numpy.float32) is first             # the name ``first`` holds it: a new one
    False
    >>> view = first[0]; del first
    >>> pool.take((2, 3), numpy.float32) is view.base         # a view of it is held: a new one
    False
    >>> kept = id(view.base); del view
    >>> id(pool.take((2, 3), numpy.float32)) == kept          # nobody holds it now: handed out again
    True
    """

    kept = 8  # of a shape (two layers of two directions: a state buffer, an output and a gradient each)
    most = 32

    def __init__(self, smallest: int = 64 * 1024) -> None:
        self.smallest = smallest  # bytes: below it, numpy.empty (the heap; no pages to fault)
        self.arrays: dict[tuple, list] = {}  # (shape, dtype) → the arrays handed out; the shape used last comes last

    def take(self, shape: tuple[int, ...], dtype: Any, xp: Any = numpy) -> Any:
        """An array of ``shape`` and ``dtype``, its values undefined (as numpy.empty's): one that
        nobody holds any more if there is one, else a new one."""
        dtype = numpy.dtype(dtype)
        if xp is not numpy or math.prod(shape) * dtype.itemsize < self.smallest:
            return xp.empty(shape, dtype=dtype)
        key = (tuple(shape), dtype)
        arrays = self.arrays.pop(key, [])
        self.arrays[key] = arrays  # used last: kept longest
        for array in arrays:
            if sys.getrefcount(array) <= 3:  # held by this list, this loop's variable and getrefcount's argument
                return array
        array = numpy.empty(shape, dtype=dtype)
        if len(arrays) == self.kept:
            arrays.pop(0)  # the oldest is still held by someone: forgotten
        arrays.append(array)
        while sum(map(len, self.arrays.values())) > self.most:  # the shape used longest ago goes first
            oldest = next(iter(self.arrays))
            self.arrays[oldest].pop(0)
            if not self.arrays[oldest]:
                del self.arrays[oldest]
        return array

    def zeros(self, shape: tuple[int, ...], dtype: Any, xp: Any = numpy) -> Any:
        """As :meth:`take`, filled with zeros."""
        array = self.take(shape, dtype, xp)
        array.fill(0)
        return array

    def clear(self) -> None:
        """Forget every array (those nobody holds are freed)."""
        self.arrays.clear()


WORKSPACE = Workspace()
