"""parameters-outside-optimizer: parameters that receive gradients but no optimizer updates."""

from readkit.check.checks import Check, Facts, Found, facts_of, where


def find(facts: Facts) -> list[Found]:
    return [Found(f["path"], f["line"],
                  f"{f['params']} parameters of this {f['module']} received gradients but belong to no "
                  f"optimizer (seen at the step on {where(f, 'step_line')})")
            for f in facts_of(facts, "outside")]


CHECK = Check(
    id="parameters-outside-optimizer",
    summary="parameters receive gradients but belong to no optimizer",
    instead="The reference workflow passes all the model's parameters to the optimizer "
            "(optim.SGD(model.parameters(), ...)), and freezes the ones it does not train "
            "with requires_grad_(False) so that no gradient is computed for them.",
    docs="""What it does: at the first steps, looks at the parameters of every module called from the
target's code; fires when some have a `.grad` but no optimizer holds them (checked again at exit
against all optimizers, so a GAN's second optimizer counts).

Why it matters: those parameters never learn, and computing their gradients is wasted.

Not a problem: frozen layers (`requires_grad=False`), modules only run under `no_grad`, manual
updates without any optimizer.""",
    find=find,
)
