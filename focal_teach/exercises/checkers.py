"""Exercise checkers: immediate, specific feedback on a student's implementation or answer.

Each checker runs the student's code on edge cases and on the typical mistakes' tell-tale
inputs, and says what is wrong, on which input, with a hint; never just "incorrect". A stub
that still raises ``NotImplementedError`` gets a friendly reminder instead of an error, so the
executed notebooks can run every exercise cell. The expected values come from focal_teach's
own functions (:mod:`focal_teach.losses`); an implementation that merely calls one of them (or
torchvision's ``sigmoid_focal_loss``, or kornia's focal loss) is refused, with a message saying
so (:func:`focal_teach.exercises.feedback.delegation`). Reference solutions: the repository's
``solutions/`` folder. An example is in the package's docstring (:mod:`focal_teach.exercises`).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

from focal_teach import losses as _losses
from focal_teach.exercises.feedback import Feedback, call, close, delegates, failed, fmt, passed, stub
from focal_teach.experiments import calibration as _calibration
from focal_teach.experiments.calibration import expected_calibration_error
from focal_teach.losses import (
    alpha_weight,
    binary_focal_loss,
    class_weights,
    cross_entropy_term,
    focal_loss,
    modulating_factor,
)

# What an "implement it" exercise must not call: focal_teach's ready-made losses and the
# function being implemented (torchvision's and kornia's focal losses are refused in feedback.py).
_LOSSES = {
    name: getattr(_losses, name)
    for name in ("focal_loss", "binary_focal_loss", "focal_term", "modulating_factor", "FocalLoss",
                 "BinaryFocalLoss", "binary_focal_loss_star", "poly1_focal_loss", "binary_poly1_focal_loss")
}
_TERMS = {name: getattr(_losses, name) for name in ("cross_entropy_term", "modulating_factor", "alpha_weight", "focal_term")}
_WEIGHTS = {name: getattr(_losses, name) for name in ("class_weights",)}
_CALIBRATION = {name: getattr(_calibration, name) for name in ("expected_calibration_error", "calibration_bins")}

__all__ = [
    "check_cross_entropy_term",
    "check_modulating_factor",
    "check_alpha_weight",
    "check_focal_loss",
    "check_binary_focal_loss",
    "check_class_weights",
    "check_sequence_focal_loss",
    "check_expected_calibration_error",
]


# ---------------------------------------------------------------- cross-entropy term


def check_cross_entropy_term(fn: Callable[[Tensor], Tensor]) -> Feedback:
    """Check ``fn(p_t) = -log p_t``, elementwise."""
    name = "cross_entropy_term"
    cases = [torch.tensor([0.5, 0.9, 0.1]), torch.tensor(0.25), torch.rand(2, 3) * 0.98 + 0.01, torch.tensor([1.0, 0.0])]
    if (refused := delegates(name, fn, (cases[0].clone(),), _TERMS, "-log p_t")) is not None:
        return refused
    for p_t in cases:
        out, problem = call(fn, p_t.clone())
        if problem == "not implemented yet":
            return stub(name)
        if problem:
            return failed(name, f"on p_t = {fmt(p_t)} it {problem}.", "use torch operations on the whole tensor, e.g. torch.log.")
        expected = cross_entropy_term(p_t)
        if close(out, expected):
            continue
        if out.shape != expected.shape:
            return failed(name, f"for p_t of shape {tuple(p_t.shape)} it returns shape {tuple(out.shape)}.", "work elementwise; do not sum or average.")
        if close(out, -expected):
            return failed(name, f"on p_t = {fmt(p_t)} it returns {fmt(out)}, negative values.", "log p_t ≤ 0 for a probability: the loss is MINUS the log.")
        if close(out, -torch.log1p(-p_t).nan_to_num(posinf=math.inf)):
            return failed(name, f"on p_t = {fmt(p_t)} it returns -log(1 - p_t).", "the loss of the true class is -log p_t; p_t is already the probability of the truth.")
        return failed(name, f"on p_t = {fmt(p_t)} it returns {fmt(out)}, expected {fmt(expected)}.", "CE(p_t) = -log p_t (natural log).")
    return passed(name, f"on {len(cases)} checks (p_t from 0 to 1, 0-d to 2-D tensors)")


# ---------------------------------------------------------------- modulating factor


def check_modulating_factor(fn: Callable[[Tensor, float], Tensor]) -> Feedback:
    """Check ``fn(p_t, gamma) = (1 - p_t) ** gamma``: edge cases p_t = 0 and 1, γ = 0, γ < 1, shapes."""
    name = "modulating_factor"
    p = torch.tensor([0.0, 0.1, 0.5, 0.9, 0.99, 1.0])
    cases = [(p, g) for g in (0.0, 0.5, 1.0, 2.0, 5.0)]
    cases += [(torch.tensor(0.3), 2.0), (torch.rand(3, 4), 2.0), (torch.rand(2, 2, 2, dtype=torch.float64), 0.25), (torch.tensor([1.0]), 0.0)]
    if (refused := delegates(name, fn, (p.clone(), 2.0), _TERMS, "the factor")) is not None:
        return refused
    for p_t, gamma in cases:
        out, problem = call(fn, p_t.clone(), gamma)
        if problem == "not implemented yet":
            return stub(name)
        where = f"p_t = {fmt(p_t)}, γ = {gamma}"
        if problem:
            return failed(name, f"on {where} it {problem}.", "use torch operations that work on whole tensors (** or torch.pow).")
        expected = modulating_factor(p_t, gamma)
        if close(out, expected):
            continue
        if out.shape != expected.shape:
            return failed(name, f"for p_t of shape {tuple(p_t.shape)} it returns shape {tuple(out.shape)}.", "the factor is elementwise: one value per example, no sum or mean.")
        if torch.isnan(out).any():
            bad = torch.isnan(out)
            if gamma == 0 and (p_t[bad] == 1).all():
                return failed(name, "with γ = 0 it returns NaN at p_t = 1.", "(1 - p_t)^0 is 1 everywhere, 0^0 included (γ = 0 must give plain cross-entropy). exp(γ·log(1 - p_t)) gives 0·(-inf) = NaN there; torch.pow(1 - p_t, γ) does not.")
            return failed(name, f"on {where} it returns NaN at p_t = {fmt(p_t[bad])}.", "a negative base to a fractional power is NaN: write (1 - p_t) ** γ, not (p_t - 1) ** γ.")
        if close(out, p_t.double() ** gamma):
            return failed(name, f"on {where} it returns p_t^γ = {fmt(out)}.", "the factor must shrink as p_t → 1 (well-classified examples count less): (1 - p_t)^γ.")
        if close(out, (1 - p_t.double()) * gamma):
            return failed(name, f"on {where} it returns (1 - p_t)·γ = {fmt(out)}.", "γ is an exponent: (1 - p_t) ** γ.")
        if gamma == 0 and close(out, torch.zeros_like(expected)):
            return failed(name, "with γ = 0 it returns 0.", "anything to the power 0 is 1: γ = 0 must leave cross-entropy unchanged.")
        return failed(name, f"on {where} it returns {fmt(out)}, expected {fmt(expected)}.", "(1 - p_t) ** γ, elementwise.")
    return passed(name, f"on {len(cases)} checks (γ from 0 to 5, p_t from 0 to 1, 0-d to 3-D tensors)")


# ---------------------------------------------------------------- alpha weight


def check_alpha_weight(fn: Callable[[Tensor, float], Tensor], per_class: bool = False) -> Feedback:
    """Check ``fn(target, alpha)``: α for positives (target 1), 1 - α for negatives (target 0).

    With ``per_class=True``, also ``fn(target, [α_0, α_1, ...]) = alpha[target]`` for class indices.
    """
    name = "alpha_weight"
    y = torch.tensor([1, 0, 1, 1, 0])
    cases = [(y, 0.25), (y.bool(), 0.25), (y.float(), 0.75), (torch.tensor([[1, 0], [0, 0]]), 0.1), (torch.tensor([0, 0, 0]), 0.5)]
    if (refused := delegates(name, fn, (y.clone(), 0.25), _TERMS, "α_t")) is not None:
        return refused
    for target, alpha in cases:
        out, problem = call(fn, target.clone(), alpha)
        if problem == "not implemented yet":
            return stub(name)
        where = f"target = {fmt(target)}, α = {alpha}"
        if problem:
            return failed(name, f"on {where} it {problem}.", "torch.where(target == 1, α, 1 - α) works for bool, int and float labels.")
        expected = alpha_weight(target, alpha)
        if close(out, expected):
            continue
        if out.shape != expected.shape:
            return failed(name, f"for target of shape {tuple(target.shape)} it returns shape {tuple(out.shape)}.", "one weight per example, same shape as target.")
        if close(out, alpha_weight(1 - target.long(), alpha)):
            return failed(name, f"on {where} it gives positives 1 - α and negatives α: α is applied to the wrong class.", "α weights the POSITIVE class (target = 1); with the paper's α = 0.25 the rare positives get 0.25 and the many negatives 0.75.")
        if close(out, alpha * target.double()):
            return failed(name, f"on {where} negatives get weight 0.", "negatives are weighted by 1 - α, not dropped.")
        return failed(name, f"on {where} it returns {fmt(out)}, expected {fmt(expected)}.", "α_t = α where target = 1, else 1 - α.")
    if per_class:
        t = torch.tensor([2, 0, 1, 2])
        weights = [0.2, 0.3, 0.5]
        out, problem = call(fn, t.clone(), weights)
        expected = alpha_weight(t, weights)
        if problem:
            return failed(name, f"on class indices {fmt(t)} with per-class α = {weights} it {problem}.", "index the weights with the targets: torch.as_tensor(alpha)[target].")
        if not close(out, expected):
            return failed(name, f"on class indices {fmt(t)} with per-class α = {weights} it returns {fmt(out)}, expected {fmt(expected)}.", "each example gets the weight of ITS class: alpha[target].")
        return passed(name, f"on {len(cases) + 1} checks (bool, int and float labels; per-class weights)")
    return passed(name, f"on {len(cases)} checks (bool, int and float labels, 1-D and 2-D)")


# ---------------------------------------------------------------- focal loss


def check_focal_loss(fn: Callable[[Tensor, Tensor, float], Tensor]) -> Feedback:
    """Check ``fn(logits, target, gamma)``: the mean softmax focal loss of ``logits [N, C]``.

    Compared with ``focal_teach.focal_loss`` on random logits for several γ, then on saturated
    logits, where the loss must stay finite and its gradient must not be NaN.
    """
    name = "focal_loss"
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(8, 5, generator=gen) * 2
    target = torch.randint(5, (8,), generator=gen)
    if (refused := delegates(name, fn, (logits.clone(), target.clone(), 2.0), _LOSSES, "the loss")) is not None:
        return refused
    for gamma in (0.0, 0.5, 2.0):
        out, problem = call(fn, logits.clone(), target.clone(), gamma)
        if problem == "not implemented yet":
            return stub(name)
        where = f"random logits [8, 5] with γ = {gamma}"
        if problem:
            return failed(name, f"on {where} it {problem}.", "use torch.log_softmax(logits, dim=1) and gather the target column.")
        expected = focal_loss(logits, target, gamma)
        if close(out, expected, rtol=1e-4):
            continue
        if out.numel() != 1:
            return failed(name, f"on {where} it returns shape {tuple(out.shape)}, not a scalar.", "average the per-example losses: .mean().")
        if close(out, -expected, rtol=1e-4):
            return failed(name, f"on {where} it returns {fmt(out)} < 0.", "the loss is -(1 - p_t)^γ log p_t: mind the minus sign (log p_t ≤ 0).")
        if close(out, expected * len(target), rtol=1e-4):
            return failed(name, f"on {where} it returns the SUM over examples, {fmt(out)}.", "return the mean over examples.")
        log_p = torch.log_softmax(logits.double(), 1)
        every_class = (-(1 - log_p.exp()) ** gamma * log_p).sum(1).mean()
        if close(out, every_class, rtol=1e-4):
            return failed(name, f"on {where} it sums the focal term over EVERY class (p instead of p_t).", "only the true class counts: p_t = softmax(logits)[i, target[i]].")
        if gamma == 0:
            return failed(name, f"with γ = 0 it returns {fmt(out)}, but F.cross_entropy gives {fmt(expected)}.", "with γ = 0 the focal loss must equal plain cross-entropy.")
        return failed(name, f"on {where} it returns {fmt(out)}, expected {fmt(expected)}.", "FL = mean over examples of -(1 - p_t)^γ log p_t.")
    # Saturated: a confident right example (margin 30 ⇒ p_t rounds to 1 in float32) and a
    # confident wrong one (margin 200 ⇒ softmax underflows to 0, log(softmax) = -inf).
    sat = torch.tensor([[30.0, 0.0, 0.0], [0.0, 200.0, 0.0]], requires_grad=True)
    sat_target = torch.tensor([0, 0])
    out, problem = call(fn, sat, sat_target, 0.5)
    if problem:
        return failed(name, f"on saturated logits it {problem}.", "see notebook 02: compute log p_t with log_softmax.")
    expected = focal_loss(sat.detach(), sat_target, 0.5)
    if not torch.isfinite(out).all():
        return failed(name, f"on a confidently wrong example (logit margin 200) it returns {fmt(out)}.", "log(softmax(x)) underflows to log(0) = -inf in float32; torch.log_softmax keeps it finite (-200).")
    if not close(out, expected, rtol=1e-4):
        return failed(name, f"on saturated logits (margins 30 and 200) it returns {fmt(out)}, expected {fmt(expected)}.", "compute log p_t with log_softmax, not log of a clamped softmax.")
    if out.requires_grad:
        (grad,) = torch.autograd.grad(out, sat)
        if torch.isnan(grad).any():
            return failed(
                name,
                "its gradient is NaN on a confident prediction (logit margin 30) with γ = 0.5.",
                "d/dp (1 - p)^γ = -γ(1 - p)^(γ-1) is infinite at p_t = 1 for γ < 1, and autograd multiplies it "
                "by 0: inf·0 = NaN. Keep the base away from 0, e.g. (1 - p_t).clamp_min(1e-12) ** γ, or use "
                "the closed-form gradient (notebook 02).",
            )
    return passed(name, "on random logits for γ = 0, 0.5, 2 and on saturated logits (finite loss and gradient)")


# ---------------------------------------------------------------- binary focal loss (notebook 03)


def check_binary_focal_loss(fn: Callable[[Tensor, Tensor, float, float], Tensor]) -> Feedback:
    """Check ``fn(logits, target, gamma, alpha)``: the mean α-balanced sigmoid focal loss.

    ``logits`` and ``target`` are ``[N]``; ``target`` holds 0./1.; α weights the positives.
    Compared with ``focal_teach.binary_focal_loss``, then on saturated logits.
    """
    name = "binary_focal_loss"
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(12, generator=gen) * 3
    target = (torch.rand(12, generator=gen) < 0.3).float()
    if (refused := delegates(name, fn, (logits.clone(), target.clone(), 2.0, 0.25), _LOSSES, "the loss")) is not None:
        return refused
    for gamma, alpha in ((0.0, 0.25), (2.0, 0.25), (2.0, 0.9)):
        out, problem = call(fn, logits.clone(), target.clone(), gamma, alpha)
        if problem == "not implemented yet":
            return stub(name)
        where = f"random logits [12] with γ = {gamma}, α = {alpha}"
        if problem:
            return failed(name, f"on {where} it {problem}.", "F.binary_cross_entropy_with_logits(logits, target, reduction='none') gives -log p_t.")
        expected = binary_focal_loss(logits, target, gamma, alpha)
        if close(out, expected):
            continue
        if out.numel() != 1:
            return failed(name, f"on {where} it returns shape {tuple(out.shape)}, not a scalar.", "average over examples: .mean().")
        if close(out, binary_focal_loss(logits, target, gamma, 1 - alpha)):
            return failed(name, f"on {where} positives get 1 - α and negatives α: α is on the wrong class.", "α_t = α for target 1 (positives), 1 - α for target 0.")
        if close(out, binary_focal_loss(logits, target, gamma)):
            return failed(name, f"on {where} α has no effect.", "multiply each example's loss by α_t.")
        if close(out, binary_focal_loss(logits, target, gamma, alpha, reduction="sum")):
            return failed(name, f"on {where} it returns the SUM over examples.", "return the mean.")
        if gamma and close(out, binary_focal_loss(logits, target, 0.0, alpha)):
            return failed(name, f"on {where} γ has no effect.", "multiply by the modulating factor (1 - p_t)^γ.")
        return failed(name, f"on {where} it returns {fmt(out)}, expected {fmt(expected)}.", "FL = mean of α_t (1 - p_t)^γ (-log p_t), p_t = σ(x) for positives, 1 - σ(x) for negatives.")
    sat = torch.tensor([30.0, -200.0], requires_grad=True)
    sat_target = torch.tensor([1.0, 1.0])
    out, problem = call(fn, sat, sat_target, 0.5, 0.25)
    if problem:
        return failed(name, f"on saturated logits (30 and -200, both positives) it {problem}.", "compute log p_t with F.logsigmoid or binary_cross_entropy_with_logits.")
    if not torch.isfinite(out).all():
        return failed(name, f"on a confidently wrong positive (logit -200) it returns {fmt(out)}.", "log(sigmoid(-200)) underflows to log(0) = -inf in float32; F.logsigmoid(-200) = -200.")
    if not close(out, binary_focal_loss(sat.detach(), sat_target, 0.5, 0.25)):
        return failed(name, f"on saturated logits it returns {fmt(out)}, expected {fmt(binary_focal_loss(sat.detach(), sat_target, 0.5, 0.25))}.", "compute log p_t from the logits, not from a rounded probability.")
    if out.requires_grad and torch.isnan(torch.autograd.grad(out, sat)[0]).any():
        return failed(name, "its gradient is NaN on a confident positive (logit 30) with γ = 0.5.", "(1 - p_t)^γ has an infinite derivative at p_t = 1 for γ < 1; keep the base away from 0, e.g. torch.sigmoid(-x).clamp_min(1e-12) ** γ for positives.")
    return passed(name, "for γ = 0 and 2, α = 0.25 and 0.9, and on saturated logits (finite loss and gradient)")


# ---------------------------------------------------------------- class weights (notebook 04)


def check_class_weights(fn: Callable[[Tensor, float], Tensor]) -> Feedback:
    """Check ``fn(counts, beta)``: Cui et al.'s weights (1 - β)/(1 - β^n_c), normalised to sum to C."""
    name = "class_weights"
    cases = [(torch.tensor([500, 50, 5]), 0.99), (torch.tensor([500, 50, 5]), 0.9), (torch.tensor([100, 65, 42, 27, 2]), 0.999), (torch.tensor([10, 10]), 0.99)]
    if (refused := delegates(name, fn, (cases[0][0].clone(), 0.99), _WEIGHTS, "the weights")) is not None:
        return refused
    for counts, beta in cases:
        out, problem = call(fn, counts.clone(), beta)
        if problem == "not implemented yet":
            return stub(name)
        where = f"counts = {counts.tolist()}, β = {beta}"
        if problem:
            return failed(name, f"on {where} it {problem}.", "work on the tensor of counts: (1 - beta) / (1 - beta ** counts).")
        expected = class_weights(counts=counts, method="effective", beta=beta)
        if close(out, expected):
            continue
        if out.shape != expected.shape:
            return failed(name, f"on {where} it returns shape {tuple(out.shape)}.", "one weight per class.")
        n = counts.double()
        raw = (1 - beta) / (1 - beta**n)
        if out.double().sum() > 0 and close(out.double() / out.double().sum(), raw / raw.sum()):
            return failed(name, f"on {where} the weights are right up to scale but sum to {out.double().sum().item():.4g}.", f"normalise so that they sum to the number of classes, C = {len(counts)}.")
        effective = (1 - beta**n) / (1 - beta)
        if close(out, effective) or close(out.double() / out.double().sum(), effective / effective.sum()):
            return failed(name, f"on {where} the most frequent class gets the largest weight.", "that is the effective number E_n = (1 - β^n)/(1 - β) itself; the weight is its inverse.")
        if close(out, class_weights(counts=counts, method="inverse")):
            return failed(name, f"on {where} it returns inverse frequency.", "inverse frequency is the β → 1 limit; use (1 - β)/(1 - β^n).")
        return failed(name, f"on {where} it returns {fmt(out)}, expected {fmt(expected)}.", "α_c ∝ (1 - β)/(1 - β^n_c), then scale so Σ α_c = C.")
    return passed(name, f"on {len(cases)} checks (β from 0.9 to 0.999, 2 to 5 classes)")


