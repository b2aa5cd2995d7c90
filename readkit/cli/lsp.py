"""`readkit lsp`: the language server, over stdio (docs/editor.md)."""

from __future__ import annotations

from pathlib import Path

import click

from readkit.cli.common import InputError


@click.command()
@click.option("--check-results", type=click.Path(dir_okay=False, path_type=Path), metavar="PATH",
              help="A `readkit check --format json` results file (default: .readkit/check.json in the "
                   "document's folder or the nearest one above it).")
def lsp(check_results: Path | None) -> None:
    """Serve readkit to an editor over stdin/stdout (Language Server Protocol).

    Hover shows a line's roles, evidence, explanation and reference step;
    legacy idioms are diagnostics with quick fixes that apply the migrator's
    fix; after a `readkit check` run, workflow problems and observed shapes
    appear too. Setup for VS Code and Neovim: docs/editor.md.
    """
    try:
        from readkit.lsp.server import serve
    except ImportError as error:
        raise InputError(f"readkit lsp needs the language-server extra ({error.name or error} is missing): "
                         "pip install 'readkit[lsp]'") from None
    serve(check_results)
