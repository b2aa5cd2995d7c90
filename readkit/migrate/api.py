"""`migrate_paths`: migrate files, optionally informed by a run, verified by running, written safely.

The order of work: (1) run the --run script on an untouched scratch copy (its
observations decide rank- and shape-dependent fixes); (2) migrate every file in
memory, and when that run stopped early with findings still open, run the partly
migrated code and migrate again with what it saw; (3) run the --verify script on
the untouched and the migrated copy and compare; (4) only then write, and only
when nothing regressed. The runs live in runs.py, the copies in scratch.py.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from readkit.results.annotate import FileError
from readkit.results.check import LineObservation
from readkit.migrate.runs import Observed, ScriptRuns
from readkit.migrate.errors import MigrateUsageError
from readkit.results.migrate import Change, FileMigration, MigrationResult, Note, RunOutcome
from readkit.migrate.source import SourceFile, read_source, write_atomically
from readkit.results.migrate import display_path
from readkit.migrate.walk import project_root, python_files

if TYPE_CHECKING:
    from readkit.migrate.codemod import MigratedSource

Observations = Mapping[int, LineObservation]
FILES_PER_WORKER = 8  # below this a process's start-up (importing libcst and the rules) costs more than it saves
NOTEBOOK_MESSAGE = ("notebooks are not migrated: export the notebook to a script "
                    "(`jupyter nbconvert --to script NOTEBOOK`), migrate that, and paste the cells back")


@dataclass(frozen=True)
class _Migrated:
    """A file migrated in memory: the report, plus the text to write when it changed."""

    report: FileMigration
    source: SourceFile | None = None
    text: str | None = None


def migrate_paths(paths: Sequence[str | Path], *, write: bool = False, out_dir: str | Path | None = None,
                  run_script: str | Path | None = None, verify_script: str | Path | None = None,
                  script_args: Sequence[str] = (), timeout: float = 600.0) -> MigrationResult:
    """Migrate the Python files under `paths`; see docs/migrate.md for every option."""
    roots = [Path(p) for p in paths]
    _check_targets(roots, write, Path(out_dir) if out_dir is not None else None)
    run = Path(run_script).resolve() if run_script is not None else None
    check = Path(verify_script).resolve() if verify_script is not None else None
    root = project_root([*roots, *(s for s in (run, check) if s is not None)])
    with ScriptRuns(root, tuple(script_args), timeout) as runs:
        migrated, rerun = _migrate_all(python_files(roots), runs, run)
        verification = runs.verify(check, _texts(migrated)) if check is not None else None
        observed_run = runs.original_outcome(run) if run is not None else None
    refused = verification is not None and verification.regression and (write or out_dir is not None)
    if not refused:
        migrated = _write(migrated, write, Path(out_dir) if out_dir is not None else None, roots)
    return MigrationResult(tuple(m.report for m in migrated), verification, refused, observed_run, rerun)


def _check_targets(roots: list[Path], write: bool, out_dir: Path | None) -> None:
    if write and out_dir is not None:
        raise MigrateUsageError("give --write or --out, not both")
    if out_dir is not None and out_dir.resolve() == project_root(roots):
        raise MigrateUsageError(f"--out {out_dir} is the project itself: use --write to change files in place")


def _migrate_all(files: list[Path], runs: ScriptRuns, run: Path | None) -> tuple[list[_Migrated], RunOutcome | None]:
    """Every file migrated, informed by the --run script's observations when there is one."""
    observed = runs.observations(run) if run is not None else {}
    migrated = _migrate_each(files, observed)
    if run is None or not _needs_a_further_look(runs.original_outcome(run), migrated):
        return migrated, None
    later, rerun = runs.observations_after(run, _texts(migrated))
    return _migrate_each(files, _merged(later, observed)), rerun


def _migrate_each(files: list[Path], observed: Observed) -> list[_Migrated]:
    """Each file on its own (pure: file in, result out), in parallel processes for a large tree."""
    tasks = [(path, observed.get(path.resolve())) for path in files]
    workers = min(os.cpu_count() or 1, len(tasks) // FILES_PER_WORKER)
    if workers < 2:
        return [_migrate_file(*task) for task in tasks]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_migrate_file, *zip(*tasks), chunksize=4))


