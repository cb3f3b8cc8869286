"""The allocator seam (tinygrad_rnn/fast/allocator.py): glibc keeps what a training step frees, so
the next step's large arrays fault no pages in; uninstalled, they do.

Measured in a process of its own: how many pages a step faults in depends on what the process
freed before (in the suite, the tests before it), which once left both counts 0."""

import json
import pathlib
import subprocess
import sys

import pytest

from tinygrad_rnn.fast import allocator

ROOT = pathlib.Path(__file__).resolve().parents[1]
MEASURE = """
import json, resource, sys
sys.path.insert(0, "tests")  # (run from the repository root: the helper beside this test)
from tinygrad_rnn.fast import allocator
from training_step import language_model_step

_, step = language_model_step(65, 16, 128, batch=32, length=32)


def faults_of_a_step():
    for _ in range(3):  # (the steps before: what they free is what the next one may take)
        step()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    step()
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


allocator.install()
kept = faults_of_a_step()
allocator.uninstall()
given_back = faults_of_a_step()
allocator.install()
print(json.dumps([kept, given_back, allocator.installed()]))
"""


@pytest.mark.skipif(allocator._glibc() is None, reason="glibc's mallopt only (elsewhere install() does nothing)")
def test_with_the_allocator_a_training_step_faults_no_pages_in():
    done = subprocess.run([sys.executable, "-c", MEASURE], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    kept, given_back, installed = json.loads(done.stdout.splitlines()[-1])
    assert installed
    assert 4 * kept < given_back, (kept, given_back)  # (measured: about 0 against 700)
