"""tr.save / tr.load: round trips of tensors, arrays and nested structures; state dicts into
models and optimizers; whole modules refused in one line; corrupt files rejected; file objects."""

import io
import json
import math

import numpy
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn.checkpoint import FORMAT, VERSION, save_checkpoint, write_archive
from tinygrad_rnn.errors import CheckpointError

DTYPES = ["float32", "float64", "float16", "int64", "int32", "bool"]
SHAPES = [(), (0,), (3,), (2, 0, 3), (2, 3)]


def round_trip(obj, tmp_path, **load_options):
    path = tmp_path / "saved.pt"
    assert tr.save(obj, path) is None
    return tr.load(path, **load_options)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_a_tensor_comes_back_with_its_dtype_shape_values_and_requires_grad(dtype, shape, tmp_path):
    values = (numpy.random.default_rng(0).standard_normal(shape) * 5).astype(dtype)
    tensor = tr.tensor(values, requires_grad=dtype.startswith("float"))
    loaded = round_trip(tensor, tmp_path)
    assert type(loaded) is tr.Tensor and loaded is not tensor
    assert loaded.dtype == numpy.dtype(dtype) and loaded.shape == shape
    assert loaded.requires_grad == tensor.requires_grad and loaded.is_leaf
    numpy.testing.assert_array_equal(loaded.numpy(), values)


def test_nested_structures_of_every_kind_come_back_equal(tmp_path):
    weight = tr.randn(2, 3, requires_grad=True)
    checkpoint = {
        "epoch": 12, "best": 0.25, "name": "lstm-ptb", "done": False, "note": None, "big": 2**70,
        "odd": [math.inf, -math.inf], "state": {0: {"step": 3, "momentum": numpy.ones((2, 3))}},
        "betas": (0.9, 0.999), "layers": [weight, [tr.tensor(7), ()], {}], "scalar": numpy.float32(1.5),
        "scalar64": numpy.float64(2.5), "count": numpy.int64(3),
        "dtype": tr.float64, "device": tr.get_device("cpu"), "text": numpy.array(["a", "bc"]),
    }
    loaded = round_trip(checkpoint, tmp_path)
    assert list(loaded) == list(checkpoint)  # order kept
    assert_same_structure(loaded, checkpoint)
    assert math.isnan(round_trip({"x": math.nan}, tmp_path)["x"])


def assert_same_structure(loaded, original):
    """Equal values, equal types, all the way down (a tuple stays a tuple, an int key an int)."""
    assert type(loaded) is type(original), (loaded, original)
    if isinstance(original, dict):
        assert list(loaded) == list(original) and all(type(a) is type(b) for a, b in zip(loaded, original))
        for key in original:
            assert_same_structure(loaded[key], original[key])
    elif isinstance(original, (list, tuple)):
        assert len(loaded) == len(original)
        for a, b in zip(loaded, original):
            assert_same_structure(a, b)
    elif isinstance(original, (tr.Tensor, numpy.ndarray, numpy.generic)):
        a, b = (x.numpy() if isinstance(x, tr.Tensor) else numpy.asarray(x) for x in (loaded, original))
        assert a.dtype == b.dtype and a.shape == b.shape
        numpy.testing.assert_array_equal(a, b)
        if isinstance(original, tr.Tensor):
            assert loaded.requires_grad == original.requires_grad
    else:
        assert loaded == original


def test_a_tensor_saved_twice_comes_back_as_one(tmp_path):
    shared = tr.ones(3)
    loaded = round_trip({"encoder": shared, "decoder": shared, "other": tr.ones(3)}, tmp_path)
    assert loaded["encoder"] is loaded["decoder"] and loaded["other"] is not loaded["encoder"]


