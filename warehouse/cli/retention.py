"""`footfall retention`: delete anonymous visitors' old events now (the weekly flow, once)."""

from __future__ import annotations

import logging
import sys

import typer
from rich.console import Console
from rich.table import Table

from warehouse.cli.run import EXIT_BUSY, EXIT_FAILED
from warehouse.paths import data_paths
from warehouse.prefect_setup import configure_prefect
from warehouse.settings import get_settings


def retention(
    days: int | None = typer.Option(
        None,
        "--days",
        min=1,
        help="Age limit in days [default: FOOTFALL_RETENTION_DAYS, 90].",
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Count what would be deleted; change nothing."
    ),
    wait: float = typer.Option(
        600.0, "--wait", min=0, help="Seconds to wait for a running pipeline to finish."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only the summary, no step logs."),
) -> None:
    """Delete events of never-identified visitors older than N days, then rebuild the marts.

    Visitors linked to a customer (by an order or an identified event) keep all their
    data. Exit 0 when done (also when there was nothing to delete), 1 on failure, 3 when
    another pipeline run held the lock for longer than --wait.
    """
    paths = data_paths()
    days = days or get_settings().retention_days
    configure_prefect(paths, PREFECT_LOGGING_LEVEL="WARNING" if quiet else "INFO")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per Prefect API call
    from flows.retention import retention as retention_flow
    from warehouse.children import start_prefect_server_tied
    from warehouse.runlog import PipelineBusyError

    start_prefect_server_tied()  # a killed job must not leave Prefect's server running

    console = Console(stderr=True)
    mode = "dry run: counting" if dry_run else "deleting"
    console.print(
        f"footfall retention: {mode} anonymous events older than {days} days in {paths.root}"
    )
    try:
        record = retention_flow(days=days, dry_run=dry_run, wait_seconds=wait)
    except PipelineBusyError as exc:
        console.print(f"[red]footfall retention: {exc}[/red]")
        sys.exit(EXIT_BUSY)
    except Exception as exc:
        console.print(f"[red]footfall retention failed: {type(exc).__name__}: {exc}[/red]")
        console.print("Re-run it: a partly done retention is finished safely by the next run.")
        sys.exit(EXIT_FAILED)
    console.print(summary_table(record))


def summary_table(record: dict) -> Table:
    """What a retention run removed (or would remove), for the operator's terminal."""
    title = "retention (dry run)" if record.get("dry_run") else "retention"
    table = Table(title=title, show_header=False)
    table.add_row("cut-off (received before)", str(record.get("cutoff", "?")))
    table.add_row("linked visitors (kept)", f"{record.get('linked_visitors', 0):,}")
    verb = "would remove" if record.get("dry_run") else "removed"
    table.add_row(f"anonymous visitors {verb}", f"{record.get('visitors_removed', 0):,}")
    table.add_row(f"raw events {verb}", f"{record.get('raw_rows_removed', 0):,}")
    table.add_row(f"enriched events {verb}", f"{record.get('enriched_rows_removed', 0):,}")
    if not record.get("dry_run"):
        files = record.get("raw_files_rewritten", 0) + record.get("raw_files_deleted", 0)
        table.add_row("raw files rewritten/deleted", str(files))
        table.add_row("new snapshot", str(record.get("snapshot_id") or "(no rebuild needed)"))
    for step, seconds in record.get("steps", {}).items():
        table.add_row(f"step {step}", f"{seconds:.1f} s")
    return table


def register(app: typer.Typer) -> None:
    app.command("retention")(retention)
