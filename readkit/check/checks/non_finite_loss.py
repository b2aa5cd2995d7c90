"""non-finite-loss: backward() on a NaN or infinite loss."""

from readkit.check.checks import Check, Facts, Found, facts_of


def find(facts: Facts) -> list[Found]:
    return [Found(f["path"], f["line"], f"the loss was {f.get('value', 'not finite')} at backward()")
            for f in facts_of(facts, "non-finite")]


CHECK = Check(
    id="non-finite-loss",
    summary="the loss is NaN or infinite",
    instead="The reference workflow's loss stays finite and decreases: lower the learning rate, check the "
            "inputs for NaN, use log_softmax/cross_entropy rather than log(softmax(x)).",
    docs="""What it does: reads the scalar loss at every `backward()`; fires at the first NaN or infinity.

Why it matters: one non-finite loss turns every parameter it reaches into NaN.""",
    find=find,
)
