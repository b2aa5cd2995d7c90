"""The codemod as a whole: a 0.3-era script in, code that runs on torch 2.13 out;
modern code untouched byte for byte; a second run changes nothing."""

from __future__ import annotations

import textwrap
import warnings

import pytest
import torch

from readkit.results.check import LineObservation
from readkit.migrate.codemod import migrate_source
from readkit.results.migrate import Change

OLD_SCRIPT = textwrap.dedent(
    '''\
    """A 2017-style training script."""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from torch.autograd import Variable

    torch.manual_seed(0)
    x = Variable(torch.randn(32, 5))
    y = Variable(torch.randint(0, 3, (32,)))
    model = nn.Linear(5, 3)
    criterion = nn.CrossEntropyLoss(size_average=False)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    losses = []
    for epoch in range(3):
        opt.zero_grad()
        loss = criterion(model(x), y)  # summed
        loss.backward(retain_variables=True)
        opt.step()
        losses.append(loss.data[0])

    def evaluate(inputs):
        inputs = Variable(inputs, volatile=True)
        return F.log_softmax(model(inputs)).exp()

    probs = evaluate(torch.randn(4, 5))
    '''
)


def _run(code: str) -> dict[str, object]:
    scope: dict[str, object] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(code, "<migrated>", "exec"), scope)  # noqa: S102 - our own fixture
    return scope


def test_old_script_fails_and_migrated_script_runs() -> None:
    with pytest.raises(TypeError, match="retain_variables"):
        _run(OLD_SCRIPT)
    migrated = migrate_source(OLD_SCRIPT, "train.py")
    scope = _run(migrated.code)
    losses = scope["losses"]
    assert isinstance(losses, list) and len(losses) == 3 and all(isinstance(v, float) for v in losses)
    assert losses[2] < losses[0]  # it trains
    assert "Variable" not in migrated.code and "retain_graph=True" in migrated.code
    assert "reduction='sum'" in migrated.code and "loss.item()" in migrated.code
    assert "    with torch.no_grad():\n        return F.log_softmax(model(inputs)).exp()\n" in migrated.code
    assert "x = torch.randn(32, 5)\n" in migrated.code and "inputs = inputs" not in migrated.code


def test_changes_and_notes_name_their_lines() -> None:
    migrated = migrate_source(OLD_SCRIPT, "train.py")
    changed = {(c.line, c.idiom) for c in migrated.changes}
    assert {(8, "variable-wrapper"), (11, "size-average"), (17, "retain-variables"), (19, "data-index-zero")} <= changed
    assert (23, "implicit-softmax-dim") in {(n.line, n.idiom) for n in migrated.notes}
    assert "F.log_softmax(model(inputs))" in migrated.code  # no run: the dim is left alone


def test_second_run_changes_nothing() -> None:
    once = migrate_source(OLD_SCRIPT).code
    twice = migrate_source(once)
    assert twice.code == once and twice.changes == ()


def test_modern_code_comes_back_byte_identical() -> None:
    modern = (
        "import torch  # tabs, odd spacing and comments stay\n"
        "import torch.nn.functional as F\n\n"
        "def step(model,opt , x,y):\n"
        "\topt.zero_grad()\n"
        "\tloss = F.cross_entropy(model(x), y, reduction = 'sum')   # summed\n"
        "\tloss.backward(retain_graph=True)\n"
        "\topt.step()\n"
        "\treturn loss.item()\n"
    )
    migrated = migrate_source(modern)
    assert migrated.code == modern and migrated.changes == ()


def test_comments_and_formatting_outside_changed_spans_are_kept() -> None:
    code = "import torch\n# header comment\nx = torch.randn(3)   # keep spacing\nprint( loss.data[0] )  # log it\n"
    assert migrate_source(code).code == (
        "import torch\n# header comment\nx = torch.randn(3)   # keep spacing\nprint( loss.item() )  # log it\n"
    )


