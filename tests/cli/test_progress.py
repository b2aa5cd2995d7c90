"""`readkit map` and `readkit annotate` share one `--quiet` and one progress line: on stderr, on a
terminal only, once a run has taken about a second; `--quiet` silences it."""

from __future__ import annotations

import importlib
import inspect

import pytest
from click.testing import CliRunner

from readkit.cli import cli
from readkit.render import progress

annotate_cli = importlib.import_module("readkit.cli.annotate")  # the package exports the commands by these names
map_cli = importlib.import_module("readkit.cli.map")

FIXTURE = "fixtures/map/inline_loss"


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """stderr is a terminal and every run is long enough for the line."""
    monkeypatch.setattr(progress, "_is_terminal", lambda stream: True)
    monkeypatch.setattr(progress, "SHOW_AFTER", 0.0)
    monkeypatch.setattr(progress, "REDRAW_EVERY", 0.0)


@pytest.mark.parametrize("command", ["map", "annotate"])
def test_on_a_terminal_the_progress_line_counts_the_files_on_stderr_and_is_erased(command, terminal) -> None:
    result = CliRunner().invoke(cli, [command, FIXTURE, "-j", "1", "--no-color"])
    assert result.exit_code == 0, result.output
    assert "/7 files" in result.stderr and f"\r{command}: 7/7 files" in result.stderr  # 7 files in the fixture
    assert result.stderr.rstrip(" ").endswith("\r")  # erased: what follows starts on a clean line
    assert "files ·" not in result.stdout


@pytest.mark.parametrize("command", ["map", "annotate"])
def test_quiet_silences_it(command, terminal) -> None:
    for flag in ("--quiet", "-q"):
        result = CliRunner().invoke(cli, [command, FIXTURE, "-j", "1", flag])
        assert result.exit_code == 0 and "files" not in result.stderr, result.stderr


@pytest.mark.parametrize("command", ["map", "annotate"])
def test_not_a_terminal_no_line(command) -> None:
    result = CliRunner().invoke(cli, [command, FIXTURE, "-j", "1"])
    assert result.exit_code == 0 and "files ·" not in result.stderr


def test_one_definition_of_the_option_and_of_the_wiring() -> None:
    options = {name: next(p for p in command.params if p.name == "quiet")
               for name, command in (("map", map_cli.map_command), ("annotate", annotate_cli.annotate))}
    assert options["map"].opts == options["annotate"].opts == ["--quiet", "-q"]
    assert options["map"].help == options["annotate"].help
    for module in (map_cli, annotate_cli):
        source = inspect.getsource(module)
        assert '"--quiet"' not in source and "ProgressLine(" not in source  # both use readkit.cli.common's
