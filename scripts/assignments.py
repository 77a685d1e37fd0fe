"""Graded assignments from the notebooks' exercises and checkers, with Otter-Grader.

    python scripts/assignments.py build [NAME ...] [--out DIR]     # make assignments
    python scripts/assignments.py grade NAME SUBMISSION.ipynb ...   # grade, offline
    python scripts/assignments.py env                               # only the grading tool

Sources: assignments/NN_*.toml (README.md there says what each field is). For each, ``build``
writes an Otter Assign master notebook (the solutions from solutions/exercises.py; one hidden
test per part of the exercise's focal_teach checker, which calls
``focal_teach.exercises.grade``), runs ``otter assign`` on it, and leaves in
build/assignments/NAME/:

    student/NAME.ipynb      the student's notebook: stubs, the checker cells, no solution, no test
    autograder/NAME.ipynb   the same with the solutions (for teachers)
    autograder/autograder.zip   the hidden tests and Otter's configuration

``grade`` runs ``otter run`` on each submission in a network namespace with nothing but the
loopback interface (``unshare --net``, where the user may), and always with a guard that refuses
any connection that leaves the machine in every Python process of the grading (the grader and
the notebook's kernel); it prints each submission's score and feedback and writes
them as JSON with --json.

Otter-Grader is not in the classroom's requirements.txt: it lives in build/grader/, a venv of
its own installed from assignments/requirements.txt (every version pinned, --no-deps), which
also sees the classroom environment's packages (torch, focal_teach) after its own.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
import tomllib
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "assignments"
BUILD = ROOT / "build"
GRADER = BUILD / "grader"  # the grading tool's venv
OUT = BUILD / "assignments"

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nbtools import setup_cell  # noqa: E402  (the notebooks' Colab setup cell, one source)


# ---------------------------------------------------------------- the grading tool's environment


def grader_python() -> Path:
    """build/grader's python, with Otter-Grader installed from the pinned lock (once per lock)."""
    lock = SOURCES / "requirements.txt"
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()[:16]
    python = GRADER / "bin" / "python"
    stamp = GRADER / f".installed-{digest}"
    if stamp.exists():
        return python
    try:
        import focal_teach  # noqa: F401
    except ImportError:
        raise SystemExit("scripts/assignments.py needs the classroom environment (focal_teach, torch): run it with .venv/bin/python")
    start = time.perf_counter()
    if GRADER.exists():
        shutil.rmtree(GRADER)
    subprocess.run([sys.executable, "-m", "venv", str(GRADER)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
                    "-r", str(lock)], check=True, env={**os.environ, "PIP_NO_COMPILE": "1"})
    # The classroom's packages (torch, focal_teach's editable install) after the grader's own.
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    classroom = sysconfig.get_paths()["purelib"]
    Path(purelib, "zz_classroom.pth").write_text(f"import site; site.addsitedir({classroom!r})\n")
    stamp.write_text(f"installed in {time.perf_counter() - start:.0f} s\n")
    print(f"grading tool: Otter-Grader installed in {GRADER.relative_to(ROOT)} in {time.perf_counter() - start:.0f} s")
    return python


def otter(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(grader_python()), "-m", "otter", *args], capture_output=True, text=True,
                          env=env, cwd=cwd)


# ---------------------------------------------------------------- sources -> master notebooks


def sources(names: list[str] | None = None) -> list[Path]:
    found = sorted(SOURCES.glob("[0-9][0-9]_*.toml"))
    if names:
        found = [p for p in found if p.stem in names or tomllib.loads(p.read_text())["name"] in names]
        if not found:
            raise SystemExit(f"no assignment named {names}; there are {[p.stem for p in sorted(SOURCES.glob('[0-9][0-9]_*.toml'))]}")
    return found


