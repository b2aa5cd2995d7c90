"""`readkit annotate` and `readkit explain`."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from readkit.cli.common import InputError, missing_paths, progress_line, quiet_option, use_color
from readkit.render.progress import ProgressLine
from readkit.results.annotate import AnnotateResult, FileResult, RuleInfo

if TYPE_CHECKING:
    from readkit.annotate import AnnotateCache, Plan
    from readkit.results.check import LineObservation
    from readkit.render.run_index import RunIndex


def rule_catalogue() -> tuple[RuleInfo, ...]:
    from readkit.annotate.rules.base import rule_catalogue as catalogue

    return catalogue()


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(readable=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "jsonl", "sarif"]), default="text",
              show_default=True, help="Output format (jsonl: one JSON object per line, as files complete).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write an annotated copy of each file under DIR (end-of-line comments; formatting untouched).")
@click.option("--html", "html_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write a self-contained HTML report under DIR.")
@click.option("--role", "roles", multiple=True, metavar="ROLE", help="Show only these roles. Repeatable.")
@click.option("--rule", "rules", multiple=True, metavar="ID", help="Show only these rules or idioms. Repeatable.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, help="Files analyzed in parallel (default: all cores).")
@click.option("--fail-on", type=click.Choice(["legacy"]), default=None, help="Exit 1 when legacy idioms are found.")
@click.option("--run", "run_script", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Run SCRIPT under `readkit check` and enrich the annotations with what ran.")
@click.option("--color/--no-color", default=None, help="Colour the text output (default: when a terminal).")
@click.option("--no-cache", is_flag=True, help="Analyze every file again (skip the cache of earlier runs).")
@click.option("--scheduler", metavar="ADDRESS",
              help="Run the per-file analyses on the Dask cluster at ADDRESS (needs readkit[dask]).")
@quiet_option
def annotate(paths: tuple[Path, ...], fmt: str, out_dir: Path | None, html_dir: Path | None,
             roles: tuple[str, ...], rules: tuple[str, ...], jobs: int | None, fail_on: str | None,
             run_script: Path | None, color: bool | None, no_cache: bool, scheduler: str | None,
             quiet: bool) -> None:
    """Label every PyTorch use in PATHS by package role, and flag legacy idioms.

    Results stream out as files are analyzed; unchanged files come from the cache of
    earlier runs (--no-cache to skip it). With several PATHS, each gets its own summary.
    Exit 0 when every file was analyzed, 1 when some could not be (or, with
    --fail-on legacy, when legacy idioms were found), 2 on bad usage.
    """
    from readkit import annotate as api
    from readkit.render import annotate as render

    missing = missing_paths(paths)
    if missing:
        raise InputError(f"no such file or directory: {', '.join(missing)}")
    if scheduler is not None:
        _need_dask()
    plan = api.plan_paths(paths)
    cache = None if no_cache else api.AnnotateCache()
    try:
        with progress_line("annotate", len(plan.files), quiet) as progress:
            run, facts, made = _run(run_script, plan, jobs) if run_script is not None else (None, None, None)
            files = _counted(api.iter_annotate(plan, jobs=jobs, roles=roles, rules=rules, cache=cache,
                                               scheduler=scheduler, observations=facts, made=made), progress)
            if out_dir is not None or html_dir is not None:
                files = iter(_write_outputs(files, paths, out_dir, html_dir, run))
            out = _AboveProgress(sys.stdout, progress)
            tally = render.emit_files(files, fmt=fmt, color=use_color(color), stream=out, run=run,
                                      rules=rule_catalogue() if fmt == "sarif" else (),  # only SARIF lists the rules
                                      roots=tuple(str(p) for p in paths), root_of=plan.root_of)
    except api.UnknownFilterError as error:
        raise InputError(str(error)) from None
    finally:
        if cache is not None:
            cache.close()
    if cache is not None:
        _cache_notes(cache, quiet, progress.enabled)
    failed = bool(tally.failed) or (fail_on == "legacy" and tally.legacy > 0)
    sys.exit(1 if failed else 0)


class _AboveProgress:
    """stdout that first erases the progress line (when both are the same terminal)."""

    def __init__(self, stream: TextIO, progress: ProgressLine) -> None:
        self.stream, self.progress = stream, progress

    def write(self, text: str) -> int:
        self.progress.close()
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()


def _cache_notes(cache: AnnotateCache, quiet: bool, terminal: bool) -> None:
    """A broken cache is said (unless --quiet); on a terminal, what the cache saved; and for
    tests/benchmarks/bench_cache.py, the counters as JSON where READKIT_BENCH_COUNTERS points."""
    if cache.problem and not quiet:
        click.echo(f"readkit: {cache.problem}", err=True)
    elif terminal and cache.hits:
        click.echo(f"readkit: {cache.hits:,} files unchanged since an earlier run, "
                   f"{cache.misses + cache.stale:,} analyzed (--no-cache to analyze all)", err=True)
    counters = os.environ.get("READKIT_BENCH_COUNTERS")
    if counters:
        Path(counters).write_text(json.dumps({"hits": cache.hits, "stale": cache.stale,
                                              "analyzed": cache.misses + cache.stale}))


def _counted(files: Iterator[FileResult], progress: ProgressLine) -> Iterator[FileResult]:
    for file in files:
        progress.advance()
        yield file


def _write_outputs(files: Iterator[FileResult], paths: tuple[Path, ...], out_dir: Path | None,
                   html_dir: Path | None, run: RunIndex | None) -> tuple[FileResult, ...]:
    """--out and --html need every file (an index, a check of where copies land): collect them."""
    from readkit.render import annotate as render

    result = AnnotateResult(tuple(files), rule_catalogue())
    if out_dir is not None:
        try:
            render.write_annotated_copies(result, out_dir, roots=paths, run=run)
        except render.OutOverwritesSourceError as error:
            raise InputError(str(error)) from None
    if html_dir is not None:
        from readkit.render import html

        html.write_report(result, html_dir, run=run.check if run is not None else None)
    return result.files


def _need_dask() -> None:
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise InputError("--scheduler needs Dask: pip install 'readkit[dask]'") from None


def _run(script: Path, plan: Plan, jobs: int | None
         ) -> tuple[RunIndex, dict[str, dict[int, LineObservation]], dict[str, FileResult]]:
    """Run SCRIPT under `readkit check` (its output captured); what ran informs the annotator
    (a `.data[0]` the run saw on a 0-dim tensor is flagged whatever its variable is called). The
    files the run judges are annotated once: their results serve the verdicts and the report."""
    from readkit import check as check_api
    from readkit.check.annotated_run import judge_in_plan
    from readkit.check.reconcile import run_observations
    from readkit.render.run_index import RunIndex

    try:
        checked = check_api.check_target(script, quiet=True, reconcile=False)
    except check_api.TargetError as error:
        raise InputError(str(error)) from None
    judged, made = judge_in_plan(checked, script, plan, jobs=jobs)
    return RunIndex.from_check(judged), run_observations(checked), made


@click.command()
@click.argument("id_", metavar="ID")
def explain(id_: str) -> None:
    """Print the documentation of a role (e.g. `optim`), a legacy rule (e.g. `data-index-zero`),
    an annotation rule (e.g. `object-origin`) or a workflow check of `readkit check`
    (e.g. `gradients-accumulate`)."""
    from readkit import docs

    text = docs.explain(id_)
    if text is None:
        raise InputError(f"unknown role, rule or check {id_!r}; known: {', '.join(docs.known_ids())}")
    click.echo(text)
