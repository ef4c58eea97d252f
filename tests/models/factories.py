"""Build lake rows for model tests and land them exactly as the pipeline does.

Rows are plain dicts (missing columns become null), turned into Arrow tables with the lake
schemas from `warehouse.lake` and written with `write_partitioned`, so dbt reads the same
hive layout, types and file names as in production.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa

from warehouse.lake import (
    ENRICHED_EVENT_SCHEMA,
    RAW_CUSTOMER_SCHEMA,
    RAW_ORDER_SCHEMA,
    write_partitioned,
)
from warehouse.paths import DataPaths

_counter = itertools.count(1)

EVENT_DEFAULTS: dict[str, object] = {
    "is_cookieless": False,
    "page": "/",
    "device_type": "desktop",
    "browser": "Chrome",
    "browser_version": "120",
    "os": "Linux",
    "os_version": None,
    "is_bot": False,
    "country_code": "DE",
    "country": "Germany",
    "region": "Berlin",
    "city": "Berlin",
    "is_internal_referrer": False,
    "user_agent": "Mozilla/5.0",
    "ip_prefix": "203.0.113.0",
}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def event(
    visitor_id: str, event_at: datetime, event_type: str = "page_view", **fields: object
) -> dict:
    """One enriched event row; received one second after it happened unless given."""
    row = dict(EVENT_DEFAULTS)
    row.update(
        event_id=f"e{next(_counter):08d}",
        visitor_id=visitor_id,
        event_type=event_type,
        event_at=event_at,
        client_ts=event_at,
        received_at=event_at + timedelta(seconds=1),
    )
    row.update(fields)
    return row


def order(
    order_id: str,
    visitor_id: str | None,
    customer_id: str | None,
    created_at: datetime,
    total: str | Decimal = "10.00",
    **fields: object,
) -> dict:
    """One order status row (PENDING/PENDING unless given), received when updated."""
    total = Decimal(total)
    row: dict = {
        "order_id": order_id,
        "order_number": f"N-{order_id}",
        "visitor_id": visitor_id,
        "customer_id": customer_id,
        "email_hash": f"hash-{customer_id}" if customer_id else None,
        "customer_type": "GUEST",
        "items": [
            {
                "product_id": "p1",
                "sku": "SKU-p1",
                "name": "Product p1",
                "quantity": 1,
                "unit_price": total,
            }
        ],
        "subtotal": total,
        "tax": Decimal("0.00"),
        "shipping": Decimal("0.00"),
        "total": total,
        "currency": "EUR",
        "order_status": "PENDING",
        "payment_status": "PENDING",
        "created_at": created_at,
        "updated_at": created_at,
    }
    row.update(fields)
    row.setdefault("received_at", row["updated_at"] + timedelta(seconds=1))
    return row


def customer(customer_id: str, customer_type: str, updated_at: datetime, **fields: object) -> dict:
    row: dict = {
        "customer_id": customer_id,
        "email_hash": f"hash-{customer_id}",
        "customer_type": customer_type,
        "updated_at": updated_at,
    }
    row.update(fields)
    row.setdefault("received_at", updated_at + timedelta(seconds=1))
    return row


def to_table(rows: Iterable[dict], schema: pa.Schema) -> pa.Table:
    rows = list(rows)
    columns = {name: [row.get(name) for row in rows] for name in schema.names}
    return pa.table(columns, schema=schema)


def land(
    paths: DataPaths,
    events: Iterable[dict] = (),
    orders: Iterable[dict] = (),
    customers: Iterable[dict] = (),
) -> list[Path]:
    """Write the rows into the data directory's lake (one new file per dataset and day)."""
    written: list[Path] = []
    for rows, schema, target in (
        (events, ENRICHED_EVENT_SCHEMA, paths.enriched_events),
        (orders, RAW_ORDER_SCHEMA, paths.raw("orders")),
        (customers, RAW_CUSTOMER_SCHEMA, paths.raw("customers")),
    ):
        table = to_table(rows, schema)
        if table.num_rows:
            written += write_partitioned(table, target)
    return written
