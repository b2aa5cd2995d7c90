"""Whole runs in a child process: which checks fire, and what a failing target leaves behind.

Each run costs a torch import in the child (~1.5 s here): assertions are batched per run,
and the heavier runs are marked slow.
"""

import json
import sys

import pytest
from click.testing import CliRunner

from readkit.check import TargetError, check_target
from readkit.check.checks import all_checks
from readkit.cli import cli
from tests.check.conftest import FIXTURES

FAST_CHECKS = [c.id for c in all_checks() if c.id != "compiled-differs-from-eager"]


def fired(result):
    return sorted({problem.check for problem in result.problems})


@pytest.mark.parametrize("check_id", FAST_CHECKS)
def test_bad_fixture_triggers_exactly_its_check(check_id):
    result = check_target(FIXTURES / f"{check_id}__bad.py", quiet=True, reconcile=False, timeout=120)
    assert result.status == "ok", result.output
    assert fired(result) == [check_id]
    problem = result.problems[0]
    assert problem.path.endswith(f"{check_id}__bad.py") and problem.line > 0


@pytest.mark.slow
@pytest.mark.parametrize("check_id", [c.id for c in all_checks()])
def test_good_fixture_triggers_nothing(check_id):
    result = check_target(FIXTURES / f"{check_id}__good.py", quiet=True, reconcile=False, timeout=300)
    assert result.status == "ok", result.output
    assert fired(result) == []


@pytest.mark.slow
def test_compiled_differs_fires_on_a_replaying_backend():
    result = check_target(FIXTURES / "compiled-differs-from-eager__bad.py", quiet=True, reconcile=False, timeout=300)
    assert fired(result) == ["compiled-differs-from-eager"]


def test_inference_in_train_mode_is_reported_at_the_model_call():
    result = check_target(FIXTURES / "evaluation-in-train-mode__bad.py", quiet=True, reconcile=False)
    assert fired(result) == ["evaluation-in-train-mode"]
    assert result.problems[0].line == 15  # predictions = model(x).argmax(dim=1)
    assert "under torch.no_grad()" in result.problems[0].message and "Dropout" in result.problems[0].message


def test_a_legacy_predict_without_eval_or_no_grad_is_an_evaluation_in_train_mode():
    result = check_target(FIXTURES / "evaluation-in-train-mode__bad_legacy.py", quiet=True, reconcile=False)
    assert result.status == "ok", result.output
    assert fired(result) == ["evaluation-in-train-mode"]
    assert result.problems[0].line == 28  # scores = model.forward(Variable(x))
    assert "no backward() followed" in result.problems[0].message


def test_correct_training_code_in_many_shapes_is_not_a_problem():
    result = check_target(FIXTURES / "projects" / "correct_patterns.py", quiet=True, timeout=120)
    assert result.status == "ok", result.output
    assert fired(result) == []
    observable = [a for a in result.annotations if a.verdict in ("confirmed", "refuted")]
    confirmed = [a for a in observable if a.verdict == "confirmed"]
    assert len(observable) > 50 and len(confirmed) / len(observable) >= 0.97, \
        [a for a in observable if a.verdict == "refuted"]
    by_line = {line.line: line for line in result.lines}
    assert "data" in by_line[18].roles  # for xb, yb in loader
    assert "float32[16, 1] cpu" in by_line[20].shapes  # model(xb) on a batch of 16


def test_a_crash_reports_the_exception_its_line_and_what_ran_before():
    result = check_target(FIXTURES / "runs" / "crash_legacy_index.py", quiet=True, reconcile=False)
    assert (result.status, result.exit_code) == ("failed", 1)
    assert result.failure.kind == "exception" and result.failure.message.startswith("IndexError")
    assert result.failure.line == 13 and result.failure.path.endswith("crash_legacy_index.py")
    assert len(result.losses) == 1  # the one backward before the crash
    assert {line.line for line in result.lines} >= {9, 10, 11, 12}
    assert "IndexError" in result.output  # the traceback, as python would print it
    assert result.workflow == "checked"  # a backward ran before the crash