def load_solutions():
    spec = importlib.util.spec_from_file_location("reference_solutions", ROOT / "solutions" / "exercises.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def raw(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_raw_cell(text.strip())


def solution_cell(solution, function: str) -> str:
    """The reference solution renamed ``function``, its body a solution block, a stub as the prompt."""
    lines = inspect.getsource(solution).rstrip().splitlines()
    signature_end = next(i for i, line in enumerate(lines) if line.rstrip().endswith(":"))
    head = [re.sub(rf"^def {solution.__name__}\(", f"def {function}(", lines[0]), *lines[1 : signature_end + 1]]
    body = lines[signature_end + 1 :]
    pad = "    "
    return "\n".join([
        *head,
        f"{pad}# BEGIN SOLUTION NO PROMPT",
        *body,
        f"{pad}# END SOLUTION",
        f'{pad}""" # BEGIN PROMPT',
        f"{pad}raise NotImplementedError  # your code here",
        f'{pad}""" # END PROMPT',
    ])


def test_cell(exercise: str, part, function: str, seed: int) -> str:
    return f'''""" # BEGIN TEST CONFIG
hidden: true
points: {part.points}
""" # END TEST CONFIG
def test_{part.key}({function}):
    from focal_teach.exercises import grade

    grade({exercise!r}, {part.key!r}, {function}, seed={seed})  # {part.title}'''


HOW = """
**How this works.** Write each function where it says `raise NotImplementedError`, then run the
checker cell under it: it runs your code on the inputs that reveal the usual mistakes and says
what is wrong, where, with a hint. The grader runs the same checks, part by part, on inputs of
its own, and gives one point per part: {points} points in all. Build everything from torch
operations: a call to `focal_teach`'s functions, or to a library's focal loss, is refused.

**Submitting.** In Colab: *File → Download → Download .ipynb*, and hand in that file; locally,
hand in this notebook. Run it top to bottom first (*Runtime → Restart and run all*): the grader
does.
"""


def master_notebook(spec: dict) -> nbformat.NotebookNode:
    from focal_teach.exercises import EXERCISES

    solutions = load_solutions()
    name, seed = spec["name"], spec["seed"]
    questions = spec["questions"]
    for q in questions:
        if q["exercise"] not in EXERCISES:
            raise SystemExit(f"{name}: no checker for exercise {q['exercise']!r} (focal_teach.exercises.EXERCISES)")
        if not hasattr(solutions, q["exercise"]):
            raise SystemExit(f"{name}: no reference solution {q['exercise']}() in solutions/exercises.py")
    points = sum(part.points for q in questions for part in EXERCISES[q["exercise"]].parts)
    config = f"""
# ASSIGNMENT CONFIG
name: {name}
init_cell: false
check_all_cell: false
export_cell: false
solutions_pdf: false
template_pdf: false
runs_on: colab
python_version: "3.11"
requirements: requirements.txt
generate:
  show_hidden: true
tests:
  files: true
  ok_format: false
"""
    checks = ", ".join(f"check_{q['exercise']}" for q in questions)
    cells = [
        raw(config),
        nbformat.v4.new_markdown_cell(f"# {spec['title']}\n\n{spec['intro'].strip()}\n\n{HOW.strip().format(points=points)}"),
        nbformat.v4.new_code_cell(setup_cell().replace("\n%matplotlib inline", "")),  # nothing to plot here
        nbformat.v4.new_code_cell(f"import math\n\nimport torch\nimport torch.nn.functional as F\n\nfrom focal_teach.exercises import {checks}"),
    ]
    for i, q in enumerate(questions, 1):
        exercise = EXERCISES[q["exercise"]]
        cells += [
            raw(f"# BEGIN QUESTION\nname: q{i}_{q['exercise']}"),
            nbformat.v4.new_markdown_cell(q["text"].strip() + f"\n\n*{sum(p.points for p in exercise.parts)} points: "
                                          + "; ".join(p.title for p in exercise.parts) + ".*"),
            raw("# BEGIN SOLUTION"),
            nbformat.v4.new_code_cell(solution_cell(getattr(solutions, q["exercise"]), q["function"])),
            raw("# END SOLUTION"),
            raw("# BEGIN TESTS"),
            *(nbformat.v4.new_code_cell(test_cell(q["exercise"], part, q["function"], seed)) for part in exercise.parts),
            raw("# END TESTS"),
            raw("# END QUESTION"),
            nbformat.v4.new_code_cell(f"check_{q['exercise']}({q['function']})"),
        ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def build(names: list[str] | None, out: Path, run_tests: bool = True) -> list[Path]:
    """Build each assignment into ``out``/NAME/{student,autograder}; returns the NAME folders."""
    owner, repo = _repository()
    built = []
    for source in sources(names):
        spec = tomllib.loads(source.read_text())
        start = time.perf_counter()
        work = out / spec["name"]
        if work.exists():
            shutil.rmtree(work)
        master_dir = work / "source"
        master_dir.mkdir(parents=True)
        # For a grader with Docker or Gradescope (otter grade): what its image installs. otter run,
        # used here, grades in the current environment and installs nothing.
        (master_dir / "requirements.txt").write_text(f"focal-teach[notebooks] @ git+https://github.com/{owner}/{repo}\n")
        master = master_dir / f"{spec['name']}.ipynb"
        nbformat.write(master_notebook(spec), master)
        args = ["assign", "--no-pdfs", *([] if run_tests else ["--no-run-tests"]), str(master), str(work / "dist")]
        result = otter(*args, env=_offline_env(), cwd=master_dir)
        if result.returncode != 0:
            raise SystemExit(f"otter assign failed on {source.name}:\n{result.stdout}\n{result.stderr}")
        for kind in ("student", "autograder"):
            shutil.move(str(work / "dist" / kind), str(work / kind))
        shutil.rmtree(work / "dist")
        (zipped,) = (work / "autograder").glob("*-autograder_*.zip")  # otter stamps it with the time
        zipped.rename(work / "autograder" / "autograder.zip")
        shutil.rmtree(work / "student" / "tests", ignore_errors=True)  # no public tests: the checker cells are
        built.append(work)
        print(f"{spec['name']}: built in {time.perf_counter() - start:.1f} s -> {work.relative_to(ROOT) if work.is_relative_to(ROOT) else work}")
    return built


def _repository() -> tuple[str, str]:
    from nbtools import repository

    return repository()


# ---------------------------------------------------------------- grading, offline

_GUARD = '''\
# Loaded by every Python process of the grading (sitecustomize): no connection may leave the machine.
import os, socket

_LOG = os.environ["FOCAL_TEACH_NETWORK_LOG"]
_connect, _connect_ex = socket.socket.connect, socket.socket.connect_ex


def _local(address):
    if not isinstance(address, tuple):
        return True  # a Unix socket
    host = address[0]
    return host in ("localhost", "::1") or host.startswith("127.") or host.startswith("::ffff:127.")


def _refuse(address):
    with open(_LOG, "a") as log:
        log.write(f"{os.getpid()} {address!r}\\n")
    raise OSError(f"grading is offline: connection to {address!r} refused")


def connect(self, address):
    if not _local(address):
        _refuse(address)
    return _connect(self, address)


def connect_ex(self, address):
    if not _local(address):
        _refuse(address)
    return _connect_ex(self, address)


socket.socket.connect, socket.socket.connect_ex = connect, connect_ex
'''


def _offline_env(guard_dir: Path | None = None, log: Path | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}  # no proxy to reach anything
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    env["PATH"] = f"{GRADER / 'bin'}{os.pathsep}{env.get('PATH', '')}"  # the kernel's python is the grader's
    env.pop("JUPYTER_PATH", None)
    if guard_dir is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(guard_dir), *filter(None, [env.get("PYTHONPATH")])])
        env["FOCAL_TEACH_NETWORK_LOG"] = str(log)
    return env


