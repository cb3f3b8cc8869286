"""The suite's GPU cases, run against a NumPy-backed stand-in for CuPy (tests/stand_in_cupy).

It is not a GPU, and it checks nothing about CUDA. It checks the bookkeeping of devices on a
machine without one: that every GPU case builds its tensors on the GPU, that ops dispatch to the
GPU's array module and keep results there, that moves between devices happen only where asked,
and that the GPU branches of the code run at all. (It found three test cases that built an index
or a mask on the CPU for a GPU tensor.) With real CuPy and a GPU the cases run for real, and this
test steps aside.

The stand-in's run is a second pytest of a few hundred cases: it runs beside the rest of the suite,
on the core a pytest run leaves idle (background.py), and this test waits for what is left of it.
"""

import os
import pathlib
import re
import sys

import pytest
from background import Job

import tinygrad_rnn as tr

TESTS = pathlib.Path(__file__).resolve().parent


def files_with_gpu_cases() -> list[pathlib.Path]:
    """The test files that can hold a GPU case: a case's id says "gpu" only where its file names the GPU or
    a device (the ``device`` fixture, conftest.DEVICES, a test's name). Collecting these alone, not all the
    suite's files, selects the same cases and skips importing the rest."""
    return [path for path in sorted(TESTS.glob("*.py"))
            if path.name != "conftest.py" and re.search("gpu|device", path.read_text(), re.IGNORECASE)]


def stand_in_run() -> Job:
    """The GPU cases in a pytest of their own, with the stand-in CuPy first on its path."""
    path = os.pathsep.join(p for p in [str(TESTS / "stand_in_cupy"), os.environ.get("PYTHONPATH")] if p)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
               "-k", "gpu and not stand_in", *map(str, files_with_gpu_cases())]
    return Job(command, cwd=TESTS.parent, env=dict(os.environ, PYTHONPATH=path))


JOB = None if tr.gpu_available() else stand_in_run()


def background_jobs(item) -> list[Job]:
    """The stand-in's run, started beside the suite (background.py) as soon as this test is collected."""
    return [JOB] if JOB and item.name == "test_gpu_cases_pass_against_the_cupy_stand_in" else []


@pytest.mark.skipif(tr.gpu_available(), reason="a real GPU is here: the GPU cases run on it directly")
def test_gpu_cases_pass_against_the_cupy_stand_in():
    result = JOB.result()
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    passed = re.search(r"(\d+) passed", result.stdout)
    assert passed and int(passed.group(1)) >= 200, result.stdout[-1000:]  # every op, layer and loss case