# ---------------------------------------------------------------- sequence labelling (notebook 05)


def _sequence_focal(logits: Tensor, tags: Tensor, gamma: float, class_dim: int = -1, pad_as: int | None = None,
                    divide_by_all: bool = False) -> Tensor:
    """The mean focal loss over real tokens, or one of the typical mistakes (for the checker's diagnosis)."""
    log_p = torch.log_softmax(logits.double(), dim=class_dim)
    real = tags != -100 if pad_as is None else torch.ones_like(tags, dtype=torch.bool)
    index = tags if pad_as is None else torch.where(tags == -100, pad_as, tags)
    log_p_t = log_p[real].gather(1, index[real].unsqueeze(1)).squeeze(1)
    terms = -((-torch.expm1(log_p_t)) ** gamma) * log_p_t
    return terms.sum() / tags.numel() if divide_by_all else terms.mean()


def check_sequence_focal_loss(fn: Callable[[Tensor, Tensor, float], Tensor]) -> Feedback:
    """Check ``fn(logits, tags, gamma)``, built by hand: logits ``[B, T, C]`` from a tagger, tags
    ``[B, T]`` with -100 at padding; the mean focal loss over the real (non-padded) tokens.

    Refuses a call to ``focal_teach``'s losses (the notebook already shows that one-liner), and
    recognises the classic mistakes: the softmax over time instead of classes, a reshape instead
    of a transpose, padding counted as tag 0, and a mean over every position."""
    name = "sequence_focal_loss"
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 6, 4, generator=gen) * 2  # B=3, T=6, C=4
    tags = torch.randint(4, (3, 6), generator=gen)
    tags[0, 4:] = -100
    tags[2, 2:] = -100
    if (refused := delegates(name, fn, (logits.clone(), tags.clone(), 2.0), _LOSSES, "the masked mean")) is not None:
        return refused
    for gamma in (2.0, 0.0):
        expected = focal_loss(logits.movedim(-1, 1), tags, gamma)
        out, problem = call(fn, logits.clone(), tags.clone(), gamma)
        if problem == "not implemented yet":
            return stub(name)
        if problem:
            return failed(name, f"on logits [3, 6, 4] with γ = {gamma} it {problem}.",
                          "log_softmax over the LAST dim (the classes), keep the positions where tags != -100, gather each one's tag.")
        if close(out, expected):
            continue
        if out.numel() != 1:
            return failed(name, f"it returns shape {tuple(out.shape)}, not a scalar.", "average over the real tokens: .mean() of the kept terms.")
        b, t, c = logits.shape
        if close(out, _sequence_focal(logits, tags, gamma, class_dim=1)):
            return failed(name, "the softmax runs over dim 1, the time steps, not over the classes.", "the tagger's logits are [B, T, C]: log_softmax(logits, dim=-1).")
        if close(out, focal_loss(logits.reshape(b, c, t), tags, gamma)):
            return failed(name, "it reshapes [B, T, C] into [B, C, T], which scrambles tokens and classes.", "reshape keeps the memory order; use movedim(-1, 1) (or permute(0, 2, 1)), or stay class-last.")
        if close(out, _sequence_focal(logits, tags, gamma, pad_as=0)):
            return failed(name, "padded positions count as tokens of class 0.", "drop the positions where tags == -100 before the mean, so padding adds no loss and no gradient.")
        if close(out, _sequence_focal(logits, tags, gamma, divide_by_all=True)):
            return failed(name, "it divides by every position, padding included.", "the mean is over real tokens: divide by (tags != -100).sum().")
        if close(out, -expected):
            return failed(name, f"it returns {fmt(out)} < 0.", "the loss is -(1 - p_t)^γ log p_t: mind the minus sign.")
        return failed(name, f"on a padded batch with γ = {gamma} it returns {fmt(out)}, expected {fmt(expected)}.",
                      "mean over real tokens of -(1 - p_t)^γ log p_t, p_t = softmax over the classes of the token's tag.")
    return passed(name, "on a padded batch of 3 sequences for γ = 2 and 0 (classes last, padding ignored)")


