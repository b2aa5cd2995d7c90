"""The 0.3-era fixtures (fixtures/migrate/<name>/): each original fails on current torch as
SPEC §2 says, each migrated version runs to completion, the codemod turns each original
into its expected output, and migrating an expected output (or modern code) changes nothing.

Expected outputs (`<file>.py.expected`) change only through an explicit flag:
    READKIT_UPDATE_EXPECTED=1 python3 -m pytest tests/migrate/test_fixtures.py
then read `git diff fixtures/migrate` before committing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import FIXTURES

RUNNER = Path(__file__).with_name("run_scripts.py")
UPDATE = os.environ.get("READKIT_UPDATE_EXPECTED") == "1"


def spec(name: str) -> dict:
    return json.loads((FIXTURES / name / "fixture.json").read_text())


ALL = sorted(p.parent.name for p in FIXTURES.glob("*/fixture.json"))
LEGACY = [n for n in ALL if "original" in spec(n)]
RUNNABLE = [n for n in ALL if "script" in spec(n)]
EXPECTED = sorted(p.relative_to(FIXTURES).as_posix() for p in FIXTURES.glob("*/*.py.expected"))


def run_batch(jobs: list[dict], tmp: Path) -> list[dict]:
    """Run the scripts in one child interpreter (see run_scripts.py)."""
    jobs_file = tmp / "jobs.json"
    jobs_file.write_text(json.dumps(jobs))
    done = subprocess.run([sys.executable, str(RUNNER), str(jobs_file)], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONWARNINGS": "always"})
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def job(directory: Path, name: str) -> dict:
    return {"dir": str(directory), "script": spec(name)["script"], "args": spec(name).get("args", [])}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, dict[str, dict]]:
    """{"original"|"migrated": {fixture: outcome}}: every script in one child interpreter.
    The migrated version of a fixture is its copy with the expected outputs in place of the originals."""
    tmp = tmp_path_factory.mktemp("fixtures")
    jobs, keys = [], []
    for version in ("original", "migrated"):
        for name in RUNNABLE:
            copy = Path(shutil.copytree(FIXTURES / name, tmp / version / name))
            for expected in copy.glob("*.py.expected") if version == "migrated" else ():
                expected.replace(expected.with_suffix(""))
            jobs.append(job(copy, name))
            keys.append((version, name))
    outcomes: dict[str, dict[str, dict]] = {"original": {}, "migrated": {}}
    for (version, name), outcome in zip(keys, run_batch(jobs, tmp)):
        outcomes[version][name] = outcome
    return outcomes


@pytest.fixture(scope="module")
def original_runs(runs) -> dict[str, dict]:
    return runs["original"]


@pytest.fixture(scope="module")
def migrated_runs(runs) -> dict[str, dict]:
    return runs["migrated"]


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


@pytest.mark.parametrize("name", LEGACY)
def test_original_fails_or_warns_on_current_torch_as_spec_says(original_runs, name):
    expected, seen = spec(name)["original"], original_runs[name]
    if expected.get("only_without_cuda") and _cuda_available():
        pytest.skip("this original fails only where torch has no CUDA device")
    assert seen["raises"] == expected.get("raises"), seen
    assert expected.get("message", "") in seen["message"]
    for fragment in expected.get("warns", []):
        assert any(fragment in w for w in seen["warnings"]), (fragment, seen["warnings"])


@pytest.mark.parametrize("name", RUNNABLE)
def test_migrated_script_runs_to_completion(migrated_runs, name):
    seen = migrated_runs[name]
    assert seen["raises"] is None, seen
    for fragment in spec(name).get("migrated_warns", []):
        assert any(fragment in w for w in seen["warnings"]), seen["warnings"]


def test_modern_fixture_runs_as_is(original_runs):
    assert original_runs["modern_trainer"]["raises"] is None


# ---- the codemod against the expected outputs (needs readkit/migrate/codemod.py) ---------


def portable(expected: str) -> bool:
    """`"portable": true` in fixture.json: the expected output is `readkit migrate --portable`'s."""
    return bool(spec(expected.split("/")[0]).get("portable", False))


@pytest.mark.parametrize("expected", EXPECTED)
def test_codemod_gives_the_expected_output(expected):
    from readkit.migrate.codemod import migrate_source

    expected_path = FIXTURES / expected
    original = expected_path.with_suffix("")
    migrated = migrate_source(original.read_text(), str(original), portable=portable(expected)).code
    if UPDATE:
        expected_path.write_text(migrated)
    assert migrated == expected_path.read_text()


@pytest.mark.parametrize("expected", EXPECTED)
def test_migrating_the_expected_output_again_changes_nothing(expected):
    from readkit.migrate.codemod import migrate_source

    code = (FIXTURES / expected).read_text()
    again = migrate_source(code, expected, portable=portable(expected))
    assert again.code == code and not again.changes


def test_without_portable_cuda_only_calls_stay_as_written():
    """The GPU-only fixture's `.cuda()` calls are current torch: only --portable moves them."""
    from readkit.migrate.codemod import migrate_source

    original = (FIXTURES / "gpu_only_regression" / "main.py").read_text()
    plain = migrate_source(original, "main.py")
    assert ".cuda()" in plain.code and "device = torch.device" not in plain.code
    assert {n.idiom for n in plain.notes} == {"cuda-only-call"}
    assert "loss.item()" in plain.code  # the legacy idioms are still fixed


def modern_sources() -> list[Path]:
    mine = sorted(FIXTURES.glob("modern_*/*.py"))
    annotators = sorted(p for p in (FIXTURES.parent / "annotate").glob("*modern*/**/*.py"))
    return mine + annotators


@pytest.mark.parametrize("path", modern_sources(), ids=lambda p: p.relative_to(FIXTURES.parent).as_posix())
def test_modern_code_comes_back_byte_identical(path):
    from readkit.migrate.codemod import migrate_source

    code = path.read_text()
    result = migrate_source(code, str(path))
    assert result.code == code and not result.changes


def test_python2_fixture_is_reported_and_untouched(tmp_path):
    from readkit.migrate import migrate_paths

    project = shutil.copytree(FIXTURES / "python2_script", tmp_path / "p")
    before = (project / "train.py").read_bytes()
    result = migrate_paths([project], write=True)
    assert [f.error.kind for f in result.files] == ["python2"] and result.exit_code == 2
    assert "2to3" in result.files[0].error.message
    assert (project / "train.py").read_bytes() == before


def test_write_then_migrate_again_finds_nothing(tmp_path):
    from readkit.migrate import migrate_paths

    project = shutil.copytree(FIXTURES / "mnist_mlp", tmp_path / "mnist_mlp")
    first = migrate_paths([project], write=True)
    assert first.exit_code == 1 and len(first.changed_files) == 2
    second = migrate_paths([project])
    assert second.exit_code == 0 and not second.changed_files
    assert (project / "model.py").read_text() == (FIXTURES / "mnist_mlp" / "model.py.expected").read_text()
