"""The whole `readkit check` command against `python script.py`, as the user feels it.

    python tests/benchmarks/bench_check_command.py [--pairs 5] [--steps 500] [--threads 1]

The script is the classic two-layer net (64x1000 -> 100 -> 10, nn.Sequential + SGD, 500 steps).
Each pair runs `python script.py` and `readkit check script.py` (the command: start-up,
instrumented child, reconciliation with the annotator, text report) back to back, in alternating
order, in the same environment; the report gives the median over pairs of each, and the median of
the per-pair ratios, for wall time and for CPU time (user+sys of every process involved).
Machine load moves both runs of a pair alike, so the paired ratio is steadier than either time.
Both runs get --threads intra-op threads (OMP_NUM_THREADS; default 1): on a shared 2-core machine
two OpenMP threads spin against other users' work and the same plain run took 2.5 to 7.4 s of CPU.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCRIPT = """\
import torch

N, D_in, H, D_out = 64, 1000, 100, 10
torch.manual_seed(0)
x = torch.randn(N, D_in)
y = torch.randn(N, D_out)
model = torch.nn.Sequential(torch.nn.Linear(D_in, H), torch.nn.ReLU(), torch.nn.Linear(H, D_out))
loss_fn = torch.nn.MSELoss(reduction="sum")
optimizer = torch.optim.SGD(model.parameters(), lr=1e-4)
for t in range({steps}):
    y_pred = model(x)
    loss = loss_fn(y_pred, y)
    if t % 100 == 99:
        print(t, loss.item())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
"""


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(command: list[str], cwd: Path, threads: int) -> tuple[float, float]:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    cpu, start = children_cpu(), time.perf_counter()
    done = subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{command} exited {done.returncode}")
    return time.perf_counter() - start, children_cpu() - cpu


def readkit_command() -> list[str]:
    """The installed `readkit` entry point next to this interpreter, or `python -m readkit`."""
    script = Path(sys.executable).with_name("readkit")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "readkit"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--threads", type=int, default=1)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-check-") as temp:
        workdir = Path(temp)
        script = workdir / "two_layer_net.py"
        script.write_text(SCRIPT.format(steps=options.steps), encoding="utf-8")
        plain = [sys.executable, str(script)]
        check = [*readkit_command(), "check", str(script), "--no-color"]
        threads = options.threads
        measure(plain, workdir, threads)  # warm the file cache: torch's files, readkit's, libcst's
        measure(check, workdir, threads)
        rows: list[tuple[float, float, float, float]] = []
        for index in range(options.pairs):
            if index % 2 == 0:
                p, c = measure(plain, workdir, threads), measure(check, workdir, threads)
            else:
                c, p = measure(check, workdir, threads), measure(plain, workdir, threads)
            rows.append((p[0], c[0], p[1], c[1]))
            print(f"pair {index + 1}: plain {p[0]:.2f} s wall {p[1]:.2f} s CPU; "
                  f"check {c[0]:.2f} s wall {c[1]:.2f} s CPU; ratio {c[0] / p[0]:.2f}x wall {c[1] / p[1]:.2f}x CPU",
                  flush=True)
    median = statistics.median
    print(f"median plain: {median(r[0] for r in rows):.2f} s wall, {median(r[2] for r in rows):.2f} s CPU")
    print(f"median check: {median(r[1] for r in rows):.2f} s wall, {median(r[3] for r in rows):.2f} s CPU")
    print(f"median paired ratio: {median(r[1] / r[0] for r in rows):.2f}x wall, "
          f"{median(r[3] / r[2] for r in rows):.2f}x CPU   (load average {os.getloadavg()[0]:.1f}, "
          f"{os.cpu_count()} CPUs, {options.threads} intra-op thread(s))")


if __name__ == "__main__":
    main()
