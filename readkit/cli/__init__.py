"""The command line: click only. Each command builds its options, calls one
library function, hands the result to readkit.render, and sets the exit code.

Exit codes everywhere: 0 ok, 1 findings or failures, 2 usage or input error.
Nothing here imports torch or libcst at import time (`readkit --help` is instant).
"""

from __future__ import annotations

import click

from readkit.version import __version__
from readkit.cli.annotate import annotate, explain
from readkit.cli.check import check
from readkit.cli.lsp import lsp
from readkit.cli.map import map_command
from readkit.cli.migrate import migrate
from readkit.cli.reference import run_reference


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="readkit")
def cli() -> None:
    """Read third-party PyTorch code: label every use by package role, flag
    legacy idioms, and prove it by running the code."""


cli.add_command(run_reference)
cli.add_command(annotate)
cli.add_command(explain)
cli.add_command(check)
cli.add_command(migrate)
cli.add_command(map_command)
cli.add_command(lsp)


def main() -> None:
    cli(prog_name="readkit")
