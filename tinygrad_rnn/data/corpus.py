"""The default text corpus: Python source files every installation of Python has."""

from __future__ import annotations

import pathlib
import sysconfig

# Standard-library modules present in every CPython ≥ 3.10, in a fixed order (reproducible).
STANDARD_MODULES = ("textwrap.py", "string.py", "heapq.py", "bisect.py", "fnmatch.py", "shlex.py", "colorsys.py",
                    "glob.py", "queue.py", "sched.py", "calendar.py", "difflib.py", "argparse.py", "dataclasses.py")


def standard_library_text(max_characters: int = 200_000) -> str:
    """Source code of standard-library modules, joined: a character-level corpus that needs no
    download. Raises FileNotFoundError if the standard library's sources are not installed.

    >>> len(standard_library_text(1000))
    1000
    """
    folder = pathlib.Path(sysconfig.get_paths()["stdlib"])
    parts, total = [], 0
    for name in STANDARD_MODULES:
        path = folder / name
        if path.exists():
            text = path.read_text(encoding="utf-8", errors="replace")
            parts.append(text)
            total += len(text)
            if total >= max_characters:
                break
    if not parts:
        raise FileNotFoundError(f"no standard-library sources found in {folder}; pass a text file instead")
    return "".join(parts)[:max_characters]


def read_text(path: str | pathlib.Path) -> str:
    """A text file's contents, with a clear error if it cannot be read."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such text file: {path}")
    text = path.read_text(encoding="utf-8", errors="replace")
    if len(text) < 2:
        raise ValueError(f"{path} is too short to learn from ({len(text)} characters)")
    return text
