"""Vanishing and exploding gradients, measured.

1. ‖∂J/∂h_t‖ against t for a tanh RNN, an LSTM and a GRU on the same sequence, J a loss on the
   last step: the tanh RNN's gradient fades towards early steps, the LSTM's cell state keeps it.
2. The linear RNN h_t = W h_{t−1} + x_t: ‖∂h_T/∂h_t‖ = ‖W^(T−t)‖ follows ρ(W)^(T−t), ρ the
   spectral radius — shrinking for ρ < 1, exploding for ρ > 1.
3. Exploding gradients in training: a relu RNN whose recurrent weights have spectral radius 1.3,
   trained with and without gradient-norm clipping (Pascanu et al. 2013).

    python examples/vanishing_gradients.py [--steps 50] [--out figures] [--device cpu]
"""

from __future__ import annotations

import argparse
import pathlib

import numpy
from tqdm.auto import tqdm

import tinygrad_rnn as tr
from tinygrad_rnn import analysis, plots


def compare_cells(args) -> dict[str, numpy.ndarray]:
    tr.manual_seed(args.seed)
    sequence = tr.randn(args.steps, 1, 8, device=args.device)
    layers = {"tanh RNN": tr.nn.RNN(8, 32), "LSTM (forget-gate bias 1)": tr.nn.init.lstm_forget_gate_bias_(
        tr.nn.LSTM(8, 32), 1.0), "GRU": tr.nn.GRU(8, 32)}
    curves = {}
    for name, layer in layers.items():
        layer.to(args.device)
        output, _ = layer(sequence)
        curves[name] = analysis.hidden_state_gradient_norms(output[-1].sum(), layer.hidden_states[0])
    return curves


def linear_rnn(args, radius: float) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Jacobian norms of a linear RNN whose W has spectral radius ``radius``, and ρ^(T−t)."""
    rng = numpy.random.default_rng(args.seed)
    basis, _ = numpy.linalg.qr(rng.standard_normal((6, 6)))
    w = basis @ numpy.diag(radius * numpy.linspace(1.0, 0.2, 6)) @ basis.T  # symmetric: ‖Wᵏ‖ = ρᵏ
    W = tr.tensor(w, dtype="float64", device=args.device)
    states = [tr.tensor(rng.standard_normal((1, 6)), requires_grad=True, device=args.device)]
    for _ in range(args.steps // 2):
        states.append(states[-1] @ W.T + tr.tensor(rng.standard_normal((1, 6)), device=args.device))
    norms = analysis.jacobian_norms(states[-1], states)
    return norms, radius ** numpy.arange(len(states) - 1, -1, -1)


def exploding(args, clip: float | None) -> tuple[list[float], list[float]]:
    """Loss and gradient norm per step for a relu RNN whose W_hh starts orthogonal × 1.3, so that
    gradients grow like 1.3^(T−t) back through time, trained by SGD on the adding problem."""
    tr.manual_seed(args.seed)
    rnn, head = tr.nn.RNN(1, 16, nonlinearity="relu"), tr.nn.Linear(16, 1)
    tr.nn.init.orthogonal_(rnn.weight_hh_l0, gain=1.3)
    for module in (rnn, head):
        module.to(args.device)
    parameters = list(rnn.parameters()) + list(head.parameters())
    optimizer = tr.optim.SGD(parameters, lr=0.05)
    inputs, targets = tr.data.adding_problem(256, 20, seed=args.seed)
    losses, norms = [], []
    with numpy.errstate(all="ignore"):  # without clipping the numbers overflow: that is the point
        for step in tqdm(range(args.train_steps), desc="clip at 1" if clip else "no clipping", leave=False):
            batch = slice((step * 32) % 256, (step * 32) % 256 + 32)
            x = tr.tensor(inputs[batch, :, :1], device=args.device).transpose(0, 1)
            output, _ = rnn(x)
            prediction = head(output[-1]).squeeze(-1)
            loss = tr.nn.functional.mse_loss(prediction, tr.tensor(targets[batch], device=args.device))
            optimizer.zero_grad()
            loss.backward()
            norm = tr.nn.utils.clip_grad_norm_(parameters, clip if clip else float("inf")).item()
            optimizer.step()
            losses.append(loss.item())
            norms.append(norm)
    return losses, norms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=50, help="sequence length")
    parser.add_argument("--train-steps", type=int, default=150, help="training steps of part 3")
    parser.add_argument("--out", default="figures")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    out = pathlib.Path(args.out)

    curves = compare_cells(args)
    print("1. ‖∂J/∂h_t‖ at t = 1 and t = T, for a loss on step T:")
    for name, norms in curves.items():
        print(f"   {name:26s} {norms[0]:9.2e} … {norms[-1]:9.2e}")
    print("   wrote", plots.save_gradient_norms(curves, out / "vanishing_gradients.png",
                                             title=f"‖∂J/∂h_t‖ for a loss on step {args.steps}"))

    print("2. Linear RNN: ‖∂h_T/∂h_t‖ against ρ(W)^(T−t)")
    linear_curves = {}
    for radius in (0.8, 1.2):
        norms, powers = linear_rnn(args, radius)
        print(f"   ρ = {radius}: at t = 1, {norms[0]:.3e} (ρ^(T−1) = {powers[0]:.3e})")
        linear_curves[f"ρ = {radius}"], linear_curves[f"ρ^(T−t), ρ = {radius}"] = norms, powers
    print("   wrote", plots.save_gradient_norms(linear_curves, out / "linear_rnn_jacobians.png",
                                             title="linear RNN: ‖∂h_T/∂h_t‖ = ρ^(T−t)", ylabel="‖∂h_T/∂h_t‖₂"))

    print("3. Exploding gradients: a relu RNN with spectral radius 1.3, SGD on the adding problem")
    runs = {"no clipping": exploding(args, None), "clip at 1": exploding(args, 1.0)}
    for name, (losses, norms) in runs.items():
        final = numpy.mean(losses[-10:])
        outcome = "diverged (NaN)" if not numpy.isfinite(final) else f"final loss {final:.3f}"
        print(f"   {name:12s} largest gradient norm {numpy.nanmax(norms):9.2e}, {outcome}")
    steps = numpy.arange(1, args.train_steps + 1)
    print("   wrote", plots.save_lines(steps, {n: r[1] for n, r in runs.items()}, out / "exploding_gradients.png",
                                     "training step", "gradient norm before clipping", log_y=True,
                                     title="exploding gradients, with and without clipping"))


if __name__ == "__main__":
    main()
