"""PyTorch's device and dtype objects: ``tr.device("cuda")``, ``tr.float64``, ``x.type()``."""

import copy
import importlib
import pathlib
import pickle
import pkgutil
import re

import numpy
import pytest

import tinygrad_rnn as tr

torch = pytest.importorskip("torch", reason="PyTorch (test oracle) is not installed")


def test_device_is_the_device_type_after_every_submodule_is_imported():
    for module in pkgutil.walk_packages(tr.__path__, prefix="tinygrad_rnn."):
        if module.name != "tinygrad_rnn.__main__":
            importlib.import_module(module.name)
    assert isinstance(tr.device, type) and tr.device is tr.Device
    assert isinstance(tr.ones(1).device, tr.device)
    assert importlib.import_module("tinygrad_rnn.device").get_device("cpu") is tr.device("cpu")


def test_no_module_of_the_package_imports_the_device_module_by_the_packages_attribute():
    # `from . import device` reads the package's attribute `device`, which is the type once the
    # package is imported: a module imported later would get the class. Import names from it.
    package = pathlib.Path(tr.__file__).parent
    wrong = re.compile(r"^\s*(from \.+ import .*\bdevice\b|import tinygrad_rnn\.device"
                       r"|from tinygrad_rnn import .*\bdevice\b)", re.MULTILINE)
    offenders = [str(path.relative_to(package)) for path in package.rglob("*.py") if wrong.search(path.read_text())]
    assert not offenders, f"import names from the device module instead (from .device import get_device): {offenders}"


@pytest.mark.parametrize("spec", ["cpu", "CPU", "cuda", "cuda:0", "gpu"])
def test_device_names_and_equality_as_pytorch(spec):
    ours, theirs = tr.device(spec.lower()), torch.device(spec.lower().replace("gpu", "cuda"))
    assert (ours == "cpu") == (theirs == torch.device("cpu")) == (ours.type == "cpu")
    assert ours == spec.lower() and tr.device(ours) is ours
    assert copy.deepcopy(ours) is ours and pickle.loads(pickle.dumps(ours)) is ours


def test_gpu_device_objects_are_one_object():
    assert tr.device("cuda") is tr.device("cuda", 0) is tr.device("gpu") and tr.device("cuda").type == "gpu"
    assert tr.device("cuda") != "cpu" and tr.device("cpu") != tr.device("cuda")
    assert {tr.device("cuda"): 1}[tr.device("gpu")] == 1


@pytest.mark.parametrize("spec, index", [("tpu", None), ("cuda:1", None), ("cuda", 3), ("cpu", 0), (3, None)])
def test_unknown_devices_say_so(spec, index):
    with pytest.raises(tr.DeviceError, match="unknown device"):
        tr.device(spec, index)


def test_device_objects_are_accepted_where_device_names_are():
    cpu = tr.device("cpu")
    assert tr.zeros(2, device=cpu).device is cpu and tr.randn(2, device=cpu).device == "cpu"
    assert tr.tensor([1.0], device=cpu).to(cpu).device is cpu
    model = tr.nn.Linear(2, 3).to(cpu)
    assert model.weight.device is cpu


def test_to_unknown_device_says_unknown_device_not_dtype():
    with pytest.raises(tr.DeviceError, match=r"to: unknown device or dtype 'tpu'"):
        tr.ones(2).to("tpu")
    with pytest.raises(tr.DeviceError, match=r"Linear.to: unknown device or dtype 'tpu'"):
        tr.nn.Linear(2, 2).to("tpu")


def test_to_reads_devices_dtypes_and_tensors_in_any_order():
    x = tr.ones(2, requires_grad=True)
    y = x.to(tr.float64, tr.device("cpu"))
    assert y.dtype == tr.float64 and y.grad_fn is not None
    assert x.to("cpu") is x and x.to(dtype=tr.float) is x
    assert tr.ones(1, dtype=tr.long).to(y).dtype == numpy.float64  # a tensor: its dtype and device
    y.sum().backward()
    assert x.grad.dtype == tr.float32


def test_module_to_takes_a_dtype_positionally():
    model = tr.nn.Linear(2, 3).to(tr.float64)
    assert model.weight.dtype == tr.double and model.bias.dtype == tr.float64
    assert model.to(tr.device("cpu"), dtype=tr.float32).weight.dtype == tr.float32


@pytest.mark.parametrize("name", ["float16", "half", "float32", "float", "float64", "double", "uint8", "int8",
                                  "int16", "short", "int32", "int", "int64", "long", "bool"])
def test_dtypes_by_pytorchs_names(name):
    ours, theirs = getattr(tr, name), getattr(torch, name)
    assert str(ours) == str(theirs).removeprefix("torch.")
    assert tr.zeros(2, dtype=ours).dtype == ours and tr.ones(2).to(ours).dtype == ours
    assert torch.zeros(2, dtype=theirs).numpy().dtype == ours


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "uint8", "int8", "int16", "int32", "int64",
                                   "bool"])
def test_type_names_the_type_as_pytorch_and_casts(dtype):
    theirs = torch.zeros(2, dtype=getattr(torch, dtype))
    ours = tr.zeros(2, dtype=dtype)
    assert ours.type() == theirs.type()
    assert tr.zeros(2).type(theirs.type()).dtype == ours.dtype
    assert tr.zeros(2).type(getattr(tr, dtype)).dtype == ours.dtype


def test_type_errors_name_what_to_use():
    with pytest.raises(TypeError, match="unknown tensor type 'torch.ComplexTensor'.*torch.FloatTensor"):
        tr.zeros(2).type("torch.ComplexTensor")
    with pytest.raises(TypeError, match="dtype object is not supported"):
        tr.zeros(2).type(object)


def test_pytorchs_own_dtype_objects_are_understood_too():
    assert tr.zeros(2, dtype=torch.float64).dtype == tr.float64 and tr.ones(2).to(torch.int64).dtype == tr.long


def test_star_import_leaves_the_builtins_alone():
    namespace = {}
    exec("from tinygrad_rnn import *", namespace)
    assert not {"float", "int", "bool", "abs", "max", "sum"} & set(namespace)
    assert namespace["device"] is tr.device and namespace["float64"] == tr.double
