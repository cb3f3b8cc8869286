"""The package's version, written once — in pyproject.toml — and read here from what pip installed.

>>> import tinygrad_rnn as tr
>>> tr.__version__ == package_version()
True
"""

from __future__ import annotations

import importlib.metadata
import pathlib
import re


def package_version() -> str:
    """The installed distribution's version; in a source checkout that was never installed, the
    version pyproject.toml beside the package states (else ``0+unknown``)."""
    try:
        return importlib.metadata.version("tinygrad_rnn")
    except importlib.metadata.PackageNotFoundError:
        pyproject = pathlib.Path(__file__).resolve().parent.parent / "pyproject.toml"
        text = pyproject.read_text(encoding="utf-8") if pyproject.is_file() else ""
        found = re.search(r'^version = "([^"]+)"', text, re.MULTILINE)
        return found.group(1) if found else "0+unknown"
