"""backward-in-eval-mode: training with dropout/batch norm in eval mode, or inference in train mode."""

from readkit.check.checks import Check, Facts, Found, facts_of, where


def find(facts: Facts) -> list[Found]:
    found = [Found(f["path"], f["line"],
                   f"backward() ran on a loss computed while the model's dropout/batch-norm layers were in "
                   f"eval mode (model called on {where(f, 'module_line')})")
             for f in facts_of(facts, "eval-backward")]
    found += [Found(f["path"], f["line"],
                    "the model ran under no_grad with dropout/batch-norm in train mode, and was not trained "
                    "on that output (inference in train mode)")
              for f in facts_of(facts, "train-inference")]
    return found


CHECK = Check(
    id="backward-in-eval-mode",
    summary="dropout/batch-norm mode does not match training or inference",
    instead="The reference workflow calls model.train() before its training loop and model.eval() "
            "(with torch.no_grad()) before evaluating, and switches back with model.train().",
    docs="""What it does: at each `backward()`, fires when every dropout/batch-norm layer that ran for
that loss was in eval mode (a `model.eval()` never undone). It also fires when a model with such
layers runs under `no_grad` in train mode and that output is not followed by any training
(evaluation that forgot `model.eval()`: dropout stays random, batch norm updates its statistics).

Not a problem: freezing some batch-norm layers in eval mode while the rest trains, generating GAN
samples under `no_grad` in train mode between training steps.""",
    find=find,
)