def test_a_target_failing_before_any_training_step_says_the_workflow_was_not_checked(tmp_path):
    from readkit.render.check import to_json, to_text

    script = tmp_path / "broken.py"
    script.write_text("import torch\nmodel = torch.nn.Linear(2, 1)\nmodel(torch.ones(3))\n")
    result = check_target(script, quiet=True, reconcile=False)
    assert result.status == "failed" and result.workflow == "not-checked"
    assert "failed before any training step" in result.workflow_reason and "RuntimeError" in result.workflow_reason
    assert "no workflow problem found" not in to_text(result) and "workflow not checked" in to_text(result)
    assert json.loads(to_json(result))["workflow"] == {"status": "not-checked", "reason": result.workflow_reason}


def test_exit_code_and_a_hang_are_reported_with_what_was_observed():
    early = check_target(FIXTURES / "runs" / "early_exit.py", quiet=True, reconcile=False)
    assert (early.status, early.exit_code, early.failure.kind) == ("failed", 3, "exit")
    assert early.losses == (12.0,)
    hang = check_target(FIXTURES / "runs" / "hang.py", quiet=True, reconcile=False, timeout=10)
    assert (hang.status, hang.exit_code, hang.failure.kind) == ("timeout", None, "timeout")
    assert hang.losses == (3.0,) and "waiting" in hang.output


@pytest.mark.slow
def test_hard_exit_flood_and_memory_limit():
    hard = check_target(FIXTURES / "runs" / "hard_exit.py", quiet=True, reconcile=False)
    assert (hard.status, hard.exit_code) == ("failed", 5)
    assert hard.losses == (8.0, 8.0, 8.0)  # flushed before os._exit
    flood = check_target(FIXTURES / "runs" / "flood.py", quiet=True, reconcile=False)
    assert flood.status == "failed" and "RuntimeError" in flood.failure.message
    assert len(flood.output) < 100_000 and "left out" in flood.output and "gave up" in flood.output
    hog = check_target(FIXTURES / "runs" / "memory_hog.py", quiet=True, reconcile=False, max_memory_mb=1500)
    assert hog.status == "failed" and hog.failure.kind in ("memory", "exception")


def test_bad_usage_is_a_target_error(tmp_path):
    with pytest.raises(TargetError, match="no such file"):
        check_target(tmp_path / "missing.py")
    with pytest.raises(TargetError, match="either"):
        check_target(None)
    with pytest.raises(TargetError, match="directory"):
        check_target(tmp_path)
    result = CliRunner().invoke(cli, ["check", str(tmp_path / "missing.py")])
    assert result.exit_code == 2 and "no such file" in result.output


def test_cli_json_exit_code_and_shape():
    runner = CliRunner()
    result = runner.invoke(cli, ["check", str(FIXTURES / "non-finite-loss__bad.py"), "--format", "json", "--quiet"])
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    assert document["status"] == "ok" and [p["check"] for p in document["problems"]] == ["non-finite-loss"]
    lines = {entry["line"]: entry for entry in document["lines"]}
    assert lines[11]["roles"] == ["tensor"] and "float32[] cpu" in lines[11]["shapes"]  # loss = torch.log(...).mean()
    assert all(a["verdict"] in ("confirmed", "refuted", "unobservable", "not-reached")
               for a in document["annotations"])


@pytest.mark.slow
def test_module_target_and_arguments():
    result = check_target(None, module="trainer", args=("--epochs", "1"), cwd=FIXTURES / "projects", quiet=True)
    assert result.status == "ok", result.output
    assert "epoch 0" in result.output and fired(result) == []
    assert any(line.path.endswith("trainer/__main__.py") and "data" in line.roles for line in result.lines)


