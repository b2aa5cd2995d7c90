"""One line a learner understands, for each annotation.

Specific members get their own sentence; everything else gets its role's sentence.
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
}

OPERATOR_MESSAGE = "an operator on tensors (elementwise or matrix math)"
SCHEDULER_STEP = "advance the learning-rate schedule: set the optimizer's lr for the next epoch (or batch)"
# nn classes that are not layers, losses or containers: what each one is
NN_CLASSES: dict[str, str] = {
    "Parameter": "a tensor a module learns: set as a module attribute, it is registered in .parameters()",
    "UninitializedParameter": "a parameter whose shape is decided by the first forward (lazy modules)",
    "Buffer": "a tensor a module keeps in its state_dict but does not learn (running statistics)",
    "PackedSequence": "a batch of variable-length sequences packed for an RNN",
}


CREATION = frozenset("tensor randn rand randint zeros ones empty full arange linspace eye from_numpy "
                     "zeros_like ones_like randn_like rand_like full_like as_tensor stack cat".split())
DUNDER_MESSAGES: dict[str, str] = {
    "__init__": "set up the nn.Module machinery (parameters, submodules, hooks)",
    "__getitem__": "index or slice",
    "__setitem__": "write into the tensor in place (x[i] = v)",
    "__deepcopy__": "copy the tensor: new storage with the same values (and requires_grad)",
    "__iter__": "iterate: one element (or batch) per step",
    "__len__": "the number of elements (or batches)",
    "__bool__": "the truth value of a one-element tensor",
    "__format__": "format the tensor's value as text",
    "__repr__": "print the tensor",
}


def message_for(role: str, symbol: str | None) -> str:
    """The explanation of one annotation. The role's reference step is not repeated on every
    annotation: the summary, `readkit explain ROLE` and the HTML tooltip name it."""
    return _what(role, symbol)


def _what(role: str, symbol: str | None) -> str:
    parts = symbol.split(".") if symbol else []
    member = parts[-1] if parts else None
    if member is None:
        return _title(role)
    if member == "step" and symbol and symbol.startswith("torch.optim.lr_scheduler."):
        return SCHEDULER_STEP
    if member in MEMBER_MESSAGES:
        return MEMBER_MESSAGES[member]
    if member in DUNDER_MESSAGES:
        return DUNDER_MESSAGES[member]
    if member.startswith("__"):
        return OPERATOR_MESSAGE
    if len(parts) == 2 and member in CREATION:
        return f"create a tensor ({member})"
    if symbol and symbol.startswith("torch.nn.functional."):
        return f"apply {member} (functional form: no parameters of its own)"
    if symbol and symbol.startswith("torch.optim.lr_scheduler.") and member[:1].isupper():
        return f"build a learning-rate scheduler ({member})"
    if symbol and symbol.startswith("torch.optim.") and member[:1].isupper():
        return f"build an optimizer ({member}) over the given parameters"
    if role == "nn" and member in NN_CLASSES:
        return NN_CLASSES[member]
    if role == "nn" and member[:1].isupper() and member != "Module":
        return f"a layer/loss/container class ({member}), or a module built from it"
    if role == "tensor" and len(parts) == 3 and parts[1] == "Tensor":
        return f"tensor operation: {member}"
    return _title(role)


def _title(role: str) -> str:
    info = roles.ROLES.get(role)
    return info.title if info else role
