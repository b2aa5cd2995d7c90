"""`migrate_paths`: migrate files, optionally informed by a run, verified by running, written safely.

The order of work: (1) run the --run script on an untouched scratch copy (its
observations decide rank- and shape-dependent fixes, and the line it stopped on is
a fact too: `output.data[0]` that raised the 0-dim IndexError is fixed whatever
`output` is called); without --run, the --verify script's run of the original
serves as those facts; (2) migrate every file in memory, and when that run stopped
early with findings still open, run the partly migrated code and migrate again with
what it saw; (3) run the --verify script on the untouched and the migrated copy and
compare; (4) only then write, and only when nothing regressed. The runs live in
runs.py, the copies in scratch.py.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from readkit.annotate import isolated
from readkit.annotate.files import Found, check_analyzable
from readkit.results.annotate import FileError
from readkit.results.check import LineObservation
from readkit.migrate.runs import Observed, ScriptRuns
from readkit.migrate.errors import MigrateUsageError
from readkit.results.migrate import FileMigration, MigrationResult, RunOutcome
from readkit.migrate.source import SourceFile, read_source, remove_stale_temps, write_file
from readkit.results.migrate import display_path
from readkit.migrate.walk import project_root, python_files

if TYPE_CHECKING:
    from readkit.migrate.codemod import MigratedSource

Observations = Mapping[int, LineObservation]
FILES_PER_WORKER = 8  # below this a process's start-up (importing libcst and the rules) costs more than it saves


@dataclass(frozen=True)
class _Migrated:
    """A file migrated in memory: the report, plus the text to write when it changed."""

    report: FileMigration
    source: SourceFile | None = None
    text: str | None = None


def migrate_paths(paths: Sequence[str | Path], *, write: bool = False, out_dir: str | Path | None = None,
                  run_script: str | Path | None = None, verify_script: str | Path | None = None,
                  script_args: Sequence[str] = (), timeout: float = 600.0, portable: bool = False) -> MigrationResult:
    """Migrate the Python files under `paths`; see docs/migrate.md for every option."""
    roots = [Path(p) for p in paths]
    _check_targets(roots, write, Path(out_dir) if out_dir is not None else None)
    run = Path(run_script).resolve() if run_script is not None else None
    check = Path(verify_script).resolve() if verify_script is not None else None
    root = project_root([*roots, *(s for s in (run, check) if s is not None)])
    found = python_files(roots)
    stale = remove_stale_temps(sorted({f.path.parent for f in found}))
    with ScriptRuns(root, tuple(script_args), timeout) as runs:
        migrated, rerun = _migrate_all(found, runs, run or check, speculate=run is None, portable=portable)
        verification = runs.verify(check, _texts(migrated)) if check is not None else None
        observed_run = runs.original_outcome(run) if run is not None else None
    writes = write or out_dir is not None
    refused = verification is not None and verification.regression and writes
    if not refused:
        migrated = _write(migrated, write, Path(out_dir) if out_dir is not None else None, roots)
    return MigrationResult(tuple(m.report for m in migrated), verification, refused, observed_run, rerun,
                           writes=writes, stale_temps_removed=tuple(str(p) for p in stale))


def _check_targets(roots: list[Path], write: bool, out_dir: Path | None) -> None:
    if write and out_dir is not None:
        raise MigrateUsageError("give --write or --out, not both")
    if out_dir is not None and out_dir.resolve() == project_root(roots):
        raise MigrateUsageError(f"--out {out_dir} is the project itself: use --write to change files in place")


def _migrate_all(files: list[Found], runs: ScriptRuns, run: Path | None,
                 speculate: bool, portable: bool) -> tuple[list[_Migrated], RunOutcome | None]:
    """Every file migrated, informed by the observations of `run` (the --run script, else the
    --verify one) when there is one.

    `speculate` (--verify alone): the migration without facts is made first and its run starts
    beside the original's; when the facts change no text, that run is the verification's."""
    if run is None:
        return _migrate_each(files, {}, portable), None
    if speculate:
        static = _migrate_each(files, {}, portable)
        runs.start(run, _texts(static))
        migrated = _with_facts(static, files, runs.observations(run), portable)
    else:
        migrated = _migrate_each(files, runs.observations(run), portable)
    if not _needs_a_further_look(runs.original_outcome(run), migrated):
        return migrated, None
    later, rerun = runs.observations_after(run, _texts(migrated))
    return _migrate_each(files, _merged(later, runs.observations(run)), portable), rerun


def _with_facts(static: list[_Migrated], files: list[Found], observed: Observed,
                portable: bool) -> list[_Migrated]:
    """`static` migrated again where the run saw something: only the files it observed can change."""
    seen = [i for i, f in enumerate(files) if f.problem is None and f.path.resolve() in observed]
    again = _migrate_each([files[i] for i in seen], observed, portable)
    done = list(static)
    for index, item in zip(seen, again):
        done[index] = item
    return done


def _migrate_each(found: list[Found], observed: Observed, portable: bool) -> list[_Migrated]:
    """Each file on its own (pure: file in, result out), in parallel processes for a large tree,
    else one by one in a child forked from this process (libcst and the rules imported here
    first, so it starts in milliseconds); a file that crashes its process (a C extension's
    segfault) costs only itself."""
    tasks = [(f.path, observed.get(f.path.resolve()), portable) for f in found if f.problem is None]
    workers = min(os.cpu_count() or 1, len(tasks) // FILES_PER_WORKER)
    if workers < 2:
        import readkit.migrate.codemod  # noqa: F401  (once here, not in every child)

        done = [result for _, result in isolated.one_by_one(_migrate_task, tasks, crashed=_crashed)]
    else:
        done = isolated.map_isolated(_migrate_task, tasks, workers=workers, crashed=_crashed)
    results = iter(done)
    return [_Migrated(FileMigration(str(f.path), error=f.problem)) if f.problem else next(results) for f in found]


def _migrate_task(task: tuple[Path, Observations | None, bool]) -> _Migrated:
    return _migrate_file(*task)


def _crashed(task: tuple[Path, Observations | None, bool], why: str) -> _Migrated:
    return _Migrated(FileMigration(str(task[0]), error=FileError("crashed", f"migration crashed ({why}); "
                                                                            "the file was left unchanged")))


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


def _migrate_file(path: Path, observations: Observations | None, portable: bool = False) -> _Migrated:
    if path.suffix == ".ipynb":
        return _migrate_notebook(path, observations, portable)
    source = read_source(path)
    if isinstance(source, FileError):
        return _Migrated(FileMigration(str(path), error=source))
    rejected = check_analyzable(source.text)  # as annotate: libcst crashes on some of what CPython rejects
    if rejected is not None:
        return _Migrated(FileMigration(str(path), error=rejected))
    try:
        result = _codemod(source.text, str(path), observations, portable)
    except Exception as error:  # one file's failure must not lose the others
        return _Migrated(FileMigration(str(path), error=_failure(error, source, path)))
    changes = sorted(result.changes, key=lambda c: c.line)
    code = _faithful(source.text, result.code) if changes else source.text  # nothing to migrate: never touched
    diff = _unified_diff(source, code)
    report = FileMigration(str(path), diff, tuple(changes), result.notes, suppressed=result.suppressed,
                           encoding=_diff_encoding(source), overridden=result.overridden)
    return _Migrated(report, source, code if diff else None)


def _faithful(before: str, after: str) -> str:
    """libcst's round trip can lose a file's trailing whitespace (a final CR of a CR-only file, a
    last line of only spaces after a blank line); the migrated text ends as the original did."""
    return after.rstrip(_TRAILING) + before[len(before.rstrip(_TRAILING)):]


_TRAILING = " \t\f\r\n"


def _migrate_notebook(path: Path, observations: Observations | None, portable: bool) -> _Migrated:
    """Code cells rewritten in place (readkit.migrate.notebooks); the file is written as any other."""
    from readkit.migrate.notebooks import migrate_notebook

    try:
        done = migrate_notebook(path, observations, portable)
    except Exception as error:  # one file's failure must not lose the others
        done = FileError("internal", f"{path}: readkit could not migrate this notebook ({type(error).__name__}: "
                                     f"{error}); it was left unchanged — please report this")
    if isinstance(done, FileError):
        return _Migrated(FileMigration(str(path), error=done))
    changes = sorted(done.changes, key=lambda c: c.line)
    report = FileMigration(str(path), done.diff, tuple(changes), done.notes, cells=done.cells, suppressed=done.suppressed,
                           overridden=done.overridden)
    return _Migrated(report, SourceFile(path, done.text, "utf-8"), done.new_text)


def _codemod(source: str, path: str, observations: Observations | None, portable: bool) -> MigratedSource:
    """The legacy rules' fixes applied (imported late: libcst and the rules load only when needed)."""
    from readkit.migrate.codemod import migrate_source

    return migrate_source(source, path, observations=observations, portable=portable)


