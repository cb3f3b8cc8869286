"""Shared fixtures: every test that takes ``device`` runs on CPU and, where CuPy sees a GPU, on GPU."""

import os
import pathlib

import numpy
import pytest
from hypothesis import settings

import tinygrad_rnn as tr

settings.register_profile("suite", deadline=None, max_examples=40, derandomize=True)
settings.load_profile("suite")

collect_ignore = ["stand_in_cupy"]  # a NumPy-backed CuPy for test_device_dispatch.py, never imported here

GPU_REASON = "no GPU here: CuPy is not installed or sees no CUDA device"
DEVICES = ["cpu", pytest.param("gpu", marks=pytest.mark.skipif(not tr.gpu_available(), reason=GPU_REASON))]


@pytest.fixture(params=DEVICES)
def device(request):
    return request.param


@pytest.fixture
def rng():
    return numpy.random.default_rng(1234)


def make(values, device="cpu", requires_grad=True):
    """A float64 tensor from an array of values."""
    return tr.tensor(numpy.asarray(values, dtype=numpy.float64), requires_grad=requires_grad, device=device)


def checkout_first() -> dict:
    """The environment for a subprocess, with this checkout's package ahead of any installed copy:
    Python puts a script's own folder first on its path, not the checkout."""
    root = str(pathlib.Path(__file__).resolve().parent.parent)
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
