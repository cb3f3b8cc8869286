"""The part of cupyx tinygrad_rnn uses, for the NumPy-backed CuPy stand-in (see ../cupy)."""

import numpy as _np


def scatter_add(target, index, values):
    _np.add.at(target, index, values)
