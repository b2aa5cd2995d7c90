"""An analysis that kills its process costs that document's diagnostics, not the language server."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

# The server, with an analysis that segfaults on any text that mentions CRASH (as libcst's parser
# would on a hostile file); everything else is analysed as usual.
SERVER = """
import faulthandler, os, signal
import readkit.annotate as annotate
analyse = annotate.annotate_source
def crashing(code, path="<string>"):
    if "CRASH" in code:
        faulthandler.disable()
        os.kill(os.getpid(), signal.SIGSEGV)
    return analyse(code, path)
annotate.annotate_source = crashing
from readkit.lsp.server import serve
serve()
"""


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-c", SERVER]))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(types.InitializeParams(capabilities=types.ClientCapabilities()))
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio
async def test_a_crashing_analysis_is_an_error_on_the_document_and_the_server_goes_on(client: LanguageClient,
                                                                                   tmp_path: Path) -> None:
    uri = (tmp_path / "hostile.py").as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=uri, language_id="python", version=1, text="import torch  # CRASH\nprint(loss.data[0])\n")))
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    [crashed] = client.diagnostics[uri]
    assert (crashed.code, crashed.message) == ("crashed", "analysis crashed (signal 11, SIGSEGV)")
    assert crashed.severity == types.DiagnosticSeverity.Error and crashed.range.start.line == 0

    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text="import torch\nprint(loss.data[0])\n")]))
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    assert [d.code for d in client.diagnostics[uri]] == ["data-index-zero"]  # the same server, still serving
