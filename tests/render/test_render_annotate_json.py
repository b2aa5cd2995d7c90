"""`readkit annotate --format json`: the documented shape, keys and types."""

from __future__ import annotations

import json

from readkit import __version__
from readkit.results.annotate import AnnotateResult, FileResult, LegacyFinding
from readkit.render.annotate_json import JsonLinesWriter, to_json
from readkit.render.run_index import RunIndex

from render_helpers import ann

ANNOTATION_KEYS = {"line": int, "column": int, "end_line": int, "end_column": int, "role": str,
                   "evidence": str, "symbol": (str, type(None)), "rule": str, "message": str}
LEGACY_KEYS = {"line": int, "column": int, "idiom": str, "message": str, "replacement": (str, type(None)),
               "modern": (str, type(None))}


def test_document_has_exactly_the_documented_keys_and_types(result):
    doc = json.loads(to_json(result))
    assert list(doc) == ["readkit_version", "files", "summary"]
    assert doc["readkit_version"] == __version__
    for file in doc["files"]:
        assert list(file) == ["path", "annotations", "legacy", "error"]
        for item in file["annotations"]:
            assert {k: type(v) for k, v in item.items()}.keys() == ANNOTATION_KEYS.keys()
            assert all(isinstance(item[k], t) for k, t in ANNOTATION_KEYS.items())
        for item in file["legacy"]:
            assert item.keys() == LEGACY_KEYS.keys()
            assert all(isinstance(item[k], t) for k, t in LEGACY_KEYS.items())


def test_values_round_trip(result):
    train, py2, quiet = json.loads(to_json(result))["files"]
    assert train["annotations"][0] == {
        "line": 2, "column": 7, "end_line": 2, "end_column": 12, "role": "optim", "evidence": "resolved",
        "symbol": "torch.optim.SGD", "rule": "test-rule", "message": "create an optimizer"}
    assert train["legacy"] == [{"line": 4, "column": 7, "idiom": "data-index-zero",
                                "message": "`.data[0]` of a 0-dim tensor raises IndexError",
                                "replacement": "loss.item()", "modern": None}]
    assert train["error"] is None
    assert py2["error"] == {"kind": "python2", "message": "Missing parentheses in call to 'print'",
                            "line": 3, "column": 7}
    assert quiet == {"path": "quiet.py", "annotations": [], "legacy": [], "error": None}


def test_summary(result):
    assert json.loads(to_json(result))["summary"] == {
        "files": 3, "analyzed": 2, "failed": 1, "annotations": 3, "legacy": 1,
        "roles": {"autograd": 1, "optim": 2},
        "evidence": {"heuristic": 1, "inferred": 1, "resolved": 1},
        "idioms": {"data-index-zero": 1},
        "suppressed": [],
    }


def test_roles_are_in_role_table_order():
    file = FileResult("a.py", annotations=(ann(1, "optim", "resolved", None, "m"), ann(2, "data", "resolved", None, "m"),
                                            ann(3, "tensor", "resolved", None, "m")))
    assert list(json.loads(to_json(AnnotateResult((file,))))["summary"]["roles"]) == ["tensor", "optim", "data"]


def test_notebook_items_carry_their_cell():
    file = FileResult("nb.ipynb", annotations=(ann(2, "tensor", "resolved", "torch.ones", "ones"),),
                      legacy=(LegacyFinding(1, 1, 1, 5, "variable-wrapper", "m", None),), cells=((1, 1), (3, 4)))
    out = json.loads(to_json(AnnotateResult((file,))))["files"][0]
    assert (out["annotations"][0]["cell"], out["annotations"][0]["cell_line"]) == (3, 4)
    assert (out["legacy"][0]["cell"], out["legacy"][0]["cell_line"]) == (1, 1)


def test_run_adds_verdicts_observed_lines_and_the_run(train_file, check_of):
    doc = json.loads(to_json(AnnotateResult((train_file,)), RunIndex.from_check(check_of)))
    assert doc["run"] == {"target": check_of.target, "status": "ok", "exit_code": 0, "seconds": 0.25,
                          "failure": None}
    file = doc["files"][0]
    assert [a["verdict"] for a in file["annotations"]] == ["confirmed", "not-reached", "confirmed"]
    assert file["observed"] == [{"line": 2, "roles": ["optim", "tensor"], "calls": 2, "shapes": ["float32[1] cpu"]},
                                {"line": 5, "roles": ["optim"], "calls": 1, "shapes": []}]
    assert file["missed"] == [{"line": 2, "role": "tensor"}]
    assert doc["summary"]["verdicts"] == {"confirmed": 2, "not-reached": 1}


def test_without_a_run_there_are_no_run_keys(result):
    doc = json.loads(to_json(result))
    assert "run" not in doc and "verdicts" not in doc["summary"]
    assert all("verdict" not in a for f in doc["files"] for a in f["annotations"])


def jsonl(result: AnnotateResult, run: RunIndex | None = None) -> list[dict[str, object]]:
    text = "".join(JsonLinesWriter(run).document(result.files))
    assert text.endswith("\n") and all(line.strip() for line in text.splitlines())
    return [json.loads(line) for line in text.splitlines()]


def test_json_lines_carry_the_same_objects_one_per_line(result):
    whole, lines = json.loads(to_json(result)), jsonl(result)
    assert lines[0] == {"readkit_version": __version__}
    assert [line["file"] for line in lines[1:-1]] == whole["files"]
    assert lines[-1] == {"summary": whole["summary"]}


def test_json_lines_with_a_run_put_it_in_the_first_line(train_file, check_of):
    run = RunIndex.from_check(check_of)
    whole, lines = json.loads(to_json(AnnotateResult((train_file,)), run)), jsonl(AnnotateResult((train_file,)), run)
    assert lines[0]["run"] == whole["run"] and lines[1]["file"] == whole["files"][0]
    assert lines[-1]["summary"]["verdicts"] == {"confirmed": 2, "not-reached": 1}
