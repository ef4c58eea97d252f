"""Funnel and breakdowns, checked against the funnel_daily and daily_breakdowns marts."""

from __future__ import annotations

from datetime import timedelta

import duckdb
import pytest
from fastapi.testclient import TestClient

from api.queries.dimensions import SESSION_COLUMN, Dimension
from tests.api.conftest import AUTH
from tests.utils.fixtures import WAREHOUSE_DAYS, BuiltWarehouse

STEPS = ["visit", "product_view", "add_to_cart", "checkout_started", "purchase"]


def _period(warehouse: BuiltWarehouse) -> str:
    start = warehouse.end_date - timedelta(days=WAREHOUSE_DAYS - 1)
    return f"start={start}&end={warehouse.end_date}"


def _mart_funnel(
    db: duckdb.DuckDBPyConnection, warehouse: BuiltWarehouse, dimension: str
) -> dict[str, list[int]]:
    rows = db.execute(
        """
        select dimension_value, step_number, sum(visits)
        from funnel_daily
        where dimension = ? and funnel_date between ? and ?
        group by all order by dimension_value, step_number
        """,
        [dimension, warehouse.end_date - timedelta(days=WAREHOUSE_DAYS - 1), warehouse.end_date],
    ).fetchall()
    funnels: dict[str, list[int]] = {}
    for value, _, visits in rows:
        funnels.setdefault(value, []).append(int(visits))
    return funnels


def test_read_funnel_matches_funnel_mart(
    client: TestClient, snapshot_db: duckdb.DuckDBPyConnection, warehouse: BuiltWarehouse
) -> None:
    body = client.get(f"/api/v1/funnel?{_period(warehouse)}", headers=AUTH).json()
    steps = body["steps"]
    assert [step["step"] for step in steps] == STEPS
    assert [step["visits"] for step in steps] == _mart_funnel(snapshot_db, warehouse, "all")["all"]
    assert steps[-1]["visits"] > 0
    for previous, step in zip(steps, steps[1:], strict=False):
        assert step["visits"] <= previous["visits"]  # ordered: a step only after the last
        assert step["conversionFromPrevious"] == pytest.approx(
            100 * step["visits"] / previous["visits"], abs=0.006
        )
    assert body["groups"] is None


@pytest.mark.parametrize("dimension", [Dimension.channel, Dimension.device, Dimension.country])
def test_read_funnel_by_dimension_matches_funnel_mart(
    client: TestClient,
    snapshot_db: duckdb.DuckDBPyConnection,
    warehouse: BuiltWarehouse,
    dimension: Dimension,
) -> None:
    body = client.get(
        f"/api/v1/funnel?{_period(warehouse)}&by={dimension.value}", headers=AUTH
    ).json()
    mart = _mart_funnel(snapshot_db, warehouse, SESSION_COLUMN[dimension])
    assert body["by"] == dimension.value
    assert len(body["groups"]) == min(len(mart), 20)
    for group in body["groups"]:
        assert [step["visits"] for step in group["steps"]] == mart[group["value"]]
    visits = [group["steps"][0]["visits"] for group in body["groups"]]
    assert visits == sorted(visits, reverse=True)


@pytest.mark.parametrize("dimension", list(Dimension))
def test_read_breakdown_matches_breakdown_mart(
    client: TestClient,
    snapshot_db: duckdb.DuckDBPyConnection,
    warehouse: BuiltWarehouse,
    dimension: Dimension,
) -> None:
    body = client.get(
        f"/api/v1/breakdown/{dimension.value}?{_period(warehouse)}&limit=100", headers=AUTH
    ).json()
    mart = dict(
        snapshot_db.execute(
            """
            select dimension_value, sum(visits) from daily_breakdowns
            where dimension = ? and breakdown_date between ? and ?
            group by dimension_value
            """,
            [
                SESSION_COLUMN[dimension],
                warehouse.end_date - timedelta(days=WAREHOUSE_DAYS - 1),
                warehouse.end_date,
            ],
        ).fetchall()
    )
    rows = body["rows"]
    assert len(rows) == min(len(mart), 100)
    assert {row["value"]: row["visits"] for row in rows}.items() <= mart.items()
    assert min(row["visits"] for row in rows) >= max(
        (visits for value, visits in mart.items() if value not in {r["value"] for r in rows}),
        default=0,
    )
    assert body["totalVisits"] == sum(mart.values())
    assert [row["visits"] for row in rows] == sorted((row["visits"] for row in rows), reverse=True)
    for row in rows:
        assert 0 < row["visitors"] <= row["visits"]
        assert row["share"] == pytest.approx(100 * row["visits"] / body["totalVisits"], abs=0.006)


@pytest.mark.parametrize("limit", [1, 3])
def test_read_breakdown_respects_limit(
    client: TestClient, warehouse: BuiltWarehouse, limit: int
) -> None:
    body = client.get(
        f"/api/v1/breakdown/country?{_period(warehouse)}&limit={limit}", headers=AUTH
    ).json()
    assert len(body["rows"]) == limit
