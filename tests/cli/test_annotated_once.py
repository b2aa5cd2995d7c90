"""`readkit annotate PATHS --run SCRIPT` analyzes each file once: the results the run's verdicts are
made from are the ones the report shows (counted at the analysis entry point, `analyze_file`)."""

from __future__ import annotations

import json
import textwrap
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from readkit.annotate import api
from readkit.cli import cli

TRAIN = """
    import torch
    from helper import make_data

    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = make_data()
    for step in range(3):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
"""
HELPER = """
    import torch

    def make_data():
        return torch.randn(8, 3), torch.randn(8, 1)
"""
OTHER = "import torch\nunused = torch.zeros(2)\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name, text in (("train.py", TRAIN), ("helper.py", HELPER), ("other.py", OTHER)):
        (tmp_path / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


class Analyzed:
    """The files `analyze_file` was called on, counted across processes: a small run analyzes in
    a forked child (annotate/isolated.py), so each call is appended to a log file."""

    def __init__(self, log: Path) -> None:
        self.log = log

    def __eq__(self, other: object) -> bool:
        lines = self.log.read_text(encoding="utf-8").split() if self.log.exists() else []
        return Counter(lines) == other


@pytest.fixture
def analyzed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Analyzed:
    counts = Analyzed(tmp_path / "analyzed.log")
    original = api.analyze_file

    def counting(path, info, observations):  # type: ignore[no-untyped-def]
        with counts.log.open("a", encoding="utf-8") as log:
            log.write(Path(path).name + "\n")
        return original(path, info, observations)

    monkeypatch.setattr(api, "analyze_file", counting)
    return counts


def test_each_file_is_analyzed_once_and_the_run_still_judges_it(project: Path, analyzed: Analyzed) -> None:
    result = CliRunner().invoke(cli, ["annotate", str(project), "--run", str(project / "train.py"),
                                      "--format", "json", "-j", "1", "--no-cache"])
    assert result.exit_code == 0, result.output
    assert analyzed == Counter({"train.py": 1, "helper.py": 1, "other.py": 1})
    files = {Path(f["path"]).name: f for f in json.loads(result.output)["files"]}
    verdicts = Counter(a["verdict"] for a in files["train.py"]["annotations"])
    assert verdicts["confirmed"] >= 8 and verdicts["not-reached"] == 0  # every line of the script ran
    assert {a["verdict"] for a in files["helper.py"]["annotations"]} == {"confirmed"}
    assert {a["verdict"] for a in files["other.py"]["annotations"]} == {None}  # the run did not import it


def test_a_role_filter_shows_fewer_annotations_but_the_same_verdicts(project: Path, analyzed: Analyzed) -> None:
    args = ["annotate", str(project), "--run", str(project / "train.py"), "--format", "json", "-j", "1"]
    every = json.loads(CliRunner().invoke(cli, args).output)["files"]
    optim = json.loads(CliRunner().invoke(cli, [*args, "--role", "optim"]).output)["files"]
    judged = {(f["path"], a["line"], a["role"]): a["verdict"] for f in every for a in f["annotations"]}
    shown = {(f["path"], a["line"], a["role"]): a["verdict"] for f in optim for a in f["annotations"]}
    assert shown and {role for _, _, role in shown} == {"optim"}
    assert all(judged[key] == verdict for key, verdict in shown.items())


def test_a_script_outside_the_paths_is_judged_without_being_reported(project: Path, analyzed: Analyzed) -> None:
    result = CliRunner().invoke(cli, ["annotate", str(project / "other.py"), "--run", str(project / "train.py"),
                                      "--format", "json", "-j", "1", "--no-cache"])
    assert result.exit_code == 0, result.output
    assert analyzed == Counter({"train.py": 1, "helper.py": 1, "other.py": 1})
    assert [Path(f["path"]).name for f in json.loads(result.output)["files"]] == ["other.py"]
