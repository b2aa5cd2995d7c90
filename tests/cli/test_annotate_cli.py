"""`readkit annotate` and `readkit explain` through the CLI: exit codes, formats, filters, --out, --run.

The wiring tests replace the annotator with a hand-built result (the renderers are
tested in tests/render/); the end-to-end tests at the bottom use the real one.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import readkit.annotate as annotate_api
from readkit.results.annotate import AnnotateResult, Annotation, FileError, FileResult, LegacyFinding
from readkit.results.check import AnnotationVerdict, CheckResult, LineObservation
from readkit.cli import cli

SOURCE = "import torch\nx = torch.ones(2)\nprint(x.data[0])\n"


class FakeFilterError(ValueError):
    pass


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def fake_result(path: Path, *, legacy: bool = False, broken: bool = False) -> AnnotateResult:
    ones = Annotation(2, 5, 2, 15, "tensor", "resolved", "torch.ones", "import-resolution", "a tensor of ones")
    found = (LegacyFinding(3, 7, 3, 16, "data-index-zero", "old", "x.item()"),) if legacy else ()
    files = [FileResult(str(path), (ones,), found)]
    if broken:
        files.append(FileResult(str(path.parent / "py2.py"), error=FileError("python2", "print statement", 1, 1)))
    return AnnotateResult(tuple(files))


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "src" / "train.py"
    path.parent.mkdir()
    path.write_text(SOURCE)
    return path


@pytest.fixture
def fake(monkeypatch, script):
    """Make iter_annotate yield `result`'s files; records the arguments it was called with."""
    state = {"result": fake_result(script), "calls": []}

    def iter_annotate(plan, *, jobs=None, roles=(), rules=(), **_):
        state["calls"].append({"paths": plan.roots, "jobs": jobs, "roles": roles, "rules": rules})
        if "no-such-role" in roles:
            raise FakeFilterError("unknown role 'no-such-role'; known: tensor, autograd")
        yield from state["result"].files

    monkeypatch.setattr(annotate_api, "iter_annotate", iter_annotate, raising=False)
    monkeypatch.setattr(annotate_api, "UnknownFilterError", FakeFilterError, raising=False)
    return state


# ----------------------------------------------------------------------------
# explain


def test_explain_a_role_and_a_rule():
    role = invoke("explain", "optim")
    assert role.exit_code == 0 and role.output.startswith("# `optim`: optimizers and learning-rate schedulers")
    assert "readkit run-reference --step optim.train_logistic_regression" in role.output
    rule = invoke("explain", "variable-wrapper")
    assert rule.exit_code == 0 and "## Why is this bad" in rule.output


def test_explain_unknown_id_is_a_usage_error_listing_known_ids():
    result = invoke("explain", "no-such-id")
    assert result.exit_code == 2
    assert "unknown role, rule or check 'no-such-id'; known: tensor, autograd, nn, optim, jit" in result.output


# ----------------------------------------------------------------------------
# annotate: exit codes and formats


def test_all_files_analyzed_exits_0(fake, script):
    result = invoke("annotate", str(script), "--no-color")
    assert result.exit_code == 0
    assert "[tensor] a tensor of ones (torch.ones; resolved)" in result.output
    assert "\x1b[" not in result.output


def test_colour_when_forced(fake, script):
    assert "\x1b[34m\x1b[1m[tensor]" in invoke("annotate", str(script), "--color").output


def test_a_file_that_could_not_be_analyzed_exits_1(fake, script):
    fake["result"] = fake_result(script, broken=True)
    result = invoke("annotate", str(script))
    assert result.exit_code == 1
    assert "error (python2) at line 1, column 1: print statement" in result.output


def test_fail_on_legacy(fake, script):
    fake["result"] = fake_result(script, legacy=True)
    assert invoke("annotate", str(script)).exit_code == 0
    assert invoke("annotate", str(script), "--fail-on", "legacy").exit_code == 1


def test_missing_path_exits_2_naming_it(fake, tmp_path):
    result = invoke("annotate", str(tmp_path / "nope.py"))
    assert result.exit_code == 2 and "nope.py" in result.output and not fake["calls"]


