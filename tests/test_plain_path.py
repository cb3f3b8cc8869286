"""The plain path read top to bottom: its imports run one way and never into fast/, its walk is
one short function, and its lines of code stay within budget — checked on the source (ASTs), so
none of it can creep back unnoticed."""

import ast
import importlib.util
import inspect
import re
import textwrap
from pathlib import Path

import pytest

from tinygrad_rnn import engine

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tinygrad_rnn"
def _lines_of_code():
    spec = importlib.util.spec_from_file_location("lines_of_code", ROOT / "benchmarks" / "lines_of_code.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def module_name(file: Path) -> str:
    """``ops/linalg.py`` → ``ops.linalg``, ``ops/__init__.py`` → ``ops``."""
    parts = file.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_names() -> list[str]:
    """The plain path's modules (benchmarks/lines_of_code.py's PLAIN_PATH, the one list of it)."""
    return [module_name(file) for file in _lines_of_code().plain_path_files()]


# Two imports inside a function lead back to a module that imports theirs (each says so where it
# is): the circles left, tensor_base ⇄ conversion and tensor ⇄ creation. Any other fails the tests below.
CIRCLES_LEFT = {("conversion", "tensor_base"), ("tensor", "creation")}


def imports_one_way(name: str) -> set[str]:
    return {target for target in imports_of(name) if (name, target) not in CIRCLES_LEFT}


def imported_from(names: list[str]) -> set[str]:
    """``names`` and every package module they import, directly or through others."""
    found, stack = set(names), list(names)
    while stack:
        for target in imports_one_way(stack.pop()):
            if target not in found:
                found.add(target)
                stack.append(target)
    return found


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


def test_the_plain_path_names_its_five_places():
    names = module_names()
    assert names[:2] == ["tensor", "tensor_base"] and names[-2:] == ["nn.cells", "nn.recurrent"]
    assert {"function", "recording", "engine", "ops", "ops.linalg"} <= set(names)


@pytest.mark.parametrize("where", ["docs/autodiff.md", "tinygrad_rnn/fast/__init__.py"])
def test_the_docs_and_fast_name_the_plain_path_as_listed_in_its_order(where):
    """Both name every file (ops/ as a folder) of the one list, first in its order, as `name`."""
    text = (ROOT / where).read_text()
    if where.endswith(".md"):
        text = text[text.index("## The plain path"):]
    names = [name + "/" if (PACKAGE / name).is_dir() else name
             for place in _lines_of_code().PLAIN_PATH for name in place]
    found = [re.search(rf"`(tinygrad_rnn/)?{re.escape(name)}`", text) for name in names]
    assert all(found), [name for name, match in zip(names, found) if not match]
    assert [match.start() for match in found] == sorted(match.start() for match in found)


def test_the_plain_path_imports_nothing_from_fast():
    """Nor does any module it imports (hooks, inplace, steps, device, nn/functional …)."""
    used = imported_from(module_names())
    assert {"hooks", "inplace", "steps", "device", "nn.functional"} <= used
    assert not [name for name in used if name == "fast" or name.startswith("fast.")]


def test_the_plain_paths_imports_run_one_way():
    """tensor_base → recording → function → ops → tensor → (hooks, inplace, engine) → nn/: no module
    imports one that (through others) imports it back."""
    names = sorted(imported_from(module_names()))
    edges = {name: imports_one_way(name) for name in names}
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
    below = imported_from(["tensor"]) - {"tensor"}
    assert {"tensor_base", "function", "engine", "ops.linalg", "hooks", "inplace"} <= below
    for name in below:
        assert "tensor" not in imports_of(name), name


def test_the_walk_is_one_function_of_at_most_40_lines_of_code():
    source = textwrap.dedent(inspect.getsource(engine.backpropagate))
    assert _lines_of_code().code_lines(source) <= 40


def test_no_conditional_expression_of_the_plain_path_holds_another():
    """A reader evaluates ``a if p else b if q else c`` (or one inside a generator inside one) by hand:
    such a line is written as if/else statements, one comment a case (recording's saved_inputs,
    the .grad store)."""
    nested, counter = [], _lines_of_code()
    for path in counter.plain_path_files(counter.COUNTED):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.IfExp) and any(isinstance(inner, ast.IfExp) for inner in ast.walk(node)
                                                   if inner is not node):
                nested.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert not nested


