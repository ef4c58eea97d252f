"""Daily metrics: one day from `daily_metrics`, and period totals computed the right way.

A period's rates and unique counts are not sums or means of daily values (a person who
visits on two days is one unique visitor of the week), so period totals come from the
`sessions` mart (visit metrics) and from summing `daily_metrics` only where a sum is
correct (sales, orders, new users, new customers, orders by status, bot volume).
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb

from api.schemas import DailyPoint, DayMetrics

DEFAULT_SALES_GOAL = 20000.0

# daily_metrics column → DayMetrics field (the API's names follow the brief).
MART_TO_FIELD = {
    "total_visits": "total_visits",
    "unique_visitors": "unique_visits",
    "new_users": "new_users",
    "existing_users": "existing_users",
    "total_page_views": "total_page_views",
    "avg_page_views_per_visit": "avg_page_views_per_session",
    "avg_visit_duration_s": "avg_session_duration",
    "bounce_rate": "bounce_rate",
    "engagement_rate": "engagement_rate",
    "cart_rate": "cart_rate",
    "checkout_rate": "checkout_rate",
    "purchase_rate": "purchase_rate",
    "conversion_rate": "conversion_rate",
    "total_sales": "total_sales",
    "total_orders": "total_orders",
    "average_order_value": "average_order_value",
    "new_customers": "new_customers",
    "pending_orders": "pending_orders",
    "processing_orders": "processing_orders",
    "shipped_orders": "shipped_orders",
    "delivered_orders": "delivered_orders",
    "canceled_orders": "canceled_orders",
    "sales_goal": "sales_goal",
    "sales_goal_progress": "sales_goal_progress",
    "bot_events": "bot_events",
}
SUMMED_COLUMNS = (
    "new_users",
    "total_sales",
    "total_orders",
    "new_customers",
    "pending_orders",
    "processing_orders",
    "shipped_orders",
    "delivered_orders",
    "canceled_orders",
    "sales_goal",
    "bot_events",
)
_SELECT_DAY = ", ".join(f"coalesce({column}, 0) as {column}" for column in MART_TO_FIELD)


def _number(value: object) -> float | int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    return round(float(value), 2)


def _metrics_from_row(columns: list[str], row: tuple) -> dict[str, float | int]:
    values = dict(zip(columns, row, strict=True))
    return {MART_TO_FIELD[col]: _number(values[col]) for col in MART_TO_FIELD}


def rate(numerator: float, denominator: float) -> float:
    """A 0..100 percentage, 0 when the denominator is 0 (DESIGN: never an error)."""
    return round(100.0 * numerator / denominator, 2) if denominator else 0.0


def default_sales_goal(cur: duckdb.DuckDBPyConnection, day: date) -> float:
    """The goal for a day without data: the latest goal on or before it, else the first."""
    row = cur.execute(
        """
        select sales_goal from daily_metrics
        where sales_goal is not null
        order by (metric_date > ?), abs(date_diff('day', metric_date, ?))
        limit 1
        """,
        [day, day],
    ).fetchone()
    return float(row[0]) if row else DEFAULT_SALES_GOAL


def read_day(cur: duckdb.DuckDBPyConnection, day: date) -> DayMetrics:
    """One day's metrics; zeros (and the default goal) for a day without data."""
    result = cur.execute(f"select {_SELECT_DAY} from daily_metrics where metric_date = ?", [day])
    row = result.fetchone()
    if row is None:
        return DayMetrics(sales_goal=default_sales_goal(cur, day))
    return DayMetrics(**_metrics_from_row([d[0] for d in result.description], row))


def read_days(cur: duckdb.DuckDBPyConnection, start: date, end: date) -> list[DailyPoint]:
    """Every day of the range, oldest first, with zeros for days without data."""
    result = cur.execute(
        f"""
        select metric_date, {_SELECT_DAY} from daily_metrics
        where metric_date between ? and ? order by metric_date
        """,
        [start, end],
    )
    columns = [d[0] for d in result.description][1:]
    found = {row[0]: _metrics_from_row(columns, row[1:]) for row in result.fetchall()}
    goal = None
    points = []
    for offset in range((end - start).days + 1):
        day = start + timedelta(days=offset)
        if day in found:
            points.append(DailyPoint(date=day, **found[day]))
        else:
            goal = goal if goal is not None else default_sales_goal(cur, day)
            points.append(DailyPoint(date=day, sales_goal=goal))
    return points


def read_period_totals(cur: duckdb.DuckDBPyConnection, start: date, end: date) -> DayMetrics:
    """The period's metrics: visit metrics from `sessions`, additive ones summed by day."""
    visits = cur.execute(
        """
        select
            count(*) as visits,
            count(distinct coalesce(person_id, visitor_id)) as persons,
            coalesce(sum(page_views), 0) as page_views,
            coalesce(avg(duration_s), 0) as avg_duration,
            count(*) filter (where is_bounce) as bounced,
            count(*) filter (where is_engaged) as engaged,
            count(*) filter (where has_add_to_cart) as carted,
            count(*) filter (where has_add_to_cart and has_checkout) as cart_checked_out,
            count(*) filter (where has_checkout) as checked_out,
            count(*) filter (where is_converted) as converted,
            count(*) filter (where has_checkout and is_converted) as checkout_converted
        from sessions
        where visit_date between ? and ?
        """,
        [start, end],
    ).fetchone()
    (
        n,
        persons,
        page_views,
        avg_duration,
        bounced,
        engaged,
        carted,
        cart_checked_out,
        checked_out,
        converted,
        checkout_converted,
    ) = visits
    sums = cur.execute(
        f"""
        select {", ".join(f"coalesce(sum({c}), 0)" for c in SUMMED_COLUMNS)}
        from daily_metrics where metric_date between ? and ?
        """,
        [start, end],
    ).fetchone()
    summed = {MART_TO_FIELD[c]: _number(v) for c, v in zip(SUMMED_COLUMNS, sums, strict=True)}
    if not summed["sales_goal"]:
        summed["sales_goal"] = round(default_sales_goal(cur, end) * ((end - start).days + 1), 2)
    new_users = min(int(summed["new_users"]), persons)
    return DayMetrics(
        **summed
        | {
            "total_visits": n,
            "unique_visits": persons,
            "new_users": new_users,
            "existing_users": persons - new_users,
            "total_page_views": int(page_views),
            "avg_page_views_per_session": round(page_views / n, 2) if n else 0.0,
            "avg_session_duration": round(float(avg_duration), 2),
            "bounce_rate": rate(bounced, n),
            "engagement_rate": rate(engaged, n),
            "cart_rate": rate(carted, n),
            "checkout_rate": rate(cart_checked_out, carted),
            "purchase_rate": rate(checkout_converted, checked_out),
            "conversion_rate": rate(converted, n),
            "average_order_value": round(summed["total_sales"] / summed["total_orders"], 2)
            if summed["total_orders"]
            else 0.0,
            "sales_goal_progress": rate(summed["total_sales"], summed["sales_goal"]),
        }
    )


def percent_change(current: float, previous: float) -> float | None:
    """Change in percent vs the previous period; None when there is nothing to compare."""
    if not previous:
        return None
    return round(100.0 * (current - previous) / previous, 1)


def read_currency(cur: duckdb.DuckDBPyConnection) -> str | None:
    """The shop's currency: the one most orders use."""
    try:
        row = cur.execute(
            "select currency from orders where currency is not null "
            "group by currency order by count(*) desc limit 1"
        ).fetchone()
    except duckdb.CatalogException:
        return None
    return row[0] if row else None
