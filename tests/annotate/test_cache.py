"""The annotation cache: a re-run reuses what is unchanged, and only what is unchanged.

Each test counts the cache's hits, misses and stale entries, so a cache that
re-analyses too much, or too little, fails here.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from readkit.annotate import AnnotateCache, annotate_paths, iter_annotate, plan_paths
from readkit.annotate import cache as cache_module

PROJECT = {
    "models.py": """
        import torch.nn as nn

        class Net(nn.Module):
            def forward(self, x):
                return x
    """,
    "train.py": """
        from models import Net

        net = Net()
        net.zero_grad()
    """,
    "data.py": """
        import torch

        x = torch.zeros(3)
    """,
    "notes.py": """
        print("no torch here")
    """,
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    for name, text in PROJECT.items():
        (root / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def run(project: Path, store: Path, **options: object) -> tuple[AnnotateCache, dict[str, object]]:
    cache = AnnotateCache(store, **options)  # type: ignore[arg-type]
    try:
        result = annotate_paths([project], cache=cache)
    finally:
        cache.close()
    return cache, {Path(f.path).name: f for f in result.files}


def counts(cache: AnnotateCache) -> tuple[int, int, int]:
    return cache.hits, cache.misses, cache.stale


def test_a_rerun_with_nothing_changed_analyzes_nothing_and_answers_the_same(project: Path, tmp_path: Path) -> None:
    first, before = run(project, tmp_path / "c.db")
    again, after = run(project, tmp_path / "c.db")
    assert counts(first) == (0, 4, 0) and counts(again) == (4, 0, 0)
    assert after == before
    assert all(after[name].source == before[name].source for name in before)  # the source travels too
    assert [(a.symbol, a.evidence) for a in after["train.py"].annotations] == [
        ("torch.nn.Module", "inferred"), ("torch.nn.Module.zero_grad", "inferred")]  # Net() read from models.py


def test_an_edited_file_is_analyzed_again_alone(project: Path, tmp_path: Path) -> None:
    run(project, tmp_path / "c.db")
    (project / "data.py").write_text("import torch\n\ny = torch.ones(2)\n", encoding="utf-8")
    cache, after = run(project, tmp_path / "c.db")
    assert counts(cache) == (3, 1, 0)
    assert [a.symbol for a in after["data.py"].annotations] == ["torch.ones"]


def test_files_whose_analysis_read_an_edited_file_are_analyzed_again(project: Path, tmp_path: Path) -> None:
    run(project, tmp_path / "c.db")
    # Net no longer derives from torch: train.py's net.zero_grad() is no torch use any more
    (project / "models.py").write_text("class Net:\n    def zero_grad(self):\n        pass\n", encoding="utf-8")
    cache, after = run(project, tmp_path / "c.db")
    assert counts(cache) == (2, 1, 1)  # data.py and notes.py reused; models.py new; train.py stale
    assert [(a.symbol, a.evidence) for a in after["train.py"].annotations] == [
        ("torch.nn.Module.zero_grad", "heuristic")]  # only the variable's name is left to go on


def test_a_deleted_dependency_makes_its_importers_stale(project: Path, tmp_path: Path) -> None:
    run(project, tmp_path / "c.db")
    (project / "models.py").unlink()
    cache, after = run(project, tmp_path / "c.db")
    assert counts(cache) == (2, 0, 1) and "models.py" not in after


def test_a_new_code_generation_misses_everything(project: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    run(project, tmp_path / "c.db")
    monkeypatch.setattr(cache_module, "code_fingerprint", lambda: "another readkit")
    cache, _ = run(project, tmp_path / "c.db")
    assert counts(cache) == (0, 4, 0)


def test_a_broken_database_turns_the_cache_off_and_the_run_still_answers(project: Path, tmp_path: Path) -> None:
    store = tmp_path / "c.db"
    store.write_bytes(b"this is not sqlite" * 100)
    cache, after = run(project, store)
    assert cache.problem is not None and "cache off" in cache.problem
    assert len(after) == 4 and after["data.py"].annotations


def test_an_entry_that_does_not_decode_is_a_miss(project: Path, tmp_path: Path) -> None:
    store = tmp_path / "c.db"
    run(project, store)
    with sqlite3.connect(store) as db:
        db.execute("UPDATE entries SET result = ?", (b"garbage",))
    cache, after = run(project, store)
    assert counts(cache) == (0, 4, 0) and len(after) == 4


def test_the_store_stays_within_its_bound(project: Path, tmp_path: Path) -> None:
    store = tmp_path / "c.db"
    run(project, store, max_mb=0.0005)  # about 500 bytes: room for one or two entries
    with sqlite3.connect(store) as db:
        total, entries = db.execute("SELECT SUM(size), COUNT(*) FROM entries").fetchone()
    assert entries < 4 and (total or 0) <= 500


def test_concurrent_runs_share_the_store_safely(project: Path, tmp_path: Path) -> None:
    code = textwrap.dedent(f"""
        from pathlib import Path
        from readkit.annotate import AnnotateCache, annotate_paths
        cache = AnnotateCache(Path({str(tmp_path / 'c.db')!r}))
        result = annotate_paths([Path({str(project)!r})], cache=cache)
        cache.close()
        print(len(result.files), cache.problem)
    """)
    runs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) for _ in range(3)]
    outputs = [r.communicate(timeout=120)[0].strip() for r in runs]
    assert outputs == ["4 None"] * 3
    cache, _ = run(project, tmp_path / "c.db")
    assert counts(cache) == (4, 0, 0)


def test_the_cli_uses_the_cache_unless_told_not_to(project: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from readkit.cli import cli

    monkeypatch.setenv("READKIT_CACHE_DIR", str(tmp_path / "cli-cache"))
    skipped = CliRunner().invoke(cli, ["annotate", str(project), "--no-cache", "--format", "json"])
    assert skipped.exit_code == 0 and not (tmp_path / "cli-cache").exists()
    first = CliRunner().invoke(cli, ["annotate", str(project), "--format", "json"])
    second = CliRunner().invoke(cli, ["annotate", str(project), "--format", "json"])
    assert (tmp_path / "cli-cache" / "annotate.sqlite3").is_file()
    assert first.output == second.output == skipped.output


def test_a_file_text_is_not_stored_but_comes_back_from_the_file(project: Path, tmp_path: Path) -> None:
    (project / "data.py").write_text("import torch\n\nx = torch.zeros(3)  # a unique marker 7f3a\n")
    notebook = {"cells": [{"cell_type": "code", "execution_count": None, "id": "c1", "metadata": {}, "outputs": [],
                           "source": ["import torch\n", "y = torch.ones(2)  # notebook marker 9b2c"]}],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (project / "book.ipynb").write_text(json.dumps(notebook))
    first, before = run(project, tmp_path / "c.db")
    blobs = [cache_module.zlib.decompress(row[0]) for row in sqlite3.connect(tmp_path / "c.db").execute(
        "SELECT result FROM entries")]
    assert not any(b"7f3a" in blob for blob in blobs)  # a .py file's text: read again on a hit
    assert any(b"9b2c" in blob for blob in blobs)  # a notebook's joined code is not the file's text: kept
    again, after = run(project, tmp_path / "c.db")
    assert counts(again) == (5, 0, 0)
    assert after["data.py"].source == (project / "data.py").read_text() == before["data.py"].source
    assert after["book.ipynb"].source == before["book.ipynb"].source and "9b2c" in (after["book.ipynb"].source or "")


def test_a_rerun_served_from_the_cache_does_not_import_the_parser(project: Path, tmp_path: Path) -> None:
    code = textwrap.dedent(f"""
        import sys
        from readkit.cli import main
        sys.argv = ["readkit", "annotate", {str(project)!r}, "--format", "json", "--jobs", "1", "-q"]
        try:
            main()
        except SystemExit:
            pass
        print("libcst" in sys.modules, "readkit.annotate.rules.base" in sys.modules, file=sys.stderr)
    """)
    env = {**os.environ, "READKIT_CACHE_DIR": str(tmp_path / "cli-cache")}
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
            for _ in range(2)]
    assert [r.stderr.split()[-2:] for r in runs] == [["True", "True"], ["False", "False"]]
    assert runs[0].stdout == runs[1].stdout


class CountingCache(AnnotateCache):
    loads = 0

    def load(self, key, text=lambda: None):  # type: ignore[no-untyped-def]
        self.loads += 1
        return super().load(key, text)


def test_a_warm_run_decodes_each_result_when_its_turn_comes(project: Path, tmp_path: Path) -> None:
    run(project, tmp_path / "c.db")
    cache = CountingCache(tmp_path / "c.db")
    results = iter_annotate(plan_paths([project]), cache=cache)
    first = next(results)
    assert (cache.hits, cache.loads) == (4, 1)  # all four probed, one decoded: the parent holds one at a time
    assert [first.path] + [f.path for f in results] == sorted(str(p) for p in project.iterdir())
    assert cache.loads == 4
    cache.close()


def test_a_file_changed_after_its_hit_is_analyzed_again(project: Path, tmp_path: Path) -> None:
    run(project, tmp_path / "c.db")
    cache = AnnotateCache(tmp_path / "c.db")
    results = iter_annotate(plan_paths([project]), cache=cache)
    assert Path(next(results).path).name == "data.py"  # every file probed: all hits
    (project / "models.py").write_text("import torch\n\nw = torch.ones(2)\n")
    files = {Path(f.path).name: f for f in results}
    cache.close()
    assert [a.symbol for a in files["models.py"].annotations] == ["torch.ones"]  # the new text, not the cached one
    assert files["models.py"].source == "import torch\n\nw = torch.ones(2)\n"
    assert counts(cache) == (3, 1, 0)


def test_the_cache_folder_it_creates_is_private(project: Path, tmp_path: Path) -> None:
    run(project, tmp_path / "new" / "c.db")
    assert (tmp_path / "new").stat().st_mode & 0o777 == 0o700
