"""The plain path read top to bottom: its imports run one way and never into fast/, its walk is
one short function, and its lines of code stay within budget — checked on the source (ASTs), so
none of it can creep back unnoticed."""

import ast
import importlib.util
import inspect
import textwrap
from pathlib import Path

import pytest

from tinygrad_rnn import engine

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tinygrad_rnn"
PLAIN_PATH = ["tensor_base", "recording", "function", "engine", "hooks", "inplace", "tensor", "ops"]


def _lines_of_code():
    spec = importlib.util.spec_from_file_location("lines_of_code", ROOT / "benchmarks" / "lines_of_code.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def module_names() -> list[str]:
    names = []
    for name in PLAIN_PATH:
        path = PACKAGE / name
        if path.is_dir():
            names += [f"{name}.{file.stem}" if file.stem != "__init__" else name for file in sorted(path.glob("*.py"))]
        else:
            names.append(name)
    return names


def imports_of(name: str) -> set[str]:
    """The package modules ``name`` imports at run time, anywhere in it (inside functions too; not
    what ``if TYPE_CHECKING:`` imports, which only type checkers run)."""
    path = PACKAGE / (name.replace(".", "/") + ".py")
    if not path.exists():
        path = PACKAGE / name.replace(".", "/") / "__init__.py"
    tree = ast.parse(path.read_text())
    package = name.split(".")[:-1] if path.name != "__init__.py" else name.split(".")
    type_checking = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
                     and getattr(block.test, "id", None) == "TYPE_CHECKING" for node in ast.walk(block)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in type_checking or not isinstance(node, ast.ImportFrom) or node.level == 0:
            continue
        base = package[: len(package) - (node.level - 1)] + (node.module.split(".") if node.module else [])
        for alias in node.names:
            candidate = ".".join(base + [alias.name])
            is_module = (PACKAGE / (candidate.replace(".", "/") + ".py")).exists() or \
                (PACKAGE / candidate.replace(".", "/")).is_dir()
            found.add(candidate if is_module else ".".join(base))
    return found


def test_the_plain_path_imports_nothing_from_fast():
    for name in module_names():
        assert not any(target.startswith("fast") for target in imports_of(name)), name


def test_the_plain_paths_imports_run_one_way():
    """tensor_base → recording → function → ops → tensor → (hooks, inplace, engine): no module imports one
    that (through others) imports it back."""
    names = module_names()
    edges = {name: {t for t in imports_of(name) if t in names or t == "ops"} for name in names}
    # a cycle would show as a module reachable from itself
    for start in names:
        seen, stack = set(), list(edges[start])
        while stack:
            name = stack.pop()
            assert name != start, f"{start} imports itself back through {sorted(seen)}"
            if name not in seen:
                seen.add(name)
                stack.extend(edges.get(name, ()))


def test_the_modules_below_tensor_never_import_it():
    for name in module_names():
        if name != "tensor":
            assert "tensor" not in imports_of(name), name


def test_the_walk_is_one_function_of_at_most_40_lines_of_code():
    source = textwrap.dedent(inspect.getsource(engine.backpropagate))
    assert _lines_of_code().code_lines(source) <= 40


def plain_path_lines() -> int:
    counts = _lines_of_code().count()
    return sum(counts.values())


def test_the_plain_path_never_grows():
    """tensor(+tensor_base), recording, function, engine and ops/:
    a ratchet at today's count, lowered as the path shrinks, so lines cannot creep back."""
    assert plain_path_lines() <= LINES_TODAY


def test_the_plain_path_is_within_its_budget_of_1500_lines_of_code():
    assert plain_path_lines() <= 1500


LINES_TODAY = 1492  # (+1: engine.outputs_reached, the one reading of ops_in_order's entry for an op's outputs)


def test_the_reading_order_states_the_counts_the_script_gives():
    """docs/autodiff.md's numbers are the script's: the plain path's lines, the walk's, its files
    (the script's, and nn/cells.py and nn/recurrent.py)."""
    text = (ROOT / "docs" / "autodiff.md").read_text()
    walk = _lines_of_code().code_lines(textwrap.dedent(inspect.getsource(engine.backpropagate)))
    files = len(_lines_of_code().plain_path_files()) + 2
    assert f"five places ({files} files)" in text
    assert f"are {plain_path_lines():,} lines of code" in text
    assert f"the walk, `backpropagate`, is {walk};" in text.replace("\n", " ")


def test_a_backward_older_than_the_remembered_writes_says_it_cannot_check_them(monkeypatch):
    import numpy

    import tinygrad_rnn as tr
    from tinygrad_rnn import inplace

    monkeypatch.setattr(inplace, "_KEPT_WRITES", 4)
    monkeypatch.setattr(inplace, "_WRITES", {})
    monkeypatch.setattr(inplace, "_FORGOTTEN", [0])
    x = tr.ones(3, requires_grad=True)
    y = (x * tr.ones(3)).sum()
    others = [numpy.zeros(2) for _ in range(6)]  # six other arrays written: the oldest forgotten
    for array in others:
        inplace.mark_written(array, "a test's write")
    with pytest.warns(RuntimeWarning, match="not checked"):
        y.backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0]


def _files_of(*names: str) -> list[Path]:
    return [file for name in names for file in (sorted((PACKAGE / name).rglob("*.py")) if (PACKAGE / name).is_dir()
                                                  else [PACKAGE / f"{name}.py"])]


def _relative_imports(file: Path):
    """(the module file a relative ``from … import name`` reads, name) for each name so imported in ``file``."""
    for node in ast.walk(ast.parse(file.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = file.parent
            for _ in range(node.level - 1):
                base = base.parent
            target = base.joinpath(*(node.module or "").split(".")) if node.module else base
            for alias in node.names:
                yield (target.with_suffix(".py") if target.with_suffix(".py").exists() else target / "__init__.py",
                       alias.name)


def _defined_in(file: Path) -> set[str]:
    names = set()
    for node in ast.parse(file.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    return names


CORE = ["tensor_base", "tensor", "recording", "steps", "function", "engine", "ops", "nn", "fast", "optim", "models",
        "creation", "checks", "inplace", "hooks", "analysis", "training", "generation"]


def test_a_private_name_stays_in_its_module():
    """A name another module imports is public by name (``recording_gradient``, not ``_recording_gradient``)."""
    for file in _files_of(*CORE):
        for _source, name in _relative_imports(file):
            is_private = name.startswith("_") and not name.startswith("__")
            assert not is_private, f"{file.relative_to(PACKAGE)} imports {name}"


def test_a_name_is_imported_from_the_module_that_defines_it():
    """``Chain`` from steps.py, ``scope`` from recording.py — not through function.py's re-exports;
    a package's ``__init__`` (``ops``) may gather its modules' names, and a module may be imported."""
    for file in _files_of(*CORE):
        for source, name in _relative_imports(file):
            if source.name == "__init__.py" or not source.exists() or name == "*":
                continue  # a package's names, or a module imported itself (``from . import init``)
            assert name in _defined_in(source), f"{file.relative_to(PACKAGE)} imports {name} through {source.name}"
