"""Section 1: torch as an array library.

The post's nested list, its slices and views, the int-tensor pitfall, numpy
interop, and what became of `torch.cuda.FloatTensor`. Each step builds, runs
and looks first (the lesson), then shows the old idiom, then records its
expectations on `check` (expected vs actual), and returns its values.

Leaves out: dtype promotion rules and advanced indexing (not in the post).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from readkit.reference.capture import attempt
from readkit.reference.harness import Expectations, step

# The post's data: two 2x3 matrices stacked.
NESTED = [[[1, 2, 3], [4, 5, 6]], [[7, 8, 9], [11, 12, 13]]]


def make_d(device: torch.device) -> torch.Tensor:
    return torch.tensor(NESTED, dtype=torch.float32, device=device)  # (2, 2, 3)


@step("a nested Python list becomes a (2, 2, 3) float32 tensor; torch.Tensor(list) was the old spelling")
def make_tensor_from_nested_list(device: torch.device, check: Expectations) -> dict[str, Any]:
    d = make_d(device)
    old = torch.Tensor(NESTED)  # the legacy constructor: always float32, always CPU
    check.equal("shape", [2, 2, 3], d.shape)
    check.equal("dtype", "torch.float32", d.dtype)
    check.true("torch.Tensor(list) gives the same", torch.equal(old, d.cpu()))
    return {"d": d, "shape": d.shape, "dtype": d.dtype, "torch.tensor(ints).dtype": torch.tensor(NESTED).dtype}


@step("slices add elementwise: d[0] + d[1]", compare=("d[0] + d[1]",))
def add_slices(device: torch.device, check: Expectations) -> dict[str, Any]:
    d = make_d(device)
    total = d[0] + d[1]  # (2, 3)
    check.equal("d[0] + d[1]", [[8, 10, 12], [15, 17, 19]], total)
    return {"d[0] + d[1]": total}


@step("view reshapes without copying: a write through the view shows in d")
def view_shares_storage(device: torch.device, check: Expectations) -> dict[str, Any]:
    d = make_d(device)  # (2, 2, 3)
    v = d.view(2, -1)  # (2, 6): the same storage, read another way
    v[0, 0] = 100.0  # writes d[0, 0, 0]
    same = v.untyped_storage().data_ptr() == d.untyped_storage().data_ptr()
    check.equal("shape", [2, 6], v.shape)
    check.true("same storage", same)
    check.equal("d[0, 0, 0] after v[0, 0] = 100", 100.0, d[0, 0, 0].item())
    return {"d.view(2, -1).shape": v.shape, "same storage": same}


@step("a list of ints makes an int64 tensor, which cannot require grad")
def int_tensor_pitfall(device: torch.device, check: Expectations) -> dict[str, Any]:
    ints = torch.tensor([1, 2, 3], device=device)  # int64: integers have no gradient
    floats = torch.tensor([1, 2, 3], dtype=torch.float32, device=device).requires_grad_()
    old = attempt(lambda: torch.tensor([1, 2, 3], device=device, requires_grad=True))
    later = attempt(lambda: ints.clone().requires_grad_())
    check.equal("dtype", "torch.int64", ints.dtype)
    check.raises("torch.tensor(ints, requires_grad=True)", RuntimeError, old)
    check.raises("ints.requires_grad_()", RuntimeError, later)
    check.true("float32 requires grad", floats.requires_grad)
    return {"dtype": ints.dtype, "requires_grad on int64": old.report()}


@step("torch.from_numpy shares memory with the array; .numpy() converts back")
def numpy_round_trip(device: torch.device, check: Expectations) -> dict[str, Any]:
    a = np.ones(5, dtype=np.float32)
    t = torch.from_numpy(a)  # shares a's memory (CPU only)
    np.add(a, 1, out=a)
    moved = t.to(device)  # a copy when device is not the CPU
    back = moved.cpu().numpy()  # .numpy() needs a CPU tensor
    check.equal("t after a += 1", [2.0] * 5, t)
    check.true(".numpy() equal", bool(np.array_equal(back, a)))
    return {"t after a += 1": t, "round trip": back}


def _old_cuda_type() -> torch.Tensor:
    return torch.cuda.FloatTensor(2, 3)  # type: ignore[attr-defined]  # the 0.3-era spelling


def _expected_cuda_type_outcome() -> str | None:
    """What `torch.cuda.FloatTensor(2, 3)` does on this build (SPEC: TypeError on a CPU build)."""
    if not torch.backends.cuda.is_built():
        return "TypeError"
    return None if torch.cuda.is_available() else "RuntimeError"


@step("torch.cuda.FloatTensor / dtype=torch.FloatTensor became torch.device + .to(device)")
def legacy_cuda_tensor_type(device: torch.device, seed: int, check: Expectations) -> dict[str, Any]:
    x = torch.randn(2, 3, generator=torch.Generator().manual_seed(seed))
    modern = x.to(device)  # the one spelling for every device
    old_cuda = attempt(_old_cuda_type)
    old_dtype = attempt(lambda: x.double().type(torch.FloatTensor))  # type: ignore[call-overload]  # the legacy spelling shown
    check.equal("torch.cuda.FloatTensor(2, 3)", _expected_cuda_type_outcome(), old_cuda.error_name)
    check.equal("x.type(torch.FloatTensor) dtype", "torch.float32", old_dtype.value.dtype)
    check.equal("x.to(device).device.type", device.type, modern.device.type)
    return {"torch.cuda.FloatTensor(2, 3)": old_cuda.report(),
            "x.type(torch.FloatTensor)": old_dtype.report(), "x.to(device).device": modern.device}
