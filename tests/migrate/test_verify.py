"""Verification: the comparison rules on their own, then end to end with a deliberately wrong migration."""


import pytest

from readkit.results.check import TargetFailure
from readkit.migrate import migrate_paths
from readkit.results.migrate import RunOutcome
from readkit.migrate.verify import compare
from readkit.results.migrate import describe_run as describe


INDEX_ERROR = TargetFailure("exception", "IndexError: invalid index of a 0-dim tensor", "/p/main.py", 55)


def ok(*losses):
    return RunOutcome("ok", 0, None, tuple(losses), 1.0)


def failed(*losses, failure=INDEX_ERROR):
    return RunOutcome("failed", 1, failure, tuple(losses), 1.0)


def timeout(*losses):
    return RunOutcome("timeout", None, TargetFailure("timeout", "timed out after 60 s"), tuple(losses), 60.0)


@pytest.mark.parametrize("original, migrated, verdict", [
    (ok(1.0, 0.5), ok(1.0, 0.5), "agrees"),
    (ok(1.0, 0.5), ok(1.0, 0.50001), "agrees"),  # within rtol 1e-4
    (ok(1.0, 0.5), ok(1.0, 0.5006), "regression"),  # numbers moved
    (ok(1.0, 0.5), ok(1.0), "regression"),  # fewer steps
    (ok(1.0, 0.5), failed(1.0), "regression"),  # a running script now fails
    (failed(1.0), ok(1.0, 0.5), "fixed"),
    (failed(1.0), ok(1.1, 0.5), "regression"),  # fixed, but the losses it had before moved
    (failed(1.0, 0.9), failed(1.0, 0.9, 0.8), "still-fails"),
    (failed(1.0, 0.9), failed(1.0), "regression"),  # fails earlier than before
    (ok(float("nan")), ok(float("nan")), "agrees"),
    (timeout(1.0, 0.5), timeout(1.0, 0.5, 0.4), "agrees"),  # a long run verified up to --timeout
    (timeout(1.0, 0.5), failed(1.0), "regression"),
    (ok(1.0, 0.5), timeout(1.0), "regression"),
    (failed(), timeout(1.0), "fixed"),
])
def test_verdicts(original, migrated, verdict):
    assert compare("main.py", (), original, migrated).verdict == verdict


def test_on_cuda_only_the_first_losses_are_compared_and_more_loosely():
    from dataclasses import replace

    drift = [1.0 + 0.00008 * i for i in range(10)] + [2.0, 3.0]  # nondeterministic kernels after step 10
    original = replace(ok(*([1.0] * 12)), cuda=True)
    assert compare("main.py", (), original, replace(ok(*drift), cuda=True)).verdict == "agrees"
    assert compare("main.py", (), ok(*([1.0] * 12)), ok(*drift)).verdict == "regression"  # on CPU: exact
    assert compare("main.py", (), original, replace(ok(*([1.01] * 12)), cuda=True)).verdict == "regression"


def test_nothing_changed_means_nothing_rerun():
    assert compare("main.py", (), failed(), None).verdict == "still-fails"
    assert compare("main.py", (), ok(1.0), None).verdict == "agrees"


def test_describe_names_the_exception_and_line(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    failure = TargetFailure("exception", "IndexError: invalid index", str(tmp_path / "main.py"), 55)
    assert describe(failed(failure=failure)) == "IndexError at main.py:55"
    assert describe(ok(1.0, 2.0)) == "ok (2 losses)"
    timeout = RunOutcome("timeout", None, TargetFailure("timeout", "timed out after 5 s"), (), 5.0)
    assert describe(timeout) == "timed out after 5 s"


def test_a_syntax_error_is_located_in_the_users_file(tmp_path):
    from readkit.results.check import CheckResult
    from readkit.migrate.scratch import outcome

    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "model.py").write_text("x = f(async=True)\n")
    failure = TargetFailure("exception", "SyntaxError: invalid syntax (model.py, line 1)", "<frozen runpy>", 259)
    result = CheckResult("launcher.py", "failed", 1, 1.0, failure=failure)
    seen = outcome(result, tmp_path / "copy", tmp_path, tmp_path / "main.py")
    assert (seen.failure.path, seen.failure.line) == (str(tmp_path / "pkg" / "model.py"), 1)


def test_the_traceback_reads_as_python_prints_it(tmp_path):
    from readkit.results.check import CheckResult
    from readkit.migrate.scratch import outcome

    copy, root = tmp_path / "scratch" / "proj", tmp_path / "proj"
    output = (f'Traceback (most recent call last):\n'
              f'  File "{copy}/_readkit_seeded_run.py", line 15, in <module>\n'
              f'    runpy.run_path("{copy}/a.py", run_name="__main__")\n'
              f'  File "<frozen runpy>", line 291, in run_path\n'
              f'  File "{copy}/a.py", line 12, in <module>\n'
              f'    x = FloatTensor(3)\n'
              f'        ^^^^^^^^^^^^^^\n'
              f"TypeError: 'torch.dtype' object is not callable\n")
    result = CheckResult("l.py", "failed", 1, 1.0, output=output)
    assert outcome(result, copy, root, root / "a.py").output == (
        f'Traceback (most recent call last):\n'
        f'  File "{root}/a.py", line 12, in <module>\n'
        f'    x = FloatTensor(3)\n'
        f'        ^^^^^^^^^^^^^^\n'
        f"TypeError: 'torch.dtype' object is not callable\n")


def test_regression_message_gives_both_numbers():
    verification = compare("main.py", (), ok(2.0, 1.0), ok(2.0, 1.5))
    assert verification.message.startswith("loss 2 differs: 1.0 before, 1.5 after")
    assert verification.losses_compared == 1


# ---- end to end: the real checker runs the script twice ---------------------------------

