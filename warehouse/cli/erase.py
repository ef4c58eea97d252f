"""`footfall erase`: remove one person's data from lake, marts and snapshots (on request)."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from warehouse.cli.run import EXIT_BUSY, EXIT_FAILED
from warehouse.paths import DataPaths, data_paths
from warehouse.prefect_setup import configure_prefect
from warehouse.settings import get_settings

if TYPE_CHECKING:
    from warehouse.privacy.person import PersonRequest

EXIT_USAGE = 2
console = Console(stderr=True)


def person_request(
    visitor_ids: list[str] | None, customer_ids: list[str] | None, emails: list[str] | None
) -> PersonRequest:
    """The request from the command line; exits 2 when no identifier was given."""
    from warehouse.privacy.person import PersonRequest  # here: duckdb loads slowly

    request = PersonRequest(
        visitor_ids=tuple(visitor_ids or ()),
        customer_ids=tuple(customer_ids or ()),
        emails=tuple(emails or ()),
    )
    if request.is_empty:
        console.print("[red]give at least one --visitor-id, --customer-id or --email[/red]")
        sys.exit(EXIT_USAGE)
    return request


VISITOR_OPTION = typer.Option(
    None, "--visitor-id", help="A visitor (browser cookie) id; repeat for several."
)
CUSTOMER_OPTION = typer.Option(
    None, "--customer-id", help="A customer id (covers all their browsers); repeatable."
)
EMAIL_OPTION = typer.Option(
    None, "--email", help="An email address (matched by its keyed hash); repeatable."
)


def erase(
    visitor_id: list[str] | None = VISITOR_OPTION,
    customer_id: list[str] | None = CUSTOMER_OPTION,
    email: list[str] | None = EMAIL_OPTION,
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Count the person's rows; change nothing."
    ),
    wait: float = typer.Option(
        600.0, "--wait", min=0, help="Seconds to wait for a running pipeline to finish."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only the summary, no step logs."),
) -> None:
    """Erase a person's rows (events, orders, customer records) and rebuild without them.

    A customer id or email also covers every browser (visitor id) the customer was linked
    to; a visitor id alone covers that browser's events and the orders placed from it.
    Afterwards the marts are rebuilt, every older snapshot is deleted, and the new one is
    checked to hold none of the person's ids. The audit log records a keyed hash of the
    request and counts, never the identifiers.

    Exit 0 when erased, or when nothing was found (nothing to erase); 1 on failure (re-run:
    erasure is idempotent); 2 on bad usage or refused confirmation; 3 when another run
    held the lock for longer than --wait.
    """
    request = person_request(visitor_id, customer_id, email)
    paths = data_paths()
    settings = get_settings()
    preview = _preview(paths, request, settings.secret)
    found = ", ".join(f"{rows:,} {name.replace('_', ' ')}" for name, rows in preview.items())
    console.print(f"found: {found}")
    if dry_run:
        console.print("dry run: nothing changed")
        return
    if not any(preview.values()):
        from warehouse.privacy.pending import rebuild_pending

        if rebuild_pending(paths) is None:
            _record_nothing_found(paths, request, settings.secret)
            console.print("nothing found for this request: nothing to erase (audit log updated)")
            return
    if not yes:
        if not sys.stdin.isatty():
            console.print("[red]refusing to erase without --yes (no terminal to confirm on)[/red]")
            sys.exit(EXIT_USAGE)
        if not typer.confirm("Erase these rows for good and rebuild the marts?", default=False):
            console.print("not erased")
            sys.exit(EXIT_USAGE)
    configure_prefect(paths, PREFECT_LOGGING_LEVEL="WARNING" if quiet else "INFO")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per Prefect API call
    from pydantic import SecretStr

    from flows.erase import erase as erase_flow
    from warehouse.children import start_prefect_server_tied
    from warehouse.runlog import PipelineBusyError

    start_prefect_server_tied()  # a killed job must not leave Prefect's server running

    try:
        record = erase_flow(SecretStr(request.to_json()), wait_seconds=wait)
    except PipelineBusyError as exc:
        console.print(f"[red]footfall erase: {exc}[/red]")
        sys.exit(EXIT_BUSY)
    except Exception as exc:
        console.print(f"[red]footfall erase failed: {type(exc).__name__}: {exc}[/red]")
        console.print("Re-run the same command: erasure is idempotent and finishes the rebuild.")
        sys.exit(EXIT_FAILED)
    console.print(summary_table(record))


def _preview(paths: DataPaths, request: PersonRequest, secret: str) -> dict[str, int]:
    """The person's rows in the lake and current snapshot now (read-only; the flow counts
    again under the lock)."""
    from warehouse.privacy.erasure import count_person_rows, find_person_in_database
    from warehouse.privacy.lakeviews import lake_connection
    from warehouse.privacy.person import resolve_person
    from warehouse.publish import current_snapshot_path

    con = lake_connection(paths)
    try:
        person = resolve_person(con, request, secret)
        counts = {f"{name} rows": rows for name, rows in count_person_rows(con, person).items()}
    finally:
        con.close()
    snapshot = current_snapshot_path(paths)
    in_snapshot = find_person_in_database(snapshot, person) if snapshot else {}
    return counts | {"snapshot rows": sum(in_snapshot.values())}


def _record_nothing_found(paths: DataPaths, request: PersonRequest, secret: str) -> None:
    from warehouse.privacy.audit import append_audit

    append_audit(
        paths,
        "erase",
        request_key=request.key(secret),
        identifier_kinds=request.kinds,
        status="nothing_found",
        dry_run=False,
    )


def summary_table(record: dict) -> Table:
    """What an erasure did, for the operator's terminal (counts only)."""
    table = Table(title=f"erase: {record.get('status')}", show_header=False)
    table.add_row("request key (audit log)", str(record.get("request_key", ""))[:16] + "…")
    for kind, count in (record.get("identifiers_found") or {}).items():
        table.add_row(f"{kind} found", str(count))
    removed = record.get("rows_removed") or record.get("rows_found") or {}
    verb = "found" if record.get("dry_run") else "removed"
    for dataset, rows in removed.items():
        table.add_row(f"{dataset.replace('_', ' ')} rows {verb}", f"{rows:,}")
    if record.get("snapshot_id"):
        table.add_row("new snapshot", str(record["snapshot_id"]))
        table.add_row("older snapshots dropped", str(record.get("snapshots_dropped", 0)))
    for step, seconds in record.get("steps", {}).items():
        table.add_row(f"step {step}", f"{seconds:.1f} s")
    return table


def register(app: typer.Typer) -> None:
    app.command("erase")(erase)