# ---------------------------------------------------------------- calibration (notebook 07)


def check_expected_calibration_error(fn: Callable[..., float]) -> Feedback:
    """Check ``fn(probs, labels, n_bins=15)``: the expected calibration error of top-class confidences,
    with equal-width bins, each bin's |accuracy - confidence| weighted by its share of examples."""
    name = "expected_calibration_error"
    gen = torch.Generator().manual_seed(0)
    hand = (torch.tensor([[0.9, 0.1], [0.9, 0.1], [0.62, 0.38], [0.3, 0.7]]), torch.tensor([0, 1, 0, 1]))
    logits = torch.randn(400, 5, generator=gen) * 2
    random = (torch.softmax(logits, 1), torch.randint(5, (400,), generator=gen))
    certain = (torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]), torch.tensor([0, 1, 1]))
    if (refused := delegates(name, fn, (random[0].clone(), random[1].clone(), 15), _CALIBRATION, "the binned gaps")) is not None:
        return refused
    for label, (probs, labels) in (("4 hand-made examples", hand), ("400 random examples", random), ("confidences of exactly 1", certain)):
        out, problem = call(fn, probs.clone(), labels.clone(), 15)
        if problem == "not implemented yet":
            return stub(name)
        if problem:
            return failed(name, f"on {label} it {problem}.", "confidence = probs.max(1), correct = probs.argmax(1) == labels; bin the confidences.")
        expected = torch.tensor(expected_calibration_error(probs, labels, 15))
        if close(out, expected, rtol=1e-5, atol=1e-7):
            continue
        confidence, predicted = probs.max(1)
        correct = (predicted == labels).double()
        if close(out, (correct.mean() - confidence.double().mean()).abs()):
            return failed(name, f"on {label} it compares the overall accuracy with the overall confidence.", "compare them per bin of confidence, then average the gaps weighted by the bins' sizes.")
        edges = torch.linspace(0, 1, 16, dtype=torch.float64)
        index = torch.bucketize(confidence.double(), edges, right=False).clamp(1, 15) - 1
        gaps = [(correct[index == b].mean() - confidence.double()[index == b].mean()).abs() for b in range(15) if (index == b).any()]
        if gaps and close(out, torch.stack(gaps).mean()):
            return failed(name, f"on {label} every non-empty bin counts equally.", "weight each bin's gap by its share of the examples, |B_b| / N.")
        return failed(name, f"on {label} it returns {fmt(out)}, expected {fmt(expected)}.", "ECE = Σ_b |B_b|/N · |acc(B_b) - conf(B_b)| over 15 equal-width bins of (0, 1].")
    return passed(name, "on 3 checks (a hand-made case, 400 random examples, confidences of exactly 1)")
