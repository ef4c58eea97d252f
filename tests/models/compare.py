"""Row-by-row comparison of a mart with expected rows, for the model tests."""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal

import duckdb

# average order values are rounded to the cent from a double in SQL and from an exact
# Decimal in the reference; they may differ by one cent on an exact half cent
CENT_TOLERANT = {"average_order_value"}


def fetch_rows(connection: duckdb.DuckDBPyConnection, table: str) -> list[dict]:
    cursor = connection.execute(f"select * from {table}")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def values_equal(column: str, actual: object, expected: object) -> bool:
    if isinstance(expected, float) or isinstance(actual, float):
        if actual is None or expected is None:
            return actual is expected
        return math.isclose(float(actual), float(expected), rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(expected, Decimal) and isinstance(actual, Decimal):
        if column in CENT_TOLERANT:
            return abs(actual - expected) <= Decimal("0.01")
        return actual == expected
    if isinstance(expected, datetime) and isinstance(actual, datetime):
        return actual == expected
    if isinstance(expected, date) and isinstance(actual, date):
        return actual == expected
    return actual == expected


def diff_rows(
    table: str, actual: list[dict], expected: list[dict], key: tuple[str, ...]
) -> list[str]:
    """Human-readable differences on the expected rows' columns; empty when they agree."""
    problems: list[str] = []
    by_key = {tuple(row[k] for k in key): row for row in actual}
    if len(by_key) != len(actual):
        problems.append(f"{table}: key {key} is not unique in the mart")
    wanted = {tuple(row[k] for k in key): row for row in expected}
    for missing in sorted(set(wanted) - set(by_key), key=repr):
        problems.append(f"{table}: missing row {missing}")
    for extra in sorted(set(by_key) - set(wanted), key=repr):
        problems.append(f"{table}: unexpected row {extra}")
    for k in sorted(set(wanted) & set(by_key), key=repr):
        for column, value in wanted[k].items():
            if column not in by_key[k]:
                problems.append(f"{table}: the mart has no column {column}")
                return problems
            if not values_equal(column, by_key[k][column], value):
                problems.append(
                    f"{table} {k}: {column} is {by_key[k][column]!r}, reference says {value!r}"
                )
    return problems
