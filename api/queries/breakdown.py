"""Visits by one dimension (channel, device, country, …) over a date range, from `sessions`.

Distinct visitors of a period cannot be summed from daily rows, so the breakdown
aggregates the visit-level mart directly (cached per snapshot, so once per snapshot).
"""

from __future__ import annotations

from datetime import date

import duckdb

from api.queries.daily import rate
from api.queries.dimensions import NONE_LABEL, SESSION_COLUMN, Dimension
from api.schemas import BreakdownRow


def read_breakdown(
    cur: duckdb.DuckDBPyConnection, dimension: Dimension, start: date, end: date, limit: int
) -> tuple[int, list[BreakdownRow]]:
    """Total visits of the range and the top `limit` values by visits."""
    column = SESSION_COLUMN[dimension]  # from the allow-list, never from the request
    rows = cur.execute(
        f"""
        with visits as (
            select
                coalesce(cast({column} as varchar), ?) as value,
                coalesce(person_id, visitor_id) as person,
                page_views, is_bounce, is_converted, orders, sales
            from sessions
            where visit_date between ? and ?
        )
        select
            value,
            count(*) as visits,
            count(distinct person) as visitors,
            coalesce(sum(page_views), 0) as page_views,
            count(*) filter (where is_bounce) as bounced,
            count(*) filter (where is_converted) as converted,
            coalesce(sum(orders), 0) as orders,
            coalesce(sum(sales), 0) as sales,
            sum(count(*)) over () as total
        from visits
        group by value
        order by visits desc, value
        limit ?
        """,
        [NONE_LABEL, start, end, limit],
    ).fetchall()
    total = int(rows[0][-1]) if rows else 0
    return total, [
        BreakdownRow(
            value=value,
            visits=visits,
            visitors=visitors,
            page_views=int(page_views),
            bounce_rate=rate(bounced, visits),
            conversion_rate=rate(converted, visits),
            orders=int(orders),
            sales=round(float(sales), 2),
            share=rate(visits, total),
        )
        for value, visits, visitors, page_views, bounced, converted, orders, sales, _ in rows
    ]
