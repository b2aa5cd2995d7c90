"""Overhead of `readkit check` over a plain run, measured in the same run.

    python3 tests/benchmarks/bench_check.py [--repeat 3]

For each workload (the classic two-layer net 64x1000->100->10 for 500 steps with
nn + SGD, the same by hand with autograd, and a small CNN), runs the script
plainly (`python script.py`) and under `readkit check` (child only, no
reconciliation), best of --repeat, and prints wall-clock and CPU-time ratios.
CPU time (user+sys of the child processes) is the steadier number on a shared machine.
Both runs get one intra-op thread (OMP_NUM_THREADS=1): on a loaded 2-core machine two
OpenMP threads spin against each other and the noise hides the overhead.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = ROOT / "fixtures" / "check" / "projects"
WORKLOADS = {
    "two-layer net, nn.Sequential + SGD, 500 steps": (PROJECTS / "two_layer_net.py", ["--only", "nn", "--steps", "500"]),
    "two-layer net, autograd by hand, 500 steps": (PROJECTS / "two_layer_net.py", ["--only", "autograd", "--steps", "500"]),
    "small CNN, 200 steps": (PROJECTS / "small_cnn.py", ["--steps", "200"]),
}


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(command: list[str]) -> tuple[float, float]:
    cpu, start = children_cpu(), time.perf_counter()
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=ROOT, env=env)
    return time.perf_counter() - start, children_cpu() - cpu


def best(command: list[str], repeat: int) -> tuple[float, float]:
    runs = [measure(command) for _ in range(repeat)]
    return min(r[0] for r in runs), min(r[1] for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args().repeat
    check = [sys.executable, "-c", "import sys; from readkit.check import check_target; "
             "r = check_target(sys.argv[1], args=sys.argv[2:], quiet=True, reconcile=False); "
             "sys.exit(0 if r.status == 'ok' else 1)"]
    print(f"{'workload':<50} {'plain s':>8} {'check s':>8} {'wall x':>7} {'cpu x':>7}")
    for name, (script, args) in WORKLOADS.items():
        plain_wall, plain_cpu = best([sys.executable, str(script), *args], repeat)
        check_wall, check_cpu = best([*check, str(script), *args], repeat)
        print(f"{name:<50} {plain_wall:8.2f} {check_wall:8.2f} {check_wall / plain_wall:7.2f} "
              f"{check_cpu / plain_cpu:7.2f}")


if __name__ == "__main__":
    main()
