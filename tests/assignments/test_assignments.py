"""The graded assignments (assignments/, `make assignments`): built with Otter-Grader, graded offline.

One build of every assignment into a temporary folder, then one grading run (two grader
processes) of every submission below: the reference solutions score full marks, the blank
student notebook 0, and each typical mistake partial marks, its feedback the checker's own
message. The graded tests are focal_teach's checkers (focal_teach.exercises.grade), so the
checkers' own tests (tests/exercises) cover every mistake part by part; here, through Otter,
the ones each assignment is about.

The grading tool lives in build/grader (scripts/assignments.py installs it, pinned, beside the
classroom environment), so these tests run in the classroom environment only.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest

from focal_teach.exercises import EXERCISES

ROOT = Path(__file__).resolve().parents[2]
if Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
    pytest.skip("the assignments are built and graded in the classroom environment (.venv) only", allow_module_level=True)

sys.path.insert(0, str(ROOT / "scripts"))
import assignments as tool  # noqa: E402  (scripts/assignments.py)


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = sys.modules[name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


solutions = _load("assignment_solutions", ROOT / "solutions" / "exercises.py")
mistakes = _load("exercise_mistakes", ROOT / "tests" / "exercises" / "mistakes.py")
SPECS = {spec["name"]: spec for spec in (tomllib.loads(p.read_text()) for p in tool.sources())}

# The submissions graded through Otter: per assignment, sets of mistakes, at most one per question.
MIXES = {
    "a01_focal_loss_pieces": [
        ("pieces_1", [mistakes.ce_clamped, mistakes.mf_exp_log, mistakes.aw_missing_negatives, mistakes.fl_naive_pow]),
        ("pieces_2", [mistakes.ce_positive_log, mistakes.mf_precedence, mistakes.aw_wrong_class, mistakes.fl_clamped]),
    ],
    "a03_binary_focal_loss": [
        ("missing_alpha_for_negatives", [mistakes.bf_missing_alpha_for_negatives]),
        ("naive_pow_gamma_below_1", [mistakes.bf_naive_pow]),
        ("divides_by_alpha_sum", [mistakes.bf_divide_by_alpha_sum]),
    ],
    "a05_sequence_focal_loss": [
        ("padding_as_class_zero", [mistakes.sq_padding_as_class_zero]),
        ("mean_over_all_positions", [mistakes.sq_mean_over_all_positions]),
        ("mask_after_computing", [mistakes.sq_mask_after_computing]),
    ],
    "a08_tuned_alpha": [
        ("tuned_on_test", [mistakes.ta_on_test]),
        ("best_seed_not_mean", [mistakes.ta_best_seed]),
        ("rows_of_every_level", [mistakes.ta_no_filter]),
    ],
}
EXERCISE_OF = {m.fn: m.exercise for m in mistakes.MISTAKES}


def renamed(fn, name: str) -> str:
    source = inspect.getsource(fn)
    return source.replace(f"def {fn.__name__}(", f"def {name}(", 1)


def submission(student: Path, answers: dict[str, object], path: Path, extra_cell: str | None = None) -> Path:
    """The student notebook with some answer cells filled in (by exercise), as a student hands it in."""
    nb = nbformat.read(student, as_version=4)
    spec = SPECS[student.stem]
    functions = {q["exercise"]: q["function"] for q in spec["questions"]}
    filled = set()
    for cell in nb.cells:
        for exercise, fn in answers.items():
            if cell.cell_type == "code" and cell.source.startswith(f"def {functions[exercise]}("):
                cell.source = renamed(fn, functions[exercise])
                filled.add(exercise)
    assert filled == set(answers), f"no answer cell for {set(answers) - filled} in {student}"
    if extra_cell:
        nb.cells.insert(3, nbformat.v4.new_code_cell(extra_cell))
    nbformat.write(nb, path)
    return path


REACH_OUT = """\
import socket
try:
    socket.create_connection(("198.51.100.7", 80), timeout=2)  # TEST-NET-2: nothing answers there anyway
except OSError as err:
    print("no network:", err)
