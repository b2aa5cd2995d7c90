"""parameters-not-updated: parameters with non-zero gradients that a step left unchanged."""

from typing import Any

from readkit.check.checks import Check, Facts, Found, facts_of, where

MIN_SAMPLES = 2


def find(facts: Facts) -> list[Found]:
    by_optimizer: dict[Any, list[dict[str, Any]]] = {}
    for fact in facts_of(facts, "unchanged"):
        by_optimizer.setdefault(fact["optimizer"], []).append(fact)
    found = []
    for samples in by_optimizer.values():
        # All of them, not some: a bias in front of batch norm has a gradient of ~1e-9 whose
        # update rounds away in float32, and that is not a bug.
        if len(samples) >= MIN_SAMPLES and all(0 < s["unchanged"] == s["checked"] for s in samples):
            last = samples[-1]
            found.append(Found(last["path"], last["line"],
                               f"{last['unchanged']} of {last['checked']} parameters with non-zero gradients "
                               f"kept their values over {len(samples)} sampled steps (learning rates "
                               f"{last['lrs']}; optimizer from {where(last, 'optimizer_line')})"))
    found += [Found(f["path"], f["line"], f"backward() ran {f['backwards']} times but this optimizer's step() "
                                          "never did")
              for f in facts_of(facts, "never-stepped")]
    return found


CHECK = Check(
    id="parameters-not-updated",
    summary="optimizer.step() did not change parameters that have gradients",
    instead="The reference workflow builds the optimizer from model.parameters() with a learning rate "
            "above zero (optim.SGD(model.parameters(), lr=1e-2)), so that each step moves every "
            "parameter against its gradient.",
    docs="""What it does: on a few sampled steps (the 1st, 2nd, 3rd, 10th, 50th), compares parameters
with non-zero gradients before and after `step`; fires when none of them moved in any sample
(learning rate 0, parameters replaced after the optimizer was built, a step that skips them). It
also fires, at the optimizer's construction, when `backward()` ran at least twice and gradients
reached the optimizer's parameters but its `step()` never ran.

Not a problem: a learning-rate warm-up that starts at 0 (later samples move), frozen parameters
(no gradient), parameters whose gradient is zero.""",
    find=find,
)
