"""Big runs: results stream out as they are made, several roots get a summary each, and a
progress line appears on terminals only."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from readkit.annotate import annotate_source, iter_annotate, plan_paths
from readkit.cli import cli
from readkit.render import progress as progress_module
from readkit.render.annotate import emit_files
from readkit.render.progress import ProgressLine


@pytest.fixture
def two_roots(tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "a", tmp_path / "b"
    for root, lines in ((a, ["x = torch.zeros(2)", "y = torch.ones(2)"]), (b, ["opt = torch.optim.SGD([], lr=1)"])):
        root.mkdir()
        for number, line in enumerate(lines):
            (root / f"m{number}.py").write_text(f"import torch\n{line}\n", encoding="utf-8")
    return a, b


def test_the_plan_lists_each_file_once_under_the_first_root_that_holds_it(two_roots: tuple[Path, Path]) -> None:
    a, b = two_roots
    plan = plan_paths([a, b, a / "m0.py"])
    assert [p.name for p in plan.files] == ["m0.py", "m1.py", "m0.py"]
    assert plan.root_of == (0, 0, 1)
    assert [r.path for r in iter_annotate(plan)] == [str(p) for p in plan.files]  # plan order


def test_several_roots_get_one_summary_each(two_roots: tuple[Path, Path]) -> None:
    a, b = two_roots
    document = json.loads(CliRunner().invoke(cli, ["annotate", str(a), str(b), "--format", "json"]).output)
    assert [(r["path"], r["summary"]["files"], r["summary"]["roles"]) for r in document["roots"]] == [
        (str(a), 2, {"tensor": 2}), (str(b), 1, {"optim": 1})]
    assert document["summary"]["files"] == 3
    text = CliRunner().invoke(cli, ["annotate", str(a), str(b), "--no-color"]).output
    assert f"{a}: 2 files; 2 uses (tensor 2); 0 legacy\n" in text
    assert f"{b}: 1 files; 1 uses (optim 1); 0 legacy\n" in text
    one = json.loads(CliRunner().invoke(cli, ["annotate", str(a), "--format", "json"]).output)
    assert "roots" not in one  # one root: the documented shape, unchanged
    lines = CliRunner().invoke(cli, ["annotate", str(a), str(b), "--format", "jsonl"]).output.splitlines()
    assert len(lines) == 1 + 3 + 1 and json.loads(lines[-1]) == {"summary": document["summary"],
                                                                  "roots": document["roots"]}


def test_each_file_is_written_before_the_next_is_made() -> None:
    out = io.StringIO()

    def files():
        yield annotate_source("import torch\nx = torch.zeros(1)\n", "first.py")
        assert "first.py" in out.getvalue()  # already on the stream
        yield annotate_source("import torch\ny = torch.ones(1)\n", "second.py")

    for fmt in ("text", "json", "jsonl"):
        out.seek(0)
        out.truncate()
        tally = emit_files(files(), fmt=fmt, color=False, stream=out)
        assert tally.files == 2 and tally.annotations == 2


def test_progress_shows_on_a_terminal_after_a_second(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter([100.0, 100.5, 101.5, 102.0, 103.0])
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: next(clock))
    stream = io.StringIO()
    line = ProgressLine("annotate", 4, stream, enabled=True)  # started at 100.0
    line.advance()  # 100.5: too soon to show anything
    assert stream.getvalue() == ""
    line.advance()  # 101.5
    assert stream.getvalue() == "\rannotate: 2/4 files · 2 s · about 2 s left"
    line.advance()  # 102.0
    line.advance()  # 103.0
    assert stream.getvalue().endswith("\rannotate: 4/4 files · 3 s                 ")
    line.close()
    assert stream.getvalue().endswith("\r" + " " * 42 + "\r")


def test_no_progress_in_pipes_or_when_quiet(two_roots: tuple[Path, Path]) -> None:
    assert not ProgressLine("annotate", 3, io.StringIO()).enabled  # not a terminal
    result = CliRunner().invoke(cli, ["annotate", str(two_roots[0]), "--quiet"])
    assert result.exit_code == 0 and result.stderr == ""
