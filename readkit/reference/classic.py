"""The classic two-layer-net examples: one network, eight ways.

A fully connected ReLU network with one hidden layer, fitted to random data by
minimising the summed squared error, written first in numpy by hand, then with
torch tensors by hand, then with autograd, a custom autograd Function, nn +
SGD, Adam, a custom nn.Module, and a dynamic net. Every version draws its data
and initial weights on CPU from one seeded generator, so they are comparable.

Leaves out: mini-batches and a test set (the examples fit one fixed batch).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from readkit.reference.autograd import MyReLU
from readkit.reference.harness import Expectations, generator, seeded_module, step

N, D_IN, H, D_OUT = 64, 1000, 100, 10  # batch, input, hidden, output sizes
STEPS = 500


def make_data(seed: int) -> tuple[torch.Tensor, ...]:
    """x (N, D_in), y (N, D_out), w1 (D_in, H), w2 (H, D_out): float32, drawn on CPU."""
    g = generator(seed)
    shapes = ((N, D_IN), (N, D_OUT), (D_IN, H), (H, D_OUT))
    return tuple(torch.randn(*shape, generator=g) for shape in shapes)


def _ratios(losses: list[float]) -> dict[str, Any]:
    return {"initial loss": losses[0], "final loss": losses[-1], "final/initial": losses[-1] / losses[0]}


# ----------------------------------------------------------------------------
# By hand: numpy, then torch tensors


@step("numpy by hand: forward, backward and update written out, lr 1e-6", takes_seconds=True)
def numpy_two_layer_net(seed: int, check: Expectations) -> dict[str, Any]:
    # The same draws as the torch versions, in float64 like the original; numpy has no device.
    x, y, w1, w2 = (t.double().numpy() for t in make_data(seed))
    losses = []
    for _ in range(STEPS):
        h = x.dot(w1)  # (N, H)
        h_relu = np.maximum(h, 0)
        y_pred = h_relu.dot(w2)  # (N, D_out)
        losses.append(float(np.square(y_pred - y).sum()))
        grad_y_pred = 2.0 * (y_pred - y)
        grad_w2 = h_relu.T.dot(grad_y_pred)
        grad_h = grad_y_pred.dot(w2.T)
        grad_h[h < 0] = 0
        w1 -= 1e-6 * x.T.dot(grad_h)
        w2 -= 1e-6 * grad_w2
    check.at_most("final/initial", 1e-9, losses[-1] / losses[0])
    return _ratios(losses)


def grads_by_hand(x: torch.Tensor, y: torch.Tensor, w1: torch.Tensor, w2: torch.Tensor
                  ) -> tuple[float, torch.Tensor, torch.Tensor]:
    """The loss and (dL/dw1, dL/dw2), written out the way the numpy version does."""
    h = x.mm(w1)  # (N, H)
    h_relu = h.clamp(min=0)
    y_pred = h_relu.mm(w2)  # (N, D_out)
    grad_y_pred = 2.0 * (y_pred - y)
    grad_w2 = h_relu.t().mm(grad_y_pred)
    grad_h = grad_y_pred.mm(w2.t())
    grad_h[h < 0] = 0
    return (y_pred - y).pow(2).sum().item(), x.t().mm(grad_h), grad_w2


def grads_by_autograd(x: torch.Tensor, y: torch.Tensor, w1: torch.Tensor, w2: torch.Tensor
                      ) -> tuple[torch.Tensor, torch.Tensor]:
    w1, w2 = w1.clone().requires_grad_(), w2.clone().requires_grad_()
    (x.mm(w1).clamp(min=0).mm(w2) - y).pow(2).sum().backward()
    return w1.grad, w2.grad  # type: ignore[return-value]  # grads are set by backward() above


@step("torch tensors by hand: the same gradients autograd computes, then 500 updates", takes_seconds=True,
      compare=("initial loss",))
def tensor_two_layer_net_by_hand(device: torch.device, seed: int, check: Expectations) -> dict[str, Any]:
    x, y, w1, w2 = (t.to(device) for t in make_data(seed))
    _, hand_w1, hand_w2 = grads_by_hand(x, y, w1, w2)
    auto_w1, auto_w2 = grads_by_autograd(x, y, w1, w2)
    check.matches("dL/dw1 by hand == autograd", auto_w1, hand_w1, device)
    check.matches("dL/dw2 by hand == autograd", auto_w2, hand_w2, device)
    losses = []
    for _ in range(STEPS):
        loss, grad_w1, grad_w2 = grads_by_hand(x, y, w1, w2)
        losses.append(loss)
        w1 -= 1e-6 * grad_w1
        w2 -= 1e-6 * grad_w2
    return _ratios(losses)


# ----------------------------------------------------------------------------
# Autograd does the backward pass


def fit_with_autograd(device: torch.device, seed: int, relu: Callable[[torch.Tensor], torch.Tensor]) -> list[float]:
    x, y, w1, w2 = (t.to(device) for t in make_data(seed))
    w1.requires_grad_()
    w2.requires_grad_()
    losses = []
    for _ in range(STEPS):
        loss = (relu(x.mm(w1)).mm(w2) - y).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        assert w1.grad is not None and w2.grad is not None  # set by backward()
        with torch.no_grad():  # was: w1.data -= lr * w1.grad.data
            w1 -= 1e-6 * w1.grad
            w2 -= 1e-6 * w2.grad
            w1.grad = None
            w2.grad = None
    return losses


def _check_autograd_fit(check: Expectations, losses: list[float]) -> dict[str, Any]:
    check.at_most("loss at step 20 / initial", 0.1, losses[20] / losses[0])
    check.at_most("final/initial", 1e-9, losses[-1] / losses[0])
    return {**_ratios(losses), "loss at step 20": losses[20]}


@step("autograd computes the gradients; updates under torch.no_grad(), lr 1e-6", takes_seconds=True,
      compare=("initial loss",))
def autograd_two_layer_net(device: torch.device, seed: int, check: Expectations) -> dict[str, Any]:
    return _check_autograd_fit(check, fit_with_autograd(device, seed, lambda h: h.clamp(min=0)))


@step("the same fit with ReLU as a custom autograd.Function (MyReLU.apply)", takes_seconds=True,
      compare=("initial loss",))
def custom_function_two_layer_net(device: torch.device, seed: int, check: Expectations) -> dict[str, Any]:
    return _check_autograd_fit(check, fit_with_autograd(device, seed, MyReLU.apply))


# ----------------------------------------------------------------------------
# nn builds the layers, optim updates them


class TwoLayerNet(nn.Module):
    def __init__(self, d_in: int, hidden: int, d_out: int) -> None:
        super().__init__()
        self.linear1 = nn.Linear(d_in, hidden)
        self.linear2 = nn.Linear(hidden, d_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear2(self.linear1(x).clamp(min=0))  # (N, D_out)


def fit_module(model: nn.Module, opt: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor) -> list[float]:
    """The reference loop: zero_grad -> forward -> loss -> backward -> step."""
    loss_fn = nn.MSELoss(reduction="sum")  # was MSELoss(size_average=False)
    losses = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        losses.append(loss.item())
        loss.backward()
        opt.step()
    return losses


def _fit_and_check(check: Expectations, build: Callable[[], nn.Module], make_opt: Callable[..., torch.optim.Optimizer],
                   device: torch.device, seed: int) -> dict[str, Any]:
    model = seeded_module(build, seed, device)
    x, y = (t.to(device) for t in make_data(seed)[:2])
    losses = fit_module(model, make_opt(model.parameters()), x, y)
    check.between("initial loss", 500, 800, losses[0])
    check.at_most("final/initial", 1e-6, losses[-1] / losses[0])
    return _ratios(losses)


def _sequential() -> nn.Module:
    return nn.Sequential(nn.Linear(D_IN, H), nn.ReLU(), nn.Linear(H, D_OUT))


@step("nn.Sequential + MSELoss(reduction='sum') + optim.SGD, lr 1e-4", takes_seconds=True,
      compare=("initial loss",))
def nn_sequential_sgd(device: torch.device, seed: int, check: Expectations) -> dict[str, Any]:
    return _fit_and_check(check, _sequential, lambda p: torch.optim.SGD(p, lr=1e-4), device, seed)


@step("the same network trained with optim.Adam, lr 1e-4", takes_seconds=True,
      compare=("initial loss",))
def nn_adam(device: torch.device, seed: int, check: Expectations) -> dict[str, Any]:
    return _fit_and_check(check, _sequential, lambda p: torch.optim.Adam(p, lr=1e-4), device, seed)


@step("a custom nn.Module subclass: layers in __init__, the computation in forward", takes_seconds=True,
      compare=("initial loss",))
def custom_module_net(device: torch.device, seed: int, check: Expectations) -> dict[str, Any]:
    return _fit_and_check(check, lambda: TwoLayerNet(D_IN, H, D_OUT), lambda p: torch.optim.SGD(p, lr=1e-4),
                          device, seed)


# ----------------------------------------------------------------------------
# A dynamic graph: the forward pass is ordinary Python, different at every call


class DynamicNet(nn.Module):
    """Reuses its middle layer 0-3 times per forward; autograd follows whatever ran."""

    def __init__(self, d_in: int, hidden: int, d_out: int) -> None:
        super().__init__()
        self.input_linear = nn.Linear(d_in, hidden)
        self.middle_linear = nn.Linear(hidden, hidden)
        self.output_linear = nn.Linear(hidden, d_out)

    def forward(self, x: torch.Tensor, depth: int) -> torch.Tensor:
        h = self.input_linear(x).clamp(min=0)  # (N, H)
        for _ in range(depth):
            h = self.middle_linear(h).clamp(min=0)
        return self.output_linear(h)  # (N, D_out)


def _middle_grad_after_one_pass(device: torch.device, seed: int, depth: int) -> torch.Tensor | None:
    model = seeded_module(lambda: DynamicNet(D_IN, H, D_OUT), seed, device)
    x, y = (t.to(device) for t in make_data(seed)[:2])
    nn.MSELoss(reduction="sum")(model(x, depth), y).backward()
    return model.middle_linear.weight.grad


@step("a dynamic net reuses its middle layer 0-3 times; SGD lr 1e-4, momentum 0.9", takes_seconds=True,
      compare=("initial loss",))
def dynamic_net(device: torch.device, seed: int, check: Expectations) -> dict[str, Any]:
    model = seeded_module(lambda: DynamicNet(D_IN, H, D_OUT), seed, device)
    x, y = (t.to(device) for t in make_data(seed)[:2])
    depths = torch.randint(0, 4, (STEPS,), generator=generator(seed + 1)).tolist()  # drawn once, on CPU
    opt = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
    loss_fn, losses = nn.MSELoss(reduction="sum"), []
    for depth in depths:
        opt.zero_grad()
        loss = loss_fn(model(x, depth), y)
        losses.append(loss.item())
        loss.backward()
        opt.step()
    check.at_most("final/initial", 1e-2, losses[-1] / losses[0])
    check.equal("middle grad at depth 0", None, _middle_grad_after_one_pass(device, seed, 0))
    set_at = [d for d in (1, 2, 3) if _middle_grad_after_one_pass(device, seed, d) is not None]
    check.equal("middle grad set at depths", [1, 2, 3], set_at)
    return {**_ratios(losses), "depths (first 10)": depths[:10]}