def plain_path_lines() -> int:
    counts = _lines_of_code().count()
    return sum(counts.values())


def test_the_plain_path_never_grows():
    """tensor(+tensor_base), recording, function, engine and ops/:
    a ratchet at today's count, lowered as the path shrinks, so lines cannot creep back."""
    assert plain_path_lines() <= LINES_TODAY


def test_the_plain_path_is_within_its_budget_of_1500_lines_of_code():
    assert plain_path_lines() <= 1500


# +10: an unsaved leaf reaches backward as a stand-in Node, one per leaf; +1: compare.py's
# numpy_function, so an op's name is the one users write; −2: kept_outputs, an undocumented alias;
# −1: ops_in_order's sort key written where it is used; −3 +2: GradientTable.add's sum on one line
# that every term passes, the wrong-shape message moved to errors.py, and the walk's check that a
# backward returned one gradient per input; +4 +4 −5 −3: recording's saved_inputs and the .grad store written as
# if/else statements, the forward's input and device errors' messages moved to errors.py
# +2: detach()'s copy notes (weakly) the Node it was cut from, which
# truncated BPTT's figures read to draw one row of steps with the cut marked
# −1: forward's output checked beside the NumPy-scalar case, in errors.forward_output (a tuple from an op
# not declared multiple_outputs is named there, not an AttributeError of the recorder's)
# −4 +1: a gradient's total made an array once, in conversion.gradient_array (which also names a Tensor a plain
# backward returned) and engine._as_tensor, not in engine._as_array too; _fitted_to_input's wrong kind of term (an
# array in a recorded backward, a Tensor in a plain one)
# +2: a backward's call alone in the walk's try (its terms checked after it, so the table's own errors are not the
# op's): a returned value with no shape (None, a list, a number) named in _fitted_to_input
LINES_TODAY = 1498


def test_the_reading_order_states_the_counts_the_script_gives():
    """docs/autodiff.md's numbers are the script's: the plain path's lines, the walk's, its files."""
    text = (ROOT / "docs" / "autodiff.md").read_text()
    walk = _lines_of_code().code_lines(textwrap.dedent(inspect.getsource(engine.backpropagate)))
    files = len(_lines_of_code().plain_path_files())
    assert f"five places ({files} files)" in text
    assert f"are {plain_path_lines():,} lines of code" in text
    text = text.replace("\n", " ")
    assert f"the walk, `backpropagate`, is {walk} (budget 40)" in text
    helpers = ["_deliver", "_deliver_outputs", "_fitted_to_input", "_wanted_and_needed", "_accumulate_into_grad",
               "GradientTable"]
    counts = [_lines_of_code().code_lines(textwrap.dedent(inspect.getsource(getattr(engine, name))))
              for name in helpers + ["ops_in_order"]]
    for name, count in zip(helpers, counts):
        assert f"`{name}` {count}" in text, name
    assert f"— {walk + sum(counts[:-1])} with the walk" in text
    assert f"`ops_in_order`, {counts[-1]} " in text


def test_what_a_first_reading_may_skip_points_at_its_lines():
    """Each `file:line` docs/autodiff.md cites there is followed by what that line holds."""
    text = (ROOT / "docs" / "autodiff.md").read_text()
    cited = re.findall(r"`([\w/]+\.py):(\d+)`(?:,| \()\s*`([^`]+)`", text)
    assert len(cited) >= 15
    for path, line, holds in cited:
        lines = (PACKAGE / path).read_text().splitlines()
        now = [number for number, text in enumerate(lines, 1) if holds in text]
        assert holds in lines[int(line) - 1], f"docs/autodiff.md: {path}:{line} should be one of {now} ({holds})"


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
