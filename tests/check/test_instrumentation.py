"""Inside the child, without a child: events reach the checks' watchers, errors are kept, hiding is complete."""

import json

import torch
from torch.overrides import TorchFunctionMode, _get_current_function_mode_stack

from readkit.check.checks.non_finite_loss import NonFiniteLoss
from readkit.check.install import Installed
from readkit.results.check import CheckResult
from readkit.check.recorder import Recorder
from readkit.check.training import Training
from readkit.check.watcher import Watcher
from readkit.render import check as render


class Broken(Watcher):
    def on_backward(self, run, loss, value, line):
        raise ZeroDivisionError("a bug in a check")


class Counting(Watcher):
    def __init__(self):
        self.backwards = []

    def on_backward(self, run, loss, value, line):
        self.backwards.append(value)
        run.report(NonFiniteLoss(path=line[0], line=line[1], value="nan"))


def _training(tmp_path, **watchers):
    recorder = Recorder(str(tmp_path / "results.json"))
    return recorder, Training(recorder, watchers, lambda frame: ("t.py", 1))


def test_a_watchers_error_is_counted_and_the_others_still_run(tmp_path):
    counting = Counting()
    recorder, run = _training(tmp_path, broken=Broken(), counting=counting)
    for value in (1.0, 2.0):
        run.backward(torch.tensor(value), ("t.py", 7))
    assert counting.backwards == [1.0, 2.0] and recorder.losses == [1.0, 2.0]
    assert recorder.errors == {"broken.on_backward: ZeroDivisionError: a bug in a check": 2}
    recorder.flush()
    written = json.loads((tmp_path / "results.json").read_text())
    assert written["instrumentation_errors"] == ["broken.on_backward: ZeroDivisionError: a bug in a check (x2)"]
    assert written["facts"] == {"non-finite": [{"path": "t.py", "line": 7, "value": "nan"}]}  # reported once


def test_autograd_grad_is_a_backward_pass_but_not_a_loss(tmp_path):
    counting = Counting()
    recorder, run = _training(tmp_path, counting=counting)
    run.backward(torch.tensor(3.0), ("t.py", 2), loss=False)
    assert run.backwards == 1 and recorder.losses == [] and counting.backwards == [None]


def test_only_overridden_events_are_dispatched(tmp_path):
    _, run = _training(tmp_path, counting=Counting())
    assert [name for name, _ in run._handlers["on_backward"]] == ["counting"]
    assert run._handlers["on_forward"] == [] and run._handlers["after_step"] == []


def test_instrumentation_errors_reach_json_and_text():
    result = CheckResult(target="t.py", status="ok", exit_code=0, seconds=1.0,
                         instrumentation_errors=("instrument.forward_pre: KeyError: 'x' (x3)",))
    assert json.loads(render.to_json(result))["instrumentation_errors"] == ["instrument.forward_pre: KeyError: 'x' (x3)"]
    text = render.to_text(result)
    assert "instrumentation failed 1 way(s)" in text and "forward_pre: KeyError" in text


class Other(TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        return func(*args, **(kwargs or {}))


class Target:
    def method(self):
        return "original"


def test_hiding_restores_attributes_and_takes_the_mode_out_under_the_targets_own():
    installed = Installed()
    installed.patch(Target, "method", lambda self: "wrapped")
    ours = Other()
    with ours:
        installed.mode = ours
        with Other() as theirs:
            assert Target().method() == "wrapped"
            installed.hide()
            assert Target().method() == "original"
            assert _get_current_function_mode_stack() == [theirs]  # the target's mode stays
            installed.show()
            assert Target().method() == "wrapped"
            assert _get_current_function_mode_stack() == [ours, theirs]
    installed.mode = None
    installed.remove()
    assert Target().method() == "original" and "method" in vars(Target)
