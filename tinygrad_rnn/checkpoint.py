"""Checkpoints: model, optimizer, vocabulary and step in one ``.npz`` file — never pickle.

Arrays are stored under ``model/<name>`` and ``optimizer/<index>/<key>``; everything else
(the format, the model's configuration, the optimizer's options, the vocabulary, the step) is one
JSON string under ``metadata``. Loading uses ``allow_pickle=False``, so it never executes code.

Saving writes a temporary file beside the target and renames it into place (an atomic step on
POSIX and Windows): an interrupted save never destroys the previous checkpoint. The file gets the
permissions any new file of the user gets (0666 less the umask), not the temporary file's 0600.
Loading reads and
checks everything first — a corrupt, truncated or mismatched file raises CheckpointError and
leaves the model and optimizer untouched.
"""

from __future__ import annotations

import json
import os
import pathlib
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import numpy

from .errors import CheckpointError

FORMAT = "tinygrad_rnn-checkpoint"
VERSION = 1


@dataclass
class Checkpoint:
    """What ``load_checkpoint`` found besides the weights."""

    step: int = 0
    vocabulary: Any = None
    model_config: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


def save_checkpoint(path: str | pathlib.Path, model: Any, optimizer: Any = None, vocabulary: Any = None,
                    step: int = 0, extra: dict[str, Any] | None = None) -> pathlib.Path:
    """Write model (+ optimizer, vocabulary, step and JSON-ready ``extra``) to ``path`` atomically.

    >>> import tempfile, pathlib, tinygrad_rnn as tr
    >>> model = tr.nn.Linear(2, 1)
    >>> path = save_checkpoint(pathlib.Path(tempfile.mkdtemp()) / "model.npz", model, step=7)
    >>> load_checkpoint(path, model).step
    7
    """
    path = pathlib.Path(path)
    arrays = {f"model/{name}": value for name, value in model.state_dict().items()}
    metadata: dict[str, Any] = {"format": FORMAT, "version": VERSION, "step": int(step), "extra": extra or {},
                                "model_class": type(model).__name__, "model_description": describe_model(model),
                                "model_config": model.config() if hasattr(model, "config") else {}}
    if vocabulary is not None:
        metadata["vocabulary"] = vocabulary.to_dict()
    if optimizer is not None:
        state = optimizer.state_dict()
        metadata["optimizer"] = {"class": type(optimizer).__name__, "param_groups": state["param_groups"],
                                 "scalars": {}}
        for index, values in state["state"].items():
            for key, value in values.items():
                if isinstance(value, numpy.ndarray):
                    arrays[f"optimizer/{index}/{key}"] = value
                else:
                    metadata["optimizer"]["scalars"][f"{index}/{key}"] = value
    arrays["metadata"] = numpy.array(json.dumps(metadata))
    return write_archive(path, arrays)


def write_archive(target: str | pathlib.Path | BinaryIO, arrays: dict[str, Any]) -> Any:
    """Write ``arrays`` as one ``.npz`` archive: to a path atomically (see the module's docstring),
    or into an open binary file (``io.BytesIO``, say). Returns the path or the file."""
    if hasattr(target, "write"):  # an open file: the caller owns it, so there is nothing to rename
        numpy.savez(target, **arrays)
        return target
    path = pathlib.Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            numpy.savez(file, **arrays)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp made it private; a checkpoint is a file like any other
        os.replace(temporary, path)  # the old checkpoint stays whole until this instant
    except BaseException:
        pathlib.Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    """The process's umask (read by setting it and putting it back: the only portable way)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def describe_model(model: Any) -> str:
    """A model in a few words, for messages: its cell, class and units.

    >>> import tinygrad_rnn as tr
    >>> describe_model(tr.nn.LSTM(3, 16)), describe_model(tr.models.LanguageModel(10, 4, 32, cell="gru"))
    ('an LSTM with 16 units', 'a GRU LanguageModel with 32 units')
    >>> describe_model(tr.nn.Linear(2, 1)), describe_model(tr.nn.Embedding(5, 2))
    ('a Linear', 'an Embedding')
    """
    config = model.config() if hasattr(model, "config") else {}
    return _description(type(model).__name__, config, config.get("hidden_size", getattr(model, "hidden_size", None)))


def _description(class_name: str, config: dict[str, Any], units: Any) -> str:
    cell = str(config.get("cell", "")).upper()
    what = f"{cell} {class_name}" if cell and cell != class_name else class_name
    first = what.split()[0]
    spelled = first.isupper()  # an acronym is said letter by letter: an LSTM, an RNN, a GRU; a Linear, an Embedding
    article = "an" if first[0] in ("AEFHILMNORSX" if spelled else "AEIOU") else "a"
    return f"{article} {what}" + (f" with {units} units" if units else "")


def read_checkpoint(path: str | pathlib.Path | BinaryIO) -> tuple[dict[str, Any], dict[str, numpy.ndarray]]:
    """(metadata, arrays) of a checkpoint file, fully read and checked; CheckpointError if not.
    ``path`` may also be an open binary file (``io.BytesIO``, say), read from where it stands."""
    if hasattr(path, "read"):
        return _read_archive(path, f"the {type(path).__name__}")
    path = pathlib.Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    with open(path, "rb") as file:
        return _read_archive(file, path)


def _read_archive(file: BinaryIO, path: Any) -> tuple[dict[str, Any], dict[str, numpy.ndarray]]:
    """read_checkpoint's work on an open file; ``path`` names it in messages."""
    if file.read(2) != b"PK":  # not even a zip archive (NumPy would go on to talk about pickles)
        raise CheckpointError(f"{path} is not a tinygrad_rnn checkpoint")
    file.seek(-2, os.SEEK_CUR)
    try:
        with numpy.load(file, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}  # reading every entry checks its CRC
        metadata = json.loads(str(arrays.pop("metadata")))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError, json.JSONDecodeError) as error:
        raise CheckpointError(f"{path} is not a readable tinygrad_rnn checkpoint (corrupt or truncated?): "
                              f"{type(error).__name__}: {error}") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a tinygrad_rnn checkpoint (no '{FORMAT}' marker)")
    if metadata.get("version") != VERSION:
        raise CheckpointError(f"{path} has checkpoint version {metadata.get('version')}; this library reads {VERSION}")
    return metadata, arrays


