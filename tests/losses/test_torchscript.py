"""TorchScript is refused with a clear error; torch.export captures the loss's value.

The losses' gradient is a custom ``torch.autograd.Function``, which TorchScript can neither
script nor save (a traced graph holding one fails at ``torch.jit.save``), and TorchScript is
deprecated in PyTorch 2.13 ("`torch.jit.script` is deprecated. Please switch to
`torch.compile` or `torch.export`."). Scripting or tracing a loss, or anything that holds or
calls one, raises a RuntimeError that names the loss and the alternatives, instead of a
compiler error about an annotation deep inside it. torch.compile is tested in test_compile.py;
here, torch.export of a model that computes its loss.
"""

import io

import pytest
import torch

from focal_teach import (
    BinaryFocalLoss,
    FocalLoss,
    binary_focal_loss,
    binary_focal_loss_star,
    binary_poly1_focal_loss,
    focal_loss,
    poly1_focal_loss,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")

REFUSAL = r"^{name} does not support TorchScript \(torch.jit.script, torch.jit.trace\).*deprecated.*torch\.compile\(model\).*torch\.export\.export"

ENTRY_POINTS = {
    "focal_loss": focal_loss,
    "binary_focal_loss": binary_focal_loss,
    "FocalLoss": FocalLoss(),
    "BinaryFocalLoss": BinaryFocalLoss(),
    "poly1_focal_loss": poly1_focal_loss,
    "binary_poly1_focal_loss": binary_poly1_focal_loss,
    "binary_focal_loss_star": binary_focal_loss_star,
}


class Model(torch.nn.Module):
    """A network that returns its loss, as training pipelines script them."""

    def __init__(self, loss):
        super().__init__()
        self.linear = torch.nn.Linear(6, 3)
        self.loss = loss

    def forward(self, features, target):
        return self.loss(self.linear(features), target)


def softmax_data(device):
    return torch.randn(8, 6, device=device), torch.randint(3, (8,), device=device)


def binary_data(device):
    return torch.randn(8, 6, device=device), torch.randint(2, (8, 3), device=device).float()


@pytest.mark.parametrize("name", ENTRY_POINTS)
def test_scripting_a_loss_says_what_to_use_instead(name):
    with pytest.raises(RuntimeError, match=REFUSAL.format(name=name)):
        torch.jit.script(ENTRY_POINTS[name])


def test_scripting_a_model_that_holds_the_loss_names_the_loss():
    with pytest.raises(RuntimeError, match=REFUSAL.format(name="FocalLoss")):
        torch.jit.script(Model(FocalLoss()))


def test_scripting_a_function_that_calls_the_loss_names_the_loss():
    def training_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return binary_focal_loss(logits, target)

    with pytest.raises(RuntimeError, match=REFUSAL.format(name="binary_focal_loss")):
        torch.jit.script(training_loss)


@pytest.mark.parametrize("loss, name", [(FocalLoss(), "FocalLoss"), (focal_loss, "focal_loss")])
def test_tracing_is_refused_before_a_graph_that_cannot_be_saved(device, loss, name):
    features, target = softmax_data(device)
    with pytest.raises(RuntimeError, match=REFUSAL.format(name=name)):
        torch.jit.trace(Model(loss).to(device), (features, target))


def test_the_refusal_leaves_eager_use_alone(device):
    features, target = softmax_data(device)
    Model(FocalLoss()).to(device)(features, target).backward()  # (no TorchScript: no error)


@pytest.mark.parametrize("kind", ["softmax", "binary"])
def test_torch_export_captures_the_loss_and_round_trips(device, kind):
    """torch.export.export, save and load: the exported program gives eager's loss."""
    loss = FocalLoss(alpha=[1.0, 2.0, 3.0]) if kind == "softmax" else BinaryFocalLoss(alpha=0.25)
    features, target = softmax_data(device) if kind == "softmax" else binary_data(device)
    model = Model(loss).to(device)
    exported = torch.export.export(model, (features, target))
    buffer = io.BytesIO()
    torch.export.save(exported, buffer)
    buffer.seek(0)
    loaded = torch.export.load(buffer)
    eager = model(features, target)
    for program in (exported, loaded):
        torch.testing.assert_close(program.module()(features, target), eager, rtol=1e-6, atol=1e-7)
    new_features = torch.randn_like(features)  # the program is not a recording of one call
    torch.testing.assert_close(loaded.module()(new_features, target), model(new_features, target), rtol=1e-6, atol=1e-7)
