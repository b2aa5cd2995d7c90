"""`readkit migrate`: rewrite 0.1-0.4-era PyTorch idioms into code that runs today, and prove it by running.

The public entry is `migrate_paths` (readkit/migrate/api.py); the rewriting
itself is `readkit.migrate.codemod.migrate_source`, driven by the legacy rules
of readkit/annotate/rules/. Results are the frozen dataclasses of model.py.
"""

from __future__ import annotations

from readkit.migrate.api import migrate_paths
from readkit.migrate.errors import MigrateUsageError
from readkit.results.migrate import Change, FileMigration, MigrationResult, Note, RunOutcome, Verification

__all__ = ["migrate_paths", "MigrateUsageError", "MigrationResult", "FileMigration", "Change", "Note", "RunOutcome", "Verification"]
