"""Publish: snapshots are complete files, the pointer swaps atomically, old ones expire."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

import duckdb
import pytest

from warehouse import publish
from warehouse.paths import DataPaths
from warehouse.runlog import PipelineBusyError, append_run, read_runs, writer_lock


def _build(paths: DataPaths, visits: int) -> None:
    paths.build.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(paths.build_db))
    con.execute(
        "create or replace table sessions as select range as visit_id from range(?)", [visits]
    )
    con.execute("create or replace table daily_metrics as select 1 as total_visits")
    con.execute("create or replace view stg_events as select 1 as x")
    con.close()


def _publish(paths: DataPaths, **kwargs) -> publish.PublishedSnapshot:
    return publish.publish_snapshot(
        paths,
        data_as_of=datetime(2026, 3, 1, 12, tzinfo=UTC),
        pipeline_runs=[{"run_id": "run-1", "status": "published", "steps": {"dbt": 1.5}}],
        tables=["sessions", "daily_metrics"],
        **kwargs,
    )


def test_publish_snapshot_copies_marts_and_metadata(data_dir: DataPaths) -> None:
    _build(data_dir, visits=5)
    snapshot = _publish(data_dir)
    assert publish.read_current_snapshot_id(data_dir) == snapshot.snapshot_id
    assert snapshot.tables == {"sessions": 5, "daily_metrics": 1}
    con = duckdb.connect(str(snapshot.path), read_only=True)
    tables = {row[0] for row in con.execute("show tables").fetchall()}
    assert tables == {"sessions", "daily_metrics", "snapshot_info", "pipeline_runs"}
    info = con.execute("select snapshot_id, data_as_of from snapshot_info").fetchone()
    assert info == (snapshot.snapshot_id, datetime(2026, 3, 1, 12))
    assert con.execute("select run_id, status from pipeline_runs").fetchall() == [
        ("run-1", "published")
    ]
    con.close()


def test_publish_snapshot_missing_mart_keeps_current(data_dir: DataPaths) -> None:
    _build(data_dir, visits=3)
    first = _publish(data_dir)
    with pytest.raises(RuntimeError, match="missing"):
        publish.publish_snapshot(data_dir, data_as_of=None, pipeline_runs=[], tables=["nope"])
    assert publish.read_current_snapshot_id(data_dir) == first.snapshot_id
    leftovers = [p.name for p in data_dir.published.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_publish_snapshot_readable_while_build_is_open_for_writing(data_dir: DataPaths) -> None:
    _build(data_dir, visits=2)
    snapshot = _publish(data_dir)
    writer = duckdb.connect(str(data_dir.build_db))  # the pipeline holds the build file
    try:
        reader = duckdb.connect(str(snapshot.path), read_only=True)
        assert reader.execute("select count(*) from sessions").fetchone()[0] == 2
        reader.close()
    finally:
        writer.close()


def test_drop_old_snapshots_keeps_current_and_recent(data_dir: DataPaths) -> None:
    _build(data_dir, visits=1)
    old = _publish(data_dir)
    recent = _publish(data_dir)
    current = _publish(data_dir)
    past = time.time() - 3600
    os.utime(old.path, (past, past))
    assert publish.drop_old_snapshots(data_dir, grace_seconds=600) == [old.snapshot_id]
    assert recent.path.exists() and current.path.exists()
    assert sorted(publish.drop_old_snapshots(data_dir, keep_none=True)) == [recent.snapshot_id]
    assert current.path.exists()


def test_read_current_snapshot_id_none_before_first_publish(data_dir: DataPaths) -> None:
    assert publish.read_current_snapshot_id(data_dir) is None
    assert publish.current_snapshot_path(data_dir) is None


def test_writer_lock_refuses_second_writer(data_dir: DataPaths) -> None:
    with (
        writer_lock(data_dir),
        pytest.raises(PipelineBusyError, match="another footfall"),
        writer_lock(data_dir, wait_seconds=0.2),
    ):
        pass
    with writer_lock(data_dir):  # released after the first block
        pass


def test_read_runs_skips_torn_last_line(data_dir: DataPaths) -> None:
    append_run(data_dir, {"run_id": "a"})
    append_run(data_dir, {"run_id": "b"})
    with open(data_dir.state / "pipeline_runs.jsonl", "a") as sink:
        sink.write('{"run_id": "c", "sta')
    assert [run["run_id"] for run in read_runs(data_dir)] == ["a", "b"]
    assert [run["run_id"] for run in read_runs(data_dir, limit=1)] == ["b"]
