"""Bad parameters get a clear 422 naming the parameter, without echoing input or traces."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import AUTH

# Each row: a request, the parameter the error must name.
BAD_REQUESTS = [
    ("/api/v1/dashboard/metrics?date=2026-13-01", "date"),
    ("/api/v1/dashboard/metrics?date=yesterday", "date"),
    ("/api/v1/dashboard/metrics?date=0", "date"),  # never a Unix time
    ("/api/v1/metrics/daily?start=1700000000", "start"),
    ("/api/v1/funnel?end=2026-3-1", "end"),
    ("/api/v1/metrics/daily?start=2026-03-14&end=2026-03-01", "start"),
    ("/api/v1/metrics/daily?start=2024-01-01&end=2026-03-14", "start"),
    ("/api/v1/metrics/daily?end=2026-02-30", "end"),
    ("/api/v1/funnel?by=password", "by"),
    ("/api/v1/funnel?by=channel;drop table sessions", "by"),
    ("/api/v1/funnel?start=2026-03-10&end=2026-03-09", "start"),
    ("/api/v1/retention?cohorts=0", "cohorts"),
    ("/api/v1/retention?cohorts=53", "cohorts"),
    ("/api/v1/retention?cohorts=many", "cohorts"),
    ("/api/v1/breakdown/visitor_id", "dimension"),
    ("/api/v1/breakdown/channel%20or%201=1", "dimension"),
    ("/api/v1/breakdown/channel?limit=0", "limit"),
    ("/api/v1/breakdown/channel?limit=101", "limit"),
    ("/api/v1/breakdown/country?start=2025-01-01&end=2026-03-14", "start"),
    ("/api/v1/products/top?sort=price", "sort"),
    ("/api/v1/products/top?limit=-1", "limit"),
    ("/api/v1/orders/status?start=2026-03-09&end=2026-03-08", "start"),
    ("/api/v1/runs?limit=0", "limit"),
]


@pytest.mark.parametrize(("url", "parameter"), BAD_REQUESTS)
def test_read_with_bad_parameter_is_422_naming_it(
    client: TestClient, url: str, parameter: str
) -> None:
    response = client.get(url, headers=AUTH)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_parameter"
    assert parameter in body["message"]
    assert [problem["parameter"] for problem in body["problems"]] == [parameter]
    assert "Traceback" not in response.text
    assert "drop table" not in response.text  # input is never echoed


@pytest.mark.parametrize(("url", "parameter"), BAD_REQUESTS[:4])
def test_read_with_bad_parameter_is_422_before_any_snapshot(
    empty_client: TestClient, url: str, parameter: str
) -> None:
    assert empty_client.get(url, headers=AUTH).status_code == 422


def test_read_longest_allowed_range_is_accepted(client: TestClient) -> None:
    response = client.get("/api/v1/metrics/daily?start=2025-03-14&end=2026-03-14", headers=AUTH)
    assert response.status_code == 200
    assert len(response.json()["days"]) == 366


def test_read_unknown_path_is_json_404(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here", headers=AUTH)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
