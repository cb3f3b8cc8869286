"""The examples and benchmarks run (with tiny settings), so they cannot rot unnoticed."""

import pathlib
import shutil
import subprocess
import sys

import pytest
from conftest import checkout_first

ROOT = pathlib.Path(__file__).resolve().parent.parent


def run(script, *args, cwd=None, stderr=False):
    """What the script printed (with ``stderr``: standard output and standard error)."""
    result = subprocess.run([sys.executable, str(ROOT / script), *args], capture_output=True, text=True, timeout=300,
                            cwd=cwd, env=checkout_first())
    assert result.returncode == 0, result.stderr[-3000:]
    return (result.stdout, result.stderr) if stderr else result.stdout


def test_bptt_by_hand_shows_the_sum_over_time_steps():
    out = run("examples/bptt_by_hand.py", "--steps", "20", "--hidden", "8")
    assert "8 terms; |Σ terms − W_hh.grad|" in out and "‖∂J/∂h_t‖" in out


def test_truncated_bptt_example_shows_the_cut():
    out = run("examples/truncated_bptt.py", "--steps", "20", "--bptt", "5")
    assert "truncated: steps 16 … 20" in out and "full BPTT: steps 1 … 20" in out


def test_char_lm_trains_saves_and_resumes(tmp_path):
    common = ["--hidden", "8", "--bptt", "8", "--batch-size", "2", "--checkpoint", str(tmp_path / "lm.npz"),
              "--plot", str(tmp_path / "lm.png")]
    out = run("examples/char_lm.py", "--steps", "3", *common)
    assert "validation perplexity" in out and "--- sample at temperature 0.5 ---" in out
    resumed = run("examples/char_lm.py", "--steps", "5", "--resume", str(tmp_path / "lm.npz"), *common)
    assert "resumed from" in resumed and "at step 3" in resumed


def test_vanishing_gradients_example(tmp_path):
    out = run("examples/vanishing_gradients.py", "--steps", "12", "--train-steps", "5", "--seeds", "2",
              "--out", str(tmp_path))
    assert "ρ = 0.8" in out and "clip at 1" in out
    assert {p.name for p in tmp_path.iterdir()} == {"vanishing_gradients.png", "linear_rnn_jacobians.png",
                                                    "exploding_gradients.png"}


def test_long_range_example(tmp_path):
    out = run("examples/long_range.py", "--quick", "--out", str(tmp_path / "long_range"))
    assert "tanh RNN  seed 1" in out and "GRU       mean" in out and "→ " in out
    assert (tmp_path / "long_range_adding.png").exists() and (tmp_path / "long_range_agreement.png").exists()


def test_classify_and_tag_example():
    out = run("examples/classify_and_tag.py", "--steps", "3", "--examples", "60", "--hidden", "4")
    assert "classification accuracy" in out and "tagging accuracy" in out


def test_lstm_neurons_example(tmp_path):
    out = run("examples/lstm_neurons.py", "--steps", "2", "--words", "200", "--hidden", "8",
              "--out", str(tmp_path / "neurons.png"))
    assert "correlation with 'inside [[…]]'" in out and (tmp_path / "neurons.png").exists()


def test_lecture_figures_example_writes_into_a_folder_of_its_own_unless_told(tmp_path):
    out = run("examples/lecture_figures.py", "--format", "dot", "--steps", "3", cwd=tmp_path)
    written = tmp_path / "lecture_figures"  # not docs/figures: run from the repository, it would overwrite them
    assert [p.name for p in tmp_path.iterdir()] == ["lecture_figures"]
    assert len(list(written.glob("*.dot"))) == 17 and "wrote" in out
    assert sorted(p.name for p in written.glob("*.svg")) == ["vanishing_gru.svg", "vanishing_lstm.svg",
                                                            "vanishing_rnn.svg"]  # the README's command
    assert "‖∂J/∂h_1‖ / ‖∂J/∂h_3‖" in out


def test_seq2seq_example_learns_dates_and_draws_both_figures(tmp_path):
    """Reduced: 150 steps of a small GRU — the loss falls and both decodings are reported; the figures drawn."""
    out = run("examples/seq2seq.py", "--steps", "150", "--hidden", "32", "--held-out", "20", "--beam", "2",
              "--format", "dot", "--out", str(tmp_path))
    assert "exact match on 20 held-out dates: greedy" in out and "beam search (k=2)" in out
    for figure in ("seq2seq", "seq2seq_bptt", "seq2seq_generation"):
        assert (tmp_path / f"{figure}.dot").exists(), figure
    assert "argmax" in (tmp_path / "seq2seq_generation.dot").read_text(encoding="utf-8")


def test_perplexity_table_example_prints_the_table_and_draws_it(tmp_path):
    out, progress = run("examples/perplexity_table.py", "--chars", "20000", "--steps", "5", "--seeds", "2",
                        "--hidden", "16", "--level", "char", "--out", str(tmp_path / "table.png"), stderr=True)
    assert "char level: LSTM, seed 2 of 2: perplexity" in progress  # a line per model trained, as it finishes
    assert len(progress.splitlines()) == 1 + 4 * 2
    for name in ("unigram (add-1)", "5-gram, Kneser–Ney", "fixed window", "tanh RNN", "LSTM", "GRU"):
        assert f"| {name} |" in out, name
    assert "2 seeds)" in out and (tmp_path / "table.png").stat().st_size > 10_000


EXAMPLES = sorted(p.name for p in (ROOT / "examples").glob("*.py"))


@pytest.mark.parametrize("script", EXAMPLES)
def test_every_example_has_help_naming_its_defaults_and_accepts_a_device(script):
    result = subprocess.run([sys.executable, str(ROOT / "examples" / script), "--help"], capture_output=True, text=True,
                            env=checkout_first())
    shown = " ".join(result.stdout.split())
    assert result.returncode == 0 and "(default: " in shown
    if script != "bptt_by_hand.py":  # NumPy and the CPU: BPTT written by hand
        assert "--device DEVICE (default: cpu)" in shown


def test_per_op_benchmark_runs():
    assert "graph overhead" in run("benchmarks/per_op_overhead.py", "--ops", "30", "--rounds", "2")


@pytest.mark.skipif(shutil.which("neato") is None, reason="Graphviz is missing (tests/setup.sh installs it)")
def test_drawing_benchmark_runs():
    assert "| lstm | cell | 10 |" in run("benchmarks/drawing_speed.py", "--longest", "10", "--rounds", "1")


def test_training_step_benchmark_runs():
    out = run("benchmarks/training_step.py", "--sizes", "small", "--cells", "gru", "--rounds", "1")
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
