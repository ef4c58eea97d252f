"""Crash-safe removal of rows from lake files: the one way a privacy job changes a file.

Raw files are otherwise immutable. A raw file `<stem>.parquet` that loses rows is replaced
by its next generation `<stem>.r1.parquet` (then `.r2`, …): a new name, so everything keyed
by file name (the enrichment manifest, incremental builds) sees a new file. Two names
cannot be swapped in one atomic step, so the order is: write the new generation (temp →
fsync → rename → fsync dir), then unlink the old file. A crash in between leaves both;
`finish_interrupted_rewrites`, run at the start of every privacy job, removes the older
of such a pair — the newer one is complete (it appeared by atomic rename) and holds every
kept row of the older. So a crash never loses a kept row, and a re-run never doubles one.
The lander re-landing an old segment onto `<stem>.parquet` would be caught the same way.

Derived files (enriched events) keep their name: `os.replace` swaps them atomically.
A file that loses every row is simply unlinked (atomic too).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from warehouse.lake import PARTITION_COLUMN, fsync_dir, write_parquet_atomic
from warehouse.paths import RAW_DATASETS, DataPaths
from warehouse.privacy.lakeviews import sql_literal

GENERATION = re.compile(r"^(?P<base>.+?)(?:\.r(?P<gen>\d+))?\.parquet$")
STALE_TEMP = re.compile(r"^\..+\.r\d+\.parquet\.tmp$")


@dataclass
class RewriteResult:
    """What a rewrite pass did to one dataset."""

    rows_removed: int = 0
    files_rewritten: int = 0
    files_deleted: int = 0
    new_files: list[Path] = field(default_factory=list)

    def add(self, other: RewriteResult) -> None:
        self.rows_removed += other.rows_removed
        self.files_rewritten += other.files_rewritten
        self.files_deleted += other.files_deleted
        self.new_files.extend(other.new_files)


def generation(path: Path) -> tuple[str, int]:
    """A lake file's base stem and generation (0 for a file never rewritten)."""
    match = GENERATION.match(path.name)
    if match is None:
        raise ValueError(f"not a lake file name: {path.name}")
    return match["base"], int(match["gen"] or 0)


def next_generation(path: Path) -> Path:
    base, gen = generation(path)
    return path.with_name(f"{base}.r{gen + 1}.parquet")


def dataset_dirs(paths: DataPaths) -> list[Path]:
    """Every dataset a privacy job may rewrite."""
    return [paths.raw(name) for name in RAW_DATASETS] + [paths.enriched_events]


def finish_interrupted_rewrites(paths: DataPaths) -> list[Path]:
    """Complete rewrites a crash interrupted: drop the older file of each generation pair.

    Also removes temp files of generations that never appeared (a crash mid-write).
    Returns the files removed.
    """
    removed: list[Path] = []
    for dataset_dir in dataset_dirs(paths):
        for partition in sorted(dataset_dir.glob(f"{PARTITION_COLUMN}=*")):
            removed.extend(_finish_partition(partition))
    return removed


def _finish_partition(partition: Path) -> list[Path]:
    removed = []
    newest: dict[str, tuple[int, Path]] = {}
    older: list[Path] = []
    for path in sorted(partition.glob("*.parquet")):
        base, gen = generation(path)
        if base in newest:
            kept_gen, kept = newest[base]
            if gen > kept_gen:
                older.append(kept)
                newest[base] = (gen, path)
            else:
                older.append(path)
        else:
            newest[base] = (gen, path)
    for path in older:
        path.unlink(missing_ok=True)
        removed.append(path)
    for path in partition.iterdir():
        if STALE_TEMP.match(path.name):
            path.unlink(missing_ok=True)
            removed.append(path)
    if removed:
        fsync_dir(partition)
    return removed


def affected_files(
    con: duckdb.DuckDBPyConnection, files: list[Path], drop_sql: str
) -> dict[Path, int]:
    """Which of `files` hold rows matching `drop_sql`, and how many each."""
    if not files:
        return {}
    source = "[" + ", ".join(sql_literal(str(path)) for path in files) + "]"
    rows = con.execute(
        f"select filename, count(*) from read_parquet({source}, filename = true, "
        f"hive_partitioning = false, union_by_name = true) "
        f"where coalesce(({drop_sql}), false) group by filename"
    ).fetchall()
    return {Path(name): count for name, count in rows}


def remove_rows(
    con: duckdb.DuckDBPyConnection, path: Path, drop_sql: str, *, new_name: bool
) -> RewriteResult:
    """Rewrite one file without the rows matching `drop_sql` (a SQL boolean over its columns)."""
    schema = pq.read_schema(path)
    kept = con.sql(
        f"select * from read_parquet({sql_literal(str(path))}, hive_partitioning = false) "
        f"where not coalesce(({drop_sql}), false)"
    ).to_arrow_table()
    kept = kept.cast(schema)
    before = pq.ParquetFile(path).metadata.num_rows
    result = RewriteResult(rows_removed=before - kept.num_rows)
    if result.rows_removed == 0:
        return result
    if kept.num_rows == 0:
        _retire(path)
        result.files_deleted = 1
        return result
    target = next_generation(path) if new_name else path
    write_parquet_atomic(kept, target)
    if target != path:
        _retire(path)
    result.files_rewritten = 1
    result.new_files.append(target)
    return result


def remove_matching_rows(
    con: duckdb.DuckDBPyConnection,
    files: Iterable[Path],
    drop_sql: str,
    *,
    new_name: bool,
) -> RewriteResult:
    """Remove the rows matching `drop_sql` from every file that has any; others are untouched."""
    total = RewriteResult()
    for path in sorted(affected_files(con, list(files), drop_sql)):
        total.add(remove_rows(con, path, drop_sql, new_name=new_name))
    return total


def _retire(path: Path) -> None:
    """Unlink a file whose rows now live elsewhere (or nowhere), durably."""
    path.unlink(missing_ok=True)
    fsync_dir(path.parent)
