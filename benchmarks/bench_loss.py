"""Focal loss forward+backward: time and peak memory, side by side, as ratios to F.cross_entropy.

    python benchmarks/bench_loss.py                  # full table (also: make bench)
    python benchmarks/bench_loss.py --check          # exit 1 unless focal_teach meets its targets
    python benchmarks/bench_loss.py --device cuda    # on a GPU (time: synchronised; memory: the allocator's peak)

Time: every candidate runs in the same process, interleaved round by round in an order that
rotates each round (so drift in the machine's speed, and the position after another candidate,
hit all alike), on CPU with 2 threads; the median of the rounds is reported
as a ratio to F.cross_entropy's median. That process pins glibc's mmap and trim thresholds, so
freed buffers are reused as in a training loop's steady state: with glibc's default, adaptive
thresholds, whether a buffer comes back as fresh, page-faulting memory depends on what was
freed before, and F.cross_entropy's own time on [8192, 1000] swings between 4.5 and 17 ms
with the order of the candidates. Each timed step follows an untimed step of the same
candidate, so every candidate starts with hot caches, as a loss does right after the model's
last layer (otherwise each would pay for the cache traffic of the one before it). Memory: each candidate runs in a fresh process with
glibc's mmap threshold pinned at 64 KiB, so every large buffer is mapped on allocation and
unmapped on free and the resident-set high-water mark (VmHWM, reset through
/proc/self/clear_refs) tracks the peak of live buffers. "Extra" is that peak minus the resident
size just before the call: what forward+backward allocate beyond the inputs, the gradient
included. With --device cuda, each timed step ends with torch.cuda.synchronize() and memory is
torch.cuda.max_memory_allocated() minus the allocation before the step. All candidates compute gamma=2, no alpha, reduction="mean" (kornia's "mean" divides
by N*C, a different constant that costs nothing).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

THREADS = 2
GAMMA = 2.0
CASES = {
    "[262144, 10]": (262144, 10),
    "[8192, 1000]": (8192, 1000),
    "[32, 50, 512] (sequence)": (32, 50, 512),  # N=32, C=50 classes, 512 positions
}
# issue 11's limits: time / F.cross_entropy per case, and peak memory / kornia's (a ratio within
# 0.01 of it is one buffer's page rounding, reported as met)
TIME_VS_CE = {"[262144, 10]": 1.0, "[8192, 1000]": 1.0, "[32, 50, 512] (sequence)": 1.2}
MEMORY_VS_KORNIA = 1.0
DEVICE = torch.device("cpu")  # set by --device


def make_inputs(shape, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(*shape, generator=gen)
    target = torch.randint(shape[1], (shape[0],) + tuple(shape[2:]), generator=gen)
    return x.to(DEVICE), target.to(DEVICE)


def _synchronize():
    if DEVICE.type == "cuda":
        torch.cuda.synchronize()


# ----------------------------------------------------------------------------- candidates
# Each maker takes the logits in F.cross_entropy's layout and returns (leaf tensor, loss fn):
# class-last peers get the same values, laid out class-last beforehand (outside the timing),
# as a user of that package would have them.


def _cross_entropy(x, t):
    return x, lambda leaf: F.cross_entropy(leaf, t)


def _focal_teach(x, t):
    from focal_teach import focal_loss

    return x, lambda leaf: focal_loss(leaf, t, gamma=GAMMA)


def _kornia(x, t):
    from kornia.losses import focal_loss

    return x, lambda leaf: focal_loss(leaf, t, alpha=None, gamma=GAMMA, reduction="mean")


def _focal_loss_torch(x, t):
    from focal_loss.focal_loss import FocalLoss

    criterion = FocalLoss(gamma=GAMMA)  # takes probabilities, classes last
    x_last = x.movedim(1, -1).contiguous()
    return x_last, lambda leaf: criterion(torch.softmax(leaf, -1), t)


def _one_hot_tutorial(x, t):
    def loss(leaf):  # as most tutorials write it
        log_p = F.log_softmax(leaf, dim=1)
        p = log_p.exp()
        one_hot = F.one_hot(t, leaf.shape[1]).movedim(-1, 1).to(leaf.dtype)
        return -(one_hot * (1 - p) ** GAMMA * log_p).sum(1).mean()

    return x, loss


CANDIDATES = {
    "F.cross_entropy": _cross_entropy,
    "focal_teach": _focal_teach,
    "kornia 0.9": _kornia,
    "focal_loss_torch": _focal_loss_torch,
    "one-hot (tutorial)": _one_hot_tutorial,
}


def _leaf_and_fn(name, shape):
    x, t = make_inputs(shape)
    x, fn = CANDIDATES[name](x, t)
    return x.requires_grad_(), fn


def _step(leaf, fn):
    leaf.grad = None
    fn(leaf).backward()
    _synchronize()


# ----------------------------------------------------------------------------- time


WARM_ALLOCATOR = {"MALLOC_MMAP_THRESHOLD_": str(32 << 20), "MALLOC_TRIM_THRESHOLD_": str(1 << 40)}
COLD_ALLOCATOR = {"MALLOC_MMAP_THRESHOLD_": str(64 << 10), "MALLOC_TRIM_THRESHOLD_": "0"}


def _child(args, allocator):
    env = dict(os.environ, OMP_NUM_THREADS=str(THREADS), **allocator)
    args = [*args, "--device", str(DEVICE)]
    res = subprocess.run([sys.executable, __file__, *args], env=env, capture_output=True, text=True)
    if res.returncode:
        raise RuntimeError(f"benchmark child {args} failed:\n{res.stderr}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def _time_child(case, rounds, warmup=3):
    torch.set_num_threads(THREADS)
    shape = CASES[case]
    runs = {name: _leaf_and_fn(name, shape) for name in CANDIDATES}
    seconds = {name: [] for name in CANDIDATES}
    names = list(runs)
    for r in range(warmup + rounds):
        # the order rotates every round: whoever runs right after another candidate pays for
        # what that one left behind (the same code measured 1.02 and 1.23x CE by position alone)
        for name in names[r % len(names):] + names[: r % len(names)]:
            leaf, fn = runs[name]
            _step(leaf, fn)  # untimed: logits and buffers hot, as right after the model's last layer
            start = time.perf_counter()
            _step(leaf, fn)
            if r >= warmup:
                seconds[name].append(time.perf_counter() - start)
    print(json.dumps({name: statistics.median(s) for name, s in seconds.items()}))


def time_case(case, rounds):
    return _child(["--time-child", case, str(rounds)], WARM_ALLOCATOR)


# ----------------------------------------------------------------------------- memory


def _status_kib(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{key} not in /proc/self/status")


def _memory_child(name, case):
    torch.set_num_threads(THREADS)
    leaf, fn = _leaf_and_fn(name, CASES[case])
    _step(leaf, fn)  # first call: lazy initialisation, imports
    if DEVICE.type == "cuda":
        return _cuda_memory(leaf, fn)
    peaks = []
    for _ in range(3):
        leaf.grad = None
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset VmHWM to the current resident size
        before = _status_kib("VmRSS")
        _step(leaf, fn)
        peaks.append(_status_kib("VmHWM") - before)
    print(json.dumps(min(peaks) * 1024))


def _cuda_memory(leaf, fn):
    peaks = []
    for _ in range(3):
        leaf.grad = None
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
        _step(leaf, fn)
        peaks.append(torch.cuda.max_memory_allocated() - before)
    print(json.dumps(min(peaks)))


def memory_case(case):
    return {name: _child(["--memory-child", name, case], COLD_ALLOCATOR) for name in CANDIDATES}


# ----------------------------------------------------------------------------- report


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--check", action="store_true", help="exit 1 unless focal_teach meets its targets")
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda, cuda:1, ...")
    parser.add_argument("--memory-child", nargs=2, metavar=("CANDIDATE", "CASE"), help=argparse.SUPPRESS)
    parser.add_argument("--time-child", nargs=2, metavar=("CASE", "ROUNDS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    global DEVICE
    DEVICE = torch.device(args.device)
    if DEVICE.type == "cuda" and not torch.cuda.is_available():
        parser.error(f"--device {args.device}: torch.cuda.is_available() is False on this machine")
    if args.memory_child:
        return _memory_child(*args.memory_child)
    if args.time_child:
        return _time_child(args.time_child[0], int(args.time_child[1]))

    torch.set_num_threads(THREADS)
    where = torch.cuda.get_device_name(DEVICE) if DEVICE.type == "cuda" else f"CPU capability {torch.backends.cpu.get_cpu_capability()}"
    print(f"torch {torch.__version__}, device {DEVICE}, {THREADS} threads, {where}")
    print(f"forward+backward, gamma={GAMMA}, median of {args.rounds} interleaved rounds; ratios to F.cross_entropy\n")
    print("| case | candidate | time | time / CE | peak extra memory | memory / CE | memory / kornia |")
    print("|---|---|---:|---:|---:|---:|---:|")
    failures = []
    for case, shape in CASES.items():
        seconds = time_case(case, args.rounds)
        memory = memory_case(case)
        ce_s, ce_m, k_m = seconds["F.cross_entropy"], memory["F.cross_entropy"], memory["kornia 0.9"]
        for name in CANDIDATES:
            print(
                f"| {case} | {name} | {seconds[name] * 1e3:.2f} ms | {seconds[name] / ce_s:.2f} | "
                f"{memory[name] / 2**20:.1f} MiB | {memory[name] / ce_m:.2f} | {memory[name] / k_m:.2f} |"
            )
        ours = seconds["focal_teach"]
        if ours / ce_s > TIME_VS_CE[case]:
            failures.append(f"{case}: time {ours / ce_s:.2f}x cross-entropy > {TIME_VS_CE[case]}")
        for peer in ("kornia 0.9", "focal_loss_torch", "one-hot (tutorial)"):
            if ours >= seconds[peer]:
                failures.append(f"{case}: not faster than {peer} ({ours * 1e3:.2f} vs {seconds[peer] * 1e3:.2f} ms)")
        if round(memory["focal_teach"] / k_m, 2) > MEMORY_VS_KORNIA:
            failures.append(f"{case}: memory {memory['focal_teach'] / k_m:.2f}x kornia's > {MEMORY_VS_KORNIA}")
    print()
    limits = ", ".join(f"{c} {v}" for c, v in TIME_VS_CE.items())
    print("\n".join(failures) if failures else f"focal_teach meets every target (time / CE: {limits}; faster than each peer; memory <= kornia's)")
    if args.check and failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
