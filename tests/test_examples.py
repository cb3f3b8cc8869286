"""The examples and benchmarks run (with tiny settings), so they cannot rot unnoticed.

The longer runs (JOBS) and each example's --help (HELP) start beside the rest of the suite, on the core a
pytest run leaves idle (background.py), each writing into a folder of its own; their tests read what they printed
and wrote."""

import pathlib
import shutil
import subprocess
import sys

import pytest
from background import Job, folder
from conftest import checkout_first

ROOT = pathlib.Path(__file__).resolve().parent.parent


def run(script, *args, cwd=None, stderr=False):
    """What the script printed (with ``stderr``: standard output and standard error)."""
    result = subprocess.run([sys.executable, str(ROOT / script), *args], capture_output=True, text=True, timeout=300,
                            cwd=cwd, env=checkout_first())
    return printed(result, stderr)


def printed(result: subprocess.CompletedProcess, stderr: bool = False):
    assert result.returncode == 0, result.stderr[-3000:]
    return (result.stdout, result.stderr) if stderr else result.stdout


def script_job(script: str, *args: str, cwd: pathlib.Path | None = None) -> Job:
    return Job([sys.executable, str(ROOT / script), *args], cwd=cwd, env=checkout_first())


OUT = {name: folder(name) for name in ("long_range", "lstm_neurons", "lecture_figures", "seq2seq", "perplexity_table",
                                      "char_lm", "vanishing_gradients")}
CHAR_LM = ["--hidden", "8", "--bptt", "8", "--batch-size", "2", "--checkpoint", str(OUT["char_lm"] / "lm.npz"),
           "--plot", str(OUT["char_lm"] / "lm.png")]
JOBS = {  # a test's name: the run it reads
    "test_long_range_example": script_job("examples/long_range.py", "--quick", "--out",
                                          str(OUT["long_range"] / "long_range")),
    "test_lstm_neurons_example": script_job("examples/lstm_neurons.py", "--steps", "2", "--words", "200", "--hidden",
                                            "8", "--out", str(OUT["lstm_neurons"] / "neurons.png")),
    "test_lecture_figures_example_writes_into_a_folder_of_its_own_unless_told": script_job(
        "examples/lecture_figures.py", "--format", "dot", "--steps", "3", cwd=OUT["lecture_figures"]),
    "test_seq2seq_example_learns_dates_and_draws_both_figures": script_job(
        "examples/seq2seq.py", "--steps", "150", "--hidden", "32", "--held-out", "20", "--beam", "2",
        "--format", "dot", "--out", str(OUT["seq2seq"])),
    "test_perplexity_table_example_prints_the_table_and_draws_it": script_job(
        "examples/perplexity_table.py", "--chars", "20000", "--steps", "5", "--seeds", "2", "--hidden", "16",
        "--level", "char", "--out", str(OUT["perplexity_table"] / "table.png")),
    "test_per_op_benchmark_runs": script_job("benchmarks/per_op_overhead.py", "--ops", "30", "--rounds", "2"),
    "test_training_step_benchmark_runs": script_job("benchmarks/training_step.py", "--sizes", "small", "--cells",
                                                    "gru", "--rounds", "1"),
    # (only the first run: the run that resumes it must wait for it, and a queued job may start at any time)
    "test_char_lm_trains_saves_and_resumes": script_job("examples/char_lm.py", "--steps", "3", *CHAR_LM),
    "test_vanishing_gradients_example": script_job("examples/vanishing_gradients.py", "--steps", "12", "--train-steps",
                                                   "5", "--seeds", "2", "--out", str(OUT["vanishing_gradients"])),
}


EXAMPLES = sorted(p.name for p in (ROOT / "examples").glob("*.py"))
HELP_TEST = "test_every_example_has_help_naming_its_defaults_and_accepts_a_device"
HELP = {script: script_job(f"examples/{script}", "--help") for script in EXAMPLES}  # (an interpreter start each)


def background_jobs(item) -> list[Job]:
    """A script's run, started beside the suite (background.py) as soon as its test is collected."""
    if item.name in JOBS:
        return [JOBS[item.name]]
    return [HELP[item.callspec.params["script"]]] if item.originalname == HELP_TEST else []


def test_bptt_by_hand_shows_the_sum_over_time_steps():
    out = run("examples/bptt_by_hand.py", "--steps", "20", "--hidden", "8")
    assert "8 terms; |Σ terms − W_hh.grad|" in out and "‖∂J/∂h_t‖" in out


def test_truncated_bptt_example_shows_the_cut():
    out = run("examples/truncated_bptt.py", "--steps", "20", "--bptt", "5")
    assert "truncated: steps 16 … 20" in out and "full BPTT: steps 1 … 20" in out


def test_char_lm_trains_saves_and_resumes():
    out = printed(JOBS["test_char_lm_trains_saves_and_resumes"].result())
    assert "validation perplexity" in out and "--- sample at temperature 0.5 ---" in out
    resumed = run("examples/char_lm.py", "--steps", "5", "--resume", str(OUT["char_lm"] / "lm.npz"), *CHAR_LM)
    assert "resumed from" in resumed and "at step 3" in resumed


