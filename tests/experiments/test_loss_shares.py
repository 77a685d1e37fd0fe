"""focal_teach.experiments.loss_shares: groups of identical examples, their total loss and gradient."""

import math

import pytest

from focal_teach.experiments.loss_shares import EASY_AND_HARD, EASY_NEGATIVES, HARD_POSITIVES, ExampleGroup, shares


def paper_loss(n, p_t, gamma, alpha_t):
    return n * alpha_t * (1 - p_t) ** gamma * -math.log(p_t)


def paper_gradient(n, p_t, gamma, alpha_t):
    return n * alpha_t * (1 - p_t) ** gamma * (1 - p_t - gamma * p_t * math.log(p_t))


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 5.0])
@pytest.mark.parametrize("alpha", [None, 0.0, 0.25, 1.0])
@pytest.mark.parametrize("group", [EASY_NEGATIVES, HARD_POSITIVES])
def test_totals_follow_the_paper(group, gamma, alpha):
    alpha_t = 1.0 if alpha is None else (alpha if group.positive else 1 - alpha)
    assert group.alpha_t(alpha) == alpha_t
    assert group.loss(gamma, alpha) == pytest.approx(paper_loss(group.count, group.p_t, gamma, alpha_t), rel=1e-12)
    assert group.gradient(gamma, alpha) == pytest.approx(paper_gradient(group.count, group.p_t, gamma, alpha_t), rel=1e-12)


def test_cross_entropy_lets_the_easy_majority_dominate_and_gamma_2_reverses_it():
    easy, hard = (g.loss() for g in EASY_AND_HARD)
    assert easy == pytest.approx(10_000 * -math.log(0.99)) and hard == pytest.approx(10 * -math.log(0.1))
    assert shares([easy, hard])[0] > 0.8
    assert shares([g.loss(2.0) for g in EASY_AND_HARD])[0] < 0.001
    assert shares([g.gradient(0.0) for g in EASY_AND_HARD])[0] > 0.9
    assert shares([g.gradient(2.0) for g in EASY_AND_HARD])[0] < 0.01


def test_a_certain_group_carries_nothing():
    done = ExampleGroup("done", 5, 1.0, positive=True)
    assert done.loss(0.0) == 0.0 and done.gradient(0.0) == 0.0 and done.gradient(0.5) == 0.0


def test_label_names_count_and_p_t():
    assert EASY_NEGATIVES.label == "10,000 easy negatives\n$p_t$ = 0.99"


@pytest.mark.parametrize(
    "kwargs, error, word",
    [
        ({"name": "", "count": 1, "p_t": 0.5, "positive": True}, TypeError, "name"),
        ({"name": "x", "count": -1, "p_t": 0.5, "positive": True}, ValueError, "count"),
        ({"name": "x", "count": 2.5, "p_t": 0.5, "positive": True}, ValueError, "count"),
        ({"name": "x", "count": 1, "p_t": 0.0, "positive": True}, ValueError, "p_t"),
        ({"name": "x", "count": 1, "p_t": 1.5, "positive": True}, ValueError, "p_t"),
        ({"name": "x", "count": 1, "p_t": 0.5, "positive": 1}, TypeError, "positive"),
    ],
)
def test_bad_groups_are_refused_by_name(kwargs, error, word):
    with pytest.raises(error, match=word):
        ExampleGroup(**kwargs)


def test_bad_gamma_and_alpha_are_refused():
    with pytest.raises(ValueError, match="gamma"):
        EASY_NEGATIVES.loss(-1.0)
    with pytest.raises(ValueError, match="alpha"):
        EASY_NEGATIVES.gradient(2.0, 1.5)


def test_shares():
    assert shares([3, 1]) == [0.75, 0.25]
    assert shares([0, 0]) == [0.0, 0.0]
    with pytest.raises(ValueError, match="totals"):
        shares([1, -1])
    with pytest.raises(ValueError, match="totals"):
        shares([1, math.inf])
