"""The OpenAPI document: every endpoint documented, with a response model, in camelCase."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.test_auth import READ_ENDPOINTS


@pytest.fixture(scope="module")
def spec(client: TestClient) -> dict:
    return client.get("/openapi.json").json()


def _path_of(url: str) -> str:
    return url.replace("/breakdown/channel", "/breakdown/{dimension}")


@pytest.mark.parametrize("url", [*READ_ENDPOINTS, "/healthz"])
def test_openapi_documents_endpoint_with_response_model(spec: dict, url: str) -> None:
    operation = spec["paths"][_path_of(url)]["get"]
    assert operation["description"] or operation["summary"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert "$ref" in schema


@pytest.mark.parametrize("url", READ_ENDPOINTS)
def test_openapi_documents_auth_errors(spec: dict, url: str) -> None:
    responses = spec["paths"][_path_of(url)]["get"]["responses"]
    assert "401" in responses


def test_openapi_uses_camel_case_names(spec: dict) -> None:
    fields = spec["components"]["schemas"]["DashboardMetrics"]["properties"]
    assert {"activeUsersLast30Min", "salesGoalProgress", "averageOrderValue"} <= set(fields)
    assert not [name for name in fields if "_" in name]


@pytest.mark.parametrize("page", ["/", "/docs"])
def test_pages_load_nothing_from_other_origins(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    assert "http://" not in response.text and "https://" not in response.text
    assert "default-src 'self'" in response.headers["content-security-policy"]
    for asset in ("/static/vendor/chart.umd.min.js", "/static/vendor/swagger-ui/swagger-ui.css"):
        assert client.get(asset).status_code == 200
