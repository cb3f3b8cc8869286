"""The Tensor API: construction, dtypes, devices, conversions, printing, and clear errors."""

import importlib
import os
import sys

import numpy
import pytest
from background import Job

import tinygrad_rnn as tr

devices = importlib.import_module("tinygrad_rnn.device")  # the module: tr.device is the device type


def test_constructor_and_attributes(device):
    t = tr.Tensor([[1.0, 2.0]], requires_grad=True, dtype="float64", device=device, name="W")
    assert t.shape == (1, 2) and t.ndim == 2 and t.dtype == numpy.float64
    assert t.device == device and t.requires_grad and t.is_leaf and t.name == "W"
    assert t.grad is None and isinstance(t.numpy(), numpy.ndarray)
    assert (t * 2).is_leaf is False and tr.tensor(1.0).is_leaf


def test_default_dtypes_follow_pytorch():
    assert tr.tensor(1.5).dtype == numpy.float32
    assert tr.tensor([1, 2]).dtype == numpy.int64
    assert tr.tensor([True]).dtype == numpy.bool_
    assert tr.tensor(numpy.zeros(2)).dtype == numpy.float64  # arrays keep their dtype
    assert tr.zeros(2).dtype == tr.ones(2).dtype == tr.randn(2).dtype == tr.rand(2).dtype == numpy.float32
    assert tr.arange(3).dtype == numpy.int64 and tr.arange(0.0, 1.0, 0.5).dtype == numpy.float32


@pytest.mark.parametrize("spec", ["float64", numpy.float64, numpy.dtype("float64"), tr.float64])
def test_dtype_accepts_numpy_dtypes_and_names(spec):
    assert tr.zeros(2, dtype=spec).dtype == numpy.float64


def test_python_and_numpy_scalars_never_promote_float32():
    x = tr.ones(3, requires_grad=True)
    for y in (x * 2.5, x + numpy.float64(1.0), 2.0 / x, x ** numpy.float64(2.0), numpy.float64(3.0) * x):
        assert y.dtype == numpy.float32
    (x * numpy.float64(2.0)).sum().backward()
    assert x.grad.dtype == numpy.float32


def test_float64_end_to_end():
    w = tr.randn(3, 3, dtype="float64", requires_grad=True)
    loss = ((w @ w).tanh().log_softmax(-1) * 0.5).sum()
    loss.backward()
    assert loss.dtype == w.grad.dtype == numpy.float64


def test_constructor_copies_its_data():
    source = numpy.ones(3)
    t = tr.tensor(source)
    source[0] = 5
    assert t.tolist() == [1.0, 1.0, 1.0]


def test_numpy_returns_a_host_copy():
    t = tr.ones(2)
    t.numpy()[0] = 7
    assert t.tolist() == [1.0, 1.0]


def test_item_and_its_error():
    assert tr.tensor([[2.5]]).item() == 2.5
    with pytest.raises(ValueError, match="3 elements"):
        tr.ones(3).item()


def test_stacking_tensors_of_different_shapes_names_them():
    """stack joins its parts with one concatenate, which alone would accept parts that differ
    along the joined dimension: the shapes are checked first, and the error names them."""
    with pytest.raises(tr.ShapeError, match=r"stack: cannot apply to .*\(2, 3\).*\(2, 4\).*same shape"):
        tr.stack([tr.ones(2, 3), tr.ones(2, 4)], dim=1)
    assert tr.stack([tr.ones(2, 3), tr.zeros(2, 3)], dim=1).tolist() == [[[1.0] * 3, [0.0] * 3]] * 2


def test_stack_equals_numpy_stack_at_every_dim():
    """The concatenate-and-reshape gives numpy.stack's array at every dim (a new last one by numpy.stack
    itself), for one part (h_n of a one-layer RNN) as for several."""
    rng = numpy.random.default_rng(0)
    for count in (1, 3):
        parts = [rng.standard_normal((2, 3, 4)) for _ in range(count)]
        for dim in range(-4, 4):
            numpy.testing.assert_array_equal(tr.stack([tr.tensor(p) for p in parts], dim=dim).numpy(),
                                             numpy.stack(parts, axis=dim))



