"""`# readkit: ignore[...]` comments: one parser (readkit/suppressions.py) honoured by
annotate (findings by rule id, annotations by role), migrate (no rewrite on the line) and
check (workflow problems at the line, read in the parent after the run)."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

from click.testing import CliRunner

from readkit.annotate import annotate_source
from readkit.results.annotate import Suppressed
from readkit.cli import cli as main
from readkit.migrate.codemod import migrate_source
from readkit.suppressions import read_suppressions

CHECK_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "check"

LEGACY = textwrap.dedent(
    """\
    import torch.nn.functional as F
    loss = F.nll_loss(output, target)
    print(loss.data[0])  # readkit: ignore[data-index-zero]
    print(loss.data[0])
    total = (loss.data[0] +  # a multi-line statement: the comment on its last line covers it
             loss.data[0])  # readkit: ignore
    """
)


# ---- the parser --------------------------------------------------------------------------------


def test_ids_lines_and_whole_file() -> None:
    found = read_suppressions(textwrap.dedent(
        """\
        # readkit: ignore-file[cuda-only-call]
        x = f(1)  # readkit: ignore[tensor, data-index-zero]
        y = g(  # not ours
            2)  # readkit: ignore
        s = '# readkit: ignore'
        """))
    assert found.covers(2, "tensor") and found.covers(2, "data-index-zero") and not found.covers(2, "nn")
    assert found.covers(3, "anything") and found.covers(4, "anything")  # the whole statement
    assert not found.covers(5, "tensor")  # inside a string, not a comment
    assert found.covers(99, "cuda-only-call") and not found.covers(99, "tensor")


def test_ignore_file_counts_only_in_the_header() -> None:
    late = "\n" * 20 + "# readkit: ignore-file\n"
    assert not read_suppressions(late).covers(1, "tensor")
    assert not read_suppressions("x = 1  # noqa\n")


def test_untokenizable_source_suppresses_nothing() -> None:
    assert not read_suppressions("x = (  # readkit: ignore\n")


# ---- annotate ------------------------------------------------------------------------------------


def test_annotate_drops_and_lists_silenced_findings() -> None:
    result = annotate_source(LEGACY)
    assert [f.line for f in result.legacy if f.idiom == "data-index-zero"] == [4]
    assert Suppressed(3, "data-index-zero") in result.suppressed
    assert Suppressed(5, "data-index-zero") in result.suppressed  # reported at the statement's first line


def test_annotate_silences_annotations_by_role() -> None:
    result = annotate_source("import torch\nx = torch.zeros(2)  # readkit: ignore[tensor]\ny = torch.ones(2)\n")
    assert [a.line for a in result.annotations if a.role == "tensor"] == [3]
    assert result.suppressed == (Suppressed(2, "tensor"),)


def test_annotate_cli_lists_suppressed_in_the_summary(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(LEGACY)
    text = CliRunner().invoke(main, ["annotate", str(script), "--no-color"]).output
    # the bare ignore on lines 5-6 silences that statement's annotations too
    assert "suppressed 7 by `# readkit: ignore` (autograd 2, data-index-zero 3, tensor 2)" in text
    document = json.loads(CliRunner().invoke(main, ["annotate", str(script), "--format", "json"]).output)
    silenced = document["summary"]["suppressed"]
    assert {(item["line"], item["id"]) for item in silenced} >= {(3, "data-index-zero"), (5, "data-index-zero")}
    assert all(item["path"] == str(script) for item in silenced)


# ---- migrate -------------------------------------------------------------------------------------


def test_migrate_leaves_a_silenced_line_as_written() -> None:
    migrated = migrate_source(LEGACY)
    lines = migrated.code.splitlines()
    assert lines[2] == "print(loss.data[0])  # readkit: ignore[data-index-zero]"
    assert lines[3] == "print(loss.item())"
    assert "loss.data[0] +" in lines[4]
    assert [c.line for c in migrated.changes] == [4]
    assert {(s.line, s.id) for s in migrated.suppressed} == {(3, "data-index-zero"), (5, "data-index-zero"),
                                                            (6, "data-index-zero")}


def test_migrate_cli_lists_suppressed(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(LEGACY)
    text = CliRunner().invoke(main, ["migrate", str(script), "--no-color"]).output
    assert "3 suppressed (data-index-zero 3)" in text
    document = json.loads(CliRunner().invoke(main, ["migrate", str(script), "--format", "json"]).output)
    assert {(s["line"], s["id"]) for s in document["files"][0]["suppressed"]} >= {(3, "data-index-zero")}


ASYNC = """\
import torch
x = x.cuda(async=True)  # readkit: ignore[async-argument]
y = y.cuda(async=True)
print(loss.data[0])  # readkit: ignore
"""


def test_a_silenced_async_keyword_is_renamed_and_reported_as_overridden_not_suppressed() -> None:
    migrated = migrate_source(ASYNC)
    assert migrated.code.splitlines()[1] == "x = x.cuda(non_blocking=True)  # readkit: ignore[async-argument]"
    assert [(c.line, c.idiom) for c in migrated.changes] == [(2, "async-argument"), (3, "async-argument")]
    assert [(n.line, n.idiom) for n in migrated.overridden] == [(2, "async-argument")]
    assert "does not parse" in migrated.overridden[0].note
    assert {(s.line, s.id) for s in migrated.suppressed} == {(4, "data-index-zero")}  # was (2, "async-argument") too


def test_migrate_cli_says_which_suppressed_line_it_changed_all_the_same(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(ASYNC)
    text = CliRunner().invoke(main, ["migrate", str(script), "--no-color"]).output
    assert f"{script}:2: changed despite `# readkit: ignore` [async-argument]: `async` is a keyword" in text
    assert "1 suppressed (data-index-zero 1), 1 suppression overridden (async-argument 1)" in text
    file = json.loads(CliRunner().invoke(main, ["migrate", str(script), "--format", "json"]).output)["files"][0]
    assert [(o["line"], o["idiom"]) for o in file["overridden"]] == [(2, "async-argument")]
    assert [(s["line"], s["id"]) for s in file["suppressed"]] == [(4, "data-index-zero")]


# ---- check ---------------------------------------------------------------------------------------


def test_check_silences_a_workflow_problem_on_its_line(tmp_path: Path) -> None:
    for name in ("gradients-accumulate__bad.py", "common_net.py"):
        shutil.copy(CHECK_FIXTURES / name, tmp_path / name)
    script = tmp_path / "gradients-accumulate__bad.py"
    lines = script.read_text().splitlines()
    assert lines[13].strip() == "optimizer.step()"  # where gradients-accumulate is reported
    lines[13] += "  # readkit: ignore[gradients-accumulate]"
    script.write_text("\n".join(lines) + "\n")
    done = CliRunner().invoke(main, ["check", str(script), "--quiet", "--format", "json"])
    document = json.loads(done.output)
    assert document["problems"] == []
    assert [(p["check"], p["line"]) for p in document["suppressed"]] == [("gradients-accumulate", 14)]
    assert done.exit_code == 0
