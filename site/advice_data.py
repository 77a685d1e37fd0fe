r"""What the site's "Will focal loss help my problem?" form needs, computed by ``focal_teach`` at build time.

In a notebook, ``print(will_focal_loss_help(...))`` places a problem on the imbalance map and
prints the report. The site has no kernel, so this script asks the package, once per place on
the map, for the report it would print there, and the page only looks the answer up:

- for every task and metric and every measured level, the report of
  ``will_focal_loss_help`` at that level, with the user's number left as a slot
  (:data:`SLOT`): the report depends on the number only through the level nearest to it, whether
  it lies outside the measured range (and on which side), and the number itself, printed
  ``{:,.4g}``; the two reports outside the range (below the lowest level, above the highest)
  too;
- where the nearest level changes: for each pair of neighbouring levels, the smallest float whose
  nearest level is the upper one, found by bisection over the floats with the package's own rule
  (``advice._nearest``, log scale); likewise the smallest and the largest float inside the
  measured range. The page compares the user's number with these floats, so it picks exactly the
  level the package picks, without computing a logarithm;
- the package's error messages for bad input, each with its value left as a slot.

The page checks the input in the package's order (exactly one of imbalance and counts; at least
two positive, finite counts; two for detection) and divides the counts as the package does (the
negatives by the positives; the largest class by the smallest). ``tests/site/test_advice_form.py``
compares the page's text with ``str(will_focal_loss_help(...))`` for several hundred inputs.

Each report is computed from the map's rows of its own level only (the package's reading of a
level uses no other level's rows, and the test checks the result against the full map): one
call on the full map takes about 1.2 s of CPU, one on a level's rows about 0.05 s.

    python site/advice_data.py OUTFILE      # writes the page's data as a script
"""

from __future__ import annotations

import dataclasses
import json
import math
import struct
import sys
from pathlib import Path

from focal_teach.experiments import advice as advice_module
from focal_teach.experiments import load_imbalance_map
from focal_teach.experiments.advice import will_focal_loss_help
from focal_teach.experiments.map_reading import levels
from focal_teach.figures.imbalance_map import METRIC_NAMES

SLOT = "\u2060{value}\u2060"  # never printed by the package; the page puts the user's number here
# The levels the package reads for each task (advice._detection, advice._classification).
LEVELS = {"detection": ("detection", "adam", 120), "classification": ("classification", None, None)}


class _Slot(float):
    """A number that prints as :data:`SLOT` whatever its format, to leave the user's number out."""

    def __format__(self, spec: str) -> str:
        return SLOT


def _bits(x: float) -> int:
    return struct.unpack("<q", struct.pack("<d", x))[0]


def _float(bits: int) -> float:
    return struct.unpack("<d", struct.pack("<q", bits))[0]


def _first(lo: float, hi: float, upper) -> float:
    """The smallest positive float in (lo, hi] where ``upper`` holds, if it fails at lo and holds at hi
    (for positive floats, the order of their bit patterns is their order)."""
    a, b = _bits(lo), _bits(hi)
    assert not upper(lo) and upper(hi), (lo, hi)
    while b - a > 1:
        mid = (a + b) // 2
        if upper(_float(mid)):
            b = mid
        else:
            a = mid
    return _float(b)


def boundaries(level_list) -> dict:
    """Where the package's nearest level changes, and the measured range's inside, as exact floats."""
    nearest = advice_module._nearest
    ratios = [npp for _, npp in level_list]
    thresholds = [_first(ratios[i], ratios[i + 1], lambda v, i=i: nearest(v, level_list)[1] > ratios[i])
                  for i in range(len(ratios) - 1)]
    low = _first(ratios[0] / 100, ratios[0], lambda v: not nearest(v, level_list)[2])
    # The largest float inside: one below the first float outside above the highest level.
    high = _float(_bits(_first(ratios[-1], ratios[-1] * 100, lambda v: nearest(v, level_list)[2])) - 1)
    return {"thresholds": thresholds, "inside": [low, high]}


def _report(value: float, rows, task: str, metric: str | None) -> tuple[str, advice_module.Advice]:
    answer = will_focal_loss_help(value, task=task, metric=metric, rows=rows)
    text = str(dataclasses.replace(answer, imbalance=_Slot(answer.imbalance)))
    if text.count(SLOT) != 1:
        raise SystemExit(f"advice_data: the report should print the user's number once; got {text.count(SLOT)} times")
    return text, answer


def _message(call, value: str | None = None, slot: str = "{value}") -> str:
    """The package's error message for a bad input, with ``value`` (as it prints) left as ``slot``."""
    try:
        call()
    except (ValueError, TypeError) as error:
        message = str(error)
    else:
        raise SystemExit("advice_data: the package accepted an input it should refuse")
    if value is None:
        return message
    if message.count(value) != 1:
        raise SystemExit(f"advice_data: cannot find {value!r} once in the package's message {message!r}")
    return message.replace(value, slot)


def errors() -> dict[str, str]:
    rows = []  # never read: each input is refused before the map is
    return {
        "one_of": _message(lambda: will_focal_loss_help(rows=rows)),
        "imbalance": _message(lambda: will_focal_loss_help(-271.5, rows=rows), "-271.5"),
        "counts": _message(lambda: will_focal_loss_help(counts=[-271.5, 31.25], rows=rows), "[-271.5, 31.25]"),
        "detection_counts": _message(lambda: will_focal_loss_help(counts=[3, 2, 1, 7, 5, 3, 2], task="detection", rows=rows),
                                     "7 counts", "{value} counts"),
    }


def compute(rows=None) -> dict:
    rows = load_imbalance_map() if rows is None else rows
    tasks = {}
    for task, metrics in advice_module.METRICS.items():
        level_list = levels(rows, *LEVELS[task])
        if not level_list:
            raise SystemExit(f"advice_data: the imbalance map has no {task} level")
        ratios = [npp for _, npp in level_list]
        by_level = {level: [r for r in rows if r["task"] == task and r["level"] == level] for level, _ in level_list}
        entry = {"description": advice_module.TASKS[task], "levels": ratios, **boundaries(level_list),
                 "default_metric": metrics[0], "metric_names": {m: METRIC_NAMES.get(m, m) for m in metrics}, "metrics": {}}
        for metric in metrics:
            reports = []
            for level, npp in level_list:
                text, answer = _report(npp, by_level[level], task, metric)
                assert answer.nearest == npp and not answer.extrapolated, (task, level)
                reports.append(text)
            below, answer = _report(entry["inside"][0] / 2, by_level[level_list[0][0]], task, metric)
            assert answer.extrapolated and answer.nearest == ratios[0]
            above, answer = _report(entry["inside"][1] * 2, by_level[level_list[-1][0]], task, metric)
            assert answer.extrapolated and answer.nearest == ratios[-1]
            entry["metrics"][metric] = {"reports": reports, "below": below, "above": above}
        tasks[task] = entry
    return {"slot": SLOT, "tasks": tasks, "errors": errors()}


PREFIX = "window.FOCAL_ADVICE_DATA = "


def write(path: Path, data: dict | None = None) -> dict:
    data = compute() if data is None else data
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PREFIX + json.dumps(data, ensure_ascii=False, separators=(",", ":")) + ";\n", encoding="utf-8")
    return data


def read(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    assert text.startswith(PREFIX)
    return json.loads(text[len(PREFIX):].rstrip().rstrip(";"))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    write(Path(sys.argv[1]))
