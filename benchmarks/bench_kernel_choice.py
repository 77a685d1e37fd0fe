"""Where focal_loss should switch from elementwise kernels to log_softmax's: measured on this CPU.

    python benchmarks/bench_kernel_choice.py              # float32 and float64, C = 2 ... 128
    python benchmarks/bench_kernel_choice.py --rows 65536

For an [N, C] input whose class dim is innermost, ``focal_teach.losses._kernels`` computes the
softmax either with ``torch.log_softmax`` (fastest for wide C) or elementwise (amax, exp2,
sum: fastest when C is shorter than log_softmax's vector loop wants). The switch is
``_MIN_CLASSES_FOR_LOG_SOFTMAX_KERNEL`` per dtype. This script times forward+backward of both
paths, interleaved round by round in one process with 2 threads, for each C, and prints the
smallest C from which log_softmax's path is faster for good (the value the table should hold
for this CPU's capability, printed in the header). Both paths give the same loss and gradient
(tests/losses); only speed depends on the choice.
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
    table = _kernels._MIN_CLASSES_FOR_LOG_SOFTMAX_KERNEL
    saved, table[x.dtype] = table.get(x.dtype), threshold
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
        table[x.dtype] = saved


def crossover(dtype, rows: int, rounds: int):
    lines, first_faster = [], None
    for c in CLASSES:
        x = torch.randn(rows, c, dtype=dtype, requires_grad=True)
        t = torch.randint(c, (rows,))
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
    for dtype in (torch.float32, torch.float64):
        lines, first = crossover(dtype, args.rows, args.rounds)
        print(f"\n{dtype}: current threshold {_kernels._MIN_CLASSES_FOR_LOG_SOFTMAX_KERNEL.get(dtype)}, measured {first}")
        print("| C | elementwise | log_softmax | log_softmax / elementwise |\n|---:|---:|---:|---:|")
        print("\n".join(lines))


if __name__ == "__main__":
    main()
