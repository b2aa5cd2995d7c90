"""Whole-project snapshots: each fixture project's annotations and legacy findings, compared
with its expected.txt. Update only with `pytest tests/annotate --update-expected` and read the diff."""

from __future__ import annotations

from pathlib import Path

import pytest

from readkit.annotate import annotate_paths
from readkit.results.annotate import AnnotateResult

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "annotate"
PROJECTS = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())


def snapshot(result: AnnotateResult, root: Path) -> str:
    lines = []
    for file in sorted(result.files, key=lambda f: f.path):
        name = Path(file.path).relative_to(root).as_posix()
        if file.error is not None:
            lines.append(f"{name} ERROR {file.error.kind} line {file.error.line}")
        for a in file.annotations:
            lines.append(f"{name}:{a.line}:{a.column} {a.role} {a.evidence} {a.symbol} {a.rule}")
        for f in file.legacy:
            lines.append(f"{name}:{f.line}:{f.column} legacy {f.idiom} -> {f.replacement}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("project", PROJECTS)
def test_project_matches_its_expected_file(project: str, update_expected: bool) -> None:
    root = FIXTURES / project
    actual = snapshot(annotate_paths([root], jobs=1), root)
    expected_file = root / "expected.txt"
    if update_expected or not expected_file.exists():
        expected_file.write_text(actual, encoding="utf-8")
        if not update_expected:
            pytest.fail(f"{expected_file} did not exist: written, read it and commit it")
    assert actual == expected_file.read_text(encoding="utf-8")


def test_every_fixture_project_is_annotated() -> None:
    assert len(PROJECTS) >= 5
    for project in PROJECTS:
        result = annotate_paths([FIXTURES / project], jobs=1)
        assert not result.failed_files
        assert sum(len(f.annotations) for f in result.files) >= 20, project