SCRIPT = """\
import torch
torch.manual_seed(0)
w = torch.randn(5, 1, requires_grad=True)
x, y = torch.randn(32, 5), torch.randn(32, 1)
learning_rate = 1e-6
for step in range(5):
    loss = ((x @ w - y) ** 2).sum()
    loss.backward()
    print(step, loss.data[0])
    with torch.no_grad():
        w -= learning_rate * 1e5 * w.grad
        w.grad.zero_()
"""


def test_verify_catches_a_wrong_migration_and_refuses_to_write(tmp_path, wrong_codemod):
    script = SCRIPT.replace("print(step, loss.data[0])", "print(step, float(loss))  # loss.data[0]")
    (tmp_path / "main.py").write_text(script)
    result = migrate_paths([tmp_path], write=True, verify_script=tmp_path / "main.py", timeout=120)
    check = result.verification
    assert check.original.ok and check.migrated.ok and len(check.original.losses) == 5
    assert check.verdict == "regression" and "loss 2 differs" in check.message
    assert result.write_refused and result.exit_code == 2
    assert (tmp_path / "main.py").read_text() == script


@pytest.mark.slow
def test_verify_passes_a_right_migration_and_writes(tmp_path, stub_codemod):
    (tmp_path / "main.py").write_text(SCRIPT)
    result = migrate_paths([tmp_path], write=True, verify_script=tmp_path / "main.py", timeout=120)
    assert result.verification.verdict == "fixed", result.verification.message
    assert len(result.verification.migrated.losses) == 5
    assert "loss.item()" in (tmp_path / "main.py").read_text()


@pytest.mark.slow
def test_verify_catches_a_migration_that_breaks_a_running_script(tmp_path, crashing_codemod):
    (tmp_path / "main.py").write_text(SCRIPT.replace("loss.data[0]", "float(loss)"))
    result = migrate_paths([tmp_path], out_dir=tmp_path / "out", verify_script=tmp_path / "main.py", timeout=120)
    assert result.verification.verdict == "regression"
    assert "AttributeError" in result.verification.message
    assert not (tmp_path / "out").exists()


def test_observations_move_back_to_the_original_lines(tmp_path):
    from readkit.results.check import LineObservation
    from readkit.migrate.runs import _to_original_lines

    original = tmp_path / "m.py"
    original.write_text("import torch\nfrom torch.autograd import Variable\nx = Variable(t)\ny = F.softmax(x)\n")
    migrated = "import torch\nx = t\ny = F.softmax(x)\nz = 1\n"
    seen = {n: LineObservation(str(original), n, ("nn",), n, ("float32[4, 3] cpu",)) for n in (1, 2, 3, 4)}
    moved = _to_original_lines(seen, (migrated, "utf-8"), original)
    # migrated line 3 (softmax) is original line 4; line 2 replaced two lines (ambiguous), line 4 is new
    assert {line: (obs.line, obs.calls) for line, obs in moved.items()} == {1: (1, 1), 4: (4, 3)}


@pytest.mark.slow
def test_run_decides_softmax_dim_even_when_the_original_fails_early(tmp_path):
    import shutil

    from .conftest import FIXTURES

    project = shutil.copytree(FIXTURES / "mnist_mlp", tmp_path / "mnist_mlp")
    result = migrate_paths([project], run_script=project / "main.py", script_args=("--epochs", "1"), timeout=120)
    assert result.observed_run.failure.message.startswith("SyntaxError")  # `async=`: nothing observed
    assert result.observed_rerun.ok
    model = next(f for f in result.files if f.path.endswith("model.py"))
    assert "+        return F.log_softmax(self.fc2(x), dim=1)" in model.diff
    assert not any(n.idiom == "implicit-softmax-dim" for n in model.notes)


@pytest.mark.slow
def test_a_script_that_only_warns_migrates_to_the_same_numbers(tmp_path):
    import shutil

    from .conftest import FIXTURES

    project = shutil.copytree(FIXTURES / "upsample_autoencoder", tmp_path / "ae")
    result = migrate_paths([project], verify_script=project / "main.py", timeout=120)
    check = result.verification
    assert check.verdict == "agrees", check.message
    assert check.losses_compared == 15 and check.max_relative_difference <= 1e-6


LIB_MODEL = """\
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return F.log_softmax(self.fc(x))
"""
SUB_SCRIPT = """\
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))
import torch
from torch.autograd import Variable
from lib.model import Net
from helpers import steps

net = Net()
opt = torch.optim.SGD(net.parameters(), lr=0.1)
for i in range(steps()):
    x = Variable(torch.randn(8, 4))
    y = Variable(torch.randint(0, 3, (8,)))
    loss = torch.nn.functional.nll_loss(net(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(loss.data[0])
"""


@pytest.mark.slow
def test_a_script_in_a_subfolder_is_observed_across_the_project(tmp_path):
    (tmp_path / "proj" / "lib").mkdir(parents=True)
    (tmp_path / "proj" / "scripts").mkdir()
    (tmp_path / "proj" / "lib" / "__init__.py").write_text("")
    (tmp_path / "proj" / "lib" / "model.py").write_text(LIB_MODEL)
    (tmp_path / "proj" / "scripts" / "helpers.py").write_text("def steps():\n    return 5\n")
    script = tmp_path / "proj" / "scripts" / "train.py"
    script.write_text(SUB_SCRIPT)
    result = migrate_paths([tmp_path / "proj"], run_script=script, verify_script=script, timeout=120)
    model = next(f for f in result.files if f.path.endswith("model.py"))
    assert "+        return F.log_softmax(self.fc(x), dim=1)" in model.diff  # seen in lib/, outside scripts/
    assert result.verification.verdict == "fixed" and len(result.verification.migrated.losses) == 5
