#!/usr/bin/env bash
# Run the main demo on a fresh machine: set up, then `tinygrad-rnn demo` (arguments go to it):
# train a small character LSTM, print its perplexity and a sample, and write the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/setup.sh examples
exec .venv/bin/tinygrad-rnn demo "$@"
