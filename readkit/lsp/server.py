"""The pygls server: documents in, readkit's analysis of their text out (see readkit/lsp/__init__.py).

Each didOpen/didChange re-analyses the editor's text (never the file on disk), in a
forked child (a crash costs that analysis, not the server), and publishes diagnostics;
hover and code actions reuse that analysis while the document's version stands. The check
results file is re-read when it changes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from readkit import __version__
from readkit.results.annotate import FileError, FileResult
from readkit.lsp import features
from readkit.lsp.runfacts import RunFacts, facts_for, find_results


@dataclass(frozen=True)
class Analysis:
    version: int | None
    text: str
    result: FileResult


class ReadkitServer(LanguageServer):
    def __init__(self, check_results: Path | None = None) -> None:
        super().__init__("readkit", __version__)
        self.check_results = check_results  # explicit results file (option or initializationOptions)
        self.analyses: dict[str, Analysis] = {}

    def analysis(self, uri: str) -> Analysis:
        """The analysis of the document's current text (computed once per version)."""
        document = self.workspace.get_text_document(uri)
        known = self.analyses.get(uri)
        if known is not None and known.version == document.version and known.text == document.source:
            return known
        analysis = Analysis(document.version, document.source, analyze(document.source, _path(uri)))
        self.analyses[uri] = analysis
        return analysis

    def facts(self, uri: str) -> tuple[RunFacts | None, bool]:
        """The check run's facts about the document, and whether the file changed since the run."""
        path = Path(_path(uri))
        results = find_results(path, self.check_results)
        facts = facts_for(results, path) if results is not None else None
        return facts, facts is not None and facts.stale_for(path)

    def publish(self, uri: str) -> None:
        analysis = self.analysis(uri)
        facts, stale = self.facts(uri)
        found = features.diagnostics(analysis.result, facts, analysis.text, stale)
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=found,
                                                                              version=analysis.version))


def analyze(text: str, path: str) -> FileResult:
    """The text's analysis, in a child forked for it (about 10 ms more): a crash in libcst's parser
    (a segfault, the OOM killer) is that document's error, not the end of the server, which the
    editor would restart only to crash again on the same document."""
    from readkit.annotate import annotate_source, isolated, pool

    pool.load_analyzer()  # each child starts with the parser and the rules (imported here once)

    def crashed(source: str, why: str) -> FileResult:
        return FileResult(path, error=FileError("crashed", f"analysis crashed ({why})"))

    [(_, result)] = isolated.one_by_one(functools.partial(annotate_source, path=path), [text], crashed)
    return result


def _path(uri: str) -> str:
    return to_fs_path(uri) or uri


def build_server(check_results: Path | None = None) -> ReadkitServer:
    server = ReadkitServer(check_results)

    @server.feature(types.INITIALIZE)
    def initialize(ls: ReadkitServer, params: types.InitializeParams) -> None:
        _apply_options(ls, params.initialization_options)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: ReadkitServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: ReadkitServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: ReadkitServer, params: types.DidSaveTextDocumentParams) -> None:
        ls.publish(params.text_document.uri)  # a check run may have written new results meanwhile

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: ReadkitServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.analyses.pop(params.text_document.uri, None)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=params.text_document.uri,
                                                                            diagnostics=[]))

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: ReadkitServer, params: types.HoverParams) -> types.Hover | None:
        analysis = ls.analysis(params.text_document.uri)
        facts, stale = ls.facts(params.text_document.uri)
        return features.hover(analysis.result, facts, analysis.text, params.position.line, stale)

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, features.FIX_ALL]))
    def code_action(ls: ReadkitServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        analysis = ls.analysis(uri)
        return features.code_actions(analysis.text, _path(uri), uri, analysis.result, params.range,
                                     params.context.diagnostics)

    return server


def _apply_options(server: ReadkitServer, options: Any) -> None:
    """initializationOptions {"checkResults": PATH}: the results file, unless the command line named one."""
    if server.check_results is None and isinstance(options, dict) and isinstance(options.get("checkResults"), str):
        server.check_results = Path(options["checkResults"]).expanduser()


def serve(check_results: Path | None = None) -> None:
    """Serve over stdin/stdout until the client says exit."""
    build_server(check_results).start_io()
