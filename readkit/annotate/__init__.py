"""The annotator: label every PyTorch use by package role, and flag legacy idioms.

Public API: `annotate_paths`, `annotate_source`, `UnknownFilterError`; for big trees, the
streamed form `plan_paths` + `iter_annotate`, with an `AnnotateCache` (see api.py, cache.py);
the engine (`engine.analyze_source`) for tools that need the parsed module and fixes.
"""

from __future__ import annotations

from readkit.annotate.api import (ANNOTATION_RULES, Plan, UnknownFilterError, annotate_paths, annotate_source,
                                  iter_annotate, known_rule_ids, plan_paths)
from readkit.annotate.cache import AnnotateCache

__all__ = ["ANNOTATION_RULES", "AnnotateCache", "Plan", "UnknownFilterError", "annotate_paths", "annotate_source",
           "iter_annotate", "known_rule_ids", "plan_paths"]
