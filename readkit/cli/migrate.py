"""`readkit migrate`: rewrite 0.1-0.4-era idioms into code that runs today."""

from __future__ import annotations

import sys
from pathlib import Path
import click

from readkit.cli.common import FORMATS_TEXT_JSON, InputError, missing_paths, use_color

_SCRIPT_ARGS = "readkit.migrate.script_args"


class _ScriptArgsCommand(click.Command):
    """Everything after the first `--` belongs to the --run/--verify script, never to PATHS."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if "--" in args:
            cut = args.index("--")
            ctx.meta[_SCRIPT_ARGS] = tuple(args[cut + 1:])
            args = args[:cut]
        return super().parse_args(ctx, args)


@click.command(cls=_ScriptArgsCommand)
@click.argument("paths", nargs=-1, required=True, type=click.Path(readable=False, path_type=Path))
@click.option("--write", is_flag=True, help="Replace the files in place (atomically: temp file, then rename).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="Write migrated copies under DIR, keeping the layout relative to the project.")
@click.option("--run", "run_script", type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="SCRIPT",
              help="Run SCRIPT first (in a scratch copy); the ranks and shapes seen there decide fixes "
                   "the source cannot, e.g. softmax's dim.")
@click.option("--verify", "verify_script", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              metavar="SCRIPT",
              help="Run SCRIPT before and after migration (scratch copies, same seed and args) and compare "
                   "outcomes and losses; a regression is reported and nothing is written.")
@click.option("--portable", is_flag=True,
              help="Also make CUDA-only code run without a GPU: an unguarded `.cuda()` becomes `.to(device)`, "
                   "`torch.cuda.set_device(...)`/`synchronize()` run under `if torch.cuda.is_available():`.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=600.0, show_default=True, metavar="SECONDS",
              help="Seconds before each run of the script is killed.")
@click.option("--format", "fmt", type=FORMATS_TEXT_JSON, default="text", show_default=True, help="Output format.")
@click.option("--color/--no-color", default=None, help="Colour the text output (default: when a terminal).")
@click.pass_context
def migrate(ctx: click.Context, paths: tuple[Path, ...], write: bool, out_dir: Path | None,
            run_script: Path | None, verify_script: Path | None, portable: bool, timeout: float, fmt: str,
            color: bool | None) -> None:
    """Rewrite legacy PyTorch idioms in PATHS into code that runs on current torch.

    Prints a unified diff and changes nothing, unless --write or --out is given.
    Arguments for the --run/--verify script follow `--`:

        readkit migrate src/ --verify train.py -- --epochs 1

    --run and --verify run the script: treat that like running it yourself.
    Exit 0 nothing to change, 1 changes proposed or made, 2 errors (a file
    that cannot be read or parsed, a regression found by --verify, bad usage).
    """
    from readkit import migrate as api
    from readkit.check import TargetError
    from readkit.render import migrate as render

    script_args: tuple[str, ...] = ctx.meta.get(_SCRIPT_ARGS, ())
    _check_usage(paths, run_script, verify_script, script_args)
    try:
        result = api.migrate_paths(paths, write=write, out_dir=out_dir, run_script=run_script,
                                   verify_script=verify_script, script_args=script_args, timeout=timeout,
                                   portable=portable)
    except (api.MigrateUsageError, TargetError) as error:
        raise InputError(str(error)) from None
    if fmt == "json":
        click.echo(render.to_json(result))
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(render.to_bytes(result, color=use_color(color)))  # each diff in its file's encoding
        sys.stdout.buffer.flush()
    sys.exit(result.exit_code)


def _check_usage(paths: tuple[Path, ...], run_script: Path | None, verify_script: Path | None,
                 script_args: tuple[str, ...]) -> None:
    missing = missing_paths(paths)
    if missing:
        raise InputError(f"no such file or directory: {', '.join(missing)}")
    if script_args and run_script is None and verify_script is None:
        raise InputError(f"arguments after `--` ({' '.join(script_args)}) need --run or --verify SCRIPT")
