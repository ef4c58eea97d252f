"""`footfall api`: help text, and a real server started by the command."""

from __future__ import annotations

import subprocess
import sys

import httpx

from tests.api.conftest import TOKEN
from tests.utils.fixtures import BuiltWarehouse
from tests.utils.servers import footfall_server


def test_api_command_has_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "warehouse.cli", "api", "--help"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0
    assert "--port" in result.stdout and "--host" in result.stdout


def test_api_command_serves_published_snapshot(warehouse: BuiltWarehouse) -> None:
    env = {"FOOTFALL_DATA_DIR": str(warehouse.paths.root), "FOOTFALL_API_TOKEN": TOKEN}
    with footfall_server("api", env) as base_url:
        health = httpx.get(base_url + "/healthz").json()
        assert health["status"] == "ok"
        response = httpx.get(
            base_url + "/api/v1/dashboard/metrics",
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert response.status_code == 200
        assert httpx.get(base_url + "/api/v1/runs").status_code == 401
