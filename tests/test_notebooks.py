"""The course notebooks (docs/notebooks) run top to bottom on a CPU, as a class would run them:
each is executed here in a fresh kernel, from its own folder. They are stored without outputs.

Each notebook runs in a process of its own (this file, run as a script) beside the rest of the suite,
on the core a pytest run leaves idle (background.py); its test reads the notebook it executed."""

import pathlib
import sys

import pytest

nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed (tests/setup.sh installs it)")
nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed (tests/setup.sh installs it)")
pytest.importorskip("ipykernel", reason="ipykernel is not installed (tests/setup.sh installs it)")

from background import Job, folder  # noqa: E402  (after the skips: nothing to run without nbclient)

FOLDER = pathlib.Path(__file__).resolve().parent.parent / "docs" / "notebooks"
NOTEBOOKS = sorted(FOLDER.glob("*.ipynb"))
# Trained for fewer steps here than in class: the test checks that every cell runs and a figure shows, not how well
# a model learns (the lessons' numbers are test_lessons.py's), and the class's lengths took most of a minute. Each
# text must be found in its notebook exactly once, so that a change to the notebook cannot slip past the test.
SHORTER = {
    "05_language_models": [("steps=150,", "steps=20,")],
    "06_classify_tag_seq2seq": [("for _ in range(800):", "for _ in range(20):")],
}


def execute(path: pathlib.Path, executed: pathlib.Path) -> None:
    """Runs the notebook at ``path`` (shortened as SHORTER says) in a fresh kernel and writes it, with its
    outputs, to ``executed``; raises CellExecutionError, with the cell and its traceback, if any cell fails."""
    book = nbformat.read(path, as_version=4)
    code = [cell for cell in book.cells if cell.cell_type == "code"]
    for long, short in SHORTER.get(path.stem, []):
        (cell,) = [cell for cell in code if long in cell.source]
        assert cell.source.count(long) == 1, long
        cell.source = cell.source.replace(long, short)
    client = nbclient.NotebookClient(book, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(FOLDER)}})
    client.execute()
    nbformat.write(book, executed)


EXECUTED = {path: folder(path.stem) / "executed.ipynb" for path in NOTEBOOKS}
JOBS = {path: Job([sys.executable, __file__, str(path), str(EXECUTED[path])]) for path in NOTEBOOKS}


def background_jobs(item) -> list[Job]:
    """A notebook's run, started beside the suite (background.py) as soon as its test is collected."""
    return [JOBS[item.callspec.params["path"]]] if hasattr(item, "callspec") else []


def test_there_is_a_notebook_per_lecture_topic():
    assert [p.name[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04", "05", "06"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_the_notebook_is_stored_without_outputs_and_runs(path):
    book = nbformat.read(path, as_version=4)
    code = [cell for cell in book.cells if cell.cell_type == "code"]
    assert all(not cell.outputs and cell.execution_count is None for cell in code), "store it without outputs"
    assert "%pip install" in code[0].source  # it starts with the one install line it needs
    result = JOBS[path].result()
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-6000:]  # a failed cell and its traceback
    code = [cell for cell in nbformat.read(EXECUTED[path], as_version=4).cells if cell.cell_type == "code"]
    shown = [output for cell in code for output in cell.outputs]
    assert any("image/png" in o.get("data", {}) or "image/svg+xml" in o.get("data", {}) or
               "text/html" in o.get("data", {}) for o in shown), "each notebook shows a figure or a page"


if __name__ == "__main__":
    execute(pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]))
