"""Optimisers against torch.optim, step for step in float64; state_dict round trips; StepLR."""

import numpy
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import optim

torch = pytest.importorskip("torch", reason="PyTorch (test oracle) is not installed")

CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "dampening": 0.3, "maximize": True}),
    ("SGD", {"lr": 0.1, "maximize": True}),  # (plain SGD otherwise: not the in-place loop, which only subtracts)
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1, "initial_accumulator_value": 0.5}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9, "centered": True, "weight_decay": 0.01}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.1, "amsgrad": True}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.3, "amsgrad": True}),
]


def loss_of(module, a, b, x):
    return ((module.tanh(x @ a) * b).sum() ** 2) / 10


@pytest.mark.parametrize("name, options", CASES, ids=[f"{n} {o}" for n, o in CASES])
def test_steps_match_pytorch(name, options):
    rng = numpy.random.default_rng(0)
    a0, b0, x = rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal((5, 3))
    ours = [tr.tensor(a0, requires_grad=True), tr.tensor(b0, requires_grad=True)]
    theirs = [torch.tensor(a0, requires_grad=True), torch.tensor(b0, requires_grad=True)]
    our_optimizer = getattr(optim, name)(ours, **options)
    their_optimizer = getattr(torch.optim, name)(theirs, **options)
    for _ in range(6):
        for optimizer, params, module, data in ((our_optimizer, ours, tr, tr.tensor(x)),
                                                (their_optimizer, theirs, torch, torch.tensor(x))):
            optimizer.zero_grad()
            loss_of(module, *params, data).backward()
            optimizer.step()
        for mine, reference in zip(ours, theirs):
            numpy.testing.assert_allclose(mine.numpy(), reference.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_defaults_are_pytorch_defaults():
    w, reference = tr.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)
    for name in ("SGD", "Adagrad", "RMSprop", "Adam", "AdamW"):
        mine = getattr(optim, name)([w]).param_groups[0]
        theirs = getattr(torch.optim, name)([reference]).param_groups[0]
        for key, value in mine.items():
            if key in theirs and key != "params":
                assert theirs[key] == value, (name, key)


def test_parameter_groups_have_their_own_options():
    a, b = tr.ones(1, requires_grad=True), tr.ones(1, requires_grad=True)
    optimizer = optim.SGD([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=0.1)
    (a + b).sum().backward()
    optimizer.step()
    assert a.item() == pytest.approx(0.9) and b.item() == pytest.approx(0.0)


def test_state_dict_round_trip_continues_identically():
    def run(optimizer_from, steps, restore_at=None):
        tr.manual_seed(0)
        w = tr.randn(4, dtype="float64", requires_grad=True)
        optimizer = optimizer_from([w])
        for step in range(steps):
            if step == restore_at:
                saved = optimizer.state_dict()
                optimizer = optimizer_from([w])
                optimizer.load_state_dict(saved)
            optimizer.zero_grad()
            (w * w * w).sum().backward()
            optimizer.step()
        return w.numpy()

    for build in (lambda p: optim.Adam(p, lr=0.1, amsgrad=True), lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
                  lambda p: optim.RMSprop(p, centered=True, momentum=0.5)):
        numpy.testing.assert_array_equal(run(build, 6), run(build, 6, restore_at=3))


def test_load_state_dict_rejects_a_mismatch_and_changes_nothing():
    w = tr.ones(3, requires_grad=True)
    optimizer = optim.Adam([w], lr=0.1)
    w.sum().backward()
    optimizer.step()
    before = optimizer.state_dict()
    other = optim.Adam([tr.ones(2, requires_grad=True)], lr=0.5)
    other.zero_grad()
    with pytest.raises(ValueError, match="shape"):
        bad = before | {"state": {0: {**before["state"][0], "exp_avg": numpy.zeros(5)}}}
        optimizer.load_state_dict(bad)
    assert optimizer.param_groups[0]["lr"] == 0.1
    with pytest.raises(ValueError, match="parameter group"):
        optimizer.load_state_dict({"param_groups": [], "state": {}})


def test_step_lr_halves_every_k_epochs_like_pytorch():
    w, reference = tr.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)
    ours = optim.StepLR(optim.SGD([w], lr=1.0), step_size=3, gamma=0.5)
    theirs = torch.optim.lr_scheduler.StepLR(torch.optim.SGD([reference], lr=1.0), step_size=3, gamma=0.5)
    for _ in range(10):
        ours.optimizer.step()
        theirs.optimizer.step()
        ours.step()
        theirs.step()
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr())


def test_bad_options_are_refused():
    w = tr.zeros(1, requires_grad=True)
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([w], lr=0.1, nesterov=True)
    with pytest.raises(TypeError, match="unknown option"):
        optim.Adam([w], beta=0.9)
    with pytest.raises(ValueError, match="learning rate"):
        optim.Adam([w], lr=-1)
    with pytest.raises(TypeError, match="require grad"):
        optim.SGD([tr.zeros(1)], lr=0.1)


def test_plain_sgd_updates_groups_alike_and_skips_parameters_without_a_gradient():
    """Plain SGD and SGD with momentum in two groups of one optimizer each update their own
    parameters (through the one loop, Optimizer.update_group), and a parameter no gradient reached stays."""
    plain, heavy, unused = (tr.tensor([1.0, 2.0], requires_grad=True) for _ in range(3))
    optimizer = optim.SGD([{"params": [plain, unused]}, {"params": [heavy], "momentum": 0.9}], lr=0.5)
    (plain * 2 + heavy * 4).sum().backward()
    optimizer.step()
    assert plain.tolist() == [0.0, 1.0] and heavy.tolist() == [-1.0, 0.0] and unused.tolist() == [1.0, 2.0]
    assert sorted(len(state) for state in optimizer.state_dict()["state"].values()) == [0, 1]  # as update() leaves it


def test_plain_sgd_stamps_its_whole_step_as_one_write_that_every_older_graph_sees():
    """Plain SGD updates a group in one pass (no call per parameter) and stamps the writes of all its
    parameters at once: one stamp per step, and a graph recorded before the step is refused for each."""
    from tinygrad_rnn.recording import STATE

    first, second = tr.ones(3, requires_grad=True), tr.ones(2, 2, requires_grad=True)
    optimizer = optim.SGD([first, second], lr=0.1)
    ((first * 2).sum() + (second * 3).sum()).backward()
    stale = [(first * first).sum(), (second * second).sum()]  # each saves its parameter's array
    writes = STATE.writes
    optimizer.step()
    assert STATE.writes == writes + 1
    assert first.tolist() == pytest.approx([0.8] * 3) and second.reshape(-1).tolist() == pytest.approx([0.7] * 4)
    for loss in stale:
        with pytest.raises(tr.GraphError, match="changed in place \\(SGD.step\\(\\)\\)"):
            loss.backward()


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_a_step_that_fails_part_way_still_stamps_the_parameters_it_wrote(momentum):
    first, second = tr.ones(3, requires_grad=True), tr.ones(2, requires_grad=True)
    optimizer = optim.SGD([first, second], lr=0.1, momentum=momentum)
    (first * 2).sum().backward()
    second.grad = tr.ones(5)  # the wrong shape: its update raises, after first's was written
    stale = (first * first).sum()
    with pytest.raises(ValueError):
        optimizer.step()
    assert first.tolist() == pytest.approx([0.8] * 3)
    with pytest.raises(tr.GraphError, match="changed in place"):
        stale.backward()
