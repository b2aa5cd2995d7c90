"""`readkit annotate --format sarif`: SARIF 2.1.0 for code-scanning tools.

Legacy idioms are the results (rule id = idiom id); the rules' descriptions and
help come from the rules' own data (readkit.annotate.rules). Role annotations
are not results: they are explanations, not problems. Files that could not be
analyzed become error notifications of the invocation, with their location.
Notebook results point at the analyzed program's lines and carry the cell a
reader sees in `properties.cell` and `properties.cell_line`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from readkit.version import __version__
from readkit.results.annotate import AnnotateResult, FileError, FileResult, LegacyFinding

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
RULE_DOCS = "docs/rules/{id}.md"

JsonObject = dict[str, Any]


def to_sarif(result: AnnotateResult) -> str:
    return json.dumps(sarif_log(result), indent=2) + "\n"


def sarif_log(result: AnnotateResult) -> JsonObject:
    rules = rule_descriptors(result, {f.idiom for file in result.files for f in file.legacy})
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    results = [_result(file, f, index) for file in result.files for f in file.legacy]
    run: JsonObject = {
        "tool": {"driver": {"name": "readkit", "version": __version__, "semanticVersion": __version__,
                            "rules": rules}},
        "results": results,
        "invocations": [_invocation(result)],
        "columnKind": "unicodeCodePoints",
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def rule_descriptors(result: AnnotateResult, used: set[str]) -> list[JsonObject]:
    """Every rule that ran (so the log documents them all), plus any idiom found that no rule names."""
    rules = [_descriptor(r.id, r.message, r.why, r.modern, (r.example,) if r.example else ())
             for r in result.rules]
    known = {rule["id"] for rule in rules}
    rules += [_descriptor(idiom, idiom, "", "", ()) for idiom in sorted(used - known)]
    return rules


def _descriptor(rule_id: str, message: str, why: str, modern: str, examples: tuple[str, ...]) -> JsonObject:
    example = f"\n\nExample:\n\n```python\n{examples[0]}\n```" if examples else ""
    use_instead = f"\n\nUse instead: {modern}" if modern else ""
    more = f"`readkit explain {rule_id}` ({RULE_DOCS.format(id=rule_id)})"
    return {
        "id": rule_id,
        "name": "".join(part.capitalize() for part in rule_id.split("-")),
        "shortDescription": {"text": message},
        "fullDescription": {"text": _join(message, why)},
        "help": {"text": _join(why, f"Use instead: {modern}" if modern else "", f"More: {more}"),
                 "markdown": f"{why}{example}{use_instead}\n\nMore: {more}".strip()},
        "defaultConfiguration": {"level": "warning"},
    }


def _join(*sentences: str) -> str:
    """Sentences joined with '. ', skipping empty ones and doubled full stops."""
    kept = [s.strip().rstrip(".") for s in sentences if s.strip()]
    return ". ".join(kept) + "." if kept else ""


def _result(file: FileResult, finding: LegacyFinding, index: dict[str, int]) -> JsonObject:
    text = _join(finding.message, f"Use instead: {finding.replacement}" if finding.replacement else "")
    region = {"startLine": finding.line, "startColumn": finding.column,
              "endLine": finding.end_line, "endColumn": finding.end_column}
    out: JsonObject = {
        "ruleId": finding.idiom,
        "ruleIndex": index[finding.idiom],
        "level": "warning",
        "message": {"text": text},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": artifact_uri(file.path)}, "region": region}}],
    }
    if finding.replacement is not None:
        out["properties"] = {"replacement": finding.replacement}
    cell = _cell(file, finding.line)
    if cell is not None:
        out.setdefault("properties", {}).update(cell)
    return out


def _cell(file: FileResult, line: int) -> JsonObject | None:
    if file.cells is not None and 1 <= line <= len(file.cells):
        number, cell_line = file.cells[line - 1]
        return {"cell": number, "cell_line": cell_line}
    return None


def _invocation(result: AnnotateResult) -> JsonObject:
    notes = [_notification(f.path, f.error) for f in result.files if f.error is not None]
    return {"executionSuccessful": not notes, "toolExecutionNotifications": notes}


def _notification(path: str, error: FileError) -> JsonObject:
    location: JsonObject = {"artifactLocation": {"uri": artifact_uri(path)}}
    if error.line is not None:
        location["region"] = {"startLine": error.line, **({"startColumn": error.column} if error.column else {})}
    return {"level": "error", "message": {"text": f"{error.kind}: {error.message}"},
            "locations": [{"physicalLocation": location}]}


def artifact_uri(path: str) -> str:
    """A relative path as a relative URI reference (forward slashes), an absolute one as file://."""
    if os.path.isabs(path):
        return Path(path).as_uri()
    return quote(path.replace(os.sep, "/"))
