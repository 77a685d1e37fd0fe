"""predict() and fit(on_epoch=...), the additions the training notebooks use."""

import functools

import pytest
import torch
from torch import nn

from focal_teach import focal_loss
from focal_teach.experiments import fit, predict, seed_everything


def problem():
    gen = seed_everything(0)
    x = torch.randn(200, 2, generator=gen)
    y = (x[:, 0] > 0.3).long()
    return x, y


def test_predict_is_the_forward_pass_without_grad_in_eval_mode():
    x, _ = problem()
    model = nn.Sequential(nn.Linear(2, 8), nn.Dropout(0.5), nn.Linear(8, 2))
    model.train()
    out = predict(model, x)
    assert out.shape == (200, 2) and not out.requires_grad
    model.eval()
    torch.testing.assert_close(out, model(x).detach())  # dropout was off
    model.train()
    predict(model, x)
    assert model.training  # mode restored


def test_predict_in_chunks_equals_one_pass():
    x, _ = problem()
    model = nn.Linear(2, 3)
    torch.testing.assert_close(predict(model, x, batch_size=64), predict(model, x))
    with pytest.raises(ValueError, match="batch_size must be None or an int ≥ 1"):
        predict(model, x, batch_size=0)


def test_on_epoch_sees_every_epoch_and_does_not_change_training():
    x, y = problem()
    loss_fn = functools.partial(focal_loss, gamma=2.0)

    def train(on_epoch=None):
        seed_everything(1)
        model = nn.Linear(2, 2)
        return fit(model, loss_fn, x, y, epochs=6, lr=0.05, batch_size=50, seed=1, on_epoch=on_epoch), model

    seen = []

    def record(epoch, model):
        model.eval()  # a callback may switch modes; fit switches back
        seen.append((epoch, (predict(model, x).argmax(1) == y).float().mean().item()))

    with_callback, model = train(record)
    without, _ = train()
    assert [epoch for epoch, _ in seen] == [1, 2, 3, 4, 5, 6]
    assert with_callback == without  # evaluating does not disturb the run
    assert seen[-1][1] > 0.8
    assert not model.training  # fit still ends in eval mode
