"""Re-run time with the annotation cache, and what an edit costs: cold, warm, one file edited.

    python tests/benchmarks/bench_cache.py [--tree PATH] [--edit REL] [--jobs J] [--warm N] [--cluster]

The tree (default: the installed torch's nn/ and optim/) is copied to a scratch folder,
so the edit never touches the original. Each row runs `readkit annotate TREE --format json`
as a user would (start-up included) against a cache in a fresh folder, and reports wall
time, CPU time, the peak RSS of the largest of its processes (the parent or a pool worker)
and the cache's counters (from the `READKIT_BENCH_COUNTERS` file the command writes when
that variable is set): the cold run is the baseline, the others are ratios to it. The
no-change re-run is repeated N times (--warm, default 3): the row gives the median. After editing REL (default: torch/nn/modules/module.py, which most of nn
reads for its base class), the re-run must re-analyse exactly the edited file and the files
whose analysis read it: the counters prove it. With --cluster, the cold run is repeated on a
two-worker dask LocalCluster started here (`--scheduler`) for the local-vs-cluster row.
Not collected by pytest; results go in docs/performance.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def torch_root() -> Path:
    spec = importlib.util.find_spec("torch")
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).parent


def readkit(tree: Path, cache: Path, jobs: int | None, extra: list[str]) -> dict[str, object]:
    counters = cache / "counters.json"
    env = {**os.environ, "READKIT_CACHE_DIR": str(cache), "READKIT_BENCH_COUNTERS": str(counters)}
    command = [sys.executable, "-m", "readkit", "annotate", str(tree), "--format", "json", "--quiet", *extra]
    if jobs:
        command += ["--jobs", str(jobs)]
    peak = cache / "peak.txt"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _PEAK_OF, str(peak), *command], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # bytes: decoding 40 MB here would slow the run
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        raise SystemExit(done.stderr.decode(errors="replace"))
    files = json.loads(done.stdout)["summary"]["files"]
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    found = json.loads(counters.read_text()) if counters.exists() else {}
    return {"wall": wall, "cpu": cpu, "files": files, "peak_mb": int(peak.read_text()) / 1024, **found,
            "output": done.stdout}


# Runs the command and writes the largest RSS (KiB) of it and every process it waited for: the
# rusage of waited-for descendants rolls up, so this is per run (the bench's own is cumulative).
_PEAK_OF = """
import resource, subprocess, sys
code = subprocess.run(sys.argv[2:]).returncode
open(sys.argv[1], "w").write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(code)
"""


def row(name: str, run: dict[str, object], base: dict[str, object]) -> str:
    ratio = float(base["wall"]) / float(run["wall"])  # type: ignore[arg-type]
    counts = f"hits {run.get('hits', '-')}, analyzed {run.get('analyzed', '-')}, stale {run.get('stale', '-')}"
    return (f"| {name} | {run['files']} | {float(run['wall']):.2f} s | {float(run['cpu']):.2f} s | "  # type: ignore[arg-type]
            f"{float(run['peak_mb']):.0f} MB | {ratio:.1f}x | {counts} |")  # type: ignore[arg-type]


def median_run(runs: list[dict[str, object]]) -> dict[str, object]:
    return sorted(runs, key=lambda r: float(r["wall"]))[len(runs) // 2]  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, help="the tree to annotate (default: torch's nn/ and optim/)")
    parser.add_argument("--edit", default="nn/modules/module.py", help="file to edit, relative to the tree")
    parser.add_argument("--jobs", type=int)
    parser.add_argument("--warm", type=int, default=3, help="no-change re-runs (the row gives the median)")
    parser.add_argument("--cluster", action="store_true", help="also run cold on a 2-worker dask LocalCluster")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="readkit-bench-cache-"))
    try:
        tree = scratch / "tree"
        if args.tree:
            shutil.copytree(args.tree, tree)
        else:
            for part in ("nn", "optim"):
                shutil.copytree(torch_root() / part, tree / part, ignore=shutil.ignore_patterns("__pycache__"))
        cache = scratch / "cache"
        cold = readkit(tree, cache, args.jobs, [])
        warms = [readkit(tree, cache, args.jobs, []) for _ in range(args.warm)]
        assert all(w["output"] == cold["output"] for w in warms), "a cached run must answer exactly as the cold run"
        warm = median_run(warms)
        edited = tree / args.edit
        edited.write_text(edited.read_text() + "\n# edited by bench_cache.py\n")
        after_edit = readkit(tree, cache, args.jobs, [])
        print("| run | files | wall | CPU | peak RSS | speed-up vs cold | cache counters |")
        print("|---|---|---|---|---|---|---|")
        print(row("cold (empty cache)", cold, cold))
        walls = ", ".join(f"{float(w['wall']):.2f}" for w in warms)  # type: ignore[arg-type]
        print(row(f"re-run, nothing changed (median of {len(warms)}: {walls} s)", warm, cold))
        print(row(f"re-run after editing {args.edit}", after_edit, cold))
        if args.cluster:
            print(row("cold on a 2-worker LocalCluster", cluster_run(tree, scratch), cold))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def cluster_run(tree: Path, scratch: Path) -> dict[str, object]:
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        return readkit(tree, scratch / "cluster-cache", None, ["--scheduler", cluster.scheduler_address])


if __name__ == "__main__":
    main()