def _needs_a_further_look(original: RunOutcome, migrated: list[_Migrated]) -> bool:
    """The original stopped early, and some findings were left for want of facts: run the partly
    migrated project to see the lines the original never reached."""
    stopped_early = original.status not in ("ok", "timeout")  # a timeout ran as far as it was let
    return stopped_early and any(m.report.notes for m in migrated) and bool(_texts(migrated))


def _merged(later: Observed, first: Observed) -> Observed:
    """Per file and line, what the original run saw wins over what the migrated run saw."""
    merged = {path: dict(lines) for path, lines in later.items()}
    for path, lines in first.items():
        merged.setdefault(path, {}).update(lines)
    return merged


def _texts(migrated: list[_Migrated]) -> dict[Path, tuple[str, str]]:
    """The changed files' new texts, for the migrated copy."""
    return {m.source.path.resolve(): (m.text, m.source.encoding) for m in migrated
            if m.text is not None and m.source is not None}


# ---- migrating one file ---------------------------------------------------------------


def _migrate_file(path: Path, observations: Observations | None) -> _Migrated:
    if path.suffix == ".ipynb":
        return _Migrated(FileMigration(str(path), error=FileError("unsupported", NOTEBOOK_MESSAGE)))
    source = read_source(path)
    if isinstance(source, FileError):
        return _Migrated(FileMigration(str(path), error=source))
    try:
        result = _codemod(source.text, str(path), observations)
    except Exception as error:  # one file's failure must not lose the others
        return _Migrated(FileMigration(str(path), error=_failure(error, source, path)))
    changes = sorted((Change(*c) for c in result.changes), key=lambda c: c.line)
    notes = tuple(Note(*n) for n in result.notes)
    diff = _unified_diff(source.text, result.code, path)
    return _Migrated(FileMigration(str(path), diff, tuple(changes), notes), source, result.code if diff else None)


def _codemod(source: str, path: str, observations: Observations | None) -> MigratedSource:
    """The legacy rules' fixes applied (imported late: libcst and the rules load only when needed)."""
    from readkit.migrate.codemod import migrate_source

    return migrate_source(source, path, observations=observations)


def _failure(error: Exception, source: SourceFile, path: Path) -> FileError:
    import libcst

    if isinstance(error, libcst.ParserSyntaxError):  # Python 2 or a syntax error: as `annotate` says it
        from readkit.annotate.files import parse_error

        return parse_error(source.text, error)
    return FileError("internal", f"{path}: readkit could not migrate this file ({type(error).__name__}: {error}); "
                                 "it was left unchanged — please report this")


def _unified_diff(before: str, after: str, path: Path) -> str:
    if before == after:
        return ""
    shown = Path(display_path(str(path))).as_posix()
    lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                 fromfile=f"a/{shown}", tofile=f"b/{shown}")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


# ---- writing --------------------------------------------------------------------------


def _write(migrated: list[_Migrated], write: bool, out_dir: Path | None, roots: Iterable[Path]) -> list[_Migrated]:
    if not write and out_dir is None:
        return migrated
    base = project_root(list(roots)) if out_dir is not None else None
    done = []
    for item in migrated:
        target = _target(item, out_dir, base)
        if target is not None:
            _write_one(item, target)
            item = replace(item, report=replace(item.report, written=str(target)))
        done.append(item)
    return done


def _target(item: _Migrated, out_dir: Path | None, base: Path | None) -> Path | None:
    if item.source is None:
        return None  # unreadable or Python 2: never touched, never copied
    if out_dir is None:
        return item.source.path if item.text is not None else None
    assert base is not None
    return out_dir / item.source.path.resolve().relative_to(base)


def _write_one(item: _Migrated, target: Path) -> None:
    assert item.source is not None
    text = item.text if item.text is not None else item.source.text
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(target, text, item.source.encoding)
