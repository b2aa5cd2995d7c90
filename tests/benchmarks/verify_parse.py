"""Does `readkit.annotate.parse.parse_module` give libcst's own tree? Checked on every file of a folder.

    python tests/benchmarks/verify_parse.py DIR... [--tiny]

For each .py file that CPython parses, compares `parse_module(source)` with
`libcst.parse_module(source)` by `deep_equals` and reports every file where they differ or where
the pieces were given up for one parse ("fallback"). `--tiny` makes every file go through the
pieces, cut as small as the cuts allow (pieces of 500 characters, chains of more than 3 terms in
runs of 2), so that every place a cut can fall is exercised, not only the large files.
Not collected by pytest (takes minutes on torch's 2,285 files).
"""

from __future__ import annotations

import argparse
import ast
import sys
import time
from pathlib import Path

import libcst as cst

from readkit.annotate import parse
from readkit.annotate.parse import plan


def tiny() -> None:
    plan.PIECE_CHARS, plan.FILE_CHARS, plan.GROUP_CHARS, plan.CHAIN_TERMS, plan.RUN_TERMS = 500, 0, 0, 3, 2


def verify(path: Path) -> str | None:
    """None when the trees agree (or neither parser accepts the file), else what went wrong."""
    try:
        source = path.read_text(encoding="utf-8")
        ast.parse(source)
        whole = cst.parse_module(source)
    except (SyntaxError, ValueError, UnicodeDecodeError, cst.ParserSyntaxError, RecursionError):
        return None
    before = parse.counts["fallback"]
    try:
        pieces = parse.parse_module(source)
    except Exception as error:  # reported, not raised: one bad file should not hide the others
        return f"raised {type(error).__name__}: {error}"
    if parse.counts["fallback"] > before:
        return "fallback"
    return None if pieces.deep_equals(whole) else "DIFFERENT TREE"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+")
    parser.add_argument("--tiny", action="store_true", help="cut every file as small as possible")
    opts = parser.parse_args(argv)
    if opts.tiny:
        tiny()
    sys.setrecursionlimit(50_000)
    started, checked, problems = time.monotonic(), 0, 0
    for folder in opts.folders:
        for path in sorted(Path(folder).rglob("*.py")):
            checked += 1
            problem = verify(path)
            if problem is not None:
                problems += 1
                print(f"{path}: {problem}", flush=True)
    print(f"{checked} files, {problems} problems, {dict(parse.counts)}, {time.monotonic() - started:.0f} s")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
