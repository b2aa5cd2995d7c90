"""`readkit map`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from readkit.cli.common import InputError, progress_line, quiet_option, use_color

if TYPE_CHECKING:
    from readkit.results.map import RepoMap


@click.command(name="map")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True,
              help="Output format (Markdown pastes into course notes; JSON is described in docs/map.md).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the map to FILE instead of standard output.")
@click.option("--html", "html_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also write an HTML report under DIR: the map as its front page (index.html), "
                   "each item linked to its line in the annotated file pages.")
@click.option("--run", "run_script", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Run SCRIPT under `readkit check` and add what it saw (losses, output shapes). "
                   "This runs the code: treat it like running it yourself.")
@click.option("--timeout", type=click.FloatRange(min=1), default=600.0, show_default=True,
              help="Seconds the --run script may take.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, help="Files analyzed in parallel (default: all cores).")
@click.option("--color/--no-color", default=None, help="Colour the text output (default: when a terminal).")
@quiet_option
def map_command(paths: tuple[Path, ...], fmt: str, output: Path | None, html_dir: Path | None,
                run_script: Path | None, timeout: float, jobs: int | None, color: bool | None, quiet: bool) -> None:
    """The ten-minute map of the code in PATHS: entry points and a reading order,
    models, losses, optimizers, schedulers, training loops step by step, data,
    evaluation, checkpoints, compile/export, distributed and device handling.

    Each item links to file:line and, where one teaches it, to a reference step
    (`readkit run-reference --step ...`). Items readkit is not sure of say
    "probably" and why.

    With --html DIR, the map is also the front page of an HTML report whose
    file pages show every annotation (as `readkit annotate --html`); open
    DIR/index.html.

    Exit 0 when every file was read, 1 when some could not be (or the --run
    script failed), 2 on bad usage.
    """
    from readkit.map import MapInputError, map_paths
    from readkit.render import map as render

    try:
        with progress_line("map", 0, quiet) as progress:
            repo_map = map_paths(paths, jobs=jobs, run=run_script, timeout=timeout, progress=progress.update)
    except MapInputError as error:
        raise InputError(str(error)) from None
    if html_dir is not None:
        _write_html(repo_map, paths, html_dir, jobs)
    if fmt == "json":
        text = render.to_json(repo_map)
    elif fmt == "markdown":
        text = render.to_markdown(repo_map)
    else:
        text = render.to_text(repo_map, color=use_color(color) and output is None)
    if output is not None:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as error:
            raise InputError(f"cannot write {output}: {error.strerror or error}") from None
    else:
        click.echo(text, nl=False)
    failed = bool(repo_map.problems) or (repo_map.run is not None and repo_map.run.status != "ok")
    sys.exit(1 if failed else 0)


def _write_html(repo_map: RepoMap, paths: tuple[Path, ...], html_dir: Path, jobs: int | None) -> None:
    """The report: the map in front, each mapped file annotated behind it (from the cache
    of earlier `readkit annotate` runs where the files are unchanged)."""
    from readkit.annotate import AnnotateCache
    from readkit.map import annotate_mapped_files
    from readkit.render.html import write_map_report

    cache = AnnotateCache()
    try:
        files = annotate_mapped_files(paths, jobs=jobs, cache=cache)
    finally:
        cache.close()
    try:
        write_map_report(repo_map, files, html_dir, jobs=jobs)
    except OSError as error:
        raise InputError(f"cannot write the report under {html_dir}: {error.strerror or error}") from None
