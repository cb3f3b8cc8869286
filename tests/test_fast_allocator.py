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
import json, resource
import numpy
import tinygrad_rnn as tr
from tinygrad_rnn.fast import allocator

tr.manual_seed(0)
model = tr.models.LanguageModel(65, 16, 128, cell="rnn")
optimizer = tr.optim.SGD(model.parameters(), lr=0.1)
ids = tr.tensor(numpy.random.default_rng(0).integers(0, 65, (32, 32)))


def faults_of_a_step():
    def step():
        logits, _ = model(ids)
        loss = tr.nn.functional.cross_entropy(logits.reshape(-1, 65), ids.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
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
