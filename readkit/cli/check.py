"""`readkit check`: run a target under instrumentation in a child process."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from readkit.cli.common import FORMATS_TEXT_JSON, InputError, use_color


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("target", required=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.option("-m", "module", metavar="MODULE", help="Run a module (like python -m) instead of a script.")
@click.option("--cwd", type=click.Path(exists=True, file_okay=False, path_type=Path), help="Working directory of the target.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=600.0, show_default=True, help="Seconds before the run is killed.")
@click.option("--max-memory", type=click.IntRange(min=64), default=None, metavar="MB", help="Memory limit of the target.")
@click.option("--quiet", is_flag=True, help="Capture the target's output instead of streaming it.")
@click.option("--no-network", is_flag=True, help="Run the target without network access (where the machine allows).")
@click.option("--format", "fmt", type=FORMATS_TEXT_JSON, default="text", show_default=True,
              help="Output format.")
@click.option("--html", "html_dir", type=click.Path(file_okay=False, path_type=Path), help="Write an HTML report under DIR.")
@click.option("--color/--no-color", default=None, help="Colour the text output (default: when a terminal).")
def check(target: str | None, args: tuple[str, ...], module: str | None, cwd: Path | None, timeout: float,
          max_memory: int | None, quiet: bool, no_network: bool, fmt: str, html_dir: Path | None,
          color: bool | None) -> None:
    """Run TARGET (a script or notebook; `-m MODULE` for a module) under instrumentation,
    confirm or refute each static annotation, and check the training workflow.

    This runs the code it is given: treat it like running it yourself.
    Exit 0 when the run succeeded with no problem, 1 when problems were found or
    the target failed, 2 on bad usage.
    """
    from readkit import check as api
    from readkit.render import check as render

    if module is not None and target is not None:  # `-m pkg -- ARGS`: the first ARG lands in TARGET
        args = (target, *args)
        target = None
    if (target is None) == (module is None):
        raise InputError("give either a script path or -m MODULE")
    try:
        result = api.check_target(target, module=module, args=args, cwd=cwd, timeout=timeout,
                                  max_memory_mb=max_memory, quiet=quiet, no_network=no_network,
                                  output_to_stderr=fmt == "json")
    except api.TargetError as error:
        raise InputError(str(error)) from None
    if html_dir is not None:
        from readkit.render import html

        html.write_check_report(result, api.annotate_run_files(result), html_dir)
    if fmt == "json":
        click.echo(render.to_json(result))
    else:
        colored = use_color(color)
        click.echo(render.to_text(result, color=colored), color=colored)
    sys.exit(0 if result.status == "ok" and not result.problems else 1)
