"""Read every mart's rows for equality checks between two builds or two published snapshots.

Two runs over the same data must give the same rows. What legitimately differs is left out:
columns that say when a row was (re)built, and the last bit of a double summed in another
order.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse import publish
from warehouse.paths import DataPaths

# When a row was (re)built, not what it says: differs between any two runs.
RUN_TIME_COLUMNS = frozenset({"loaded_at"})


def _normal(value: object) -> object:
    return float(f"{value:.10g}") if isinstance(value, float) else value


def mart_rows(database: Path, names: list[str] | None = None) -> dict[str, list[tuple]]:
    """Each mart's rows in `database`, run-time columns left out, sorted."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        tables = {}
        for name in names if names is not None else publish.mart_names():
            cursor = con.execute(f'select * from main."{name}"')
            keep = [i for i, d in enumerate(cursor.description) if d[0] not in RUN_TIME_COLUMNS]
            rows = [tuple(_normal(row[i]) for i in keep) for row in cursor.fetchall()]
            tables[name] = sorted(rows, key=repr)
        return tables
    finally:
        con.close()


def published_marts(paths: DataPaths) -> dict[str, list[tuple]]:
    """Every mart of the snapshot the API serves now."""
    return mart_rows(publish.current_snapshot_path(paths))


def mart_differences(actual: dict[str, list], expected: dict[str, list]) -> list[str]:
    """One line per mart whose rows differ (empty when all are equal)."""
    return [
        f"{name}: {len(actual.get(name, []))} rows vs {len(rows)} expected"
        for name, rows in expected.items()
        if actual.get(name) != rows
    ]
