"""Shared fixtures: every test that takes ``device`` runs on CPU and, where CuPy sees a GPU, on GPU."""

import contextlib
import os
import pathlib
import shutil

import background
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


def assert_same_as_torch(fn, arrays, rng, rtol=1e-10, atol=1e-12):
    """``fn(M, *tensors)``, written with names tinygrad_rnn (``M = tr``) and PyTorch (``M = torch``)
    share, gives the same values (shape and dtype too) in both, and the same gradients of a random
    projection of its output for every floating-point input. Integer inputs (targets) go in as they are."""
    import torch

    ours = [tr.tensor(a, requires_grad=a.dtype.kind == "f") for a in map(numpy.asarray, arrays)]
    theirs = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in map(numpy.asarray, arrays)]
    ours_out, theirs_out = fn(tr, *ours), fn(torch, *theirs)
    expected = theirs_out.detach().numpy()
    assert ours_out.shape == expected.shape and ours_out.dtype == expected.dtype
    numpy.testing.assert_allclose(ours_out.numpy(), expected, rtol=rtol, atol=atol)
    weights = rng.standard_normal(expected.shape)
    (ours_out * tr.tensor(weights)).sum().backward()
    (theirs_out * torch.tensor(weights)).sum().backward()
    for mine, reference in zip(ours, theirs):
        if reference.requires_grad:
            numpy.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=rtol, atol=atol)


@pytest.fixture(params=["fast", "plain"])
def fast_path(request):
    """Runs a test with tinygrad_rnn/fast/ installed ("fast": the fused stepper, the allocator, the
    thread policy) and uninstalled ("plain": the plain path alone, as under TINYGRAD_RNN_FAST=0),
    then puts back what was installed before."""
    from tinygrad_rnn import fast
    from tinygrad_rnn.nn import recurrent

    was_installed = recurrent.RECURRENT_STEPPER is not None
    fast.install() if request.param == "fast" else fast.uninstall()
    yield request.param
    fast.install() if was_installed else fast.uninstall()


@pytest.fixture
def library_svg(tmp_path, monkeypatch):
    """No Graphviz on the PATH: save and the CLI write the library's own SVG (the layout Graphviz is given)."""
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs"))


@contextlib.contextmanager
def no_suggestion_tried():
    """The CLI (or draw/save) with the slide-fit warning's search trying no candidate, for a test that reads the
    figure, never the warning: the figure is drawn, measured and written as ever, and the warning says
    "none of the smaller figures tried fits" (none was), where the search spent seconds drawing figures the test
    discarded unread (the CLI shows the warning whatever the filters). test_slide_fit_warning.py tests the search.

    ``with no_suggestion_tried(): assert main(["graph", ...]) == 0``
    """
    from tinygrad_rnn.viz import fit_advice

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fit_advice, "candidates", lambda options, steps: [])
        yield


@pytest.fixture
def quick(monkeypatch):
    """The perplexity slide's models trained for two steps: for tests of what does not depend on them."""
    from tinygrad_rnn.viz import deck_measured_slides

    monkeypatch.setattr(deck_measured_slides, "TRAINING_STEPS", 2)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, driven by Playwright through its executable path (never a browser build of Playwright's
    own), launched once for every module that reads a page in it (a launch is seconds on a loaded machine; each
    test or module opens its own pages, as before). Skips, saying why, where either is missing (tests/setup.sh
    installs both)."""
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="Playwright is not installed (tests/setup.sh installs it)")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Debian's chromium is missing (tests/setup.sh installs it)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield launched
        launched.close()


def pytest_collection_finish(session):
    """Queues the subprocesses collected tests wait for (a module's ``background_jobs``), to run beside the
    suite on the core it leaves idle (background.py)."""
    jobs = []
    for item in [] if session.config.option.collectonly else getattr(session, "items", []):
        for job in getattr(getattr(item, "module", None), "background_jobs", lambda item: [])(item):
            if job not in jobs:
                jobs.append(job)
    if jobs:
        background.QUEUE.add(jobs)


def pytest_sessionfinish(session):
    background.QUEUE.stop()  # (after -x's first failure, jobs no test will read)
