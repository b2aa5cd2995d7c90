"""softmax-into-cross-entropy: cross_entropy fed probabilities instead of logits."""

from readkit.check.checks import Check, Facts, Found, facts_of


def find(facts: Facts) -> list[Found]:
    return [Found(f["path"], f["line"], "the input of cross_entropy came straight out of a softmax")
            for f in facts_of(facts, "softmax-ce")]


CHECK = Check(
    id="softmax-into-cross-entropy",
    summary="a softmax output is fed to cross_entropy",
    instead="The reference workflow gives nn.CrossEntropyLoss / F.cross_entropy the raw scores (logits): "
            "it applies log_softmax itself; a model that ends in log_softmax pairs with nll_loss instead.",
    docs="""What it does: when `F.cross_entropy` or `nn.CrossEntropyLoss` runs, looks at its input's
`grad_fn`; fires when it is a softmax.

Why it matters: softmax is applied twice; gradients shrink and training slows or stalls.""",
    find=find,
)
