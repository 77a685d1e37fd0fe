"""accepted_interval: the exact set of numbers check_answer accepts (the website's quizzes use it)."""

from __future__ import annotations

import math

import pytest

from focal_teach.exercises.questions import QUESTIONS, accepted_interval, check_answer


@pytest.mark.parametrize("question", sorted(QUESTIONS))
def test_the_interval_is_exactly_what_check_answer_accepts(question):
    lo, hi = accepted_interval(question)
    expected = QUESTIONS[question].answer()
    assert lo <= expected <= hi
    assert check_answer(question, lo).passed and check_answer(question, hi).passed
    below, above = math.nextafter(lo, -math.inf), math.nextafter(hi, math.inf)
    assert "is too low" in check_answer(question, below).message
    assert "is too high" in check_answer(question, above).message
    for k in range(1, 64):  # and everything between, on a sweep
        v = lo + (hi - lo) * k / 64
        assert check_answer(question, v).passed, v


def test_the_interval_follows_the_stated_tolerance():
    lo, hi = accepted_interval("01-ratio-0.9")  # within 1 % of 1 / 0.1^2 = 100 (computed in float32)
    expected = QUESTIONS["01-ratio-0.9"].answer()
    assert lo == pytest.approx(0.99 * expected, rel=1e-12)
    assert hi == pytest.approx(expected / 0.99, rel=1e-12)  # math.isclose: relative to the larger of the two
    lo, hi = accepted_interval("07-temperature")  # ±0.005
    assert (lo, hi) == pytest.approx((QUESTIONS["07-temperature"].answer() - 0.005, QUESTIONS["07-temperature"].answer() + 0.005))
    assert accepted_interval("05-padding-gradient") == (-1e-12, 1e-12)


def test_unknown_question_is_a_clear_error():
    with pytest.raises(KeyError, match="unknown question 'nope'; known: 01-ratio-0.9"):
        accepted_interval("nope")
