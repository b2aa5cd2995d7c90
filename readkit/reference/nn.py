"""Section 3: torch.nn, layers, activations, losses and a first model.

Modules hold parameters; torch.nn.functional holds the stateless ops. The old
idioms met here: softmax without `dim`, and `size_average=` on losses.

Leaves out: convolutions and recurrent layers (not in the post).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from readkit.reference.capture import attempt
from readkit.reference.harness import Expectations, generator, seeded_module, step


class LogRegClassifier(nn.Module):
    """Multinomial logistic regression: one linear layer, log-probabilities out."""

    def __init__(self, in_features: int, out_features: int) -> None:
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.log_softmax(self.linear(x), dim=1)  # (B, out); the post's version had no dim


@step("nn.Linear(5, 3) holds a (3, 5) weight and a (3,) bias and computes x @ W.T + b",
      compare=("output",))
def linear_layer(device: torch.device, seed: int, check: Expectations) -> dict[str, Any]:
    layer = seeded_module(lambda: nn.Linear(5, 3), seed, device)
    x = torch.randn(4, 5, generator=generator(seed)).to(device)  # (B, in)
    out = layer(x)  # (B, out)
    by_hand = x @ layer.weight.T + layer.bias
    count = sum(p.numel() for p in layer.parameters())
    check.equal("weight shape", [3, 5], layer.weight.shape)
    check.equal("bias shape", [3], layer.bias.shape)
    check.equal("parameters", 18, count)
    check.matches("output == x @ W.T + b", by_hand, out, device)
    return {"weight shape": layer.weight.shape, "bias shape": layer.bias.shape, "parameters": count,
            "output": out}


def _implicit_softmax_dim(x: torch.Tensor) -> tuple[int, list[str]]:
    """Which dim F.softmax(x) picks when none is given, and the warnings it emits."""
    outcome = attempt(lambda: F.softmax(x))  # the old call, no dim
    picked = next(d for d in range(x.dim()) if torch.equal(outcome.value, F.softmax(x, dim=d)))
    return picked, [w.category.__name__ for w in outcome.warnings]


@step("relu clips at 0; softmax(dim=1) rows sum to 1; softmax without dim warns and guesses",
      compare=("softmax",))
def relu_and_softmax(device: torch.device, seed: int, check: Expectations) -> dict[str, Any]:
    g = generator(seed)
    x = torch.randn(2, 3, generator=g).to(device)  # (2, 3)
    relu, soft = F.relu(x), F.softmax(x, dim=1)
    picks = {f"{n}-D": _implicit_softmax_dim(torch.randn(*[3] * n, generator=g).to(device)) for n in (1, 2, 3)}
    check.true("relu >= 0", bool((relu >= 0).all()))
    check.close("softmax rows sum", [1.0, 1.0], soft.sum(dim=1))
    check.equal("softmax(x) without dim warns", ["UserWarning"], picks["2-D"][1])
    check.equal("dim picked (1-D, 2-D, 3-D)", [0, 1, 0], [picks[k][0] for k in ("1-D", "2-D", "3-D")])
    return {"relu": relu, "softmax": soft, "implicit dim": {k: v[0] for k, v in picks.items()}}


@step("MSELoss: mean by default; reduction='sum' replaces size_average=False, 'mean' replaces 'elementwise_mean'",
      compare=("mean", "sum"))
def mse_loss(device: torch.device, seed: int, check: Expectations) -> dict[str, Any]:
    g = generator(seed)
    a, b = torch.randn(4, 3, generator=g).to(device), torch.randn(4, 3, generator=g).to(device)
    mean, total = nn.MSELoss()(a, b), nn.MSELoss(reduction="sum")(a, b)
    old = attempt(lambda: nn.MSELoss(size_average=False)(a, b))
    renamed = attempt(lambda: nn.MSELoss(reduction="elementwise_mean")(a, b))  # 0.4's name for 'mean'
    check.matches("mean == ((a - b) ** 2).mean()", ((a - b) ** 2).mean(), mean, device)
    check.matches("sum == ((a - b) ** 2).sum()", ((a - b) ** 2).sum(), total, device)
    check.warns("MSELoss(size_average=False)", UserWarning, old)
    check.equal("size_average=False == reduction='sum'", total.item(), old.value.item())
    check.warns("reduction='elementwise_mean'", UserWarning, renamed)
    check.equal("elementwise_mean == mean", mean.item(), renamed.value.item())
    return {"mean": mean.item(), "sum": total.item(), "size_average=False": old.report(),
            "reduction='elementwise_mean'": renamed.report()}


@step("a LogRegClassifier outputs (B, out) log-probabilities whose exp rows sum to 1",
      compare=("log_probs",))
def logistic_regression_classifier(device: torch.device, seed: int, check: Expectations) -> dict[str, Any]:
    model = seeded_module(lambda: LogRegClassifier(5, 3), seed, device)
    x = torch.randn(10, 5, generator=generator(seed)).to(device)  # (B, in)
    log_probs = model(x)  # (B, out)
    check.equal("output shape", [10, 3], log_probs.shape)
    check.close("exp rows sum", [1.0] * 10, log_probs.exp().sum(dim=1))
    return {"output shape": log_probs.shape, "log_probs": log_probs}
