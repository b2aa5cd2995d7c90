"""softmax-into-cross-entropy: cross_entropy fed probabilities instead of logits."""

from readkit.check.checks import Check, Facts, Found, facts_of


def find(facts: Facts) -> list[Found]:
    return [Found(f["path"], f["line"], _DETAILS.get(f.get("loss", ""), _DETAILS["cross_entropy"]))
            for f in facts_of(facts, "softmax-ce")]


_DETAILS = {
    "cross_entropy": "the input of cross_entropy came straight out of a softmax",
    "nll_loss": "the input of nll_loss came straight out of a softmax (nll_loss expects log-probabilities "
                "from log_softmax)",
}


CHECK = Check(
    id="softmax-into-cross-entropy",
    summary="a softmax output is fed to cross_entropy",
    instead="The reference workflow gives nn.CrossEntropyLoss / F.cross_entropy the raw scores (logits): "
            "it applies log_softmax itself; a model that ends in log_softmax pairs with nll_loss instead.",
    docs="""What it does: when `F.cross_entropy` or `nn.CrossEntropyLoss` runs (or `F.nll_loss` /
`nn.NLLLoss`, which expect log-probabilities), looks at its input's `grad_fn`; fires when it is a
softmax.

Why it matters: softmax is applied twice; gradients shrink and training slows or stalls.""",
    find=find,
)
