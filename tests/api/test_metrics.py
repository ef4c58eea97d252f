"""GET /api/v1/metrics/daily: daily series, period totals and the previous period."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import AUTH
from tests.utils.fixtures import WAREHOUSE_DAYS, BuiltWarehouse


def _range(warehouse: BuiltWarehouse, days: int = WAREHOUSE_DAYS) -> tuple[date, date]:
    return warehouse.end_date - timedelta(days=days - 1), warehouse.end_date


def test_read_daily_metrics_series_matches_mart(
    client: TestClient, snapshot_db: duckdb.DuckDBPyConnection, warehouse: BuiltWarehouse
) -> None:
    start, end = _range(warehouse)
    body = client.get(f"/api/v1/metrics/daily?start={start}&end={end}", headers=AUTH).json()
    assert [day["date"] for day in body["days"]] == [
        (start + timedelta(days=i)).isoformat() for i in range(WAREHOUSE_DAYS)
    ]
    mart = dict(
        snapshot_db.execute(
            "select metric_date, total_visits from daily_metrics where metric_date between ? and ?",
            [start, end],
        ).fetchall()
    )
    for day in body["days"]:
        assert day["totalVisits"] == mart.get(date.fromisoformat(day["date"]), 0)


def test_read_daily_metrics_totals_are_period_numbers(
    client: TestClient, snapshot_db: duckdb.DuckDBPyConnection, warehouse: BuiltWarehouse
) -> None:
    start, end = _range(warehouse)
    totals = client.get(f"/api/v1/metrics/daily?start={start}&end={end}", headers=AUTH).json()[
        "totals"
    ]
    sums = snapshot_db.execute(
        """
        select sum(total_visits), sum(total_sales), sum(total_orders), sum(new_users),
               sum(bounced_visits), sum(converted_visits), sum(cart_visits), sum(total_page_views)
        from daily_metrics where metric_date between ? and ?
        """,
        [start, end],
    ).fetchone()
    visits, sales, orders, new_users, bounced, converted, carted, page_views = sums
    persons = snapshot_db.execute(
        "select count(distinct person_id) from sessions where visit_date between ? and ?",
        [start, end],
    ).fetchone()[0]
    assert totals["totalVisits"] == visits
    assert totals["totalSales"] == pytest.approx(float(sales), abs=0.01)
    assert totals["totalOrders"] == orders
    assert totals["totalPageViews"] == page_views
    # Unique visitors of a period are distinct persons, not a sum of daily uniques.
    assert totals["uniqueVisits"] == persons
    assert totals["newUsers"] == new_users
    assert totals["existingUsers"] == persons - new_users
    # Rates are recomputed from the period's counts, not averaged.
    assert totals["bounceRate"] == pytest.approx(100 * bounced / visits, abs=0.006)
    assert totals["conversionRate"] == pytest.approx(100 * converted / visits, abs=0.006)
    assert totals["cartRate"] == pytest.approx(100 * carted / visits, abs=0.006)
    assert totals["averageOrderValue"] == pytest.approx(float(sales) / orders, abs=0.006)


@pytest.mark.parametrize("days", [1, 3, WAREHOUSE_DAYS])
def test_read_daily_metrics_compares_previous_period_of_equal_length(
    client: TestClient, warehouse: BuiltWarehouse, days: int
) -> None:
    start, end = _range(warehouse, days)
    body = client.get(f"/api/v1/metrics/daily?start={start}&end={end}", headers=AUTH).json()
    previous_start = date.fromisoformat(body["previousStart"])
    previous_end = date.fromisoformat(body["previousEnd"])
    assert previous_end == start - timedelta(days=1)
    assert (previous_end - previous_start).days + 1 == days
    assert len(body["previousDays"]) == days
    before = body["previousTotals"]["totalVisits"]
    now = body["totals"]["totalVisits"]
    expected = None if before == 0 else round(100 * (now - before) / before, 1)
    assert body["change"]["totalVisits"] == expected
    assert set(body["change"]) == set(body["totals"])


def test_read_daily_metrics_defaults_to_last_30_days(client: TestClient) -> None:
    body = client.get("/api/v1/metrics/daily", headers=AUTH).json()
    assert len(body["days"]) == 30
    assert date.fromisoformat(body["end"]) - date.fromisoformat(body["start"]) == timedelta(29)
