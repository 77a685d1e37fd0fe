"""A small, deterministic training loop for the notebooks' toy models."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

__all__ = ["fit"]


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
    seed: int = 0,
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
        seed: seeds the shuffling only; seed the model's initialisation before building it
            (``focal_teach.seed_everything``).

    Returns:
        The mean training loss of each epoch (the same numbers for the same seed).
    """
    if len(inputs) != len(targets):
        raise ValueError(f"inputs has {len(inputs)} examples but targets has {len(targets)}")
    if epochs < 1:
        raise ValueError(f"epochs must be ≥ 1; got {epochs}")
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    n = len(inputs)
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
            total += loss.item() * (n if batch_size is None else len(batch))
        history.append(total / n)
    model.eval()
    return history