def test_ops_with_one_pattern_of_needed_gradients_share_its_tuple():
    """needs_input_grad is one tuple per pattern, shared (an object fewer per op for the garbage
    collector to visit), and still says, input by input, which gradient is needed."""
    w, x = tr.ones(2, requires_grad=True), tr.ones(2)
    first, second = (w * x).grad_fn, (x * w * x).grad_fn
    assert first.needs_input_grad == (True, False) and second.needs_input_grad == (True, False)
    assert first.needs_input_grad is second.needs_input_grad
    assert (x * w).grad_fn.needs_input_grad == (False, True)
    (x * w * x).sum().backward()
    assert w.grad.tolist() == [1.0, 1.0]

def test_cat_into_out_writes_arrays_in_place_and_names_what_does_not_fit():
    """A fused cell writes its gradient into a slot of one buffer (fast/'s _cat_into): the result is
    out itself, and a misfit is an error naming the shapes. The plain cat has no out= (it records)."""
    from tinygrad_rnn.fast.recurrent.fused_cells import _cat_into

    out = numpy.empty((2, 5), numpy.float32)
    parts = [numpy.ones((2, 2), numpy.float32), numpy.zeros((2, 3), numpy.float32)]
    assert _cat_into(parts, -1, out) is out and out.tolist() == [[1, 1, 0, 0, 0]] * 2
    with pytest.raises(tr.ShapeError, match=r"cat: .*\(2, 2\), \(2, 3\) along dim 0 .*out of shape \(2, 5\)"):
        _cat_into(parts, 0, out)
    assert _cat_into(parts, -1, None).tolist() == [[1, 1, 0, 0, 0]] * 2


def test_detach_cuts_the_graph_but_shares_values():
    x = tr.ones(2, requires_grad=True)
    y = (x * 2).detach()
    assert not y.requires_grad and y.is_leaf and y.tolist() == [2.0, 2.0]


def test_requires_grad_only_for_floats():
    with pytest.raises(TypeError, match="floating-point"):
        tr.tensor([1, 2], requires_grad=True)
    assert tr.zeros(2).requires_grad_().requires_grad


def test_to_casts_differentiably():
    x = tr.ones(2, requires_grad=True)
    y = x.to("float64")
    assert y.dtype == numpy.float64
    (y * 3).sum().backward()
    assert x.grad.dtype == numpy.float32 and x.grad.tolist() == [3.0, 3.0]
    assert x.double().dtype == numpy.float64 and x.long().dtype == numpy.int64 and x.to("cpu") is x


def test_long_of_a_float_tensor_records_nothing():
    x = tr.ones(2, requires_grad=True)
    assert not x.long().requires_grad


def test_repr_is_useful():
    x = tr.tensor([1.0, 2.0], requires_grad=True, name="w")
    assert repr(x) == "tensor([1., 2.], requires_grad=True, name='w')"
    assert repr(x * 2) == "tensor([2., 4.], grad_fn=<Mul>)"
    assert "dtype=float64" in repr(tr.zeros(1, dtype="float64"))


def test_comparisons_make_masks_without_gradient():
    x = tr.tensor([1.0, -2.0, 3.0], requires_grad=True)
    mask = x > 0
    assert mask.dtype == numpy.bool_ and not mask.requires_grad
    assert mask.tolist() == [True, False, True]
    assert (~mask).tolist() == [False, True, False] and (mask & (x < 2)).tolist() == [True, False, False]
    assert (x == 3).tolist() == [False, False, True] and (x != 3).tolist() == [True, True, False]


def test_max_with_dim_returns_values_and_indices_as_pytorch():
    x = tr.tensor([[1.0, 5.0], [7.0, 2.0]])
    values, indices = x.max(dim=1)
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    assert x.max().item() == 7.0 and tr.max(x, tr.ones(2) * 3).tolist() == [[3.0, 5.0], [7.0, 3.0]]
    assert x.argmax().item() == 2 and x.min(0).indices.tolist() == [0, 1]


