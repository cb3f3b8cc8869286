#!/usr/bin/env bash
# Run the whole test suite on a fresh machine: set up, then pytest. Arguments go to pytest.
#
#   bash tests/run.sh            # everything
#   bash tests/run.sh -k engine  # a subset
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/setup.sh test

# PyTorch is a test oracle only, never a dependency. Install it only where a CPU build is at hand
# locally (pip's find-links), so this script never pulls gigabytes of CUDA packages; elsewhere
# the comparisons with PyTorch are skipped and say so.
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  if .venv/bin/python -m pip download --quiet --no-index --no-deps torch==2.13.0 -d "$(mktemp -d)" >/dev/null 2>&1; then
    echo "setup: installing the local CPU build of PyTorch 2.13.0 (test oracle)"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check torch==2.13.0 2>&1 | grep -v '^WARNING: Location' || true
  else
    echo "setup: no local CPU build of PyTorch; live comparisons with PyTorch will be skipped"
  fi
fi

exec .venv/bin/python -m pytest "$@"