@pytest.mark.slow
def test_gan_and_classic_scripts_are_confirmed():
    for script, args in (("gan/train_wgan.py", ()), ("two_layer_net.py", ("--steps", "20")),
                         ("small_cnn.py", ("--steps", "3"))):
        result = check_target(FIXTURES / "projects" / script, args=args, quiet=True, timeout=300)
        assert result.status == "ok" and fired(result) == [], (script, result.output)
        observable = [a for a in result.annotations if a.verdict in ("confirmed", "refuted")]
        refuted = [a for a in observable if a.verdict == "refuted"]
        assert len(refuted) <= 0.03 * len(observable), (script, refuted)


@pytest.mark.skipif(sys.platform != "linux", reason="network namespaces are Linux-only")
@pytest.mark.slow
def test_no_network_runs_or_refuses_plainly():
    try:
        result = check_target(FIXTURES / "runs" / "early_exit.py", quiet=True, reconcile=False, no_network=True)
    except TargetError as error:
        assert "refusing" in str(error)
    else:
        assert result.exit_code == 3


@pytest.mark.slow
def test_notebook_runs_as_one_program_and_reports_cells():
    from readkit.render.check import to_json, to_text

    result = check_target(FIXTURES / "notebook" / "train.ipynb", quiet=True, timeout=300)
    assert result.status == "ok", result.output
    document = json.loads(to_json(result))
    located = {(entry["cell"], entry["cell_line"]): entry for entry in document["lines"] if "cell" in entry}
    assert "nn" in located[(5, 3)]["roles"]  # loss = F.cross_entropy(model(x), y)
    assert located[(3, 2)]["shapes"] == ["float32[100, 3] cpu"]  # x = torch.randn(100, 3)
    assert "cell 5, line 3" in to_text(result)
    assert len(result.losses) == 5


UNSEEN = sorted((FIXTURES / "unseen").glob("*.py"))


@pytest.mark.slow
@pytest.mark.parametrize("script", UNSEEN, ids=[p.stem for p in UNSEEN])
def test_buggy_loops_of_other_shapes_fire_what_their_header_expects(script):
    expected = script.read_text(encoding="utf-8").splitlines()[0].removeprefix("# expect:").split()
    result = check_target(script, quiet=True, reconcile=False, timeout=300)
    assert result.status == "ok", result.output
    assert fired(result) == sorted(expected)


@pytest.mark.slow
def test_cli_module_with_arguments_after_double_dash(monkeypatch):
    monkeypatch.chdir(FIXTURES / "projects")
    result = CliRunner().invoke(cli, ["check", "-m", "trainer", "--quiet", "--format", "json", "--", "--epochs", "1"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["status"] == "ok"


@pytest.mark.cuda
@pytest.mark.skipif(not __import__("torch").cuda.is_available(), reason="needs a CUDA device")
def test_a_cuda_loop_reports_cuda_tensors_and_no_problem():
    result = check_target(FIXTURES / "projects" / "device_loop.py", quiet=True, timeout=300)
    assert result.status == "ok" and fired(result) == [], result.output
    by_line = {line.line: line for line in result.lines}
    assert any("cuda:0" in shape for shape in by_line[12].shapes)  # model(x) on the GPU
    assert len(result.losses) == 5


def test_the_whole_command_imports_no_torch_in_readkits_own_process(tmp_path):
    """Start-up and reconciliation cost what the user feels: the child describes torch's names, so
    readkit's process never pays for importing torch (over a second of CPU)."""
    import subprocess

    script = tmp_path / "train.py"
    script.write_text("import torch\nimport torch.nn as nn\nnet = nn.Linear(2, 1)\nprint(torch.float32)\n"
                      "opt = torch.optim.SGD(net.parameters(), lr=0.1)\nopt.param_groups[0]['lr'] = 0.2\n")
    probe = ("import sys; from readkit.check import check_target; "
             f"r = check_target({str(script)!r}, quiet=True); "
             "print(r.status, 'torch' in sys.modules, sorted({a.verdict for a in r.annotations}))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert done.stdout.split()[:2] == ["ok", "False"], done.stdout + done.stderr
    assert "unobservable" in done.stdout  # nn.Linear's class reference, torch.float32, param_groups