def test_numpy_axis_aliases():
    x = tr.ones(2, 3)
    assert x.sum(axis=1).shape == (2,) and x.mean(axis=0, keepdims=True).shape == (1, 3)


def test_reductions_match_numpy(rng):
    data = rng.standard_normal((3, 4, 5))
    x = tr.tensor(data)
    for dim in (None, 0, 1, 2, (0, 2)):
        numpy.testing.assert_allclose(x.sum(dim).numpy(), data.sum(axis=dim))
        numpy.testing.assert_allclose(x.var(dim).numpy(), data.var(axis=dim, ddof=1))
        numpy.testing.assert_allclose(x.amax(dim).numpy(), data.max(axis=dim))
    numpy.testing.assert_allclose(x.logsumexp(1).numpy(), numpy.log(numpy.exp(data).sum(1)))
    numpy.testing.assert_allclose(x.softmax(1).numpy().sum(1), numpy.ones((3, 5)))


def test_softmax_family_is_numerically_stable():
    big = tr.tensor([[1000.0, 0.0, -1000.0]], dtype="float64")
    assert numpy.isfinite(big.softmax(-1).numpy()).all()
    assert big.log_softmax(-1).numpy()[0, 1] == pytest.approx(-1000.0)
    assert big.logsumexp(-1).item() == pytest.approx(1000.0)
    assert tr.tensor([[-numpy.inf, -numpy.inf]]).logsumexp(-1).item() == -numpy.inf
    assert tr.tensor([-1000.0, 1000.0]).sigmoid().tolist() == [0.0, 1.0]


def test_manual_seed_makes_random_tensors_reproducible():
    tr.manual_seed(3)
    a = tr.randn(4)
    tr.manual_seed(3)
    assert (tr.randn(4) == a).all().item()


def test_creation_helpers():
    assert tr.full((2,), 3.0).tolist() == [3.0, 3.0]
    assert tr.zeros_like(tr.ones(2, dtype="float64")).dtype == numpy.float64
    assert tr.ones_like(tr.zeros(1, 2)).shape == (1, 2)
    assert tr.zeros(2, 3, requires_grad=True).requires_grad


# --- bad input: errors name the op, the shapes and what to do ----------------------------------


def test_broadcasting_mismatch_names_op_and_shapes():
    with pytest.raises(tr.ShapeError, match=r"add: .*shape=\(2, 3\).*shape=\(4,\).*broadcast"):
        tr.ones(2, 3) + tr.ones(4)


def test_matmul_mismatch_names_op_and_shapes():
    with pytest.raises(tr.ShapeError, match=r"matmul: shapes \(2, 3\) @ \(4, 5\) do not fit: .*\(3\).*\(4\)"):
        tr.ones(2, 3) @ tr.ones(4, 5)


def test_float_indices_are_refused_with_a_fix():
    with pytest.raises(IndexError, match=r"getitem: indices must be integers.*float32.*long\(\)"):
        tr.ones(3)[tr.tensor([0.0, 1.0])]


def test_out_of_range_index_names_the_op():
    with pytest.raises(IndexError, match=r"index: cannot apply to Tensor\(shape=\(3,\)"):
        tr.ones(3)[tr.tensor([5])]


def test_reshape_to_a_wrong_size_names_the_op():
    with pytest.raises(tr.ShapeError, match=r"reshape: .*same number of elements"):
        tr.ones(2, 3).reshape(4, 2)


def test_bad_dimension_names_the_op():
    with pytest.raises(IndexError, match="softmax: dimension 2 is out of range"):
        tr.ones(2, 3).softmax(2)


def test_unknown_dtype_and_device():
    with pytest.raises(TypeError, match="unknown dtype"):
        tr.zeros(2, dtype="float99")
    with pytest.raises(tr.DeviceError, match="unknown device 'tpu'"):
        tr.zeros(2, device="tpu")


