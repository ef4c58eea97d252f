"""`footfall export`: a person's own rows as JSON or CSV (GDPR access request)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console

from warehouse.cli.erase import CUSTOMER_OPTION, EMAIL_OPTION, VISITOR_OPTION, person_request
from warehouse.cli.run import EXIT_BUSY, EXIT_FAILED
from warehouse.paths import data_paths
from warehouse.settings import get_settings

console = Console(stderr=True)


def export(
    visitor_id: list[str] | None = VISITOR_OPTION,
    customer_id: list[str] | None = CUSTOMER_OPTION,
    email: list[str] | None = EMAIL_OPTION,
    fmt: str = typer.Option(
        "json", "--format", "-f", help="json (one file) or csv (a directory of one file each)."
    ),
    output: Path = typer.Option(
        ...,
        "--output",
        "-o",
        help="The .json file to write ('-' for stdout), or the directory for the CSV files.",
    ),
    wait: float = typer.Option(
        600.0, "--wait", min=0, help="Seconds to wait for a running pipeline or privacy job."
    ),
) -> None:
    """Write every row the lake holds about a person: events, orders, customer records.

    The same rows `footfall erase` would remove for the same identifiers. Files are
    written readable by their owner only. The audit log records a keyed hash of the
    request and the row counts, never the identifiers or the output path.
    Exit 0 when written (an empty export when nothing was found), 1 on failure,
    2 on bad usage, 3 when a writer held the lake for longer than --wait.
    """
    fmt = fmt.lower()
    if fmt not in ("json", "csv"):
        console.print(f"[red]unknown --format {fmt!r}: use json or csv[/red]")
        sys.exit(2)
    if fmt == "csv" and str(output) == "-":
        console.print("[red]--format csv writes a directory: give a directory, not '-'[/red]")
        sys.exit(2)
    request = person_request(visitor_id, customer_id, email)
    paths = data_paths()
    secret = get_settings().secret

    from warehouse.privacy.audit import append_audit
    from warehouse.privacy.export import person_rows, to_json, write_export
    from warehouse.privacy.lakeviews import lake_connection
    from warehouse.privacy.person import resolve_person
    from warehouse.privacy.rewrite import finish_interrupted_rewrites
    from warehouse.runlog import PipelineBusyError, writer_lock

    try:
        # Under the writer lock: no privacy job is halfway through a rewrite meanwhile.
        with writer_lock(paths, wait):
            finish_interrupted_rewrites(paths)
            con = lake_connection(paths)
            try:
                person = resolve_person(con, request, secret)
                if str(output) == "-":
                    rows = person_rows(con, person)
                    counts = {name: len(items) for name, items in rows.items()}
                    sys.stdout.write(to_json(rows))
                    written = ["stdout"]
                else:
                    counts, files = write_export(con, person, fmt, output)
                    written = [str(path) for path in files]
            finally:
                con.close()
    except PipelineBusyError as exc:
        console.print(f"[red]footfall export: {exc}[/red]")
        sys.exit(EXIT_BUSY)
    except OSError as exc:
        console.print(f"[red]footfall export: cannot write {output}: {exc.strerror or exc}[/red]")
        sys.exit(EXIT_FAILED)
    append_audit(
        paths,
        "export",
        request_key=request.key(secret),
        identifier_kinds=request.kinds,
        format=fmt,
        rows=counts,
        status="exported" if any(counts.values()) else "nothing_found",
    )
    summary = ", ".join(f"{rows:,} {name}" for name, rows in counts.items())
    if not any(counts.values()):
        console.print("nothing found for this request: the export is empty")
    console.print(f"exported {summary} to {', '.join(written)}")


def register(app: typer.Typer) -> None:
    app.command("export")(export)
