"""One line a learner understands, for each annotation.

Specific members get their own sentence; everything else gets its role's sentence, which
names the reference step that demonstrates the role (`readkit run-reference --step ...`).
"""

from __future__ import annotations

from readkit import roles

MEMBER_MESSAGES: dict[str, str] = {
    "step": "update parameters from their .grad",
    "zero_grad": "reset the .grad of the parameters before the next backward",
    "backward": "compute gradients of this value with respect to the leaves",
    "grad": "the gradient accumulated by backward()",
    "grad_fn": "the graph node that produced this tensor",
    "detach": "a tensor cut from the graph",
    "requires_grad_": "make autograd record operations on this tensor",
    "requires_grad": "whether autograd records operations on this tensor",
    "no_grad": "run without recording the graph (inference, manual updates)",
    "inference_mode": "run without recording the graph, faster than no_grad",
    "parameters": "the module's learnable tensors (what an optimizer updates)",
    "named_parameters": "the module's learnable tensors, with their names",
    "state_dict": "the tensors to save and load",
    "load_state_dict": "restore saved tensors",
    "train": "switch dropout/batch-norm to training behaviour",
    "eval": "switch dropout/batch-norm to inference behaviour",
    "__call__": "run the module's forward (with hooks)",
    "item": "the Python number held by a one-element tensor",
    "to": "move or convert to a device/dtype",
    "cuda": "move to the GPU",
    "view": "the same storage seen with another shape",
    "param_groups": "the optimizer's parameter groups and their settings (lr, ...)",
    "data": "the raw tensor behind the graph (bypasses autograd)",
    "Variable": "legacy wrapper: since 0.4 tensors track gradients themselves",
    "save": "serialize tensors or a state_dict to a file",
    "load": "read tensors or a state_dict from a file",
    "__iter__": "iterate",
    "__getitem__": "index or slice",
}

OPERATOR_MESSAGE = "an operator on tensors (elementwise or matrix math)"


def message_for(role: str, symbol: str | None) -> str:
    """The explanation of one annotation."""
    member = symbol.rsplit(".", 1)[-1] if symbol else None
    if member is not None and member in MEMBER_MESSAGES:
        return MEMBER_MESSAGES[member] + _step_hint(role)
    if member is not None and member.startswith("__") and member != "__init__":
        return OPERATOR_MESSAGE + _step_hint(role)
    info = roles.ROLES.get(role)
    return (info.title if info else role) + _step_hint(role)


def _step_hint(role: str) -> str:
    info = roles.ROLES.get(role)
    if info is None or info.reference_step is None:
        return ""
    return f" (see run-reference --step {info.reference_step})"
