"""Replay the dbt project's compiled SQL in an in-memory DuckDB, fast enough for many examples.

`dbt compile` renders every model once against a data directory whose lake holds one
placeholder file per dataset; each example then swaps in its own lake files and executes
the compiled models in dependency order, as `create view` / `create table ... as`, into a
fresh in-memory database named like the build database. That is the exact SQL `dbt build`
runs on a first (full) build, minus dbt's bookkeeping: a dbt run per example would cost tens
of seconds here, a replay about one. Real `dbt build` runs are covered by the incremental
and smoke tests.

The reporting time zone is compiled in as the marker zone `Etc/UTC` and swapped for the
example's zone in the SQL text (only `to_reporting_date` renders it), so one compile (and
one dbt parse) serves every zone.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from graphlib import TopologicalSorter
from pathlib import Path

import duckdb

from tests.models.factories import customer, event, land, order
from warehouse.dbt_runner import PROJECT_DIR, dbt_command, target_dir
from warehouse.paths import DataPaths

PLACEHOLDER_TIME = datetime(2000, 1, 1, tzinfo=UTC)
MARKER_TIMEZONE = "Etc/UTC"


@dataclass(frozen=True)
class Node:
    name: str
    materialized: str
    sql: str


class CompiledProject:
    """The project compiled for one data directory; `replay` builds the marts for new data."""

    def __init__(self, root: Path) -> None:
        self.paths = DataPaths(root)
        land(
            self.paths,
            [event("placeholder", PLACEHOLDER_TIME)],
            [order("placeholder", None, None, PLACEHOLDER_TIME, Decimal("1.00"))],
            [customer("placeholder", "GUEST", PLACEHOLDER_TIME)],
        )
        result = dbt_command(
            ["compile", "--select", "resource_type:model"], self.paths, on_line=lambda _: None
        )
        result.raise_for_status()
        manifest = json.loads((target_dir(self.paths) / "manifest.json").read_text())
        self.seeds = {
            node["name"]: (PROJECT_DIR / node["original_file_path"], node["config"]["column_types"])
            for node in manifest["nodes"].values()
            if node["resource_type"] == "seed"
        }
        models = {
            uid: node for uid, node in manifest["nodes"].items() if node["resource_type"] == "model"
        }
        order_ = TopologicalSorter(
            {
                uid: [d for d in node["depends_on"]["nodes"] if d in models]
                for uid, node in models.items()
            }
        ).static_order()
        self.models = [
            Node(
                models[uid]["alias"],
                models[uid]["config"]["materialized"],
                models[uid]["compiled_code"],
            )
            for uid in order_
        ]
        if not any(f"'{MARKER_TIMEZONE}'" in node.sql for node in self.models):
            raise RuntimeError(f"compile with FOOTFALL_REPORTING_TZ={MARKER_TIMEZONE}")
        self._clear_lake()

    def _clear_lake(self) -> None:
        shutil.rmtree(self.paths.lake, ignore_errors=True)

    def replay(
        self, events: list[dict], orders: list[dict], customers: list[dict], timezone: str = "UTC"
    ) -> duckdb.DuckDBPyConnection:
        """Land the rows and build every model; returns the connection holding the marts.

        Every dataset needs at least one row: the compiled SQL reads each with read_parquet.
        """
        self._clear_lake()
        land(self.paths, events, orders, customers)
        connection = duckdb.connect()
        connection.execute("set TimeZone = 'UTC'; attach ':memory:' as footfall; use footfall")
        # dbt runs in the data dir, so the compiled SQL reads the lake by relative path.
        connection.execute(f"set file_search_path = '{self.paths.root.resolve()}'")
        for name, (path, types) in self.seeds.items():
            columns = ", ".join(f"cast({c} as {t}) as {c}" for c, t in types.items()) or "*"
            connection.execute(
                f"create table main.{name} as select {columns} "
                f"from read_csv('{path}', header = true, all_varchar = true)"
            )
        for node in self.models:
            kind = "view" if node.materialized == "view" else "table"
            sql = node.sql.replace(f"'{MARKER_TIMEZONE}'", f"'{timezone}'")
            connection.execute(f"create {kind} main.{node.name} as {sql}")
        return connection
