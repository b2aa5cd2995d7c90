"""Benchmark (not collected by the default run): the report on a 2,000-file repository and a 5,000-line file.

    python3 tests/html/bench_report.py

Prints seconds and page sizes, and the ratio to a baseline measured in the same
run: Pygments' own HtmlFormatter highlighting the same source with no annotations.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from readkit.results.annotate import AnnotateResult, Annotation, FileResult  # noqa: E402
from readkit.render.html import page_name, write_report  # noqa: E402

LINE = "    x{i} = torch.zeros({i}).view(-1) + model(x)  # step {i}\n"


def big_file(folder: Path, lines: int) -> FileResult:
    path = folder / "big.py"
    path.write_text("import torch\ndef f(model, x):\n" + "".join(LINE.format(i=i) for i in range(lines)))
    anns = []
    for i in range(lines):
        col = 9 + len(str(i))  # where torch.zeros starts (1-based)
        anns.append(Annotation(i + 3, col, i + 3, col + 11, "tensor", "resolved", "torch.zeros", "r", "zeros"))
        anns.append(Annotation(i + 3, col + 28 + 2 * len(str(i)), i + 3, col + 36 + 2 * len(str(i)), "nn", "inferred",
                               None, "r", "calls the module"))
    return FileResult(str(path), tuple(anns))


def repository(folder: Path, files: int) -> AnnotateResult:
    results = []
    for n in range(files):
        path = folder / f"pkg{n // 100}" / f"mod{n}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("import torch\n" + "".join(LINE.format(i=i) for i in range(30)))
        results.append(FileResult(str(path), (Annotation(2, 10, 2, 21, "tensor", "resolved", "torch.zeros", "r", "z"),)))
    return AnnotateResult(tuple(results))


def timed(fn):  # noqa: ANN001, ANN201
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        big = big_file(root, 5000)
        _, pygments_s = timed(lambda: highlight(Path(big.path).read_text(), PythonLexer(), HtmlFormatter()))
        _, big_s = timed(lambda: write_report(AnnotateResult((big,)), root / "big-report"))
        size = (root / "big-report" / page_name(big.path)).stat().st_size
        print(f"5,000-line file, 10,000 annotations: {big_s:.2f} s, page {size / 1e6:.2f} MB "
              f"(Pygments alone: {pygments_s:.2f} s; ratio {big_s / pygments_s:.1f}x)")
        repo = repository(root / "repo", 2000)
        _, repo_s = timed(lambda: write_report(repo, root / "repo-report"))
        index = (root / "repo-report" / "index.html").stat().st_size
        print(f"2,000-file repository: {repo_s:.2f} s ({1000 * repo_s / 2000:.1f} ms per file), "
              f"index page {index / 1e3:.0f} kB, {len(list((root / 'repo-report').glob('index*.html')))} index pages")


if __name__ == "__main__":
    main()
