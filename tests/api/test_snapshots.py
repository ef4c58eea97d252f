"""Serving while building: snapshot swaps, per-snapshot cache and ETags, 503 and 500 bodies."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, datetime

import duckdb
import httpx
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from tests.api.conftest import AUTH, api_settings
from tests.utils.servers import serve_in_thread
from warehouse import publish
from warehouse.paths import DataPaths

DATA_ENDPOINTS = [
    "/api/v1/dashboard/metrics",
    "/api/v1/metrics/daily",
    "/api/v1/funnel",
    "/api/v1/retention",
    "/api/v1/breakdown/device",
    "/api/v1/products/top",
    "/api/v1/orders/status",
    "/api/v1/runs",
]


def _publish(paths: DataPaths, tables: list[str] | None = None) -> str:
    snapshot = publish.publish_snapshot(
        paths, data_as_of=datetime.now(UTC), pipeline_runs=[], tables=tables
    )
    return snapshot.snapshot_id


@pytest.mark.parametrize("path", DATA_ENDPOINTS)
def test_read_data_without_snapshot_is_503(empty_client: TestClient, path: str) -> None:
    response = empty_client.get(path, headers=AUTH)
    assert response.status_code == 503
    body = response.json()
    assert body["error"] == "no_snapshot"
    assert "no snapshot published yet" in body["message"]


def test_read_switches_to_new_snapshot_and_changes_etag(own_build: DataPaths) -> None:
    first = _publish(own_build)
    app = create_app(api_settings(own_build.root), check_interval=0.0)
    with TestClient(app) as client:
        url = "/api/v1/breakdown/channel?start=2026-03-08&end=2026-03-14"
        response = client.get(url, headers=AUTH)
        etag = response.headers["etag"]
        assert response.headers["x-footfall-snapshot"] == first
        again = client.get(url, headers=AUTH | {"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        second = _publish(own_build)
        fresh = client.get(url, headers=AUTH | {"If-None-Match": etag})
        assert fresh.status_code == 200
        assert fresh.headers["x-footfall-snapshot"] == second
        assert fresh.headers["etag"] != etag
        assert fresh.json()["snapshotId"] == second
        assert fresh.json()["rows"] == response.json()["rows"]  # same build, same numbers


def test_read_computes_once_per_snapshot(own_build: DataPaths) -> None:
    _publish(own_build)
    app = create_app(api_settings(own_build.root), check_interval=0.0)
    cache = app.state.cache
    with TestClient(app) as client:
        for _ in range(3):
            client.get("/api/v1/funnel?start=2026-03-08&end=2026-03-14", headers=AUTH)
        assert (cache.misses, cache.hits) == (1, 2)
        _publish(own_build)
        client.get("/api/v1/funnel?start=2026-03-08&end=2026-03-14", headers=AUTH)
        assert cache.misses == 2


def test_read_closes_retired_snapshot_connections(own_build: DataPaths) -> None:
    _publish(own_build)
    app = create_app(api_settings(own_build.root), check_interval=0.0, grace_seconds=0.0)
    reader = app.state.reader
    with TestClient(app) as client:
        client.get("/api/v1/orders/status", headers=AUTH)
        old = reader.current()
        _publish(own_build)
        client.get("/api/v1/orders/status", headers=AUTH)
        client.get("/healthz")
        assert reader.current() is not old
        with pytest.raises(duckdb.ConnectionException):
            old.connection.execute("select 1")


def test_read_with_broken_snapshot_is_generic_500(own_build: DataPaths) -> None:
    _publish(own_build, tables=["daily_metrics"])  # no sessions mart: queries fail
    app = create_app(api_settings(own_build.root))
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/funnel", headers=AUTH)
    assert response.status_code == 500
    assert response.json() == {"error": "internal_error", "message": "internal server error"}
    assert "sessions" not in response.text and "Traceback" not in response.text


@pytest.mark.slow
def test_read_while_snapshots_swap_never_errors(own_build: DataPaths) -> None:
    """Clients hammer a real uvicorn while the pipeline publishes snapshot after snapshot."""
    _publish(own_build)
    app = create_app(api_settings(own_build.root), check_interval=0.05, grace_seconds=0.2)
    urls = [
        "/api/v1/dashboard/metrics?date=2026-03-12",
        "/api/v1/metrics/daily?start=2026-03-08&end=2026-03-14",
        "/api/v1/breakdown/country?start=2026-03-08&end=2026-03-14",
        "/api/v1/funnel?start=2026-03-08&end=2026-03-14&by=channel",
    ]
    statuses: Counter[int] = Counter()
    seen: set[str] = set()
    stop = threading.Event()
    lock = threading.Lock()

    def hammer(base_url: str, offset: int) -> None:
        with httpx.Client(base_url=base_url, headers=AUTH, timeout=30) as http:
            i = offset
            while not stop.is_set():
                response = http.get(urls[i % len(urls)])
                i += 1
                with lock:
                    statuses[response.status_code] += 1
                    if response.status_code == 200:
                        seen.add(response.json()["snapshotId"])

    with serve_in_thread(app) as base_url:
        workers = [threading.Thread(target=hammer, args=(base_url, n)) for n in range(4)]
        for worker in workers:
            worker.start()
        published = []
        for _ in range(6):
            time.sleep(0.3)
            published.append(_publish(own_build))
            # The harshest publisher: delete every older snapshot file at once.
            publish.drop_old_snapshots(own_build, grace_seconds=0)
        time.sleep(0.5)
        stop.set()
        for worker in workers:
            worker.join(timeout=30)
        reader = app.state.reader
        assert reader.current().snapshot_id == published[-1]
        assert len(reader._retired) <= 2  # old connections were closed, not hoarded
    assert set(statuses) == {200}, statuses
    assert sum(statuses.values()) > 50
    assert published[-1] in seen and len(seen) >= 3
