"""A small, deterministic training loop for the notebooks' toy models."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor, nn

__all__ = ["fit", "predict"]

LR_SCHEDULES = ("cosine", "constant")


def fit(
    model: nn.Module,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    inputs: Tensor,
    targets: Tensor,
    *,
    epochs: int = 100,
    lr: float = 1e-2,
    batch_size: int | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    lr_schedule: str = "cosine",
    seed: int = 0,
    on_epoch: Callable[[int, nn.Module], object] | None = None,
) -> list[float]:
    """Train ``model`` on ``(inputs, targets)`` to minimise ``loss_fn(model(inputs), targets)``.

    Args:
        model: maps a batch of ``inputs`` to logits (the shape ``loss_fn`` expects).
        loss_fn: e.g. ``focal_teach.focal_loss`` or ``torch.nn.functional.cross_entropy``,
            or a ``functools.partial`` of one with its gamma/alpha.
        inputs, targets: the whole training set as tensors; the first dim indexes examples.
        epochs: passes over the data.
        lr: learning rate of the default optimiser, Adam.
        batch_size: ``None`` for full-batch steps; otherwise mini-batches in an order
            shuffled by a generator seeded with ``seed``.
        optimizer: any optimiser over ``model``'s parameters, instead of Adam.
        lr_schedule: ``"cosine"`` lowers the learning rate along a half cosine, from its
            initial value to 0 over all the steps (``torch.optim.lr_scheduler.CosineAnnealingLR``);
            ``"constant"`` keeps it. Why decay: at a constant learning rate the last steps keep
            oscillating around the minimum, so the model you stop at is a draw from that
            oscillation, and a rounding difference (another CPU's kernels) picks another one;
            its F1 can then move by a few hundredths. A decayed learning rate settles.
        seed: seeds the shuffling only; seed the model's initialisation before building it
            (``focal_teach.experiments.seed_everything``).
        on_epoch: called as ``on_epoch(epoch, model)`` after each epoch (epoch counts from 1),
            e.g. to evaluate a learning curve with :func:`predict`; the model is put back in
            training mode afterwards.

    Returns:
        The mean training loss of each epoch (the same numbers for the same seed): the
        batches' losses weighted by their number of examples. For token tasks whose loss is
        a mean over non-padded tokens, that weighs sequences, not tokens, alike.
    """
    if len(inputs) != len(targets):
        raise ValueError(f"inputs has {len(inputs)} examples but targets has {len(targets)}")
    if epochs < 1:
        raise ValueError(f"epochs must be ≥ 1; got {epochs}")
    if lr_schedule not in LR_SCHEDULES:
        raise ValueError(f"lr_schedule must be one of {', '.join(map(repr, LR_SCHEDULES))}; got {lr_schedule!r}")
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    if lr_schedule == "cosine" and any(group["lr"] == 0 for group in optimizer.param_groups):
        # An optimizer whose cosine schedule already ended (a second fit call on it) would train nothing.
        raise ValueError(
            "optimizer's learning rate is 0, so fit would not train: a previous fit(..., optimizer=...) decayed it "
            "to 0 along its cosine schedule. Train in one fit call (use on_epoch to look at the model along the "
            "way), or pass a fresh optimizer, or lr_schedule=\"constant\"."
        )
    generator = torch.Generator().manual_seed(seed)
    n = len(inputs)
    steps_per_epoch = 1 if batch_size is None else math.ceil(n / batch_size)
    scheduler = None
    if lr_schedule == "cosine":
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs * steps_per_epoch)
    history = []
    model.train()
    for _ in range(epochs):
        if batch_size is None:
            batches = [slice(None)]
        else:
            order = torch.randperm(n, generator=generator)
            batches = order.split(batch_size)
        total = 0.0
        for batch in batches:
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(inputs[batch]), targets[batch])
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            total += loss.item() * (n if batch_size is None else len(batch))
        history.append(total / n)
        if on_epoch is not None:
            on_epoch(len(history), model)
            model.train()
    model.eval()
    return history


@torch.no_grad()
def predict(model: nn.Module, inputs: Tensor, *, batch_size: int | None = None) -> Tensor:
    """``model(inputs)`` in evaluation mode and without gradients: the logits, for evaluation.

    Args:
        model: as given to :func:`fit`.
        inputs: a batch of inputs, the first dim indexing examples.
        batch_size: ``None`` for one pass; otherwise chunks of this many examples, concatenated.

    Returns:
        The model's output, e.g. logits ``[N]`` (binary), ``[N, C]`` or ``[B, T, C]``. Apply
        ``.sigmoid()`` or ``.softmax(-1)`` for probabilities, ``.argmax(-1)`` for labels.
        The model's train/eval mode is restored afterwards.
    """
    if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
        raise ValueError(f"batch_size must be None or an int ≥ 1; got {batch_size!r}")
    was_training = model.training
    model.eval()
    try:
        if batch_size is None:
            return model(inputs)
        return torch.cat([model(chunk) for chunk in inputs.split(batch_size)])
    finally:
        model.train(was_training)
