#!/usr/bin/env bash
# Run the main demo on a fresh machine: set up, then examples/demo.py. Arguments go to the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/setup.sh
exec .venv/bin/python examples/demo.py "$@"
