"""gradients-accumulate: `step` after `step` with no `zero_grad` in between."""

from readkit.check.checks import Check, Facts, Found, facts_of, where


def find(facts: Facts) -> list[Found]:
    return [Found(f["path"], f["line"],
                  f"{f['params']} of {f['total']} parameters still held the previous step's gradient "
                  + (f"(optimizer from {where(f, 'optimizer_line')})" if f.get("optimizer_line")
                     else "(a manual update under no_grad, without w.grad.zero_() in between)"))
            for f in facts_of(facts, "accumulated")]


CHECK = Check(
    id="gradients-accumulate",
    summary="gradients accumulate from one step to the next",
    instead="The reference workflow calls optimizer.zero_grad() in every iteration before backward(), "
            "because backward() adds to .grad rather than replacing it.",
    docs="""What it does: compares each parameter's `.grad` at a `step` with the one left by the previous
step; it fires when the same gradient tensor was added to in place and never cleared in between
(`optimizer.zero_grad()`, `model.zero_grad()`, `p.grad = None`, `p.grad.zero_()`). Manual updates
without an optimizer (`w -= lr * w.grad` under `no_grad`) are checked the same way, update to update.

Why it matters: each step then follows the sum of all past gradients, not the current one.

Not a problem (does not fire): accumulating on purpose (several `backward()` per `step`, then
`zero_grad()`), `zero_grad(set_to_none=True)` after `step`, `model.zero_grad()`, two optimizers in a
GAN each zeroing its own parameters, LBFGS closures.""",
    find=find,
)
