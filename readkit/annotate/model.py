"""Results of `readkit annotate`: frozen dataclasses, the only shapes that leave the annotator.

Positions: lines are 1-based, columns are 1-based (as editors, SARIF and ruff show them).
`render/` turns these into text, JSON, SARIF, HTML and annotated copies; nothing else formats them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

EVIDENCE = ("resolved", "inferred", "heuristic")


@dataclass(frozen=True)
class Annotation:
    """One PyTorch use: the span, its role, why readkit thinks so."""

    line: int
    column: int
    end_line: int
    end_column: int
    role: str  # a name from readkit.roles.ROLES
    evidence: str  # one of EVIDENCE
    symbol: str | None  # qualified torch name where known: "torch.optim.SGD", "torch.Tensor.backward"
    rule: str  # the annotation rule that produced it
    message: str  # one line a learner understands


@dataclass(frozen=True)
class LegacyFinding:
    """A 0.1-0.4-era idiom and its modern form."""

    line: int
    column: int
    end_line: int
    end_column: int
    idiom: str  # rule id, e.g. "data-index-zero"
    message: str
    replacement: str | None  # the modern code for this span, when one is known
    # what to write instead, on one line, built from the code found (the fix when there is one)
    modern: str | None = None


@dataclass(frozen=True)
class Suppressed:
    """A finding, annotation or workflow problem a `# readkit: ignore[...]` comment silenced."""

    line: int
    id: str  # the legacy rule id, role or check id that was silenced


@dataclass(frozen=True)
class FileError:
    kind: str  # "syntax", "python2", "encoding", "binary", "unreadable"
    message: str
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True)
class FileResult:
    path: str
    annotations: tuple[Annotation, ...] = ()
    legacy: tuple[LegacyFinding, ...] = ()
    error: FileError | None = None
    # notebooks: maps a line of the analyzed program to (cell index, line in cell)
    cells: tuple[tuple[int, int], ...] | None = None
    # the analyzed code, kept only by annotate_source (nothing on disk to read it back from)
    source: str | None = field(default=None, repr=False, compare=False)
    suppressed: tuple[Suppressed, ...] = ()  # silenced by `# readkit: ignore[...]` comments, by line

    def role_counts(self) -> Counter[str]:
        return Counter(a.role for a in self.annotations)

    # Views for notebooks and terminals: readkit.render formats, this only delegates.
    def _repr_html_(self) -> str:
        from readkit.render.html import fragment_html

        return fragment_html(self)

    def __str__(self) -> str:
        from readkit.render.annotate import to_text

        return to_text(self, source=self.source)


@dataclass(frozen=True)
class AnnotateResult:
    files: tuple[FileResult, ...] = field(default_factory=tuple)

    @property
    def failed_files(self) -> tuple[FileResult, ...]:
        return tuple(f for f in self.files if f.error is not None)

    def role_counts(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for f in self.files:
            total.update(f.role_counts())
        return total

    def idiom_counts(self) -> Counter[str]:
        return Counter(finding.idiom for f in self.files for finding in f.legacy)

    def suppressed_counts(self) -> Counter[str]:
        return Counter(item.id for f in self.files for item in f.suppressed)

    def _repr_html_(self) -> str:
        from readkit.render.html.fragment import result_fragment_html

        return result_fragment_html(self)

    def __str__(self) -> str:
        from readkit.render.annotate import to_text

        return to_text(self)
