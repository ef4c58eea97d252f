"""`footfall run`: the pipeline flow once, embedded, returning when the snapshot is live."""

from __future__ import annotations

import logging
import sys

import typer
from rich.console import Console
from rich.table import Table

from warehouse.paths import data_paths
from warehouse.prefect_setup import configure_prefect

EXIT_FAILED = 1
EXIT_BUSY = 3


def run(
    full_refresh: bool = typer.Option(
        False, "--full-refresh", help="Rebuild every incremental model from the whole lake."
    ),
    wait: float = typer.Option(
        0.0, "--wait", min=0, help="Seconds to wait if another run holds the lock (default: exit)."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show Prefect's and dbt's logs."),
) -> None:
    """Land, enrich, build (dbt) and publish once; exit non-zero if anything fails.

    The last good snapshot keeps serving when a run fails, so it is safe to re-run.
    """
    paths = data_paths()
    configure_prefect(paths, PREFECT_LOGGING_LEVEL="INFO" if verbose else "WARNING")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.INFO if verbose else logging.WARNING)
    from flows.pipeline import pipeline  # after configure_prefect: Prefect reads env at import
    from warehouse.children import start_prefect_server_tied
    from warehouse.runlog import PipelineBusyError, writer_lock

    console = Console(stderr=True)
    try:
        # Fail fast, before a Prefect server starts; the flow takes the lock for real.
        with writer_lock(paths, wait_seconds=wait):
            pass
    except PipelineBusyError as exc:
        console.print(f"[red]footfall run: {exc}[/red]")
        sys.exit(EXIT_BUSY)
    start_prefect_server_tied()  # so a kill -9 of this run does not leave it running

    console.print(f"footfall run: data dir {paths.root}")
    try:
        record = pipeline(full_refresh=full_refresh, wait_seconds=wait)
    except PipelineBusyError as exc:
        console.print(f"[red]footfall run: {exc}[/red]")
        sys.exit(EXIT_BUSY)
    except Exception as exc:  # the flow already recorded the failure
        console.print(f"[red]footfall run failed: {type(exc).__name__}: {exc}[/red]")
        console.print("The last good snapshot is still being served; fix the cause and re-run.")
        sys.exit(EXIT_FAILED)
    console.print(summary_table(record))


def summary_table(record: dict) -> Table:
    """What a run did, for the operator's terminal."""
    table = Table(title=f"pipeline run {record['run_id']}", show_header=False)
    table.add_row("snapshot", str(record.get("snapshot_id")))
    table.add_row("new raw files enriched", str(record.get("new_raw_files", 0)))
    table.add_row("new events enriched", f"{record.get('new_events', 0):,}")
    table.add_row("visits in sessions mart", f"{record.get('visits', 0):,}")
    for step, seconds in record.get("steps", {}).items():
        table.add_row(f"step {step}", f"{seconds:.1f} s")
    table.add_row("total", f"{record.get('seconds', 0):.1f} s")
    return table


def register(app: typer.Typer) -> None:
    app.command("run")(run)
