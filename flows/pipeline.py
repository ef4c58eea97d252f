"""The `pipeline` flow: land → compact → enrich → dbt build → audit → publish, one writer
at a time.

Every step reads and writes files, so a crash anywhere is repaired by simply running
again: landing, compaction and enrichment are idempotent (an interrupted compaction is
finished or undone first), dbt rebuilds from the lake, and publish only moves the pointer
after the new snapshot is complete. Until then the last good snapshot keeps serving.
"""

from __future__ import annotations

import dataclasses
import secrets
import time
from datetime import UTC, datetime
from typing import Any

import duckdb
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from ingest.lander import land_sealed_segments
from warehouse import dbt_forkserver
from warehouse import publish as publishing
from warehouse.compaction import compact_closed_partitions
from warehouse.dbt_runner import dbt_build, left_out_of_build
from warehouse.enrich import enrich_new_raw_files
from warehouse.lake import newest_received_at
from warehouse.paths import DataPaths, data_paths
from warehouse.runlog import append_run, read_runs, writer_lock

# A mart that loses more than this share of its rows in one ordinary run is suspicious.
MAX_SHRINK_RATIO = 0.5
MIN_ROWS_TO_AUDIT = 100


class AuditError(RuntimeError):
    """The new build looks wrong; the current snapshot stays in place."""


def _as_dict(result: Any) -> dict:
    if dataclasses.is_dataclass(result):
        return dataclasses.asdict(result)
    return dict(result) if isinstance(result, dict) else {"result": str(result)}


@task(retries=2, retry_delay_seconds=2, cache_policy=NO_CACHE)
def land_spool(paths: DataPaths) -> dict:
    """Land sealed collector spool segments the collector's own lander has not landed yet."""
    return _as_dict(land_sealed_segments(paths))


@task(cache_policy=NO_CACHE)
def compact_lake(paths: DataPaths) -> dict:
    """Merge the many small landed files of closed days (see warehouse.compaction)."""
    return _as_dict(compact_closed_partitions(paths))


@task(cache_policy=NO_CACHE)
def enrich_events(paths: DataPaths, full_refresh: bool) -> dict:
    """Enrich raw event files that are not enriched yet (all of them on a full refresh)."""
    return _as_dict(enrich_new_raw_files(paths, full_refresh=full_refresh))


@task(cache_policy=NO_CACHE)
def build_models(paths: DataPaths, full_refresh: bool) -> dict:
    """Run `dbt build` (models, seeds and tests) in a subprocess.

    Incremental runs leave out the data tests tagged full_check (they scan every event);
    the nightly full refresh runs them. No run repeats the unit tests
    (see warehouse.dbt_runner.UNIT_TESTS).
    """
    result = dbt_build(paths, full_refresh=full_refresh, exclude=left_out_of_build(full_refresh))
    if not result.success:
        raise RuntimeError(f"dbt build failed: {result.summary()}")
    return _as_dict(result)


def _row_counts(database: str, tables: list[str]) -> dict[str, int]:
    con = duckdb.connect(database, read_only=True)
    try:
        present = {row[0] for row in con.execute("show tables").fetchall()}
        return {
            table: con.execute(f'select count(*) from "{table}"').fetchone()[0]
            for table in tables
            if table in present
        }
    finally:
        con.close()


@task(cache_policy=NO_CACHE)
def audit_build(paths: DataPaths, allow_shrink: bool) -> dict[str, int]:
    """Check every mart exists and none shrank unexpectedly against the current snapshot."""
    marts = publishing.mart_names()
    new_counts = _row_counts(str(paths.build_db), marts)
    missing = sorted(set(marts) - set(new_counts))
    if missing:
        raise AuditError(f"marts missing from the build: {', '.join(missing)}")
    current = publishing.current_snapshot_path(paths)
    if current is None or allow_shrink or not current.exists():
        return new_counts
    old_counts = _row_counts(str(current), marts)
    for table, old in old_counts.items():
        new = new_counts.get(table, 0)
        if old >= MIN_ROWS_TO_AUDIT and new < old * (1 - MAX_SHRINK_RATIO):
            raise AuditError(f"mart {table} shrank from {old} to {new} rows")
    return new_counts


@task(retries=2, retry_delay_seconds=2, cache_policy=NO_CACHE)
def publish_marts(paths: DataPaths, run: dict) -> dict:
    """Copy the marts into a new snapshot, swap the pointer, drop expired snapshots."""
    snapshot = publishing.publish_snapshot(
        paths,
        data_as_of=newest_received_at(paths.raw("events")),
        pipeline_runs=[*read_runs(paths), run],
        snapshot_id=run["snapshot_id"],
    )
    publishing.drop_old_snapshots(paths)
    return _as_dict(snapshot)


def _timed(steps: dict, name: str, call, *args) -> Any:
    logger = get_run_logger()
    logger.info("step %s: started", name)
    started = time.perf_counter()
    result = call(*args)
    steps[name] = round(time.perf_counter() - started, 3)
    logger.info("step %s: done in %.1f s", name, steps[name])
    return result


@flow(name="pipeline", log_prints=False)
def pipeline(
    full_refresh: bool = False, allow_shrink: bool = False, wait_seconds: float = 0.0
) -> dict:
    """Run the whole batch path once and publish a new snapshot; returns the run record."""
    paths = data_paths()
    run: dict[str, Any] = {
        "run_id": f"run-{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}",
        "started_at": datetime.now(UTC).isoformat(),
        "full_refresh": full_refresh,
        "status": "running",
        "steps": {},
    }
    started = time.perf_counter()
    with writer_lock(paths, wait_seconds):
        try:
            dbt_forkserver.warm_up()  # dbt imports (~8 s of CPU) while landing and enrichment run
            landed = _timed(run["steps"], "land", land_spool, paths)
            compacted = _timed(run["steps"], "compact", compact_lake, paths)
            enriched = _timed(run["steps"], "enrich", enrich_events, paths, full_refresh)
            _timed(run["steps"], "dbt_build", build_models, paths, full_refresh)
            counts = _timed(run["steps"], "audit", audit_build, paths, allow_shrink)
            run.update(
                landed=landed,
                compacted=compacted,
                new_raw_files=enriched.get("files", 0),
                new_events=enriched.get("rows", 0),
                visits=counts.get("sessions", 0),
                status="published",
            )
            run["seconds"] = round(time.perf_counter() - started, 3)
            run["finished_at"] = datetime.now(UTC).isoformat()
            run["snapshot_id"] = publishing.new_snapshot_id()
            _timed(run["steps"], "publish", publish_marts, paths, run)
        except BaseException as exc:
            run.update(status="failed", error=f"{type(exc).__name__}: {exc}"[:2000])
            raise
        finally:
            run["seconds"] = round(time.perf_counter() - started, 3)
            run["finished_at"] = datetime.now(UTC).isoformat()
            append_run(paths, run)
    return run