def load_checkpoint(path: str | pathlib.Path, model: Any = None, optimizer: Any = None) -> Checkpoint:
    """Load weights into ``model`` (and state into ``optimizer``), all or nothing: on any
    problem, CheckpointError, and neither is changed."""
    return _load(path, *read_checkpoint(path), model, optimizer)


def load_language_model(path: str | pathlib.Path, device: Any = None,
                        make_optimizer: Callable[[Any], Any] | None = None) -> tuple[Any, Any, Checkpoint]:
    """(model, optimizer, checkpoint info) rebuilt from a checkpoint of a
    :class:`~tinygrad_rnn.models.LanguageModel`: the model from its stored configuration, the
    optimizer (if ``make_optimizer(parameters)`` is given) with its stored state. The file is read
    once; CheckpointError if it holds no language model with its vocabulary.
    """
    from .models import LanguageModel

    metadata, arrays = read_checkpoint(path)
    if metadata.get("model_class") != "LanguageModel" or "vocabulary" not in metadata:
        raise CheckpointError(f"{path} holds {_saved_description(metadata)}, not a language model with its "
                              "vocabulary")
    model = LanguageModel(**metadata["model_config"], device=device)
    optimizer = None if make_optimizer is None else make_optimizer(model.parameters())
    return model, optimizer, _load(path, metadata, arrays, model, optimizer)


def _load(path: Any, metadata: dict[str, Any], arrays: dict[str, numpy.ndarray], model: Any,
          optimizer: Any) -> Checkpoint:
    """Apply what read_checkpoint found, all or nothing (see load_checkpoint)."""
    from .data import Vocabulary

    model_state = {name[len("model/"):]: value for name, value in arrays.items() if name.startswith("model/")}
    optimizer_state = _optimizer_state(metadata, arrays) if optimizer is not None else None
    if optimizer is not None and optimizer_state is None:
        raise CheckpointError(f"{path} holds no optimizer state to load")
    if model is not None:
        before = model.state_dict()
        try:
            model.load_state_dict(model_state)
            if optimizer is not None:
                optimizer.load_state_dict(optimizer_state)
        except (KeyError, ValueError, TypeError) as error:
            model.load_state_dict(before)  # all or nothing
            saved, wanted = _saved_description(metadata), describe_model(model)
            what = f"this checkpoint holds {saved}; the model is {wanted}: " if saved != wanted else ""
            detail = error.args[0] if isinstance(error, KeyError) and error.args else error  # a KeyError quotes
            raise CheckpointError(f"{path} does not fit this model: {what}{detail}") from None
    vocabulary = Vocabulary.from_dict(metadata["vocabulary"]) if "vocabulary" in metadata else None
    return Checkpoint(step=int(metadata.get("step", 0)), vocabulary=vocabulary,
                      model_config=metadata.get("model_config", {}), extra=metadata.get("extra", {}))


def _saved_description(metadata: dict[str, Any]) -> str:
    """describe_model of the model a checkpoint was saved from (older files: from its class and config)."""
    if "model_description" in metadata:
        return str(metadata["model_description"])
    config = metadata.get("model_config", {})
    return _description(str(metadata.get("model_class", "model")), config, config.get("hidden_size"))


def _optimizer_state(metadata: dict[str, Any], arrays: dict[str, numpy.ndarray]) -> dict[str, Any] | None:
    if "optimizer" not in metadata:
        return None
    state: dict[int, dict[str, Any]] = {}
    for name, value in arrays.items():
        if name.startswith("optimizer/"):
            _, index, key = name.split("/", 2)
            state.setdefault(int(index), {})[key] = value
    for name, value in metadata["optimizer"].get("scalars", {}).items():
        index, key = name.split("/", 1)
        state.setdefault(int(index), {})[key] = value
    groups = [{**g, "betas": tuple(g["betas"])} if "betas" in g else g for g in metadata["optimizer"]["param_groups"]]
    return {"state": state, "param_groups": groups}
