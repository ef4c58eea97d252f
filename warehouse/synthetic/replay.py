"""Replay simulated traffic against a running collector over HTTP.

The same simulation as `generate_lake`, but sent the way a shop sends it: browser events
as JSON batches to `/api/v1/analytics/track` with the visitor's own User-Agent and
`X-Forwarded-For` address, orders and customer changes to the server-to-server
endpoints with the ingest token. The traffic is shifted to end now and covers at most
the last 7 days, because the collector clamps older event times (DESIGN "Event time").
Each batch's `sentAt` is the real send time on the visitor's (skewed) clock, so the
collector reconstructs the original event times: a batch "held offline" until now.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import numpy as np

from warehouse.settings import get_settings
from warehouse.synthetic.traffic import DayTraffic, TrafficSimulator

MAX_REPLAY_DAYS = 7
TRACK_PATH = "/api/v1/analytics/track"
ORDERS_PATH = "/api/v1/orders"
CUSTOMERS_PATH = "/api/v1/customers"
BACKEND_USER_AGENT = "footfall-synthetic-shop/1.0 (server-to-server)"
RETRY_STATUSES = {429, 502, 503, 504}
ATTEMPTS = 3

_EVENT_FIELDS = {
    "event_id": "eventId",
    "event_type": "eventType",
    "page": "page",
    "product_id": "productId",
    "referrer": "referrer",
    "utm_source": "utm_source",
    "utm_medium": "utm_medium",
    "utm_campaign": "utm_campaign",
    "utm_term": "utm_term",
    "utm_content": "utm_content",
    "customer_id": "customerId",
}

ReplayProgress = Callable[[int, int], None]  # (requests done, requests total)


@dataclass
class Request:
    """One HTTP request to make; `sent_at_skew_us` asks for a `sentAt` stamped at send time."""

    path: str
    body: Any
    headers: dict[str, str]
    kind: str  # events | orders | customers
    items: int
    sent_at_skew_us: int | None = None


@dataclass
class ReplaySummary:
    first_date: date
    last_date: date
    requests: int = 0
    events: int = 0
    orders: int = 0
    customers: int = 0
    errors: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _iso_us(micros: int) -> str:
    return _iso(datetime.fromtimestamp(micros / 1_000_000, tz=UTC))


def event_requests(traffic: DayTraffic, batch_size: int) -> Iterator[tuple[int, Request]]:
    """Track requests, one visitor per request (UA and address are per request).

    Yields (arrival time in µs, request) so the caller can send in arrival order.
    """
    events = traffic.events.to_pydict()
    extras = traffic.event_extras.to_pydict()
    visits = np.asarray(extras["visit"])
    retries = np.asarray(extras["is_retry"])
    received = traffic.events.column("received_at").cast("int64").to_numpy()
    order = np.lexsort((received, retries, visits))
    # split where visit or retry flag changes, or a batch is full
    current: list[int] = []
    for position, row in enumerate(order.tolist()):
        current.append(row)
        following = order[position + 1] if position + 1 < len(order) else None
        same = following is not None and (
            visits[following] == visits[row] and retries[following] == retries[row]
        )
        if same and len(current) < batch_size:
            continue
        yield received[current[0]], _track_request(events, extras, current)
        current = []


def _track_request(events: dict, extras: dict, rows: list[int]) -> Request:
    first = rows[0]
    body = []
    for row in rows:
        item: dict[str, Any] = {}
        if not events["is_cookieless"][row]:
            item["sessionId"] = events["visitor_id"][row]
        for column, name in _EVENT_FIELDS.items():
            value = events[column][row]
            if value is not None:
                item[name] = value
        if events["metadata"][row] is not None:
            item["metadata"] = json.loads(events["metadata"][row])
        item["timestamp"] = _iso(events["client_ts"][row])
        body.append(item)
    has_sent_at = events["sent_at"][first] is not None
    return Request(
        path=TRACK_PATH,
        body=body,
        headers={"User-Agent": events["user_agent"][first], "X-Forwarded-For": extras["ip"][first]},
        kind="events",
        items=len(body),
        sent_at_skew_us=extras["skew_us"][first] if has_sent_at else None,
    )


def order_requests(traffic: DayTraffic, token: str) -> Iterator[tuple[int, Request]]:
    orders = traffic.orders.to_pylist()
    emails = traffic.order_extras.column("email").to_pylist()
    headers = {"Authorization": f"Bearer {token}", "User-Agent": BACKEND_USER_AGENT}
    for row, email in zip(orders, emails, strict=True):
        body: dict[str, Any] = {
            "orderId": row["order_id"],
            "orderNumber": row["order_number"],
            "customer": {
                "customerId": row["customer_id"],
                "email": email,
                "type": row["customer_type"],
            },
            "items": [
                {
                    "productId": item["product_id"],
                    "sku": item["sku"],
                    "name": item["name"],
                    "quantity": item["quantity"],
                    "unitPrice": str(item["unit_price"]),
                }
                for item in row["items"]
            ],
            "subtotal": str(row["subtotal"]),
            "tax": str(row["tax"]),
            "shipping": str(row["shipping"]),
            "total": str(row["total"]),
            "currency": row["currency"],
            "orderStatus": row["order_status"],
            "paymentStatus": row["payment_status"],
            "createdAt": _iso(row["created_at"]),
            "updatedAt": _iso(row["updated_at"]),
        }
        if row["visitor_id"] is not None:
            body["sessionId"] = row["visitor_id"]
        received = int(row["received_at"].timestamp() * 1_000_000)
        yield received, Request(ORDERS_PATH, body, headers, "orders", 1)


def customer_requests(traffic: DayTraffic, token: str) -> Iterator[tuple[int, Request]]:
    rows = traffic.customers.to_pylist()
    emails = traffic.customer_extras.column("email").to_pylist()
    headers = {"Authorization": f"Bearer {token}", "User-Agent": BACKEND_USER_AGENT}
    for row, email in zip(rows, emails, strict=True):
        body = {
            "customerId": row["customer_id"],
            "email": email,
            "type": row["customer_type"],
            "updatedAt": _iso(row["updated_at"]),
        }
        received = int(row["received_at"].timestamp() * 1_000_000)
        yield received, Request(CUSTOMERS_PATH, body, headers, "customers", 1)


def plan_requests(
    *,
    days: int,
    visitors_per_day: int,
    seed: int,
    ingest_token: str,
    batch_size: int = 50,
    now: datetime | None = None,
) -> tuple[list[Request], date, date]:
    """Every request of a replay, in the order the collector would have received them."""
    now = now or datetime.now(UTC)
    simulator = TrafficSimulator(
        days=min(days, MAX_REPLAY_DAYS),
        visitors_per_day=visitors_per_day,
        seed=seed,
        secret=get_settings().secret,
        end_date=now.astimezone(UTC).date(),
        now=now,
        with_addresses=True,
    )
    timed: list[tuple[int, int, Request]] = []
    for traffic in simulator.days():
        for source in (
            event_requests(traffic, batch_size),
            customer_requests(traffic, ingest_token),
            order_requests(traffic, ingest_token),
        ):
            timed.extend((received, len(timed), request) for received, request in source)
    timed.sort(key=lambda entry: (entry[0], entry[1]))
    return [request for _, _, request in timed], simulator.first_day, simulator.last_day


def replay_http(
    base_url: str,
    *,
    days: int,
    visitors_per_day: int,
    seed: int,
    ingest_token: str,
    concurrency: int = 8,
    batch_size: int = 50,
    timeout: float = 10.0,
    now: datetime | None = None,
    progress: ReplayProgress | None = None,
) -> ReplaySummary:
    """Send simulated traffic (≤ 7 days, ending now) to the collector at `base_url`.

    At most `concurrency` requests are in flight; 429 and 5xx gateway answers are retried
    twice with back-off. Errors are counted (and a few described), never raised.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    if not 1 <= batch_size <= 500:
        raise ValueError("batch_size must be between 1 and 500")
    started = time.perf_counter()
    requests, first, last = plan_requests(
        days=days,
        visitors_per_day=visitors_per_day,
        seed=seed,
        ingest_token=ingest_token,
        batch_size=batch_size,
        now=now,
    )
    summary = ReplaySummary(first_date=first, last_date=last)
    asyncio.run(_send_all(base_url.rstrip("/"), requests, concurrency, timeout, summary, progress))
    summary.seconds = time.perf_counter() - started
    return summary


