"""The pipeline flow under Prefect's test harness: publish, idempotency, failure, repair."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from tests.utils.fixtures import BuiltWarehouse, copy_built_warehouse
from tests.utils.marts import published_marts
from warehouse import publish
from warehouse.lake import lake_files, new_file_id, write_parquet_atomic
from warehouse.paths import DataPaths
from warehouse.runlog import PipelineBusyError, read_runs, writer_lock

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_run_pipeline_publishes_every_mart(built_warehouse: BuiltWarehouse) -> None:
    paths = built_warehouse.paths
    run = built_warehouse.run
    assert run["status"] == "published"
    assert publish.read_current_snapshot_id(paths) == run["snapshot_id"]
    assert run["new_events"] > 0 and run["visits"] > 0
    assert set(run["steps"]) == {"land", "compact", "enrich", "dbt_build", "audit", "publish"}
    con = duckdb.connect(str(publish.current_snapshot_path(paths)), read_only=True)
    tables = {row[0] for row in con.execute("show tables").fetchall()}
    assert set(publish.mart_names()) <= tables
    recorded = con.execute("select run_id, status from pipeline_runs").fetchall()
    assert (run["run_id"], "published") in recorded
    con.close()


def test_build_database_compresses_text_with_dict_fsst(built_warehouse: BuiltWarehouse) -> None:
    """FOOTFALL_DUCKDB_COMPRESS_STRINGS (default true) reaches dbt's DuckDB connection."""
    query = (
        "select distinct compression from pragma_storage_info('sessions') "
        "where column_name = 'channel'"
    )
    with duckdb.connect(str(built_warehouse.paths.build_db), read_only=True) as con:
        compressions = {row[0] for row in con.execute(query).fetchall()}
    assert compressions, "sessions.channel has stored segments"
    assert "DICT_FSST" in compressions


def test_run_pipeline_on_empty_lake_publishes_empty_marts(data_dir: DataPaths) -> None:
    from flows.pipeline import pipeline

    run = pipeline()
    assert run["status"] == "published"
    con = duckdb.connect(str(publish.current_snapshot_path(data_dir)), read_only=True)
    assert con.execute("select count(*) from daily_metrics").fetchone()[0] == 0
    assert con.execute("select count(*) from sessions").fetchone()[0] == 0
    con.close()


@pytest.mark.slow
def test_run_pipeline_twice_changes_nothing(
    built_warehouse: BuiltWarehouse, data_dir: DataPaths
) -> None:
    from flows.pipeline import pipeline

    first_snapshot = copy_built_warehouse(built_warehouse, data_dir)  # the first run's state
    before = published_marts(data_dir)
    second = pipeline()
    assert second["new_events"] == 0 and second["new_raw_files"] == 0
    assert second["snapshot_id"] != first_snapshot
    assert published_marts(data_dir) == before


@pytest.mark.slow
@pytest.mark.parametrize("broken", ["raw_file", "enriched_file"])
def test_failed_step_keeps_last_snapshot_and_next_run_repairs(
    built_warehouse: BuiltWarehouse, data_dir: DataPaths, broken: str
) -> None:
    from flows.pipeline import pipeline

    good_snapshot = copy_built_warehouse(built_warehouse, data_dir)  # a good run's state
    before = published_marts(data_dir)
    # A new corrupt raw file breaks enrichment. An enriched file is corrupted in place: a
    # stray file there would be pruned as an orphan, and one in a partition older than the
    # lookback would never be read.
    if broken == "raw_file":
        victim = lake_files(data_dir.raw("events"))[-1].parent / "zz-corrupt.parquet"
        original = None
    else:
        victim = lake_files(data_dir.enriched_events)[-1]
        original = victim.read_bytes()
    victim.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(Exception):  # noqa: B017 - any failure of the step will do
        pipeline()
    assert publish.read_current_snapshot_id(data_dir) == good_snapshot
    assert read_runs(data_dir)[-1]["status"] == "failed"
    if original is None:
        victim.unlink()
    else:
        victim.write_bytes(original)
    repaired = pipeline()
    assert repaired["status"] == "published"
    assert published_marts(data_dir) == before


def _enriched_rows(paths: DataPaths) -> list[tuple]:
    glob = str(paths.enriched_events / "date=*" / "*.parquet")
    with duckdb.connect() as con:
        return con.execute(f"select * from read_parquet('{glob}') order by all").fetchall()


@pytest.mark.slow
def test_compacted_lake_gives_the_same_enriched_events_and_marts(
    built_warehouse: BuiltWarehouse, data_dir: DataPaths
) -> None:
    """The lake as the collector leaves it (a file per sealed segment) is merged per closed
    day by the next run; enrichment redoes the merged files and drops the old copies."""
    from flows.pipeline import pipeline

    copy_built_warehouse(built_warehouse, data_dir)
    marts_before, enriched_before = published_marts(data_dir), _enriched_rows(data_dir)
    for path in lake_files(data_dir.raw("events")):
        table = pq.ParquetFile(path).read()
        step = -(-table.num_rows // 40)
        for offset in range(0, table.num_rows, step):
            write_parquet_atomic(
                table.slice(offset, step), path.with_name(f"{new_file_id()}.parquet")
            )
        path.unlink()
    days = {path.parent for path in lake_files(data_dir.raw("events"))}

    run = pipeline()

    assert run["status"] == "published"
    assert run["compacted"]["partitions"] == len(days) > 1
    assert all(len(list(day.glob("*.parquet"))) == 1 for day in days)
    assert _enriched_rows(data_dir) == enriched_before
    assert published_marts(data_dir) == marts_before


def test_run_pipeline_refuses_second_writer(data_dir: DataPaths) -> None:
    from flows.pipeline import pipeline

    with writer_lock(data_dir), pytest.raises(PipelineBusyError):
        pipeline()


def test_cli_run_exits_nonzero_with_message_when_busy(data_dir: DataPaths) -> None:
    import os

    with writer_lock(data_dir):
        result = subprocess.run(
            [sys.executable, "-m", "warehouse.cli", "run"],
            env={**os.environ, "FOOTFALL_DATA_DIR": str(data_dir.root)},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert result.returncode == 3
    assert "another footfall pipeline run" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_rejects_unknown_option(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "warehouse.cli", "run", "--no-such-option"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 2
    assert "No such option" in result.stderr
    assert "Traceback" not in result.stderr
