"""`footfall api`: the read API and the dashboard page, serving published snapshots."""

from __future__ import annotations

import logging

import typer

DEFAULT_PORT = 8000


def register(app: typer.Typer) -> None:
    """Add `footfall api` to the CLI."""

    @app.command()
    def api(
        host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
        port: int = typer.Option(DEFAULT_PORT, "--port", help="TCP port to listen on."),
        workers: int = typer.Option(
            1, "--workers", min=1, max=32, help="Worker processes (each reads the snapshot)."
        ),
        log_level: str = typer.Option("info", "--log-level", help="debug, info, warning, error."),
    ) -> None:
        """Run the read API (GET /api/v1/..., bearer token) and the dashboard page at /.

        Reads only published snapshots (data/published/CURRENT); swaps between requests.
        """
        import uvicorn

        from warehouse.paths import data_paths
        from warehouse.publish import read_current_snapshot_id
        from warehouse.settings import get_settings

        logging.basicConfig(level=log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
        settings = get_settings()  # fail early, with the variable named, on bad settings
        paths = data_paths()
        snapshot = read_current_snapshot_id(paths)
        typer.echo(
            f"footfall api on http://{host}:{port} (data: {paths.root}; "
            f"snapshot: {snapshot or 'none yet - run `footfall run`'})",
            err=True,
        )
        if settings.api_token == ["dev-read-token"]:
            typer.echo(
                "footfall api: using the development read token; set FOOTFALL_API_TOKEN",
                err=True,
            )
        try:
            uvicorn.run(
                "api.main:create_app",
                factory=True,
                host=host,
                port=port,
                workers=workers,
                log_level=log_level.lower(),
                access_log=log_level.lower() == "debug",
                proxy_headers=False,
                server_header=False,
            )
        except OSError as exc:
            typer.echo(f"footfall api: cannot listen on {host}:{port}: {exc}", err=True)
            raise typer.Exit(1) from None
