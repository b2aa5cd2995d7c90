"""Verification by execution: what two runs of a script, before and after migration, say.

The runs themselves happen in scratch copies (scratch.py); this module compares
their outcomes and losses and names the verdict.
"""

from __future__ import annotations

import math

from readkit.results.migrate import RunOutcome, Verification, count_losses, describe_run

RTOL = 1e-4  # losses on CPU agree to float32 round-off; a real change of numbers is far larger
ATOL = 1e-6
# On CUDA, nondeterministic kernels (atomics in cuDNN and scatter) make a training run drift
# from itself after a few steps: compare only the first losses there, more loosely.
CUDA_RTOL = 1e-3
CUDA_STEPWISE = 10


def compare(script: str, args: tuple[str, ...], original: RunOutcome, migrated: RunOutcome | None) -> Verification:
    """The verdict: regression (a running script now fails, or its losses moved), fixed, still-fails, agrees."""
    if migrated is None:
        verdict = "agrees" if original.ok else "still-fails"
        return Verification(script, args, original, None, verdict, "nothing changed, so nothing was rerun")
    rtol, stepwise = (CUDA_RTOL, CUDA_STEPWISE) if original.cuda or migrated.cuda else (RTOL, None)
    compared, worst, first_bad = _compare_losses(original.losses[:stepwise], migrated.losses[:stepwise], rtol)
    verdict, message = _judge(original, migrated, first_bad, compared, rtol)
    return Verification(script, args, original, migrated, verdict, message, compared, worst)


def _judge(original: RunOutcome, migrated: RunOutcome, first_bad: int | None, compared: int,
           rtol: float) -> tuple[str, str]:
    """A timeout counts as running: a long training script verified under --timeout runs until it."""
    if first_bad is not None:
        a, b = original.losses[first_bad], migrated.losses[first_bad]
        return "regression", f"loss {first_bad + 1} differs: {a!r} before, {b!r} after (rtol {rtol:g})"
    if _ran(original) and not _ran(migrated):
        return "regression", f"the original runs; the migrated script fails: {describe_run(migrated)}"
    if original.ok and not migrated.ok:
        return "regression", f"the original finishes; the migrated script does not: {describe_run(migrated)}"
    if original.ok and len(original.losses) != len(migrated.losses):
        return "regression", f"{count_losses(len(original.losses))} before, {len(migrated.losses)} after"
    if _ran(original):
        until = " (until the timeout)" if "timeout" in (original.status, migrated.status) else ""
        return "agrees", f"both run{until}; {count_losses(compared)} agree within rtol {rtol:g}"
    if _ran(migrated):
        agreed = f"; the original's {count_losses(compared)} {'agrees' if compared == 1 else 'agree'}" if compared else ""
        return "fixed", f"was: {describe_run(original)}; now runs{agreed}"
    if len(migrated.losses) < len(original.losses):
        return "regression", (f"fails earlier than the original ({count_losses(len(migrated.losses))}, "
                              f"was {len(original.losses)}): {describe_run(migrated)}")
    return "still-fails", f"was: {describe_run(original)}; now: {describe_run(migrated)}"


def _ran(run: RunOutcome) -> bool:
    return run.status in ("ok", "timeout")


def _compare_losses(before: tuple[float, ...], after: tuple[float, ...],
                    rtol: float) -> tuple[int, float | None, int | None]:
    """(losses compared, largest relative difference, index of the first disagreement or None)."""
    worst: float | None = None
    for index, (a, b) in enumerate(zip(before, after)):
        if math.isnan(a) and math.isnan(b):
            continue
        difference = abs(a - b) / max(abs(a), abs(b), ATOL)
        worst = difference if worst is None else max(worst, difference)
        if not math.isclose(a, b, rel_tol=rtol, abs_tol=ATOL):
            return index, worst, index
    return min(len(before), len(after)), worst, None
