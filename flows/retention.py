"""The `retention` flow (weekly): delete anonymous visitors' old events, then rebuild.

Under the writer lock it repairs the lake, removes events of never-linked visitors older
than `retention_days` (raw by new-generation rewrite, enriched by pruning the orphaned
files), then releases the lock and runs the pipeline with a full refresh so the marts
forget them too. The audit log gets counts only.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.privacy_steps import rebuild_marts, repair_lake, timed_step
from warehouse.paths import DataPaths, data_paths
from warehouse.privacy.audit import append_audit
from warehouse.privacy.pending import (
    clear_rebuild_pending,
    mark_rebuild_pending,
    rebuild_pending,
)
from warehouse.privacy.retention import remove_old_anonymous_events
from warehouse.runlog import writer_lock
from warehouse.settings import get_settings


@task(cache_policy=NO_CACHE)
def count_old_anonymous_events(paths: DataPaths, days: int) -> dict[str, Any]:
    """Count what retention would remove (a dry run changes nothing)."""
    return remove_old_anonymous_events(paths, days=days, dry_run=True).as_dict()


@task(cache_policy=NO_CACHE)
def remove_old_anonymous(paths: DataPaths, days: int) -> dict[str, Any]:
    """Rewrite the partitions holding anonymous visitors' events older than `days`."""
    return remove_old_anonymous_events(paths, days=days).as_dict()


@flow(name="retention", log_prints=False)
def retention(
    days: int | None = None, dry_run: bool = False, wait_seconds: float = 600.0
) -> dict[str, Any]:
    """Delete anonymous visitors' events older than `days` (default: FOOTFALL_RETENTION_DAYS)."""
    logger = get_run_logger()
    paths = data_paths()
    days = days or get_settings().retention_days
    steps: dict[str, float] = {}
    record: dict[str, Any] = {"days": days, "dry_run": dry_run, "steps": steps}
    try:
        with writer_lock(paths, wait_seconds):
            record.update(timed_step(steps, "repair", repair_lake, paths))
            if dry_run:
                record.update(timed_step(steps, "count", count_old_anonymous_events, paths, days))
                record["status"] = "dry_run"
                return record
            was_pending = rebuild_pending(paths) is not None
            mark_rebuild_pending(paths, "retention", drop_snapshots=False)
            removed = timed_step(steps, "remove", remove_old_anonymous, paths, days)
            record.update(removed)
        logger.info(
            "removed %d raw and %d enriched event(s) of %d anonymous visitor(s)",
            record["raw_rows_removed"],
            record["enriched_rows_removed"],
            record["visitors_removed"],
        )
        changed = record["raw_rows_removed"] or record["enriched_rows_removed"]
        if changed or was_pending:
            record.update(timed_step(steps, "rebuild", rebuild_marts, paths, wait_seconds))
        else:
            clear_rebuild_pending(paths)  # nothing changed: the marts already agree
            logger.info("nothing to remove: marts left as they are")
        record["status"] = "completed"
        return record
    except BaseException as exc:
        record["status"] = "failed"
        record["error"] = type(exc).__name__
        raise
    finally:
        append_audit(paths, "retention", **record)
