import functools

import pytest
import torch
from torch import nn

from focal_teach import focal_loss
from focal_teach.experiments import fit, seed_everything


def problem(seed=0):
    gen = seed_everything(seed)
    x = torch.randn(256, 2, generator=gen)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0.8).long()
    return x, y


def run(seed=0, **kwargs):
    x, y = problem()
    seed_everything(seed)
    model = nn.Linear(2, 2)
    loss_fn = functools.partial(focal_loss, gamma=2.0)
    return fit(model, loss_fn, x, y, epochs=30, lr=0.05, **kwargs), model


@pytest.mark.parametrize("batch_size", [None, 32])
def test_loss_decreases(batch_size):
    history, _ = run(batch_size=batch_size)
    assert len(history) == 30
    assert history[-1] < 0.5 * history[0]


@pytest.mark.parametrize("batch_size", [None, 32])
def test_same_seed_same_history(batch_size):
    assert run(seed=3, batch_size=batch_size)[0] == run(seed=3, batch_size=batch_size)[0]
    assert run(seed=3, batch_size=batch_size)[0] != run(seed=4, batch_size=batch_size)[0]


def test_model_is_left_in_eval_mode():
    _, model = run()
    assert not model.training


def test_custom_optimizer_and_bad_input():
    x, y = problem()
    model = nn.Linear(2, 2)
    history = fit(model, focal_loss, x, y, epochs=5, optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    assert len(history) == 5
    with pytest.raises(ValueError, match="256 examples but targets has 10"):
        fit(model, focal_loss, x, y[:10])
    with pytest.raises(ValueError, match="epochs"):
        fit(model, focal_loss, x, y, epochs=0)
    with pytest.raises(ValueError, match="lr_schedule must be one of 'cosine', 'constant'"):
        fit(model, focal_loss, x, y, lr_schedule="linear")


@pytest.mark.parametrize("batch_size", [None, 32])
def test_cosine_schedule_decays_the_learning_rate_to_zero_over_all_steps(batch_size):
    x, y = problem()
    model = nn.Linear(2, 2)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    seen = []
    fit(model, focal_loss, x, y, epochs=4, optimizer=optimizer, batch_size=batch_size,
        on_epoch=lambda epoch, m: seen.append(optimizer.param_groups[0]["lr"]))
    assert seen[-1] == pytest.approx(0.0, abs=1e-12) and seen == sorted(seen, reverse=True)
    model = nn.Linear(2, 2)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    fit(model, focal_loss, x, y, epochs=4, optimizer=optimizer, lr_schedule="constant")
    assert optimizer.param_groups[0]["lr"] == 0.05


def test_a_second_cosine_fit_on_a_spent_optimizer_is_refused_not_a_silent_no_op():
    x, y = problem()
    model = nn.Linear(2, 2)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    fit(model, focal_loss, x, y, epochs=3, optimizer=optimizer)
    with pytest.raises(ValueError, match="learning rate is 0.*one fit call"):
        fit(model, focal_loss, x, y, epochs=3, optimizer=optimizer)
    fit(model, focal_loss, x, y, epochs=3, optimizer=torch.optim.Adam(model.parameters(), lr=0.05))  # a fresh one trains


def test_seed_everything():
    seed_everything(7)
    a = torch.rand(3)
    g = seed_everything(7)
    assert torch.equal(a, torch.rand(3))
    assert torch.equal(torch.rand(3, generator=g), torch.rand(3, generator=torch.Generator().manual_seed(7)))
    with pytest.raises(ValueError, match="seed must be ≥ 0"):
        seed_everything(-1)
