"""Events in over HTTP → `footfall run` → numbers out of the API, checked by hand.

Everything is real: the collector and the API are `footfall` subprocesses on 127.0.0.1,
the pipeline is the real Prefect flow (on the session's Prefect server) with dbt in a
subprocess, and the data dir is fresh.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.utils.servers import footfall_server

INGEST_TOKEN = "e2e-ingest-token"
READ_TOKEN = "e2e-read-token"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
ITEM = {"productId": "p-1", "sku": "TEE", "name": "Tee", "quantity": 2, "unitPrice": "20.00"}
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _event(visitor: str, event_type: str, at: datetime, page: str, **extra) -> dict:
    return {
        "eventId": str(uuid.uuid4()),
        "sessionId": visitor,
        "eventType": event_type,
        "page": page,
        "timestamp": _iso(at),
        **extra,
    }


def _post_events(base: str, events: list[dict], user_agent: str, ip: str) -> None:
    response = httpx.post(
        f"{base}/api/v1/analytics/track",
        json=events,
        headers={"User-Agent": user_agent, "X-Forwarded-For": ip},
        timeout=10,
    )
    assert response.status_code in (200, 202), response.text


@pytest.fixture
def env(tmp_path: Path, prefect_harness: None) -> dict[str, str]:
    import prefect.settings

    return {
        # the session's Prefect server: a bare `footfall run` would start a temporary one
        # (~30 s of CPU), which test_demo and the pipeline crash test already exercise
        "PREFECT_API_URL": prefect.settings.PREFECT_API_URL.value(),
        "FOOTFALL_DATA_DIR": str(tmp_path / "data"),
        "FOOTFALL_INGEST_TOKEN": INGEST_TOKEN,
        "FOOTFALL_API_TOKEN": READ_TOKEN,
        "FOOTFALL_SECRET": "e2e-secret-key",
        "FOOTFALL_SPOOL_SEGMENT_SECONDS": "0.5",
    }


@pytest.mark.slow
def test_report_hand_computed_day_from_events_sent_over_http(env: dict[str, str]) -> None:
    # A day that is fully in the past but within the collector's 7-day clamp window.
    day = (datetime.now(UTC) - timedelta(days=1)).date()
    base = datetime(day.year, day.month, day.day, 4, 0, tzinfo=UTC)
    minute = timedelta(minutes=1)

    with footfall_server("collect", env) as collector:
        # Visitor A: a full funnel and a purchase, then back 56 min later for one page (bounce).
        _post_events(
            collector,
            [
                _event("vis-a", "page_view", base, "/", referrer="https://www.google.com/"),
                _event("vis-a", "product_view", base + minute, "/products/tee", productId="p-1"),
                _event("vis-a", "add_to_cart", base + 2 * minute, "/products/tee", productId="p-1"),
                _event("vis-a", "checkout_started", base + 3 * minute, "/checkout"),
                _event("vis-a", "page_view", base + 60 * minute, "/blog/care"),
            ],
            CHROME,
            "81.2.69.160",
        )
        # Visitor B: two page views on a phone, no purchase (engaged, not a bounce).
        _post_events(
            collector,
            [
                _event("vis-b", "page_view", base + 5 * minute, "/"),
                _event("vis-b", "page_view", base + 6 * minute, "/category/shirts"),
            ],
            IPHONE,
            "2.125.160.216",
        )
        # A crawler: kept in the lake, excluded from every metric, counted as bot volume.
        _post_events(collector, [_event("bot-1", "page_view", base, "/")], GOOGLEBOT, "66.249.66.1")
        order = {
            "orderId": "o-1",
            "orderNumber": "ORD-1",
            "sessionId": "vis-a",
            "customer": {"customerId": "c-1", "email": "Ana@Example.com", "type": "GUEST"},
            "items": [ITEM],
            "subtotal": "40.00",
            "tax": "4.00",
            "shipping": "6.00",
            "total": "50.00",
            "currency": "EUR",
            "orderStatus": "PROCESSING",
            "paymentStatus": "PAID",
            "createdAt": _iso(base + 4 * minute),
            "updatedAt": _iso(base + 4 * minute),
        }
        response = httpx.post(
            f"{collector}/api/v1/orders",
            json=order,
            headers={"Authorization": f"Bearer {INGEST_TOKEN}"},
            timeout=10,
        )
        assert response.status_code in (200, 201, 202), response.text

    run = subprocess.run(
        [sys.executable, "-m", "warehouse.cli", "run"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]

    with footfall_server("api", env) as api:
        response = httpx.get(
            f"{api}/api/v1/dashboard/metrics",
            params={"date": day.isoformat()},
            headers={"Authorization": f"Bearer {READ_TOKEN}"},
            timeout=10,
        )
    assert response.status_code == 200, response.text
    metrics = response.json()
    # Visits: A's purchase visit, A's return 56 min later (> 30 min gap), B's visit.
    assert metrics["totalVisits"] == 3
    assert metrics["uniqueVisits"] == 2  # persons: customer c-1 (visitor A) and visitor B
    assert metrics["newUsers"] == 2
    assert metrics["existingUsers"] == 0
    assert metrics["totalPageViews"] == 4
    assert metrics["avgPageViewsPerSession"] == pytest.approx(4 / 3, abs=0.01)
    assert metrics["cartRate"] == pytest.approx(100 / 3, abs=0.01)
    assert metrics["checkoutRate"] == pytest.approx(100.0)
    assert metrics["purchaseRate"] == pytest.approx(100.0)
    assert metrics["conversionRate"] == pytest.approx(100 / 3, abs=0.01)
    assert metrics["bounceRate"] == pytest.approx(100 / 3, abs=0.01)
    assert float(metrics["totalSales"]) == pytest.approx(50.0)
    assert metrics["totalOrders"] == 1
    assert float(metrics["averageOrderValue"]) == pytest.approx(50.0)
    assert metrics["newCustomers"] == 1
    assert metrics["processingOrders"] == 1
    assert float(metrics["salesGoal"]) == pytest.approx(20000.0)
    assert metrics["salesGoalProgress"] == pytest.approx(0.25)
    # A's first visit lasts 3 minutes (page view → checkout); the others 0 s and 60 s.
    assert metrics["avgSessionDuration"] == pytest.approx((180 + 0 + 60) / 3, abs=0.01)
    assert metrics["snapshotId"]
    assert metrics["dataAsOf"]
