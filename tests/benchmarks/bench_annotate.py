"""Annotator throughput: files/s of `readkit annotate` against `torchfix` on the same files,
the same number of processes, in the same run (ratios, not absolute numbers, are what count).

    python tests/benchmarks/bench_annotate.py [--files N | --all] [--jobs J] [--torchfix PATH]

The files are the installed torch package's own source (a large, real tree), sampled evenly
(every k-th file in sorted order) unless --all. torchfix pins an older libcst, so it lives in
its own virtual environment: `python3 -m venv /work/venvs/torchfix && /work/venvs/torchfix/bin/pip
install torchfix`. Both tools run as command-line programs (start-up included), one after the
other, each reading the same list of files. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_TORCHFIX = "/work/venvs/torchfix/bin/torchfix"


def torch_source_files() -> list[Path]:
    import importlib.util

    spec = importlib.util.find_spec("torch")
    assert spec is not None and spec.origin is not None
    root = Path(spec.origin).parent
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def sample(files: list[Path], count: int | None) -> list[Path]:
    if count is None or count >= len(files):
        return files
    step = len(files) / count
    return [files[int(i * step)] for i in range(count)]


def copy_tree(files: list[Path], into: Path) -> list[Path]:
    """Copy the sample out of site-packages so that neither tool skips it as installed code."""
    root = Path(os.path.commonpath([str(f) for f in files]))
    copied = []
    for file in files:
        target = into / file.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(file, target)
        copied.append(target)
    return copied


def timed(command: list[str]) -> tuple[float, int, str]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    return time.perf_counter() - started, done.returncode, done.stderr[-500:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200, help="evenly sampled files of torch's source")
    parser.add_argument("--all", action="store_true", help="every .py file of torch's source")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--torchfix", default=DEFAULT_TORCHFIX)
    opts = parser.parse_args(argv)
    files = sample(torch_source_files(), None if opts.all else opts.files)
    with tempfile.TemporaryDirectory(prefix="readkit-bench-") as tmp:
        copied = copy_tree(files, Path(tmp) / "src")
        names = [str(p) for p in copied]
        size = sum(p.stat().st_size for p in copied)
        print(f"{len(copied)} files, {size / 1e6:.1f} MB of torch's source, {opts.jobs} processes")
        readkit_s, rc, err = timed([sys.executable, "-m", "readkit", "annotate", "--format", "json",
                                    "--jobs", str(opts.jobs), *names])
        print(f"readkit : {readkit_s:7.1f} s  {len(copied) / readkit_s:6.1f} files/s  (exit {rc}) {err.strip()[:200]}")
        if not Path(opts.torchfix).exists():
            print(f"torchfix not found at {opts.torchfix}: install it in its own venv (see the docstring)")
            return 1
        torchfix_s, rc, err = timed([opts.torchfix, "--jobs", str(opts.jobs), *names])
        print(f"torchfix: {torchfix_s:7.1f} s  {len(copied) / torchfix_s:6.1f} files/s  (exit {rc})")
        print(f"ratio   : readkit is {torchfix_s / readkit_s:.2f}x torchfix's throughput (target >= 3x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
