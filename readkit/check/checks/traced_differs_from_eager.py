"""traced-differs-from-eager: a torch.jit.trace result that is not the eager model on another input."""

from readkit.check.checks import Check, Facts, Found, facts_of, grouped


def find(facts: Facts) -> list[Found]:
    return grouped(facts_of(facts, "traced-differs"),
                   lambda f: f"{f.get('api', 'torch.jit.trace')} on {f['variant']}: {f['difference']}")


CHECK = Check(
    id="traced-differs-from-eager",
    summary="the traced or exported module differs from eager on an input of another shape or branch",
    instead="Tracing records the one path the example input took and freezes shapes and branches; "
            "the reference workflow uses torch.export with a dynamic Dim (and torch.cond for branches), "
            "or torch.compile, and compares with eager on more than the traced input.",
    docs="""What it does: right after `torch.jit.trace(f, example)` or `torch.export.export(m, args)`,
runs eager and the traced version (the exported program's `.module()`) on the example negated and on
a batch one larger and one smaller (restoring random state and batch-norm statistics afterwards) and
fires when they disagree or only the traced one fails — an export without a dynamic `Dim` refuses
other batch sizes, which is worth knowing before serving it.

Not a problem: a module without data-dependent branches and without sizes baked into it.""",
    find=find,
)
