"""Results of `readkit annotate`: frozen dataclasses, the only shapes that leave the annotator.

Positions: lines are 1-based, columns are 1-based (as editors, SARIF and ruff show them).
`render/` turns these into text, JSON, SARIF, HTML and annotated copies; nothing else formats them,
and it needs nothing beyond what is here: a file's source travels with its result, a legacy
finding carries its rule's modern form and reference step, and an `AnnotateResult` carries the
catalogue of the rules that ran (`rules`), so render never reads files or imports rules.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from readkit.results import display

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
    # what to write instead, on one line, built from the code found: the fix when there is one,
    # the same call completed when there is none, else the rule's modern form in general
    modern: str | None = None
    reference_step: str | None = None  # `readkit run-reference --step` showing old beside new


@dataclass(frozen=True)
class Suppressed:
    """A finding, annotation or workflow problem a `# readkit: ignore[...]` comment silenced."""

    line: int
    id: str  # the legacy rule id, role or check id that was silenced


@dataclass(frozen=True)
class RuleInfo:
    """What a legacy rule is, as documentation: enough for SARIF's rule table and tooltips."""

    id: str  # "data-index-zero"
    message: str  # one line: what is legacy here
    why: str  # what current torch does with the old form
    modern: str  # the modern form
    example: str | None = None  # one marked example
    reference_step: str | None = None


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
    # the analyzed code (a notebook's code cells joined as one program); None when unreadable
    source: str | None = field(default=None, repr=False, compare=False)
    # notebooks: (cell number, text) of each markdown cell, in notebook order
    markdown: tuple[tuple[int, str], ...] = field(default=(), repr=False, compare=False)
    # notebooks: (program line, original text) of IPython-only lines the program replaced
    replaced_lines: tuple[tuple[int, str], ...] = field(default=(), repr=False, compare=False)
    suppressed: tuple[Suppressed, ...] = ()  # silenced by `# readkit: ignore[...]` comments, by line

    def role_counts(self) -> Counter[str]:
        return Counter(a.role for a in self.annotations)

    # Views for notebooks and terminals: formatters registered by readkit.render (results/display.py).
    def _repr_html_(self) -> str | None:
        return display.show(self, "html")

    def __str__(self) -> str:
        return display.show(self, "text") or repr(self)


@dataclass
class Tally:
    """Running totals over files as they arrive (a streamed run keeps these, not the files)."""

    files: int = 0
    failed: int = 0
    annotations: int = 0
    legacy: int = 0
    roles: Counter[str] = field(default_factory=Counter)
    evidence: Counter[str] = field(default_factory=Counter)
    idioms: Counter[str] = field(default_factory=Counter)
    suppressed: list[tuple[str, Suppressed]] = field(default_factory=list)  # (path, what was silenced)

    def add(self, file: FileResult) -> None:
        self.files += 1
        self.failed += file.error is not None
        self.annotations += len(file.annotations)
        self.legacy += len(file.legacy)
        self.roles.update(a.role for a in file.annotations)
        self.evidence.update(a.evidence for a in file.annotations)
        self.idioms.update(f.idiom for f in file.legacy)
        self.suppressed.extend((file.path, item) for item in file.suppressed)

    @classmethod
    def of(cls, files: Iterable[FileResult]) -> Tally:
        tally = cls()
        for file in files:
            tally.add(file)
        return tally


@dataclass(frozen=True)
class AnnotateResult:
    files: tuple[FileResult, ...] = field(default_factory=tuple)
    rules: tuple[RuleInfo, ...] = ()  # every legacy rule that ran, for documentation (SARIF)

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

    def _repr_html_(self) -> str | None:
        return display.show(self, "html")

    def __str__(self) -> str:
        return display.show(self, "text") or repr(self)