def test_a_parameter_comes_back_as_a_parameter(tmp_path):
    loaded = round_trip([tr.nn.Linear(2, 3).weight], tmp_path)[0]
    assert isinstance(loaded, tr.nn.Parameter) and loaded.requires_grad and loaded.shape == (3, 2)


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_load_state_dict_of_a_loaded_state_dict_gives_identical_outputs(kind, tmp_path):
    tr.manual_seed(0)
    model = getattr(tr.nn, kind)(3, 4, num_layers=2, bidirectional=True)
    x = tr.randn(5, 2, 3)
    tr.save({"model": model.state_dict(), "epoch": 4}, tmp_path / "model.pt")
    tr.manual_seed(1)
    fresh = getattr(tr.nn, kind)(3, 4, num_layers=2, bidirectional=True)
    assert not numpy.array_equal(fresh(x)[0].numpy(), model(x)[0].numpy())
    checkpoint = tr.load(tmp_path / "model.pt")
    fresh.load_state_dict(checkpoint["model"])
    assert checkpoint["epoch"] == 4
    numpy.testing.assert_array_equal(fresh(x)[0].numpy(), model(x)[0].numpy())


def test_an_optimizer_state_dict_round_trips_and_training_continues_identically(tmp_path):
    def train(model, optimizer, steps):
        for _ in range(steps):
            optimizer.zero_grad()
            (model(tr.ones(2, 3)) ** 2).sum().backward()
            optimizer.step()

    tr.manual_seed(0)
    model = tr.nn.Linear(3, 2)
    optimizer = tr.optim.Adam(model.parameters(), lr=0.1, betas=(0.8, 0.9))
    train(model, optimizer, 3)
    tr.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, tmp_path / "ck.pt")
    train(model, optimizer, 2)

    resumed = tr.nn.Linear(3, 2)
    resumed_optimizer = tr.optim.Adam(resumed.parameters(), lr=1.0)
    checkpoint = tr.load(tmp_path / "ck.pt")
    assert checkpoint["optimizer"]["param_groups"][0]["betas"] == (0.8, 0.9)
    resumed.load_state_dict(checkpoint["model"])
    resumed_optimizer.load_state_dict(checkpoint["optimizer"])
    train(resumed, resumed_optimizer, 2)
    for name, value in model.state_dict().items():
        numpy.testing.assert_array_equal(resumed.state_dict()[name], value)


def test_a_whole_module_or_optimizer_is_refused_in_one_line_naming_state_dict(tmp_path):
    model = tr.nn.LSTM(2, 3)
    for obj, where in [(model, "obj"), ({"model": model}, "obj['model']"),
                       ([tr.optim.SGD(model.parameters(), lr=0.1)], "obj[0]")]:
        with pytest.raises(TypeError) as error:
            tr.save(obj, tmp_path / "model.pt")
        message = str(error.value)
        assert "\n" not in message and where in message and "state_dict()" in message
    assert "tr.save(lstm.state_dict(), path)" in str(pytest.raises(TypeError, tr.save, model, "x.pt").value)
    assert not (tmp_path / "model.pt").exists()


def test_what_cannot_be_saved_without_pickle_is_named(tmp_path):
    with pytest.raises(TypeError, match=r"obj\['f'\]\[1\] is of type function"):
        tr.save({"f": [1, lambda: 0]}, tmp_path / "x.pt")
    with pytest.raises(TypeError, match="array of Python objects"):
        tr.save(numpy.array([{}, 1], dtype=object), tmp_path / "x.pt")
    with pytest.raises(TypeError, match="keys must be strings or numbers"):
        tr.save({(1, 2): 3}, tmp_path / "x.pt")
    cycle = []
    cycle.append(cycle)
    with pytest.raises(ValueError, match="contains itself"):
        tr.save(cycle, tmp_path / "x.pt")


def test_a_failed_save_leaves_the_previous_file_whole(tmp_path):
    path = tmp_path / "x.pt"
    tr.save({"epoch": 1}, path)
    with pytest.raises(TypeError):
        tr.save({"epoch": 2, "model": tr.nn.Linear(1, 1)}, path)
    assert tr.load(path) == {"epoch": 1}


