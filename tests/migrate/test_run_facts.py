"""`migrate --verify` uses what its own run of the original saw (issue 11 §2), and its verdicts
name the user's lines.

- Fixtures with a "verify" entry in fixture.json are migrated with `--verify` alone (no --run)
  through real runs, and must reach the verdict and the text they state.
- With fake runs: the static migration's run starts beside the original's and serves the
  verification when the facts change nothing; otherwise the informed text is run.
- Line numbers of a migrated run's failure are mapped back through the diff.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from readkit.results.check import CheckResult, LineObservation, TargetFailure
from readkit.migrate import api, lines, migrate_paths, scratch
from readkit.results.migrate import Change, RunOutcome, describe_run

from .conftest import FIXTURES, StubResult

VERIFIED = sorted(p.parent.name for p in FIXTURES.glob("*/fixture.json") if "verify" in json.loads(p.read_text()))


def _spec(name: str) -> dict:
    return json.loads((FIXTURES / name / "fixture.json").read_text())


def test_the_headline_fixtures_are_verified() -> None:
    assert {"tutorial_2017", "observed_zero_dim"} <= set(VERIFIED)


@pytest.mark.parametrize("name", VERIFIED)
def test_verify_alone_migrates_with_the_facts_of_its_own_run(name: str, tmp_path: Path) -> None:
    spec = _spec(name)
    verify = spec["verify"]
    script = verify.get("script", spec.get("script"))
    project = Path(shutil.copytree(FIXTURES / name, tmp_path / name))
    result = migrate_paths([project], out_dir=tmp_path / "out", verify_script=project / script, timeout=240)
    assert result.verification is not None
    assert result.verification.verdict == verify["verdict"], result.verification
    expected = FIXTURES / name / verify.get("expected", f"{script}.expected")
    assert (tmp_path / "out" / script).read_text() == expected.read_text()


# ---- the order of runs, with fake runs and a codemod that reads the facts -----------------

CODE = "import torch\nout = f()\nprint(out[0])\n"


def _fact_codemod(source: str, path: str = "<string>", observations=None, portable=False) -> StubResult:
    """Fixes `out[0]` only when a run saw it raise; always drops `import torch` (a static change)."""
    raised = any(o.raised for o in (observations or {}).values())
    code = source.replace("import torch\n", "")
    code = code.replace("out[0]", "out.item()") if raised else code
    return StubResult(code, [Change(1, "stub", "import torch", "")])


@pytest.fixture
def fake_runs(monkeypatch):
    """A copy still holding `out[0]` fails there with the 0-dim IndexError; one without it runs."""
    calls: list[str] = []
    monkeypatch.setattr(api, "_codemod", _fact_codemod)

    def fake_run_in(copy, root, script, args, cwd, timeout):
        twin = copy / script.relative_to(root)
        text = twin.read_text()
        calls.append(text)
        line = text.splitlines().index("print(out[0])") + 1 if "out[0]" in text else None
        seen = (LineObservation(str(twin), 2, ("tensor",), 1, ("float32[] cpu",)),)
        if line is None:
            return CheckResult(str(twin), "ok", 0, 0.1, lines=seen, losses=(1.0,))
        failure = TargetFailure("exception", "IndexError: invalid index of a 0-dim tensor", str(twin), line)
        return CheckResult(str(twin), "failed", 1, 0.1, lines=seen, failure=failure, losses=(1.0,))

    monkeypatch.setattr(scratch, "run_in", fake_run_in)
    return calls


def test_facts_from_the_verify_run_fix_what_the_code_alone_cannot(tmp_path, fake_runs) -> None:
    (tmp_path / "main.py").write_text(CODE)
    result = migrate_paths([tmp_path], verify_script=tmp_path / "main.py")
    assert result.verification.verdict == "fixed"
    assert "+print(out.item())" in result.files[0].diff
    assert fake_runs.count("out = f()\nprint(out.item())\n") == 1  # the informed text ran once
    assert result.observed_run is None  # no --run was given


def test_when_the_facts_change_nothing_the_early_run_is_the_verification(tmp_path, fake_runs) -> None:
    (tmp_path / "main.py").write_text("import torch\nout = f()\nprint(out.item())\n")
    result = migrate_paths([tmp_path], verify_script=tmp_path / "main.py")
    assert len(fake_runs) == 2 and result.verification.verdict == "agrees"


# ---- line numbers ---------------------------------------------------------------------------

BEFORE = "import torch\nfrom torch.autograd import Variable\nx = Variable(t)\ny = g(x)\nprint(y.data[0])\n"
AFTER = "import torch\nx = t\ny = g(x)\nprint(y.item())\n"


@pytest.mark.parametrize(("migrated", "original"), [(1, 1), (2, 3), (3, 4), (4, 5)])
def test_a_migrated_line_maps_to_the_users_line(migrated: int, original: int) -> None:
    assert lines.original_line(BEFORE, AFTER, migrated) == original


def test_an_added_line_maps_to_the_line_it_follows_or_wraps() -> None:
    assert lines.original_line("a = 1\nb = 2\n", "a = 1\nadded = 0\nb = 2\n", 2) == 1
    assert lines.original_line("a = 1\nb = 2\n", "a = 1\nadded = 0\nb = 2\n", 3) == 2
    wrapped = "import torch\nwith torch.no_grad():\n    y = g(x)\n"  # one line became two
    assert [lines.original_line("import torch\ny = g(x)\n", wrapped, n) for n in (1, 2, 3)] == [1, 2, 2]


def test_a_failure_is_told_on_the_users_line_with_the_migrated_text(tmp_path: Path) -> None:
    original = tmp_path / "main.py"
    original.write_text(BEFORE)
    failure = TargetFailure("exception", "TypeError: bad operand", str(original), 4)
    run = RunOutcome("failed", 1, failure, (), 0.1)
    placed = lines.on_original_lines(run, {original.resolve(): (AFTER, "utf-8")})
    assert placed.failure.line == 5 and placed.failure_source == "print(y.item())"
    assert describe_run(placed).endswith("main.py:5 (migrated: `print(y.item())`)")
    elsewhere = RunOutcome("failed", 1, TargetFailure("exception", "E", str(tmp_path / "lib.py"), 4), (), 0.1)
    assert lines.on_original_lines(elsewhere, {original.resolve(): (AFTER, "utf-8")}) == elsewhere
