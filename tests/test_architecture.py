"""The architecture holds: results at the bottom, analysis in the middle, presentation on top.

The contracts live in pyproject.toml ([tool.importlinter]) and docs/architecture.md draws them;
these tests fail the build when an import breaks them.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_the_import_contracts_are_kept() -> None:
    run = lint_imports(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "broken" not in run.stdout.split("Contracts:")[-1].replace("0 broken", "")


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


def _contracts_for(tmp_path: Path) -> None:
    """readkit's own contracts, pointed at a small package with the same layer names."""
    config = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    section = config[config.index("[tool.importlinter]"):]
    (tmp_path / "pyproject.toml").write_text(section.replace("readkit", "pkg").replace(
        "include_external_packages = true", "include_external_packages = false").replace(
        '"torch", "libcst", "numpy", ', "").replace(',\n                     "torch", "libcst"]', "]"),
        encoding="utf-8")


LAYERED = {
    "__init__.py": "", "results/__init__.py": "", "roles.py": "", "version.py": "", "suppressions.py": "", "notebook.py": "",
    "annotate/__init__.py": "", "reference/__init__.py": "", "check/__init__.py": "", "migrate/__init__.py": "",
    "map/__init__.py": "",
    "render/__init__.py": "", "cli/__init__.py": "", "pytest_plugin.py": "", "teaching.py": "", "docs.py": "",
    "lsp/__init__.py": "", "kernel_cells.py": "",
}


@pytest.mark.parametrize("module, line", [
    ("results/__init__.py", "from pkg import render"),  # results import nothing above them
    ("annotate/__init__.py", "from pkg import check"),  # check may use annotate, never the reverse
    ("render/__init__.py", "from pkg import annotate"),  # render never runs analysis
])
def test_an_upward_import_breaks_the_build(tmp_path: Path, module: str, line: str) -> None:
    root = _package(tmp_path, {**LAYERED, module: line + "\n"})
    _contracts_for(root)
    run = lint_imports(root)
    assert run.returncode != 0 and "BROKEN" in run.stdout, run.stdout + run.stderr


def test_a_cycle_between_siblings_breaks_the_build(tmp_path: Path) -> None:
    root = _package(tmp_path, {**LAYERED, "annotate/a.py": "from pkg.annotate import b\n",
                               "annotate/b.py": "from pkg.annotate import a\n"})
    _contracts_for(root)
    run = lint_imports(root)
    assert run.returncode != 0 and "No import cycles" in run.stdout, run.stdout


def test_results_display_through_the_formatters_presentation_registers() -> None:
    import importlib

    import readkit.render.display
    from readkit.results import display
    from readkit.results.annotate import Annotation, FileResult

    result = FileResult("<string>", (Annotation(1, 1, 1, 5, "tensor", "resolved", "torch.ones", "r", "m"),),
                        source="torch.ones(2)\n")
    assert "    1  torch.ones(2)" in str(result) and "rk-frag" in (result._repr_html_() or "")
    saved = dict(display._FORMATTERS)
    display._FORMATTERS.clear()
    try:  # nothing registered: results still show themselves, as plain dataclasses
        assert str(result) == repr(result) and result._repr_html_() is None
    finally:
        display._FORMATTERS.update(saved)
    importlib.reload(readkit.render.display)  # registering twice is harmless
    assert "    1  torch.ones(2)" in str(result)


def test_results_modules_import_no_other_layer() -> None:
    code = ("import sys, importlib\n"
            "for name in ('annotate', 'check', 'migrate', 'reference', 'display'):\n"
            "    importlib.import_module('readkit.results.' + name)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'libcst', 'numpy')))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert run.stdout.strip() == "[]", run.stderr
