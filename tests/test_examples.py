"""The examples and benchmarks run (with tiny settings), so they cannot rot unnoticed."""

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def run(script, *args):
    result = subprocess.run([sys.executable, str(ROOT / script), *args], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_demo_trains_and_shows_the_sum_over_time_steps():
    out = run("examples/demo.py", "--steps", "20", "--hidden", "8")
    assert "8 terms; |Σ terms − W_hh.grad|" in out
    assert "‖∂J/∂h_t‖" in out


def test_per_op_benchmark_runs():
    out = run("benchmarks/per_op_overhead.py", "--ops", "30", "--rounds", "2")
    assert "graph overhead" in out


def test_truncated_bptt_example_shows_the_cut():
    out = run("examples/truncated_bptt.py", "--steps", "20", "--bptt", "5")
    assert "truncated: steps 16 … 20" in out and "full BPTT: steps 1 … 20" in out


def test_drawing_benchmark_runs():
    out = run("benchmarks/drawing_speed.py", "--steps", "5", "--rounds", "1")
    assert "level=op" in out
