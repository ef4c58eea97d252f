"""The lake as four DuckDB views (raw_events, raw_orders, raw_customers, enriched_events).

`read_parquet` over a glob that matches no file raises "No files found", so a dataset
without files becomes an empty view with the dataset's exact columns and types: queries
and joins work the same on an empty lake. Used by the privacy jobs (explicit file lists,
so a job sees one stable set of files) and by `footfall shell` (globs, so new files show).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa

from warehouse.lake import (
    ENRICHED_EVENT_SCHEMA,
    PARTITION_COLUMN,
    RAW_CUSTOMER_SCHEMA,
    RAW_EVENT_SCHEMA,
    RAW_ORDER_SCHEMA,
    lake_files,
)
from warehouse.paths import DataPaths

# view name → (where its files live, the schema its files have)
LAKE_VIEWS: dict[str, tuple[Callable[[DataPaths], Path], pa.Schema]] = {
    "raw_events": (lambda paths: paths.raw("events"), RAW_EVENT_SCHEMA),
    "raw_orders": (lambda paths: paths.raw("orders"), RAW_ORDER_SCHEMA),
    "raw_customers": (lambda paths: paths.raw("customers"), RAW_CUSTOMER_SCHEMA),
    "enriched_events": (lambda paths: paths.enriched_events, ENRICHED_EVENT_SCHEMA),
}


def sql_literal(text: str) -> str:
    """A SQL string literal (for paths; values go in as bound parameters or temp tables)."""
    return "'" + text.replace("'", "''") + "'"


def duckdb_types(schema: pa.Schema) -> list[tuple[str, str]]:
    """Each column's name and DuckDB type, as DuckDB itself maps the Arrow schema."""
    con = duckdb.connect()
    try:
        relation = con.from_arrow(schema.empty_table())
        pairs = zip(relation.columns, relation.dtypes, strict=True)
        return [(name, str(kind)) for name, kind in pairs]
    finally:
        con.close()


def empty_select(schema: pa.Schema, with_partition: bool = False) -> str:
    """A query with the schema's columns and no rows (what an empty dataset reads as)."""
    columns = [f'cast(null as {kind}) as "{name}"' for name, kind in duckdb_types(schema)]
    if with_partition:
        columns.append(f'cast(null as date) as "{PARTITION_COLUMN}"')
    return f"select {', '.join(columns)} where false"


def dataset_select(
    files: list[Path] | str, schema: pa.Schema, *, with_partition: bool = False
) -> str:
    """SQL reading a dataset from an explicit file list or a glob (an empty list → no rows)."""
    if isinstance(files, list) and not files:
        return empty_select(schema, with_partition)
    if isinstance(files, str):
        source = sql_literal(files)
    else:
        source = "[" + ", ".join(sql_literal(str(path)) for path in files) + "]"
    hive = "true" if with_partition else "false"
    return f"select * from read_parquet({source}, hive_partitioning = {hive}, union_by_name = true)"


def create_lake_views(
    con: duckdb.DuckDBPyConnection,
    paths: DataPaths,
    *,
    temp: bool = True,
    live: bool = False,
) -> dict[str, int]:
    """Create the four lake views on `con`; returns each view's current file count.

    `live` reads each dataset through a glob (with the `date` partition column), so files
    landed later show up; otherwise the views are pinned to the files present now.
    """
    counts = {}
    kind = "temp view" if temp else "view"
    for name, (locate, schema) in LAKE_VIEWS.items():
        dataset_dir = locate(paths)
        files = lake_files(dataset_dir)
        counts[name] = len(files)
        source: list[Path] | str = files
        if live and files:
            source = str(dataset_dir / f"{PARTITION_COLUMN}=*" / "*.parquet")
        con.execute(
            f'create or replace {kind} "{name}" as '
            + dataset_select(source, schema, with_partition=live)
        )
    return counts


def lake_connection(paths: DataPaths) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the lake views pinned to the files present now, times in UTC."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    create_lake_views(con, paths)
    return con
