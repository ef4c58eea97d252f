"""`replay_http`: simulated traffic sent to a collector, checked against the request contract.

The receiving side is a small recording FastAPI app under uvicorn on 127.0.0.1 (a test
double for the collector); bodies are validated with the collector's own request models.
"""

from __future__ import annotations

import ipaddress
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter

from ingest.schemas import Customer, Order, TrackEvent
from tests.utils.servers import serve_in_thread
from warehouse.synthetic import replay_http
from warehouse.synthetic.agents import AGENTS
from warehouse.synthetic.replay import plan_requests

TOKEN = "test-ingest-token"
TRACK_BATCH = TypeAdapter(list[TrackEvent])


class Recorder:
    """What the double received: (path, headers, JSON body, arrival time) per request."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[tuple[str, dict[str, str], Any, datetime]] = []

    def of(self, path: str) -> list[tuple[dict[str, str], Any, datetime]]:
        return [(h, b, t) for p, h, b, t in self.requests if p == path]


def recording_collector(recorder: Recorder, statuses: dict[str, int] | None = None) -> FastAPI:
    """Accepts everything (or answers `statuses[path]`), remembering each request."""
    statuses = statuses or {}
    app = FastAPI()

    @app.get("/healthz")
    async def read_health() -> dict[str, str]:
        return {"status": "ok"}

    async def record(request: Request) -> JSONResponse:
        body = await request.json()
        with recorder.lock:
            recorder.requests.append(
                (request.url.path, dict(request.headers), body, datetime.now(UTC))
            )
        status = statuses.get(request.url.path, 200)
        server_to_server = request.url.path != "/api/v1/analytics/track"
        if server_to_server and request.headers.get("authorization") != f"Bearer {TOKEN}":
            status = 401
        return JSONResponse({"accepted": len(body) if isinstance(body, list) else 1}, status)

    for path in ("/api/v1/analytics/track", "/api/v1/orders", "/api/v1/customers"):
        app.post(path)(record)
    return app


@pytest.fixture(scope="module")
def replayed() -> tuple[Recorder, Any, datetime]:
    recorder = Recorder()
    now = datetime.now(UTC)
    with serve_in_thread(recording_collector(recorder)) as base_url:
        summary = replay_http(
            base_url,
            days=3,
            visitors_per_day=40,
            seed=9,
            ingest_token=TOKEN,
            concurrency=4,
            now=now,
        )
    return recorder, summary, now


def test_replay_http_sends_every_planned_request(replayed: tuple[Recorder, Any, datetime]) -> None:
    recorder, summary, now = replayed
    planned, _, _ = plan_requests(days=3, visitors_per_day=40, seed=9, ingest_token=TOKEN, now=now)
    kinds = Counter(request.kind for request in planned)
    assert summary.errors == 0, summary.error_samples
    assert summary.requests == len(planned) == len(recorder.requests)
    assert summary.events == sum(len(b) for _, b, _ in recorder.of("/api/v1/analytics/track"))
    assert summary.events == sum(r.items for r in planned if r.kind == "events")
    assert summary.orders == kinds["orders"] > 0
    assert summary.customers == kinds["customers"] > 0


def test_replay_http_track_bodies_follow_the_contract(
    replayed: tuple[Recorder, Any, datetime],
) -> None:
    recorder, _, now = replayed
    known_agents = {agent.ua for agent in AGENTS}
    with_cookie = without_cookie = 0
    for headers, body, arrived in recorder.of("/api/v1/analytics/track"):
        TRACK_BATCH.validate_python(body)
        assert 1 <= len(body) <= 50
        assert headers["user-agent"] in known_agents
        assert ipaddress.ip_address(headers["x-forwarded-for"]).is_global
        assert len({event.get("sessionId") for event in body}) == 1  # one visitor per request
        for event in body:
            if "sessionId" in event:
                with_cookie += 1
            else:
                without_cookie += 1
            assert "eventId" in event and "eventType" in event and "timestamp" in event
            assert not (set(event) & {"event_id", "visitor_id", "sent_at", "received_at"})
            if "sentAt" in event:
                # What the collector will compute: received − (sentAt − timestamp).
                offset = _parse(event["sentAt"]) - _parse(event["timestamp"])
                event_at = arrived - offset
                assert now - timedelta(days=7) <= event_at <= arrived
    assert with_cookie > 0 and without_cookie > 0


def test_replay_http_order_bodies_follow_the_contract(
    replayed: tuple[Recorder, Any, datetime],
) -> None:
    recorder, _, now = replayed
    statuses: dict[str, set[str]] = {}
    for headers, body, _ in recorder.of("/api/v1/orders"):
        order = Order.model_validate(body)
        assert headers["authorization"] == f"Bearer {TOKEN}"
        assert order.customer is not None and "@" in (order.customer.email or "")
        assert order.subtotal + order.tax + order.shipping == order.total
        assert sum(i.quantity * i.unitPrice for i in order.items) == order.subtotal
        assert isinstance(body["total"], str) and Decimal(body["total"]) == order.total
        assert order.createdAt <= order.updatedAt <= now
        statuses.setdefault(order.orderId, set()).add(order.orderStatus)
    assert any(len(seen) > 1 for seen in statuses.values())


def test_replay_http_customer_bodies_follow_the_contract(
    replayed: tuple[Recorder, Any, datetime],
) -> None:
    recorder, _, _ = replayed
    received = recorder.of("/api/v1/customers")
    assert received
    for headers, body, _ in received:
        customer = Customer.model_validate(body)
        assert headers["authorization"] == f"Bearer {TOKEN}"
        assert customer.email and "@" in customer.email
        assert set(body) == {"customerId", "email", "type", "updatedAt"}


def test_replay_http_counts_rejections_instead_of_raising() -> None:
    recorder = Recorder()
    app = recording_collector(recorder, {"/api/v1/orders": 503, "/api/v1/customers": 422})
    with serve_in_thread(app) as base_url:
        summary = replay_http(
            base_url, days=2, visitors_per_day=80, seed=4, ingest_token=TOKEN, concurrency=8
        )
    orders = len(recorder.of("/api/v1/orders"))
    customers = len(recorder.of("/api/v1/customers"))
    assert summary.errors == orders // 3 + customers > 0
    assert summary.statuses[503] == orders // 3  # 503 is retried twice, 422 is not
    assert summary.events > 0 and summary.orders == 0
    assert summary.error_samples


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
