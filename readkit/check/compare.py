"""traced/compiled vs eager, measured inside the child right where the target traces or compiles.

When the target calls `torch.jit.trace(f, example)` or runs a `torch.compile`d
module or function for the first time (readkit.check.transforms), the checks
`traced-differs-from-eager` and `compiled-differs-from-eager` re-run the
traced/compiled version and eager `f` here, on inputs of another branch or
shape (the example negated; a batch one larger; a batch one smaller), and
record a fact when they disagree or when only the traced one fails. This is the
tutorial's lesson: tracing records one path through the code and freezes shapes
and branches.

It must not change what the target computes: the comparisons run with the
random state forked, buffers (batch-norm statistics) restored, no backward
(so no .grad changes), and readkit's own observation switched off.
"""

from __future__ import annotations

import contextlib
import io
from typing import Any, Callable

import torch

from readkit.check.instrument import hidden

Variant = tuple[str, tuple[Any, ...]]


def as_args(example: Any) -> tuple[Any, ...]:
    return example if isinstance(example, tuple) else (example,)


def variants(args: tuple[Any, ...], shapes: bool) -> list[Variant]:
    tensors = [a for a in args if isinstance(a, torch.Tensor)]
    if not tensors:
        return []
    found: list[Variant] = []
    if any(t.is_floating_point() for t in tensors):
        found.append(("the example input negated", tuple(_negate(a) for a in args)))
    batch = {t.shape[0] for t in tensors if t.dim() >= 1}
    if shapes and len(batch) == 1:
        n = batch.pop()
        if n >= 1:
            found.append((f"a batch of {n + 1} instead of {n}", tuple(_resize(a, n + 1) for a in args)))
        if n > 2:
            found.append((f"a batch of {n - 1} instead of {n}", tuple(_resize(a, n - 1) for a in args)))
    return found


def _negate(value: Any) -> Any:
    if isinstance(value, torch.Tensor) and value.is_floating_point():
        return -value
    return value


def _resize(value: Any, size: int) -> Any:
    if not isinstance(value, torch.Tensor) or value.dim() == 0:
        return value
    if size <= value.shape[0]:
        return value[:size].clone()
    return torch.cat([value, value[: size - value.shape[0]]], dim=0)


def flatten(value: Any) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for item in value for t in flatten(item)]
    if isinstance(value, dict):
        return [t for key in sorted(value, key=str) for t in flatten(value[key])]
    return []


def difference(eager: Any, other: Any) -> str | None:
    """None when the outputs agree; otherwise how they differ, in words."""
    left, right = flatten(eager), flatten(other)
    if len(left) != len(right):
        return f"{len(left)} tensors from eager, {len(right)} from the other"
    for a, b in zip(left, right):
        if a.shape != b.shape:
            return f"shape {tuple(a.shape)} from eager, {tuple(b.shape)} from the other"
        a, b = a.detach().float(), b.detach().float()
        if not torch.allclose(a, b, rtol=1e-4, atol=1e-5, equal_nan=True):
            worst = (a - b).abs().max().item()
            return f"values differ by up to {worst:.4g}"
    return None


def compare(eager: Callable[..., Any], other: Callable[..., Any], args: tuple[Any, ...],
            shapes: bool) -> list[tuple[str, str]]:
    """[(variant, how it differs)] for the variants where `other` disagrees with eager."""
    differences = []
    buffers = _buffers(eager) + _buffers(other)
    saved = [b.detach().clone() for b in buffers]
    try:
        for name, variant in variants(args, shapes):
            outcome = _compare_one(eager, other, variant)
            if outcome is not None:
                differences.append((name, outcome))
    finally:
        with torch.no_grad():
            for buffer, value in zip(buffers, saved):
                buffer.copy_(value)
    return differences


def _compare_one(eager: Callable[..., Any], other: Callable[..., Any], args: tuple[Any, ...]) -> str | None:
    # The grad mode is left as the target had it: a compiled function is guarded on it, and a
    # comparison under another mode would compare a fresh compilation, not the target's.
    with torch.random.fork_rng(devices=_cuda_devices()):
        seed = torch.seed()
        try:
            expected = eager(*args)
        except Exception:
            return None  # eager itself does not accept this input: nothing to compare
        torch.manual_seed(seed)
        try:
            got = other(*args)
        except Exception as error:
            return f"eager runs, the other fails: {type(error).__name__}: {str(error).splitlines()[0][:160]}"
        return difference(expected, got)


def _cuda_devices() -> list[int]:
    """CUDA generators to fork too (dropout on a GPU draws from them), without initialising CUDA."""
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        return list(range(torch.cuda.device_count()))
    return []


def _buffers(value: Any) -> list[torch.Tensor]:
    if isinstance(value, torch.nn.Module):
        return [b for b in value.buffers() if isinstance(b, torch.Tensor)]
    return []


def compare_paused(eager: Callable[..., Any], other: Callable[..., Any], args: tuple[Any, ...],
                   shapes: bool) -> list[tuple[str, str]]:
    """`compare`, with everything readkit installed hidden, and what the runs print dropped: readkit's
    own runs of the target's code are not the target's (a forward that prints prints only when it runs)."""
    sink = io.StringIO()
    with hidden(), contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        return compare(eager, other, args, shapes)
