"""The graph most drawing tests draw: a fresh layer unrolled over a random sequence, J = Σ h_T."""

import tinygrad_rnn as tr


def last_step_loss(kind="lstm", steps=5, layers=1, bidirectional=False, seed=0):
    """(layer, J) with J a loss on the last step, so the gradient travels back through every step."""
    tr.manual_seed(seed)
    layer = {"rnn": tr.nn.RNN, "lstm": tr.nn.LSTM, "gru": tr.nn.GRU}[kind](2, 3, num_layers=layers,
                                                                          bidirectional=bidirectional)
    x = tr.randn(steps, 1, 2)
    x.name = "x"
    output, _ = layer(x)
    loss = output[-1].sum()
    loss.name = "J"
    return layer, loss
