"""`footfall collect`: run the collector (HTTP app, durable spool, background lander)."""

from __future__ import annotations

import logging

import typer

DEFAULT_PORT = 8080


def register(app: typer.Typer) -> None:
    """Add `footfall collect` to the CLI."""

    @app.command()
    def collect(
        host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
        port: int = typer.Option(DEFAULT_PORT, "--port", help="TCP port to listen on."),
        log_level: str = typer.Option("info", "--log-level", help="debug, info, warning, error."),
    ) -> None:
        """Run the collector: POST /api/v1/analytics/track, /api/v1/orders, /api/v1/customers,
        GET /healthz and /tracker.js. Every 2xx is on disk (spool); a background lander turns
        spool segments into Parquet under the data directory's lake/raw/."""
        import uvicorn

        from ingest.app import create_app
        from ingest.collector import Collector
        from ingest.spool import SpoolError

        logging.basicConfig(level=log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
        collector = Collector()
        try:
            collector.start()  # take the spool and recover before binding the port
        except SpoolError as exc:
            typer.echo(f"footfall collect: {exc}", err=True)
            raise typer.Exit(1) from None
        typer.echo(
            f"footfall collector on http://{host}:{port} (data: {collector.paths.root})", err=True
        )
        try:
            uvicorn.run(
                create_app(collector),
                host=host,
                port=port,
                log_level=log_level.lower(),
                access_log=False,
                # Client addresses come from settings.trusted_proxies, in one place.
                proxy_headers=False,
                server_header=False,
            )
        finally:
            collector.stop()