def network_namespace() -> list[str]:
    """``unshare --net`` (only loopback inside) if this user may create one, else nothing."""
    if shutil.which("unshare") is None:
        return []
    probe = subprocess.run(["unshare", "--net", "true"], capture_output=True)
    return ["unshare", "--net", "sh", "-c", 'ip link set lo up 2>/dev/null || true; exec "$@"', "offline"] if probe.returncode == 0 else []


_DRIVER = """\
# Runs in the grader's python: grade each submission with Otter's API, one process for them all.
import json, sys
from otter.api import grade_submission

autograder, out, *submissions = sys.argv[1:]
with open(out, "w") as results:
    for submission in submissions:
        graded = grade_submission(submission, autograder, quiet=True)
        error = graded.catastrophic_error
        tests = [{"question": name, "case": case.test_case.name, "points": case.test_case.points,
                  "passed": case.passed, "message": case.message}
                 for name, test_file in graded.results.items() for case in test_file.test_case_results]
        results.write(json.dumps({"submission": submission, "score": graded.total, "possible": graded.possible,
                                  "error": None if error is None else repr(error), "tests": tests}) + "\\n")
"""


def grade(name: str, submissions: list[Path], out: Path = OUT, workers: int = 1) -> list[dict]:
    """Grade each submission with Otter (``otter.api.grade_submission``, as ``otter run``), offline.

    ``workers`` grader processes share the submissions. Returns each submission's score and, per
    test (one part of a checker), whether it passed and the checker's message.
    """
    autograder = out / name / "autograder" / "autograder.zip"
    if not autograder.exists():
        raise SystemExit(f"{autograder} is missing: run `make assignments` (or scripts/assignments.py build {name}) first")
    python = grader_python()
    namespace = network_namespace()
    chunks = [[str(Path(s).resolve()) for s in submissions[i::workers]] for i in range(workers) if submissions[i::workers]]
    with tempfile.TemporaryDirectory() as tmp:
        guard, log = Path(tmp, "guard"), Path(tmp, "network.log")
        guard.mkdir()
        (guard / "sitecustomize.py").write_text(_GUARD)
        log.write_text("")
        env = _offline_env(guard, log)
        start = time.perf_counter()
        runs = [subprocess.Popen([*namespace, str(python), "-c", _DRIVER, str(autograder), str(Path(tmp, f"results{i}.jsonl")), *chunk],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp)
                for i, chunk in enumerate(chunks)]
        for run in runs:
            stdout, stderr = run.communicate()
            if run.returncode != 0:
                raise SystemExit(f"grading failed:\n{stdout[-3000:]}\n{stderr[-3000:]}")
        seconds = time.perf_counter() - start
        graded = [json.loads(line) for i in range(len(chunks)) for line in Path(tmp, f"results{i}.jsonl").read_text().splitlines()]
        blocked = log.read_text().splitlines()
    order = {str(Path(s).resolve()): k for k, s in enumerate(submissions)}
    graded.sort(key=lambda r: order[r["submission"]])
    for result in graded:
        result.update(parts(result["tests"]), offline="network namespace (loopback only) and socket guard" if namespace else "socket guard",
                      blocked_connections=blocked, seconds=round(seconds / len(graded), 1))
    return graded