def _failure(error: Exception, source: SourceFile, path: Path) -> FileError:
    import libcst

    if isinstance(error, libcst.ParserSyntaxError):  # Python 2 or a syntax error: as `annotate` says it
        from readkit.annotate.files import parse_error

        return parse_error(source.text, error)
    return FileError("internal", f"readkit could not migrate this file ({type(error).__name__}: {error}); "
                                 "it was left unchanged — please report this")


def _unified_diff(source: SourceFile, after: str) -> str:
    """A diff that `git apply` and `patch` take: lines split at \\n only (as they split them: a
    CR-only file is one line), a UTF-8 BOM kept as the first line's first character."""
    before = source.text
    if before == after:
        return ""
    if source.encoding == "utf-8-sig":
        before, after = "\ufeff" + before, "\ufeff" + after
    shown = Path(display_path(str(source.path))).as_posix()
    lines = difflib.unified_diff(_lines(before), _lines(after), fromfile=f"a/{shown}", tofile=f"b/{shown}")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def _lines(text: str) -> list[str]:
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])


def _diff_encoding(source: SourceFile) -> str:
    """The encoding the diff's lines are printed in: the file's own (its BOM is in the diff text)."""
    return "utf-8" if source.encoding == "utf-8-sig" else source.encoding


# ---- writing --------------------------------------------------------------------------


def _write(migrated: list[_Migrated], write: bool, out_dir: Path | None, roots: Iterable[Path]) -> list[_Migrated]:
    """Write each file (a failure is reported on that file, and the others are still written)."""
    if not write and out_dir is None:
        return migrated
    base = project_root(list(roots)) if out_dir is not None else None
    return [_write_item(item, _target(item, out_dir, base)) for item in migrated]


def _target(item: _Migrated, out_dir: Path | None, base: Path | None) -> Path | None:
    if item.source is None:
        return None  # unreadable or Python 2: never touched, never copied
    if out_dir is None:
        return item.source.path if item.text is not None else None
    assert base is not None
    return out_dir / item.source.path.resolve().relative_to(base)


def _write_item(item: _Migrated, target: Path | None) -> _Migrated:
    if target is None or item.source is None:
        return item
    text = item.text if item.text is not None else item.source.text
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        note = write_file(target, text, item.source.encoding)
    except OSError as error:
        failed = FileError("unwritable", f"could not write {target}: {error.strerror or error}; it is unchanged")
        return replace(item, report=replace(item.report, error=failed))
    return replace(item, report=replace(item.report, written=str(target), write_note=note))