"""


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Build every assignment, then grade its solution, blank and mistake submissions; results by (assignment, label)."""
    out = tmp_path_factory.mktemp("assignments")
    tool.build(None, out, run_tests=False)
    subs = tmp_path_factory.mktemp("submissions")
    plan = {}
    for name, spec in SPECS.items():
        student = out / name / "student" / f"{name}.ipynb"
        exercises = [q["exercise"] for q in spec["questions"]]
        text = student.read_text()
        assert "BEGIN SOLUTION" not in text and "grade(" not in text and "seed=" not in text  # no solution, no test
        for exercise in exercises:  # not a line of a reference solution's body (but its imports, which the notebook has)
            body = [line.strip() for line in inspect.getsource(getattr(solutions, exercise)).splitlines()[1:]]
            code = [line for line in body if len(line) > 12 and not line.startswith(("import ", "from "))]
            assert code and not [line for line in code if json.dumps(line)[1:-1] in text], exercise
        plan[name] = {
            "solution": submission(student, {e: getattr(solutions, e) for e in exercises}, subs / f"{name}-solution.ipynb"),
            "blank": submission(student, {}, subs / f"{name}-blank.ipynb", extra_cell=REACH_OUT if name.startswith("a03") else None),
        }
        for label, fns in MIXES.get(name, []):
            plan[name][label] = submission(student, {EXERCISE_OF[fn]: fn for fn in fns}, subs / f"{name}-{label}.ipynb")
    results = {}
    for name, labelled in plan.items():
        for label, result in zip(labelled, tool.grade(name, list(labelled.values()), out, workers=2)):
            results[name, label] = result
    (out / "results.json").write_text(json.dumps({f"{n}/{label}": r for (n, label), r in results.items()}, indent=1, ensure_ascii=False))
    return results


def test_every_assignment_is_built_from_its_source():
    assert set(SPECS) >= {"a01_focal_loss_pieces", "a03_binary_focal_loss", "a05_sequence_focal_loss", "a08_tuned_alpha"}
    for spec in SPECS.values():
        for q in spec["questions"]:
            assert q["exercise"] in EXERCISES and hasattr(solutions, q["exercise"])


@pytest.mark.parametrize("name", sorted(SPECS))
def test_the_reference_solutions_score_full_marks(graded, name):
    result = graded[name, "solution"]
    assert result["error"] is None
    assert result["score"] == result["possible"] == sum(len(EXERCISES[q["exercise"]].parts) for q in SPECS[name]["questions"])


@pytest.mark.parametrize("name", sorted(SPECS))
def test_the_blank_notebook_scores_zero_without_crashing_the_grader(graded, name):
    result = graded[name, "blank"]
    assert result["error"] is None and result["score"] == 0 and result["possible"] > 0
    assert all("not implemented yet" in test["feedback"] for test in result["tests"])


@pytest.mark.parametrize("name, label", [(n, label) for n, mixes in MIXES.items() for label, _ in mixes])
def test_each_typical_mistake_scores_partial_marks_with_the_checkers_message(graded, name, label):
    result = graded[name, label]
    fns = dict(MIXES[name])[label]
    assert result["error"] is None and 0 < result["score"] < result["possible"]
    failed = [t for t in result["tests"] if not t["passed"]]
    expected = []
    for fn in fns:
        mistake = next(m for m in mistakes.MISTAKES if m.fn is fn)
        exercise = EXERCISES[mistake.exercise]
        for part in exercise.parts:
            feedback = exercise.check(fn, part=part.key, seed=SPECS[name]["seed"])
            if not feedback:
                assert part.key in mistake.fails
                expected.append((mistake.exercise, part.key, feedback.message))
    # exactly the mistakes' own parts fail, each with the checker's message word for word
    assert sorted((t["question"].split("_", 1)[1], t["part"], t["feedback"]) for t in failed) == sorted(expected)
    assert result["score"] == result["possible"] - len(expected)


def test_grading_is_offline(graded):
    """Every grading ran with no route off the machine (a network namespace, where this user may
    create one) and a guard in each of its Python processes that refuses and logs any connection
    leaving the machine. Nothing the grader does reaches out: the only attempt logged is the one
    the blank a03 notebook makes on purpose, which shows that the guard sees the kernel's sockets."""
    for (name, label), result in graded.items():
        attempts = result["blocked_connections"]  # one log per assignment's grading run
        if name == "a03_binary_focal_loss":
            assert len(attempts) == 1 and "198.51.100.7" in attempts[0], attempts
        else:
            assert attempts == [], (name, label, attempts)
        if tool.network_namespace():
            assert result["offline"].startswith("network namespace"), result["offline"]
