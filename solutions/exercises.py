"""Reference solutions to the notebooks' exercises (see README.md in this folder)."""

import torch


def cross_entropy_term(p_t):
    return -torch.log(p_t)


def modulating_factor(p_t, gamma):
    return (1 - p_t) ** gamma


def alpha_weight(target, alpha):
    return torch.where(target == 1, alpha, 1 - alpha)


def focal_loss(logits, target, gamma):
    log_p_t = torch.log_softmax(logits, dim=1).gather(1, target.unsqueeze(1)).squeeze(1)
    one_minus_p_t = -torch.expm1(log_p_t)  # 1 - p_t without cancellation near p_t = 1
    # clamp: (1 - p_t) ** gamma has an infinite derivative at 0 for gamma < 1 (NaN gradients)
    return (-(one_minus_p_t.clamp_min(1e-12) ** gamma) * log_p_t).mean()


def binary_focal_loss(logits, target, gamma, alpha):
    import torch.nn.functional as F

    minus_log_p_t = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    one_minus_p_t = torch.where(target == 1, torch.sigmoid(-logits), torch.sigmoid(logits))
    alpha_t = torch.where(target == 1, alpha, 1 - alpha)
    return (alpha_t * one_minus_p_t.clamp_min(1e-12) ** gamma * minus_log_p_t).mean()


def class_weights(counts, beta):
    raw = (1 - beta) / (1 - beta ** counts.double())
    return raw * len(counts) / raw.sum()  # Cui et al.: the weights sum to the number of classes


def sequence_focal_loss(logits, tags, gamma):
    real = tags != -100  # padding carries ignore_index
    # select the real tokens FIRST: padded logits may hold anything (NaN, inf), and whatever goes
    # through log_softmax reaches the gradient, even when its loss is discarded afterwards
    log_p = torch.log_softmax(logits[real], dim=-1)  # [N_real, C]: the classes are last
    log_p_t = log_p.gather(1, tags[real].unsqueeze(1)).squeeze(1)  # [N_real]
    one_minus_p_t = -torch.expm1(log_p_t)
    return (-(one_minus_p_t.clamp_min(1e-12) ** gamma) * log_p_t).mean()  # mean over the real tokens only


def expected_calibration_error(probs, labels, n_bins=15):
    confidence, predicted = probs.max(1)
    correct = (predicted == labels).float()
    edges = torch.linspace(0, 1, n_bins + 1)
    ece = 0.0
    for low, high in zip(edges[:-1], edges[1:]):
        in_bin = (confidence > low) & (confidence <= high)
        if in_bin.any():
            ece += in_bin.float().mean() * (correct[in_bin].mean() - confidence[in_bin].mean()).abs()
    return float(ece)


def tuned_alpha(rows, level, gamma):
    method = "CE" if gamma == 0 else "FL"  # γ = 0 is α-balanced cross-entropy
    scores = {}
    for r in rows:
        if (r["task"] == "detection" and r["level"] == level and r["method"] == method and r["gamma"] == gamma
                and r["optimizer"] == "adam" and r["iterations"] == 120 and r["metric"] == "validation_ap"):
            scores.setdefault(r["alpha"], []).append(r["value"])  # tuned on validation, never on test
    return max(scores, key=lambda a: sum(scores[a]) / len(scores[a]))  # the best MEAN over the seeds
