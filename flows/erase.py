"""The `erase` flow (on request): remove one person's rows everywhere, rebuild, prove it.

The request travels as a `SecretStr`, which Prefect masks in its run records; no task
takes or returns an identifier, and logs and the audit log carry counts and a keyed hash
of the request only. Under the writer lock: land the spool (so records still waiting
there are erased too), repair the lake, resolve the person, rewrite every file holding
their rows. Then a full-refresh pipeline run, every older snapshot dropped, and a check
that neither the current snapshot nor the build database holds any of their ids.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from pydantic import SecretStr

from flows.privacy_steps import rebuild_marts, repair_lake, step, timed_step
from warehouse.paths import DataPaths, data_paths
from warehouse.privacy.audit import append_audit
from warehouse.privacy.erasure import (
    count_person_rows,
    erase_person_rows,
    find_person_in_database,
)
from warehouse.privacy.lakeviews import lake_connection
from warehouse.privacy.pending import mark_rebuild_pending, rebuild_pending
from warehouse.privacy.person import Person, PersonRequest, resolve_person
from warehouse.publish import current_snapshot_path
from warehouse.runlog import writer_lock
from warehouse.settings import get_settings


@task(retries=2, retry_delay_seconds=2, cache_policy=NO_CACHE)
def land_spool_first(paths: DataPaths) -> int:
    """Land sealed spool segments, so records still waiting there are erased as well."""
    from ingest.lander import land_sealed_segments

    return land_sealed_segments(paths).total_rows


def _leftovers(paths: DataPaths, person: Person) -> dict[str, int]:
    """Tables of the current snapshot and the build database that still hold the person."""
    found = {}
    snapshot = current_snapshot_path(paths)
    if snapshot is not None:
        found.update(
            {f"snapshot:{t}": n for t, n in find_person_in_database(snapshot, person).items()}
        )
    found.update(
        {f"build:{t}": n for t, n in find_person_in_database(paths.build_db, person).items()}
    )
    return found


@flow(name="erase", log_prints=False)
def erase(request: SecretStr, dry_run: bool = False, wait_seconds: float = 600.0) -> dict[str, Any]:
    """Remove a person's rows (by visitor id, customer id or email) from lake and marts.

    `request` is `PersonRequest.to_json()` wrapped in a SecretStr. Returns counts only.
    """
    logger = get_run_logger()
    paths = data_paths()
    person_request = PersonRequest.from_json(request.get_secret_value())
    if person_request.is_empty:
        raise ValueError("an erasure request needs a visitor id, customer id or email")
    steps: dict[str, float] = {}
    record: dict[str, Any] = {
        "request_key": person_request.key(get_settings().secret),
        "identifier_kinds": person_request.kinds,
        "dry_run": dry_run,
        "steps": steps,
    }
    try:
        with writer_lock(paths, wait_seconds):
            record["spool_rows_landed"] = timed_step(steps, "land", land_spool_first, paths)
            record.update(timed_step(steps, "repair", repair_lake, paths))
            con = lake_connection(paths)
            try:
                with step(steps, "find"):
                    person = resolve_person(con, person_request, get_settings().secret)
                    found = count_person_rows(con, person)
                    in_warehouse = _leftovers(paths, person)
                record["identifiers_found"] = person.counts()
                record["rows_found"] = found
                record["warehouse_tables_found"] = len(in_warehouse)
                was_pending = rebuild_pending(paths) is not None
                if not any(found.values()) and not in_warehouse and not was_pending:
                    logger.info("nothing found for this request: nothing to erase")
                    record["status"] = "nothing_found"
                    return record
                if dry_run:
                    record["status"] = "dry_run"
                    return record
                mark_rebuild_pending(paths, "erase", drop_snapshots=True)
                with step(steps, "remove"):
                    removed = erase_person_rows(con, paths, person)
            finally:
                con.close()
            record["rows_removed"] = {name: r.rows_removed for name, r in removed.items()}
            record["files_rewritten"] = sum(r.files_rewritten for r in removed.values())
            record["files_deleted"] = sum(r.files_deleted for r in removed.values())
        logger.info(
            "removed %d row(s) from %d file(s); rebuilding the marts",
            sum(record["rows_removed"].values()),
            record["files_rewritten"] + record["files_deleted"],
        )
        rebuilt = timed_step(
            steps, "rebuild", rebuild_marts, paths, wait_seconds, lambda: _leftovers(paths, person)
        )
        record.update(rebuilt)
        record["status"] = "completed"
        return record
    except BaseException as exc:
        record["status"] = "failed"
        record["error"] = type(exc).__name__
        raise
    finally:
        append_audit(paths, "erase", **record)
