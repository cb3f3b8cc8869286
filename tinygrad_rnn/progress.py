"""Progress of a long loop: a live bar in a terminal, a few plain lines anywhere else.

A tqdm bar redraws itself several times a second with a carriage return. In a terminal that is
one line that moves; written into a log file or a pipe, every frame stays (hundreds of kB for a
few hundred steps), and in Jupyter without ipywidgets tqdm warns and stores a frame per redraw.
So :func:`progress` picks by where the output goes:

* a terminal: tqdm's bar;
* Jupyter with ipywidgets: tqdm's notebook widget;
* anything else (a file, a pipe, CI, Jupyter without ipywidgets): one line every
  :data:`EVERY_FRACTION` of the steps or every :data:`EVERY_SECONDS`, whichever comes first,
  and one at the end — about a dozen lines whatever the number of steps.

>>> import io
>>> log = io.StringIO()  # not a terminal
>>> with progress(total=400, desc="training", file=log) as bar:
...     for step in range(400):
...         bar.update(1)
>>> len(log.getvalue().splitlines())
10
>>> log.getvalue().splitlines()[-1]
'training: 400/400 steps (100%), 0 s'
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

EVERY_FRACTION = 0.1  # a line per tenth of the steps …
EVERY_SECONDS = 10.0  # … or per ten seconds, whichever comes first


def progress(iterable: Iterable[Any] | None = None, total: int | None = None, desc: str = "", initial: int = 0,
             unit: str = "step", disable: bool = False, leave: bool = True, file: TextIO | None = None) -> Any:
    """A progress display with tqdm's interface (iterate over it, or ``update``, ``set_postfix``,
    ``write``, ``close``), chosen by where ``file`` (default: standard error) leads: tqdm's bar in
    a terminal or a notebook with ipywidgets, else a line every 10 % of the steps or 10 s."""
    stream = sys.stderr if file is None else file
    if total is None and iterable is not None and hasattr(iterable, "__len__"):
        total = len(iterable)  # type: ignore[arg-type]
    options = {"total": total, "desc": desc, "initial": initial, "unit": unit, "leave": leave}
    if not disable and _is_terminal(stream) and not _in_notebook():
        from tqdm import tqdm

        return tqdm(iterable, file=stream, dynamic_ncols=True, **options)
    if not disable and _in_notebook() and _widgets_available():
        from tqdm.notebook import tqdm as notebook_tqdm

        return notebook_tqdm(iterable, **options)
    return LogLines(iterable, total, desc, initial, unit, None if disable else stream)


class LogLines:
    """Progress as plain lines: ``desc: n/total steps (p%), s s, ~r s left, postfix``."""

    def __init__(self, iterable: Iterable[Any] | None, total: int | None, desc: str, initial: int, unit: str,
                 file: TextIO | None) -> None:
        self.iterable, self.total, self.desc, self.unit, self.file = iterable, total, desc, unit, file
        self.n = self.shown = initial
        self.started = self.last_line = time.monotonic()
        self.postfix = ""

    def __iter__(self) -> Iterator[Any]:
        for item in self.iterable or ():
            yield item
            self.update(1)
        self.close()

    def __enter__(self) -> LogLines:
        return self

    def __exit__(self, *exception: Any) -> None:
        self.close()

    def update(self, n: int = 1) -> None:
        self.n += n
        now = time.monotonic()
        step = max(1, round(EVERY_FRACTION * self.total)) if self.total else None
        if (step is not None and self.n // step > self.shown // step) or now - self.last_line >= EVERY_SECONDS:
            self._line(now)

    def set_postfix(self, refresh: bool = True, **values: Any) -> None:
        self.postfix = ", ".join(f"{name}={value}" for name, value in values.items())

    def write(self, text: str) -> None:
        if self.file is not None:
            print(text, file=self.file, flush=True)

    def close(self) -> None:
        if self.n != self.shown:  # the last steps since the last line
            self._line(time.monotonic())

    def _line(self, now: float) -> None:
        elapsed = now - self.started
        text = f"{self.desc}: {self.n}" if self.desc else f"{self.n}"
        if self.total:
            text += f"/{self.total} {self.unit}s ({100 * self.n / self.total:.0f}%)"
        else:
            text += f" {self.unit}s"
        text += f", {elapsed:.0f} s"
        if self.total and 0 < self.n < self.total:
            text += f", ~{elapsed / self.n * (self.total - self.n):.0f} s left"
        self.write(text + (f", {self.postfix}" if self.postfix else ""))
        self.shown, self.last_line = self.n, now


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def _in_notebook() -> bool:
    """Whether this runs in a Jupyter kernel (IPython imported, with a kernel app)."""
    ipython = sys.modules.get("IPython")
    shell = getattr(ipython, "get_ipython", lambda: None)() if ipython is not None else None
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def _widgets_available() -> bool:
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True
