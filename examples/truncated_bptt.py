"""Truncated backpropagation through time: what `.detach()` does to a carried hidden state.

A long sequence is processed in chunks of `--bptt` steps, the LSTM state carried from chunk to
chunk. Two facts, measured:

1. Values carry over: the chunked run's outputs equal those of one run over the whole sequence.
2. Gradients stop at the cut: the loss of a chunk has a gradient with respect to the inputs of
   its own chunk only. Without the cut (full BPTT) it reaches back to the first step.

    python examples/truncated_bptt.py [--steps 40] [--bptt 10]
"""

from __future__ import annotations

import argparse

import numpy

import tinygrad_rnn as tr
from tinygrad_rnn.cli import ScriptHelp, show_defaults
from tinygrad_rnn.device import device_argument


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=ScriptHelp)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--bptt", type=int, default=10, help="steps per chunk")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu", type=device_argument)
    args = show_defaults(parser).parse_args()

    tr.manual_seed(args.seed)
    lstm = tr.nn.LSTM(2, 8, dtype="float64", device=args.device)
    inputs = tr.randn(args.steps, 1, 2, dtype="float64", requires_grad=True, device=args.device)
    full_output, _ = lstm(inputs)

    chunk_outputs, state = [], None
    for start in range(0, args.steps, args.bptt):
        output, (h, c) = lstm(inputs[start:start + args.bptt], state)
        chunk_outputs.append(output)
        state = (h.detach(), c.detach())  # the cut: values carry over, the graph does not
    difference = numpy.abs(tr.cat(chunk_outputs).numpy() - full_output.numpy()).max()
    print(f"1. chunks of {args.bptt} steps vs one run of {args.steps}: max |difference| of outputs = {difference:.1e}")

    print("2. which input steps the loss of the last chunk reaches (‖∂J/∂x_t‖ > 0):")
    for name, output in (("truncated", chunk_outputs[-1]), ("full BPTT", full_output[-args.bptt:])):
        (gradient,) = tr.grad((output ** 2).sum(), inputs, retain_graph=True)
        reached = numpy.nonzero(numpy.abs(gradient.numpy()).sum(axis=(1, 2)))[0]
        print(f"   {name:9s}: steps {reached.min() + 1} … {reached.max() + 1}")


if __name__ == "__main__":
    main()
