"""Realtime visitors from the raw lake: event time, bots, partitions, empty lake."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.realtime import WINDOW_MINUTES, compute_realtime
from tests.api.conftest import AUTH, api_settings
from warehouse.lake import RAW_EVENT_SCHEMA, new_file_id, write_partitioned
from warehouse.paths import DataPaths

NOW = datetime(2026, 5, 4, 0, 10, 30, tzinfo=UTC)  # 10 min after midnight: two partitions


def _event(
    visitor: str,
    minutes_ago: float,
    *,
    arrived_minutes_ago: float | None = None,
    user_agent: str = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
) -> dict:
    event_at = NOW - timedelta(minutes=minutes_ago)
    received = NOW - timedelta(
        minutes=minutes_ago if arrived_minutes_ago is None else arrived_minutes_ago
    )
    return {
        "event_id": new_file_id(),
        "visitor_id": visitor,
        "is_cookieless": False,
        "event_type": "page_view",
        "page": "/",
        "client_ts": event_at,
        "received_at": received,
        "event_at": event_at,
        "user_agent": user_agent,
    }


def _land(paths: DataPaths, events: list[dict]) -> None:
    columns = {
        field.name: [event.get(field.name) for event in events] for field in RAW_EVENT_SCHEMA
    }
    write_partitioned(pa.table(columns, schema=RAW_EVENT_SCHEMA), paths.raw("events"))


@pytest.fixture
def lake(tmp_path: Path) -> DataPaths:
    return DataPaths((tmp_path / "data").resolve())


# Each row: the events landed, the active visitors expected, and why.
CASES = [
    ([], 0, "empty lake: zeros, no error"),
    ([_event("a", 1), _event("a", 2), _event("b", 5)], 2, "distinct visitors, not events"),
    ([_event("a", 25)], 1, "yesterday's partition (before midnight) is read"),
    ([_event("a", 31)], 0, "older than 30 minutes"),
    ([_event("a", 60 * 24 * 3, arrived_minutes_ago=1)], 0, "held offline: event time counts"),
    ([_event("bot", 1, user_agent="Mozilla/5.0 (compatible; Googlebot/2.1)")], 0, "bot marker"),
    ([_event("bot", 1, user_agent="python-requests/2.32")], 0, "script marker"),
    ([_event("h", 1), _event("bot", 1, user_agent="HEADLESSCHROME")], 1, "markers ignore case"),
]


@pytest.mark.parametrize(("events", "expected", "why"), CASES, ids=[case[2] for case in CASES])
def test_compute_realtime_counts_active_visitors(
    lake: DataPaths, events: list[dict], expected: int, why: str
) -> None:
    if events:
        _land(lake, events)
    counts = compute_realtime(lake, now=NOW)
    assert counts.active_users == expected, why
    assert len(counts.per_minute) == WINDOW_MINUTES
    assert sum(visitors for _, visitors in counts.per_minute) >= expected


def test_compute_realtime_skips_files_written_before_the_window(lake: DataPaths) -> None:
    """Only files modified since the window began (less a margin) are opened."""
    _land(lake, [_event("old-file", 1)])
    (old_file,) = lake.raw("events").glob("date=*/*.parquet")
    stale = (NOW - timedelta(minutes=WINDOW_MINUTES + 6)).timestamp()
    os.utime(old_file, (stale, stale))
    _land(lake, [_event("new-file", 1)])
    assert compute_realtime(lake, now=NOW).active_users == 1  # the stale file was not read
    kept = (NOW - timedelta(minutes=WINDOW_MINUTES + 4)).timestamp()  # inside the margin
    os.utime(old_file, (kept, kept))
    assert compute_realtime(lake, now=NOW).active_users == 2


def test_compute_realtime_builds_per_minute_series(lake: DataPaths) -> None:
    _land(lake, [_event("a", 0.2), _event("b", 0.3), _event("a", 3), _event("c", 12)])
    counts = compute_realtime(lake, now=NOW)
    series = dict(counts.per_minute)
    assert series[datetime(2026, 5, 4, 0, 10, tzinfo=UTC)] == 2
    assert series[datetime(2026, 5, 4, 0, 7, tzinfo=UTC)] == 1
    assert series[datetime(2026, 5, 3, 23, 58, tzinfo=UTC)] == 1
    assert counts.per_minute[0][0] == datetime(2026, 5, 3, 23, 41, tzinfo=UTC)
    assert counts.users_per_minute == round(4 / WINDOW_MINUTES, 2)
    assert counts.newest_event_at == NOW - timedelta(minutes=0.2)


def test_read_realtime_serves_live_counts(tmp_path: Path) -> None:
    paths = DataPaths((tmp_path / "data").resolve())
    _land(paths, [])  # nothing yet
    app = create_app(api_settings(paths.root))
    with TestClient(app) as client:
        empty = client.get("/api/v1/realtime", headers=AUTH).json()
        assert empty["activeUsersLast30Min"] == 0 and len(empty["perMinute"]) == WINDOW_MINUTES
        now = datetime.now(UTC)
        _land(
            paths,
            [
                {**_event("x", 0), "event_at": now, "received_at": now, "client_ts": now},
                {**_event("y", 0), "event_at": now, "received_at": now, "client_ts": now},
            ],
        )
        app.state.realtime.ttl = 0  # the 2 s recompute guard would hide the new file
        live = client.get("/api/v1/realtime", headers=AUTH).json()
        assert live["activeUsersLast30Min"] == 2
        assert sum(minute["visitors"] for minute in live["perMinute"]) == 2
        assert client.get("/api/v1/realtime").status_code == 401
