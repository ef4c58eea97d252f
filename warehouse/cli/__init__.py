"""The one `footfall` command. Each sub-command lives in its own module with `register(app)`."""

from __future__ import annotations

import importlib
import sys

import typer

from warehouse.settings import SettingsError, get_settings

# Modules under warehouse.cli that each add their command(s) to the app.
COMMAND_MODULES = [
    "collect",
    "generate",
    "run",
    "api",
    "demo",
    "retention",
    "erase",
    "export",
    "shell",
    "serve",
    "bench",
]

app = typer.Typer(
    name="footfall",
    help="Self-hosted visitor and shop analytics: collect, enrich, model, publish, serve.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for _name in COMMAND_MODULES:
    importlib.import_module(f"warehouse.cli.{_name}").register(app)


def main() -> None:
    """Console-script entry point: settings problems become a clear message and exit 2."""
    try:
        get_settings()  # validate every setting at start, whatever the command
        app()
    except SettingsError as exc:
        typer.echo(f"footfall: {exc}", err=True)
        sys.exit(2)
