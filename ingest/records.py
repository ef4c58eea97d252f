"""Validated requests → spool records, with everything personal already removed.

A spool record is one request: the dataset's name, a JSON line of the values every
row of the request shares (arrival time, truncated address, cookieless id, opt-out,
query-string fallbacks), then one JSON row per line. Event rows keep the request's
field names; the lander applies the per-row rules column-wise (visitor id, event
time) from the shared values, which keeps the request path short. Order and customer
rows are already in the lake's shape: times as integer microseconds since the epoch
(UTC), money as decimal text.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from ingest.schemas import (
    MAX_METADATA_BYTES,
    MAX_PAGE_BYTES,
    BodyError,
    Customer,
    Order,
)
from warehouse.identity import hash_email

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_US = timedelta(microseconds=1)
MAX_EVENT_AGE_US = 7 * 24 * 3600 * 1_000_000
MAX_USER_AGENT = 512
QUERY_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")


def to_us(value: datetime | None) -> int | None:
    """Microseconds since the epoch; a time without an offset is taken as UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return (value - EPOCH) // ONE_US


@dataclass
class RequestContext:
    """What the server knows about a track request, already made privacy-safe."""

    received_us: int
    ip_prefix: str | None
    user_agent: str | None
    opted_out: bool
    cookieless_id: str | None  # computed only when some event needs it
    query: dict[str, str]  # `ref` and utm_* from the query string


def _field(index: int | None, name: str) -> str:
    return name if index is None else f"[{index}].{name}"


def _check_bytes(value: str | None, limit: int, index: int | None, name: str) -> None:
    # Characters are checked by the schema; only long strings can exceed the byte limit.
    if value is not None and len(value) * 4 > limit and len(value.encode("utf-8")) > limit:
        problem = f"must be at most {limit} bytes"
        raise BodyError([{"field": _field(index, name), "problem": problem}])


def frame_payload(kind: str, common: dict[str, Any], rows: list[bytes]) -> bytes:
    """A spool record: the dataset's name, the request's shared values (one JSON line),
    then one JSON row per line. Plain lines let the lander parse all headers and all
    rows of a segment column-wise in one go."""
    return kind.encode() + b"\n" + orjson.dumps(common) + b"\n" + b"\n".join(rows)


def events_record(events: list[dict[str, Any]], ctx: RequestContext, batch: bool) -> bytes:
    """One spool record for a track request; raises BodyError for byte-size limits.

    Rows stay in the request's shape (validated, metadata as JSON text); per-row rules
    that need the request (visitor id, query-string fallbacks, event time) are applied
    column-wise by the lander from the header, which keeps this hot path short.
    """
    dumps = orjson.dumps
    for position, event in enumerate(events):
        if event.get("eventId") is None:
            event["eventId"] = str(uuid.uuid4())
        index = position if batch else None
        _check_bytes(event.get("page"), MAX_PAGE_BYTES, index, "page")
        _check_bytes(event.get("referrer"), MAX_PAGE_BYTES, index, "referrer")
        metadata = event.get("metadata")
        if metadata is not None:
            try:
                serialized = dumps(metadata)
            except TypeError:
                problem = "must be storable JSON"
                raise BodyError(
                    [{"field": _field(index, "metadata"), "problem": problem}]
                ) from None
            if len(serialized) > MAX_METADATA_BYTES:
                problem = f"must be at most {MAX_METADATA_BYTES} bytes serialized"
                raise BodyError([{"field": _field(index, "metadata"), "problem": problem}])
            event["metadata"] = serialized.decode("utf-8")
    common = {
        "received_at": ctx.received_us,
        "ip_prefix": ctx.ip_prefix,
        "user_agent": ctx.user_agent,
        "opted_out": ctx.opted_out,
        "cookieless_id": ctx.cookieless_id,
        **{f"q_{key}": value for key, value in ctx.query.items()},
    }
    return frame_payload("events", common, [dumps(e, option=orjson.OPT_NAIVE_UTC) for e in events])


def _money(value: object) -> str | None:
    return None if value is None else str(value)


def orders_record(orders: list[Order], received_us: int, secret: str) -> bytes:
    """One spool record for an orders request; emails become keyed hashes here."""
    rows = []
    for order in orders:
        customer = order.customer
        created = to_us(order.createdAt)
        rows.append(
            {
                "order_id": order.orderId,
                "order_number": order.orderNumber,
                "visitor_id": order.sessionId,
                "customer_id": customer.customerId if customer else None,
                "email_hash": hash_email(customer.email, secret)
                if customer and customer.email
                else None,
                "customer_type": customer.type if customer else None,
                "items": [
                    {
                        "product_id": item.productId,
                        "sku": item.sku,
                        "name": item.name,
                        "quantity": item.quantity,
                        "unit_price": _money(item.unitPrice),
                    }
                    for item in order.items
                ],
                "subtotal": _money(order.subtotal),
                "tax": _money(order.tax),
                "shipping": _money(order.shipping),
                "total": _money(order.total),
                "currency": order.currency,
                "order_status": order.orderStatus,
                "payment_status": order.paymentStatus,
                "created_at": created,
                "updated_at": to_us(order.updatedAt) if order.updatedAt else created,
            }
        )
    return frame_payload("orders", {"received_at": received_us}, [orjson.dumps(r) for r in rows])


def customers_record(customers: list[Customer], received_us: int, secret: str) -> bytes:
    """One spool record for a customers request."""
    rows = [
        {
            "customer_id": customer.customerId,
            "email_hash": hash_email(customer.email, secret) if customer.email else None,
            "customer_type": customer.type,
            "updated_at": to_us(customer.updatedAt) if customer.updatedAt else received_us,
        }
        for customer in customers
    ]
    common = {"received_at": received_us}
    return frame_payload("customers", common, [orjson.dumps(r) for r in rows])


def clip_user_agent(value: str | None) -> str | None:
    return value[:MAX_USER_AGENT] if value else None
