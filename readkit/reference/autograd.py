"""Section 2: autograd, the graph and its gradients.

The post wrapped tensors in `Variable` and read `s.creator`; today a tensor
with `requires_grad=True` is the variable and `s.grad_fn` is the node. Each
step shows the modern form and captures what torch does with the old one.

Leaves out: higher-order gradients and hooks (not in the post).
"""

from __future__ import annotations

from typing import Any

import torch

from readkit.reference.capture import attempt
from readkit.reference.harness import Expectations, step
from readkit.reference.tensors import make_d


def _sum_graph(device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    x = make_d(device).requires_grad_()  # (2, 2, 3), was Variable(d, requires_grad=True)
    y = x + 1
    z = x + y  # 2x + 1
    return x, z.sum()


@step("y = x + 1; z = x + y; s = z.sum(); s.backward() gives x.grad == 2", compare=("s", "x.grad"))
def backward_of_sum(device: torch.device, check: Expectations) -> dict[str, Any]:
    x, s = _sum_graph(device)
    s.backward()
    old = attempt(lambda: s.creator)  # type: ignore[attr-defined]  # renamed grad_fn long ago: the step shows it
    check.equal("s", 174.0, s.item())
    check.true("x.grad == 2 everywhere", x.grad is not None and bool((x.grad == 2).all()))
    check.equal("s.grad_fn", "SumBackward0", type(s.grad_fn).__name__)
    check.raises("s.creator", AttributeError, old)
    return {"s": s.item(), "x.grad": x.grad, "s.grad_fn": type(s.grad_fn).__name__, "s.creator": old.report()}


def _product_sum(device: torch.device) -> torch.Tensor:
    x = make_d(device).requires_grad_()
    return (x * (x + 1)).sum()  # mul saves its inputs for backward


@step("a second backward needs retain_graph=True; gradients then accumulate to 4")
def second_backward_needs_retain_graph(device: torch.device, check: Expectations) -> dict[str, Any]:
    x, s = _sum_graph(device)
    s.backward(retain_graph=True)  # keep the graph for another pass
    s.backward(retain_graph=True)
    # x.grad: 2 + 2 = 4 everywhere: gradients accumulate until zeroed
    product = _product_sum(device)
    product.backward()
    again = attempt(product.backward)  # the saved tensors were freed by the first backward
    _, s_add = _sum_graph(device)
    s_add.backward()
    add_again = attempt(s_add.backward)  # measured on torch 2.13: add and sum save nothing, so this works
    old = attempt(lambda: _sum_graph(device)[1].backward(retain_variables=True))  # type: ignore[call-arg]  # the 0.3 keyword shown
    check.true("x.grad == 4 after two backwards", x.grad is not None and bool((x.grad == 4).all()))
    check.raises("second backward without retain_graph", RuntimeError, again)
    check.equal("second backward of the add/sum graph (nothing saved)", None, add_again.error_name)
    check.raises("backward(retain_variables=True)", TypeError, old)
    return {"x.grad": x.grad, "second backward of (x * (x + 1)).sum()": again.report(),
            "second backward of (x + x + 1).sum()": add_again.report(), "retain_variables=True": old.report()}


def _volatile_output(device: torch.device) -> torch.Tensor:
    from torch.autograd import Variable  # legacy: imported only here, where it is shown

    w = torch.ones(3, device=device, requires_grad=True)
    return Variable(torch.ones(3, device=device), volatile=True) * w


@step("no_grad and inference_mode stop tracking; Variable(volatile=True) no longer does")
def no_grad_and_inference_mode(device: torch.device, check: Expectations) -> dict[str, Any]:
    w = torch.ones(3, device=device, requires_grad=True)
    with torch.no_grad():
        under_no_grad = w * 2
    with torch.inference_mode():
        under_inference = w * 2
    old = attempt(lambda: _volatile_output(device))
    check.equal("no_grad output requires_grad", False, under_no_grad.requires_grad)
    check.equal("inference_mode output requires_grad", False, under_inference.requires_grad)
    check.warns("Variable(x, volatile=True)", UserWarning, old)
    check.equal("volatile output requires_grad (no effect)", True, old.value.requires_grad)
    return {"no_grad": under_no_grad.requires_grad, "inference_mode": under_inference.requires_grad,
            "volatile=True": old.report(), "volatile output requires_grad": old.value.requires_grad}


def _wrap_in_variable(t: torch.Tensor, **kwargs: Any) -> torch.Tensor:
    from torch.autograd import Variable  # legacy: imported only here, where it is shown

    return Variable(t, **kwargs)


@step("Variable(t) is a no-op wrapper today: it returns a plain Tensor")
def legacy_variable(device: torch.device, check: Expectations) -> dict[str, Any]:
    t = torch.ones(3, device=device)
    plain = attempt(lambda: _wrap_in_variable(t))
    tracked = attempt(lambda: _wrap_in_variable(t, requires_grad=True))
    check.equal("type(Variable(t))", "Tensor", type(plain.value).__name__)
    check.equal("warnings from Variable(t)", [], [w.category.__name__ for w in plain.warnings])
    check.equal("Variable(t, requires_grad=True).requires_grad", True, tracked.value.requires_grad)
    return {"type(Variable(t))": type(plain.value).__name__, "modern": "t.requires_grad_()"}


@step("Q = 3a^3 - b^2: backward with ones gives dQ/da = 9a^2, dQ/db = -2b", compare=("a.grad", "b.grad"))
def gradient_of_polynomial(device: torch.device, check: Expectations) -> dict[str, Any]:
    a = torch.tensor([2.0, 3.0], device=device, requires_grad=True)
    b = torch.tensor([6.0, 4.0], device=device, requires_grad=True)
    q = 3 * a**3 - b**2  # (2,)
    q.backward(gradient=torch.ones_like(q))  # Q is a vector: say which weighted sum to differentiate
    check.matches("a.grad", [36.0, 81.0], a.grad, device)
    check.matches("b.grad", [-12.0, -8.0], b.grad, device)
    return {"Q": q, "a.grad": a.grad, "b.grad": b.grad}


class MyReLU(torch.autograd.Function):
    """ReLU as a custom autograd Function: static methods, a ctx, called via .apply."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        return grad_output * (x > 0).to(grad_output.dtype)


def _legacy_relu_call(x: torch.Tensor) -> torch.Tensor:
    class OldReLU(torch.autograd.Function):  # the 0.3-era form: instance methods
        def forward(self, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]  # the 0.3-era instance-method form this step shows
            return x.clamp(min=0)

    return OldReLU()(x)  # type: ignore[no-untyped-call]  # the 0.3 form: torch types only the static one


@step("a custom autograd.Function (ReLU) passes gradcheck and matches clamp's gradients",
      compare=("x.grad",))
def custom_relu_function(device: torch.device, seed: int, check: Expectations) -> dict[str, Any]:
    g = torch.Generator().manual_seed(seed)
    x64 = torch.randn(4, 3, generator=g, dtype=torch.float64).to(device).requires_grad_()
    passed = torch.autograd.gradcheck(MyReLU.apply, (x64,), raise_exception=False)
    x = torch.randn(4, 3, generator=g).to(device).requires_grad_()
    ours = torch.autograd.grad(MyReLU.apply(x).sum(), x)[0]  # type: ignore[no-untyped-call]  # Function.apply is untyped
    reference = torch.autograd.grad(x.clamp(min=0).sum(), x)[0]
    old = attempt(lambda: _legacy_relu_call(x))
    check.true("gradcheck (float64)", passed)
    check.equal("grads equal clamp's", reference, ours)
    check.raises("instance-style Function called", RuntimeError, old)
    return {"gradcheck": passed, "x.grad": ours, "old-style Function": old.report()}
