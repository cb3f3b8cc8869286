"""Run a PyTorch script on tinygrad_rnn, as ``tinygrad-rnn run-torch SCRIPT [ARGS...]`` does.

The script runs as ``python SCRIPT ARGS`` would run it (``sys.argv``, its folder first on
``sys.path``, ``__name__ == "__main__"``), with ``import torch`` answered by tinygrad_rnn. A PyTorch
name that tinygrad_rnn lacks ends the run with one line: where in the script, the name, and what to
use instead. Any other error is the script's own, and shows its traceback as Python would.
"""

from __future__ import annotations

import os
import pathlib
import runpy
import sys
import traceback
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from ..tensor import Tensor
from .install import NotProvided, NotProvidedModule, install_as_torch
from .names import NOT_PROVIDED, not_provided_message

_PACKAGE = str(pathlib.Path(__file__).resolve().parent.parent)


def run_script(path: str | os.PathLike, arguments: Sequence[str] = ()) -> int:
    """Run the script at ``path`` with ``arguments`` and ``import torch`` resolving to tinygrad_rnn;
    return its exit status (0, or what it passed to ``sys.exit``; 1 after an error).

    >>> import pathlib, tempfile
    >>> script = pathlib.Path(tempfile.mkdtemp()) / "hello.py"
    >>> _ = script.write_text("import sys, torch\\nprint(torch.ones(2).sum().item(), sys.argv[1:])")
    >>> run_script(script, ["--lr", "20"])
    2.0 ['--lr', '20']
    0
    """
    script = pathlib.Path(path)
    if not script.is_file():
        raise FileNotFoundError(f"no script at {str(script)!r}")
    saved_argv, saved_path = sys.argv, list(sys.path)
    sys.argv = [str(script), *arguments]
    sys.path.insert(0, str(script.resolve().parent))  # the script's own modules import, as under python
    try:
        with install_as_torch():
            runpy.run_path(str(script), run_name="__main__")
    except SystemExit as done:
        return _exit_status(done.code)
    except Exception as error:  # noqa: BLE001 - the script's error, reported as Python would
        line = missing_name_line(error)
        if line is None:
            traceback.print_exception(type(error), error, _from_script(error.__traceback__, script))
        else:
            print(f"{_where(error.__traceback__)}: {line}", file=sys.stderr)
        return 1
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path
    return 0


def missing_name_line(error: BaseException) -> str | None:
    """The one line for an error that means "this PyTorch name is not in tinygrad_rnn", else None.

    >>> import tinygrad_rnn as tr
    >>> try:
    ...     tr.ones(2).pin_memory()
    ... except AttributeError as error:
    ...     print(missing_name_line(error))
    torch.Tensor.pin_memory: not provided by tinygrad_rnn; there is no pinned memory; drop the call
    """
    if isinstance(error, (NotProvided, NotProvidedModule)):
        return str(error)
    if isinstance(error, ImportError) and isinstance(error.__context__, (NotProvided, NotProvidedModule)):
        return str(error.__context__)  # `from torch.x import y`: Python's own line hides ours
    if not isinstance(error, AttributeError) or error.name is None or _raised_inside_tinygrad_rnn(error):
        return None  # not a name the script asked for: a traceback shows where it came from
    owner = getattr(error, "obj", None)
    if isinstance(owner, Tensor) or owner is Tensor:
        return not_provided_message(f"torch.Tensor.{error.name}", dir(Tensor))
    from ..nn import Module

    if isinstance(owner, Module) and f"torch.nn.Module.{error.name}" in NOT_PROVIDED:
        return not_provided_message(f"torch.nn.Module.{error.name}")
    return None


def _raised_inside_tinygrad_rnn(error: BaseException) -> bool:
    frames = _frames(error.__traceback__)
    return bool(frames) and frames[-1].tb_frame.f_code.co_filename.startswith(_PACKAGE)


def _exit_status(code: Any) -> int:
    """What ``sys.exit(code)`` makes the process return: None → 0, a number → itself, else (a
    message) printed and 1 — as Python does."""
    if code is None or isinstance(code, int):
        return code or 0
    print(code, file=sys.stderr)
    return 1


def _frames(tb: TracebackType | None) -> list[TracebackType]:
    found = []
    while tb is not None:
        found.append(tb)
        tb = tb.tb_next
    return found


def _from_script(tb: TracebackType | None, script: pathlib.Path) -> TracebackType | None:
    """The traceback from the script's first frame on (runpy's frames and ours are not the script's)."""
    wanted = os.path.abspath(script)
    for frame in _frames(tb):
        if os.path.abspath(frame.tb_frame.f_code.co_filename) == wanted:
            return frame
    return tb


def _where(tb: TracebackType | None) -> str:
    """'file.py:LINE' of the innermost frame in the user's code (not tinygrad_rnn, not the import system)."""
    for frame in reversed(_frames(tb)):
        filename = frame.tb_frame.f_code.co_filename
        if not filename.startswith((_PACKAGE, "<frozen")) and "importlib" not in filename:
            return f"{filename}:{frame.tb_lineno}"
    return "tinygrad-rnn run-torch"
