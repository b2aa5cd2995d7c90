"""What the run saw refines what readkit says (issue 11 §2), through `readkit check` and
`readkit annotate --run`: typed constructors and plain-number forward parameters are
confirmed, never missed or refuted; a `[0]` the run stopped on with the 0-dim IndexError
is flagged whatever the value is called."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from readkit.check import check_target
from readkit.cli import cli
from tests.check.conftest import FIXTURES

TYPED_AND_PLAIN = FIXTURES / "projects" / "typed_and_plain.py"


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), start=1) if text in line)


def test_typed_constructors_and_plain_forward_parameters_are_confirmed_not_missed_or_refuted() -> None:
    result = check_target(TYPED_AND_PLAIN, quiet=True, timeout=120)
    assert result.status == "ok", result.output
    write, square = _line_of(TYPED_AND_PLAIN, "t[0][index] = 1"), _line_of(TYPED_AND_PLAIN, "return a * a")
    compare = _line_of(TYPED_AND_PLAIN, "random.random() < teacher_forcing_ratio")
    verdicts = {(a.line, a.role): a.verdict for a in result.annotations}
    assert verdicts[(write, "tensor")] == "confirmed" and verdicts[(square, "tensor")] == "confirmed"
    assert (compare, "tensor") not in verdicts  # no tensor operation is claimed on the comparison
    assert [a for a in result.annotations if a.verdict == "refuted"] == []
    assert [(m.line, m.role) for m in result.missed] == []


def test_annotate_run_flags_the_zero_index_the_run_stopped_on(tmp_path: Path) -> None:
    script = tmp_path / "main.py"
    script.write_text(
        "import torch\n"
        "def step(model, f, x):\n"
        "    out = f(model(x))\n"
        "    return out[0]\n"
        "print(step(torch.nn.Linear(3, 1), lambda y: y.pow(2).mean(), torch.randn(4, 3)))\n")
    plain = CliRunner().invoke(cli, ["annotate", "--rule", "data-index-zero", str(script)])
    assert "data-index-zero" not in plain.output  # nothing in the code alone says `out` is 0-dim
    ran = CliRunner().invoke(cli, ["annotate", "--run", str(script), "--rule", "data-index-zero", str(script)])
    assert "[legacy data-index-zero]" in ran.output and "-> out.item()" in ran.output, ran.output
