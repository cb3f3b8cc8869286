"""Replay PyTorch's stored answers (tests/golden/recurrent.npz, made by tests/golden/make_golden.py)
for 24 layer configurations: runs everywhere, PyTorch installed or not."""

import json
import pathlib

import numpy
import pytest
from recurrent_cases import assert_same, run_ours

GOLDEN = numpy.load(pathlib.Path(__file__).resolve().parent / "golden" / "recurrent.npz", allow_pickle=False)
CONFIGS = json.loads(str(GOLDEN["configs"]))


def _group(number: int, group: str) -> dict:
    prefix = f"{number}/{group}/"
    return {key[len(prefix):]: GOLDEN[key] for key in GOLDEN.files if key.startswith(prefix)}


@pytest.mark.parametrize("number", range(len(CONFIGS)))
def test_layer_reproduces_pytorch_golden_vectors(number, device):
    config = CONFIGS[number]
    results = run_ours(config, _group(number, "input"), _group(number, "param"), device)
    assert_same(results, _group(number, "expected"), f"golden {number}: {config}")


def test_golden_file_covers_the_features():
    assert {c["kind"] for c in CONFIGS} == {"RNN", "LSTM", "GRU"}
    for feature in ("bidirectional", "batch_first", "lengths", "initial_state"):
        assert any(c[feature] for c in CONFIGS), feature
    assert any(c["num_layers"] > 1 for c in CONFIGS) and any(not c["bias"] for c in CONFIGS)
    assert any(c.get("proj_size") for c in CONFIGS) and any(c.get("nonlinearity") == "relu" for c in CONFIGS)
    assert any(c["unbatched"] for c in CONFIGS) and any(c["dropout"] for c in CONFIGS)
