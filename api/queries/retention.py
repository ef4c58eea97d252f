"""Cohort retention: weekly visitor cohorts and monthly customer cohorts, newest first."""

from __future__ import annotations

import duckdb

from api.schemas import Cohort, CohortPeriod

# mart → (cohort column, offset column, active count column)
WEEKLY = ("retention_weekly", "cohort_week", "week_offset", "active_persons")
MONTHLY = ("customer_retention_monthly", "cohort_month", "month_offset", "ordering_customers")


def read_cohorts(
    cur: duckdb.DuckDBPyConnection, mart: tuple[str, str, str, str], cohorts: int
) -> list[Cohort]:
    """The newest `cohorts` cohorts of one retention mart with their offsets, oldest first."""
    table, cohort_column, offset_column, count_column = mart  # fixed names, not from requests
    rows = cur.execute(
        f"""
        with newest as (
            select distinct {cohort_column} as cohort_start
            from {table}
            order by cohort_start desc
            limit ?
        )
        select
            {table}.{cohort_column}, {table}.cohort_size, {table}.{offset_column},
            {table}.{count_column}, {table}.retention_rate
        from {table}
        inner join newest on {table}.{cohort_column} = newest.cohort_start
        where {table}.{offset_column} < ?
        order by {table}.{cohort_column}, {table}.{offset_column}
        """,
        [cohorts, cohorts],
    ).fetchall()
    found: dict = {}
    for cohort_start, size, offset, count, rate in rows:
        cohort = found.setdefault(
            cohort_start, Cohort(cohort_start=cohort_start, size=size, periods=[])
        )
        cohort.periods.append(
            CohortPeriod(offset=offset, count=int(count), rate=round(float(rate), 2))
        )
    return list(found.values())
