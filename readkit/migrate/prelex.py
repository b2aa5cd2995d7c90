"""Repairs that must happen before libcst can parse a file at all.

`x.cuda(async=True)` was the 0.3-era spelling of `non_blocking=True`. Since
Python 3.7 `async` is a keyword, so such a file is a SyntaxError and no libcst
codemod can ever see it. Python's tokenizer still reads `async` as a NAME, so
this module renames `async=` keyword arguments at the token level, touching
only those five characters, and the libcst codemods run on the result.

Left out: everything that parses; those fixes live in readkit/migrate/codemod.py.
"""

from __future__ import annotations

import io
import tokenize

from readkit.migrate.model import Change

IDIOM = "async-argument"
_OPENERS = {"(": ")", "[": "]", "{": "}"}


def repair_async_keyword(source: str) -> tuple[str, tuple[Change, ...]]:
    """Rename every `async=` keyword argument to `non_blocking=`; return the new source and its changes."""
    spots = _async_keyword_spots(source)
    if not spots:
        return source, ()
    lines = source.splitlines(keepends=True)
    changes = []
    for row, col in reversed(spots):  # right to left keeps earlier columns valid
        old = lines[row - 1]
        lines[row - 1] = old[:col] + "non_blocking" + old[col + len("async"):]
        changes.append(Change(row, IDIOM, old.strip(), lines[row - 1].strip()))
    return "".join(lines), tuple(reversed(changes))


def _async_keyword_spots(source: str) -> list[tuple[int, int]]:
    """(line, column) of each `async` token that is a keyword argument inside a call's parentheses."""
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(source).readline)
                  if t.type not in (tokenize.NL, tokenize.COMMENT)]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return []  # not tokenizable: the parser will report it
    spots = []
    stack: list[str] = []  # open brackets; a keyword argument sits directly inside "("
    for before, token, after in zip(tokens, tokens[1:], tokens[2:]):
        _track_brackets(stack, before.string)
        if (token.type == tokenize.NAME and token.string == "async" and after.exact_type == tokenize.EQUAL
                and before.string in ("(", ",") and stack[-1:] == ["("]):
            spots.append(token.start)
    return spots


def _track_brackets(stack: list[str], text: str) -> None:
    if text in _OPENERS:
        stack.append(text)
    elif text in _OPENERS.values() and stack:
        stack.pop()