def test_gpu_request_without_gpu_explains_what_is_missing():
    if tr.gpu_available():
        pytest.skip("a GPU is available here")
    with pytest.raises(tr.DeviceError, match="(CuPy is not installed|no usable CUDA device|no CUDA device)"):
        tr.zeros(2, device="gpu")


@pytest.mark.skipif(not tr.gpu_available(), reason="needs a GPU to mix devices")
def test_mixing_cpu_and_gpu_is_an_error_not_a_copy():
    with pytest.raises(tr.DeviceError, match=r"mul: inputs are on different devices \(cpu and gpu"):
        tr.ones(2) * tr.ones(2, device="gpu")


def test_mixing_devices_is_checked_in_every_op(monkeypatch):
    """Without a GPU, simulate a second device to check that every op refuses mixed inputs."""

    class FakeGpuArray(numpy.ndarray):
        pass

    class FakeCupy:
        ndarray = FakeGpuArray

    monkeypatch.setattr(devices, "_cupy", FakeCupy)
    on_gpu = tr.Tensor._make(numpy.ones(2).view(FakeGpuArray))
    assert on_gpu.device == "gpu"
    ops = (lambda a, b: a + b, lambda a, b: a * b, lambda a, b: tr.stack([a, b]), lambda a, b: tr.where(a > 0, a, b))
    for op in ops:
        with pytest.raises(tr.DeviceError, match="different devices"):
            op(tr.ones(2, dtype="float64"), on_gpu)


IMPORT = ("import sys, tinygrad_rnn\n"
          "heavy = [m for m in ('cupy', 'graphviz', 'matplotlib', 'torch') if m in sys.modules]\n"
          "assert not heavy, heavy\n"
          "assert callable(tinygrad_rnn.grad)\n")
DEVICE = "import tinygrad_rnn as tr; print(tr.zeros(1).device)"
JOBS = {  # a test's name: the interpreters it reads, each started beside the suite (background.py)
    "test_import_is_light_and_silent": [Job([sys.executable, "-c", IMPORT], env=dict(os.environ))],
    "test_default_device_comes_from_the_environment": [
        Job([sys.executable, "-c", DEVICE], env={"TINYGRAD_RNN_DEVICE": device, "PATH": ""})
        for device in ("cpu", "tpu")],
}


def background_jobs(item) -> list[Job]:
    """The interpreters a test reads, started beside the suite (background.py) as soon as it is collected."""
    return JOBS.get(item.name, [])


def test_import_is_light_and_silent():
    (job,) = JOBS["test_import_is_light_and_silent"]
    result = job.result()
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""


def test_default_device_comes_from_the_environment():
    env_result, bad = (job.result() for job in JOBS["test_default_device_comes_from_the_environment"])
    assert env_result.stdout.strip() == "cpu"
    assert "unknown device 'tpu'" in bad.stderr


def test_the_methods_that_name_ops_take_pytorchs_keyword_other():
    """Tensor's methods are the ops' functions themselves (``mul = ops.mul``): their second
    argument keeps PyTorch's name, so ``x.mul(other=y)`` works as in PyTorch."""
    import tinygrad_rnn as tr

    x, y = tr.tensor([1.0, 4.0]), tr.tensor([2.0, 2.0])
    assert x.mul(other=y).tolist() == [2.0, 8.0] and x.div(other=y).tolist() == [0.5, 2.0]
    assert x.maximum(other=y).tolist() == [2.0, 4.0] and x.minimum(other=y).tolist() == [1.0, 2.0]
    assert x.lt(other=y).tolist() == [True, False] and x.ge(other=y).tolist() == [False, True]
    assert x.eq(other=y).tolist() == [False, False] and x.ne(other=y).tolist() == [True, True]
    assert x.le(other=y).tolist() == [True, False] and x.gt(other=y).tolist() == [False, True]
    assert x.matmul(other=y).item() == 10.0
    m = tr.ones(2, 2)
    assert m.mm(other=m).tolist() == [[2.0, 2.0], [2.0, 2.0]]
    assert m[None].bmm(other=m[None]).shape == (1, 2, 2)
