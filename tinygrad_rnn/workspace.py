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
never handed out again. Finding a free array and taking it happen under one lock, so threads
sharing the workspace never get the same one. CuPy pools GPU memory itself, and small arrays
come cheaply from the heap: both are left to their own allocators.
"""

from __future__ import annotations

import math
import sys
import threading
from typing import Any

import numpy


class Workspace:
    """Arrays handed out, and handed out again once nobody else holds them.

    A request is served by the smallest free array of its dtype that holds at least its bytes
    and at most a quarter more — as the array itself when the shape is the same, else as a view
    of its first bytes — so the gradient of a (T, B, H) sequence can use the memory a (B, T, H)
    output had, once that output is freed. At most ``most`` arrays are remembered (the one used
    longest ago forgotten first); arrays under ``smallest`` bytes are not pooled.

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
    >>> pool.take((3, 2), numpy.float32).base is not None     # the same bytes in another shape: a view
    True
    """

    most = 32  # arrays remembered (two layers of two directions use about 20)
    slack = 1.25  # a request may be served by an array this many times its size

    def __init__(self, smallest: int = 64 * 1024) -> None:
        self.smallest = smallest  # bytes: below it, numpy.empty (the heap; no pages to fault)
        self.arrays: list = []  # the arrays handed out, the one used last at the end
        self.lock = threading.Lock()

    def take(self, shape: tuple[int, ...], dtype: Any, xp: Any = numpy) -> Any:
        """An array of ``shape`` and ``dtype``, its values undefined (as numpy.empty's): memory
        that nobody holds any more if there is some, else a new array."""
        dtype, count = numpy.dtype(dtype), math.prod(shape)
        size = count * dtype.itemsize
        if xp is not numpy or size < self.smallest:
            return xp.empty(shape, dtype=dtype)
        with self.lock:  # (two threads must never both find the same array free)
            found, found_bytes, most_bytes = None, 0, size * self.slack
            for index in range(len(self.arrays)):
                array = self.arrays[index]
                # held by this list, the name ``array`` and getrefcount's argument — by nobody else?
                if size <= array.nbytes <= most_bytes and array.dtype == dtype and sys.getrefcount(array) <= _UNHELD:
                    if found is None or array.nbytes < found_bytes:
                        found, found_bytes = index, array.nbytes
            if found is None:
                best = numpy.empty(shape, dtype=dtype)
                if len(self.arrays) == self.most:
                    del self.arrays[0]  # the one used longest ago
            else:
                best = self.arrays.pop(found)
            self.arrays.append(best)  # used last: kept longest
        if best.shape == tuple(shape):
            return best
        return best.reshape(-1)[:count].reshape(shape)

    def zeros(self, shape: tuple[int, ...], dtype: Any, xp: Any = numpy) -> Any:
        """As :meth:`take`, filled with zeros."""
        array = self.take(shape, dtype, xp)
        array.fill(0)
        return array

    def clear(self) -> None:
        """Forget every array (those nobody holds are freed)."""
        with self.lock:
            self.arrays.clear()


def _count_unheld() -> int:
    """The reference count :meth:`Workspace.take` sees for an array nobody else holds, measured the
    way it looks (an element of a list, bound to a name in a loop) rather than assumed:
    interpreters differ in the references their own frames take (CPython 3.14 skips some), and a
    count one too low would hand out an array somebody holds."""
    arrays = [numpy.empty(0)]
    for index in range(len(arrays)):
        array = arrays[index]
        return sys.getrefcount(array)
    raise AssertionError  # (unreachable)


_UNHELD = _count_unheld()


WORKSPACE = Workspace()
