"""torch.compile(fullgraph=True) of a training step with each loss: one graph, eager's values and gradients.

``fullgraph=True`` fails on any graph break, so a host sync (``.item()``, ``bool(t)``) or an
untraceable construct in the losses fails these tests. The backward pass goes through the
compiled (AOTAutograd) backward graph.
"""

import pytest
import torch

from focal_teach import BinaryFocalLoss, FocalLoss, binary_focal_loss, focal_loss

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def train_step_matches_eager(device, loss_fn, x, target):
    model = torch.nn.Linear(x.shape[-1], x.shape[-1], device=device, dtype=x.dtype)
    torch.nn.init.normal_(model.weight, std=2.0)

    def step(features, target):
        logits = model(features)
        return loss_fn(logits.movedim(-1, 1) if logits.dim() > 2 else logits, target)

    torch._dynamo.reset()
    compiled = torch.compile(step, fullgraph=True, dynamic=False)
    eager_loss = step(x, target)
    eager_grads = torch.autograd.grad(eager_loss, list(model.parameters()))
    compiled_loss = compiled(x, target)
    compiled_grads = torch.autograd.grad(compiled_loss, list(model.parameters()))
    torch.testing.assert_close(compiled_loss, eager_loss, rtol=1e-5, atol=1e-6)
    for c, e in zip(compiled_grads, eager_grads):
        torch.testing.assert_close(c, e, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("form", ["function", "module"])
def test_compiled_softmax_step(device, form):
    x = torch.randn(16, 3, 6, device=device)  # [N, d1, features] -> logits [N, C=6, d1]
    t = torch.randint(6, (16, 3), device=device)
    t[::4] = -100
    alpha = torch.rand(6, device=device) + 0.1
    if form == "function":
        loss_fn = lambda logits, t: focal_loss(logits, t, 2.0, alpha, ignore_index=-100)  # noqa: E731
    else:
        loss_fn = FocalLoss(2.0, alpha).to(device)
    train_step_matches_eager(device, loss_fn, x, t)


@pytest.mark.parametrize("form", ["function", "module"])
def test_compiled_binary_step(device, form):
    x = torch.randn(16, 5, device=device)
    y = torch.randint(2, (16, 5), device=device).float()
    if form == "function":
        loss_fn = lambda logits, y: binary_focal_loss(logits, y, 2.0, 0.25)  # noqa: E731
    else:
        loss_fn = BinaryFocalLoss(2.0, 0.25)
    train_step_matches_eager(device, loss_fn, x, y)
