"""Where focal_loss should switch from elementwise kernels to log_softmax's: measured on this CPU.

    python benchmarks/bench_kernel_choice.py              # float32 and float64, C = 2 ... 128
    python benchmarks/bench_kernel_choice.py --rows 65536

``focal_teach.losses._kernels`` computes the softmax either with ``torch.log_softmax`` (fastest
for wide C) or elementwise (amax, exp2, sum: fastest when C is short, and its backward pass
makes two passes over the gradient instead of four). The switch is
``_MIN_CLASSES_FOR_LOG_SOFTMAX_KERNEL``, per dtype and layout: ``[N, C]`` (the class dim
innermost) or ``[N, C, d1, ...]`` (here ``[N / 512, C, 512]``, a sequence). This script times
forward+backward of both paths, interleaved round by round in one process with 2 threads, for
each C, and prints the smallest C from which log_softmax's path is faster for good (the value
the table should hold for this CPU's capability, printed in the header). Both paths give the
same loss and gradient (tests/losses); only speed depends on the choice.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from focal_teach import focal_loss
from focal_teach.losses import _kernels

CLASSES = [2, 4, 6, 8, 10, 12, 16, 24, 32, 48, 64, 96, 128]


def _time(path: str, x, t, rounds: int) -> float:
    threshold = 0 if path == "log_softmax" else 1 << 30
    table, key = _kernels._MIN_CLASSES_FOR_LOG_SOFTMAX_KERNEL, _kernels.kernel_key(x)
    saved, table[key] = table.get(key), threshold
    try:
        seconds = []
        for r in range(rounds + 2):
            x.grad = None
            start = time.perf_counter()
            focal_loss(x, t).backward()
            if r >= 2:
                seconds.append(time.perf_counter() - start)
        return statistics.median(seconds)
    finally:
        table[key] = saved


LAYOUTS = {"[N, C]": lambda rows, c: (rows, c), "[N, C, 512]": lambda rows, c: (rows // 512, c, 512)}


def crossover(dtype, layout: str, rows: int, rounds: int):
    lines, first_faster = [], None
    for c in CLASSES:
        shape = LAYOUTS[layout](rows, c)
        x = torch.randn(shape, dtype=dtype, requires_grad=True)
        t = torch.randint(c, (shape[0], *shape[2:]))
        times = {"elementwise": [], "log_softmax": []}
        for _ in range(5):  # interleaved: drift in the machine's speed hits both alike
            for path in times:
                times[path].append(_time(path, x, t, rounds))
        e, k = (statistics.median(times[p]) for p in ("elementwise", "log_softmax"))
        first_faster = c if k < e and first_faster is None else (None if k >= e else first_faster)
        lines.append(f"| {c} | {e * 1e3:.2f} ms | {k * 1e3:.2f} ms | {k / e:.2f} |")
    return lines, first_faster


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=65536)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    print(f"torch {torch.__version__}, CPU capability {torch.backends.cpu.get_cpu_capability()}, N = {args.rows}")
    for layout in LAYOUTS:
        for dtype in (torch.float32, torch.float64):
            lines, first = crossover(dtype, layout, args.rows, args.rounds)
            x = torch.empty(LAYOUTS[layout](args.rows, 2), dtype=dtype)
            current = _kernels._MIN_CLASSES_FOR_LOG_SOFTMAX_KERNEL.get(_kernels.kernel_key(x))
            print(f"\n{layout}, {dtype}: current threshold {current}, measured {first}")
            print("| C | elementwise | log_softmax | log_softmax / elementwise |\n|---:|---:|---:|---:|")
            print("\n".join(lines))


if __name__ == "__main__":
    main()
