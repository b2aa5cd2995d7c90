"""readkit's own formatters for results shown in notebooks and terminals.

Results cannot import render (they are the layer below it); this module registers the
formatters they ask for through readkit.results.display. `import readkit` loads it, so a
result displays itself wherever readkit is imported. Each formatter imports its render
module on first use: registering costs nothing at `import readkit` time.
"""

from __future__ import annotations

import importlib
from typing import Any

from readkit.results import display
from readkit.results.annotate import AnnotateResult, FileResult
from readkit.results.check import CheckResult
from readkit.results.reference import ReferenceRun, StepResult


def _lazy(module: str, function: str, **options: Any) -> display.Formatter:
    """`readkit.render.<module>.<function>(result, **options)`, imported when first called."""
    def formatter(result: Any) -> str:
        text: str = getattr(importlib.import_module(f"readkit.render.{module}"), function)(result, **options)
        return text

    return formatter


display.register(FileResult, "text", _lazy("annotate", "to_text"))
display.register(AnnotateResult, "text", _lazy("annotate", "to_text"))
display.register(FileResult, "html", _lazy("html.fragment", "fragment_html"))
display.register(AnnotateResult, "html", _lazy("html.fragment", "result_fragment_html"))
display.register(CheckResult, "text", _lazy("check", "to_text", color=False))
display.register(CheckResult, "html", _lazy("html.check_fragment", "check_fragment_html"))
display.register(StepResult, "markdown", _lazy("reference", "step_markdown"))
display.register(ReferenceRun, "markdown", _lazy("reference", "run_markdown"))
