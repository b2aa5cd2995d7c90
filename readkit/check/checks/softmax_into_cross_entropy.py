"""softmax-into-cross-entropy: cross_entropy fed probabilities instead of logits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from readkit.check.checks import Found, WorkflowCheck
from readkit.check.workflow_facts import Fact, Facts
from readkit.check.watcher import Run, Watcher

if TYPE_CHECKING:
    from types import FrameType


_LOSSES = {"torch.nn.functional.cross_entropy": "cross_entropy", "torch.nn.functional.nll_loss": "nll_loss"}


@dataclass(frozen=True, kw_only=True)
class SoftmaxIntoLoss(Fact):
    """The input of a loss that wants logits (or log-probabilities) was a softmax's output."""

    kind = "softmax-ce"
    loss: str  # "cross_entropy" or "nll_loss"


class Watch(Watcher):
    calls = frozenset(_LOSSES)

    def on_call(self, run: Run, qualname: str, args: tuple[Any, ...], frame: FrameType | None) -> None:
        grad_fn = getattr(args[0], "grad_fn", None)
        if grad_fn is not None and type(grad_fn).__name__.startswith("SoftmaxBackward"):
            line = run.line_of(frame)
            if line is not None:
                run.report(SoftmaxIntoLoss(path=line[0], line=line[1], loss=_LOSSES[qualname]))


def find(facts: Facts) -> list[Found]:
    return [Found(f.path, f.line, _DETAILS.get(f.loss, _DETAILS["cross_entropy"])) for f in facts.of(SoftmaxIntoLoss)]


_DETAILS = {
    "cross_entropy": "the input of cross_entropy came straight out of a softmax",
    "nll_loss": "the input of nll_loss came straight out of a softmax (nll_loss expects log-probabilities "
                "from log_softmax)",
}


CHECK = WorkflowCheck(
    id="softmax-into-cross-entropy",
    summary="a softmax output is fed to cross_entropy",
    instead="The reference workflow gives nn.CrossEntropyLoss / F.cross_entropy the raw scores (logits): "
            "it applies log_softmax itself; a model that ends in log_softmax pairs with nll_loss instead.",
    docs="""What it does: when `F.cross_entropy` or `nn.CrossEntropyLoss` runs (or `F.nll_loss` /
`nn.NLLLoss`, which expect log-probabilities), looks at its input's `grad_fn`; fires when it is a
softmax.

Why it matters: softmax is applied twice; gradients shrink and training slows or stalls.""",
    facts=(SoftmaxIntoLoss,),
    find=find,
    watcher=Watch,
)
