"""step-without-gradients: `step` with every .grad None, or with no backward since the last step."""

from readkit.check.checks import Check, Facts, Found, facts_of

_REASONS = {
    "none": "every parameter's .grad was None at this step",
    "no-backward": "no backward() ran since this optimizer's previous step, so the gradients were stale or zero",
    "cleared": "the gradients were cleared (zero_grad) after the last backward() and before this step",
}


def find(facts: Facts) -> list[Found]:
    return [Found(f["path"], f["line"], _REASONS.get(f.get("reason", ""), "no gradient to follow"))
            for f in facts_of(facts, "step-no-grad")]


CHECK = Check(
    id="step-without-gradients",
    summary="optimizer.step() ran without fresh gradients",
    instead="The reference workflow computes the loss and calls loss.backward() before every "
            "optimizer.step(): step only follows the gradients that backward() stored in .grad.",
    docs="""What it does: at each `step`, fires when every trainable parameter of the optimizer has
`.grad` None, when no `backward()` ran since this optimizer's previous `step` and the gradients
were left untouched (or are all zero), or when `zero_grad()` ran between the last `backward()` and
the `step`.

Why it matters: the step does nothing (or repeats an old update); the model does not learn.

Not a problem: LBFGS-style `step(closure)` (the closure runs backward inside step), gradients
assigned by hand (`p.grad = ...`) or computed by `torch.autograd.grad` and stored, frozen layers.""",
    find=find,
)