@pytest.mark.parametrize("damage", ["truncate", "flip", "junk", "empty"])
def test_a_corrupt_or_truncated_file_is_rejected_clearly(damage, tmp_path):
    path = tmp_path / "x.pt"
    tr.save({"weight": tr.randn(50, 50), "epoch": 3}, path)
    raw = path.read_bytes()
    if damage == "truncate":
        raw = raw[: len(raw) // 2]
    elif damage == "flip":  # a byte inside the stored array: the zip's CRC catches it
        middle = len(raw) // 2
        raw = raw[:middle] + bytes([raw[middle] ^ 0xFF]) + raw[middle + 1:]
    elif damage == "junk":
        raw = b"\x80\x02}q\x00." + raw[6:]  # what a pickle would start with
    else:
        raw = b""
    path.write_bytes(raw)
    with pytest.raises(CheckpointError, match="x.pt"):
        tr.load(path)


def test_a_damaged_description_is_a_checkpoint_error(tmp_path):
    metadata = {"format": FORMAT, "version": VERSION, "content": "saved object", "object": {"tensor": "object/9"}}
    write_archive(tmp_path / "x.pt", {"metadata": numpy.array(json.dumps(metadata))})
    with pytest.raises(CheckpointError, match="not a readable file of tr.save"):
        tr.load(tmp_path / "x.pt")


def test_a_training_checkpoint_is_pointed_to_load_checkpoint(tmp_path):
    save_checkpoint(tmp_path / "ck.npz", tr.nn.Linear(2, 2))
    with pytest.raises(CheckpointError, match="load_checkpoint"):
        tr.load(tmp_path / "ck.npz")


def test_file_objects_work(tmp_path):
    buffer = io.BytesIO()
    tr.save({"w": tr.arange(4)}, buffer)
    buffer.seek(0)
    numpy.testing.assert_array_equal(tr.load(buffer)["w"].numpy(), numpy.arange(4))
    with open(tmp_path / "x.pt", "wb") as file:
        tr.save([1, 2], file)
    with open(tmp_path / "x.pt", "rb") as file:
        assert tr.load(file) == [1, 2]
    with pytest.raises(CheckpointError, match="BytesIO"):
        tr.load(io.BytesIO(b"not a checkpoint"))


def test_map_location_takes_a_device_in_any_form(tmp_path):
    class OtherDevice:  # a device object of another library, as torch.device("cpu")
        type = "cpu"

    for location in ["cpu", tr.get_device("cpu"), OtherDevice()]:
        assert round_trip(tr.ones(2), tmp_path, map_location=location).device == "cpu"
    assert round_trip({"a": 1}, tmp_path, weights_only=True) == {"a": 1}
    with pytest.raises(TypeError, match="map_location must be a device"):
        round_trip(tr.ones(2), tmp_path, map_location={"cuda:0": "cpu"})


@pytest.mark.skipif(tr.gpu_available(), reason="checks the message when no GPU is usable")
def test_tensors_saved_on_a_gpu_load_here_with_map_location(tmp_path):
    metadata = {"format": FORMAT, "version": VERSION, "content": "saved object",
                "object": {"tensor": "object/0", "requires_grad": False, "device": "gpu"}}
    write_archive(tmp_path / "x.pt", {"object/0": numpy.ones(2), "metadata": numpy.array(json.dumps(metadata))})
    with pytest.raises(tr.DeviceError, match="map_location='cpu'"):
        tr.load(tmp_path / "x.pt")
    assert tr.load(tmp_path / "x.pt", map_location="cpu").device == "cpu"


def test_tensors_come_back_on_the_device_they_were_saved_from(device, tmp_path):
    loaded = round_trip(tr.ones(2, device=device), tmp_path)
    assert loaded.device == device
    assert round_trip(tr.ones(2, device=device), tmp_path, map_location="cpu").device == "cpu"
