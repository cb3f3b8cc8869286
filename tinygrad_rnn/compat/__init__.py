"""Run PyTorch code on tinygrad_rnn: ``import torch`` answered by this package.

>>> from tinygrad_rnn.compat import install_as_torch
>>> with install_as_torch():
...     import torch.nn.functional as F
...     F.cross_entropy is __import__("tinygrad_rnn").nn.functional.cross_entropy
True

- names.py: which PyTorch names are here (and from where), how they differ, what to use for the rest;
- install.py: the stand-in ``torch`` modules and :func:`install_as_torch`;
- run.py: :func:`run_script`, behind ``tinygrad-rnn run-torch SCRIPT [ARGS...]``.
"""

from .install import Installed, NotProvided, NotProvidedModule, TorchModule, install_as_torch
from .names import EXTRAS, MODULES, NOT_PROVIDED, NOTES, not_provided_message
from .run import missing_name_line, run_script

__all__ = ["install_as_torch", "run_script", "Installed", "TorchModule", "NotProvided", "NotProvidedModule",
           "MODULES", "EXTRAS", "NOTES", "NOT_PROVIDED", "not_provided_message", "missing_name_line"]
