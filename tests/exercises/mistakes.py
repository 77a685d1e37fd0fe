"""Typical wrong answers to the "implement it" exercises, written the way a student would.

Each is one whole, self-contained function (torch, torch.nn.functional as F and math only), so
that tests/assignments can also paste it into a student notebook and grade it. ``MISTAKES``
says which exercise it answers, which parts of the checker it must fail (the others it must
pass: a mistake costs the part it belongs to), and phrases the feedback must contain.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class Mistake:
    exercise: str
    fn: object
    fails: frozenset[str]
    phrases: tuple[str, ...]

    @property
    def id(self) -> str:
        return self.fn.__name__


# ---------------------------------------------------------------- cross_entropy_term


def ce_positive_log(p_t):
    return torch.log(p_t)


def ce_one_minus(p_t):
    return -torch.log(1 - p_t)


def ce_log10(p_t):
    return -torch.log10(p_t)


def ce_clamped(p_t):
    return -torch.log(p_t.clamp(min=1e-7))


# ---------------------------------------------------------------- modulating_factor


def mf_p_to_gamma(p_t, gamma):
    return p_t**gamma


def mf_times_gamma(p_t, gamma):
    return (1 - p_t) * gamma


def mf_precedence(p_t, gamma):
    return 1 - p_t**gamma


def mf_exp_log(p_t, gamma):
    return torch.exp(gamma * torch.log(1 - p_t))


def mf_negative_base(p_t, gamma):
    return (p_t - 1) ** gamma


def mf_clamped(p_t, gamma):
    return (1 - p_t).clamp_min(1e-6) ** gamma


# ---------------------------------------------------------------- alpha_weight


def aw_wrong_class(target, alpha):
    return torch.where(target == 1, 1 - alpha, alpha)


def aw_missing_negatives(target, alpha):
    return torch.where(target == 1, alpha, 1.0)


def aw_zero_negatives(target, alpha):
    return alpha * target.float()


def aw_arithmetic(target, alpha):
    return alpha * target + (1 - alpha) * (1 - target)


# ---------------------------------------------------------------- focal_loss (softmax)


def fl_minus_sign(logits, target, gamma):
    log_p_t = torch.log_softmax(logits, dim=1).gather(1, target.unsqueeze(1)).squeeze(1)
    return ((-torch.expm1(log_p_t)).clamp_min(1e-12) ** gamma * log_p_t).mean()


def fl_sum(logits, target, gamma):
    log_p_t = torch.log_softmax(logits, dim=1).gather(1, target.unsqueeze(1)).squeeze(1)
    return (-((-torch.expm1(log_p_t)).clamp_min(1e-12) ** gamma) * log_p_t).sum()


def fl_sigmoid(logits, target, gamma):
    x_t = logits.gather(1, target.unsqueeze(1)).squeeze(1)
    return (-(torch.sigmoid(-x_t).clamp_min(1e-12) ** gamma) * F.logsigmoid(x_t)).mean()


def fl_log_of_softmax(logits, target, gamma):
    p_t = torch.softmax(logits, dim=1).gather(1, target.unsqueeze(1)).squeeze(1)
    return (-((1 - p_t).clamp_min(1e-12) ** gamma) * torch.log(p_t)).mean()


def fl_clamped(logits, target, gamma):
    p_t = torch.softmax(logits, dim=1).gather(1, target.unsqueeze(1)).squeeze(1).clamp(min=1e-7)
    return (-((1 - p_t).clamp_min(1e-12) ** gamma) * torch.log(p_t)).mean()


def fl_naive_pow(logits, target, gamma):
    log_p_t = torch.log_softmax(logits, dim=1).gather(1, target.unsqueeze(1)).squeeze(1)
    return (-((1 - log_p_t.exp()) ** gamma) * log_p_t).mean()


def fl_detached_factor(logits, target, gamma):
    log_p_t = torch.log_softmax(logits, dim=1).gather(1, target.unsqueeze(1)).squeeze(1)
    factor = (-torch.expm1(log_p_t)).clamp_min(1e-12).detach() ** gamma
    return (-factor * log_p_t).mean()


# ---------------------------------------------------------------- binary_focal_loss


def bf_missing_alpha_for_negatives(logits, target, gamma, alpha):
    bce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    one_minus_p_t = torch.where(target == 1, torch.sigmoid(-logits), torch.sigmoid(logits))
    alpha_t = torch.where(target == 1, alpha, 1.0)  # α for the positives... and forgot 1 - α
    return (alpha_t * one_minus_p_t.clamp_min(1e-12) ** gamma * bce).mean()


def bf_alpha_wrong_side(logits, target, gamma, alpha):
    bce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    one_minus_p_t = torch.where(target == 1, torch.sigmoid(-logits), torch.sigmoid(logits))
    alpha_t = torch.where(target == 1, 1 - alpha, alpha)
    return (alpha_t * one_minus_p_t.clamp_min(1e-12) ** gamma * bce).mean()


def bf_divide_by_alpha_sum(logits, target, gamma, alpha):
    bce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    one_minus_p_t = torch.where(target == 1, torch.sigmoid(-logits), torch.sigmoid(logits))
    alpha_t = torch.where(target == 1, alpha, 1 - alpha)
    return (alpha_t * one_minus_p_t.clamp_min(1e-12) ** gamma * bce).sum() / alpha_t.sum()


def bf_divide_by_positives(logits, target, gamma, alpha):
    bce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    one_minus_p_t = torch.where(target == 1, torch.sigmoid(-logits), torch.sigmoid(logits))
    alpha_t = torch.where(target == 1, alpha, 1 - alpha)
    return (alpha_t * one_minus_p_t.clamp_min(1e-12) ** gamma * bce).sum() / target.sum().clamp_min(1)


def bf_pos_weight(logits, target, gamma, alpha):
    weight = torch.tensor(alpha / (1 - alpha))
    bce = F.binary_cross_entropy_with_logits(logits, target, pos_weight=weight, reduction="none")
    one_minus_p_t = torch.where(target == 1, torch.sigmoid(-logits), torch.sigmoid(logits))
    return (one_minus_p_t.clamp_min(1e-12) ** gamma * bce).mean()


def bf_p_not_p_t(logits, target, gamma, alpha):
    bce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    alpha_t = torch.where(target == 1, alpha, 1 - alpha)
    return (alpha_t * torch.sigmoid(-logits).clamp_min(1e-12) ** gamma * bce).mean()


def bf_log_of_sigmoid(logits, target, gamma, alpha):
    p = torch.sigmoid(logits)
    p_t = torch.where(target == 1, p, 1 - p)
    alpha_t = torch.where(target == 1, alpha, 1 - alpha)
    return (alpha_t * (1 - p_t).clamp_min(1e-12) ** gamma * -torch.log(p_t)).mean()


def bf_clamped_probability(logits, target, gamma, alpha):
    p = torch.sigmoid(logits).clamp(1e-7, 1 - 1e-7)
    p_t = torch.where(target == 1, p, 1 - p)
    alpha_t = torch.where(target == 1, alpha, 1 - alpha)
    return (alpha_t * (1 - p_t) ** gamma * -torch.log(p_t)).mean()


def bf_naive_pow(logits, target, gamma, alpha):
    bce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    p_t = torch.exp(-bce)
    alpha_t = torch.where(target == 1, alpha, 1 - alpha)
    return (alpha_t * (1 - p_t) ** gamma * bce).mean()


def bf_probabilities(logits, target, gamma, alpha):
    bce = F.binary_cross_entropy(logits, target, reduction="none")
    p_t = torch.exp(-bce)
    alpha_t = torch.where(target == 1, alpha, 1 - alpha)
    return (alpha_t * (1 - p_t).clamp_min(1e-12) ** gamma * bce).mean()


# ---------------------------------------------------------------- class_weights


def cw_unnormalised(counts, beta):
    return (1 - beta) / (1 - beta ** counts.double())


def cw_effective_number(counts, beta):
    effective = (1 - beta ** counts.double()) / (1 - beta)
    return effective * len(counts) / effective.sum()


def cw_sum_to_one(counts, beta):
    raw = (1 - beta) / (1 - beta ** counts.double())
    return raw / raw.sum()


# ---------------------------------------------------------------- sequence_focal_loss


def sq_padding_as_class_zero(logits, tags, gamma):
    log_p = torch.log_softmax(logits, dim=-1)
    log_p_t = log_p.gather(-1, tags.clamp(min=0).unsqueeze(-1)).squeeze(-1)  # -100 would crash gather
    return (-((-torch.expm1(log_p_t)).clamp_min(1e-12) ** gamma) * log_p_t).mean()


def sq_mean_over_all_positions(logits, tags, gamma):
    real = tags != -100
    log_p_t = torch.log_softmax(logits[real], dim=-1).gather(1, tags[real].unsqueeze(1)).squeeze(1)
    terms = -((-torch.expm1(log_p_t)).clamp_min(1e-12) ** gamma) * log_p_t
    return terms.sum() / tags.numel()


def sq_mean_per_sequence(logits, tags, gamma):
    means = []
    for sequence, sequence_tags in zip(logits, tags):
        real = sequence_tags != -100
        log_p_t = torch.log_softmax(sequence[real], dim=-1).gather(1, sequence_tags[real].unsqueeze(1)).squeeze(1)
        means.append((-((-torch.expm1(log_p_t)).clamp_min(1e-12) ** gamma) * log_p_t).mean())
    return torch.stack(means).mean()


def sq_mask_after_computing(logits, tags, gamma):
    mask = (tags != -100).float()
    log_p_t = torch.log_softmax(logits, dim=-1).gather(-1, tags.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    terms = -((-torch.expm1(log_p_t)).clamp_min(1e-12) ** gamma) * log_p_t
    return (terms * mask).sum() / mask.sum()


def sq_where_after_computing(logits, tags, gamma):
    real = tags != -100
    log_p_t = torch.log_softmax(logits, dim=-1).gather(-1, tags.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    terms = -((-torch.expm1(log_p_t)).clamp_min(1e-12) ** gamma) * log_p_t
    return torch.where(real, terms, torch.zeros_like(terms)).sum() / real.sum()


def sq_cross_entropy_ignore_index(logits, tags, gamma):
    ce = F.cross_entropy(logits.movedim(-1, 1), tags, ignore_index=-100, reduction="none")  # 0 at padding
    real = tags != -100
    terms = (-torch.expm1(-ce)).clamp_min(1e-12) ** gamma * ce
    return terms.sum() / real.sum()


def sq_softmax_over_time(logits, tags, gamma):
    real = tags != -100
    log_p = torch.log_softmax(logits, dim=1)
    log_p_t = log_p[real].gather(1, tags[real].unsqueeze(1)).squeeze(1)
    return (-((-torch.expm1(log_p_t)).clamp_min(1e-12) ** gamma) * log_p_t).mean()


def sq_not_permuted(logits, tags, gamma):
    ce = F.cross_entropy(logits, tags, ignore_index=-100, reduction="none")
    real = tags != -100
    return ((-torch.expm1(-ce)).clamp_min(1e-12) ** gamma * ce).sum() / real.sum()


def sq_naive_pow(logits, tags, gamma):
    real = tags != -100
    log_p_t = torch.log_softmax(logits[real], dim=-1).gather(1, tags[real].unsqueeze(1)).squeeze(1)
    return (-((1 - log_p_t.exp()) ** gamma) * log_p_t).mean()


# ---------------------------------------------------------------- expected_calibration_error


def ece_no_bins(probs, labels, n_bins=15):
    confidence, predicted = probs.max(1)
    return ((predicted == labels).float().mean() - confidence.mean()).abs().item()


def ece_unweighted(probs, labels, n_bins=15):
    confidence, predicted = probs.max(1)
    correct = (predicted == labels).float()
    edges = torch.linspace(0, 1, n_bins + 1)
    gaps = []
    for low, high in zip(edges[:-1], edges[1:]):
        in_bin = (confidence > low) & (confidence <= high)
        if in_bin.any():
            gaps.append((correct[in_bin].mean() - confidence[in_bin].mean()).abs())
    return torch.stack(gaps).mean().item()


def ece_fixed_15_bins(probs, labels, n_bins=15):
    confidence, predicted = probs.max(1)
    correct = (predicted == labels).float()
    edges = torch.linspace(0, 1, 16)
    ece = 0.0
    for low, high in zip(edges[:-1], edges[1:]):
        in_bin = (confidence > low) & (confidence <= high)
        if in_bin.any():
            ece += in_bin.float().mean() * (correct[in_bin].mean() - confidence[in_bin].mean()).abs()
    return float(ece)


def ece_floor_bins(probs, labels, n_bins=15):
    confidence, predicted = probs.max(1)
    correct = (predicted == labels).float()
    index = (confidence * n_bins).floor().long()  # a confidence of 1 gets index n_bins
    ece = 0.0
    for b in range(n_bins):
        in_bin = index == b
        if in_bin.any():
            ece += in_bin.float().mean() * (correct[in_bin].mean() - confidence[in_bin].mean()).abs()
    return float(ece)


def ece_true_class(probs, labels, n_bins=15):
    confidence, predicted = probs.max(1)
    correct = (predicted == labels).float()
    p_true = probs.gather(1, labels.unsqueeze(1)).squeeze(1)
    edges = torch.linspace(0, 1, n_bins + 1)
    ece = 0.0
    for low, high in zip(edges[:-1], edges[1:]):
        in_bin = (confidence > low) & (confidence <= high)
        if in_bin.any():
            ece += in_bin.float().mean() * (correct[in_bin].mean() - p_true[in_bin].mean()).abs()
    return float(ece)


# ---------------------------------------------------------------- tuned_alpha (notebook 08)


# Each written whole, as a student would (the assignments grade a function's own source).


def ta_on_test(rows, level, gamma):
    method = "CE" if gamma == 0 else "FL"
    scores = {}
    for r in rows:
        if (r["task"] == "detection" and r["level"] == level and r["method"] == method and r["gamma"] == gamma
                and r["optimizer"] == "adam" and r["iterations"] == 120 and r["metric"] == "test_ap"):
            scores.setdefault(r["alpha"], []).append(r["value"])
    return max(scores, key=lambda a: sum(scores[a]) / len(scores[a]))


def ta_best_seed(rows, level, gamma):
    method = "CE" if gamma == 0 else "FL"
    scores = {}
    for r in rows:
        if (r["task"] == "detection" and r["level"] == level and r["method"] == method and r["gamma"] == gamma
                and r["optimizer"] == "adam" and r["iterations"] == 120 and r["metric"] == "validation_ap"):
            scores.setdefault(r["alpha"], []).append(r["value"])
    return max(scores, key=lambda a: max(scores[a]))


def ta_no_filter(rows, level, gamma):
    scores = {}
    for r in rows:
        if r["metric"] == "validation_ap":
            scores.setdefault(r["alpha"], []).append(r["value"])
    return max(scores, key=lambda a: sum(scores[a]) / len(scores[a]))


def ta_fl_only(rows, level, gamma):
    scores = {}
    for r in rows:
        if (r["task"] == "detection" and r["level"] == level and r["method"] == "FL" and r["gamma"] == gamma
                and r["optimizer"] == "adam" and r["iterations"] == 120 and r["metric"] == "validation_ap"):
            scores.setdefault(r["alpha"], []).append(r["value"])
    return max(scores, key=lambda a: sum(scores[a]) / len(scores[a]))


_ = math  # mistakes may use math; keep the import for the assignments' pasted copies


def _m(exercise, fn, fails, *phrases):
    return Mistake(exercise, fn, frozenset(fails), phrases)


MISTAKES = [
    _m("cross_entropy_term", ce_positive_log, {"values"}, "negative values", "MINUS the log"),
    _m("cross_entropy_term", ce_one_minus, {"values"}, "-log(1 - p_t)"),
    _m("cross_entropy_term", ce_log10, {"values"}, "base 10 or 2", "natural log"),
    _m("cross_entropy_term", ce_clamped, {"edges"}, "at p_t = 0 it returns 16.12", "clamped"),
    _m("modulating_factor", mf_p_to_gamma, {"values"}, "p_t^γ", "shrink as p_t → 1"),
    _m("modulating_factor", mf_times_gamma, {"values"}, "(1 - p_t)·γ", "exponent"),
    _m("modulating_factor", mf_precedence, {"values"}, "1 - p_t^γ", "binds tighter"),
    _m("modulating_factor", mf_exp_log, {"gamma_zero"}, "γ = 0", "0^0"),
    _m("modulating_factor", mf_negative_base, {"values"}, "NaN", "negative base"),
    _m("modulating_factor", mf_clamped, {"edges"}, "at p_t = 1", "no clamp"),
    _m("alpha_weight", aw_wrong_class, {"values"}, "wrong class"),
    _m("alpha_weight", aw_missing_negatives, {"values"}, "negatives weight 1", "1 - α of the negatives is missing"),
    _m("alpha_weight", aw_zero_negatives, {"values"}, "negatives weight 0"),
    _m("alpha_weight", aw_arithmetic, {"label_types"}, "bool", "torch.where(target == 1"),
    _m("focal_loss", fl_minus_sign, {"cross_entropy"}, "minus sign"),
    _m("focal_loss", fl_sum, {"cross_entropy"}, "SUM"),
    _m("focal_loss", fl_sigmoid, {"cross_entropy", "modulating_factor", "saturation"}, "sigmoid", "softmax"),
    _m("focal_loss", fl_log_of_softmax, {"saturation"}, "margin 200", "log_softmax"),
    _m("focal_loss", fl_clamped, {"saturation"}, "stops growing", "clamped"),
    _m("focal_loss", fl_naive_pow, {"gradient"}, "gradient is NaN", "γ < 1"),
    _m("focal_loss", fl_detached_factor, {"gradient"}, "not the derivative", ".detach()"),
    _m("binary_focal_loss", bf_missing_alpha_for_negatives, {"alpha"}, "negatives weight 1", "1 - α of the negatives is missing"),
    _m("binary_focal_loss", bf_alpha_wrong_side, {"alpha"}, "wrong class"),
    _m("binary_focal_loss", bf_divide_by_alpha_sum, {"mean"}, "divides by Σ α_t", "plain mean"),
    _m("binary_focal_loss", bf_divide_by_positives, {"mean"}, "number of positives"),
    _m("binary_focal_loss", bf_pos_weight, {"mean"}, "pos_weight"),
    _m("binary_focal_loss", bf_p_not_p_t, {"modulating_factor"}, "p_t = 1 - σ(x)"),
    _m("binary_focal_loss", bf_log_of_sigmoid, {"saturation"}, "logit -200", "F.logsigmoid"),
    _m("binary_focal_loss", bf_clamped_probability, {"saturation"}, "stops growing", "clamped"),
    _m("binary_focal_loss", bf_naive_pow, {"gradient"}, "gradient is NaN", "γ < 1"),
    _m("binary_focal_loss", bf_probabilities, {"alpha", "mean", "modulating_factor", "saturation", "gradient"},
       "between 0 and 1", "inputs are logits"),
    _m("class_weights", cw_unnormalised, {"normalised"}, "sum to", "number of classes"),
    _m("class_weights", cw_effective_number, {"effective_number"}, "largest weight", "inverse"),
    _m("class_weights", cw_sum_to_one, {"normalised"}, "sum to 1."),
    _m("sequence_focal_loss", sq_padding_as_class_zero, {"padding", "garbage_padding"}, "class 0"),
    _m("sequence_focal_loss", sq_mean_over_all_positions, {"padding"}, "every position", "(tags != -100).sum()"),
    _m("sequence_focal_loss", sq_mean_per_sequence, {"padding"}, "each sequence, then the sequences"),
    _m("sequence_focal_loss", sq_mask_after_computing, {"garbage_padding"}, "NaN and ±inf", "padding leaks", "select the real tokens first"),
    _m("sequence_focal_loss", sq_where_after_computing, {"garbage_padding"}, "gradient is NaN at the padded positions"),
    _m("sequence_focal_loss", sq_cross_entropy_ignore_index, {"garbage_padding"}, "gradient is NaN at the padded positions", "ignore_index"),
    _m("sequence_focal_loss", sq_softmax_over_time, {"classes_last", "padding", "garbage_padding"}, "over dim 1", "dim=-1"),
    _m("sequence_focal_loss", sq_not_permuted, {"classes_last", "padding", "garbage_padding", "gradient"}, "Expected target size", "movedim(-1, 1)"),
    _m("sequence_focal_loss", sq_naive_pow, {"gradient"}, "gradient is NaN", "γ < 1"),
    _m("expected_calibration_error", ece_no_bins, {"binning"}, "overall accuracy"),
    _m("expected_calibration_error", ece_unweighted, {"binning"}, "counts equally", "|B_b| / N"),
    _m("expected_calibration_error", ece_fixed_15_bins, {"n_bins"}, "ignores n_bins"),
    _m("expected_calibration_error", ece_floor_bins, {"confidence_one"}, "lands in no bin", "closed on the right"),
    _m("expected_calibration_error", ece_true_class, {"binning"}, "true label", "top-class"),
    _m("tuned_alpha", ta_on_test, {"validation", "map"}, "best TEST AP", "validation split"),
    _m("tuned_alpha", ta_best_seed, {"mean", "map"}, "lucky seed", "average"),
    _m("tuned_alpha", ta_no_filter, {"cell", "map"}, "another level", "only the rows of this cell"),
    _m("tuned_alpha", ta_fl_only, {"map"}, "γ = 0", "'CE'"),
]
