"""Spool records → Arrow tables in the lake's raw schemas (what the lander writes).

Event rows arrive in the request's shape plus their request's shared values; the
per-row rules (visitor id, query-string fallbacks, event time) are applied here
column-wise with Arrow compute, which releases the GIL: landing a busy segment
must not hold up the collector's request handling in the same process.
"""

from __future__ import annotations

import io
import itertools
from decimal import Decimal
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from ingest.records import MAX_EVENT_AGE_US, QUERY_FIELDS
from warehouse.lake import RAW_EVENT_SCHEMA, RAW_SCHEMAS, UTC_TS

MONEY_COLUMNS = {"subtotal", "tax", "shipping", "total"}
MAX_AGE = pa.scalar(MAX_EVENT_AGE_US, pa.int64())
# Event rows as the spool holds them (the request's names; times as ISO-8601 text),
# and the values their request shares (records.events_record writes both).
EVENT_INPUT_SCHEMA = pa.schema(
    [
        (name, pa.string())
        for name in (
            "eventId", "sessionId", "eventType", "page", "productId", "metadata",
            "timestamp", "sentAt", "referrer", *QUERY_FIELDS, "customerId",
        )
    ]
)  # fmt: skip
EVENT_COMMON_SCHEMA = pa.schema(
    [
        ("received_at", pa.int64()),
        ("ip_prefix", pa.string()),
        ("user_agent", pa.string()),
        ("opted_out", pa.bool_()),
        ("cookieless_id", pa.string()),
        *[(f"q_{name}", pa.string()) for name in ("ref", *QUERY_FIELDS)],
    ]
)


def segment_tables(frames: list[bytes]) -> dict[str, pa.Table]:
    """Spool records → one Arrow table per raw dataset, in the lake's schemas.

    Only line splitting happens per record in Python; headers and rows are parsed
    column-wise (Arrow's JSON reader releases the GIL), so landing a busy segment
    does not hold up the collector's request handling.
    """
    parts: dict[bytes, tuple[list[bytes], list[int], list[bytes]]] = {}
    for frame in frames:
        kind_end = frame.find(b"\n")
        header_end = frame.find(b"\n", kind_end + 1)
        body = frame[header_end + 1 :]
        headers, counts, bodies = parts.setdefault(frame[:kind_end], ([], [], []))
        headers.append(frame[kind_end + 1 : header_end])
        counts.append(body.count(b"\n") + 1)
        bodies.append(body)
    tables = {}
    for kind_bytes, (headers, counts, bodies) in parts.items():
        kind = kind_bytes.decode()
        if kind == "events":
            tables[kind] = events_table(b"\n".join(headers), counts, b"\n".join(bodies))
        else:
            tables[kind] = _rows_table(kind, [orjson.loads(h) for h in headers], bodies)
    return tables


def _read_ndjson(data: bytes, schema: pa.Schema) -> pa.Table:
    options = pa_json.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    read = pa_json.ReadOptions(use_threads=False, block_size=max(1 << 20, len(data) + 1))
    return pa_json.read_json(io.BytesIO(data), read_options=read, parse_options=options)


def events_table(headers: bytes, counts: list[int], rows_ndjson: bytes) -> pa.Table:
    """Event rows (request shape) + their requests' shared values → RAW_EVENT_SCHEMA.

    Column-wise: visitor id (cookie id, else the cookieless id; always cookieless when
    the browser opted out), query-string fallbacks for referrer and UTM, and event time
    = received − (sentAt − timestamp), else timestamp, clamped to [received − 7 d,
    received] (DESIGN "Event time").
    """
    rows = _read_ndjson(rows_ndjson, EVENT_INPUT_SCHEMA)
    offsets = pa.array([0, *itertools.accumulate(counts)], type=pa.int32())
    # Row i belongs to request parent[i]: repeat each request's values over its rows.
    parent = pc.list_parent_indices(pa.ListArray.from_arrays(offsets, pa.nulls(rows.num_rows)))
    shared = _read_ndjson(headers, EVENT_COMMON_SCHEMA).take(parent)
    received = shared.column("received_at")
    opted_out = shared.column("opted_out")
    session = rows.column("sessionId")
    is_cookieless = pc.or_(opted_out, pc.is_null(session))
    client = pc.cast(pc.cast(rows.column("timestamp"), UTC_TS), pa.int64())
    sent = pc.cast(pc.cast(rows.column("sentAt"), UTC_TS), pa.int64())
    corrected = pc.subtract(received, pc.subtract(sent, client))  # null without sentAt
    at = pc.if_else(pc.is_null(client), received, pc.coalesce(corrected, client))
    at = pc.min_element_wise(received, pc.max_element_wise(pc.subtract(received, MAX_AGE), at))
    columns = {
        "event_id": pc.utf8_lower(rows.column("eventId")),
        "visitor_id": pc.if_else(is_cookieless, shared.column("cookieless_id"), session),
        "is_cookieless": is_cookieless,
        "event_type": rows.column("eventType"),
        "page": rows.column("page"),
        "product_id": rows.column("productId"),
        "metadata": rows.column("metadata"),
        "referrer": pc.coalesce(rows.column("referrer"), shared.column("q_ref")),
        "customer_id": pc.if_else(
            opted_out, pa.scalar(None, pa.string()), rows.column("customerId")
        ),
        "client_ts": pc.cast(client, UTC_TS),
        "sent_at": pc.cast(sent, UTC_TS),
        "received_at": pc.cast(received, UTC_TS),
        "event_at": pc.cast(at, UTC_TS),
        "ip_prefix": shared.column("ip_prefix"),
        "user_agent": shared.column("user_agent"),
    }
    for name in QUERY_FIELDS:
        columns[name] = pc.coalesce(rows.column(name), shared.column(f"q_{name}"))
    return pa.Table.from_arrays(
        [columns[field.name] for field in RAW_EVENT_SCHEMA], schema=RAW_EVENT_SCHEMA
    )


def _rows_table(kind: str, commons: list[dict[str, Any]], bodies: list[bytes]) -> pa.Table:
    """Orders and customers (low volume): rows already in the lake's shape."""
    rows = []
    for common, body in zip(commons, bodies, strict=True):
        for line in body.split(b"\n"):
            row = orjson.loads(line)
            row.update(common)
            rows.append(row)
    schema = RAW_SCHEMAS[kind]
    columns = []
    for column in schema:
        values = [row.get(column.name) for row in rows]
        if column.name in MONEY_COLUMNS:
            values = [None if v is None else Decimal(v) for v in values]
        elif column.name == "items":
            values = [_items(v) for v in values]
        columns.append(pa.array(values, type=column.type))
    return pa.Table.from_arrays(columns, schema=schema)


def _items(items: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    if items is None:
        return None
    for item in items:
        price = item.get("unit_price")
        item["unit_price"] = None if price is None else Decimal(price)
    return items
