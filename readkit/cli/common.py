"""Small pieces the commands share."""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Iterable
from pathlib import Path

import click


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
