"""Progress: a bar in a terminal; a few plain lines in a log, a pipe, or a notebook without ipywidgets."""

import io
import pathlib
import subprocess
import sys
import warnings

import pytest

from tinygrad_rnn import progress as progress_module
from tinygrad_rnn.progress import LogLines, progress

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_training_into_a_pipe_writes_a_line_per_tenth_of_the_steps(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("to be or not to be, that is the question. " * 30)
    result = subprocess.run([sys.executable, "-m", "tinygrad_rnn", "train", "--text", str(corpus), "--steps", "400",
                             "--hidden", "8", "--embedding", "4", "--bptt", "8", "--batch-size", "2",
                             "--checkpoint", str(tmp_path / "lm.npz")], capture_output=True, text=True, cwd=ROOT,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 10 and len(result.stderr) < 1500 and "\r" not in result.stderr  # a tqdm bar wrote 42 kB
    assert lines[0].startswith("training: 40/400 steps (10%)") and "loss=" in lines[0]
    assert lines[-1].startswith("training: 400/400 steps (100%)")


def test_a_line_every_ten_seconds_when_a_tenth_takes_longer(monkeypatch):
    clock = iter(float(t) for t in range(0, 10_000, 4))  # each step takes 4 s
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: next(clock))
    log = io.StringIO()
    with progress(total=1000, desc="slow", file=log) as bar:
        for _ in range(12):
            bar.update(1)
    lines = log.getvalue().splitlines()
    assert [line.split(",")[0] for line in lines] == ["slow: 3/1000 steps (0%)", "slow: 6/1000 steps (1%)",
                                                      "slow: 9/1000 steps (1%)", "slow: 12/1000 steps (1%)"]


def test_a_terminal_gets_tqdms_bar_and_a_notebook_without_ipywidgets_plain_lines(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    bar = progress(total=3, file=Terminal())
    assert type(bar).__module__.startswith("tqdm")
    bar.close()
    monkeypatch.setattr(progress_module, "_in_notebook", lambda: True)
    monkeypatch.setattr(progress_module, "_widgets_available", lambda: False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # tqdm.auto warned "IProgress not found" here
        assert isinstance(progress(total=3, file=io.StringIO()), LogLines)
    assert isinstance(progress(total=3, file=Terminal(), disable=True), LogLines)


def test_in_a_notebook_without_ipywidgets_training_stores_a_few_lines_and_no_warning():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    if progress_module._widgets_available():
        pytest.skip("ipywidgets is installed here: the notebook would show tqdm's widget")
    code = ("import numpy, tinygrad_rnn as tr\n"
            "ids = numpy.arange(400) % 7\n"
            "model = tr.models.LanguageModel(7, 4, 8)\n"
            "history = tr.training.train_language_model(model, tr.optim.Adam(model.parameters()), ids, steps=300,\n"
            "                                           batch_size=2, bptt=8)")
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    nbclient.NotebookClient(book, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT)}}).execute()
    outputs = book.cells[0].outputs
    text = "".join(output.get("text", "") for output in outputs)
    # ten lines, not one output per step (the kernel may send a line in two stream messages: ≤ 20)
    assert len(outputs) <= 20 and "Warning" not in text and "IProgress" not in text, outputs
    assert text.count("\n") == 10 and "training: 300/300 steps (100%)" in text
