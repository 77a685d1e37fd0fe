"""How long a slider move takes to become a new picture, for each explorer.

    python benchmarks/bench_widgets.py            # table of latencies
    python benchmarks/bench_widgets.py --check    # exit 1 unless every median is <= 100 ms

A move is ``explorer.controls[name].value = v``, exactly what a browser's slider message does
in the kernel: the explorer's observer updates the figure's artists, redraws it and stores the
new PNG in ``explorer.image.value``, all before the assignment returns. The time of that
assignment is the latency the kernel adds (the browser then receives and decodes the PNG,
which tests/e2e measures). Each control is swept up and down its slider, one step at a time,
as a drag does; the first sweep warms up (font caches, torch's first calls) and is not
counted. The machine's load shows in the numbers: run it on an idle machine for a fair figure.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np
import torch

from focal_teach.explorers import gradient_explorer, loss_explorer

TARGET_MS = 100.0
EXPLORERS = {"loss_explorer": loss_explorer, "gradient_explorer": gradient_explorer}


def sweep(control) -> list[float]:
    """The slider's values from min to max and back, one step apart, as a drag visits them."""
    up = np.arange(control.min, control.max + control.step / 2, control.step)
    return [float(v) for v in np.concatenate([up, up[::-1][1:]])]


def latencies_ms(explorer, name: str, rounds: int) -> list[float]:
    control = explorer.controls[name]
    values = sweep(control)
    times = []
    for round_ in range(rounds + 1):
        for value in values:
            if value == control.value:
                continue
            before = explorer.image.value
            start = time.perf_counter()
            control.value = value
            elapsed = time.perf_counter() - start
            if explorer.image.value is before:
                raise RuntimeError(f"moving {name} to {value} did not re-render the picture")
            if round_:  # round 0 warms up
                times.append(1000 * elapsed)
    return times


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2, help="timed sweeps per control (default 2)")
    parser.add_argument("--check", action="store_true", help=f"exit 1 unless every median is <= {TARGET_MS:.0f} ms")
    args = parser.parse_args(argv)
    torch.set_num_threads(2)

    print(f"{'explorer':<18} {'control':<7} {'moves':>5} {'median ms':>9} {'p90 ms':>7} {'max ms':>7}")
    medians = []
    for label, make in EXPLORERS.items():
        explorer = make()
        for name in explorer.controls:
            times = latencies_ms(explorer, name, args.rounds)
            median = statistics.median(times)
            p90 = statistics.quantiles(times, n=10)[-1]
            medians.append(median)
            print(f"{label:<18} {name:<7} {len(times):>5} {median:>9.1f} {p90:>7.1f} {max(times):>7.1f}")
    worst = max(medians)
    print(f"worst median: {worst:.1f} ms (target <= {TARGET_MS:.0f} ms)")
    return int(args.check and worst > TARGET_MS)


if __name__ == "__main__":
    sys.exit(main())
