"""The lander: spool segments → Parquet, idempotent, locked, and the per-row rules it applies
(event time, visitor id, query-string fallbacks, stored address)."""

from __future__ import annotations

import shutil
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from ingest.lander import land_sealed_segments, lander_lock
from ingest.records import frame_payload
from ingest.segments import encode_frame, open_segments, sealed_segments
from tests.ingest.conftest import land_now, read_raw
from warehouse.lake import lake_files
from warehouse.paths import DataPaths

TRACK = "/api/v1/analytics/track"


def post_events(client: TestClient, events: list[dict[str, Any]], **kwargs: Any) -> None:
    response = client.post(TRACK, content=orjson.dumps(events), **kwargs)
    assert response.status_code == 200, response.text


def page_views(n: int) -> list[dict[str, Any]]:
    return [
        {"eventId": str(uuid.uuid4()), "eventType": "page_view", "sessionId": "v", "page": "/"}
        for _ in range(n)
    ]


def test_land_sealed_segments_writes_parquet_and_removes_segments(
    client: TestClient, data_dir: DataPaths
) -> None:
    events = page_views(5)
    post_events(client, events[:2])
    post_events(client, events[2:])
    client.app.state.collector.spool.seal()
    segment = sealed_segments(data_dir.spool)[0]
    result = land_sealed_segments(data_dir)
    assert (result.segments, result.rows) == (1, {"events": 5})
    assert sealed_segments(data_dir.spool) == []
    [file] = lake_files(data_dir.raw("events"))
    assert file.stem == segment.name.split(".")[0]  # the Parquet name comes from the segment
    today = datetime.now(UTC).date().isoformat()
    assert file.parent.name == f"date={today}"
    assert [r["event_id"] for r in read_raw(data_dir, "events")] == [e["eventId"] for e in events]


def test_land_sealed_segments_is_idempotent_after_crash_before_removal(
    client: TestClient, data_dir: DataPaths, tmp_path: Any
) -> None:
    post_events(client, page_views(4))
    client.app.state.collector.spool.seal()
    [segment] = sealed_segments(data_dir.spool)
    kept = tmp_path / "copy"
    shutil.copy(segment, kept)
    land_sealed_segments(data_dir)
    first = sorted(lake_files(data_dir.raw("events")))
    shutil.copy(kept, segment)  # as if the lander died between rename and unlink
    land_sealed_segments(data_dir)
    assert sorted(lake_files(data_dir.raw("events"))) == first
    assert len(read_raw(data_dir, "events")) == 4


def test_land_sealed_segments_skips_when_another_lander_holds_lock(
    client: TestClient, data_dir: DataPaths
) -> None:
    post_events(client, page_views(1))
    client.app.state.collector.spool.seal()
    with lander_lock(data_dir, wait=True):
        busy = land_sealed_segments(data_dir, wait=False)
        assert busy.skipped_busy and busy.segments == 0
        assert len(sealed_segments(data_dir.spool)) == 1
    assert land_sealed_segments(data_dir).segments == 1


def test_land_sealed_segments_leaves_open_segment_of_running_collector(
    client: TestClient, data_dir: DataPaths
) -> None:
    post_events(client, page_views(2))
    assert len(open_segments(data_dir.spool)) == 1
    assert land_sealed_segments(data_dir).segments == 0
    assert len(open_segments(data_dir.spool)) == 1  # the writer's, untouched


def test_land_sealed_segments_recovers_open_segment_without_collector(
    data_dir: DataPaths,
) -> None:
    """What a killed collector leaves: an `.open` segment whose last record is torn."""
    row = {"customer_id": "c-1", "customer_type": "REGISTERED", "updated_at": 1}
    common = {"received_at": 1_700_000_000_000_000}
    acked = encode_frame(frame_payload("customers", common, [orjson.dumps(row)]))
    data_dir.spool.mkdir()
    segment = data_dir.spool / "01700000000000000000-abcdef012345.open"
    segment.write_bytes(acked + encode_frame(b"never acknowledged")[:9])
    result = land_sealed_segments(data_dir)
    assert result.rows == {"customers": 1}
    assert list(data_dir.spool.glob("*.open")) == []
    [landed] = read_raw(data_dir, "customers")
    assert (landed["customer_id"], landed["customer_type"]) == ("c-1", "REGISTERED")
    [file] = lake_files(data_dir.raw("customers"))
    assert file.name == "01700000000000000000-abcdef012345.parquet"


