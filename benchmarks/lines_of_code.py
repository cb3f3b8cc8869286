"""Lines of code of the plain path: what a reader must read to follow a gradient.

A line of code is a line that holds a Python token other than a comment: blank lines, comments
and docstrings (a string that is a module's, class's or function's first statement) are not
counted. The plain path is :data:`PLAIN_PATH`; its budget holds the first four places (the
autodiff itself: tensor, op, engine, ops/), not nn/'s cells and loop built on them.

    python benchmarks/lines_of_code.py
"""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "tinygrad_rnn"
# The plain path, in reading order: five places, each answering one question. This is the one
# list of it: docs/autodiff.md walks these files in this order and fast/__init__.py names them (a test
# checks both), and tests/test_plain_path.py reads it (no module of it, or any they import, imports fast/).
PLAIN_PATH = (
    ("tensor.py", "tensor_base.py"),     # 1. what is a tensor?
    ("function.py", "recording.py"),     # 2. what is an op, and when is it recorded?
    ("engine.py",),                      # 3. how does backward run?
    ("ops",),                            # 4. what is each op's derivative? (every file of ops/)
    ("nn/cells.py", "nn/recurrent.py"),  # 5. where is the LSTM? (its equations, and one unrolled loop)
)
COUNTED = PLAIN_PATH[:4]  # the places whose lines of code the budget holds
BUDGET = 1500  # their lines of code, at most


def docstring_lines(tree: ast.AST) -> set[int]:
    """The line numbers that docstrings occupy."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            is_string = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
            if is_string and isinstance(first.value.value, str):
                lines.update(range(first.lineno, first.end_lineno + 1))
    return lines


def code_lines(source: str) -> int:
    """The lines of ``source`` that hold code (not blank, not only a comment, not a docstring).

    >>> code_lines("'''A docstring.'''\\n\\n# a comment\\nx = 1  # counted\\n")
    1
    """
    skipped = docstring_lines(ast.parse(source))
    ignored = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
               tokenize.ENCODING, tokenize.ENDMARKER}
    lines: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in ignored:
            lines.update(line for line in range(token.start[0], token.end[0] + 1) if line not in skipped)
    return len(lines)


def plain_path_files(places: tuple[tuple[str, ...], ...] = PLAIN_PATH) -> list[Path]:
    """The files of ``places`` (all five by default), in reading order."""
    files = []
    for name in (name for place in places for name in place):
        path = PACKAGE / name
        files += sorted(path.glob("*.py")) if path.is_dir() else [path]
    return files


def count() -> dict[str, int]:
    """Lines of code of each file the budget holds (:data:`COUNTED`), by its path inside the package."""
    return {str(path.relative_to(PACKAGE)): code_lines(path.read_text()) for path in plain_path_files(COUNTED)}


def main() -> None:
    counts = count()
    for name, lines in counts.items():
        print(f"{lines:6d}  {name}")
    print(f"{sum(counts.values()):6d}  the plain path, places 1–4 (budget {BUDGET})")


if __name__ == "__main__":
    main()
