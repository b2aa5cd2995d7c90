"""Instrumentation must not change the program: every script fixture runs plain and under `readkit check`.

Both runs must agree on the exit status and on everything printed (stdout and stderr, merged, as
`check --quiet` captures them): in a deterministic fixture, losses, predictions, traced graphs,
hook counts and warnings must be the same line for line; one whose own two plain runs already
differ (unseeded initialisation or dropout, printed timings) must print the same lines with only
the numbers free (and the line widths and order they decide). The fixtures written for this test are deterministic by construction; a corpus
fixture is judged by running it plainly twice. Only what differs between any two runs of the same
program is normalised: the working directory and object addresses.

The fixtures in fixtures/check/differential/ exercise what instrumentation could disturb (tracing
with check_trace, scripting, export, fx, the script's own hooks and TorchFunctionMode, DataLoader
workers, deterministic algorithms) and run in the default suite; the rest of the corpus (check,
eval, migrate, projects) and torch.compile run with the slow ones.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from readkit.check import check_target
from tests.check.conftest import FIXTURES

ROOT = FIXTURES.parents[1]
DIFFERENTIAL = FIXTURES / "differential"
SLOW_DIFFERENTIAL = {"torch_compile"}  # a cold dynamo import and compilation: tens of seconds
# Unseeded data decides what these print (the best of a sweep): only exit status and line count compare.
RANDOM_CHOICES = {"eval/sweep_factories"}
TIMEOUT = 300


@dataclass(frozen=True)
class Case:
    id: str
    script: Path  # run from its own directory, as `python script.py` would be
    args: tuple[str, ...] = ()
    slow: bool = True
    deterministic: bool = False  # written to print the same thing every run (else: two plain runs decide)
    copy: Path | None = None  # a directory copied first (a migrate fixture's expected result)


def _differential() -> list[Case]:
    return [Case(f"differential/{p.stem}", p, slow=p.stem in SLOW_DIFFERENTIAL, deterministic=True)
            for p in sorted(DIFFERENTIAL.glob("*.py"))]


def _corpus() -> list[Case]:
    cases = [Case(f"check/{p.stem}", p) for p in sorted(FIXTURES.glob("*__*.py"))]
    cases += [Case(f"unseen/{p.stem}", p) for p in sorted((FIXTURES / "unseen").glob("*.py"))]
    cases += [Case(f"runs/{name}", FIXTURES / "runs" / f"{name}.py")
              for name in ("crash_legacy_index", "early_exit", "hard_exit")]
    projects = FIXTURES / "projects"
    cases += [Case("projects/correct_patterns", projects / "correct_patterns.py"),
              Case("projects/two_layer_net", projects / "two_layer_net.py", ("--steps", "20")),
              Case("projects/small_cnn", projects / "small_cnn.py", ("--steps", "3")),
              Case("projects/gan", projects / "gan" / "train_wgan.py")]
    eval_dir = ROOT / "fixtures" / "eval"
    cases += [Case(f"eval/{p.stem}", p) for p in sorted(eval_dir.glob("[!_]*.py"))]
    for fixture in sorted((ROOT / "fixtures" / "migrate").glob("*/fixture.json")):
        spec = json.loads(fixture.read_text(encoding="utf-8"))
        if "script" not in spec:  # python2 source: neither run is a program python 3 runs
            continue
        args = tuple(spec.get("args", ()))
        cases.append(Case(f"migrate/{fixture.parent.name}", fixture.parent / spec["script"], args))
        if (fixture.parent / f"{spec['script']}.expected").is_file():
            cases.append(Case(f"migrate/{fixture.parent.name}.expected", fixture.parent / spec["script"], args,
                              copy=fixture.parent))
    return cases


CASES = _differential() + _corpus()


def _params() -> list[object]:
    return [pytest.param(case, id=case.id, marks=[pytest.mark.slow] if case.slow else []) for case in CASES]


def _prepare(case: Case, tmp_path: Path) -> Path:
    """The script to run: the fixture itself, or, for a migrate fixture's expected result, a copy of
    its directory with every `X.expected` in place of `X`."""
    if case.copy is None:
        return case.script
    project = tmp_path / "project"
    shutil.copytree(case.copy, project)
    for expected in project.rglob("*.expected"):
        expected.replace(expected.with_suffix(""))
    return project / case.script.name


def _normalise(text: str, cwd: Path, seeded: bool) -> str:
    text = text.replace(str(cwd), "<cwd>")
    text = re.sub(r"0x[0-9a-fA-F]{6,}", "0x…", text)
    # wall-clock durations (`took 0.1s`, `12.3 sec`) differ between any two runs, checked or not
    text = re.sub(r"\b\d+(\.\d+)?\s?(ms|s|sec|secs|seconds)\b", "<time>", text)
    if not seeded:  # the numbers are free, and so are the widths and the order they give to lines
        text = re.sub(r"-?\d+\.?\d*(e[-+]?\d+)?", "<n>", text)
        text = "\n".join(sorted(re.sub(r"[ \t]+", " ", line) for line in text.splitlines()))
    return text



def _plain(script: Path, args: tuple[str, ...], cwd: Path) -> tuple[int, str]:
    done = subprocess.run([sys.executable, str(script), *args], cwd=cwd, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=TIMEOUT,
                          env=dict(os.environ, PYTHONUNBUFFERED="1"))
    return done.returncode, done.stdout.decode("utf-8", errors="replace")


@pytest.mark.parametrize("case", _params())
def test_plain_and_checked_runs_agree(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONHASHSEED", "0")
    script = _prepare(case, tmp_path)
    plain_cwd, checked_cwd = tmp_path / "plain", tmp_path / "checked"
    plain_cwd.mkdir()
    checked_cwd.mkdir()
    code, output = _plain(script, case.args, plain_cwd)
    seeded = case.deterministic
    if not seeded:
        again = tmp_path / "again"
        again.mkdir()
        seeded = _normalise(_plain(script, case.args, again)[1], again, True) == _normalise(output, plain_cwd, True)
    result = check_target(script, args=case.args, cwd=checked_cwd, quiet=True, reconcile=False, timeout=TIMEOUT)
    assert result.status != "timeout", result.output
    assert result.exit_code == code, (output, result.output)
    if case.id in RANDOM_CHOICES:
        assert len(result.output.splitlines()) == len(output.splitlines())
    else:
        assert _normalise(result.output, checked_cwd, seeded) == _normalise(output, plain_cwd, seeded)
    assert result.instrumentation_errors == ()


def test_every_differential_fixture_prints_its_final_loss() -> None:
    """What the comparison rests on: a seeded fixture that prints what it computed."""
    for case in _differential():
        text = case.script.read_text(encoding="utf-8")
        assert "manual_seed" in text and "final loss" in text, case.id
