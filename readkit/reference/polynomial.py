"""Fitting sin(x) with a cubic y = a + b x + c x^2 + d x^3 on 2000 points in [-pi, pi].

First the exact answer (linear least squares, float64), then the same fit found
by gradient descent with autograd, judged against that optimum.

Leaves out: Legendre polynomials and nn.Linear versions of the same fit.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from readkit.reference.harness import Expectations, generator, step

POINTS, STEPS, LR = 2000, 2000, 1e-6
# SPEC §4, measured on torch 2.13 (float64 least squares): the optimum to 6 significant digits.
B_STAR, D_STAR, SSE_STAR = 0.856741, -0.0933304, 8.81717


def sine_points(dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.linspace(-math.pi, math.pi, POINTS, dtype=dtype)  # (P,)
    return x, torch.sin(x)


def _powers(x: torch.Tensor) -> torch.Tensor:
    return torch.stack([torch.ones_like(x), x, x**2, x**3], dim=1)  # (P, 4)


def _half_unit(printed: float, digits: int = 6) -> float:
    """Half a unit in the last digit of a value printed to `digits` significant digits."""
    return 0.5 * 10.0 ** (math.floor(math.log10(abs(printed))) - digits + 1)


def _check_printed(check: Expectations, name: str, printed: float, actual: float) -> None:
    check.close(name, printed, actual, rtol=0.0, atol=_half_unit(printed))


@step("the least-squares optimum of the cubic fit: b*, d* and the smallest SSE", compare=("b", "d", "SSE"))
def least_squares_optimum(device: torch.device, check: Expectations) -> dict[str, Any]:
    x, y = (t.to(device) for t in sine_points(torch.float64))
    coeffs = torch.linalg.lstsq(_powers(x), y.unsqueeze(1)).solution.squeeze(1)  # (4,): a, b, c, d
    sse = ((_powers(x) @ coeffs - y) ** 2).sum().item()
    b, d = coeffs[1].item(), coeffs[3].item()
    _check_printed(check, "b* (within half a unit of the 6th digit)", B_STAR, b)
    _check_printed(check, "d* (within half a unit of the 6th digit)", D_STAR, d)
    _check_printed(check, "SSE* (within half a unit of the 6th digit)", SSE_STAR, sse)
    return {"a": coeffs[0].item(), "b": b, "c": coeffs[2].item(), "d": d, "SSE": sse}


@step("gradient descent with autograd, 2000 steps at lr 1e-6, gets close to the optimum", takes_seconds=True)
def autograd_polynomial_fit(device: torch.device, seed: int, check: Expectations) -> dict[str, Any]:
    x, y = (t.to(device) for t in sine_points())
    a, b, c, d = (w.to(device).requires_grad_() for w in torch.randn(4, generator=generator(seed)))
    for _ in range(STEPS):
        loss = (a + b * x + c * x**2 + d * x**3 - y).pow(2).sum()
        loss.backward()
        with torch.no_grad():
            for w in (a, b, c, d):
                w -= LR * w.grad
                w.grad = None
    sse = (a + b * x + c * x**2 + d * x**3 - y).pow(2).sum().item()
    check.at_most("SSE", 2 * SSE_STAR, sse)
    check.at_most("|b - b*|", 0.05, abs(b.item() - B_STAR))
    return {"a": a.item(), "b": b.item(), "c": c.item(), "d": d.item(), "SSE": sse}
