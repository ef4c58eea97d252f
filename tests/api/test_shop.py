"""Retention, top products, orders by status and pipeline runs, against their marts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from tests.api.conftest import AUTH, api_settings
from tests.utils.fixtures import WAREHOUSE_DAYS, BuiltWarehouse
from warehouse import publish


def _bounds(warehouse: BuiltWarehouse) -> list:
    return [warehouse.end_date - timedelta(days=WAREHOUSE_DAYS - 1), warehouse.end_date]


def _period(warehouse: BuiltWarehouse) -> str:
    start, end = _bounds(warehouse)
    return f"start={start}&end={end}"


@pytest.mark.parametrize(
    ("kind", "mart", "cohort_column", "offset_column", "count_column"),
    [
        ("weekly", "retention_weekly", "cohort_week", "week_offset", "active_persons"),
        (
            "monthly",
            "customer_retention_monthly",
            "cohort_month",
            "month_offset",
            "ordering_customers",
        ),
    ],
)
def test_read_retention_matches_cohort_marts(
    client: TestClient,
    snapshot_db: duckdb.DuckDBPyConnection,
    kind: str,
    mart: str,
    cohort_column: str,
    offset_column: str,
    count_column: str,
) -> None:
    cohorts = client.get("/api/v1/retention?cohorts=12", headers=AUTH).json()[kind]
    rows = snapshot_db.execute(
        f"select {cohort_column}, cohort_size, {offset_column}, {count_column} from {mart} "
        f"order by 1, 3"
    ).fetchall()
    assert cohorts, "the warehouse has cohorts"
    got = [
        (cohort["cohortStart"], cohort["size"], period["offset"], period["count"])
        for cohort in cohorts
        for period in cohort["periods"]
    ]
    assert got == [(str(c), size, offset, count) for c, size, offset, count in rows]
    assert all(cohort["periods"][0]["rate"] == 100.0 for cohort in cohorts)


def test_read_retention_limits_cohorts(client: TestClient) -> None:
    weekly = client.get("/api/v1/retention?cohorts=1", headers=AUTH).json()["weekly"]
    assert len(weekly) == 1
    assert all(period["offset"] == 0 for period in weekly[0]["periods"])


@pytest.mark.parametrize(
    ("sort", "column"),
    [("revenue", "revenue"), ("units_sold", "units_sold"), ("views", "product_views")],
)
def test_read_top_products_ranks_by_sort(
    client: TestClient,
    snapshot_db: duckdb.DuckDBPyConnection,
    warehouse: BuiltWarehouse,
    sort: str,
    column: str,
) -> None:
    body = client.get(
        f"/api/v1/products/top?{_period(warehouse)}&sort={sort}&limit=5", headers=AUTH
    ).json()
    expected = snapshot_db.execute(
        f"""
        select product_id, sum(product_views), sum(add_to_carts), sum(units_sold), sum(revenue)
        from products_daily where product_date between ? and ?
        group by product_id order by sum({column}) desc, sum(revenue) desc, product_id limit 5
        """,
        _bounds(warehouse),
    ).fetchall()
    got = [
        (p["productId"], p["views"], p["addToCarts"], p["unitsSold"], p["revenue"])
        for p in body["products"]
    ]
    assert got == [(pid, v, c, u, float(r)) for pid, v, c, u, r in expected]
    if sort != "views":  # a product sold has a name (from its order items)
        assert all(product["name"] for product in body["products"])


def test_read_orders_by_status_matches_mart(
    client: TestClient, snapshot_db: duckdb.DuckDBPyConnection, warehouse: BuiltWarehouse
) -> None:
    body = client.get(f"/api/v1/orders/status?{_period(warehouse)}", headers=AUTH).json()
    created = snapshot_db.execute(
        "select order_status, count(*) from orders where order_date between ? and ? group by 1",
        _bounds(warehouse),
    ).fetchall()
    by_status = {row["status"]: row["orders"] for row in body["statuses"]}
    assert list(by_status) == ["PENDING", "PROCESSING", "SHIPPED", "DELIVERED", "CANCELED"]
    assert by_status == {status: dict(created).get(status, 0) for status in by_status}
    assert body["total"] == sum(count for _, count in created) > 0


def test_read_runs_lists_pipeline_runs_and_freshness(
    client: TestClient, warehouse: BuiltWarehouse
) -> None:
    body = client.get("/api/v1/runs", headers=AUTH).json()
    assert body["runs"][0]["runId"] == warehouse.run["run_id"]
    assert body["runs"][0]["status"] == "published"
    assert body["runs"][0]["snapshotId"] == body["snapshotId"]
    assert body["snapshotAgeSeconds"] >= 0
    assert body["lastSuccessAt"] is not None
    assert body["reportingTimezone"] == "UTC"


def test_read_runs_falls_back_to_snapshot_copy(own_build) -> None:  # noqa: ANN001
    """A replica serving a copied snapshot has no run log; the snapshot's copy is used."""
    run = {
        "run_id": "run-copied",
        "started_at": "2026-03-15T01:00:00+00:00",
        "finished_at": "2026-03-15T01:02:00+00:00",
        "status": "published",
        "seconds": 120.0,
        "steps": {"dbt_build": 100.5},
    }
    publish.publish_snapshot(own_build, data_as_of=datetime.now(UTC), pipeline_runs=[run])
    with TestClient(create_app(api_settings(own_build.root))) as client:
        body = client.get("/api/v1/runs", headers=AUTH).json()
    assert [r["runId"] for r in body["runs"]] == ["run-copied"]
    assert body["runs"][0]["steps"] == {"dbt_build": 100.5}
    assert body["lastSuccessAt"] == "2026-03-15T01:02:00Z"
