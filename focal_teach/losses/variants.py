r"""The focal loss's best-known variants, with the core loss's guarantees.

- **Sample-dependent γ** (Mukhoti et al., NeurIPS 2020): ``gamma`` may be a callable of the
  detached :math:`p_t`; :func:`flsd_53_gamma` is their FLSD-53 schedule and
  :func:`piecewise_gamma` builds others. Pass them to :func:`focal_teach.focal_loss` or
  :func:`focal_teach.binary_focal_loss` as ``gamma=``.
- **FL\*** (Lin et al. 2017, appendix A): :func:`binary_focal_loss_star`, a different way to
  down-weight easy examples, :math:`-\log\sigma(\gamma x_t + \beta)/\gamma`.
- **Poly-1 focal loss** (Leng et al., ICLR 2022): :func:`poly1_focal_loss` (softmax) and
  :func:`binary_poly1_focal_loss` (sigmoid), the focal loss plus
  :math:`\epsilon (1 - p_t)^{\gamma + 1}`.
- **Class-balanced α** (Cui et al., CVPR 2019) is not a new loss but a choice of ``alpha``:
  ``focal_loss(x, t, alpha=focal_teach.class_weights(labels, method="effective", beta=0.999))``.

Every loss here takes logits, gives finite gradients for every γ ≥ 0 (saturated logits
included), reduces to its base loss at γ = 0 or ε = 0 (tested), and names the argument at fault
when given bad input.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Real

import torch
import torch.nn.functional as F
from torch import Tensor

from ._arguments import binary_arguments, softmax_arguments
from ._validation import check_gamma, check_not_traced, check_real, refuses_torchscript
from ._kernels import compute_dtype, log_target_probability
from .functional import Gamma, _binary_focal, _softmax_focal

__all__ = [
    "piecewise_gamma",
    "flsd_53_gamma",
    "binary_focal_loss_star",
    "poly1_focal_loss",
    "binary_poly1_focal_loss",
]


# ---------------------------------------------------------------- sample-dependent γ


class PiecewiseGamma:
    r"""A focusing parameter that is constant on intervals of :math:`p_t`; see :func:`piecewise_gamma`."""

    def __init__(self, thresholds: Sequence[float], gammas: Sequence[float]) -> None:
        if not isinstance(thresholds, Sequence) or not isinstance(gammas, Sequence):
            raise TypeError(
                f"thresholds and gammas must be sequences of numbers, e.g. [0.2] and [5.0, 3.0]; "
                f"got {type(thresholds).__name__} and {type(gammas).__name__}"
            )
        thresholds = tuple(check_real(t, f"thresholds[{i}]") for i, t in enumerate(thresholds))
        for i, g in enumerate(gammas):
            if not isinstance(g, Real) or isinstance(g, bool):
                raise TypeError(f"gammas[{i}] must be a number ≥ 0; got {g!r}")
            if not 0.0 <= g < float("inf"):
                raise ValueError(f"gammas[{i}] must be a finite number ≥ 0; got {g!r}")
        gammas = tuple(float(g) for g in gammas)
        if len(gammas) != len(thresholds) + 1:
            raise ValueError(
                f"gammas needs one value per interval, len(thresholds) + 1 = {len(thresholds) + 1}; "
                f"got {len(gammas)} (e.g. thresholds=[0.2], gammas=[5.0, 3.0] for FLSD-53)"
            )
        if any(not 0.0 < t < 1.0 for t in thresholds) or any(a >= b for a, b in zip(thresholds, thresholds[1:])):
            raise ValueError(f"thresholds must be strictly increasing and inside (0, 1); got {list(thresholds)}")
        self.thresholds, self.gammas = thresholds, gammas

    def __call__(self, p_t) -> Tensor:
        p_t = torch.as_tensor(p_t)
        if not p_t.is_floating_point():
            p_t = p_t.to(torch.get_default_dtype())
        boundaries = torch.tensor(self.thresholds, dtype=p_t.dtype, device=p_t.device)
        values = torch.tensor(self.gammas, dtype=p_t.dtype, device=p_t.device)
        # right=True: interval i is thresholds[i-1] <= p_t < thresholds[i]
        return values[torch.bucketize(p_t.detach(), boundaries, right=True)]

    def __repr__(self) -> str:
        return f"piecewise_gamma(thresholds={list(self.thresholds)}, gammas={list(self.gammas)})"


def piecewise_gamma(thresholds: Sequence[float], gammas: Sequence[float]) -> PiecewiseGamma:
    r"""A sample-dependent γ that is constant between thresholds of :math:`p_t`.

    .. math::

        \gamma(p_t) = \gamma_i \quad \text{for} \quad \tau_{i-1} \le p_t < \tau_i,
        \qquad \tau_0 = 0,\; \tau_k = \infty

    Args:
        thresholds: :math:`\tau_1 < \dots < \tau_{k-1}`, strictly increasing, inside (0, 1).
        gammas: :math:`\gamma_1, \dots, \gamma_k`, one more than ``thresholds``, each ≥ 0.

    Returns:
        A callable mapping a tensor of :math:`p_t` to a tensor of γ of the same shape and dtype,
        to pass as ``gamma=`` to :func:`focal_teach.focal_loss` and the other losses. The losses
        call it on the *detached* :math:`p_t`: γ is a constant of each example, not a function
        the gradient flows through.

    Example:
        >>> gamma = piecewise_gamma([0.2], [5.0, 3.0])  # FLSD-53
        >>> gamma(torch.tensor([0.1, 0.2, 0.9]))
        tensor([5., 3., 3.])
    """
    return PiecewiseGamma(thresholds, gammas)


_FLSD_53 = PiecewiseGamma([0.2], [5.0, 3.0])


def flsd_53_gamma(p_t) -> Tensor:
    r"""FLSD-53, Mukhoti et al.'s sample-dependent γ ("Calibrating Deep Neural Networks using Focal Loss").

    .. math::

        \gamma(p_t) = \begin{cases} 5 & p_t < 0.2 \\ 3 & p_t \ge 0.2 \end{cases}

    A large γ where the model is badly wrong, and elsewhere γ = 3, their choice of fixed γ.

    Args:
        p_t: probability of the true class, any shape.

    Returns:
        γ per position: a tensor of ``p_t``'s shape and floating dtype.

    Example:
        >>> focal_loss(logits, target, gamma=flsd_53_gamma)  # doctest: +SKIP
    """
    return _FLSD_53(p_t)


# ---------------------------------------------------------------- FL*


@refuses_torchscript
def binary_focal_loss_star(
    input: Tensor,
    target: Tensor,
    gamma: float = 2.0,
    beta: float = 1.0,
    alpha: float | None = None,
    reduction: str = "mean",
) -> Tensor:
    r"""FL\*, the focal loss's alternative from Lin et al. (2017), appendix A (sigmoid, from logits).

    .. math::

        x_t = \begin{cases} x & y = 1 \\ -x & y = 0 \end{cases}, \qquad
        p^*_t = \sigma(\gamma x_t + \beta), \qquad
        \mathrm{FL}^* = -\alpha_t \, \frac{\log p^*_t}{\gamma}

    Instead of multiplying cross-entropy by :math:`(1 - p_t)^\gamma`, FL\* rescales and shifts
    the logit: γ sharpens the sigmoid and β moves it, so examples with a large margin
    :math:`x_t` get a loss that falls off fast. Its gradient is
    :math:`\partial \mathrm{FL}^*/\partial x = \alpha_t\, y_{\pm}(p^*_t - 1)` (with
    :math:`y_\pm = \pm 1`), so it is computed with ``logsigmoid`` and is finite for every logit.
    The paper reports 33.8 AP for (γ, β) = (2, 1) and 33.9 for (4, 0), against 34.0 for FL.
    With ``gamma=1, beta=0, alpha=None`` it is ``F.binary_cross_entropy_with_logits``.

    Args:
        input: logits of any shape.
        target: labels of exactly ``input``'s shape: bool, int (0/1), or float in [0, 1], where
            a soft label :math:`y` interpolates linearly between the two cases,
            :math:`-[y \log\sigma(\gamma x + \beta) + (1 - y)\log\sigma(-\gamma x + \beta)]/\gamma`.
        gamma: γ > 0 (it divides the loss; γ = 0 is not a limit of FL\*).
        beta: β, any finite number.
        alpha: ``None``, or the weight α ∈ [0, 1] of positives (negatives get 1 − α); the
            paper uses 0.25.
        reduction: ``"mean"`` over elements, ``"sum"``, or ``"none"``.

    Returns:
        The loss in ``input``'s dtype: a scalar, or ``input``'s shape for ``"none"``.

    Note:
        :math:`p^*` is what the model was trained to output, so a calibrated probability is
        :math:`\sigma(\gamma x + \beta)`, not :math:`\sigma(x)`; to rank anchors (average
        precision) the logit :math:`x` itself is enough.
    """
    check_not_traced("binary_focal_loss_star")
    gamma = check_gamma(gamma)  # a number: FL* divides by it
    if gamma == 0.0:
        raise ValueError(
            "gamma must be > 0 for FL*, whose loss is divided by gamma; gamma=1, beta=0 gives "
            "cross-entropy, and the paper uses (gamma, beta) = (2, 1) or (4, 0)"
        )
    beta = check_real(beta, "beta", hint="The paper uses beta = 1 with gamma = 2, and beta = 0 with gamma = 4.")
    args = binary_arguments(input, target, gamma, alpha, reduction)
    x, y = args.input.to(args.target.dtype), args.target
    log_p_positive = F.logsigmoid(gamma * x + beta)  # log p*_t where y = 1
    log_p_negative = F.logsigmoid(beta - gamma * x)  # log p*_t where y = 0
    loss = -(y * log_p_positive + (1.0 - y) * log_p_negative) / gamma
    return args.reduce(loss if args.alpha_t is None else loss * args.alpha_t)


# ---------------------------------------------------------------- Poly-1


_EPSILON_HINT = (
    "Below -1 the loss is no longer smallest at p_t = 1 (near it, the loss behaves like "
    "(1 + epsilon)(1 - p_t)^(gamma + 1))."
)


@refuses_torchscript
def poly1_focal_loss(
    input: Tensor,
    target: Tensor,
    epsilon: float = 1.0,
    gamma: Gamma = 2.0,
    alpha: Sequence[float] | Tensor | None = None,
    reduction: str = "mean",
    ignore_index: int = -100,
) -> Tensor:
    r"""Poly-1 focal loss (Leng et al., "PolyLoss", ICLR 2022), softmax form, in ``F.cross_entropy``'s layout.

    .. math::

        \ell_i = \alpha_{t_i}\Bigl[-(1 - p_{t_i})^{\gamma}\log p_{t_i}
                 + \epsilon\,(1 - p_{t_i})^{\gamma + 1}\Bigr],
        \qquad p_{t_i} = \mathrm{softmax}(x_i)_{t_i}

    Expanded in powers of :math:`1 - p_t`, the focal loss is
    :math:`\sum_{j \ge 1} (1 - p_t)^{j + \gamma} / j`; Poly-1 changes the coefficient of the
    leading term from 1 to :math:`1 + \epsilon`. ε > 0 pushes harder towards confident correct
    predictions, ε < 0 less hard. With ``epsilon=0`` this is :func:`focal_teach.focal_loss`;
    with ``epsilon=0, gamma=0`` it is ``F.cross_entropy`` (``gamma=0`` alone is Poly-1 CE).

    Args:
        input: logits ``[N, C]`` or ``[N, C, d1, ...]`` (classes along dim 1).
        target: class indices ``[N]`` or ``[N, d1, ...]`` in ``[0, C)``, or ``ignore_index``.
        epsilon: ε ≥ −1, the perturbation of the leading polynomial coefficient.
        gamma: γ ≥ 0, or a callable of the detached :math:`p_t` such as
            :func:`flsd_53_gamma` (used in both terms).
        alpha: ``None`` or one non-negative weight per class. It multiplies the whole loss of
            an example, both terms, so that ``"mean"`` is :func:`focal_teach.focal_loss`'s
            weighted mean. (Implementations differ on whether α_t multiplies the ε term;
            without ``alpha`` they agree.)
        reduction: ``"mean"`` (:math:`\sum_i \ell_i / \sum_i \alpha_{t_i}` over non-ignored
            positions; their count without ``alpha``; 0 if none), ``"sum"`` or ``"none"``
            (``target``'s shape, 0 at ignored positions).
        ignore_index: target value that contributes neither loss nor gradient.

    Returns:
        The loss in ``input``'s dtype: a scalar, or ``target``'s shape for ``"none"``.

    The focal term is :func:`focal_teach.focal_loss` (closed-form gradient); the ε term goes
    through autograd from ``log_softmax`` and is finite everywhere, since the derivative of
    :math:`(1 - p_t)^{\gamma + 1}` is :math:`(\gamma + 1)(1 - p_t)^{\gamma}`. It is not fused:
    it costs about one ``F.cross_entropy`` more than :func:`focal_teach.focal_loss`.
    """
    check_not_traced("poly1_focal_loss")
    epsilon = check_real(epsilon, "epsilon", minimum=-1.0, hint=_EPSILON_HINT)
    args = softmax_arguments(input, target, gamma, alpha, reduction, ignore_index)
    x = args.input.to(compute_dtype(args.input.dtype))
    ignored = args.ignored
    if ignored is not None:  # keep inf/NaN logits of ignored positions out of the ε term's graph
        x = x.masked_fill(ignored.unsqueeze(1), 0.0)
    with args.index_errors_explained():
        log_pt = log_target_probability(x, args.target, args.ignore_index)  # exact where p_t rounds to 1
    q = torch.expm1(log_pt).neg()  # 1 - p_t without cancellation as p_t -> 1
    gamma = args.resolve_gamma(log_pt.exp())
    poly = epsilon * q.pow(gamma + 1.0)
    if args.alpha_t is not None:
        poly = poly * args.alpha_t
    if ignored is not None:
        poly = poly.masked_fill(ignored, 0.0)
    return args.reduce(_softmax_focal(args._replace(gamma=gamma)) + poly)


@refuses_torchscript
def binary_poly1_focal_loss(
    input: Tensor,
    target: Tensor,
    epsilon: float = 1.0,
    gamma: Gamma = 2.0,
    alpha: float | None = None,
    reduction: str = "mean",
) -> Tensor:
    r"""Poly-1 focal loss (Leng et al., ICLR 2022), sigmoid form: one binary problem per element.

    .. math::

        \ell = \alpha_t \Bigl[(1 - p_t)^{\gamma}\, \mathrm{BCE}(p, y)
               + \epsilon\,(1 - p_t)^{\gamma + 1}\Bigr], \qquad
        p = \sigma(x),\; p_t = p y + (1 - p)(1 - y)

    With ``epsilon=0`` this is :func:`focal_teach.binary_focal_loss`; with ``epsilon=0,
    gamma=0, alpha=None`` it is ``F.binary_cross_entropy_with_logits``. See
    :func:`poly1_focal_loss` for what ε does.

    Args:
        input: logits of any shape.
        target: labels of exactly ``input``'s shape: bool, int (0/1) or float in [0, 1].
        epsilon: ε ≥ −1.
        gamma: γ ≥ 0, or a callable of the detached :math:`p_t` (used in both terms).
        alpha: ``None``, or the weight α ∈ [0, 1] of positives (negatives get 1 − α). It
            multiplies both terms, as in :func:`poly1_focal_loss`.
        reduction: ``"mean"`` over elements, ``"sum"``, or ``"none"``.

    Returns:
        The loss in ``input``'s dtype: a scalar, or ``input``'s shape for ``"none"``.
    """
    check_not_traced("binary_poly1_focal_loss")
    epsilon = check_real(epsilon, "epsilon", minimum=-1.0, hint=_EPSILON_HINT)
    args = binary_arguments(input, target, gamma, alpha, reduction)
    x, y = args.input.to(args.target.dtype), args.target
    q = torch.sigmoid(x) * (1.0 - y) + torch.sigmoid(-x) * y  # 1 - p_t, both sigmoids exact
    gamma = args.resolve_gamma(1.0 - q)
    poly = epsilon * q.pow(gamma + 1.0)
    if args.alpha_t is not None:
        poly = poly * args.alpha_t
    return args.reduce(_binary_focal(args._replace(gamma=gamma)) + poly)
