"""``python -m tinygrad_rnn`` runs the ``tinygrad-rnn`` command."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
