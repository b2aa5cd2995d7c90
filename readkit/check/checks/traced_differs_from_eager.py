"""traced-differs-from-eager: a torch.jit.trace result that is not the eager model on another input."""

from readkit.check.checks import Check, Facts, Found, facts_of


def find(facts: Facts) -> list[Found]:
    return [Found(f["path"], f["line"], f"on {f['variant']}: {f['difference']}")
            for f in facts_of(facts, "traced-differs")]


CHECK = Check(
    id="traced-differs-from-eager",
    summary="the traced module differs from eager on an input of another shape or branch",
    instead="Tracing records the one path the example input took and freezes shapes and branches; "
            "the reference workflow uses torch.export with a dynamic Dim (and torch.cond for branches), "
            "or torch.compile, and compares with eager on more than the traced input.",
    docs="""What it does: right after `torch.jit.trace(f, example)`, runs `f` and the traced version on
the example negated and on a batch one larger and one smaller (restoring random state and batch-norm
statistics afterwards) and fires when they disagree or only the traced one fails.""",
    find=find,
)
