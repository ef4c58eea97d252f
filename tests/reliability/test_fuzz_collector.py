"""Property-based fuzzing of the collector's endpoints with hostile bodies (hypothesis).

Bodies mix event- and order-shaped objects with hostile values in every field (wrong types,
huge and empty strings, deep JSON, unicode, null bytes, SQL- and path-looking text, absurd
dates and numbers), huge batches, and bytes that are not JSON or not UTF-8. For every body:

- the answer is 200 or a 4xx, never a 5xx, and a 4xx names fields without echoing input;
- a 200 stores exactly one spool record holding every event of the batch; a 4xx stores
  nothing (a rejected batch stores none of its events, not even the valid ones);
- whatever was accepted lands: the lander turns it into Parquet rows, one per event.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.app import create_app
from ingest.collector import Collector
from ingest.lander import land_sealed_segments
from tests.reliability.conftest import Figures
from tests.reliability.procs import INGEST_TOKEN
from warehouse.paths import DataPaths
from warehouse.settings import Settings

TRACK = "/api/v1/analytics/track"
AUTH = {"Authorization": f"Bearer {INGEST_TOKEN}"}
MARK = "ECHO\u2028<script>"  # appears in hostile values; must never come back in an answer

HOSTILE_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    MARK,
    "'; drop table events; --",
    '" or 1=1 --',
    "../../../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "${jndi:ldap://x}",
    "{{7*7}}",
    "%00%2e%2e%2f",
    "\u202eevil\u202c",
    "🦶" * 100,
    "\ud7ff\ue000\uffff",
    "ß" * 700,
    "x" * 5000,
]
ABSURD_DATES = [
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999999Z",
    "1970-01-01T00:00:00Z",
    "2026-02-30T00:00:00Z",
    "2026-13-01T00:00:00Z",
    "+275760-09-13T00:00:00Z",
    "2026-03-14T25:61:61Z",
    "2026-03-14T12:00:00+23:59",
    "2026-03-14T12:00:00-23:59",
    "2026-03-14",
    "yesterday",
    "1e308",
]
HUGE_NUMBERS = [10**20, -(10**20), 2**63, -(2**63) - 1, 1e308, -0.0, 0.1, 10**400]


def json_values() -> st.SearchStrategy[Any]:
    scalars = (
        st.none()
        | st.booleans()
        | st.integers(min_value=-(2**70), max_value=2**70)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=40)
        | st.sampled_from(HOSTILE_TEXT + ABSURD_DATES)
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=12,
    )


def hostile_value() -> st.SearchStrategy[Any]:
    return (
        json_values()
        | st.sampled_from(HOSTILE_TEXT + ABSURD_DATES + HUGE_NUMBERS)
        | st.integers(min_value=50, max_value=5000).map(deep_json)
    )


def deep_json(depth: int) -> orjson.Fragment:
    """Valid JSON nested `depth` levels (arrays and objects), embedded as it is."""
    return orjson.Fragment(b'{"k":[' * depth + b"1" + b"]}" * depth)


VALID_EVENT = {
    "eventType": st.sampled_from(["page_view", "product_view", "add_to_cart", "custom_1"]),
    "page": st.sampled_from(["/", "/p/1", "/ü?q=1"]),
    "sessionId": st.sampled_from(["v-1", "v-2", None]),
    "timestamp": st.sampled_from(["2026-03-14T12:00:00Z", "2026-03-14T12:00:00.5+01:00"]),
}
EVENT_FIELDS = [
    "eventId", "sessionId", "eventType", "page", "productId", "metadata", "timestamp",
    "sentAt", "referrer", "utm_source", "utmMedium", "utm_campaign", "customerId",
]  # fmt: skip


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    event = {name: draw(value) for name, value in VALID_EVENT.items()}
    for name in draw(st.lists(st.sampled_from(EVENT_FIELDS), max_size=4, unique=True)):
        event[name] = draw(hostile_value())
    if draw(st.booleans()):
        event["eventId"] = str(draw(st.uuids()))
    return event


ORDER = {
    "orderId": "o-1",
    "total": "10.00",
    "orderStatus": "PAID",
    "paymentStatus": "PAID",
    "createdAt": "2026-03-14T12:00:00Z",
    "customer": {"customerId": "c-1", "email": "a@example.com", "type": "GUEST"},
    "items": [{"productId": "p", "quantity": 1, "unitPrice": "10.00"}],
}
ORDER_FIELDS = [*ORDER, "orderNumber", "sessionId", "subtotal", "tax", "currency", "updatedAt"]


@st.composite
def orders(draw: st.DrawFn) -> dict[str, Any]:
    order = dict(ORDER, orderStatus=draw(st.sampled_from(["PENDING", "SHIPPED"])))
    for name in draw(st.lists(st.sampled_from(ORDER_FIELDS), max_size=3, unique=True)):
        order[name] = draw(hostile_value())
    return order


def bodies(item: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[bytes]:
    """One object, a batch (sometimes past the 500-item limit), or broken bytes."""
    as_json = st.one_of(
        item,
        st.lists(item, min_size=1, max_size=8),
        st.tuples(item, st.integers(min_value=499, max_value=502)).map(lambda t: [t[0]] * t[1]),
        json_values(),
    ).map(_dumps)
    broken = st.sampled_from(
        [b"", b"{", b"[", b"[]", b"null", b"\xff\xfe{}", b"\xef\xbb\xbf{}", b'{"a":"\xc3"}']
    ) | st.binary(max_size=64)
    return as_json | broken


def _dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:  # an int past 64 bits: Python's encoder writes it
        return json.dumps(value, default=lambda fragment: None).encode()


class Probe:
    """The collector app in-process, and what it stored."""

    def __init__(self, paths: DataPaths) -> None:
        settings = Settings(
            data_dir=paths.root,
            ingest_token=[INGEST_TOKEN],
            rate_limit_per_second=0,
            spool_segment_seconds=600,
        )
        self.paths = paths
        self.collector = Collector(settings, paths, run_lander=False)
        self.client = TestClient(create_app(self.collector), raise_server_exceptions=False)
        self.statuses: Counter[int] = Counter()
        self.accepted = 0
        self.landed = 0

    def post(self, path: str, body: bytes) -> None:
        before = self.collector.spool.stats.records_written
        response = self.client.post(path, content=body, headers=AUTH)
        stored = self.collector.spool.stats.records_written - before
        self.statuses[response.status_code] += 1
        assert response.status_code < 500, response.text
        assert MARK not in response.text and "\\u2028" not in response.text
        if response.status_code == 200:
            accepted = response.json()["accepted"]
            assert stored == 1 and accepted >= 1
            self.accepted += accepted
            self.collector.spool.seal()
            result = land_sealed_segments(self.paths)
            assert result.corrupt == [] and result.total_rows == accepted, result
            self.landed += result.total_rows
        else:
            assert 400 <= response.status_code < 500
            assert stored == 0, "a rejected body was stored"


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Probe]:
    root = tmp_path_factory.mktemp("fuzz") / "data"
    root.mkdir()
    probe = Probe(DataPaths(root.resolve()))
    with probe.client:
        yield probe


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


@FUZZ
@given(body=bodies(events()))
def test_fuzz_track_never_5xx_and_stores_all_or_nothing(probe: Probe, body: bytes) -> None:
    probe.post(TRACK, body)


@FUZZ
@given(body=bodies(orders()))
def test_fuzz_orders_never_5xx_and_stores_all_or_nothing(probe: Probe, body: bytes) -> None:
    probe.post("/api/v1/orders", body)


@FUZZ
@given(body=bodies(orders().map(lambda o: {"customerId": o["orderId"], **o, "type": "GUEST"})))
def test_fuzz_customers_never_5xx_and_stores_all_or_nothing(probe: Probe, body: bytes) -> None:
    probe.post("/api/v1/customers", body)


def test_fuzz_collector_summary(probe: Probe, figures: Figures) -> None:
    """Records the figures of the three fuzz tests above (runs after them in file order)."""
    total = sum(probe.statuses.values())
    if not total:
        pytest.skip("the fuzz tests did not run in this session")
    figures.record(
        title="Fuzzing the collector (hypothesis)",
        did=f"{total} hostile bodies to track, orders and customers: wrong types, huge and "
        "deep values, unicode, null bytes, SQL/path text, absurd dates, batches of 499–502, "
        "broken JSON and UTF-8",
        lost=f"nothing: no 5xx; {probe.accepted} accepted events/orders all landed "
        f"({probe.landed} rows); every rejected body stored nothing",
        statuses=dict(probe.statuses),
        accepted=probe.accepted,
        landed=probe.landed,
    )
    assert probe.accepted == probe.landed
