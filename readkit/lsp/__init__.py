"""`readkit lsp`: readkit in the editor, as a language server (pygls, stdio).

- hover on a line: its roles, evidence, explanation and reference step; after a
  `readkit check` run, what ran there (calls, shapes) and the verdicts;
- diagnostics: legacy idioms (with code actions applying the migrator's fix) and,
  after a run, workflow problems;
- every analysis is of the editor's text (didOpen/didChange), never the file on disk.

runfacts.py reads a check results file, features.py turns results into LSP
values (no server), server.py wires them to pygls. docs/editor.md has the setup.
Left out: notebooks opened in an editor's notebook view (LSP notebook documents).
"""
