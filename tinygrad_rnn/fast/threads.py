"""The BLAS thread policy: as many threads as the cores other processes leave free — the seam
``BLAS_THREAD_POLICY`` of :mod:`tinygrad_rnn.nn.recurrent`, called as a recurrent layer's forward starts
(and the fixed-window language model's, whose small products are as many).

**Replaces** BLAS's own thread count (the plain path leaves it alone and never reads the machine's
load). **Buys**: beside one busy process on 2 cores, an LSTM training step at 1.0–1.3× its quiet
time instead of 2.5–3.4× (docs/benchmarks.md, "BLAS threads"); on a quiet machine, nothing.

OpenBLAS splits each matrix product over every core, and its threads meet at a barrier after each
product. When another process keeps a core busy (a video call, a compile, a second training run),
one of those threads waits for that core at every barrier — and a recurrent network makes a few
small products per time step, so it waits hundreds of times a second. Measured on 2 cores beside
one busy process, an LSTM training step took 2.5–3.4× its quiet time with BLAS's default threads,
and 1.0–1.3× with one thread (docs/benchmarks.md, "BLAS threads"). On a quiet machine the default
is right: at 512 units and more two threads are 1.3–1.5× faster than one, and below 128 units
the thread count makes no difference the table can see.

So the policy follows the machine, not the matrix sizes: once :func:`install` has run, every
recurrent layer's forward (and the fixed-window language model's, whose products are as small) calls
:func:`adapt`, which at most once a second reads how much CPU time
other processes took since its last look (less this process's own time) and, where they kept k
cores busy, runs BLAS on the cores left (at least one); on a quiet machine BLAS keeps its own
count. Its first look has no earlier one to compare with: there the one-minute load average
decides, until the next. The setting is
process-wide, as ``torch.set_num_threads`` is, so the rest of a training step (the head, the loss,
the optimizer) runs on it too.

The machine's CPU time is read from Linux's ``/proc/stat``; on macOS and Windows from psutil, if it
is installed (``pip install psutil``; it is not a dependency). With neither, "auto" stays off —
BLAS keeps its own count, as under ``set_blas_threads(None)`` — and :func:`load_source` says None.

* ``tr.set_blas_threads("auto")``: the policy above (the default);
* ``tr.set_blas_threads(n)``: n threads, whatever the machine does;
* ``tr.set_blas_threads(None)``: BLAS's own count, as ``OPENBLAS_NUM_THREADS`` or threadpoolctl
  set it — nothing is changed.

>>> import tinygrad_rnn as tr
>>> tr.set_blas_threads(None); tr.get_blas_threads() is None
True
>>> tr.set_blas_threads("auto"); tr.get_blas_threads()
'auto'
>>> threads_for(cores=2, others_busy=0.1), threads_for(cores=2, others_busy=1.0), threads_for(cores=8, others_busy=2.2)
(None, 1, 6)
"""

from __future__ import annotations

import math
import os
import time
from typing import Any

CHECK_EVERY = 1.0  # seconds between two looks at the machine's load
BUSY = 0.5  # cores' worth of other processes' CPU time from which a core counts as taken

_policy: Any = "auto"
_limiter: Any = None  # threadpoolctl's limit in force (None: BLAS's own count)
_applied: int | None = None  # the thread count this module set (None: BLAS's own)
_auto: int | None = None  # what "auto" chose at its last look
_last: tuple[float, float, float] | None = None  # (wall time, busy CPU s of the machine, of this process)
_controller: Any = None  # threadpoolctl's view of the BLAS libraries loaded, made on first use


def install() -> None:
    """Recurrent layers adapt BLAS's threads to the machine as they run (under the policy "auto")."""
    from ..nn import recurrent

    recurrent.BLAS_THREAD_POLICY = adapt


def uninstall() -> None:
    """Layers leave BLAS's threads alone again, and BLAS has its own count back."""
    from ..nn import recurrent

    recurrent.BLAS_THREAD_POLICY = None
    _apply(None)


