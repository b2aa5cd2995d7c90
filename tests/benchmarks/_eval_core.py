"""The evaluation's data: corpus entries, statements, the oracle's ground truth, the annotator's
predictions, scores, and the checker's view beside them. Printing is eval_annotate.py's.
"""

from __future__ import annotations

import ast
import inspect
import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _eval_notebooks import join_cells

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "fixtures" / "eval"
ORACLE = Path(__file__).resolve().with_name("_oracle.py")
TARGET_PRECISION, TARGET_RECALL = 0.97, 0.95
# Tiny tensors, two cores shared by several processes: more threads only spin (docs/performance.md).
SINGLE_THREADED = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

Triple = tuple[str, int, str]  # (path relative to the corpus, statement line, role)


# ----------------------------------------------------------------------------
# The corpus


@dataclass(frozen=True)
class Entry:
    name: str
    target: str  # a script path, or a module name when `module`
    module: bool
    files: tuple[Path, ...]
    notebook: bool = False  # target is a .ipynb: its joined code cells run as a script


def discover(corpus: Path) -> list[Entry]:
    entries = []
    for path in sorted(corpus.iterdir()):
        if path.suffix == ".py" and not path.name.startswith("_"):
            entries.append(Entry(path.stem, str(path), False, (path,)))
        elif path.suffix == ".ipynb" and not path.name.startswith("_"):
            entries.append(Entry(path.stem, str(path), False, (path,), notebook=True))
        elif path.is_dir() and (path / "__main__.py").exists():
            files = tuple(sorted(p for p in path.rglob("*.py") if "__pycache__" not in p.parts))
            entries.append(Entry(path.name, path.name, True, files))
    return entries


def use_corpus(folder: Path) -> None:
    """Evaluate another folder of entries (a held-out set, a checkout of real code)."""
    global CORPUS
    CORPUS = folder.resolve()


def rel(path: str | Path) -> str:
    return os.path.relpath(os.path.abspath(path), CORPUS)


# ----------------------------------------------------------------------------
# Statements: the unit lines are compared in


@dataclass
class SourceMap:
    lines: list[str]
    unit: dict[int, int] = field(default_factory=dict)  # line -> first line of its statement (or header)
    imports: set[int] = field(default_factory=set)
    from_cell: dict[tuple[int, int], int] = field(default_factory=dict)  # notebooks: (cell, line) -> line

    def unit_of(self, line: int) -> int:
        return self.unit.get(line, line)

    def code(self, line: int) -> str:
        return self.lines[line - 1].strip() if 0 < line <= len(self.lines) else "?"


def header_end(node: ast.AST) -> int:
    body = getattr(node, "body", None)
    if isinstance(body, list) and body and isinstance(body[0], ast.AST):
        return max(getattr(node, "lineno", 0), body[0].lineno - 1)
    return getattr(node, "end_lineno", None) or getattr(node, "lineno", 0)


def source_map(path: Path) -> SourceMap:
    if path.suffix == ".ipynb":
        program = join_cells(path)
        smap = statements(program.text)
        smap.from_cell = {where: line for line, where in enumerate(program.where, start=1)}
        return smap
    return statements(path.read_text(encoding="utf-8"))


def statements(text: str) -> SourceMap:
    smap = SourceMap(text.splitlines())
    for node in ast.walk(ast.parse(text)):  # breadth first: inner statements overwrite outer ones
        if not isinstance(node, (ast.stmt, ast.ExceptHandler)):
            continue
        for decorator in getattr(node, "decorator_list", []):
            smap.unit.update({n: decorator.lineno for n in range(decorator.lineno, decorator.end_lineno + 1)})
        last = header_end(node) if hasattr(node, "body") else node.end_lineno or node.lineno
        smap.unit.update({n: node.lineno for n in range(node.lineno, last + 1)})
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            smap.imports.add(node.lineno)
    return smap


# ----------------------------------------------------------------------------
# Ground truth (oracle) and predictions (annotator)


@dataclass
class Truth:
    triples: set[Triple]
    soft: set[Triple]
    executed: set[tuple[str, int]]
    symbols: dict[Triple, set[str]]
    error: str | None
    seconds: float


def run_oracles(entries: list[Entry], jobs: int, timeout: float) -> list[dict[str, Any]]:
    """All entries in one oracle process: torch is imported once, each target runs in a forked child.

    A notebook runs as its joined code cells, written to a program file of its own; the results
    are given back under the notebook's path."""
    with tempfile.TemporaryDirectory(prefix="readkit-eval-") as tmp:
        outs = [os.path.join(tmp, f"{entry.name}.json") for entry in entries]
        items = [spec_item(entry, out, tmp) for entry, out in zip(entries, outs)]
        spec = os.path.join(tmp, "spec.json")
        Path(spec).write_text(json.dumps(items), encoding="utf-8")
        command = [sys.executable, str(ORACLE), "--root", str(CORPUS), "--batch", spec,
                   "--jobs", str(jobs), "--timeout", str(timeout)]
        env = {**os.environ, "ORACLE_CWD": tmp, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
               **SINGLE_THREADED}
        proc = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp,
                              timeout=60 + timeout * len(entries) / max(1, jobs))
        raws = [load_oracle(out, proc.stderr) for out in outs]
        return [renamed(raw, item[0], entry.target) if entry.notebook else raw
                for raw, item, entry in zip(raws, items, entries)]


