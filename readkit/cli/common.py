"""Small pieces the commands share."""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TypeVar

import click

from readkit.render.progress import ProgressLine

F = TypeVar("F", bound=Callable[..., object])


class InputError(click.ClickException):
    """Bad input (a missing path, an unavailable device): a clear message, exit 2."""

    exit_code = 2


FORMATS_TEXT_JSON = click.Choice(["text", "json"])


def use_color(ctx_color: bool | None) -> bool:
    """--color/--no-color when given, else colour only when stdout is a terminal."""
    if ctx_color is not None:
        return ctx_color
    return sys.stdout.isatty()


def missing_paths(paths: Iterable[Path]) -> list[str]:
    """The paths that do not exist. A path that exists but cannot be looked at (in a folder
    without permission, a symlink loop) is not missing: the command reports it as unreadable."""
    missing = []
    for path in paths:
        try:
            os.lstat(path)
        except OSError as error:
            if error.errno in (errno.ENOENT, errno.ENOTDIR):
                missing.append(str(path))
    return missing


def quiet_option(command: F) -> F:
    """`--quiet/-q`, one definition for every command that shows a progress line (`progress_line`)."""
    return click.option("--quiet", "-q", is_flag=True, help="No progress line and no notes on stderr.")(command)


@contextlib.contextmanager
def progress_line(what: str, total: int, quiet: bool) -> Iterator[ProgressLine]:
    """The progress line on stderr (`what: 12/40 files · 3 s`): on a terminal only, once the run has
    taken about a second, never with --quiet; erased when the block ends."""
    progress = ProgressLine(what, total, sys.stderr, enabled=False if quiet else None)
    try:
        yield progress
    finally:
        progress.close()
