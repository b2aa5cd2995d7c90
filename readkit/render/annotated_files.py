"""`readkit annotate --out DIR`: writing the annotated copies.

Each file goes under DIR with the layout relative to the paths given on the
command line, in its own declared encoding; readkit.render.annotated_copy
decides the comments and where they go. Notebooks are handed to
readkit.render.annotated_notebook.
"""

from __future__ import annotations

import io
import os
import shutil
import tokenize
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from readkit.results.annotate import AnnotateResult, FileResult
from readkit.render.annotated_copy import ARROW, annotate_text, line_comments
from readkit.render.run_index import RunIndex


class OutOverwritesSourceError(ValueError):
    """--out would write a copy over the file it was made from."""


def write_annotated_copies(
    result: AnnotateResult,
    out_dir: Path,
    *,
    roots: Iterable[Path] = (),
    run: RunIndex | None = None,
) -> list[Path]:
    """Write an annotated copy of every file of `result` under `out_dir`, keeping the
    layout relative to `roots` (the paths given on the command line). Returns the copies.
    Every destination is checked, through its symlinks, before the first write."""
    out = os.path.abspath(out_dir)
    files = [f for f in result.files if _copyable(f)]
    targets = copy_destinations([f.path for f in files], out_dir, roots)
    written = []
    for file, dest in zip(files, targets):
        if _is_inside(os.path.abspath(file.path), out):
            continue  # a copy from an earlier `annotate . --out DIR`: copying it again would nest DIR/DIR/...
        dest.parent.mkdir(parents=True, exist_ok=True)
        _write_one(file, Path(file.path), dest, run)
        written.append(dest)
    return written


def copy_destinations(paths: Sequence[str], out_dir: Path, roots: Iterable[Path] = ()) -> list[Path]:
    """Where each file's copy goes; refuses (OutOverwritesSourceError) when any copy, its symlinks
    followed, would land on an analyzed file or inside the analyzed tree outside DIR."""
    root_list = [Path(r) for r in roots]
    absolute = [os.path.abspath(p) for p in paths]
    base = _common_base(absolute, root_list)
    out = Path(os.path.abspath(out_dir))
    targets = [out / _relative(p, base) for p in absolute]
    _refuse_unsafe(absolute, targets, out_dir, root_list)
    return targets


def _refuse_unsafe(sources: Sequence[str], targets: Sequence[Path], out_dir: Path, roots: Sequence[Path]) -> None:
    out = os.path.abspath(out_dir)
    # copies from an earlier run (inside DIR as named) are overwritten on purpose; the rest never is
    analyzed = {os.path.realpath(s): s for s in sources if not _is_inside(s, out)}
    trees = [os.path.realpath(r) for r in roots if os.path.isdir(r)]
    own_place = os.path.join(os.path.realpath(os.path.dirname(out)), os.path.basename(out))  # DIR itself unresolved
    for source, target in zip(sources, targets):
        real = os.path.realpath(target)
        if real == os.path.realpath(source):
            analyzed[real] = source  # its own copy would replace it
        if real in analyzed:
            via = "" if str(target) == analyzed[real] else f" (through a symlink: {target} leads to it)"
            raise OutOverwritesSourceError(f"--out {out_dir} would overwrite the analyzed file {analyzed[real]}{via}; "
                                           "nothing was written")
        tree = next((t for t in trees if _is_inside(real, t) and not _is_inside(real, own_place)), None)
        if tree is not None:
            raise OutOverwritesSourceError(f"--out {out_dir} leads into the analyzed folder {tree} through a symlink "
                                           f"({target} would be written at {real}); nothing was written")


def _copyable(file: FileResult) -> bool:
    """A file whose bytes can be read (an unreadable file, folder or symlink loop has no copy)."""
    return file.error is None or file.error.kind != "unreadable"


def _is_inside(path: str, directory: str) -> bool:
    return os.path.commonpath([path, directory]) == directory


def _common_base(files: Sequence[str], roots: Sequence[Path]) -> str:
    dirs = [os.path.abspath(r if os.path.isdir(r) else r.parent) for r in roots]
    dirs = dirs or [os.path.dirname(f) for f in files]
    try:
        return os.path.commonpath(dirs) if dirs else os.getcwd()
    except ValueError:  # different drives on Windows
        return os.getcwd()


def _relative(path: str, base: str) -> str:
    rel = os.path.relpath(path, base)
    return os.path.basename(path) if rel.startswith("..") else rel


def _write_one(file: FileResult, src: Path, dest: Path, run: RunIndex | None) -> None:
    if src.suffix == ".ipynb" and file.error is None:
        _write_notebook(file, src, dest)
    elif file.error is not None or (not (file.annotations or file.legacy) and not _mentions_readkit(src)):
        shutil.copyfile(src, dest)
    else:
        dest.write_bytes(annotate_bytes(src.read_bytes(), line_comments(file, run)))


def _mentions_readkit(src: Path) -> bool:
    """Whether an unannotated file may carry old readkit comments to remove."""
    return b"# [" in src.read_bytes()


def _write_notebook(file: FileResult, src: Path, dest: Path) -> None:
    from readkit.render.annotated_notebook import write_annotated_notebook

    write_annotated_notebook(src, file, dest)


def annotate_bytes(data: bytes, comments: Mapping[int, str]) -> bytes:
    """`annotate_text` on a file's bytes, in the file's declared encoding (a BOM is kept)."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding)
    except (SyntaxError, UnicodeDecodeError, LookupError):
        return data
    annotated = annotate_text(text, comments)
    if ARROW in annotated and not _encodes(ARROW, encoding):
        annotated = annotate_text(text, {k: v.replace(ARROW, "->") for k, v in comments.items()})
    return annotated.encode(encoding, errors="backslashreplace")


def _encodes(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True