def test_land_segment_keeps_damaged_segment_aside(client: TestClient, data_dir: DataPaths) -> None:
    post_events(client, page_views(2))
    post_events(client, page_views(3))
    client.app.state.collector.spool.seal()
    [segment] = sealed_segments(data_dir.spool)
    data = bytearray(segment.read_bytes())
    data[-3] ^= 0xFF  # damage the second record after it was sealed
    segment.write_bytes(bytes(data))
    result = land_sealed_segments(data_dir)
    assert result.rows == {"events": 2}
    assert [p.suffix for p in result.corrupt] == [".corrupt"]


NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


# (id, timestamp offset, sentAt offset, expected event_at as a function of received_at).
# Offsets are relative to the server's clock at posting time.
EVENT_TIMES = [
    ("no-client-time", None, None, lambda r, ts, sent: r),
    ("timestamp-only", -HOUR, None, lambda r, ts, sent: ts),
    ("timestamp-only-too-old", -10 * DAY, None, lambda r, ts, sent: r - 7 * DAY),
    ("timestamp-only-future", +HOUR, None, lambda r, ts, sent: r),
    ("clock-ahead-corrected", 2 * HOUR - timedelta(seconds=5), 2 * HOUR,
     lambda r, ts, sent: r - timedelta(seconds=5)),
    ("clock-behind-corrected", -3 * HOUR - timedelta(seconds=30), -3 * HOUR,
     lambda r, ts, sent: r - timedelta(seconds=30)),
    ("held-offline-3-days", -3 * DAY, timedelta(0), lambda r, ts, sent: r - 3 * DAY),
    ("held-offline-8-days-clamped", -8 * DAY, timedelta(0), lambda r, ts, sent: r - 7 * DAY),
    ("sent-before-event-clamped", timedelta(0), -HOUR, lambda r, ts, sent: r),
]  # fmt: skip