def spec_item(entry: Entry, out: str, tmp: str) -> list[Any]:
    if not entry.notebook:
        return [entry.target, entry.module, out]
    folder = os.path.join(tmp, f"notebook-{entry.name}")
    os.makedirs(folder, exist_ok=True)
    program = os.path.join(folder, f"{entry.name}.ipynb.py")
    Path(program).write_text(join_cells(Path(entry.target)).text, encoding="utf-8")
    return [program, False, out, folder]


def renamed(raw: dict[str, Any], program: str, notebook: str) -> dict[str, Any]:
    name = lambda path: os.path.abspath(notebook) if path == program else path  # noqa: E731
    raw["lines"] = {name(path): lines for path, lines in raw["lines"].items()}
    raw["events"] = [[name(event[0]), *event[1:]] for event in raw["events"]]
    return raw


def load_oracle(out: str, stderr: str) -> dict[str, Any]:
    if not os.path.exists(out):
        return {"events": [], "lines": {}, "error": f"oracle failed: {stderr[-2000:]}", "seconds": 0.0}
    with open(out, encoding="utf-8") as handle:
        return dict(json.load(handle))


def truth_of(raw: dict[str, Any], maps: dict[str, SourceMap]) -> Truth:
    truth = Truth(set(), set(), set(), defaultdict(set), raw.get("error"), float(raw.get("seconds", 0.0)))
    for path, lines in raw["lines"].items():
        name = rel(path)
        if name in maps:
            truth.executed.update((name, maps[name].unit_of(line)) for line in lines)
    for path, line, qualname, role, soft in raw["events"]:
        name = rel(path)
        if name not in maps or maps[name].unit_of(line) in maps[name].imports:
            continue
        triple = (name, maps[name].unit_of(line), role)
        (truth.soft if soft else truth.triples).add(triple)
        truth.symbols[triple].add(qualname)
    truth.soft -= truth.triples
    return truth


@dataclass
class Predictions:
    triples: set[Triple]
    detail: dict[Triple, list[str]]  # evidence, symbol, rule of each annotation behind a triple
    file_errors: list[str]


def annotate(entries: list[Entry], maps: dict[str, SourceMap]) -> Predictions:
    from readkit.annotate import annotate_paths  # the annotator under evaluation

    paths = [str(path) for entry in entries for path in entry.files]
    result = call_flexibly(annotate_paths, paths)
    preds = Predictions(set(), defaultdict(list), [])
    for file in result.files:
        name = rel(file.path)
        if file.error is not None:
            preds.file_errors.append(f"{name}: {file.error.kind}: {file.error.message}")
        for ann in file.annotations if name in maps else ():
            triple = (name, maps[name].unit_of(program_line(file, ann.line, maps[name])), ann.role)
            if triple[1] not in maps[name].imports:
                preds.triples.add(triple)
                preds.detail[triple].append(f"{ann.evidence} {ann.symbol or '-'} [{ann.rule}]")
    return preds


def program_line(file: Any, line: int, smap: SourceMap) -> int:
    """A notebook annotation's line in the evaluation's own joined program, through (cell, line)."""
    if not smap.from_cell or not file.cells or not 0 < line <= len(file.cells):
        return line
    return smap.from_cell.get(tuple(file.cells[line - 1]), -1)


def call_flexibly(function: Any, paths: list[str]) -> Any:
    """annotate_paths(paths) with jobs=1 when it takes it (the harness runs oracles in parallel already)."""
    parameters = inspect.signature(function).parameters
    kwargs = {"jobs": 1} if "jobs" in parameters else {}
    return function(paths, **kwargs)


# ----------------------------------------------------------------------------
# Scores


@dataclass
class Score:
    tp: set[Triple] = field(default_factory=set)
    fp: set[Triple] = field(default_factory=set)
    fn: set[Triple] = field(default_factory=set)
    not_reached: int = 0  # predictions on lines that did not run (neither right nor wrong)

    def add(self, other: Score) -> None:
        self.tp |= other.tp
        self.fp |= other.fp
        self.fn |= other.fn
        self.not_reached += other.not_reached

    def only(self, role: str) -> Score:
        keep = lambda triples: {t for t in triples if t[2] == role}  # noqa: E731
        return Score(keep(self.tp), keep(self.fp), keep(self.fn))

    @property
    def precision(self) -> float:
        return len(self.tp) / max(1, len(self.tp) + len(self.fp))

    @property
    def recall(self) -> float:
        return len(self.tp) / max(1, len(self.tp) + len(self.fn))


def score(entry: Entry, truth: Truth, preds: Predictions) -> Score:
    files = {rel(path) for path in entry.files}
    mine = {t for t in preds.triples if t[0] in files}
    ran = {t for t in mine if (t[0], t[1]) in truth.executed}
    return Score(ran & truth.triples, ran - truth.triples, truth.triples - mine, len(mine - ran))
