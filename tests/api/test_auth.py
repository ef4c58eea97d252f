"""Every /api/v1 read needs a valid bearer token; /healthz and the page do not."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import ROTATED_TOKEN, TOKEN

READ_ENDPOINTS = [
    "/api/v1/dashboard/metrics",
    "/api/v1/metrics/daily",
    "/api/v1/funnel",
    "/api/v1/retention",
    "/api/v1/breakdown/channel",
    "/api/v1/products/top",
    "/api/v1/orders/status",
    "/api/v1/realtime",
    "/api/v1/runs",
]

BAD_CREDENTIALS = [
    ({}, "no header"),
    ({"Authorization": ""}, "empty header"),
    ({"Authorization": "Bearer"}, "scheme only"),
    ({"Authorization": "Bearer wrong-token-123"}, "unknown token"),
    ({"Authorization": f"Bearer {TOKEN}x"}, "token with a suffix"),
    ({"Authorization": f"Bearer {TOKEN[:-1]}"}, "token prefix"),
    ({"Authorization": f"Basic {TOKEN}"}, "wrong scheme"),
    ({"Authorization": TOKEN}, "no scheme"),
]


@pytest.mark.parametrize("path", READ_ENDPOINTS)
@pytest.mark.parametrize(("headers", "why"), BAD_CREDENTIALS, ids=[c[1] for c in BAD_CREDENTIALS])
def test_read_endpoint_without_valid_token_is_401(
    client: TestClient, path: str, headers: dict, why: str
) -> None:
    response = client.get(path, headers=headers)
    assert response.status_code == 401, why
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"] == "unauthorized"


@pytest.mark.parametrize("token", [TOKEN, ROTATED_TOKEN], ids=["first", "rotated"])
@pytest.mark.parametrize("path", READ_ENDPOINTS)
def test_read_endpoint_accepts_each_configured_token(
    client: TestClient, path: str, token: str
) -> None:
    response = client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "path", ["/healthz", "/", "/static/dashboard.js", "/docs", "/openapi.json"]
)
def test_read_public_path_needs_no_token(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 200


def test_read_unauthorized_before_no_snapshot(empty_client: TestClient) -> None:
    """A wrong token learns nothing, not even whether data exists."""
    assert empty_client.get("/api/v1/dashboard/metrics").status_code == 401
