"""`readkit map --run`: each model's parameter count (total and trainable), as `readkit check`
counted the first instance of its class the run built, in every output format. The script
prints torch's own count (nn.Module.parameters) of the same models: the oracle."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from readkit.cli import cli
from readkit.map import map_paths
from readkit.render import map as render
from readkit.render.html import write_map_report
from readkit.results.annotate import AnnotateResult

SCRIPT = Path(__file__).resolve().parents[2] / "fixtures" / "check" / "modules" / "built_models.py"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("built")
    shutil.copy(SCRIPT, folder / "train.py")
    return folder


@pytest.fixture(scope="module")
def mapped(project: Path):
    return map_paths([project], jobs=1, run=project / "train.py", timeout=120)


def _torch_counts(script: Path) -> dict[str, tuple[int, int]]:
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True).stdout
    return {" ".join(line.split()[:-2]): (int(line.split()[-2]), int(line.split()[-1])) for line in out.splitlines()}


def test_each_model_gets_the_count_torch_gives_its_first_instance(mapped, project: Path) -> None:
    torch_counts = _torch_counts(project / "train.py")
    models = {m.name: m for m in mapped.models}
    assert (models["TiedNet"].parameters, models["TiedNet"].trainable) == torch_counts["TiedNet"] == (151, 140)
    assert (models["Block"].parameters, models["Block"].trainable) == torch_counts["Block"]  # built first at line 21


def test_text_markdown_json_and_html_show_the_counts(mapped, tmp_path: Path) -> None:
    assert "151 parameters (140 trainable)" in render.to_text(mapped)
    assert "151 parameters (140 trainable)" in render.to_markdown(mapped)
    model = next(m for m in json.loads(render.to_json(mapped))["models"] if m["name"] == "TiedNet")
    assert (model["parameters"], model["trainable"]) == (151, 140)
    front = write_map_report(mapped, AnnotateResult(), tmp_path / "report")
    assert "151 parameters (140 trainable)" in front.read_text(encoding="utf-8")


def test_without_run_the_counts_are_null(project: Path) -> None:
    result = CliRunner().invoke(cli, ["map", str(project), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert {(m["parameters"], m["trainable"]) for m in json.loads(result.output)["models"]} == {(None, None)}
