"""The suite's GPU cases, run against a NumPy-backed stand-in for CuPy (tests/stand_in_cupy).

It is not a GPU, and it checks nothing about CUDA. It checks the bookkeeping of devices on a
machine without one: that every GPU case builds its tensors on the GPU, that ops dispatch to the
GPU's array module and keep results there, that moves between devices happen only where asked,
and that the GPU branches of the code run at all. (It found three test cases that built an index
or a mask on the CPU for a GPU tensor.) With real CuPy and a GPU the cases run for real, and this
test steps aside.
"""

import os
import pathlib
import re
import subprocess
import sys

import pytest

import tinygrad_rnn as tr

TESTS = pathlib.Path(__file__).resolve().parent


@pytest.mark.skipif(tr.gpu_available(), reason="a real GPU is here: the GPU cases run on it directly")
def test_gpu_cases_pass_against_the_cupy_stand_in():
    path = os.pathsep.join(p for p in [str(TESTS / "stand_in_cupy"), os.environ.get("PYTHONPATH")] if p)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
               "-k", "gpu and not stand_in", str(TESTS)]
    result = subprocess.run(command, cwd=TESTS.parent, env=dict(os.environ, PYTHONPATH=path),
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    passed = re.search(r"(\d+) passed", result.stdout)
    assert passed and int(passed.group(1)) >= 200, result.stdout[-1000:]  # every op, layer and loss case
