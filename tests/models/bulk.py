"""Vectorised bulk traffic for timing the dbt build (millions of events in seconds).

Not realistic in detail, only in shape: visitors with a few visits of a few events over a
range of days, some bots, a few percent of visits ordering, status updates, one file per
day and dataset. Used by the performance test and by hand:

    .venv/bin/python -m tests.models.bulk /tmp/ffbench 2000000 [days] [start-day-offset]
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa

from warehouse.lake import ENRICHED_EVENT_SCHEMA, RAW_ORDER_SCHEMA, write_partitioned
from warehouse.paths import DataPaths

EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
US_PER_DAY = 86_400_000_000
EVENT_TYPES = np.array(["page_view", "product_view", "add_to_cart", "checkout_started", "scroll"])
EVENT_P = [0.55, 0.25, 0.1, 0.04, 0.06]
DEVICES = np.array(["desktop", "mobile", "tablet"])
BROWSERS = np.array(["Chrome", "Firefox", "Safari", "Edge"])
OSES = np.array(["Windows", "Mac OS X", "Linux", "Android", "iOS"])
CITIES = np.array(["Berlin", "Paris", "Madrid", "Rome", "Vienna", "Lisbon", "Warsaw", "Prague"])
COUNTRIES = np.array(
    ["Germany", "France", "Spain", "Italy", "Austria", "Portugal", "Poland", "Czechia"]
)
REFERRERS = np.array(
    [None, None, None, "google.com", "bing.com", "facebook.com", "blog.example.org"]
)
UTM_SOURCES = np.array([None, None, None, None, "newsletter", "google", "facebook"])
UTM_MEDIUMS = np.array([None, None, None, None, "email", "cpc", "social"])


def bulk_traffic(
    paths: DataPaths, n_events: int, days: int = 30, first_day: int = 0, seed: int = 7
) -> tuple[int, int]:
    """Land about `n_events` events (and their orders) on `days` days; returns (events, orders)."""
    rng = np.random.default_rng(seed + first_day)
    n_visits = n_events // 5
    n_visitors = max(1, n_visits // 2)
    visit_visitor = rng.integers(0, n_visitors, n_visits)
    # a visitor returns within days of its first visit, as real (cookie) visitors do
    visitor_base = rng.integers(0, days * US_PER_DAY, n_visitors)
    returning = rng.exponential(US_PER_DAY, n_visits).astype(np.int64)
    first_visit = np.zeros(n_visits, dtype=bool)
    first_visit[np.unique(visit_visitor, return_index=True)[1]] = True
    returning[first_visit] = 0
    visit_start = first_day * US_PER_DAY + np.minimum(
        visitor_base[visit_visitor] + returning, days * US_PER_DAY - 1
    )
    per_visit = rng.poisson(4, n_visits) + 1
    event_visit = np.repeat(np.arange(n_visits), per_visit)
    n = len(event_visit)
    step = rng.exponential(60_000_000, n).astype(np.int64)
    cumulative = np.cumsum(step)
    first_index = np.cumsum(per_visit) - per_visit
    offsets = cumulative - np.repeat(cumulative[first_index], per_visit)
    event_us = visit_start[event_visit] + offsets
    received_us = event_us + rng.integers(100_000, 3_000_000, n)
    visitor = visit_visitor[event_visit]
    visitor_ids = np.char.add(f"b{first_day}-v", visitor.astype(str))
    bots = (visitor % 97) == 0
    attr = rng.integers(0, 1 << 30, n_visitors)[visitor]
    ref_pick = REFERRERS[(attr + event_visit) % len(REFERRERS)]
    utm_pick = (attr // 7 + event_visit) % len(UTM_SOURCES)
    ts = pa.timestamp("us", tz="UTC")
    base = EPOCH.timestamp() * 1_000_000
    columns = {
        "event_id": np.char.add(f"b{first_day}-e", np.arange(n).astype(str)),
        "visitor_id": visitor_ids,
        "is_cookieless": np.zeros(n, dtype=bool),
        "event_type": rng.choice(EVENT_TYPES, n, p=EVENT_P),
        "page": np.char.add("/p/", (rng.integers(0, 200, n)).astype(str)),
        "product_id": np.char.add("prod-", (rng.integers(0, 500, n)).astype(str)),
        "referrer_host": ref_pick,
        "utm_source": UTM_SOURCES[utm_pick],
        "utm_medium": UTM_MEDIUMS[utm_pick],
        "event_at": pa.array((event_us + base).astype("int64"), ts),
        "client_ts": pa.array((event_us + base).astype("int64"), ts),
        "received_at": pa.array((received_us + base).astype("int64"), ts),
        "device_type": DEVICES[attr % 3],
        "browser": BROWSERS[attr % 4],
        "os": OSES[attr % 5],
        "is_bot": bots,
        "country": COUNTRIES[attr % 8],
        "city": CITIES[attr % 8],
        "is_internal_referrer": np.zeros(n, dtype=bool),
    }
    arrays = []
    for name in ENRICHED_EVENT_SCHEMA.names:
        field = ENRICHED_EVENT_SCHEMA.field(name)
        if name in columns:
            value = columns[name]
            arrays.append(value if isinstance(value, pa.Array) else pa.array(value, field.type))
        else:
            arrays.append(pa.nulls(n, field.type))
    events = pa.Table.from_arrays(arrays, schema=ENRICHED_EVENT_SCHEMA)
    write_partitioned(events, paths.enriched_events)
    orders = _orders(rng, visit_visitor, visit_start, first_day, base)
    write_partitioned(orders, paths.raw("orders"))
    return n, orders.num_rows


def _orders(
    rng: np.random.Generator,
    visit_visitor: np.ndarray,
    visit_start: np.ndarray,
    day: int,
    base: float,
) -> pa.Table:
    ordering = np.flatnonzero(rng.random(len(visit_visitor)) < 0.03)
    rows = []
    for i in ordering.tolist():
        created = int(visit_start[i] + 120_000_000 + base)
        total = Decimal(int(rng.integers(500, 20000))) / 100
        for step, (status, payment) in enumerate([("PENDING", "PENDING"), ("PROCESSING", "PAID")]):
            if step and rng.random() < 0.2:
                break
            updated = created + step * 3_600_000_000
            rows.append(
                {
                    "order_id": f"b{day}-o{i}",
                    "order_number": f"N{i}",
                    "visitor_id": f"b{day}-v{visit_visitor[i]}",
                    "customer_id": f"b{day}-c{visit_visitor[i] % 5000}",
                    "customer_type": "GUEST",
                    "items": [
                        {
                            "product_id": f"prod-{i % 500}",
                            "sku": "s",
                            "name": "n",
                            "quantity": 1,
                            "unit_price": total,
                        }
                    ],
                    "subtotal": total,
                    "tax": Decimal("0.00"),
                    "shipping": Decimal("0.00"),
                    "total": total,
                    "currency": "EUR",
                    "order_status": status,
                    "payment_status": payment,
                    "created_at": created,
                    "updated_at": updated,
                    "received_at": updated + 1_000_000,
                }
            )
    columns = {name: [row.get(name) for row in rows] for name in RAW_ORDER_SCHEMA.names}
    return pa.table(columns, schema=RAW_ORDER_SCHEMA)


if __name__ == "__main__":
    root, count = Path(sys.argv[1]), int(sys.argv[2])
    n_days = int(sys.argv[3]) if len(sys.argv) > 3 else 30
    start = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    landed = bulk_traffic(DataPaths(root), count, n_days, start)
    sys.stderr.write(f"landed {landed[0]} events and {landed[1]} order rows\n")