def test_unknown_filter_exits_2_listing_known_ids(fake, script):
    result = invoke("annotate", str(script), "--role", "no-such-role")
    assert result.exit_code == 2 and "known: tensor, autograd" in result.output


def test_filters_and_jobs_reach_the_annotator(fake, script):
    invoke("annotate", str(script), "--role", "nn", "--role", "optim", "--rule", "data-index-zero", "-j", "3")
    call = fake["calls"][-1]
    assert (call["roles"], call["rules"], call["jobs"]) == (("nn", "optim"), ("data-index-zero",), 3)


def test_json_and_sarif_formats(fake, script):
    doc = json.loads(invoke("annotate", str(script), "--format", "json").output)
    assert doc["files"][0]["annotations"][0]["symbol"] == "torch.ones"
    sarif = json.loads(invoke("annotate", str(script), "--format", "sarif").output)
    assert sarif["version"] == "2.1.0"


def test_out_writes_annotated_copies(fake, script, tmp_path):
    out = tmp_path / "annotated"
    assert invoke("annotate", str(script.parent), "--out", str(out)).exit_code == 0
    assert (out / "train.py").read_text().splitlines()[1] == "x = torch.ones(2)  # [tensor] a tensor of ones (torch.ones)"


def test_out_over_the_sources_is_refused(fake, script):
    result = invoke("annotate", str(script.parent), "--out", str(script.parent))
    assert result.exit_code == 2 and "would overwrite" in result.output
    assert script.read_text() == SOURCE


def test_run_enriches_json_and_copies(fake, script, tmp_path, monkeypatch):
    import readkit.check as check_api

    seen = {}

    def check_target(target, **kwargs):
        seen.update(kwargs, target=target)
        return CheckResult(str(target), "ok", 0, 0.5,
                           lines=(LineObservation(str(script), 2, ("tensor",), 1, ("float32[2] cpu",)),),
                           annotations=(AnnotationVerdict(str(script), 2, "tensor", "resolved", "confirmed"),))

    monkeypatch.setattr(check_api, "check_target", check_target, raising=False)
    monkeypatch.setattr(check_api, "TargetError", FakeFilterError, raising=False)
    out = tmp_path / "annotated"
    result = invoke("annotate", str(script), "--format", "json", "--run", str(script), "--out", str(out))
    assert result.exit_code == 0 and seen["quiet"] is True
    doc = json.loads(result.output)
    assert doc["run"]["status"] == "ok" and doc["files"][0]["annotations"][0]["verdict"] == "confirmed"
    assert doc["files"][0]["observed"] == [{"line": 2, "roles": ["tensor"], "calls": 1, "shapes": ["float32[2] cpu"]}]
    assert (out / "train.py").read_text().splitlines()[1].endswith("{confirmed}; [ran 1x: float32[2] cpu]")


# ----------------------------------------------------------------------------
# end to end with the real annotator

TRICKY = textwrap.dedent('''\
    """A docstring mentioning torch.randn(3)  # [nn] and a hash."""
    import torch
    import torch.nn as nn
    from torch import optim

    model = nn.Sequential(nn.Linear(4, 8),  # first layer
                          nn.ReLU(),
                          nn.Linear(8, 1))
    opt = optim.SGD(model.parameters(),
                    lr=0.1)
    x = torch.randn(16, 4); y = torch.randn(16, 1)
    for step in range(3):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean() + \\
            0.0 * x.sum()
        label = "loss # not a comment"
        loss.backward()
        opt.step()
    ''')


def test_annotating_an_annotated_copy_changes_nothing(tmp_path):
    src = tmp_path / "project"
    src.mkdir()
    (src / "train.py").write_text(TRICKY)
    (src / "crlf.py").write_bytes(TRICKY.replace("\n", "\r\n").encode())
    (src / "tabs.py").write_text("import torch\nif True:\n\tz = torch.zeros(2)  # zeros\n")
    first, second = tmp_path / "out1", tmp_path / "out2"
    assert invoke("annotate", str(src), "--out", str(first)).exit_code == 0
    assert invoke("annotate", str(first), "--out", str(second)).exit_code == 0
    for name in ("train.py", "crlf.py", "tabs.py"):
        assert (second / name).read_bytes() == (first / name).read_bytes(), name
    copy = (first / "train.py").read_text()
    assert "# [optim]" in copy and copy.count("\n") == TRICKY.count("\n")
    assert copy.splitlines()[0] == TRICKY.splitlines()[0]  # nothing inside the docstring


