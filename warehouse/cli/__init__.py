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


def build_app(commands: list[str] | None = None) -> typer.Typer:
    """The `footfall` app with `commands` (default: all of COMMAND_MODULES) registered."""
    new_app = typer.Typer(
        name="footfall",
        help="Self-hosted visitor and shop analytics: collect, enrich, model, publish, serve.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )

    @new_app.callback()
    def footfall() -> None:
        """Self-hosted visitor and shop analytics: collect, enrich, model, publish, serve."""

    for name in COMMAND_MODULES if commands is None else commands:
        importlib.import_module(f"warehouse.cli.{name}").register(new_app)
    return new_app


def commands_for(argv: list[str]) -> list[str] | None:
    """Only the invoked command when argv names one (None: all, for help and errors).

    Each command module imports what it needs (pyarrow, duckdb, prefect, …): importing all
    of them would add about a second to every `footfall` call, servers and tests included.
    """
    return [argv[1]] if len(argv) > 1 and argv[1] in COMMAND_MODULES else None


def __getattr__(name: str) -> typer.Typer:
    # `from warehouse.cli import app`: every command, built on first use.
    if name == "app":
        globals()["app"] = built = build_app()
        return built
    raise AttributeError(name)


def main() -> None:
    """Console-script entry point: settings problems become a clear message and exit 2."""
    try:
        get_settings()  # validate every setting at start, whatever the command
        build_app(commands_for(sys.argv))()
    except SettingsError as exc:
        typer.echo(f"footfall: {exc}", err=True)
        sys.exit(2)
