"""The command line as a user meets it: help everywhere, fast help, exit codes."""

import subprocess
import sys

import pytest
from click.testing import CliRunner

from readkit.cli import cli

COMMANDS = sorted(cli.commands)


def test_help_does_not_import_torch_or_libcst():
    code = "import sys; from readkit.cli import cli; cli(['--help'], standalone_mode=False); " \
           "print(sorted(m for m in ('torch', 'libcst') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_text(name):
    command = cli.commands[name]
    assert command.help and len(command.help.split()) >= 5, f"{name} lacks a real docstring"
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    for param in command.params:
        if param.param_type_name == "option" and not param.hidden:
            assert param.help, f"{name} {param.opts} lacks help text"


def test_unknown_command_is_usage_error():
    assert CliRunner().invoke(cli, ["no-such-command"]).exit_code == 2
