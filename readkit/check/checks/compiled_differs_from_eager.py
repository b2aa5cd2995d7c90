"""compiled-differs-from-eager: a torch.compile result that is not the eager model."""

from readkit.check.checks import Check, Facts, Found, facts_of, grouped


def find(facts: Facts) -> list[Found]:
    return grouped(facts_of(facts, "compiled-differs"),
                   lambda f: f"{f.get('api', 'torch.compile')} on {f['variant']}: {f['difference']}")


CHECK = Check(
    id="compiled-differs-from-eager",
    summary="the compiled module differs from eager",
    instead="torch.compile must compute what eager computes; the reference workflow checks compiled against "
            "eager with torch.testing.assert_close before relying on it.",
    docs="""What it does: at the first call of a `torch.compile`d module or function, runs it and the
eager original on the input negated (another branch; same shape, so no recompilation for shape)
and fires when they disagree or only the compiled one fails.""",
    find=find,
)
