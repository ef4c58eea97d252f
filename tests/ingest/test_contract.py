"""Contract tests: every field and limit of the collector's endpoints, as a table.

Each row is (body, expected status, field named in the error). Invalid values carry a
marker string, and no response may contain it: errors name fields, never echo input.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from tests.ingest.conftest import land_now, read_raw
from warehouse.paths import DataPaths

TRACK = "/api/v1/analytics/track"
MARK = "ECHO<script>"
UUID = "6f1e0e4a-4a0e-4a49-9f5f-2b6f0a0a0a0a"
TOKEN = {"Authorization": "Bearer dev-ingest-token"}


def event(**fields: Any) -> dict[str, Any]:
    return {"eventType": "page_view", "page": "/", **fields}


TRACK_CASES = [
    # (id, body, status, field)
    ("minimal", event(), 200, None),
    ("all-fields", event(
        eventId=UUID, sessionId="v-1", productId="p-1", metadata={"a": [1, {"b": None}]},
        timestamp="2026-01-01T10:00:00Z", sentAt="2026-01-01T10:00:01+01:00",
        referrer="https://www.google.com/", utm_source="g", utm_medium="cpc",
        utm_campaign="c", utm_term="t", utm_content="x", customerId="c-1",
    ), 200, None),
    ("camel-utm", event(utmSource="news", utmMedium="email"), 200, None),
    ("unknown-field-ignored", event(somethingNew=MARK), 200, None),
    ("null-optionals", event(sessionId=None, metadata=None, timestamp=None), 200, None),
    ("custom-type", {"eventType": "wishlist_add_2"}, 200, None),
    ("type-64-chars", {"eventType": "a" * 64}, 200, None),
    ("missing-type", {"page": MARK}, 422, "eventType"),
    ("type-upper", event(eventType="Page" + MARK), 422, "eventType"),
    ("type-digit-first", event(eventType="1abc"), 422, "eventType"),
    ("type-dash", event(eventType="page-view"), 422, "eventType"),
    ("type-65-chars", event(eventType="a" * 65), 422, "eventType"),
    ("type-not-string", event(eventType=5), 422, "eventType"),
    ("event-id-not-uuid", event(eventId=MARK), 422, "eventId"),
    ("session-empty", event(sessionId=""), 422, "sessionId"),
    ("session-129", event(sessionId="s" * 129), 422, "sessionId"),
    ("page-2048", event(page="/" * 2048), 200, None),
    ("page-2049", event(page="/" + MARK * 200), 422, "page"),
    ("page-2048-bytes-utf8", event(page="é" * 1024), 200, None),
    ("page-over-2048-bytes-utf8", event(page="é" * 1025), 422, "page"),
    ("referrer-2049", event(referrer="r" * 2049), 422, "referrer"),
    ("product-empty", event(productId=""), 422, "productId"),
    ("product-257", event(productId="p" * 257), 422, "productId"),
    ("customer-257", event(customerId="c" * 257), 422, "customerId"),
    ("utm-257", event(utm_source="u" * 257), 422, "utm_source"),
    ("utm-not-string", event(utm_campaign=["x"]), 422, "utm_campaign"),
    ("metadata-array", event(metadata=[MARK]), 422, "metadata"),
    ("metadata-string", event(metadata=MARK), 422, "metadata"),
    ("metadata-8k", event(metadata={"k": "m" * (8192 - 8)}), 200, None),
    ("metadata-over-8k", event(metadata={"k": "m" * (8192 - 7)}), 422, "metadata"),
    ("timestamp-bad", event(timestamp=MARK), 422, "timestamp"),
    ("timestamp-bad-month", event(timestamp="2026-13-01T00:00:00Z"), 422, "timestamp"),
    ("sent-at-bad", event(sentAt="yesterday"), 422, "sentAt"),
    ("batch-field", [event(), event(eventType=MARK)], 422, "[1].eventType"),
    ("batch-item-not-object", [event(), MARK], 422, "[1]"),
    ("batch-empty", [], 422, "body"),
    ("body-not-object", MARK, 422, "body"),
]  # fmt: skip


@pytest.mark.parametrize("hot_path", [True, False], ids=["hot-path", "fastapi-route"])
@pytest.mark.parametrize(
    ("body", "status", "field"), [case[1:] for case in TRACK_CASES], ids=[c[0] for c in TRACK_CASES]
)
def test_post_track_fields(
    make_client: Any, body: Any, status: int, field: str | None, hot_path: bool
) -> None:
    client = make_client(hot_path=hot_path)
    response = client.post(TRACK, content=orjson.dumps(body))
    assert response.status_code == status, response.text
    assert MARK not in response.text
    if field is None:
        accepted = len(body) if isinstance(body, list) else 1
        assert response.json() == {"success": True, "accepted": accepted}
    else:
        assert field in [problem["field"] for problem in response.json()["fields"]]


@pytest.mark.parametrize(
    ("raw", "field"),
    [(b"{not json", "body"), (b"", "body"), (b'{"eventType": "a"', "body"), (b"\xff\xfe", "body")],
)
def test_post_track_rejects_broken_json(client: TestClient, raw: bytes, field: str) -> None:
    response = client.post(TRACK, content=raw)
    assert response.status_code == 422
    assert response.json()["fields"][0]["field"] == field


@pytest.mark.parametrize(
    ("env", "body", "status"),
    [
        ({"FOOTFALL_MAX_BATCH_EVENTS": "3"}, [event()] * 3, 200),
        ({"FOOTFALL_MAX_BATCH_EVENTS": "3"}, [event()] * 4, 413),
        ({"FOOTFALL_MAX_BODY_BYTES": "2048"}, event(page="/" + "x" * 1900), 200),
        ({"FOOTFALL_MAX_BODY_BYTES": "2048"}, [event(page="/" + "x" * 1000)] * 2, 413),
    ],
    ids=["batch-at-limit", "batch-over-limit", "body-under-limit", "body-over-limit"],
)
def test_post_track_enforces_size_limits(
    make_client: Any, env: dict[str, str], body: Any, status: int
) -> None:
    client = make_client(env)
    response = client.post(TRACK, content=orjson.dumps(body))
    assert response.status_code == status, response.text


def test_post_track_rejects_oversized_chunked_body(make_client: Any) -> None:
    client = make_client({"FOOTFALL_MAX_BODY_BYTES": "2048"})

    def chunks() -> Any:  # no Content-Length: the limit must hold while streaming
        yield b'[{"eventType":"page_view","page":"'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}]'

    response = client.post(TRACK, content=chunks())
    assert response.status_code == 413


def test_post_track_stores_nothing_for_rejected_batch(
    client: TestClient, data_dir: DataPaths
) -> None:
    ok = client.post(TRACK, content=orjson.dumps([event(eventId=UUID)]))
    bad = client.post(TRACK, content=orjson.dumps([event(), event(eventType="BAD")]))
    assert (ok.status_code, bad.status_code) == (200, 422)
    land_now(client, data_dir)
    assert [row["event_id"] for row in read_raw(data_dir, "events")] == [UUID]


ORDER = {
    "orderId": "o-1", "orderNumber": "ORD-1", "sessionId": "v-1",
    "customer": {"customerId": "c-1", "email": "Ann@Example.com", "type": "GUEST"},
    "items": [{"productId": "p-1", "sku": "S1", "name": "Shirt", "quantity": 2, "unitPrice": 9.99}],
    "subtotal": "19.98", "tax": 2.0, "shipping": 5, "total": "26.98", "currency": "EUR",
    "orderStatus": "PENDING", "paymentStatus": "PAID",
    "createdAt": "2026-01-01T10:00:00Z", "updatedAt": "2026-01-01T10:05:00Z",
}  # fmt: skip


def order(**fields: Any) -> dict[str, Any]:
    return {**ORDER, **fields}


ORDER_CASES = [
    ("full", order(), 200, None),
    ("minimal", {k: ORDER[k] for k in ("orderId", "total", "orderStatus", "paymentStatus",
                                       "createdAt")}, 200, None),
    ("batch", [order(), order(orderStatus="SHIPPED")], 200, None),
    ("missing-id", {k: v for k, v in ORDER.items() if k != "orderId"}, 422, "orderId"),
    ("missing-created", {k: v for k, v in ORDER.items() if k != "createdAt"}, 422, "createdAt"),
    ("money-3-places", order(total="1.999"), 422, "total"),
    ("money-not-number", order(total=MARK), 422, "total"),
    ("money-too-many-digits", order(total="1" * 17 + ".00"), 422, "total"),
    ("status-unknown", order(orderStatus=MARK), 422, "orderStatus"),
    ("payment-unknown", order(paymentStatus="VOID"), 422, "paymentStatus"),
    ("currency-lower", order(currency="eur"), 422, "currency"),
    ("customer-type", order(customer={"type": MARK}), 422, "customer.type"),
    ("email-no-at", order(customer={"email": MARK.replace("<", "")}), 422, "customer.email"),
    ("item-quantity-negative", order(items=[{**ORDER["items"][0], "quantity": -1}]), 422,
     "items[0].quantity"),
    ("item-price-missing", order(items=[{"productId": "p", "quantity": 1}]), 422,
     "items[0].unitPrice"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "status", "field"), [case[1:] for case in ORDER_CASES], ids=[c[0] for c in ORDER_CASES]
)
def test_post_orders_fields(client: TestClient, body: Any, status: int, field: str | None) -> None:
    response = client.post("/api/v1/orders", content=orjson.dumps(body), headers=TOKEN)
    assert response.status_code == status, response.text
    assert MARK not in response.text
    if field is not None:
        assert field in [problem["field"] for problem in response.json()["fields"]]


CUSTOMER_CASES = [
    ("registered", {"customerId": "c-1", "type": "REGISTERED", "email": "a@b.c"}, 200, None),
    ("with-time", {"customerId": "c-1", "type": "GUEST", "updatedAt": "2026-01-01T00:00:00"},
     200, None),
    ("missing-type", {"customerId": "c-1"}, 422, "type"),
    ("bad-type", {"customerId": "c-1", "type": MARK}, 422, "type"),
    ("missing-id", {"type": "GUEST"}, 422, "customerId"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [case[1:] for case in CUSTOMER_CASES],
    ids=[c[0] for c in CUSTOMER_CASES],
)
def test_post_customers_fields(
    client: TestClient, body: Any, status: int, field: str | None
) -> None:
    response = client.post("/api/v1/customers", content=orjson.dumps(body), headers=TOKEN)
    assert response.status_code == status, response.text
    assert MARK not in response.text
    if field is not None:
        assert field in [problem["field"] for problem in response.json()["fields"]]


@pytest.mark.parametrize(
    ("header", "status"),
    [
        (None, 401),
        ("Bearer wrong-token-value", 401),
        ("Basic dev-ingest-token", 401),
        ("Bearer ", 401),
        ("Bearer dev-ingest-token", 200),
        ("bearer second-token-rotated", 200),
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/orders", "/api/v1/customers"])
def test_post_server_endpoints_require_token(
    make_client: Any, path: str, header: str | None, status: int
) -> None:
    client = make_client({"FOOTFALL_INGEST_TOKEN": "dev-ingest-token,second-token-rotated"})
    body = order() if path.endswith("orders") else {"customerId": "c", "type": "GUEST"}
    headers = {"Authorization": header} if header is not None else {}
    response = client.post(path, content=orjson.dumps(body), headers=headers)
    assert response.status_code == status


def test_post_orders_lands_hashed_email_and_decimals(
    client: TestClient, data_dir: DataPaths
) -> None:
    from decimal import Decimal

    from warehouse.identity import hash_email

    assert client.post("/api/v1/orders", content=orjson.dumps(order()), headers=TOKEN).is_success
    land_now(client, data_dir)
    [row] = read_raw(data_dir, "orders")
    assert row["email_hash"] == hash_email("ann@example.com", "dev-secret-change-me")
    assert "Ann@Example.com" not in str(row)
    assert (row["total"], row["tax"], row["shipping"]) == (
        Decimal("26.98"),
        Decimal("2.00"),
        Decimal("5.00"),
    )
    assert row["items"][0]["unit_price"] == Decimal("9.99")
    assert (row["order_id"], row["visitor_id"], row["customer_type"]) == ("o-1", "v-1", "GUEST")
    assert row["updated_at"] > row["created_at"]
