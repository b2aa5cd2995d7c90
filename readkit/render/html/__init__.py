"""The HTML report: a static site that opens from the file system (no server, no network).

`write_report(result, out_dir)` writes `index.html` (paginated: index-2.html, ...),
one page per file under `files/`, and `static/report.css|js`. `write_check_report`
does the same for a `readkit check` run: given the files the run touched, annotated by
the caller (readkit.check.annotate_run_files), it adds what ran (shapes, call counts,
verdicts, workflow problems). `write_map_report` writes `readkit map --html`: the map as
the front page (index.html), the table of files at files.html, the same file pages.
`fragment_html(result)` is the Jupyter view of one file.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from readkit.results.annotate import AnnotateResult, FileResult
from readkit.results.check import CheckResult
from readkit.results.map import RepoMap
from readkit.render.html.assets import write_static
from readkit.render.html.filepage import file_page
from readkit.render.html.fragment import fragment_html
from readkit.render.html.indexpage import index_pages
from readkit.render.html.mappage import map_page
from readkit.render.html.runinfo import FileRun, index_run
from readkit.version import __version__

@runtime_checkable
class ReportRun(Protocol):
    """Anything holding a check result (readkit.render.run_index.RunIndex)."""

    @property
    def check(self) -> CheckResult: ...


__all__ = ["write_report", "write_check_report", "write_map_report", "fragment_html", "page_name"]

FILES_DIR = "files"
MAP_TABLE = "files"  # a map report's table of files: files.html (its front page is the map)
PARALLEL_FROM = 64  # fewer files than this are written in-process (a pool costs more than it saves)


def page_name(path: str) -> str:
    """A file's page: its base name for people, a hash of the full path for uniqueness."""
    base = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(path).name)[:60] or "file"
    digest = hashlib.sha1(path.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{FILES_DIR}/{base}-{digest}.html"


def write_report(result: AnnotateResult, out_dir: str | Path, *,
                 run: CheckResult | ReportRun | None = None, jobs: int | None = None) -> Path:
    """Write the report for an annotate result (and optionally a run); returns index.html's path.

    `run` is a CheckResult, or readkit.render.run_index.RunIndex as `annotate --run` builds it.
    File pages are written by `jobs` processes (default: all cores, for more than
    PARALLEL_FROM files); highlighting is most of the time on a large repository.
    """
    checked = run.check if isinstance(run, ReportRun) else run
    return _write(result, Path(out_dir), _Layout(), checked, jobs)


def write_map_report(repo_map: RepoMap, result: AnnotateResult, out_dir: str | Path, *,
                     jobs: int | None = None) -> Path:
    """Write `readkit map --html`: the map as index.html, each item linking to its file's page
    at the line. `result` annotates the mapped files under the paths the map gives them
    (readkit.map.annotate_mapped_files); returns index.html's path."""
    out = Path(out_dir)
    _write(result, out, _Layout(table=MAP_TABLE, home="index.html"), None, jobs)
    links = {f.path: page_name(f.path) for f in result.files}
    front = out / "index.html"
    front.write_text(map_page(repo_map, links, table_href=f"{MAP_TABLE}.html"), encoding="utf-8")
    return front


@dataclass(frozen=True)
class _Layout:
    """Where a report's pages are: the table of files, and the front page when it is another."""

    table: str = "index"  # the table's first page, without ".html"
    home: str | None = None  # the front page (the map), relative to the report's top folder


def _write(result: AnnotateResult, out: Path, layout: _Layout, checked: CheckResult | None,
           jobs: int | None) -> Path:
    (out / FILES_DIR).mkdir(parents=True, exist_ok=True)
    write_static(out)
    run_index = index_run(checked) if checked is not None else None
    links = {f.path: page_name(f.path) for f in result.files}
    work = [(f, run_index.for_path(f.path) if run_index is not None else None, out / links[f.path], layout)
            for f in result.files]
    workers = min(jobs or os.cpu_count() or 1, len(work)) if len(work) >= PARALLEL_FROM or jobs else 1
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            list(pool.map(_write_file_page, work, chunksize=max(1, len(work) // (workers * 8))))
    else:
        for item in work:
            _write_file_page(item)
    for name, html in index_pages(result, links, run_index, name=layout.table, home=layout.home).items():
        (out / name).write_text(html, encoding="utf-8")
    return out / f"{layout.table}.html"


def _write_file_page(item: tuple[FileResult, FileRun | None, Path, _Layout]) -> None:
    """Write one page, unless the page there was made from the same result by the same renderer
    (highlighting is the cost of a large report: an unchanged file is not highlighted again)."""
    result, file_run, path, layout = item
    stamp = f"<!-- readkit page {_page_digest(result, file_run, layout)} -->"
    if _stamped(path, stamp):
        return
    html = file_page(result, file_run, root="../", index_href=f"../{layout.table}.html",
                     home_href=f"../{layout.home}" if layout.home else None)
    doctype, _, rest = html.partition("\n")
    path.write_text(f"{doctype}\n{stamp}\n{rest}", encoding="utf-8")


def _page_digest(result: FileResult, file_run: FileRun | None, layout: _Layout) -> str:
    parts = (_renderer_fingerprint(), repr(result), result.source or "", repr(result.markdown),
             repr(result.replaced_lines), repr(file_run), repr(layout))
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


@functools.cache
def _renderer_fingerprint() -> str:
    """The code and assets that make a page: any change to them makes every page new."""
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256(__version__.encode())
    for source in sorted([*here.rglob("*.py"), *here.rglob("*.css"), *here.rglob("*.js"),
                          here.parent / "style.py", here.parent / "annotated_copy.py"]):
        digest.update(source.read_bytes())
    return digest.hexdigest()


def _stamped(path: Path, stamp: str) -> bool:
    try:
        with path.open("rb") as page:
            return stamp.encode() in page.read(256)
    except OSError:
        return False


def write_check_report(result: CheckResult, files: AnnotateResult, out_dir: str | Path) -> Path:
    """Write the report of a `readkit check` run: the target's `files` (annotated by the caller,
    readkit.check.annotate_run_files), with what ran."""
    return write_report(files, out_dir, run=result)
