"""`readkit lsp` end to end: a real LSP client (pytest-lsp) drives the server over stdio."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from readkit.migrate.codemod import migrate_source

LEGACY = """\
import torch
from torch.autograd import Variable

x = Variable(torch.ones(2, 3))
loss = (x * 2).sum()
print(loss.data[0])
"""

# A training loop that never clears its gradients, with a legacy wrapper: what a check run is for.
TRAIN = """\
import torch
from torch.autograd import Variable

torch.manual_seed(0)
x = Variable(torch.randn(8, 3))
y = torch.randn(8, 1)
model = torch.nn.Linear(3, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
for step in range(3):
    loss = ((model(x) - y) ** 2).mean()
    loss.backward()
    optimizer.step()
"""


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "readkit", "lsp"]))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(types.InitializeParams(capabilities=types.ClientCapabilities()))
    yield
    await lsp_client.shutdown_session()


async def _open(client: LanguageClient, path: Path, text: str) -> list[types.Diagnostic]:
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return list(client.diagnostics[uri])


def _apply(text: str, edits: list[types.TextEdit]) -> str:
    """Apply whole-line TextEdits (as the server makes them) to `text`."""
    lines = text.splitlines(keepends=True)
    for edit in sorted(edits, key=lambda e: e.range.start.line, reverse=True):
        lines[edit.range.start.line : edit.range.end.line] = [edit.new_text]
    return "".join(lines)


@pytest.mark.asyncio
async def test_legacy_idioms_are_diagnostics_on_their_spans(client: LanguageClient, tmp_path: Path) -> None:
    found = await _open(client, tmp_path / "old.py", LEGACY)
    by_code = {d.code: d for d in found}
    assert set(by_code) == {"variable-wrapper", "data-index-zero"}
    index = by_code["data-index-zero"]
    assert (index.range.start.line, index.range.start.character, index.range.end.character) == (5, 6, 18)
    assert index.severity == types.DiagnosticSeverity.Warning and index.source == "readkit"
    assert index.message.endswith("→ loss.item()")


# Findings whose one-line modern form is not their fix: a multi-line `with` block, and no fix at all.
NOT_ONE_LINE = """\
import torch
import torch.nn.functional as F

p = F.softmax(scores)
for w in model.parameters():
    w.data -= lr * w.grad.data  # plain SGD
"""


@pytest.mark.asyncio
async def test_diagnostics_end_in_the_one_line_modern_form_not_the_fix(client: LanguageClient,
                                                                       tmp_path: Path) -> None:
    path = tmp_path / "update.py"
    by_code = {d.code: d for d in await _open(client, path, NOT_ONE_LINE)}
    assert by_code["implicit-softmax-dim"].message.endswith(" → F.softmax(scores, dim=1)")  # no fix: was no arrow
    update = by_code["data-update"].message
    assert update.endswith(" → with torch.no_grad(): w -= lr * w.grad") and "\n" not in update
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=path.as_uri()), range=by_code["data-update"].range,
        context=types.CodeActionContext(diagnostics=[by_code["data-update"]])))
    quick = next(a for a in actions or [] if isinstance(a, types.CodeAction) and a.kind == types.CodeActionKind.QuickFix)
    assert quick.title == "readkit: data-update → with torch.no_grad(): w -= lr * w.grad"
    assert _apply(NOT_ONE_LINE, quick.edit.changes[path.as_uri()]) == migrate_source(NOT_ONE_LINE, str(path)).code


@pytest.mark.asyncio
async def test_hover_shows_roles_evidence_explanation_and_reference_step(client: LanguageClient,
                                                                       tmp_path: Path) -> None:
    path = tmp_path / "old.py"
    await _open(client, path, LEGACY)
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=path.as_uri()), position=types.Position(line=5, character=8)))
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    text = hover.contents.value
    assert "`[autograd]`" in text and "`[tensor]`" in text  # loss.data, the [0]
    assert "inferred: followed from where the object was made" in text
    assert "**legacy `data-index-zero`**" in text and "modern: `loss.item()`" in text
    assert "readkit run-reference --step autograd.backward_of_sum" in text
    blank = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=path.as_uri()), position=types.Position(line=2, character=0)))
    assert blank is None


@pytest.mark.asyncio
async def test_changes_are_analysed_from_the_editor_text_not_the_disk(client: LanguageClient, tmp_path: Path) -> None:
    path = tmp_path / "never_saved.py"  # no such file on disk
    assert await _open(client, path, LEGACY)
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=path.as_uri(), version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=LEGACY.replace("loss.data[0]", "loss.item()"))]))
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    assert {d.code for d in client.diagnostics[path.as_uri()]} == {"variable-wrapper"}
    assert not path.exists()


@pytest.mark.asyncio
async def test_code_actions_apply_the_migrators_fix(client: LanguageClient, tmp_path: Path) -> None:
    path = tmp_path / "old.py"
    found = await _open(client, path, LEGACY)
    index = next(d for d in found if d.code == "data-index-zero")
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=path.as_uri()), range=index.range,
        context=types.CodeActionContext(diagnostics=[index])))
    assert actions is not None
    by_kind = {a.kind: a for a in actions if isinstance(a, types.CodeAction)}
    quick = by_kind[types.CodeActionKind.QuickFix]
    assert quick.title == "readkit: data-index-zero → loss.item()" and list(quick.diagnostics or []) == [index]
    fixed = _apply(LEGACY, quick.edit.changes[path.as_uri()])
    assert fixed == LEGACY.replace("loss.data[0]", "loss.item()")  # this finding only: Variable stays
    everything = _apply(LEGACY, by_kind[types.CodeActionKind.SourceFixAll].edit.changes[path.as_uri()])
    assert everything == migrate_source(LEGACY, str(path)).code
    assert "Variable" not in everything and "loss.item()" in everything


@pytest.mark.asyncio
async def test_after_a_check_run_problems_and_shapes_appear(client: LanguageClient, tmp_path: Path) -> None:
    from readkit.check import check_target
    from readkit.render.check import to_json

    script = tmp_path / "train.py"
    script.write_text(TRAIN, encoding="utf-8")
    results = tmp_path / ".readkit" / "check.json"
    results.parent.mkdir()
    results.write_text(to_json(check_target(script, quiet=True, timeout=120)), encoding="utf-8")
    assert json.loads(results.read_text(encoding="utf-8"))["status"] == "ok"

    found = await _open(client, script, TRAIN)
    ran = [d for d in found if d.source == "readkit check"]
    assert [(d.code, d.range.start.line) for d in ran] == [("gradients-accumulate", 11)]  # optimizer.step()
    assert "variable-wrapper" in {d.code for d in found}
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=script.as_uri()), position=types.Position(line=4, character=4)))
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "ran ×" in hover.contents.value and "float32[8, 3] cpu" in hover.contents.value
    assert "tensor ✓ confirmed" in hover.contents.value


def test_the_cli_says_how_to_get_the_server_when_pygls_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from readkit.cli import cli

    monkeypatch.setitem(sys.modules, "readkit.lsp.server", None)  # import fails as without pygls
    result = CliRunner().invoke(cli, ["lsp"])
    assert result.exit_code == 2
    assert "pip install 'readkit[lsp]'" in result.output
