"""Export: every lake row of one person (GDPR access request), as JSON or CSV.

The rows are selected by the same rule erasure removes them by (`person.row_filter`), so
an export shows exactly what an erasure would delete. Raw datasets only: enriched events
are the same events plus lookups (device, browser, location) derived from them.
Money stays exact (decimal strings), times are ISO-8601 UTC. The file is written with
owner-only permissions: it is personal data.
"""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from warehouse.privacy.person import Person, register_person, row_filter

EXPORTED_DATASETS = {
    "events": ("raw_events", "received_at, event_id"),
    "orders": ("raw_orders", "received_at, order_id"),
    "customers": ("raw_customers", "received_at, customer_id"),
}
FORMATS = ("json", "csv")


def person_rows(con: duckdb.DuckDBPyConnection, person: Person) -> dict[str, list[dict[str, Any]]]:
    """The person's rows per dataset, oldest first, as plain Python values."""
    register_person(con, person)
    rows = {}
    for dataset, (view, order) in EXPORTED_DATASETS.items():
        table = con.sql(
            f"select * from {view} where coalesce(({row_filter(dataset)}), false) order by {order}"
        ).to_arrow_table()
        rows[dataset] = table.to_pylist()
    return rows


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def to_json(rows: dict[str, list[dict[str, Any]]]) -> str:
    return json.dumps({name: _plain(items) for name, items in rows.items()}, indent=2) + "\n"


def to_csv(items: list[dict[str, Any]], columns: list[str]) -> str:
    """One dataset as CSV; nested values (order items) as JSON text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for item in items:
        cells = []
        for column in columns:
            value = _plain(item.get(column))
            cells.append(json.dumps(value) if isinstance(value, list | dict) else value)
        writer.writerow(cells)
    return buffer.getvalue()


def _write_private(target: Path, text: str) -> None:
    """Write a file readable by its owner only, whole or not at all."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    # Never through a link planted at the temp name (the output dir may be shared, the
    # command may run as root): remove what is there, then create it exclusively.
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as sink:
            sink.write(text)
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_export(
    con: duckdb.DuckDBPyConnection, person: Person, fmt: str, output: Path
) -> tuple[dict[str, int], list[Path]]:
    """Write the person's rows to `output` (a .json file, or a directory of .csv files).

    Returns the row count per dataset and the files written.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (use {' or '.join(FORMATS)})")
    rows = person_rows(con, person)
    counts = {name: len(items) for name, items in rows.items()}
    if fmt == "json":
        _write_private(output, to_json(rows))
        return counts, [output]
    written = []
    for dataset, (view, _) in EXPORTED_DATASETS.items():
        columns = [row[0] for row in con.execute(f"describe {view}").fetchall()]
        target = output / f"{dataset}.csv"
        _write_private(target, to_csv(rows[dataset], columns))
        written.append(target)
    return counts, written
