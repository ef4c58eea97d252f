"""Partition rewrites: rows leave, kept rows survive a crash at any point, never doubled."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from tests.utils.lake_rows import land, raw_event, utc
from warehouse.lake import RAW_EVENT_SCHEMA, lake_files
from warehouse.paths import DataPaths
from warehouse.privacy.rewrite import (
    finish_interrupted_rewrites,
    generation,
    next_generation,
    remove_matching_rows,
    remove_rows,
)

DROP_B = "visitor_id = 'b'"


def _event_ids(paths: DataPaths) -> list[str]:
    return sorted(
        event_id
        for path in lake_files(paths.raw("events"))
        for event_id in pq.read_table(path).column("event_id").to_pylist()
    )


def _land_mixed(paths: DataPaths) -> tuple[Path, list[str]]:
    rows = [raw_event(v, utc(2026, 3, 1, 10, i)) for i, v in enumerate("abab")]
    (path,) = land(paths, "events", rows)
    return path, sorted(row["event_id"] for row in rows if row["visitor_id"] != "b")


@pytest.mark.parametrize(
    ("name", "base", "gen", "following"),
    [
        ("000123-abc.parquet", "000123-abc", 0, "000123-abc.r1.parquet"),
        ("000123-abc.r1.parquet", "000123-abc", 1, "000123-abc.r2.parquet"),
        ("000123-abc.r12.parquet", "000123-abc", 12, "000123-abc.r13.parquet"),
        ("seg.2.parquet", "seg.2", 0, "seg.2.r1.parquet"),
    ],
)
def test_parse_generation_of_lake_file(name: str, base: str, gen: int, following: str) -> None:
    assert generation(Path(name)) == (base, gen)
    assert next_generation(Path("/x") / name).name == following


@pytest.mark.parametrize("new_name", [True, False])
def test_remove_rows_keeps_others_and_schema(data_dir: DataPaths, new_name: bool) -> None:
    path, kept = _land_mixed(data_dir)
    con = duckdb.connect()
    result = remove_rows(con, path, DROP_B, new_name=new_name)
    assert (result.rows_removed, result.files_rewritten, result.files_deleted) == (2, 1, 0)
    (written,) = lake_files(data_dir.raw("events"))
    assert written.name == (next_generation(path).name if new_name else path.name)
    assert path.exists() is (not new_name)
    assert _event_ids(data_dir) == kept
    assert pq.read_schema(written).remove_metadata().equals(RAW_EVENT_SCHEMA)


def test_remove_rows_untouched_when_nothing_matches(data_dir: DataPaths) -> None:
    path, _ = _land_mixed(data_dir)
    before = path.stat().st_mtime_ns
    result = remove_matching_rows(
        duckdb.connect(), lake_files(data_dir.raw("events")), "visitor_id = 'zz'", new_name=True
    )
    assert result.rows_removed == 0 and result.files_rewritten == 0
    assert lake_files(data_dir.raw("events")) == [path]
    assert path.stat().st_mtime_ns == before


def test_remove_rows_deletes_file_when_every_row_goes(data_dir: DataPaths) -> None:
    path, _ = _land_mixed(data_dir)
    result = remove_rows(duckdb.connect(), path, "true", new_name=True)
    assert (result.rows_removed, result.files_deleted) == (4, 1)
    assert lake_files(data_dir.raw("events")) == []


CRASH_AFTER_NEW_GENERATION = """
import os, sys
from pathlib import Path
import duckdb
import warehouse.privacy.rewrite as rewrite
rewrite._retire = lambda path: os._exit(9)  # die right after the new file is durable
rewrite.remove_rows(duckdb.connect(), Path(sys.argv[1]), "visitor_id = 'b'", new_name=True)
"""


def test_finish_rewrite_after_crash_between_write_and_unlink(data_dir: DataPaths) -> None:
    path, kept = _land_mixed(data_dir)
    crashed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CRASH_AFTER_NEW_GENERATION), str(path)],
        check=False,
    )
    assert crashed.returncode == 9
    files = lake_files(data_dir.raw("events"))
    assert [f.name for f in files] == [path.name, next_generation(path).name]  # both halves
    assert finish_interrupted_rewrites(data_dir) == [path]
    assert _event_ids(data_dir) == kept  # nothing lost, nothing doubled
    assert finish_interrupted_rewrites(data_dir) == []  # a second repair is a no-op
    again = remove_matching_rows(
        duckdb.connect(), lake_files(data_dir.raw("events")), DROP_B, new_name=True
    )
    assert again.rows_removed == 0 and _event_ids(data_dir) == kept


def test_finish_rewrite_after_crash_mid_write(data_dir: DataPaths) -> None:
    path, _ = _land_mixed(data_dir)
    all_ids = _event_ids(data_dir)
    stale = path.with_name(f".{next_generation(path).name}.tmp")
    stale.write_bytes(b"PAR1 torn")  # what a crash inside the temp-file write leaves
    assert _event_ids(data_dir) == all_ids  # readers never see it
    assert finish_interrupted_rewrites(data_dir) == [stale]
    assert not stale.exists() and lake_files(data_dir.raw("events")) == [path]


def test_finish_rewrite_drops_relanded_older_generation(data_dir: DataPaths) -> None:
    """A lander re-landing a segment onto the old name must not bring erased rows back."""
    path, kept = _land_mixed(data_dir)
    original = path.read_bytes()
    remove_rows(duckdb.connect(), path, DROP_B, new_name=True)
    path.write_bytes(original)  # the same segment landed again onto its old name
    assert finish_interrupted_rewrites(data_dir) == [path]
    assert _event_ids(data_dir) == kept
