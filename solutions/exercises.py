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
