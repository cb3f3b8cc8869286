"""Slides (SVG files) into one PDF, a page per slide, by whichever converter is installed.

``rsvg-convert`` (Debian and Ubuntu: ``apt install librsvg2-bin``; macOS: ``brew install librsvg``)
is tried first, then the ``cairosvg`` Python package (``pip install cairosvg``). Neither is needed
for anything else: without one, :func:`svgs_to_pdf` writes nothing and says in one line what to
install.

>>> NO_CONVERTER.startswith("no PDF written: install rsvg-convert")
True
"""

from __future__ import annotations

import importlib.util
import pathlib
import shutil
import subprocess
from collections.abc import Sequence

NO_CONVERTER = ("no PDF written: install rsvg-convert (apt install librsvg2-bin; brew install librsvg) "
                "or cairosvg (pip install cairosvg) to get one; the SVG files and the HTML are written")


def converter() -> str | None:
    """The converter :func:`svgs_to_pdf` would use: "rsvg-convert", "cairosvg", or None."""
    if shutil.which("rsvg-convert"):
        return "rsvg-convert"
    if importlib.util.find_spec("cairosvg") is not None:
        return "cairosvg"
    return None


def svgs_to_pdf(svgs: Sequence[pathlib.Path], path: pathlib.Path, timeout: float = 120.0) -> pathlib.Path | None:
    """Write ``path``, one page per SVG in order; None (and nothing written) without a converter."""
    found = converter()
    if found == "rsvg-convert":
        command = ["rsvg-convert", "--format", "pdf", "--output", str(path), *map(str, svgs)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"rsvg-convert could not write {path}: {result.stderr.strip()}")
        return path
    if found == "cairosvg":
        return _with_cairosvg(svgs, path)
    return None


def _with_cairosvg(svgs: Sequence[pathlib.Path], path: pathlib.Path) -> pathlib.Path:
    """cairosvg writes one SVG per document; here every page is drawn, as vectors, onto one PDF surface."""
    import cairocffi
    import cairosvg.parser
    import cairosvg.surface

    document = cairocffi.PDFSurface(str(path), 1, 1)

    class Page(cairosvg.surface.PDFSurface):  # draws onto the shared document instead of a file of its own
        def _create_surface(self, width, height):
            document.set_size(width, height)
            return document, width, height

    for svg in svgs:
        Page(cairosvg.parser.Tree(bytestring=svg.read_bytes()), None, 96)
        document.show_page()
    document.finish()
    return path
