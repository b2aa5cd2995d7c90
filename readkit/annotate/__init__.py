"""The annotator: label every PyTorch use by package role, and flag legacy idioms.

Public API: `annotate_paths`, `annotate_source`, `UnknownFilterError` (see api.py);
the engine (`engine.analyze_source`) for tools that need the parsed module and fixes.
"""

from __future__ import annotations

from readkit.annotate.api import ANNOTATION_RULES, UnknownFilterError, annotate_paths, annotate_source, known_rule_ids

__all__ = ["ANNOTATION_RULES", "UnknownFilterError", "annotate_paths", "annotate_source", "known_rule_ids"]
