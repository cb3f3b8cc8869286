"""The scripts here are PyTorch programs that tests/test_compat.py runs; they are not test modules
(importing one would import torch)."""

collect_ignore = ["word_lm.py"]
