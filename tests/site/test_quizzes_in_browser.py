"""The quizzes on the site give check_answer's verdict and words, for every question, in Chromium.

For each question of focal_teach.exercises.QUESTIONS that a notebook asks, on that notebook's
page: several hundred answers in and around the accepted interval (its two ends, the floats just
beyond them, a sweep across it, random numbers around it) and answers that are not numbers,
through the page's own checker; a dozen of them typed into the field and submitted, as a reader
does. Each time the page's message must be check_answer's.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import random
import re
from pathlib import Path

import nbformat
import pytest

from focal_teach.exercises.questions import QUESTIONS, accepted_interval, check_answer

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
ASKED = {}  # question -> the notebook page that asks it
for _notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
    for _cell in nbformat.read(_notebook, as_version=4).cells:
        for _question in re.findall(r"""\bcheck_answer\(\s*["']([^"']+)["']""", _cell.source) if _cell.cell_type == "code" else []:
            ASKED.setdefault(_question, f"notebooks/{_notebook.stem}.html")
NOT_NUMBERS = ["abc", "0,9", "1__0", "_1", "1_", "1e", "0x10", "--1", "1 2", "it's", "½"]
SPELLINGS = ["  4 ", "+4", "4.", "4.0e0", "1_000", "1_0.5", "1E2", ".5", "-0", "0", "inf", "-Infinity", "nan",
             "1e400", "1e-400"]


def answers(question: str, n_random: int = 150) -> list[str]:
    """Texts to answer with: the interval's ends and their neighbours, a sweep, random numbers."""
    lo, hi = accepted_interval(question)
    middle, width = (lo + hi) / 2, max(hi - lo, 1e-12)
    values = [lo, hi, math.nextafter(lo, -math.inf), math.nextafter(hi, math.inf), QUESTIONS[question].answer()]
    values += [middle + k * width / 8 for k in range(-24, 25)]
    rng = random.Random(question)
    values += [rng.uniform(lo - 3 * width, hi + 3 * width) for _ in range(n_random)]
    values += [-middle, 10 * middle, middle / 10]
    texts = [repr(float(v)) for v in values] + [f"{v:.4g}" for v in values[5:20]]
    return texts + SPELLINGS + NOT_NUMBERS


def expected(question: str, text: str) -> str:
    # An empty field is the notebook's `None` ("no answer yet"); anything else is check_answer's string.
    return check_answer(question, None if text.strip() == "" else text).message


def shown(message: str) -> str:
    return "\n".join(line.strip() for line in message.split("\n"))


@pytest.fixture(scope="module", autouse=True)
def _answers_computed_once():
    """Each question's answer computed once, not once per answer checked: some are read off the
    imbalance map (a second of CPU each time), and a quiz here checks several hundred answers."""
    with pytest.MonkeyPatch.context() as patch:
        for question, q in QUESTIONS.items():
            patch.setitem(QUESTIONS, question, dataclasses.replace(q, answer=functools.cache(q.answer)))
        yield


@pytest.fixture(scope="module")
def context(browser):
    ctx = browser.new_context(viewport={"width": 390, "height": 844})
    ctx.set_default_timeout(120_000)  # a machine shared by many jobs can take > 30 s to load a page
    ctx.set_default_navigation_timeout(120_000)
    yield ctx
    ctx.close()


def test_every_asked_question_is_in_the_bank_and_many_are_asked():
    assert set(ASKED) <= set(QUESTIONS)
    assert len(ASKED) >= 10, ASKED


@pytest.mark.parametrize("question", sorted(ASKED))
def test_the_page_says_what_check_answer_says(context, server, question):
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server + ASKED[question])
    page.wait_for_function("(q) => window.FOCAL_QUIZZES && window.FOCAL_QUIZZES[q]", arg=question)
    texts = answers(question) + [""]
    got = page.evaluate("([q, texts]) => texts.map(t => window.FOCAL_QUIZZES[q](t))", [question, texts])
    oracle = {t: check_answer(question, None if t.strip() == "" else t) for t in set(texts)}
    wrong = [(t, g["message"], oracle[t].message) for t, g in zip(texts, got) if g["message"] != oracle[t].message]
    assert wrong == [], f"{len(wrong)} of {len(texts)} answers differ, e.g. {wrong[:3]}"
    assert all(g["passed"] == oracle[t].passed for t, g in zip(texts, got))
    passed = sum(g["passed"] for g in got)
    assert 5 < passed < len(texts) - 5, "too few answers on either side of the interval to test anything"

    # As a reader does it: type, press Enter (or the button), and the live region says it.
    quiz = page.locator(".ft-quiz", has=page.locator(f"text=({question})"))
    field, feedback = quiz.locator("input"), quiz.locator(".ft-quiz-feedback")
    assert feedback.get_attribute("aria-live") == "polite" and feedback.get_attribute("role") == "status"
    for i, text in enumerate(texts[:8] + ["", "abc", "inf"] + texts[40:42]):
        field.fill(text)
        if i % 2:
            field.press("Enter")
        else:
            quiz.locator("button").click()
        want = oracle[text].message if text in oracle else expected(question, text)
        assert feedback.inner_text().strip() == shown(want), f"typed {text!r}"
    assert errors == []
    page.close()


def test_a_quiz_works_from_the_keyboard_alone(context, server, artifacts):
    question = "01-ratio-0.9"
    page = context.new_page()
    page.goto(server + ASKED[question])
    page.wait_for_function("(q) => window.FOCAL_QUIZZES && window.FOCAL_QUIZZES[q]", arg=question)
    quiz = page.locator(".ft-quiz", has=page.locator(f"text=({question})"))
    quiz.locator(".ft-quiz-text").click()  # start the focus navigation at the question's text
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.name") == "answer"
    assert quiz.locator("label").inner_text() == "Your answer"
    page.keyboard.type("50")
    page.keyboard.press("Enter")
    assert "50 is too low." in quiz.locator(".ft-quiz-feedback").inner_text()
    page.keyboard.press("Control+A")
    page.keyboard.type("100")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.tagName") == "BUTTON"
    page.keyboard.press("Space")
    assert quiz.locator(".ft-quiz-feedback").inner_text().startswith("✅ 01-ratio-0.9: correct (100).")
    quiz.screenshot(path=artifacts / "quiz-01-ratio.png")
    page.close()
