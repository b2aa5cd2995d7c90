"""Small pieces the commands share."""

from __future__ import annotations

import sys

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
