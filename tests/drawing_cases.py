"""The graphs drawing tests draw: a fresh layer unrolled over a random sequence, J = Σ h_T; a generation loop."""

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


def generation_loop(layer_class, vocabulary, steps, choose, temperature=None):
    """A generation loop as docs/drawing.md writes one: each step's logits (named ŷ) choose the next input
    (``choose``: argmax, or a sample from their softmax), the score a running sum of the chosen tokens'
    log-probabilities — J reads log_softmax(ŷ_t)[·], never the logits' other readers; of log_softmax(ŷ_t / τ)
    with a ``temperature`` τ."""
    embedding, layer, head = tr.nn.Embedding(vocabulary, 3), layer_class(3, 4), tr.nn.Linear(4, vocabulary)
    token, state, score = tr.tensor([[1]]), None, 0.0
    for _ in range(steps):
        output, state = layer(embedding(token), state)
        logits = head(output[-1])
        logits.name = "ŷ"
        token = choose(logits).reshape(1, 1)
        scores = logits if temperature is None else logits / temperature
        score = score + scores.log_softmax(-1)[0, int(token.item())]
    return score
