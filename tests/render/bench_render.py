"""How fast the annotate outputs are on a large tree (not collected by pytest: run it directly).

    python tests/render/bench_render.py [FILES]

Builds FILES synthetic files of 200 lines with an annotation on every other line,
then times each output against a baseline measured in the same run: reading
every file once (what any renderer must at least do for the source lines).
"""

from __future__ import annotations

import io
import sys
import tempfile
import time
from pathlib import Path

from readkit.results.annotate import AnnotateResult, Annotation, FileResult
from readkit.render.annotate import emit
from readkit.render.annotated_files import write_annotated_copies

LINES = 200


def build(root: Path, count: int) -> AnnotateResult:
    text = "import torch\n" + "x = torch.ones(2) + x  # a user comment\nsteps = 3\n" * (LINES // 2)
    files = []
    for i in range(count):
        path = root / "src" / f"m{i // 100}" / f"f{i}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        uses = tuple(Annotation(n, 5, n, 15, "tensor", "resolved", "torch.ones", "import-resolution",
                                "a tensor of ones") for n in range(2, LINES + 1, 2))
        files.append(FileResult(str(path), uses))
    return AnnotateResult(tuple(files))


def seconds(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        result = build(root, count)
        baseline = seconds(lambda: [Path(f.path).read_bytes() for f in result.files])
        print(f"{count} files x {LINES} lines, {count * LINES // 2} annotations; baseline (read each file): "
              f"{baseline:.3f} s")
        for fmt in ("text", "json", "sarif"):
            took = seconds(lambda: emit(result, fmt=fmt, color=False, stream=io.StringIO()))
            print(f"  {fmt:6} {took:7.3f} s  {took / baseline:6.1f}x baseline  {count / took:9.0f} files/s")
        took = seconds(lambda: write_annotated_copies(result, root / "out", roots=[root / "src"]))
        print(f"  --out  {took:7.3f} s  {took / baseline:6.1f}x baseline  {count / took:9.0f} files/s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
