"""Regenerate tests/golden/recurrent.npz: PyTorch's answers for a fixed set of layer configurations.

    .venv/bin/python tests/golden/make_golden.py

For each configuration the file holds the inputs, PyTorch's initial weights (its state_dict),
and its outputs, final states and gradients, as float64 arrays; the configurations themselves
are stored as JSON. tests/test_recurrent_golden.py replays them with tinygrad_rnn, so the
comparison with PyTorch runs where PyTorch is not installed.
"""

import json
import pathlib
import sys

import numpy
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from recurrent_cases import layer_inputs, random_layer_config, run_torch  # noqa: E402

FIRST_SEED = 1000  # disjoint from the live test's seeds
COUNT = 24
PATH = pathlib.Path(__file__).resolve().parent / "recurrent.npz"


def main() -> None:
    arrays, configs = {}, []
    for number, (config, rng, seed) in enumerate(_chosen_configs()):
        data = layer_inputs(config, rng)
        state_dict, results = run_torch(config, data, torch, seed)
        configs.append(config)
        for group, values in (("input", data), ("param", state_dict), ("expected", results)):
            for key, value in values.items():
                arrays[f"{number}/{group}/{key}"] = numpy.asarray(value)
    arrays["configs"] = numpy.array(json.dumps(configs))
    arrays["torch_version"] = numpy.array(torch.__version__)
    numpy.savez_compressed(PATH, **arrays)
    print(f"wrote {len(configs)} configurations to {PATH} ({PATH.stat().st_size // 1024} KiB)")


def _chosen_configs():
    """COUNT configurations from consecutive seeds, the last few picked to include proj_size."""
    seed, chosen = FIRST_SEED, []
    while len(chosen) < COUNT:
        rng = numpy.random.default_rng(seed)
        config = random_layer_config(rng)
        needs_projection = len(chosen) >= COUNT - 3 and sum(bool(c.get("proj_size")) for c, _, _ in chosen) < 3
        if not needs_projection or config.get("proj_size"):
            chosen.append((config, rng, seed))
        seed += 1
    return chosen


if __name__ == "__main__":
    main()