@pytest.mark.parametrize(
    ("ts_offset", "sent_offset", "expected"),
    [case[1:] for case in EVENT_TIMES],
    ids=[case[0] for case in EVENT_TIMES],
)
def test_lander_computes_event_time(
    client: TestClient, data_dir: DataPaths, ts_offset: Any, sent_offset: Any, expected: Any
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    event: dict[str, Any] = {"eventType": "page_view"}
    if ts_offset is not None:
        event["timestamp"] = iso(now + ts_offset)
    if sent_offset is not None:
        event["sentAt"] = iso(now + sent_offset)
    post_events(client, [event])
    land_now(client, data_dir)
    [row] = read_raw(data_dir, "events")
    received = row["received_at"]
    assert abs(received - datetime.now(UTC)) < timedelta(minutes=1)
    assert row["event_at"] == expected(received, row["client_ts"], row["sent_at"])
    assert row["event_at"] <= received
    if ts_offset is not None:
        assert row["client_ts"] == now + ts_offset


def test_lander_reads_naive_and_offset_times_as_utc(
    client: TestClient, data_dir: DataPaths
) -> None:
    now = datetime.now(UTC).replace(microsecond=0, tzinfo=None)
    post_events(
        client,
        [
            {"eventType": "a", "timestamp": now.isoformat()},
            {"eventType": "b", "timestamp": (now + 2 * HOUR).isoformat() + "+02:00"},
        ],
    )
    land_now(client, data_dir)
    rows = read_raw(data_dir, "events")
    assert [r["client_ts"] for r in rows] == [now.replace(tzinfo=UTC)] * 2


# (id, sessionId, request headers, expect cookieless, expect customer kept)
VISITOR_CASES = [
    ("cookie", "v-123", {}, False, True),
    ("no-cookie", None, {}, True, True),
    ("dnt", "v-123", {"DNT": "1"}, True, False),
    ("gpc", "v-123", {"Sec-GPC": "1"}, True, False),
    ("dnt-zero", "v-123", {"DNT": "0"}, False, True),
]


@pytest.mark.parametrize(
    ("session", "headers", "cookieless", "customer_kept"),
    [case[1:] for case in VISITOR_CASES],
    ids=[case[0] for case in VISITOR_CASES],
)
def test_lander_sets_visitor_id(
    client: TestClient,
    data_dir: DataPaths,
    session: str | None,
    headers: dict[str, str],
    cookieless: bool,
    customer_kept: bool,
) -> None:
    event = {"eventType": "page_view", "customerId": "c-9"}
    if session:
        event["sessionId"] = session
    post_events(client, [event], headers={"User-Agent": "UA/1", **headers})
    land_now(client, data_dir)
    [row] = read_raw(data_dir, "events")
    assert row["is_cookieless"] is cookieless
    if cookieless:
        assert row["visitor_id"].startswith("cl-") and row["visitor_id"] != session
    else:
        assert row["visitor_id"] == session
    assert row["customer_id"] == ("c-9" if customer_kept else None)


def test_lander_gives_same_browser_same_cookieless_id(
    client: TestClient, data_dir: DataPaths
) -> None:
    for agent in ("UA/1", "UA/1", "UA/2"):
        post_events(client, [{"eventType": "page_view"}], headers={"User-Agent": agent})
    land_now(client, data_dir)
    ids = [row["visitor_id"] for row in read_raw(data_dir, "events")]
    assert ids[0] == ids[1] != ids[2]


@pytest.mark.parametrize(
    ("query", "body", "expected"),
    [
        ("?utm_source=q&ref=https://r.example/", {}, ("q", "https://r.example/")),
        ("?utm_source=q&ref=https://r.example/", {"utm_source": "b", "referrer": "https://b/"},
         ("b", "https://b/")),
        ("", {"utm_source": "b"}, ("b", None)),
        ("?utm_medium=m", {}, (None, None)),
    ],
    ids=["from-query", "body-wins", "body-only", "other-field"],
)  # fmt: skip
def test_lander_falls_back_to_query_string(
    client: TestClient, data_dir: DataPaths, query: str, body: dict[str, str], expected: Any
) -> None:
    post_events_response = client.post(
        TRACK + query, content=orjson.dumps({"eventType": "page_view", **body})
    )
    assert post_events_response.status_code == 200
    land_now(client, data_dir)
    [row] = read_raw(data_dir, "events")
    assert (row["utm_source"], row["referrer"]) == expected


@pytest.mark.parametrize(
    ("peer", "forwarded", "env", "expected"),
    [
        ("198.51.100.23", None, {}, "198.51.100.0"),
        ("198.51.100.23", None, {"FOOTFALL_ANONYMIZE_IP": "false"}, "198.51.100.23"),
        ("2001:db8:abcd:12::1", None, {}, "2001:db8:abcd::"),
        ("127.0.0.1", "203.0.113.9", {}, "203.0.113.0"),
        ("127.0.0.1", "203.0.113.9, 10.0.0.1", {"FOOTFALL_TRUSTED_PROXIES": "127.0.0.1,10.0.0.0/8"},
         "203.0.113.0"),
        ("198.51.100.23", "203.0.113.9", {}, "198.51.100.0"),
        ("127.0.0.1", "not-an-ip", {}, "127.0.0.0"),
    ],
    ids=["v4", "v4-not-anonymised", "v6", "trusted-proxy", "proxy-chain", "untrusted-xff",
         "bad-xff"],
)  # fmt: skip
def test_lander_stores_truncated_address(
    make_client: Any,
    data_dir: DataPaths,
    peer: str,
    forwarded: str | None,
    env: dict[str, str],
    expected: str,
) -> None:
    client = make_client(env, peer=(peer, 40000))
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    post_events(client, [{"eventType": "page_view"}], headers=headers)
    land_now(client, data_dir)
    [row] = read_raw(data_dir, "events")
    assert row["ip_prefix"] == expected
    raw_bytes = b"".join(path.read_bytes() for path in lake_files(data_dir.raw("events")))
    if env.get("FOOTFALL_ANONYMIZE_IP") != "false":
        assert b"203.0.113.9" not in raw_bytes and b"198.51.100.23" not in raw_bytes
