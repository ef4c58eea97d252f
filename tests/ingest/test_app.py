"""The collector app's guards: CORS, rate limit, health, tracker.js, and no 2xx without disk."""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from ingest.app import create_app
from ingest.collector import Collector
from ingest.lander import land_sealed_segments
from ingest.ratelimit import RateLimiter
from tests.ingest.conftest import read_raw
from warehouse.paths import DataPaths

TRACK = "/api/v1/analytics/track"
SHOP = "https://shop.example"
EVENT = orjson.dumps({"eventType": "page_view", "page": "/"})


@pytest.mark.parametrize(
    ("origins", "origin", "status", "allowed"),
    [
        (SHOP, SHOP, 200, True),
        (f"{SHOP},https://other.example", "https://other.example", 200, True),
        (SHOP, "https://evil.example", 403, False),
        (SHOP, "null", 403, False),
        (SHOP, None, 200, False),  # not a browser cross-origin request
        ("", SHOP, 403, False),
        ("*", "https://anything.example", 200, True),
        (SHOP, "http://collector.test", 200, True),  # same origin as the collector
    ],
    ids=["listed", "second-listed", "foreign", "null-origin", "no-origin", "empty-list",
         "wildcard", "same-origin"],
)  # fmt: skip
def test_post_track_applies_cors_allow_list(
    make_client: Any, data_dir: DataPaths, origins: str, origin: str | None, status: int,
    allowed: bool,
) -> None:  # fmt: skip
    client = make_client({"FOOTFALL_CORS_ORIGINS": origins})
    headers = {"Origin": origin, "Content-Type": "text/plain"} if origin else {}
    response = client.post(TRACK, content=EVENT, headers=headers)
    assert response.status_code == status
    granted = response.headers.get("access-control-allow-origin")
    assert (granted is not None and granted == origin) is allowed
    client.app.state.collector.spool.seal()
    land_sealed_segments(data_dir)
    assert len(read_raw(data_dir, "events")) == (1 if status == 200 else 0)


@pytest.mark.parametrize(
    ("origin", "status"), [(SHOP, 204), ("https://evil.example", 403), (None, 403)]
)
def test_preflight_track_answers_only_listed_origins(
    make_client: Any, origin: str | None, status: int
) -> None:
    client = make_client({"FOOTFALL_CORS_ORIGINS": SHOP})
    headers = {"Access-Control-Request-Method": "POST"}
    if origin:
        headers["Origin"] = origin
    response = client.options(TRACK, headers=headers)
    assert response.status_code == status
    if status == 204:
        assert response.headers["access-control-allow-origin"] == SHOP
        assert "POST" in response.headers["access-control-allow-methods"]


