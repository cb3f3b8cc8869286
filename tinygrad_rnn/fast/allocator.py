"""The allocator: glibc told to keep the memory a training step frees, for the next step.

**Replaces** nothing in the code: the plain path asks NumPy for every array (``xp.exp(x)``,
``numpy.empty``), and NumPy asks the C allocator. What this changes is what glibc does with a
large freed array. By default it hands it back to the system (arrays of 128 KiB and more are
mapped on their own, and a freed top of the heap is trimmed), so the next step's arrays fault
their pages in again, one 4 KiB page at a time, as they are first written. A hand-written NumPy
loop avoids that by allocating its buffers once; this module gets the same effect for every op
at once by raising two of glibc's thresholds (``mallopt``): arrays up to 32 MiB come from the
heap, and up to 1 GiB of freed heap stays in the process.

**Buys** (docs/fast.md): at 32 × 64 steps × 128 units, a training step 1.2–2.1× faster than
with glibc's defaults (tanh RNN 14.5–17.3 → 8.1–8.9 ms, LSTM 38–43 → 28–29 ms, GRU 31–36 →
21–25 ms); as fast as the reference-counted workspace it replaces (ws: 7.8–11.4, 31–42,
22–23 ms), which took a large array from a pool in each op that makes one — 115 lines, and
speed code inside the plain ops. At batch 1 every array is small and comes from the heap
anyway: no change. The peak memory of a step through T=1000 is lower than with the workspace,
which kept the arrays it pooled alive (LSTM 313 → 295 MB, GRU 288 → 263 MB, tanh RNN 125 → 116 MB,
tracemalloc, once ``linear`` pools nothing either). **Costs**: the process keeps up to 1 GiB of
freed memory; nothing changes on a C library without ``mallopt`` (macOS, Windows, musl), where
:func:`install` does nothing.

>>> from tinygrad_rnn.fast import allocator
>>> allocator.installed() in (True, False)     # True on Linux with glibc, once fast/ is installed
True
"""

from __future__ import annotations

import ctypes
from typing import Any

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's malloc.h
KEEP = {M_MMAP_THRESHOLD: 32 * 2**20, M_TRIM_THRESHOLD: 2**30}  # bytes: the settings installed
DEFAULT = {M_MMAP_THRESHOLD: 128 * 2**10, M_TRIM_THRESHOLD: 128 * 2**10}  # glibc's starting values

_installed = False


def install() -> None:
    """Keep freed memory in the process (glibc only; elsewhere nothing changes)."""
    global _installed
    _installed = _set(KEEP)


def uninstall() -> None:
    """glibc's starting thresholds again (fixed there: glibc no longer raises them as it goes)."""
    global _installed
    if _installed:
        _set(DEFAULT)
    _installed = False


def installed() -> bool:
    """True while glibc keeps freed memory on this module's word."""
    return _installed


def _set(thresholds: dict[int, int]) -> bool:
    libc = _glibc()
    return libc is not None and all(libc.mallopt(option, value) == 1 for option, value in thresholds.items())


def _glibc() -> Any:
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (macOS, Windows, musl)
        return None
    return libc if hasattr(libc, "mallopt") else None
