"""Erasure: remove every lake row of one person, and find any trace left in a database.

The rows go by crash-safe rewrites (`rewrite`): raw files get a new generation, enriched
files are swapped in place. Marts are rebuilt by the `erase` flow afterwards; the check
here (`find_person_in_database`) is what proves no snapshot still holds the person.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse.enrich import prune_orphaned_enriched
from warehouse.lake import lake_files
from warehouse.paths import DataPaths
from warehouse.privacy.person import Person, register_person, row_filter
from warehouse.privacy.rewrite import RewriteResult, affected_files, remove_matching_rows

# The lake views the datasets are read through (lakeviews.LAKE_VIEWS).
DATASET_VIEWS = {
    "events": "raw_events",
    "orders": "raw_orders",
    "customers": "raw_customers",
    "enriched_events": "enriched_events",
}
# Columns by which a mart or snapshot table can hold a person.
PERSON_ID_COLUMNS = ("visitor_id", "customer_id", "person_id", "email_hash")


def count_person_rows(con: duckdb.DuckDBPyConnection, person: Person) -> dict[str, int]:
    """The person's rows per dataset, read through the lake views on `con`."""
    register_person(con, person)
    return {
        dataset: con.execute(
            f"select count(*) from {view} where coalesce(({row_filter(dataset)}), false)"
        ).fetchone()[0]
        for dataset, view in DATASET_VIEWS.items()
    }


def erase_person_rows(
    con: duckdb.DuckDBPyConnection, paths: DataPaths, person: Person
) -> dict[str, RewriteResult]:
    """Rewrite every lake file that holds a row of the person, without those rows.

    Raw files get a new generation; the enriched file of each rewritten raw file is then
    an orphan and is deleted at once (the next pipeline run enriches the new generation).
    Any enriched file still holding the person's rows after that is rewritten in place.
    """
    register_person(con, person)
    enriched_files = lake_files(paths.enriched_events)
    enriched_rows = sum(affected_files(con, enriched_files, row_filter("enriched_events")).values())
    results = {}
    for dataset in ("events", "orders", "customers"):
        results[dataset] = remove_matching_rows(
            con, lake_files(paths.raw(dataset)), row_filter(dataset), new_name=True
        )
    pruned = prune_orphaned_enriched(paths)
    results["enriched_events"] = remove_matching_rows(
        con, lake_files(paths.enriched_events), row_filter("enriched_events"), new_name=False
    )
    results["enriched_events"].files_deleted += pruned.orphans_removed
    results["enriched_events"].rows_removed = enriched_rows
    return results


def find_person_in_database(database: Path, person: Person) -> dict[str, int]:
    """Rows of any table in a DuckDB file that carry one of the person's ids.

    Views are skipped: they store nothing, and the tables and lake files they read are
    checked themselves.
    """
    ids = sorted(person.visitor_ids | person.customer_ids | person.email_hashes)
    if not ids or not database.exists():
        return {}
    con = duckdb.connect(str(database), read_only=True)
    try:
        columns = con.execute(
            "select c.table_schema, c.table_name, c.column_name "
            "from information_schema.columns as c "
            "inner join information_schema.tables as t "
            "using (table_catalog, table_schema, table_name) "
            "where c.table_catalog = current_database() and t.table_type = 'BASE TABLE' "
            "and list_contains($1, c.column_name) order by all",
            [list(PERSON_ID_COLUMNS)],
        ).fetchall()
        by_table: dict[tuple[str, str], list[str]] = {}
        for schema, table, column in columns:
            by_table.setdefault((schema, table), []).append(column)
        found = {}
        for (schema, table), cols in by_table.items():
            match = " or ".join(f'list_contains($1, cast("{col}" as varchar))' for col in cols)
            count = con.execute(
                f'select count(*) from "{schema}"."{table}" where {match}', [ids]
            ).fetchone()[0]
            if count:
                found[f"{schema}.{table}"] = count
        return found
    finally:
        con.close()
