"""The `footfall` command: one entry point, `--help` on every command, clean errors."""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from warehouse.cli import app

DESIGN_COMMANDS = ["collect", "run", "api", "generate", "demo"]
runner = CliRunner()


def _registered() -> list[str]:
    return sorted(typer.main.get_command(app).commands)


def test_register_every_foundation_command() -> None:
    assert set(DESIGN_COMMANDS) <= set(_registered())


@pytest.mark.parametrize("command", _registered())
def test_show_help_for_command(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
    assert len(result.output.strip().splitlines()) > 3


def test_console_script_lists_commands() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "warehouse.cli", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    for command in DESIGN_COMMANDS:
        assert command in result.stdout


def test_unknown_command_is_a_clear_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "warehouse.cli", "frobnicate"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "No such command" in result.stderr
    assert "Traceback" not in result.stderr
