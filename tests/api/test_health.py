"""GET /healthz: no token needed; says which snapshot is served, or that there is none yet."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.utils.fixtures import BuiltWarehouse
from warehouse import publish


def test_read_health_reports_current_snapshot(
    client: TestClient, warehouse: BuiltWarehouse
) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["snapshotId"] == publish.read_current_snapshot_id(warehouse.paths)
    assert body["snapshotAgeSeconds"] >= 0
    assert body["dataAsOf"] is not None


def test_read_health_without_snapshot_says_so(empty_client: TestClient) -> None:
    response = empty_client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "no_snapshot"
    assert body["message"] == "no snapshot yet"
    assert body["snapshotId"] is None
