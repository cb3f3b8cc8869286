"""Each lesson an example teaches, asserted on a reduced run over several seeds, so that a change
to the engine that breaks a lesson fails here — not in front of a class.

The long trainings (LESSONS: about 25 s of CPU, most of it the adding problem's nine runs) each run in a process
of their own (this file, run as a script, prints what its lesson trained to) beside the rest of the suite, on the
core a pytest run leaves idle (background.py); their tests assert on what it printed."""

import argparse
import importlib.util
import json
import pathlib
import sys

import numpy
import pytest
from background import Job
from conftest import checkout_first

import tinygrad_rnn as tr

ROOT = pathlib.Path(__file__).resolve().parent.parent


def example(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # so that worker processes find its functions by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def long_range():
    return example("long_range")


# --- the lessons trained beside the suite: each returns what its test asserts on, as JSON -----------------------

def adding_at_50() -> dict[str, list[float]]:
    """Each cell's test MSE at T=50, one per seed."""
    # the GRU learns it first, the LSTM later: trained 1,200 steps, seeds 0-2 fell below SOLVED_MSE by steps 700, 500
    # and 800; trained 1,000, they end at 0.016, 0.0009 and 0.0017 (two of them ten times below it)
    steps = {"LSTM": 1000, "GRU": 400, "tanh RNN": 400}
    # the nine runs in one pool of two processes, the longest first (three pools of three runs each left a
    # process idle while the third of each ran, the LSTM's longest of all)
    jobs = [("adding", cell, 50, seed, n, 32, "cpu") for cell, n in steps.items() for seed in range(3)]
    finals = iter(example("long_range").run_all(jobs, workers=2))
    return {cell: [float(next(finals)) for _ in range(3)] for cell in steps}


def adding_at_10() -> list[list[float]]:
    return example("long_range").lesson("adding", [10], seeds=3, steps=1000, cells=("tanh RNN",))["tanh RNN"].tolist()


def agreement_at_4() -> dict[str, list[list[float]]]:
    results = example("long_range").lesson("agreement", [4], seeds=3, steps=500, cells=("LSTM", "GRU"))
    return {cell: results[cell].tolist() for cell in ("LSTM", "GRU")}


def perplexity_table() -> dict[str, list[float]]:
    """Reduced (60k characters, 150 steps, 2 seeds): each model's perplexity, one per seed."""
    text = tr.data.standard_library_text(60_000)
    rows = example("perplexity_table").table(text, "char", seeds=2, steps=150, hidden=64,
                                             kinds=("fixed window", "LSTM"))
    return {name: [float(p) for p in found["perplexity"]] for name, found in rows.items() if name != "_about"}


LESSONS = {"test_gated_cells_solve_the_adding_problem_where_a_tanh_rnn_does_not": adding_at_50,
           "test_every_cell_solves_a_short_adding_problem": adding_at_10,
           "test_gated_cells_learn_agreement_across_four_distractor_phrases": agreement_at_4,
           "test_the_perplexity_table_orders_the_models_as_the_lectures_do": perplexity_table}
# One BLAS thread: a job has the one core the suite leaves idle, and OpenBLAS's second thread, waiting at every
# product's barrier for the core pytest holds, took the perplexity table from 5.4 s of CPU to 29.5 s
ONE_THREAD = {name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
JOBS = {name: Job([sys.executable, __file__, name], env={**checkout_first(), **ONE_THREAD}) for name in LESSONS}


def background_jobs(item) -> list[Job]:
    """A lesson's training, started beside the suite (background.py) as soon as its test is collected."""
    return [JOBS[item.name]] if item.name in JOBS else []


def trained(name: str):
    """What LESSONS[name] returned, in the process its job ran."""
    result = JOBS[name].result()
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.splitlines()[-1])


def test_gated_cells_solve_the_adding_problem_where_a_tanh_rnn_does_not(long_range):
    """T=50: LSTM and GRU below MSE 0.02, the tanh RNN near the trivial 0.167, in most of 3 seeds."""
    results = {cell: numpy.array(finals) for cell, finals in
               trained("test_gated_cells_solve_the_adding_problem_where_a_tanh_rnn_does_not").items()}
    rnn = results["tanh RNN"]
    assert (rnn > 0.1).sum() >= 2, rnn
    for cell in ("GRU", "LSTM"):
        assert (results[cell] < long_range.SOLVED_MSE).sum() >= 2, (cell, results[cell])
        assert (results[cell] < rnn).sum() >= 2


def test_every_cell_solves_a_short_adding_problem():
    """The difference is the distance: at T=10 the tanh RNN learns it too."""
    results = numpy.array(trained("test_every_cell_solves_a_short_adding_problem"))
    assert (results[:, 0] < 0.05).sum() >= 2, results


def test_gated_cells_learn_agreement_across_four_distractor_phrases():
    """d=4 (the subject 13 words back): LSTM and GRU reach 0.95 in most of 3 seeds."""
    results = {cell: numpy.array(accuracies) for cell, accuracies in
               trained("test_gated_cells_learn_agreement_across_four_distractor_phrases").items()}
    for cell in ("LSTM", "GRU"):
        assert (results[cell][:, 0] >= 0.95).sum() >= 2, (cell, results[cell])


@pytest.fixture(scope="module")
def vanishing():
    return example("vanishing_gradients")


def test_the_lstm_keeps_the_gradient_the_tanh_rnn_loses(vanishing):
    args = argparse.Namespace(steps=30, seed=0, seeds=3, device="cpu")
    curves = vanishing.compare_cells(args)
    rnn = curves["tanh RNN"][:, 0] / curves["tanh RNN"][:, -1]
    lstm = curves["LSTM (forget-gate bias 1)"][:, 0] / curves["LSTM (forget-gate bias 1)"][:, -1]
    assert (lstm > 100 * rnn).sum() >= 2, (rnn, lstm)


def test_clipping_tames_exploding_gradients(vanishing):
    finals = {"none": [], "clip": []}
    for seed in range(3):
        args = argparse.Namespace(train_steps=150, seed=seed, device="cpu")
        for key, clip in (("none", None), ("clip", 1.0)):
            losses, _ = vanishing.exploding(args, clip)
            finals[key].append(numpy.mean(losses[-10:]))
    blew_up = sum(not numpy.isfinite(f) or f > 10 for f in finals["none"])
    trained = sum(numpy.isfinite(f) and f < 1 for f in finals["clip"])
    assert blew_up >= 2 and trained >= 2, finals


def test_a_linear_rnn_jacobian_is_the_power_of_its_spectral_radius(vanishing):
    args = argparse.Namespace(steps=30, seed=0, device="cpu")
    for radius in (0.8, 1.2):
        norms, powers = vanishing.linear_rnn(args, radius)
        numpy.testing.assert_allclose(norms, powers, rtol=1e-9)


def test_the_perplexity_table_orders_the_models_as_the_lectures_do():
    """Reduced (60k characters, 150 steps, 2 seeds): more context lowers an n-gram's perplexity under
    Kneser–Ney, while add-1 gets worse past 3-grams; the fixed window and the LSTM, in both seeds,
    beat what counts of pairs can do (the Kneser–Ney bigram)."""
    rows = {name: {"perplexity": perplexities} for name, perplexities in
            trained("test_the_perplexity_table_orders_the_models_as_the_lectures_do").items()}
    median = {name: float(numpy.median(found["perplexity"])) for name, found in rows.items()}
    kneser_ney = [median["unigram (absolute discount)"]] + [median[f"{n}-gram, Kneser–Ney"] for n in (2, 3, 4, 5)]
    assert kneser_ney == sorted(kneser_ney, reverse=True), kneser_ney
    assert median["4-gram, add-1"] > median["3-gram, add-1"], median  # add-1's mass on unseen 4-grams
    for name in ("fixed window", "LSTM"):
        assert max(rows[name]["perplexity"]) < median["2-gram, Kneser–Ney"], (name, rows[name], median)


if __name__ == "__main__":
    print(json.dumps(LESSONS[sys.argv[1]]()))
