"""Retention: delete anonymous visitors' event data older than N days.

Anonymous = never linked to a customer anywhere in the lake: no order carries the
visitor id and no event of it carries a customer id (the linked set is computed over the
whole lake, so a link learned yesterday protects events from last year). Linked visitors'
data is never touched; orders and customers always belong to a customer, so only events
(raw and enriched) are pruned. Age is arrival time (`received_at`), which also names the
partition, so only partitions up to the cut-off day are read.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from warehouse.enrich import prune_orphaned_enriched
from warehouse.lake import PARTITION_COLUMN, lake_files
from warehouse.paths import DataPaths
from warehouse.privacy.lakeviews import lake_connection
from warehouse.privacy.rewrite import RewriteResult, affected_files, remove_matching_rows


@dataclass
class RetentionReport:
    """What a retention pass removed (or, on a dry run, would remove)."""

    days: int
    cutoff: datetime
    dry_run: bool
    linked_visitors: int = 0
    visitors_removed: int = 0
    raw_rows_removed: int = 0
    raw_files_rewritten: int = 0
    raw_files_deleted: int = 0
    enriched_rows_removed: int = 0
    enriched_files_rewritten: int = 0
    enriched_files_deleted: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.raw_rows_removed or self.enriched_rows_removed)

    def summary(self) -> str:
        """One line for logs (counts only)."""
        verb = "would remove" if self.dry_run else "removed"
        return (
            f"{verb} {self.raw_rows_removed} raw and {self.enriched_rows_removed} enriched "
            f"event(s) of {self.visitors_removed} anonymous visitor(s) received before "
            f"{self.cutoff:%Y-%m-%d %H:%M} UTC; {self.linked_visitors} linked visitor(s) kept"
        )

    def as_dict(self) -> dict:
        return {**dataclasses.asdict(self), "cutoff": self.cutoff.isoformat()}


def _files_up_to(dataset_dir: Path, cutoff: datetime) -> list[Path]:
    """Files in partitions that can hold a row received before `cutoff`."""
    last_day = cutoff.date().isoformat()
    return [
        path
        for path in lake_files(dataset_dir)
        if path.parent.name.removeprefix(f"{PARTITION_COLUMN}=") <= last_day
    ]


def _drop_sql(cutoff: datetime) -> str:
    stamp = cutoff.astimezone(UTC).isoformat()
    return (
        f"received_at < cast('{stamp}' as timestamptz) and "
        "(visitor_id is null or visitor_id not in (select visitor_id from linked_visitors))"
    )


def _collect_linked_visitors(con: duckdb.DuckDBPyConnection) -> int:
    con.execute(
        """
        create or replace temp table linked_visitors as
        select visitor_id from raw_orders where visitor_id is not null
        union
        select visitor_id from raw_events
        where visitor_id is not null and nullif(trim(customer_id), '') is not null
        """
    )
    return con.execute("select count(*) from linked_visitors").fetchone()[0]


def remove_old_anonymous_events(
    paths: DataPaths, *, days: int, now: datetime | None = None, dry_run: bool = False
) -> RetentionReport:
    """Delete (or count, with `dry_run`) anonymous visitors' events received before now − days."""
    if days < 1:
        raise ValueError("retention days must be at least 1")
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    report = RetentionReport(days=days, cutoff=cutoff, dry_run=dry_run)
    con = lake_connection(paths)
    try:
        report.linked_visitors = _collect_linked_visitors(con)
        drop_sql = _drop_sql(cutoff)
        report.visitors_removed = con.execute(
            f"select count(distinct coalesce(visitor_id, '')) from raw_events where {drop_sql}"
        ).fetchone()[0]
        raw_files = _files_up_to(paths.raw("events"), cutoff)
        enriched_files = _files_up_to(paths.enriched_events, cutoff)
        report.enriched_rows_removed = sum(affected_files(con, enriched_files, drop_sql).values())
        if dry_run:
            report.raw_rows_removed = sum(affected_files(con, raw_files, drop_sql).values())
            return report
        raw = remove_matching_rows(con, raw_files, drop_sql, new_name=True)
        # The enriched twin of each rewritten raw file is now an orphan: delete it at once.
        pruned = prune_orphaned_enriched(paths).orphans_removed
        enriched = remove_matching_rows(
            con, _files_up_to(paths.enriched_events, cutoff), drop_sql, new_name=False
        )
        enriched.files_deleted += pruned
    finally:
        con.close()
    _fill(report, raw, enriched)
    return report


def _fill(report: RetentionReport, raw: RewriteResult, enriched: RewriteResult) -> None:
    report.raw_rows_removed = raw.rows_removed
    report.raw_files_rewritten = raw.files_rewritten
    report.raw_files_deleted = raw.files_deleted
    report.enriched_files_rewritten = enriched.files_rewritten
    report.enriched_files_deleted = enriched.files_deleted
