"""async-argument: `.cuda(async=True)`, `.to(device, async=True)` — renamed `non_blocking=` in 0.4.

`async` became a keyword in Python 3.7, so such a call is a syntax error before torch
ever sees it, and libcst cannot parse the file. The fix therefore happens on tokens,
before parsing: `rewrite_async_keywords` renames every `async=` keyword argument (and
only those: an `async def` or `async with` is left alone). The engine calls it before
parsing so the rest of the file can be analyzed; the migrator applies it.
"""

from __future__ import annotations

import io
import tokenize

from readkit.annotate.rules.base import LegacyRule


def rewrite_async_keywords(source: str) -> tuple[str, tuple[int, ...]]:
    """(source with `async=` keyword arguments renamed `non_blocking=`, the 1-based lines changed)."""
    if "async" not in source:
        return source, ()
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return source, ()
    spots = [tok.start for i, tok in enumerate(tokens) if _is_async_keyword(tokens, i)]
    if not spots:
        return source, ()
    lines = source.splitlines(keepends=True)
    for row, col in reversed(spots):
        text = lines[row - 1]
        lines[row - 1] = text[:col] + "non_blocking" + text[col + len("async") :]
    return "".join(lines), tuple(sorted({row for row, _ in spots}))


def _is_async_keyword(tokens: list[tokenize.TokenInfo], i: int) -> bool:
    """`async` directly after `(` or `,` and directly before `=`: a keyword argument."""
    if tokens[i].type != tokenize.NAME or tokens[i].string != "async" or i == 0:
        return False
    before = _neighbour(tokens, i, -1)
    after = _neighbour(tokens, i, +1)
    return before in ("(", ",") and after == "="


def _neighbour(tokens: list[tokenize.TokenInfo], i: int, step: int) -> str:
    skip = (tokenize.NL, tokenize.COMMENT, tokenize.NEWLINE)
    j = i + step
    while 0 <= j < len(tokens) and tokens[j].type in skip:
        j += step
    return tokens[j].string if 0 <= j < len(tokens) else ""


class AsyncArgument(LegacyRule):
    id = "async-argument"
    message = "`async=` was renamed `non_blocking=` in torch 0.4 (async is a Python keyword since 3.7)"
    modern = "x.cuda(non_blocking=True), x.to(device, non_blocking=True)"
    why = "Python 3.7+ cannot even parse `x.cuda(async=True)`: the whole file fails with SyntaxError before torch runs."
    reference_step = "tensors.legacy_cuda_tensor_type"
    MARKED = (
        """
        import torch
        x = x.cuda(async=True)
        """,
        """
        import torch
        input = input.cuda(async=True)
        target = target.cuda(async=True)
        """,
        """
        import torch
        batch = batch.to(device, async=True)
        """,
    )
    UNMARKED = (
        """
        import torch
        x = x.cuda(non_blocking=True)
        """,
        """
        async def load(x):
            return x
        """,
        """
        import asyncio
        async_ = True
        run(async_=async_)
        """,
    )
    FIXES = (
        (
            """
            import torch
            if args.cuda:
                x = x.cuda(async=True)
            """,
            """
            import torch
            if args.cuda:
                x = x.cuda(non_blocking=True)
            """,
        ),
        (
            """
            import torch
            batch = batch.to(
                device,
                async=True)  # pinned
            """,
            """
            import torch
            batch = batch.to(
                device,
                non_blocking=True)  # pinned
            """,
        ),
        (
            """
            import torch
            from torch.autograd import Variable
            v = Variable(x.cuda(async=True) if use_cuda else x)
            """,
            """
            import torch
            v = x.cuda(non_blocking=True) if use_cuda else x
            """,
        ),
    )
