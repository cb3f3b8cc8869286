"""The fast path: modules that each replace one named seam of the plain path, for speed.

* :mod:`.gradient_table` — the engine's gradient table: a weight's terms of every step summed
  as one matrix product.

They are installed when the package is imported, unless the environment sets
``TINYGRAD_RNN_FAST=0``; then nothing here is loaded and the plain path runs alone.
"""

from __future__ import annotations

import os

ENABLED = os.environ.get("TINYGRAD_RNN_FAST", "1") != "0"

if ENABLED:
    from . import gradient_table

    gradient_table.install()
