"""SARIF 2.1.0: the spec's required fields, and legacy idioms as results."""

from __future__ import annotations

import json

from readkit.results.annotate import AnnotateResult, FileResult, LegacyFinding
from readkit.render.sarif import SARIF_SCHEMA, artifact_uri, to_sarif


def sarif(result: AnnotateResult) -> dict:
    return json.loads(to_sarif(result))


def test_log_has_the_required_top_level_fields(result):
    log = sarif(result)
    assert log["version"] == "2.1.0"
    assert log["$schema"] == SARIF_SCHEMA
    assert len(log["runs"]) == 1
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "readkit"
    assert isinstance(driver["rules"], list)


def test_legacy_findings_are_results_with_full_locations(result):
    run = sarif(result)["runs"][0]
    (found,) = run["results"]
    assert found["ruleId"] == "data-index-zero"
    assert run["tool"]["driver"]["rules"][found["ruleIndex"]]["id"] == "data-index-zero"
    assert found["message"]["text"] == ("`.data[0]` of a 0-dim tensor raises IndexError. Use instead: loss.item().")
    location = found["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"].startswith("file:///")
    assert location["artifactLocation"]["uri"].endswith("/train.py")
    assert location["region"] == {"startLine": 4, "startColumn": 7, "endLine": 4, "endColumn": 19}


def test_every_rule_descriptor_has_descriptions_and_help(result):
    for rule in sarif(result)["runs"][0]["tool"]["driver"]["rules"]:
        assert rule["id"] and rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert f"readkit explain {rule['id']}" in rule["help"]["text"]
        assert rule["help"]["markdown"]


def test_rules_come_from_the_rule_data_the_result_carries():
    from readkit.annotate import annotate_paths
    from readkit.annotate.rules.base import all_rules

    carried = annotate_paths([])  # no files, yet every rule that would run is documented
    rules = {r["id"]: r for r in sarif(carried)["runs"][0]["tool"]["driver"]["rules"]}
    assert set(rules) == {rule.id for rule in all_rules()}
    for rule in all_rules():
        assert rules[rule.id]["shortDescription"]["text"] == rule.message
    assert sarif(AnnotateResult())["runs"][0]["tool"]["driver"]["rules"] == []  # render invents no rules


def test_unparseable_files_are_error_notifications(result):
    invocation = sarif(result)["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error"
    assert note["message"]["text"] == "python2: Missing parentheses in call to 'print'"
    assert note["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "old/py2.py"}, "region": {"startLine": 3, "startColumn": 7}}


def test_relative_paths_become_relative_uri_references():
    assert artifact_uri("src/my model.py") == "src/my%20model.py"
    assert artifact_uri("/abs/x.py") == "file:///abs/x.py"


def test_notebook_results_carry_the_cell():
    file = FileResult("nb.ipynb", legacy=(LegacyFinding(2, 1, 2, 9, "variable-wrapper", "m", None),),
                      cells=((1, 1), (5, 3)))
    (found,) = sarif(AnnotateResult((file,)))["runs"][0]["results"]
    assert found["properties"] == {"cell": 5, "cell_line": 3}
