"""The ordered funnel (visit → product view → cart → checkout → purchase), in visits.

`sessions.funnel_step` is the furthest step a visit reached in order (0 = visit only …
4 = purchase; the marts decide what "in order" means), so the visits at step k are the
visits with `funnel_step >= k`, overall or per value of one visit dimension.
"""

from __future__ import annotations

from datetime import date

import duckdb

from api.queries.daily import rate
from api.queries.dimensions import NONE_LABEL, SESSION_COLUMN, Dimension
from api.schemas import FunnelGroup, FunnelStep

STEPS = (
    ("visit", "Visits"),
    ("product_view", "Product views"),
    ("add_to_cart", "Add to cart"),
    ("checkout_started", "Checkout"),
    ("purchase", "Purchase"),
)
MAX_GROUPS = 20

_COUNTS = ", ".join(
    f"count(*) filter (where funnel_step >= {index}) as step_{index}" for index in range(len(STEPS))
)


def funnel_steps(counts: list[int]) -> list[FunnelStep]:
    """Steps with step-to-step and overall conversion (0 when a denominator is 0)."""
    first = counts[0] if counts else 0
    return [
        FunnelStep(
            step=step,
            label=label,
            visits=count,
            conversion_from_previous=100.0
            if index == 0 and count
            else rate(count, counts[index - 1])
            if index
            else 0.0,
            conversion_from_start=rate(count, first),
        )
        for index, ((step, label), count) in enumerate(zip(STEPS, counts, strict=True))
    ]


def read_funnel(cur: duckdb.DuckDBPyConnection, start: date, end: date) -> list[FunnelStep]:
    row = cur.execute(
        f"select {_COUNTS} from sessions where visit_date between ? and ?", [start, end]
    ).fetchone()
    return funnel_steps([int(value) for value in row])


def read_funnel_by(
    cur: duckdb.DuckDBPyConnection, dimension: Dimension, start: date, end: date
) -> list[FunnelGroup]:
    """The funnel per value of one dimension, the values with most visits first."""
    column = SESSION_COLUMN[dimension]  # from the allow-list, never from the request
    rows = cur.execute(
        f"""
        select coalesce(cast({column} as varchar), ?) as value, {_COUNTS}
        from sessions
        where visit_date between ? and ?
        group by value
        order by step_0 desc, value
        limit ?
        """,
        [NONE_LABEL, start, end, MAX_GROUPS],
    ).fetchall()
    return [
        FunnelGroup(value=row[0], steps=funnel_steps([int(v) for v in row[1:]])) for row in rows
    ]
