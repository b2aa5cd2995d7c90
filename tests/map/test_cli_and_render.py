"""`readkit map` from the command line: formats, exit codes, the JSON schema, the loss curve."""

from __future__ import annotations

import json

from click.testing import CliRunner

from readkit.cli import cli
from readkit.map.kinds import STEPS
from readkit.render.map import SCHEMA, loss_curve_svg

from tests.map.conftest import FIXTURES


def invoke(*args: str):
    return CliRunner().invoke(cli, ["map", *args])


def test_text_output_lists_each_section_with_lines():
    result = invoke(str(FIXTURES / "gan"), "--no-color")
    assert result.exit_code == 0, result.output
    assert "dcgan.py:67  optimizerD = torch.optim.Adam" in result.output
    assert "dcgan.py:85  step           optimizerD.step()" in result.output
    for heading in ("Entry points", "Suggested reading order", "Models", "Losses", "Optimizers", "Training loops",
                    "Data", "Evaluation", "Checkpoints", "Devices"):
        assert f"\n{heading}\n" in result.output


def test_json_follows_the_documented_schema():
    result = invoke(str(FIXTURES / "project"), "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["schema"] == SCHEMA
    assert set(data) == {"readkit_version", "schema", "root", "files", "entry_points", "reading_order", "models",
                         "constructions", "loops", "uses", "problems", "run", "notes"}
    loop, = data["loops"]
    assert loop["where"] == {"path": "proj/engine.py", "line": 7, "cell": None, "cell_line": None}
    assert [s["kind"] for s in loop["steps"]][:5] == ["zero_grad", "forward", "loss", "backward", "step"]


def test_markdown_links_to_lines_and_steps(tmp_path):
    out = tmp_path / "map.md"
    result = invoke(str(FIXTURES / "tutorial"), "--format", "markdown", "-o", str(out))
    assert result.exit_code == 0 and result.output == ""
    text = out.read_text(encoding="utf-8")
    assert "- [`mnist.py:69`](mnist.py#L69) optimizer = torch.optim.Adadelta" in text
    assert "`readkit run-reference --step optim.train_logistic_regression`" in text


def test_missing_path_is_a_usage_error():
    result = invoke("no/such/dir")
    assert result.exit_code == 2 and "no such file or directory: no/such/dir" in result.output


def test_unreadable_file_exits_1_and_says_which(tmp_path):
    (tmp_path / "old.py").write_text("print 'x'\n", encoding="utf-8")
    result = invoke(str(tmp_path))
    assert result.exit_code == 1
    assert "old.py: Python 2 syntax" in result.output


def test_loss_curve_is_an_svg_polyline_from_first_to_last():
    svg = loss_curve_svg((4.0, 2.0, 1.0), width=108, height=58)
    assert svg.startswith("<svg") and 'points="4.0,4.0 54.0,37.3 104.0,54.0"' in svg
    assert loss_curve_svg((1.0,)) == "" and loss_curve_svg((1.0, float("nan"))) == ""


def test_every_reference_step_the_map_links_exists():
    from readkit import reference

    for step in sorted(s for s in STEPS.values() if s):
        assert reference.plan_run(device="cpu", steps=(step,)).step_ids == (step,)
