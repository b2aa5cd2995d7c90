"""stochastic-function: the 0.3 REINFORCE API — `action = probs.multinomial()`, `action.reinforce(r)`."""

from __future__ import annotations

import libcst as cst

from readkit.annotate.rules.base import LegacyRule, RuleContext

REINFORCE_NOTE = (
    "reinforce() was removed: m = torch.distributions.Categorical(probs); action = m.sample(); "
    "loss = -m.log_prob(action) * reward; loss.backward()"
)


class StochasticFunction(LegacyRule):
    id = "stochastic-function"
    message = "0.3 stochastic-function API: multinomial() without a count, reinforce() on its result"
    modern = "m = torch.distributions.Categorical(probs); a = m.sample(); (-m.log_prob(a) * reward).backward()"
    why = "torch 2.13 raises TypeError: multinomial() missing 'num_samples', and RuntimeError: reinforce() was removed."
    reference_step = "autograd.backward_of_sum"
    replaces_call = True  # reinforce() was removed: torch.distributions instead
    MARKED = (
        """
        import torch.nn.functional as F
        probs = F.softmax(scores, dim=1)
        action = probs.multinomial()
        """,
        """
        action.reinforce(reward)
        """,
        """
        for action, r in zip(policy.saved_actions, rewards):
            action.reinforce(r)
        """,
    )
    UNMARKED = (
        """
        import torch
        probs = torch.rand(2, 3)
        action = probs.multinomial(1)
        """,
        """
        import numpy as np
        counts = np.random.multinomial(20, [0.5, 0.5])
        """,
        """
        import torch
        m = torch.distributions.Categorical(probs)
        a = m.sample()
        """,
    )
    FIXES = (
        (
            """
            import torch.nn.functional as F
            probs = F.softmax(scores, dim=1)
            action = probs.multinomial()  # sample
            """,
            """
            import torch.nn.functional as F
            probs = F.softmax(scores, dim=1)
            action = probs.multinomial(1)  # sample
            """,
        ),
    )
    NOTED = (
        """
        action.reinforce(reward)
        """,
    )  # the loss must be rewritten around torch.distributions

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute):
            return
        # Both spellings are torch's own (numpy's multinomial needs arguments; nothing else
        # has reinforce(reward)), so a receiver of unknown origin counts too.
        if func.attr.value == "multinomial" and not node.args:
            ctx.report(node, replacement=node.with_changes(args=[cst.Arg(cst.Integer("1"))]))
        elif func.attr.value == "reinforce" and len(node.args) == 1:
            ctx.report(node, note=REINFORCE_NOTE)
