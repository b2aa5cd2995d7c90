"""`readkit annotate` and `readkit explain`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from readkit.cli.common import InputError, use_color

if TYPE_CHECKING:
    from readkit.render.run_index import RunIndex


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif"]), default="text", show_default=True,
              help="Output format.")
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
def annotate(paths: tuple[Path, ...], fmt: str, out_dir: Path | None, html_dir: Path | None,
             roles: tuple[str, ...], rules: tuple[str, ...], jobs: int | None, fail_on: str | None,
             run_script: Path | None, color: bool | None) -> None:
    """Label every PyTorch use in PATHS by package role, and flag legacy idioms.

    Exit 0 when every file was analyzed, 1 when some could not be (or, with
    --fail-on legacy, when legacy idioms were found), 2 on bad usage.
    """
    from readkit import annotate as api
    from readkit.render import annotate as render

    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise InputError(f"no such file or directory: {', '.join(missing)}")
    try:
        result = api.annotate_paths(paths, jobs=jobs, roles=roles, rules=rules)
    except api.UnknownFilterError as error:
        raise InputError(str(error)) from None
    run = _run_index(run_script) if run_script is not None else None
    if out_dir is not None:
        try:
            render.write_annotated_copies(result, out_dir, roots=paths, run=run)
        except render.OutOverwritesSourceError as error:
            raise InputError(str(error)) from None
    if html_dir is not None:
        from readkit.render import html

        html.write_report(result, html_dir, run=run.check if run is not None else None)
    render.emit(result, fmt=fmt, color=use_color(color), stream=sys.stdout, run=run)
    failed = bool(result.failed_files) or (fail_on == "legacy" and any(f.legacy for f in result.files))
    sys.exit(1 if failed else 0)


def _run_index(script: Path) -> RunIndex:
    """Run SCRIPT under `readkit check` (its output captured) and index what ran."""
    from readkit import check as check_api
    from readkit.render.run_index import RunIndex

    try:
        checked = check_api.check_target(script, quiet=True)
    except check_api.TargetError as error:
        raise InputError(str(error)) from None
    return RunIndex.from_check(checked)


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
