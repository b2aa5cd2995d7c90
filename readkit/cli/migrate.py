"""`readkit migrate`: rewrite 0.1-0.4-era idioms into code that runs today."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from readkit.cli.common import InputError, use_color


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--write", is_flag=True, help="Replace the files in place (atomically).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), help="Write migrated copies under DIR.")
@click.option("--run", "run_script", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Run SCRIPT first; what ran (ranks, shapes) decides fixes the source cannot.")
@click.option("--verify", "verify_script", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Run SCRIPT before and after migration and compare outcomes and losses.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=600.0, show_default=True,
              help="Seconds before each run of the script is killed.")
@click.option("--color/--no-color", default=None, help="Colour the text output (default: when a terminal).")
def migrate(paths: tuple[Path, ...], write: bool, out_dir: Path | None, run_script: Path | None,
            verify_script: Path | None, timeout: float, color: bool | None) -> None:
    """Rewrite legacy PyTorch idioms in PATHS into code that runs on current torch.

    Prints a unified diff unless --write or --out is given.

    Exit 0 nothing to change, 1 changes proposed or made, 2 errors.
    Arguments for the --verify/--run script follow `--`.
    """
    from readkit import migrate as api
    from readkit.render import migrate as render

    files = [p for p in paths if p.suffix or p.is_dir() or p.exists()]
    missing = [str(p) for p in files if not p.exists()]
    if missing:
        raise InputError(f"no such file or directory: {', '.join(missing)}")
    result = api.migrate_paths(files, write=write, out_dir=out_dir, run_script=run_script,
                               verify_script=verify_script, timeout=timeout)
    click.echo(render.to_text(result, color=use_color(color)), nl=False)
    sys.exit(result.exit_code)