async def _send_all(
    base_url: str,
    requests: list[Request],
    concurrency: int,
    timeout: float,
    summary: ReplaySummary,
    progress: ReplayProgress | None,
) -> None:
    queue = iter(requests)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, timeout=timeout, limits=limits) as client:

        async def worker() -> None:
            for request in queue:  # a shared iterator: each request is taken once
                status, problem = await _send(client, request)
                summary.requests += 1
                summary.statuses[status] += 1
                if 200 <= status < 300:
                    if request.kind == "events":
                        summary.events += request.items
                    elif request.kind == "orders":
                        summary.orders += 1
                    else:
                        summary.customers += 1
                else:
                    summary.errors += 1
                    if len(summary.error_samples) < 5:
                        summary.error_samples.append(f"{request.path}: {problem}")
                if progress is not None:
                    progress(summary.requests, len(requests))

        await asyncio.gather(*(worker() for _ in range(concurrency)))


async def _send(client: httpx.AsyncClient, request: Request) -> tuple[int, str]:
    """POST one request with retries; returns (status, problem) with status 0 if unreachable."""
    problem = ""
    for attempt in range(ATTEMPTS):
        body = request.body
        if request.sent_at_skew_us is not None:
            sent = datetime.now(UTC) + timedelta(microseconds=request.sent_at_skew_us)
            body = [{**item, "sentAt": _iso(sent)} for item in body]
        try:
            response = await client.post(
                request.path,
                content=json.dumps(body, separators=(",", ":")),
                headers={**request.headers, "Content-Type": "application/json"},
            )
        except httpx.TransportError as exc:
            status, problem = 0, f"{type(exc).__name__}: {exc}"
        else:
            status = response.status_code
            if status < 300:
                return status, ""
            problem = f"HTTP {status} {response.text[:200]}"
            if status not in RETRY_STATUSES:
                return status, problem
        if attempt + 1 < ATTEMPTS:
            await asyncio.sleep(min(5.0, 0.5 * 2**attempt))
    return status, problem