@pytest.mark.parametrize(("shape", "dim"), [("float32[64, 10] cpu", 1), ("float32[10] cpu", 0), ("float32[2, 3, 4] cpu", 0)])
def test_observed_rank_decides_softmax_dim(shape: str, dim: int) -> None:
    code = "import torch.nn.functional as F\np = F.softmax(logits)\n"
    seen = {2: LineObservation("m.py", 2, ("nn",), 1, shapes=(shape,))}
    migrated = migrate_source(code, "m.py", observations=seen)
    assert migrated.code == f"import torch.nn.functional as F\np = F.softmax(logits, dim={dim})\n"
    logits = torch.randn(*[int(n) for n in shape[shape.index("[") + 1 : shape.index("]")].split(",")])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        implicit = torch.nn.functional.softmax(logits)
    assert torch.equal(implicit, torch.nn.functional.softmax(logits, dim=dim))  # the dim torch picked


def test_explicit_dim_none_is_implicit_too() -> None:
    code = "import torch.nn.functional as F\np = F.log_softmax(logits, dim=None)\n"
    seen = {2: LineObservation("m.py", 2, ("nn",), 1, shapes=("float32[8, 3] cpu",))}
    migrated = migrate_source(code, "m.py", observations=seen)
    assert migrated.code == "import torch.nn.functional as F\np = F.log_softmax(logits, dim=1)\n"


def test_conflicting_observed_ranks_leave_the_line_with_a_note() -> None:
    code = "import torch.nn.functional as F\np = F.softmax(logits).view(-1)\n"
    seen = {2: LineObservation("m.py", 2, ("nn",), 2, shapes=("float32[4, 3] cpu", "float32[12] cpu"))}
    migrated = migrate_source(code, "m.py", observations=seen)
    assert migrated.code == code
    assert [n.idiom for n in migrated.notes] == ["implicit-softmax-dim"]


def test_observed_zero_dim_value_decides_data_index() -> None:
    code = "import torch\nacc = accuracy(pred, y)\nprint(acc.data[0])\n"
    assert migrate_source(code).code == code  # `acc` could be anything without a run
    seen = {3: LineObservation("m.py", 3, ("tensor",), 1, shapes=("float32[] cpu",))}
    migrated = migrate_source(code, "m.py", observations=seen)
    assert migrated.code == "import torch\nacc = accuracy(pred, y)\nprint(acc.item())\n"
    matrix = {3: LineObservation("m.py", 3, ("tensor",), 1, shapes=("float32[4] cpu",))}
    assert migrate_source(code, "m.py", observations=matrix).code == code
    per_item = "import torch\nloss = crit(out, y)\nprint(loss.data[0])\n"  # a loss name, but the run saw 1-D
    assert migrate_source(per_item, "m.py", observations=matrix).code == per_item


def test_async_keyword_is_renamed_before_parsing() -> None:
    migrated = migrate_source("import torch\nif args.cuda:\n    x = x.cuda(async=True)\n")
    assert migrated.code == "import torch\nif args.cuda:\n    x = x.cuda(non_blocking=True)\n"
    assert migrated.changes == (Change(3, "async-argument", "async=", "non_blocking="),)


def test_self_assignment_left_by_a_fix_goes_but_its_comments_stay() -> None:
    code = (
        "from torch.autograd import Variable\ndef f(x, y):\n    # wrap\n    x, y = Variable(x), Variable(y)\n"
        "    return x + y\ndef g(x):\n    x = Variable(x)\n"
    )
    assert migrate_source(code).code == "def f(x, y):\n    # wrap\n    return x + y\ndef g(x):\n    x = x\n"
    trailing = "from torch.autograd import Variable\ndef f(x):\n    x = Variable(x)  # on the GPU\n    return x * 2\n"
    assert migrate_source(trailing).code == "def f(x):\n    # on the GPU\n    return x * 2\n"


def test_variable_import_kept_while_a_use_remains() -> None:
    code = "from torch.autograd import Variable\nx = Variable(t)\nwrappers = {'variable': Variable}\n"
    assert migrate_source(code).code == "from torch.autograd import Variable\nx = t\nwrappers = {'variable': Variable}\n"


def test_cuda_type_fix_runs_on_a_cpu_machine() -> None:
    migrated = migrate_source("import torch\nx = torch.ones(2).type(torch.cuda.FloatTensor)\n")
    scope = _run(migrated.code)
    x = scope["x"]
    assert isinstance(x, torch.Tensor) and x.dtype == torch.float32
    assert x.device.type == ("cuda" if torch.cuda.is_available() else "cpu")
