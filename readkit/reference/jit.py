"""Section 5: compiling and exporting models.

torch.jit (trace, script, save, load) is deprecated since torch 2.11; each jit
step records its DeprecationWarning instead of leaking it. What tracing gets
wrong (it records one path through Python control flow) is shown side by side
with the tools that keep control flow: torch.jit.script, torch.export with
torch.cond, and torch.compile.

Leaves out: ONNX export and TorchScript's type annotations beyond the basics.
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr
from typing import Any

import torch
from torch import nn

from readkit.reference.capture import attempt, recorded_warnings, warning_names
from readkit.reference.harness import Expectations, generator, seeded_module, step


def branchy(x: torch.Tensor) -> torch.Tensor:
    if x.sum() > 0:  # data-dependent Python control flow: a trace records one side
        return x * 2
    return x - 10


def running_cell(x: torch.Tensor) -> torch.Tensor:
    """An RNN-like cell unrolled over the first dimension: (T, F) -> (F,)."""
    h = torch.zeros_like(x[0])
    for i in range(x.size(0)):  # a trace unrolls this loop at the traced length
        h = torch.tanh(x[i] + h)
    return h


class SplitLoop(nn.Module):
    """The same cell written as `for xt in x.split(1)`, which script keeps as a loop."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.zeros_like(x[0])
        for xt in x.split(1):
            h = torch.tanh(xt[0] + h)
        return h


def _small_net() -> nn.Module:
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))


@step("torch.jit.trace matches eager on the traced shape (and raises a DeprecationWarning today)",
      compare=("traced",))
def trace_matches_eager(device: torch.device, seed: int, check: Expectations) -> dict[str, Any]:
    model = seeded_module(_small_net, seed, device)
    x = torch.randn(3, 4, generator=generator(seed)).to(device)  # (B, 4)
    with recorded_warnings() as caught:
        traced = torch.jit.trace(model, x)
    check.matches("traced(x) == model(x)", model(x), traced(x), device)
    check.equal("warnings captured", ["DeprecationWarning"], warning_names(caught))
    return {"traced": traced(x), "warnings": warning_names(caught)}


@step("a trace freezes a data-dependent branch: the negative input takes the traced (positive) path")
def trace_freezes_branch(device: torch.device, check: Expectations) -> dict[str, Any]:
    with recorded_warnings() as caught:
        traced = torch.jit.trace(branchy, torch.ones(1, device=device))
    negative = torch.tensor([-1.0], device=device)
    check.equal("traced(-1)", [-2.0], traced(negative))
    check.equal("eager(-1)", [-11.0], branchy(negative))
    check.true("TracerWarning captured", "TracerWarning" in warning_names(caught))
    return {"traced(-1)": traced(negative), "eager(-1)": branchy(negative), "warnings": warning_names(caught)}


@step("a trace freezes a loop silently: traced at length 3, it ignores the rest of a length-5 input",
      compare=("traced(x5)", "eager(x5)"))
def trace_freezes_loop(device: torch.device, seed: int, check: Expectations) -> dict[str, Any]:
    g = generator(seed)
    short, long = torch.randn(3, 4, generator=g).to(device), torch.randn(5, 4, generator=g).to(device)
    with recorded_warnings() as caught:
        traced = torch.jit.trace(running_cell, short)
    check.matches("traced(x5) == eager(x5[:3])", running_cell(long[:3]), traced(long), device)
    check.true("traced(x5) != eager(x5)", not torch.allclose(traced(long), running_cell(long)))
    check.equal("warnings besides the deprecation", [], [n for n in warning_names(caught) if n != "DeprecationWarning"])
    return {"traced(x5)": traced(long), "eager(x5)": running_cell(long), "warnings": warning_names(caught)}


def _save_and_load(module: torch.jit.ScriptModule) -> Any:
    buffer = io.BytesIO()
    torch.jit.save(module, buffer)
    buffer.seek(0)
    return torch.jit.load(buffer)


@step("torch.jit.script keeps the loop: equal to eager at lengths 1, 3, 7, and after save/load")
def script_keeps_control_flow(device: torch.device, seed: int, check: Expectations) -> dict[str, Any]:
    g = generator(seed)
    inputs = {n: torch.randn(n, 4, generator=g).to(device) for n in (1, 3, 7)}
    eager = SplitLoop()
    with recorded_warnings() as caught:
        scripted = torch.jit.script(eager)
        loaded = _save_and_load(scripted)
    for n, x in inputs.items():
        check.matches(f"scripted == eager (length {n})", eager(x), scripted(x), device)
    check.matches("loaded == eager (length 7)", eager(inputs[7]), loaded(inputs[7]), device)
    return {"lengths": list(inputs), "warnings": warning_names(caught)}


