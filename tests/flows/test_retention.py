"""Retention: only old events of never-linked visitors go; customers' data stays; marts follow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
import pyarrow.parquet as pq
import pytest

from tests.utils.lake_rows import land, raw_event, raw_order
from warehouse import publish
from warehouse.enrich import enrich_new_raw_files
from warehouse.lake import lake_files
from warehouse.paths import DataPaths
from warehouse.privacy.audit import audit_file, read_audit
from warehouse.privacy.pending import rebuild_pending
from warehouse.privacy.retention import remove_old_anonymous_events

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
DAYS = 90
CUTOFF = NOW - timedelta(days=DAYS)
OLD = CUTOFF - timedelta(days=30)
RECENT = NOW - timedelta(days=2)

# visitor → (received_at of each event, customer_id on the event or None)
EVENTS: dict[str, list[tuple[datetime, str | None]]] = {
    "anon-old": [(OLD, None), (OLD + timedelta(minutes=1), None)],
    "anon-mixed": [(OLD, None), (RECENT, None)],
    "anon-edge": [(CUTOFF - timedelta(seconds=1), None), (CUTOFF + timedelta(seconds=1), None)],
    "cl-cookieless": [(OLD, None)],
    "buyer": [(OLD, None), (RECENT, None)],  # placed an order (recently): linked
    "identified": [(OLD, None), (OLD + timedelta(minutes=2), "cust-7")],  # linked by an event
}
LINKED = {"buyer", "identified"}


def _expected_kept(
    events: dict[str, list[str]], times: dict[str, datetime], cutoff: datetime
) -> set[str]:
    return {
        event_id
        for visitor, ids in events.items()
        for event_id in ids
        if visitor in LINKED or times[event_id] >= cutoff
    }


def _land_lake(paths: DataPaths, shift: timedelta = timedelta(0)) -> tuple[dict, dict]:
    """Land EVENTS (times moved by `shift`) and the buyer's order; returns ids and the
    events' received_at."""
    ids: dict[str, list[str]] = {}
    times: dict[str, datetime] = {}
    for visitor, stamps in EVENTS.items():
        rows = [raw_event(visitor, at + shift, customer_id=customer) for at, customer in stamps]
        for row in rows:
            land(paths, "events", [row])
            times[row["event_id"]] = row["received_at"]
        ids[visitor] = [row["event_id"] for row in rows]
    land(paths, "orders", [raw_order("o-1", "buyer", "cust-1", RECENT + shift)])
    return ids, times


def _ids(files: list) -> set[str]:
    return {i for path in files for i in pq.read_table(path).column("event_id").to_pylist()}


def test_remove_old_anonymous_events_keeps_linked_and_recent(data_dir: DataPaths) -> None:
    ids, times = _land_lake(data_dir)
    enrich_new_raw_files(data_dir)
    orders_before = {p: p.stat().st_mtime_ns for p in lake_files(data_dir.raw("orders"))}
    expected = _expected_kept(ids, times, CUTOFF)

    dry = remove_old_anonymous_events(data_dir, days=DAYS, now=NOW, dry_run=True)
    assert _ids(lake_files(data_dir.raw("events"))) == {i for v in ids.values() for i in v}
    report = remove_old_anonymous_events(data_dir, days=DAYS, now=NOW)

    assert _ids(lake_files(data_dir.raw("events"))) == expected
    assert _ids(lake_files(data_dir.enriched_events)) <= expected  # rewritten files: pruned
    enrich_new_raw_files(data_dir)
    assert _ids(lake_files(data_dir.enriched_events)) == expected  # redone from the new files
    assert {p: p.stat().st_mtime_ns for p in lake_files(data_dir.raw("orders"))} == orders_before
    removed = sum(len(v) for v in ids.values()) - len(expected)
    assert (report.raw_rows_removed, report.enriched_rows_removed) == (removed, removed)
    assert report.visitors_removed == 4  # anon-old, anon-mixed, anon-edge, cl-cookieless
    assert report.linked_visitors == 2
    assert (dry.raw_rows_removed, dry.visitors_removed) == (removed, 4)
    again = remove_old_anonymous_events(data_dir, days=DAYS, now=NOW)
    assert not again.changed  # idempotent


@pytest.mark.parametrize("days", [0, -1])
def test_remove_old_anonymous_events_rejects_bad_days(data_dir: DataPaths, days: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        remove_old_anonymous_events(data_dir, days=days)


def test_remove_old_anonymous_events_on_empty_lake(data_dir: DataPaths) -> None:
    report = remove_old_anonymous_events(data_dir, days=DAYS)
    assert not report.changed and report.visitors_removed == 0


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_retention_flow_rebuilds_marts_without_removed_visitors(data_dir: DataPaths) -> None:
    from flows.pipeline import pipeline
    from flows.retention import retention

    shift = datetime.now(UTC) - NOW  # the flow's clock is real: move the lake to now
    ids, times = _land_lake(data_dir, shift)
    pipeline()
    assert "anon-old" in _mart_visitors(data_dir)

    record = retention(days=DAYS)

    assert record["status"] == "completed" and record["snapshot_id"]
    visitors = _mart_visitors(data_dir)
    assert "anon-old" not in visitors and "cl-cookieless" not in visitors
    assert {"buyer", "identified", "anon-mixed"} <= visitors
    cutoff = datetime.fromisoformat(record["cutoff"])  # the flow's own clock
    assert _ids(lake_files(data_dir.raw("events"))) == _expected_kept(ids, times, cutoff)
    assert rebuild_pending(data_dir) is None
    (audit,) = read_audit(data_dir)
    assert (
        audit["action"] == "retention" and audit["raw_rows_removed"] == record["raw_rows_removed"]
    )
    text = audit_file(data_dir).read_text()
    assert not any(visitor in text for visitor in EVENTS)  # counts only, no visitor ids


def _mart_visitors(paths: DataPaths) -> set[str]:
    con = duckdb.connect(str(publish.current_snapshot_path(paths)), read_only=True)
    try:
        return {
            row[0] for row in con.execute("select distinct visitor_id from sessions").fetchall()
        }
    finally:
        con.close()