def test_vanishing_gradients_example():
    out, tmp_path = printed(JOBS["test_vanishing_gradients_example"].result()), OUT["vanishing_gradients"]
    assert "ρ = 0.8" in out and "clip at 1" in out
    assert {p.name for p in tmp_path.iterdir()} == {"vanishing_gradients.png", "linear_rnn_jacobians.png",
                                                    "exploding_gradients.png"}


def test_long_range_example():
    out, tmp_path = printed(JOBS["test_long_range_example"].result()), OUT["long_range"]
    assert "tanh RNN  seed 1" in out and "GRU       mean" in out and "→ " in out
    assert (tmp_path / "long_range_adding.png").exists() and (tmp_path / "long_range_agreement.png").exists()


def test_classify_and_tag_example():
    out = run("examples/classify_and_tag.py", "--steps", "3", "--examples", "60", "--hidden", "4")
    assert "classification accuracy" in out and "tagging accuracy" in out


def test_lstm_neurons_example():
    out, tmp_path = printed(JOBS["test_lstm_neurons_example"].result()), OUT["lstm_neurons"]
    assert "correlation with 'inside [[…]]'" in out and "correlation with 'inside a URL'" in out
    assert (tmp_path / "neurons.png").exists()


def test_lecture_figures_example_writes_into_a_folder_of_its_own_unless_told():
    name = "test_lecture_figures_example_writes_into_a_folder_of_its_own_unless_told"
    out, tmp_path = printed(JOBS[name].result()), OUT["lecture_figures"]  # (run from tmp_path)
    written = tmp_path / "lecture_figures"  # not docs/figures: run from the repository, it would overwrite them
    assert [p.name for p in tmp_path.iterdir()] == ["lecture_figures"]
    assert len(list(written.glob("*.dot"))) == 17 and "wrote" in out
    assert sorted(p.name for p in written.glob("*.svg")) == ["vanishing_gru.svg", "vanishing_lstm.svg",
                                                            "vanishing_rnn.svg"]  # the README's command
    assert "‖∂J/∂h_1‖ / ‖∂J/∂h_3‖" in out


def test_seq2seq_example_learns_dates_and_draws_both_figures():
    """Reduced: 150 steps of a small GRU — the loss falls and both decodings are reported; the figures drawn."""
    out = printed(JOBS["test_seq2seq_example_learns_dates_and_draws_both_figures"].result())
    tmp_path = OUT["seq2seq"]
    assert "exact match on 20 held-out dates: greedy" in out and "beam search (k=2)" in out
    for figure in ("seq2seq", "seq2seq_bptt", "seq2seq_generation"):
        assert (tmp_path / f"{figure}.dot").exists(), figure
    assert "argmax" in (tmp_path / "seq2seq_generation.dot").read_text(encoding="utf-8")


def test_perplexity_table_example_prints_the_table_and_draws_it():
    out, progress = printed(JOBS["test_perplexity_table_example_prints_the_table_and_draws_it"].result(), stderr=True)
    tmp_path = OUT["perplexity_table"]
    assert "char level: LSTM, seed 2 of 2: perplexity" in progress  # a line per model trained, as it finishes
    assert len(progress.splitlines()) == 1 + 4 * 2
    for name in ("unigram (add-1)", "5-gram, Kneser–Ney", "fixed window", "tanh RNN", "LSTM", "GRU"):
        assert f"| {name} |" in out, name
    assert "2 seeds)" in out and (tmp_path / "table.png").stat().st_size > 10_000


@pytest.mark.parametrize("script", EXAMPLES)
def test_every_example_has_help_naming_its_defaults_and_accepts_a_device(script):
    result = HELP[script].result()
    shown = " ".join(result.stdout.split())
    assert result.returncode == 0 and "(default: " in shown
    if script != "bptt_by_hand.py":  # NumPy and the CPU: BPTT written by hand
        assert "--device DEVICE (default: cpu)" in shown


def test_per_op_benchmark_runs():
    assert "graph overhead" in printed(JOBS["test_per_op_benchmark_runs"].result())


@pytest.mark.skipif(shutil.which("neato") is None, reason="Graphviz is missing (tests/setup.sh installs it)")
def test_drawing_benchmark_runs():
    assert "| lstm | cell | 10 |" in run("benchmarks/drawing_speed.py", "--longest", "10", "--rounds", "1")


def test_training_step_benchmark_runs():
    out = printed(JOBS["test_training_step_benchmark_runs"].result())
    assert "| GRU | 1, 25, 100 |" in out


def test_training_step_breakdown_accounts_for_the_whole_backward():
    """--breakdown times each part of a batch-1 step inside it: the parts of backward (each op's rule,
    ordering, the gradient table, .grad deliveries and the walk's own Python) add up to backward."""
    out = run("benchmarks/training_step.py", "--breakdown", "--cells", "rnn", "--cpu-time")
    rows = [line.strip("|").split("|") for line in out.splitlines() if line.startswith("| ") and "---" not in line]
    parts = {name.strip(): float(value) for name, value, _ in rows[1:]}  # (rows[0]: the header)
    inside = sum(value for name, value in parts.items() if name.startswith("backward: "))
    assert "backward: fused RNN layer's rule" in parts and "backward: the walk's own Python" in parts
    assert inside == pytest.approx(parts["backward"], rel=0.2)  # (the sum of each part's median: close, not equal)
