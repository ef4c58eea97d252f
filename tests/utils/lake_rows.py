"""Raw lake rows for privacy tests: plain dicts → lake schemas → `write_partitioned`.

Missing columns are null; rows land exactly as the lander writes them (same schemas,
hive layout and file naming), one file per call and day.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa

from warehouse.lake import RAW_SCHEMAS, write_partitioned
from warehouse.paths import DataPaths

_ids = itertools.count(1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def raw_event(visitor_id: str, at: datetime, **fields: object) -> dict:
    """A page view of `visitor_id` received at `at`."""
    row: dict = {
        "event_id": f"ev-{next(_ids):06d}",
        "visitor_id": visitor_id,
        "is_cookieless": False,
        "event_type": "page_view",
        "page": "/",
        "client_ts": at,
        "received_at": at,
        "event_at": at,
        "ip_prefix": "203.0.113.0",
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0",
    }
    row.update(fields)
    return row


def raw_order(
    order_id: str,
    visitor_id: str | None,
    customer_id: str | None,
    at: datetime,
    email_hash: str | None = None,
    **fields: object,
) -> dict:
    """One PAID order row created and received at `at`."""
    row: dict = {
        "order_id": order_id,
        "order_number": f"N-{order_id}",
        "visitor_id": visitor_id,
        "customer_id": customer_id,
        "email_hash": email_hash,
        "customer_type": "REGISTERED" if customer_id else "GUEST",
        "items": [
            {
                "product_id": "p1",
                "sku": "SKU-1",
                "name": "Shirt",
                "quantity": 1,
                "unit_price": Decimal("20.00"),
            }
        ],
        "subtotal": Decimal("20.00"),
        "tax": Decimal("0.00"),
        "shipping": Decimal("0.00"),
        "total": Decimal("20.00"),
        "currency": "EUR",
        "order_status": "DELIVERED",
        "payment_status": "PAID",
        "created_at": at,
        "updated_at": at,
        "received_at": at + timedelta(seconds=1),
    }
    row.update(fields)
    return row


def raw_customer(customer_id: str, email_hash: str | None, at: datetime) -> dict:
    return {
        "customer_id": customer_id,
        "email_hash": email_hash,
        "customer_type": "REGISTERED",
        "updated_at": at,
        "received_at": at,
    }


def land(paths: DataPaths, dataset: str, rows: list[dict]) -> list[Path]:
    """Write rows of a raw dataset ("events", "orders", "customers") into the lake."""
    schema = RAW_SCHEMAS[dataset]
    table = pa.Table.from_pylist(
        [{name: row.get(name) for name in schema.names} for row in rows], schema=schema
    )
    return write_partitioned(table, paths.raw(dataset))


ALICE_EMAIL = "Alice@Example.com"


def land_people(paths: DataPaths, secret: str, at: datetime) -> dict[str, dict[str, set[str]]]:
    """Alice (a customer on three browsers, one guest order), Bob (a customer) and an
    anonymous visitor; returns each request's expected rows: dataset → row ids.

    Requests: "email"/"customer" (Alice in full), "visitor" (her laptop only).
    """
    from warehouse.identity import hash_email

    alice, bob = hash_email(ALICE_EMAIL, secret), hash_email("bob@example.com", secret)
    minute = timedelta(minutes=1)
    events = [
        raw_event("v-alice-phone", at),
        raw_event("v-alice-phone", at + minute, customer_id="cust-alice"),  # logged in
        raw_event("v-alice-laptop", at + 2 * minute),
        raw_event("v-alice-guest", at + 3 * minute),  # the browser of her guest order
        raw_event("v-bob", at + 4 * minute, customer_id="cust-bob"),
        raw_event("v-anon", at + 5 * minute),
        raw_event("v-blank", at + 6 * minute, customer_id=""),
    ]
    orders = [
        raw_order("o-alice", "v-alice-laptop", "cust-alice", at + 2 * minute, alice),
        raw_order("o-alice-guest", "v-alice-guest", None, at + 3 * minute, alice),
        raw_order("o-bob", "v-bob", "cust-bob", at + 4 * minute, bob),
        raw_order("o-blank", "v-blank", "", at + 6 * minute, ""),
    ]
    customers = [raw_customer("cust-alice", alice, at), raw_customer("cust-bob", bob, at)]
    land(paths, "events", events[:3])
    land(paths, "events", events[3:])
    land(paths, "orders", orders)
    land(paths, "customers", customers)

    def event_ids(*visitors: str) -> set[str]:
        return {row["event_id"] for row in events if row["visitor_id"] in visitors}

    alice_all = {
        "events": event_ids("v-alice-phone", "v-alice-laptop", "v-alice-guest"),
        "orders": {"o-alice", "o-alice-guest"},
        "customers": {"cust-alice"},
    }
    return {
        "email": alice_all,
        "customer": alice_all,
        "visitor": {
            "events": event_ids("v-alice-laptop"),
            "orders": {"o-alice"},
            "customers": set(),
        },
    }
