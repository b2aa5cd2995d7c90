"""Each annotation's one line tells the truth about the use in front of it (issue 11 §5)."""

from __future__ import annotations

import textwrap

from readkit.annotate import annotate_source

CODE = textwrap.dedent(
    """\
    import copy
    import torch
    import torch.nn as nn
    x = torch.zeros(3)
    x[0] = 1.0
    a, x[2] = 1, 2
    y = x[1]
    c = copy.deepcopy(x)
    p = nn.Parameter(torch.zeros(2))
    opt = torch.optim.SGD([p], lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, 10)
    opt.step()
    sched.step()
    layer = nn.Linear(2, 2)
    """
)


def _messages() -> dict[tuple[int, str | None], str]:
    return {(a.line, a.symbol): a.message for a in annotate_source(CODE).annotations}


def test_a_write_into_a_tensor_is_setitem_not_an_index() -> None:
    found = _messages()
    assert "write into the tensor" in found[(5, "torch.Tensor.__setitem__")]
    assert (5, "torch.Tensor.__getitem__") not in found
    assert (6, "torch.Tensor.__setitem__") in found  # a target inside a tuple
    assert found[(7, "torch.Tensor.__getitem__")] == "index or slice"


def test_deepcopy_is_a_copy_not_an_operator() -> None:
    message = _messages()[(8, "torch.Tensor.__deepcopy__")]
    assert message.startswith("copy the tensor") and "operator" not in message


def test_parameter_is_a_learned_tensor_not_a_layer() -> None:
    message = _messages()[(9, "torch.nn.Parameter")]
    assert "learns" in message and "layer" not in message
    assert "layer" in _messages()[(14, "torch.nn.Linear")]


def test_scheduler_step_explains_the_schedule_not_the_update() -> None:
    found = _messages()
    assert found[(12, "torch.optim.SGD.step")] == "update parameters from their .grad"
    scheduler = found[(13, "torch.optim.lr_scheduler.StepLR.step")]
    assert "learning-rate schedule" in scheduler and ".grad" not in scheduler
