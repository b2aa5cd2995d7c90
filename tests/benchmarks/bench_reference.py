"""How long the reference takes, per section, and what the one-thread choice buys.

Not collected by the default suite. Run:  python tests/benchmarks/bench_reference.py

Each number is printed with a ratio to a baseline measured in the same run (a
fixed 64x1000 @ 1000x100 matmul loop, one thread), so runs on machines of
different speed or load can be compared by their ratios. Wall and CPU seconds
are both shown: on a shared machine they differ by the load.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as `readkit run-reference` does

import time  # noqa: E402

import torch  # noqa: E402

from readkit.reference import SECTIONS, run_reference  # noqa: E402
from readkit.reference.optim import train_logistic_regression_once  # noqa: E402


def timed(block):  # -> (wall, cpu)
    wall, cpu = time.perf_counter(), time.process_time()
    block()
    return time.perf_counter() - wall, time.process_time() - cpu


def baseline() -> float:
    x, w = torch.randn(64, 1000), torch.randn(1000, 100)
    torch.set_num_threads(1)
    wall, _ = timed(lambda: [x @ w for _ in range(500)])
    return wall


def bench_sections(base: float) -> None:
    run_reference(device="cpu", steps=["optim.sgd_optimizer"])  # pay the one-time dynamo import first
    for section in SECTIONS:
        wall, cpu = timed(lambda: run_reference(device="cpu", sections=[section]))
        print(f"{section:12s} wall {wall:6.2f} s  cpu {cpu:6.2f} s  = {wall / base:6.1f} x baseline")


def bench_threads(base: float) -> None:
    default = os.cpu_count() or 1
    for threads in (1, default):
        torch.set_num_threads(threads)
        wall, _ = timed(lambda: train_logistic_regression_once(0, torch.device("cpu")))
        print(f"logistic regression, {threads} thread(s): {wall:6.3f} s = {wall / base:6.2f} x baseline")


if __name__ == "__main__":
    base = baseline()
    print(f"baseline (500 matmuls 64x1000x100, 1 thread): {base:.3f} s")
    bench_sections(base)
    bench_threads(base)
