"""traced/compiled vs eager, measured inside the child right where the target traces or compiles.

When the target calls `torch.jit.trace(f, example)` or runs a `torch.compile`d
module or function for the first time, readkit re-runs the traced/compiled
version and eager `f` on inputs of another branch or shape (the example
negated; a batch one larger; a batch one smaller), and records a fact when they
disagree or when only the traced one fails. This is the tutorial's lesson:
tracing records one path through the code and freezes shapes and branches.

It must not change what the target computes: the comparisons run with the
random state forked, buffers (batch-norm statistics) restored, no backward
(so no .grad changes), and readkit's own observation switched off.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import torch

from readkit.check.instrument import Guard, paused

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


# ----------------------------------------------------------------------------
# Wrapping torch.jit.trace and torch.compile


def record_differences(recorder: Any, kind: str, line: tuple[str, int] | None,
                       eager: Callable[..., Any], other: Callable[..., Any], args: tuple[Any, ...],
                       shapes: bool, api: str = "torch.jit.trace") -> None:
    if Guard.busy:
        return
    try:
        with paused():
            differences = compare(eager, other, args, shapes)
        for variant, how in differences:
            recorder.fact(kind, path=line[0] if line else None, line=line[1] if line else None,
                          variant=variant, difference=how, api=api)
    except Exception:
        Guard.errors += 1


def wrap_trace(original: Callable[..., Any], recorder: Any, line_of: Callable[[], Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def trace(func: Any, example_inputs: Any = None, *args: Any, **kwargs: Any) -> Any:
        traced = original(func, example_inputs, *args, **kwargs)
        if example_inputs is not None:
            record_differences(recorder, "traced-differs", line_of(), func, traced, as_args(example_inputs), True)
        return traced

    return trace


def wrap_export(original: Callable[..., Any], recorder: Any, line_of: Callable[[], Any]) -> Callable[..., Any]:
    """torch.export.export: the exported program's module() against eager on other shapes and branches."""

    @functools.wraps(original)
    def export(mod: Any, args: Any = (), *rest: Any, **kwargs: Any) -> Any:
        program = original(mod, args, *rest, **kwargs)
        if isinstance(args, tuple) and args and not kwargs.get("kwargs"):
            exported = _module_of(program)
            if exported is not None:
                record_differences(recorder, "traced-differs", line_of(), mod, exported, args, True,
                                   api="torch.export.export")
        return program

    return export


def _module_of(program: Any) -> Any:
    try:
        return program.module()
    except Exception:
        return None


def wrap_compile(original: Callable[..., Any], recorder: Any, line_of: Callable[[], Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def compile_(model: Any = None, **kwargs: Any) -> Any:
        if model is None:
            return lambda actual: compile_(actual, **kwargs)
        compiled = original(model, **kwargs)
        return _compare_on_first_call(recorder, compiled, model, line_of())

    return compile_


def _compare_on_first_call(recorder: Any, compiled: Any, eager: Any, line: Any) -> Any:
    if isinstance(compiled, torch.nn.Module):
        _run_paused(type(compiled))
        def hook(module: Any, args: tuple[Any, ...], output: Any) -> None:
            handle.remove()
            record_differences(recorder, "compiled-differs", line, eager, compiled, args, False,
                               api="torch.compile")

        handle = compiled.register_forward_hook(hook)
        return compiled
    first = [True]

    @functools.wraps(compiled)
    def call(*args: Any, **kwargs: Any) -> Any:
        with paused():
            result = compiled(*args, **kwargs)
        if first[0] and not kwargs:
            first[0] = False
            record_differences(recorder, "compiled-differs", line, eager, compiled, args, False,
                               api="torch.compile")
        return result

    return call


def _run_paused(cls: type) -> None:
    """Compiled modules (OptimizedModule) run their forward with observation off: dynamo must
    trace the target's code, not readkit's mode and hooks. Patched once per class."""
    if getattr(cls, "_readkit_paused", False):
        return
    original: Callable[..., Any] = getattr(cls, "forward")

    @functools.wraps(original)
    def forward(self: Any, *args: Any, **kwargs: Any) -> Any:
        with paused():
            return original(self, *args, **kwargs)

    setattr(cls, "forward", forward)
    setattr(cls, "_readkit_paused", True)
