#!/usr/bin/env bash
# Set up a fresh machine for tinygrad_rnn: a virtual environment in .venv with the package
# installed (editable) plus the extras named as arguments, and the system Graphviz `dot`
# program where this machine lets us install it. Used by tests/run.sh and examples/demo.sh.
#
#   bash tests/setup.sh test        # extras: test, viz, dev, gpu
set -euo pipefail
cd "$(dirname "$0")/.."

extras=$(IFS=,; echo "$*")
python=${PYTHON:-python3}

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating the virtual environment .venv"
  "$python" -m venv .venv
fi
echo "setup: installing tinygrad_rnn${extras:+[$extras]} into .venv"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extras:+[$extras]}" 2>&1 | grep -v '^WARNING: Location' || true
.venv/bin/python -c "import tinygrad_rnn" || { echo "setup: the install failed (see above)"; exit 1; }

# System packages: Graphviz renders drawings; the test suite also drives Debian's Chromium (through
# Playwright, with its executable path: never a browser build of Playwright's own).
apt_install() {  # apt_install PACKAGE: as root, or with password-less sudo, where apt-get exists
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null)
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null && command -v apt-get >/dev/null 2>&1; then
    (sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null)
  else
    return 1
  fi
}
case " $* " in
  *" test "*)
    if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
      echo "setup: installing Debian's Chromium for the browser tests (apt-get install chromium)"
      apt_install chromium || echo "setup: could not install Chromium; the browser tests will be skipped"
    fi ;;
esac

if ! command -v dot >/dev/null 2>&1; then
  echo "setup: installing the system Graphviz package (apt-get install graphviz)"
  if ! apt_install graphviz; then
    echo "setup: Graphviz's dot program is missing and cannot be installed from here; drawings will be DOT text only."
    echo "       Install it with: sudo apt-get install graphviz | brew install graphviz | conda install graphviz"
  fi
fi
