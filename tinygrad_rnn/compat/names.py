"""The PyTorch names tinygrad_rnn answers, and what it says about those it does not.

Data, read by the stand-in modules (install.py), the script runner (run.py) and the table in
docs/pytorch.md (docs/make_pytorch.py):

- :data:`MODULES`: each PyTorch module → the tinygrad_rnn module that stands in for it;
- :data:`EXTRAS`: names a stand-in gathers from elsewhere (``torch.cuda.is_available``);
- :data:`NOTES`: where a name behaves differently from PyTorch's;
- :data:`NOT_PROVIDED`: PyTorch names that are not here → what to do instead.
"""

from __future__ import annotations

import difflib
from typing import Any

from .. import __version__, backward, detect_anomaly, gpu_available, grad, gradcheck, gradgradcheck, manual_seed

# PyTorch's module → the tinygrad_rnn module that stands in for it (None: only the names in EXTRAS).
MODULES: dict[str, str | None] = {
    "torch": "tinygrad_rnn",
    "torch.nn": "tinygrad_rnn.nn",
    "torch.nn.functional": "tinygrad_rnn.nn.functional",
    "torch.nn.init": "tinygrad_rnn.nn.init",
    "torch.nn.utils": "tinygrad_rnn.nn.utils",
    "torch.nn.utils.rnn": "tinygrad_rnn.nn.utils.rnn",
    "torch.optim": "tinygrad_rnn.optim",
    "torch.optim.lr_scheduler": "tinygrad_rnn.optim.lr_scheduler",
    "torch.autograd": None,
    "torch.cuda": None,
    "torch.backends": None,
    "torch.backends.cudnn": None,
    "torch.backends.mps": None,
}


def device_count() -> int:
    """How many GPUs ``torch.cuda`` sees: 1 with CuPy and a CUDA GPU (tinygrad_rnn uses one), else 0.

    >>> device_count() in (0, 1)
    True
    """
    return int(gpu_available())


def unavailable() -> bool:
    """False: cuDNN and Apple's MPS are never used by tinygrad_rnn (NumPy on the CPU, CuPy on a GPU)."""
    return False


# Names a stand-in has that its tinygrad_rnn module does not: torch.cuda and torch.autograd gather
# names that live elsewhere in the package; torch.backends holds the switches seed-setting code
# writes (they change nothing here: tinygrad_rnn has no cuDNN).
EXTRAS: dict[str, Any] = {
    "torch.__version__": f"{__version__}+tinygrad_rnn",
    "torch.cuda.is_available": gpu_available,
    "torch.cuda.device_count": device_count,
    "torch.cuda.manual_seed": manual_seed,
    "torch.cuda.manual_seed_all": manual_seed,
    "torch.autograd.grad": grad,
    "torch.autograd.backward": backward,
    "torch.autograd.gradcheck": gradcheck,
    "torch.autograd.gradgradcheck": gradgradcheck,
    "torch.autograd.detect_anomaly": detect_anomaly,
    "torch.backends.cudnn.is_available": unavailable,
    "torch.backends.cudnn.enabled": True,
    "torch.backends.cudnn.benchmark": False,
    "torch.backends.cudnn.deterministic": False,
    "torch.backends.mps.is_available": unavailable,
    "torch.backends.mps.is_built": unavailable,
}

# Where a name behaves differently from PyTorch's: what the table in docs/pytorch.md says about it.
NOTES: dict[str, str] = {
    "torch.__version__": "tinygrad_rnn's version with the label `+tinygrad_rnn` (such as `X.Y.Z+tinygrad_rnn`), "
                         "not a PyTorch version",
    "torch.cuda.is_available": "True when CuPy is installed and sees a CUDA GPU",
    "torch.cuda.device_count": "1 when a GPU is available (tinygrad_rnn uses one), else 0",
    "torch.cuda.manual_seed": "one generator serves both devices: seeds it as `torch.manual_seed` does",
    "torch.cuda.manual_seed_all": "one generator serves both devices: seeds it as `torch.manual_seed` does",
    "torch.backends.cudnn.enabled": "accepted and changes nothing: tinygrad_rnn has no cuDNN",
    "torch.backends.cudnn.benchmark": "accepted and changes nothing: tinygrad_rnn has no cuDNN",
    "torch.backends.cudnn.deterministic": "accepted and changes nothing: tinygrad_rnn has no cuDNN",
    "torch.manual_seed": "seeds tinygrad_rnn's generator: the same seed gives other numbers than PyTorch's",
    "torch.get_device": "tinygrad_rnn's own: a name ('cpu', 'cuda') → its device; PyTorch's takes a tensor "
                        "and gives a GPU index",
    "torch.Tensor.name": "tinygrad_rnn's label of the tensor in drawings (`x.name = \"h_0\"`); None until set, "
                         "as PyTorch's",
    "torch.Tensor.data": "a Tensor sharing the array, cut from the graph, as PyTorch's; `p.data = t` needs t of "
                         "p's shape, dtype and device; a write through it that a pending backward would read "
                         "makes that backward raise (PyTorch's computes with the new values)",
}

