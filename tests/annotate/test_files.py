"""Bad input: every file that cannot be read or parsed is reported with path, line and
reason; every other file is still analyzed; walking skips what is not the project's own."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from readkit.annotate import annotate_paths
from readkit.annotate.files import discover

GOOD = "import torch\nx = torch.zeros(2)\n"


def errors(root: Path) -> dict[str, tuple[str, int | None]]:
    result = annotate_paths([root], jobs=1)
    return {Path(f.path).name: (f.error.kind, f.error.line) for f in result.files if f.error is not None}


def test_each_bad_file_is_reported_and_the_good_one_analyzed(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text(GOOD)
    (tmp_path / "py2.py").write_text("import torch\nx = 1\nprint x\n")
    (tmp_path / "py2_no_torch.py").write_text("print 'hello'\n")
    (tmp_path / "broken.py").write_text("import torch\ndef f(:\n    pass\n")
    (tmp_path / "binary.py").write_bytes(b"\x00\x01torch\x02")
    (tmp_path / "latin.py").write_bytes(b"# -*- coding: utf-8 -*-\nimport torch\ns = '\xe9'\n")
    result = annotate_paths([tmp_path], jobs=1)
    good = next(f for f in result.files if f.path.endswith("good.py"))
    assert good.error is None and [a.symbol for a in good.annotations] == ["torch.zeros"]
    found = errors(tmp_path)
    assert found["py2.py"] == ("python2", 3)
    assert found["py2_no_torch.py"][0] == "python2"
    assert found["broken.py"] == ("syntax", 2)
    assert found["binary.py"][0] == "binary"
    assert found["latin.py"] == ("encoding", 3)
    py2 = next(f for f in result.files if f.path.endswith("/py2.py"))
    assert py2.error is not None and "2to3" in py2.error.message and "readkit migrate" in py2.error.message


def test_declared_encoding_is_honoured(tmp_path: Path) -> None:
    (tmp_path / "cp.py").write_bytes(b"# -*- coding: latin-1 -*-\nimport torch\nname = '\xe9'\nx = torch.ones(1)\n")
    result = annotate_paths([tmp_path / "cp.py"], jobs=1)
    assert result.files[0].error is None and result.files[0].annotations[0].line == 4


def test_walk_skips_vendored_and_generated_directories(tmp_path: Path) -> None:
    for skipped in (".git", "venv", ".venv", "build", "dist", "__pycache__", "node_modules", "lib/site-packages"):
        (tmp_path / skipped).mkdir(parents=True)
        (tmp_path / skipped / "x.py").write_text(GOOD)
    (tmp_path / "myenv").mkdir()
    (tmp_path / "myenv" / "pyvenv.cfg").write_text("home = /usr\n")
    (tmp_path / "myenv" / "y.py").write_text(GOOD)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "model.py").write_text(GOOD)
    assert [p.relative_to(tmp_path).as_posix() for p in discover([tmp_path])] == ["src/model.py"]


def test_walk_survives_symlink_loops(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "m.py").write_text(GOOD)
    os.symlink(tmp_path, tmp_path / "a" / "loop")
    assert [p.name for p in discover([tmp_path])] == ["m.py"]


def test_gitignored_files_are_skipped(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("generated/\nscratch_*.py\n")
    (tmp_path / "generated").mkdir()
    (tmp_path / "generated" / "g.py").write_text(GOOD)
    (tmp_path / "scratch_1.py").write_text(GOOD)
    (tmp_path / "kept.py").write_text(GOOD)
    assert [p.name for p in discover([tmp_path])] == ["kept.py"]


def test_an_explicit_file_is_always_analyzed(tmp_path: Path) -> None:
    (tmp_path / "build").mkdir()
    target = tmp_path / "build" / "x.py"
    target.write_text(GOOD)
    assert discover([target]) == [target]


def test_notebooks_are_analyzed_as_one_program_with_cell_locations(tmp_path: Path) -> None:
    nbformat = __import__("nbformat")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("# title"),
                      nbformat.v4.new_code_cell("import torch\n%matplotlib inline\nx = torch.randn(3)"),
                      nbformat.v4.new_code_cell("!pip install foo\ny = x.sum()")]
    nbformat.write(notebook, tmp_path / "n.ipynb")
    (tmp_path / "broken.ipynb").write_text("{not json")
    result = annotate_paths([tmp_path], jobs=1)
    by_name = {Path(f.path).name: f for f in result.files}
    good = by_name["n.ipynb"]
    assert good.error is None and good.cells is not None
    assert {(a.line, a.symbol) for a in good.annotations} == {(3, "torch.randn"), (5, "torch.Tensor.sum")}
    assert good.cells[5 - 1] == (3, 2)  # y = x.sum(): cell 3, line 2 (markdown cells count)
    assert by_name["broken.ipynb"].error is not None and by_name["broken.ipynb"].error.kind == "unreadable"


def test_deeply_nested_expressions_are_analyzed(tmp_path: Path) -> None:
    (tmp_path / "deep.py").write_text("import torch\nx = torch.ones(1)\ny = " + " + ".join(["x"] * 400) + "\n")
    result = annotate_paths([tmp_path], jobs=1)
    assert result.files[0].error is None and {a.line for a in result.files[0].annotations} == {2, 3}


def test_a_root_that_git_ignores_is_analyzed_whole(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("downloads/\n")
    project = tmp_path / "downloads" / "paper_code"
    project.mkdir(parents=True)
    (project / "train.py").write_text(GOOD)
    assert [p.name for p in discover([project])] == ["train.py"]