def parts(tests: list[dict]) -> dict:
    """Name each test by its exercise's part (tests are the parts, in order, of question qN_EXERCISE)."""
    from focal_teach.exercises import EXERCISES

    seen: dict[str, int] = {}
    for test in tests:
        exercise = test["question"].split("_", 1)[1]
        k = seen[test["question"]] = seen.get(test["question"], -1) + 1
        test["part"] = EXERCISES[exercise].parts[k].key
        test["feedback"] = None if test["passed"] else feedback(test["message"])
    return {"tests": tests}


def feedback(message: str) -> str:
    """The checker's message out of Otter's failure report (which adds the test's source line)."""
    match = re.search(r"AssertionError: (.*)", message, re.S)
    return match.group(1).strip() if match else message.strip()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    b = commands.add_parser("build", help="build the student notebooks and autograders")
    b.add_argument("names", nargs="*")
    b.add_argument("--out", type=Path, default=OUT)
    b.add_argument("--no-run-tests", action="store_true", help="skip otter assign's run of the solutions against the tests")
    g = commands.add_parser("grade", help="grade submissions, offline")
    g.add_argument("name")
    g.add_argument("submissions", nargs="+", type=Path)
    g.add_argument("--out", type=Path, default=OUT)
    g.add_argument("--workers", type=int, default=1, help="grader processes (each runs one notebook at a time)")
    g.add_argument("--json", type=Path, help="also write the results here")
    commands.add_parser("env", help="install the grading tool only")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    if args.command == "env":
        print(grader_python())
    elif args.command == "build":
        build(args.names, args.out.resolve(), run_tests=not args.no_run_tests)
        print(f"built in {time.perf_counter() - start:.0f} s")
    else:
        results = grade(args.name, args.submissions, args.out.resolve(), workers=args.workers)
        for result in results:
            print(f"\n{result['submission']}: {result['score']:g} / {result['possible']:g}  (offline: {result['offline']})")
            for test in result["tests"]:
                mark = "✓" if test["passed"] else "✗"
                print(f"  {mark} {test['question']} · {test['part']} ({test['points']:g})"
                      + ("" if test["passed"] else "\n      " + test["feedback"].replace("\n", "\n      ")))
        if args.json:
            args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False))
        print(f"\ngraded {len(results)} in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
