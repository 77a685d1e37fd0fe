"""Exercises: checkers that give immediate, specific feedback, and numeric questions to predict.

- :mod:`~focal_teach.exercises.checkers`: run a student's implementation on edge cases and on
  the typical mistakes' tell-tale inputs; say what is wrong, where, with a hint. Each exercise
  is a sequence of parts (:data:`EXERCISES`); :func:`grade` runs one part for an autograder
  (``assignments/`` in the repository), with the notebook checker's own message.
- :mod:`~focal_teach.exercises.questions`: :func:`check_answer` for the notebooks' numeric questions.

    >>> from focal_teach.exercises import check_modulating_factor
    >>> check_modulating_factor(lambda p_t, gamma: (1 - p_t) ** gamma)
    ✅ modulating_factor: correct on 10 checks (γ from 0 to 5, p_t from 0 to 1, 0-d to 3-D tensors).
"""

from focal_teach.exercises.checkers import (
    EXERCISES,
    Exercise,
    Part,
    check_alpha_weight,
    check_binary_focal_loss,
    check_class_weights,
    check_cross_entropy_term,
    check_expected_calibration_error,
    check_focal_loss,
    check_modulating_factor,
    check_sequence_focal_loss,
    check_tuned_alpha,
    grade,
)
from focal_teach.exercises.feedback import Feedback
from focal_teach.exercises.questions import QUESTIONS, Question, check_answer

__all__ = [
    "Feedback",
    "check_cross_entropy_term",
    "check_modulating_factor",
    "check_alpha_weight",
    "check_focal_loss",
    "check_binary_focal_loss",
    "check_class_weights",
    "check_sequence_focal_loss",
    "check_expected_calibration_error",
    "check_tuned_alpha",
    "check_answer",
    "Question",
    "QUESTIONS",
    "EXERCISES",
    "Exercise",
    "Part",
    "grade",
]