def set_blas_threads(threads: int | str | None) -> None:
    """Choose how many threads BLAS runs on: ``"auto"`` (the cores other processes leave free), a
    number, or None (BLAS's own count; a count set before is undone). "auto" needs to read the
    machine's load: on Linux it can, elsewhere only with psutil installed; without it, "auto"
    leaves BLAS's own count (see :func:`load_source`)."""
    global _policy
    if not (threads is None or threads == "auto" or (isinstance(threads, int) and threads >= 1)):
        raise ValueError(f"set_blas_threads: expected 'auto', a number of threads (1 or more) or None, got {threads!r}")
    _policy = threads
    _apply(_auto if threads == "auto" else threads)


def get_blas_threads() -> int | str | None:
    """The BLAS thread policy (see :func:`set_blas_threads`)."""
    return _policy


def adapt() -> None:
    """Bring BLAS's thread count in line with the policy (a recurrent layer calls this as it runs).
    Cheap: under ``"auto"`` the machine is looked at at most once every :data:`CHECK_EVERY` s."""
    global _last, _auto
    if _policy != "auto":
        return
    now = time.monotonic()
    if _last is not None and now - _last[0] < CHECK_EVERY:
        return
    machine = _machine_busy_seconds()
    if machine is None:  # no /proc/stat and no psutil: BLAS keeps its own count; look no more
        _last = (float("inf"), 0.0, 0.0)
        return
    own = sum(os.times()[:2])
    if _last is not None:
        wall = now - _last[0]
        others = max(0.0, (machine - _last[1]) - (own - _last[2])) / wall
    else:  # the first look: no second of the machine's to compare with yet, so its load average decides until the
        # next (waiting a second on BLAS's own count cost the fixed-window model, a second's training, 5× its time)
        others = _others_by_load_average(own)
    if others is not None:
        _auto = threads_for(os.cpu_count() or 1, others)
        _apply(_auto)
    _last = (now, machine, own)


def threads_for(cores: int, others_busy: float) -> int | None:
    """The threads "auto" gives when other processes keep ``others_busy`` cores' worth busy:
    None (BLAS's own count) on a quiet machine, else the cores they leave free, at least one."""
    if others_busy < BUSY:
        return None
    return max(1, cores - math.ceil(others_busy - BUSY / 2))


def _others_by_load_average(own_seconds: float) -> float | None:
    """How many cores' worth other processes kept busy, by the one-minute load average, less this process's own
    part of it (an average over the last minute: after ``own_seconds`` of CPU time, 1 − e^(−own_seconds/60) of a
    core's); None where the system keeps no load average (Windows)."""
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return None
    return max(0.0, load - (1.0 - math.exp(-own_seconds / 60.0)))


def load_source() -> str | None:
    """Where "auto" reads the machine's load: ``"/proc/stat"`` (Linux), ``"psutil"`` (macOS,
    Windows, with psutil installed), or None — then "auto" changes nothing."""
    if _proc_stat_busy_seconds() is not None:
        return "/proc/stat"
    return "psutil" if _psutil_busy_seconds() is not None else None


def _machine_busy_seconds() -> float | None:
    """CPU seconds the whole machine has spent busy since boot (None where it cannot be read)."""
    found = _proc_stat_busy_seconds()
    return found if found is not None else _psutil_busy_seconds()


def _proc_stat_busy_seconds() -> float | None:
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = stat.readline().split()[1:]
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq = (int(f) for f in fields[:7])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def _psutil_busy_seconds() -> float | None:
    try:
        import psutil
    except ImportError:
        return None
    times = psutil.cpu_times()  # the fields differ by system; idle (and I/O wait) is what is not busy
    guest = getattr(times, "guest", 0.0) + getattr(times, "guest_nice", 0.0)  # already in user and nice
    return sum(times) - times.idle - getattr(times, "iowait", 0.0) - guest


def _apply(threads: int | None) -> None:
    """Run BLAS on ``threads`` threads from now on (None: back to its own count)."""
    global _limiter, _applied
    if threads == _applied:
        return
    if _limiter is not None:
        _limiter.restore_original_limits()
        _limiter = None
    if threads is not None and _blas() is not None:
        _limiter = _blas().limit(limits=threads, user_api="blas")
    _applied = threads


def _blas() -> Any:
    global _controller
    if _controller is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # pragma: no cover - a dependency; without it BLAS keeps its own count
            _controller = False
        else:
            _controller = ThreadpoolController()
    return _controller or None