def test_python2_file_is_reported_and_others_still_analyzed(tmp_path):
    (tmp_path / "old.py").write_text("print 'hello'\n")
    (tmp_path / "new.py").write_text("import torch\nx = torch.ones(2)\n")
    result = invoke("annotate", str(tmp_path), "--format", "json")
    assert result.exit_code == 1
    files = {Path(f["path"]).name: f for f in json.loads(result.output)["files"]}
    assert files["old.py"]["error"]["line"] == 1 and files["new.py"]["error"] is None
    assert files["new.py"]["annotations"]


RUNNABLE = textwrap.dedent('''\
    import torch

    w = torch.zeros(3, requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.1)
    for _ in range(2):
        opt.zero_grad()
        loss = (w - 1).pow(2).sum()
        loss.backward()
        opt.step()
    if False:
        opt.step()
    ''')


@pytest.mark.slow
def test_run_for_real_marks_what_ran_and_what_did_not(tmp_path):
    script = tmp_path / "loop.py"
    script.write_text(RUNNABLE)
    result = invoke("annotate", str(script), "--run", str(script), "--format", "json", "--out", str(tmp_path / "o"))
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["run"]["status"] == "ok"
    verdicts = {(a["line"], a["role"]): a["verdict"] for a in doc["files"][0]["annotations"]}
    assert verdicts[(9, "optim")] == "confirmed" and verdicts[(11, "optim")] == "not-reached"
    observed = {o["line"]: o for o in doc["files"][0]["observed"]}
    assert observed[9]["calls"] == 2 and 11 not in observed
    copy = (tmp_path / "o" / "loop.py").read_text().splitlines()
    assert copy[8].startswith("    opt.step()  # [optim] ") and "{confirmed}; [ran 2x" in copy[8]


def test_notebook_locations_are_cells_in_text_json_and_copies(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("# intro"),
                      nbformat.v4.new_code_cell("import torch\n%timeit 1\nx = torch.ones(2)")]
    path = tmp_path / "nb.ipynb"
    nbformat.write(notebook, str(path))
    text = invoke("annotate", str(path), "--no-color").output
    assert "cell 2, line 3  x = torch.ones(2)\n" in text
    doc = json.loads(invoke("annotate", str(path), "--format", "json").output)
    assert (2, 3) in [(a["cell"], a["cell_line"]) for a in doc["files"][0]["annotations"]]
    assert invoke("annotate", str(path), "--out", str(tmp_path / "o")).exit_code == 0
    cell = nbformat.read(str(tmp_path / "o" / "nb.ipynb"), as_version=4).cells[1].source.splitlines()
    assert cell[1] == "%timeit 1" and cell[2].startswith("x = torch.ones(2)  # [tensor] ")


@pytest.mark.slow
def test_copies_of_every_fixture_only_add_comments_and_are_stable(tmp_path):
    fixtures = Path(__file__).resolve().parents[2] / "fixtures"
    first, second = tmp_path / "one", tmp_path / "two"
    invoke("annotate", str(fixtures), "--out", str(first))
    invoke("annotate", str(first), "--out", str(second))
    copies = sorted(p for p in first.rglob("*.py"))
    assert copies
    for copy in copies:
        original = fixtures / copy.relative_to(first)
        assert (second / copy.relative_to(first)).read_bytes() == copy.read_bytes(), copy
        old, new = original.read_bytes().split(b"\n"), copy.read_bytes().split(b"\n")
        assert len(old) == len(new), copy
        for before, after in zip(old, new):
            assert after == before or after.startswith(before.rstrip()), (copy, before, after)