# PyTorch names that are not here → what to do instead. A name under a listed module (torch.cuda.amp.X)
# takes that module's line; any other gets the closest names there are.
_NO_MIXED_PRECISION = "it has no mixed precision; run in float32 (the default) and drop autocast and GradScaler"
_ONLY_RECURRENT = "it has RNN, LSTM, GRU (and RNNCell, LSTMCell, GRUCell), Linear, Embedding, Dropout"
_ONE_DEVICE = "it runs in one process on one device; use the model itself"
NOT_PROVIDED: dict[str, str] = {
    "torch.cuda.amp": _NO_MIXED_PRECISION,
    "torch.amp": _NO_MIXED_PRECISION,
    "torch.autocast": _NO_MIXED_PRECISION,
    "torch.compile": "it runs eagerly; drop the call and use the model itself",
    "torch.jit": "it has no TorchScript; run the module as it is",
    "torch.utils": "it has no DataLoader or Dataset; slice tensors into batches yourself "
                   "(tinygrad_rnn.data.language_model_batches does it for a language model)",
    "torch.distributed": _ONE_DEVICE,
    "torch.nn.parallel": _ONE_DEVICE,
    "torch.nn.DataParallel": _ONE_DEVICE,
    "torch.nn.Transformer": _ONLY_RECURRENT,
    "torch.nn.TransformerEncoder": _ONLY_RECURRENT,
    "torch.nn.TransformerEncoderLayer": _ONLY_RECURRENT,
    "torch.nn.MultiheadAttention": _ONLY_RECURRENT,
    "torch.nn.Conv1d": _ONLY_RECURRENT,
    "torch.nn.Conv2d": _ONLY_RECURRENT,
    "torch.nn.BatchNorm1d": _ONLY_RECURRENT,
    "torch.nn.LayerNorm": _ONLY_RECURRENT,
    "torch.autograd.Variable": "Variable is gone from PyTorch too: use the tensor itself",
    "torch.autograd.Function": "tinygrad_rnn.Function defines an op with its own forward/backward signature "
                               "(docs/autodiff.md), not PyTorch's",
    "torch.inference_mode": "use torch.no_grad()",
    "torch.LongTensor": "use torch.tensor(data, dtype=torch.long)",
    "torch.FloatTensor": "use torch.tensor(data, dtype=torch.float32)",
    "torch.set_num_threads": "use tinygrad_rnn.set_blas_threads(n)",
    "torch.set_default_dtype": "pass dtype= to the factories and layers (float32 is the default)",
    "torch.Tensor.pin_memory": "there is no pinned memory; drop the call",
    "torch.nn.Module.register_buffer": "keep the tensor as a plain attribute (it is not saved in the state dict)",
    "torch.nn.Module.apply": "loop over model.modules() yourself",
}


def not_provided_message(name: str, known: list[str] | None = None) -> str:
    """The one line for a missing PyTorch name: what it is and what to do instead.

    >>> print(not_provided_message("torch.jit.script"))
    torch.jit.script: not provided by tinygrad_rnn; it has no TorchScript; run the module as it is
    >>> not_provided_message("torch.nn.LSTMcell", known=["LSTM", "LSTMCell"])
    'torch.nn.LSTMcell: not provided by tinygrad_rnn; did you mean torch.nn.LSTMCell? docs/pytorch.md lists what is'
    """
    parts = name.split(".")
    for end in range(len(parts), 1, -1):  # the name itself, then the modules it sits in
        advice = NOT_PROVIDED.get(".".join(parts[:end]))
        if advice:
            return f"{name}: not provided by tinygrad_rnn; {advice}"
    close = difflib.get_close_matches(parts[-1], known or [], n=1)
    hint = f"did you mean {'.'.join(parts[:-1] + close)}? " if close else ""
    return f"{name}: not provided by tinygrad_rnn; {hint}docs/pytorch.md lists what is"
