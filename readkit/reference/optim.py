"""Section 4: torch.optim, and the training loop every later example repeats.

The loop is: zero_grad -> forward -> loss -> backward -> step. The old idiom
met here: reading a scalar loss with `loss.data[0]` (today: `loss.item()`).

Leaves out: learning-rate schedulers and a validation split (not in the post).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from readkit.reference.capture import attempt
from readkit.reference.nn import LogRegClassifier
from readkit.reference.harness import Expectations, generator, seeded_module, step

SAMPLES, FEATURES, CLASSES = 200, 5, 3
BATCH, EPOCHS, LR = 10, 10, 1e-2
SEED_COUNT = 20  # SPEC: the bounds hold over seeds 0-19 (the default seed is 0)


# takes_seconds: the first optimizer in a process imports torch._dynamo (1-3 s).
@step("optim.SGD(params, lr=1e-2) updates the parameters; zero_grad() resets .grad to None", takes_seconds=True)
def sgd_optimizer(device: torch.device, seed: int, check: Expectations) -> dict[str, Any]:
    model = seeded_module(lambda: LogRegClassifier(FEATURES, CLASSES), seed, device)
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    before = model.linear.weight.detach().clone()
    x = torch.randn(BATCH, FEATURES, generator=generator(seed)).to(device)  # (B, in)
    model(x).sum().backward()
    opt.step()
    opt.zero_grad()  # sets .grad to None (set_to_none=True is the default since 2.0)
    check.equal("lr", 0.01, opt.param_groups[0]["lr"])
    check.true("step changed the weight", not torch.equal(before, model.linear.weight))
    check.equal(".grad after zero_grad()", None, model.linear.weight.grad)
    return {"lr": opt.param_groups[0]["lr"], ".grad after zero_grad()": model.linear.weight.grad}


# ----------------------------------------------------------------------------
# Logistic regression on a synthetic 3-class problem


def make_classification(seed: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """200x5 Gaussian inputs, labels from a random linear teacher (learnable, not trivial)."""
    g = generator(seed)
    x = torch.randn(SAMPLES, FEATURES, generator=g)  # (N, in)
    teacher = torch.randn(FEATURES, CLASSES, generator=g)
    return x.to(device), (x @ teacher).argmax(dim=1).to(device)  # (N, in), (N,)


@dataclass(frozen=True)
class Training:
    losses: list[float]  # full-data loss before training, then after each epoch
    accuracy: float
    weight: torch.Tensor  # the final weight, for the reproducibility check


def _full_loss(model: LogRegClassifier, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return F.nll_loss(model(x), y).item()  # was loss.data[0]


def train_logistic_regression_once(seed: int, device: torch.device) -> Training:
    x, y = make_classification(seed, device)
    model = seeded_module(lambda: LogRegClassifier(FEATURES, CLASSES), seed, device)
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    order = generator(seed + 1)  # shuffling draws from its own seeded stream, on CPU
    losses = [_full_loss(model, x, y)]
    for _ in range(EPOCHS):
        for batch in torch.randperm(SAMPLES, generator=order).split(BATCH):
            batch = batch.to(device)
            opt.zero_grad()
            loss = F.nll_loss(model(x[batch]), y[batch])
            loss.backward()
            opt.step()
        losses.append(_full_loss(model, x, y))
    with torch.no_grad():
        accuracy = (model(x).argmax(dim=1) == y).float().mean().item()
    return Training(losses, accuracy, model.linear.weight.detach().cpu())


def _update_by_data_equals_no_grad(device: torch.device) -> bool:
    """The 0.3-era manual update `w.data -= lr * w.grad.data` still works (it bypasses
    autograd's version checks); `with torch.no_grad(): w -= lr * w.grad` is the same step."""
    old, new = (torch.ones(3, device=device, requires_grad=True) for _ in range(2))
    for w in (old, new):
        (w * w).sum().backward()
    old.data -= LR * old.grad.data  # type: ignore[union-attr]  # grad is set by backward() above
    with torch.no_grad():
        new -= LR * new.grad  # type: ignore[operator]  # grad is set by backward() above
    return torch.equal(old, new)


def _decreases(losses: list[float]) -> bool:
    return all(after < before for before, after in zip(losses, losses[1:]))


@step("logistic regression with SGD: over 20 seeds the loss falls every epoch; loss.item() not loss.data[0]",
      takes_seconds=True)
def train_logistic_regression(device: torch.device, seed: int, check: Expectations) -> dict[str, Any]:
    runs = [train_logistic_regression_once(s, device) for s in range(seed, seed + SEED_COUNT)]
    again = train_logistic_regression_once(seed, device)
    old = attempt(lambda: F.nll_loss(torch.zeros(1, CLASSES), torch.zeros(1, dtype=torch.long)).data[0])
    worst_ratio = max(r.losses[-1] / r.losses[0] for r in runs)
    worst_accuracy = min(r.accuracy for r in runs)
    check.true("loss decreases every epoch (all seeds)", all(_decreases(r.losses) for r in runs))
    check.at_most("final/initial loss (worst seed)", 0.75, worst_ratio)
    check.at_least("accuracy (worst seed)", 0.6, worst_accuracy)
    if device.type == "cpu":  # SPEC promises bitwise reproducibility on CPU only
        check.true("same seed, same weights (bitwise)", torch.equal(runs[0].weight, again.weight))
    check.raises("loss.data[0]", IndexError, old)
    check.true("w.data -= lr * w.grad.data == no_grad update", _update_by_data_equals_no_grad(device))
    return {"epoch losses (first seed)": [round(v, 4) for v in runs[0].losses], "worst final/initial": worst_ratio,
            "worst accuracy": worst_accuracy, "loss.data[0]": old.report()}
