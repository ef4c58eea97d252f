"""GET /api/v1/dashboard/metrics: the brief's object for one day, checked against the mart."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import duckdb
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import AUTH
from tests.utils.fixtures import BuiltWarehouse

# The brief's dashboard object (section 6), every field.
BRIEF_FIELDS = {
    "totalVisits", "uniqueVisits", "existingUsers", "newUsers", "activeUsersLast30Min",
    "usersPerMinute", "conversionRate", "cartRate", "checkoutRate", "purchaseRate",
    "totalSales", "totalOrders", "averageOrderValue", "salesGoal", "salesGoalProgress",
}  # fmt: skip
# DESIGN's extra fields, plus freshness.
EXTRA_FIELDS = {
    "avgSessionDuration", "avgPageViewsPerSession", "totalPageViews", "newCustomers",
    "pendingOrders", "processingOrders", "shippedOrders", "deliveredOrders", "canceledOrders",
    "bounceRate", "engagementRate", "dataAsOf", "snapshotId", "date",
}  # fmt: skip

# API field → daily_metrics column.
MART_COLUMNS = {
    "totalVisits": "total_visits",
    "uniqueVisits": "unique_visitors",
    "existingUsers": "existing_users",
    "newUsers": "new_users",
    "conversionRate": "conversion_rate",
    "cartRate": "cart_rate",
    "checkoutRate": "checkout_rate",
    "purchaseRate": "purchase_rate",
    "totalSales": "total_sales",
    "totalOrders": "total_orders",
    "averageOrderValue": "average_order_value",
    "salesGoal": "sales_goal",
    "salesGoalProgress": "sales_goal_progress",
    "avgSessionDuration": "avg_visit_duration_s",
    "avgPageViewsPerSession": "avg_page_views_per_visit",
    "totalPageViews": "total_page_views",
    "newCustomers": "new_customers",
    "pendingOrders": "pending_orders",
    "processingOrders": "processing_orders",
    "shippedOrders": "shipped_orders",
    "deliveredOrders": "delivered_orders",
    "canceledOrders": "canceled_orders",
    "bounceRate": "bounce_rate",
    "engagementRate": "engagement_rate",
    "botEvents": "bot_events",
}


def _mart_days(snapshot_db: duckdb.DuckDBPyConnection) -> list[date]:
    return [
        row[0] for row in snapshot_db.execute("select metric_date from daily_metrics").fetchall()
    ]


def test_read_dashboard_metrics_has_every_brief_field(
    client: TestClient, warehouse: BuiltWarehouse
) -> None:
    body = client.get(f"/api/v1/dashboard/metrics?date={warehouse.end_date}", headers=AUTH).json()
    assert set(body) >= BRIEF_FIELDS | EXTRA_FIELDS
    assert body["date"] == warehouse.end_date.isoformat()
    assert body["currency"] == "EUR"


def test_read_dashboard_metrics_matches_daily_metrics_mart(
    client: TestClient, snapshot_db: duckdb.DuckDBPyConnection
) -> None:
    days = _mart_days(snapshot_db)
    assert len(days) >= 7
    for day in days:
        body = client.get(f"/api/v1/dashboard/metrics?date={day}", headers=AUTH).json()
        columns = ", ".join(MART_COLUMNS.values())
        row = snapshot_db.execute(
            f"select {columns} from daily_metrics where metric_date = ?", [day]
        ).fetchone()
        for (field, column), value in zip(MART_COLUMNS.items(), row, strict=True):
            assert body[field] == pytest.approx(float(value), abs=0.006), (day, field, column)
    busiest = max(
        days,
        key=lambda d: snapshot_db.execute(
            "select total_visits from daily_metrics where metric_date = ?", [d]
        ).fetchone()[0],
    )
    body = client.get(f"/api/v1/dashboard/metrics?date={busiest}", headers=AUTH).json()
    assert body["totalVisits"] > 0 and body["uniqueVisits"] > 0


def test_read_dashboard_metrics_for_day_without_data_is_zeros(client: TestClient) -> None:
    body = client.get("/api/v1/dashboard/metrics?date=2001-01-01", headers=AUTH).json()
    for field in BRIEF_FIELDS - {"salesGoal", "activeUsersLast30Min", "usersPerMinute"}:
        assert body[field] == 0, field
    assert body["salesGoal"] == 20000  # the seed's default goal


def test_read_dashboard_metrics_defaults_to_today_in_reporting_tz(client: TestClient) -> None:
    tz = client.app.state.settings.reporting_tz
    body = client.get("/api/v1/dashboard/metrics", headers=AUTH).json()
    assert body["date"] == datetime.now(ZoneInfo(tz)).date().isoformat()


def test_read_dashboard_metrics_reports_snapshot_and_freshness(
    client: TestClient, snapshot_db: duckdb.DuckDBPyConnection, warehouse: BuiltWarehouse
) -> None:
    body = client.get(f"/api/v1/dashboard/metrics?date={warehouse.end_date}", headers=AUTH).json()
    snapshot_id, data_as_of = snapshot_db.execute(
        "select snapshot_id, data_as_of from snapshot_info"
    ).fetchone()
    assert body["snapshotId"] == snapshot_id
    assert datetime.fromisoformat(body["dataAsOf"]).replace(tzinfo=None) == data_as_of