class Branchy(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return branchy(x)


class CondBranch(nn.Module):
    """The branch rewritten with torch.cond, which export keeps as both sides."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cond(x.sum() > 0, lambda t: t * 2, lambda t: t - 10, (x,))


@contextmanager
def quiet_torch_logs() -> Iterator[None]:
    """A failing export logs a warning and writes its partial graph to stderr; the
    step reports the error itself, so hold both back for the block."""
    before = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        with redirect_stderr(io.StringIO()):
            yield
    finally:
        logging.disable(before)


def _export_without_dim_rejects(model: nn.Module, x: torch.Tensor, other: torch.Tensor) -> Any:
    program = torch.export.export(model, (x,))  # batch size fixed at export time
    return attempt(lambda: program.module()(other))


def _export_data_dependent_if(device: torch.device) -> Any:
    with quiet_torch_logs():
        return attempt(lambda: torch.export.export(Branchy(), (torch.ones(2, device=device),)))


def _cond_on_both_branches(device: torch.device) -> list[torch.Tensor]:
    program = torch.export.export(CondBranch(), (torch.ones(2, device=device),)).module()
    return [program(torch.tensor(v, device=device)) for v in ([1.0, 2.0], [-1.0, -2.0])]


@step("torch.export: the program equals eager; other batch sizes need a dynamic Dim; torch.cond keeps a branch",
      compare=("exported",), takes_seconds=True)
def export_program(device: torch.device, seed: int, check: Expectations) -> dict[str, Any]:
    g = generator(seed)
    model = seeded_module(_small_net, seed, device)
    x, other = torch.randn(3, 4, generator=g).to(device), torch.randn(5, 4, generator=g).to(device)
    exported = torch.export.export(model, (x,)).module()
    fixed = _export_without_dim_rejects(model, x, other)
    batch = torch.export.Dim("batch")
    dynamic = torch.export.export(model, (x,), dynamic_shapes=({0: batch},)).module()
    data_dependent = _export_data_dependent_if(device)
    check.matches("exported(x) == eager(x)", model(x), exported(x), device)
    check.true("batch 5 rejected without a Dim", fixed.error is not None)
    check.matches("batch 5 with Dim('batch')", model(other), dynamic(other), device)
    check.true("data-dependent if fails to export", data_dependent.error is not None)
    check.equal("torch.cond form, both branches", [[2.0, 4.0], [-11.0, -12.0]], _cond_on_both_branches(device))
    return {"exported": exported(x), "batch 5 without Dim": fixed.report(),
            "data-dependent if": data_dependent.report()}


def find_cxx_compiler() -> str | None:
    """The compiler inductor (torch.compile's default backend) will use for CPU kernels:
    $CXX, else g++ (clang++ on macOS), as torch._inductor.config.cpp.cxx looks it up."""
    name = os.environ.get("CXX", "clang++" if sys.platform == "darwin" else "g++")
    return shutil.which(name)


@step("torch.compile matches eager (cold start 6-30 s on CPU)", slow=True, takes_seconds=True,
      compare=("compiled",))
def compile_matches_eager(device: torch.device, seed: int, check: Expectations) -> dict[str, Any]:
    model = seeded_module(_small_net, seed, device)
    x = torch.randn(3, 4, generator=generator(seed)).to(device)  # (B, 4)
    compiler = find_cxx_compiler()
    # Without a compiler inductor cannot build CPU kernels; say so and still check
    # graph capture with the compiler-free aot_eager backend.
    backend = "inductor" if compiler or device.type == "cuda" else "aot_eager"
    with recorded_warnings():  # inductor's imports touch deprecated torch.jit names
        compiled = torch.compile(model, backend=backend)
        outcome = attempt(lambda: compiled(x))  # type: ignore[no-untyped-call]  # torch.compile's result is untyped
    if check.true("compiled ran", outcome.error is None):  # assert_close's float32 tolerances
        check.close("compiled(x) == model(x)", model(x), outcome.value, rtol=1.3e-6, atol=1e-5)
    note = compiler or "none found ($CXX or g++): inductor cannot build CPU kernels, so aot_eager was used"
    return {"backend": backend, "compiler": note, "compiled": outcome.value, "outcome": outcome.report()}
