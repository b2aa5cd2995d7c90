"""Scratch copies of the project, and running a script in one under the checker's sandbox.

Both copies of a verification get the same arguments and the same seeds (a small
launcher seeds `random`, numpy and torch, then runs the script as `__main__`; a
script that seeds itself overrides them). The user's own tree is never run in: a
script may write checkpoints or logs, and `readkit migrate` changes nothing
without --write.

Left out: comparing runs (verify.py), deciding what to rewrite (codemod.py).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from readkit.results.check import CheckResult, TargetFailure
from readkit.migrate.errors import MigrateUsageError
from readkit.results.migrate import RunOutcome

SEED = 0
# Left out of scratch copies: version control, caches, and environments (recognised by their
# marker file, not by name: an `env/` folder of a reinforcement-learning repo is code the script imports).
_SKIP_DIRS = {".git", ".hg", ".svn", "__pycache__", "node_modules", ".mypy_cache", ".pytest_cache", ".tox",
              ".nox", ".eggs", ".ipynb_checkpoints"}
_ENVIRONMENT_MARKERS = ("pyvenv.cfg", "conda-meta")
_LAUNCHER = "_readkit_seeded_run.py"
_LAUNCHER_CODE = """\
# Written by readkit migrate: seed every generator the same way in both runs, then run the
# script as `python SCRIPT` would (its own folder first on sys.path).
import random, runpy, sys
sys.path[0] = {folder!r}
random.seed({seed})
try:
    import numpy
    numpy.random.seed({seed})
except ImportError:
    pass
import torch
torch.manual_seed({seed})
torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
sys.argv[0] = {script!r}
runpy.run_path({script!r}, run_name="__main__")
"""


@contextmanager
def scratch_copy(root: Path) -> Iterator[Path]:
    """A throw-away copy of the project tree `root` (no VCS, caches or virtual environments).

    The copy's siblings are links to `root`'s siblings, so that a script reading
    `../data` finds it as it would in place."""
    if root == Path(root.anchor) or root == Path.home():
        raise MigrateUsageError(f"the script and PATHS share no project directory below {root}; "
                                "give PATHS and the script inside one project")
    parent = Path(tempfile.mkdtemp(prefix="readkit-migrate-"))
    try:
        copy = parent / root.name
        try:
            shutil.copytree(root, copy, symlinks=True, ignore=_ignored)
        except shutil.Error:
            pass  # what could not be read (a folder without permission) is left out; the walk reports it
        _link_siblings(root, parent)
        yield copy.resolve()
    finally:
        shutil.rmtree(parent, ignore_errors=True)


def _link_siblings(root: Path, parent: Path) -> None:
    try:
        siblings = [p for p in root.parent.iterdir() if p.name != root.name]
    except OSError:
        return
    for sibling in siblings:
        (parent / sibling.name).symlink_to(sibling, target_is_directory=sibling.is_dir())


def _ignored(directory: str, names: list[str]) -> set[str]:
    return {n for n in names
            if n in _SKIP_DIRS or any(os.path.exists(os.path.join(directory, n, m)) for m in _ENVIRONMENT_MARKERS)}


def overlay(copy: Path, root: Path, texts: Mapping[Path, tuple[str, str]]) -> None:
    """Write migrated texts ({original path: (text, encoding)}) over their counterparts in `copy`."""
    for path, (text, encoding) in texts.items():
        (copy / path.relative_to(root)).write_bytes(text.encode(encoding))


def run_in(copy: Path, root: Path, script: Path, args: tuple[str, ...], cwd: Path,
           timeout: float) -> CheckResult:
    """Run `script` (a path in the user's tree) as its counterpart in `copy`, seeded, under the checker.

    A notebook runs as the checker runs notebooks (unseeded: its first cell is its own)."""
    from readkit.check import check_target

    twin = copy / script.relative_to(root)
    workdir = copy / cwd.relative_to(root) if cwd.is_relative_to(root) else twin.parent
    target = twin if twin.suffix == ".ipynb" else _seeded_launcher(twin, copy)
    return check_target(str(target), args=args, cwd=workdir, timeout=timeout, quiet=True, reconcile=False)


def _seeded_launcher(twin: Path, copy: Path) -> Path:
    """The launcher sits at the project's root, so that the checker counts every file of the
    project as the target's own (a script in `scripts/` importing `lib/` is observed in both)."""
    launcher = copy / _LAUNCHER
    code = _LAUNCHER_CODE.format(seed=SEED, script=str(twin), folder=str(twin.parent))
    launcher.write_text(code, encoding="utf-8")
    return launcher


def outcome(result: CheckResult, copy: Path, root: Path, script: Path) -> RunOutcome:
    """A CheckResult boiled down to what the comparison needs, with paths mapped back to the user's tree."""
    failure = result.failure
    if failure is not None and failure.message.startswith(_COMPILE_ERRORS):
        failure = _compile_error_location(failure, root, script)
    elif failure is not None and failure.path is not None and Path(failure.path).is_relative_to(copy):
        failure = replace(failure, path=str(root / Path(failure.path).relative_to(copy)))
    cuda = any("cuda" in shape for line in result.lines for shape in line.shapes)
    output = _tidy_traceback(result.output[-4000:].replace(str(copy), str(root)))
    return RunOutcome(result.status, result.exit_code, failure, tuple(result.losses), result.seconds, output, cuda)


_OWN_FRAME = re.compile(r'^  File "(<frozen runpy>|.*' + re.escape(_LAUNCHER) + ')"')


def _tidy_traceback(output: str) -> str:
    """The script's traceback as `python SCRIPT` prints it: without the launcher's and runpy's frames."""
    kept: list[str] = []
    skipping = False
    for line in output.splitlines(keepends=True):
        if line.startswith("  File "):
            skipping = bool(_OWN_FRAME.match(line))
        elif not line.startswith("    "):
            skipping = False
        if not skipping:
            kept.append(line)
    return "".join(kept)


_COMPILE_ERRORS = ("SyntaxError", "IndentationError", "TabError")
_COMPILE_LOCATION = re.compile(r"\((?P<name>[^(),]+), line (?P<line>\d+)\)$")


def _compile_error_location(failure: TargetFailure, root: Path, script: Path) -> TargetFailure:
    """A file that does not compile has no frame of its own in the traceback; its name and line
    are in the message (`invalid syntax (main.py, line 48)`): find it beside the script or in the project."""
    found = _COMPILE_LOCATION.search(failure.message)
    if found is None:
        return failure
    name, line = found["name"], int(found["line"])
    candidates = [script.parent / name, *sorted(root.rglob(name))]
    path = next((c for c in candidates if c.is_file()), None)
    return replace(failure, path=str(path) if path else None, line=line if path else None)
