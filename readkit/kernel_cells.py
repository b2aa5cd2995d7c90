"""One notebook cell as the Jupyter kernel reads it, line for line.

IPython's kernel does not run a cell's text as written: its input transformer
(`IPython.core.inputtransformer2.TransformerManager`) first drops leading blank
lines, strips the common leading indentation, strips pasted `>>>`/`In [1]:`
prompts, turns a `%%magic` cell into one call, and rewrites `%magic`, `!shell`,
`x = !cmd`, `x = %magic` and `obj?` into calls on `get_ipython()`. readkit uses
that same code, so a cell means to readkit what it means to the kernel, with one
difference: every line stays on its own line. The kernel may join a magic
continued with backslashes into one line, or a `%%time` cell into a single call;
readkit pads with blank lines and keeps a Python cell magic's body as code, so
line N of the result is line N of the cell (the reader's coordinates).

What this leaves out: joining cells into a program (readkit.notebook), running
them (readkit.check), and what a magic does (readkit.check runs `%time`'s
statement and nothing else; see docs/check.md).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

# Cell and line magics whose argument or body is Python that runs in the user's namespace.
PYTHON_BODY_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "profile", "memit"})
MAGIC_OPTIONS = re.compile(r"^(\s*-[nrp]\s*\d+|\s*-[tcqov]\b|\s*-l\s*\S+)*\s*")  # %timeit -n 10 -r 3 f(x)
TRANSFORM_LIMIT = 500  # as IPython's own loop: special syntax that never settles is an error
_COMPILE_FLAGS = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT  # the kernel allows top-level await


@dataclass(frozen=True)
class KernelCell:
    """A cell's lines as the kernel runs them, one per line of the cell."""

    lines: tuple[str, ...]
    ipython: tuple[tuple[int, str], ...] = ()  # (line, original text) of lines IPython rewrote
    error: tuple[int, str] | None = None  # (line, message) when the cell is not valid Python


def read_cell(text: str) -> KernelCell:
    """The cell's code as the kernel reads it (see the module docstring)."""
    original = text.splitlines()
    lead = next((i for i, line in enumerate(original) if line.strip()), len(original))
    body = _cleaned(original[lead:])
    if body and body[0].startswith("%%") and not re.match(r"%%\w+\?", body[0]):
        lines, rewritten = _cell_magic(body)
    else:
        lines = [_statement_of_magic(line) for line in _token_transformed(body)]
        rewritten = [i for i, (old, new) in enumerate(zip(body, lines), start=1) if old != new]
    lines = [""] * lead + lines
    ipython = tuple((lead + i, original[lead + i - 1]) for i in rewritten)
    return KernelCell(tuple(lines), ipython, _compile_error(lines))


def _cleaned(lines: list[str]) -> list[str]:
    """IPython's clean-up transforms (indentation, prompts), each of which keeps the line count."""
    from IPython.core import inputtransformer2 as it

    chunk = [line + "\n" for line in lines]
    for transform in _manager().cleanup_transforms:
        if transform is it.leading_empty_lines:
            continue  # done by the caller, which keeps the blank lines for numbering
        changed = transform(chunk)
        if len(changed) == len(chunk):
            chunk = changed
    return [line.rstrip("\n") for line in chunk]


def _cell_magic(lines: list[str]) -> tuple[list[str], list[int]]:
    """`%%time` and the like keep their body as code (the magic runs it); any other cell
    magic (`%%bash`, `%%writefile`, `%%html`) is not Python: its lines are left blank."""
    name = lines[0][2:].split(maxsplit=1)[0] if lines[0][2:].strip() else ""
    if name not in PYTHON_BODY_MAGICS:
        return [""] * len(lines), [1]
    inner = read_cell("\n".join(lines[1:]))
    body = list(inner.lines) + [""] * (len(lines) - 1 - len(inner.lines))
    return [""] + body, [1] + [line + 1 for line, _ in inner.ipython]


def _token_transformed(lines: list[str]) -> list[str]:
    """IPython's token transforms (magics, shell escapes, help), padded to keep the line count."""
    manager = _manager()
    chunk = [line + "\n" for line in lines]
    for _ in range(TRANSFORM_LIMIT):
        try:
            changed, after = manager.do_one_token_transform(chunk)
        except Exception:  # IPython's tokenizer on a cell that is not Python: leave it to the compiler
            break
        if not changed:
            break
        chunk = _aligned(chunk, after)
    return [line.rstrip("\n") for line in chunk]


_LINE_MAGIC_CALL = re.compile(r"^(\s*)get_ipython\(\)\.run_line_magic\((.*)\)$")


def _statement_of_magic(line: str) -> str:
    """`%time loss.backward()` runs `loss.backward()` in the user's namespace: that statement is
    the line's code (at the magic's indentation); any other magic stays IPython's call."""
    found = _LINE_MAGIC_CALL.match(line)
    if found is None:
        return line
    try:
        name, argument = ast.literal_eval(f"({found[2]})")
    except (ValueError, SyntaxError, TypeError):
        return line
    statement = MAGIC_OPTIONS.sub("", argument, count=1)
    if name not in PYTHON_BODY_MAGICS or not statement.strip() or _compile_error([statement]) is not None:
        return line
    return found[1] + statement


def _aligned(before: list[str], after: list[str]) -> list[str]:
    """A transform replaced lines start..end by one line: blank lines after it keep the count."""
    missing = len(before) - len(after)
    if missing <= 0:
        return after
    start = next((i for i, (old, new) in enumerate(zip(before, after)) if old != new), len(after) - 1)
    return after[: start + 1] + ["\n"] * missing + after[start + 1 :]


def _compile_error(lines: list[str]) -> tuple[int, str] | None:
    try:
        compile("\n".join(lines) + "\n", "<cell>", "exec", _COMPILE_FLAGS, dont_inherit=True)
    except SyntaxError as error:
        return (error.lineno or 1), f"{type(error).__name__}: {error.msg}"
    except ValueError as error:  # a NUL byte
        return 1, f"ValueError: {error}"
    return None


def load_ipython() -> None:
    """Import IPython's transformer now (a process about to fork children that read cells)."""
    _manager()


@lru_cache(maxsize=1)
def _manager() -> Any:
    """IPython's transformer (imported late: reading a script never needs IPython)."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager()  # type: ignore[no-untyped-call]  # IPython is not typed