def test_post_track_rate_limits_per_client_address(make_client: Any) -> None:
    client = make_client(
        {"FOOTFALL_RATE_LIMIT_PER_SECOND": "0.5", "FOOTFALL_RATE_LIMIT_BURST": "3"},
        peer=("127.0.0.1", 1234),
    )
    first = {"X-Forwarded-For": "203.0.113.1"}
    codes = [client.post(TRACK, content=EVENT, headers=first).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = client.post(TRACK, content=EVENT, headers=first)
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 2
    other = {"X-Forwarded-For": "203.0.113.2"}  # another client still gets through
    assert client.post(TRACK, content=EVENT, headers=other).status_code == 200


@pytest.mark.parametrize(
    ("rate", "burst", "times", "expected"),
    [
        (1.0, 2, [0.0, 0.0, 0.0], [0, 0, 1]),
        (1.0, 2, [0.0, 0.0, 1.0], [0, 0, 0]),
        (10.0, 1, [0.0, 0.05, 0.11], [0, 1, 0]),
        (0.1, 1, [0.0, 1.0], [0, 9]),
        (0.0, 1, [0.0, 0.0, 0.0], [0, 0, 0]),  # off
    ],
)
def test_rate_limiter_token_bucket(
    rate: float, burst: int, times: list[float], expected: list[int]
) -> None:
    limiter = RateLimiter(rate, burst)
    assert [limiter.retry_after("k", now=100.0 + t) for t in times] == expected


def test_rate_limiter_memory_stays_bounded() -> None:
    limiter = RateLimiter(1.0, 1, max_keys=100)
    for i in range(1000):
        limiter.retry_after(f"10.0.{i // 256}.{i % 256}", now=float(i))
    assert len(limiter._buckets) <= 100


def test_read_tracker_serves_javascript(client: TestClient) -> None:
    response = client.get("/tracker.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/javascript")
    assert b"visitor_session_id" in response.content


def test_read_health_reports_backlog_and_lag(client: TestClient) -> None:
    assert client.post(TRACK, content=EVENT).status_code == 200
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["spool"]["segments"] == 1 and body["spool"]["records_written"] == 1
    assert body["lander"]["lag_seconds"] == 0.0


def test_background_lander_lands_sealed_segments(make_client: Any, data_dir: DataPaths) -> None:
    client = make_client({"FOOTFALL_SPOOL_SEGMENT_SECONDS": "0.2"}, background_lander=True)
    assert client.post(TRACK, content=EVENT).status_code == 200
    deadline = time.monotonic() + 20
    while not read_raw(data_dir, "events") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(read_raw(data_dir, "events")) == 1
    assert client.get("/healthz").json()["lander"]["rows_landed"] == 1


class Disk:
    """The OS-call seam under the spool: fails writes with `error` while `full` is set."""

    def __init__(self) -> None:
        self.full = False

    def write(self, fd: int, data: memoryview) -> int:
        if self.full:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return os.write(fd, data)


def test_post_answers_503_while_disk_is_full(data_dir: DataPaths) -> None:
    disk = Disk()
    collector = Collector(run_lander=False, spool_write=disk.write)
    token = {"Authorization": "Bearer dev-ingest-token"}
    customer = orjson.dumps({"customerId": "c", "type": "GUEST"})
    with TestClient(create_app(collector)) as client:
        kept = str(uuid.uuid4())
        body = {"eventType": "page_view", "eventId": kept}
        assert client.post(TRACK, content=orjson.dumps(body)).status_code == 200
        disk.full = True
        lost = {"eventType": "page_view", "eventId": str(uuid.uuid4())}
        refused = client.post(TRACK, content=orjson.dumps(lost))
        assert refused.status_code == 503 and refused.headers["retry-after"]
        assert client.post("/api/v1/customers", content=customer, headers=token).status_code == 503
        assert client.get("/healthz").status_code == 503
        disk.full = False
        assert client.post(TRACK, content=EVENT).status_code == 200
        assert client.get("/healthz").status_code == 200
    land_sealed_segments(data_dir)
    ids = [row["event_id"] for row in read_raw(data_dir, "events")]
    assert kept in ids and lost["eventId"] not in ids and len(ids) == 2


@contextlib.contextmanager
def tiny_tmpfs(target: Path, size: str) -> Iterator[Path]:
    target.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(target)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], check=False)


def test_post_never_acknowledges_what_a_full_disk_refused(data_dir: DataPaths) -> None:
    """A real ENOSPC: the spool lives on a 128 KiB tmpfs and nothing lands it meanwhile."""
    acked: list[str] = []
    refused: list[str] = []
    with tiny_tmpfs(data_dir.spool, "128k"):
        collector = Collector(run_lander=False)
        with TestClient(create_app(collector)) as client:
            for _ in range(60):
                events = [
                    {
                        "eventType": "page_view",
                        "eventId": str(uuid.uuid4()),
                        "page": "/" + "x" * 900,
                    }
                    for _ in range(5)
                ]
                response = client.post(TRACK, content=orjson.dumps(events))
                assert response.status_code in (200, 503)
                (acked if response.status_code == 200 else refused).extend(
                    e["eventId"] for e in events
                )
        assert acked and refused, "the tmpfs never filled up"
        land_sealed_segments(data_dir)  # the lake is on the real disk
    landed = [row["event_id"] for row in read_raw(data_dir, "events")]
    assert set(acked) <= set(landed)
    assert not set(refused) & set(landed)
    assert len(landed) == len(set(landed))


@pytest.mark.parametrize("hot_path", [True, False], ids=["hot-path", "fastapi-route"])
def test_get_track_is_not_allowed(make_client: Any, hot_path: bool) -> None:
    response = make_client(hot_path=hot_path).get(TRACK)
    assert response.status_code == 405
