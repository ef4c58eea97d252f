"""Hypothesis strategies for small, nasty shop traffic.

A draw is a few independent "worlds" (id-prefixed so they never share a visitor, customer
or order), each a handful of visitors whose events are spaced by gaps chosen around the
30-minute cut (29:59.999999, 30:00, 30:00.000001), often across midnight in some time
zone, with duplicates (resent copies, sometimes with a corrected time), late arrivals,
bots, identified events, visitors sharing a customer (multi-device), blank strings, and
orders whose status changes arrive as new rows at times near the visits' edges.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import strategies as st

from tests.models.factories import customer, event, order

TIMEZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kathmandu", "Pacific/Apia"]

BASE = datetime(2024, 3, 9, 22, 0, tzinfo=UTC)  # a Saturday night; US DST starts on the 10th
GAPS = [
    timedelta(0),
    timedelta(microseconds=1),
    timedelta(seconds=9, microseconds=999_999),
    timedelta(seconds=10),
    timedelta(minutes=5),
    timedelta(minutes=29, seconds=59, microseconds=999_999),
    timedelta(minutes=30),
    timedelta(minutes=30, microseconds=1),
    timedelta(minutes=45),
    timedelta(hours=3),
    timedelta(hours=23, minutes=50),
    timedelta(days=6),
]
EVENT_TYPES = ["page_view", "product_view", "add_to_cart", "checkout_started", "scroll"]
SHOPPING_PATH = ["page_view", "product_view", "add_to_cart", "checkout_started", "page_view"]
PAGES = ["/", "/a", "/b", "  ", None]
PRODUCTS = ["p1", "p2", None]
REFERRERS = [
    (None, False),
    ("google.com", False),
    ("news.google.co.uk", False),
    ("l.facebook.com", False),
    ("blog.example.org", False),
    ("shop.example", True),
]
UTMS = [
    (None, None, None),
    ("newsletter", "email", "spring"),
    ("google", "cpc", "brand"),
    ("facebook", "paid_social", None),
    (None, "organic", None),
    ("partner", None, None),
    ("", " ", None),
]
DEVICES = [("desktop", "Chrome", "Linux"), ("mobile", "Safari", "iOS"), ("tablet", None, None)]
PLACES = [("Germany", "Berlin"), ("Nepal", "Kathmandu"), (None, None)]
ORDER_OFFSETS = [
    timedelta(minutes=-31),
    timedelta(seconds=-1),
    timedelta(0),
    timedelta(minutes=29),
    timedelta(minutes=30),
    timedelta(minutes=30, microseconds=1),
    timedelta(hours=5),
]
STATUS_STEPS = [
    ("PENDING", "PENDING"),
    ("PROCESSING", "PAID"),
    ("SHIPPED", "PAID"),
    ("DELIVERED", "PAID"),
    ("CANCELED", "REFUNDED"),
    ("CANCELED", "PENDING"),
]


@st.composite
def visitor_events(draw: st.DrawFn, visitor_id: str, customers: list[str]) -> list[dict]:
    start = (
        BASE
        + draw(st.sampled_from(GAPS[:9]))
        + timedelta(
            hours=draw(st.integers(-30, 30)), minutes=draw(st.sampled_from([0, 15, 44, 59]))
        )
    )
    device = draw(st.sampled_from(DEVICES))
    place = draw(st.sampled_from(PLACES))
    is_bot = draw(st.integers(0, 9)) == 0
    rows = []
    at = start
    shopper = draw(st.integers(0, 3)) == 0
    for index in range(draw(st.integers(1, 7))):
        at += draw(st.sampled_from(GAPS[:5] if shopper else GAPS))
        kind = (
            SHOPPING_PATH[index % len(SHOPPING_PATH)]
            if shopper
            else draw(st.sampled_from(EVENT_TYPES))
        )
        referrer_host, internal = draw(st.sampled_from(REFERRERS))
        utm_source, utm_medium, utm_campaign = draw(st.sampled_from(UTMS))
        identified = customers and draw(st.integers(0, 5)) == 0
        delay = draw(st.sampled_from([timedelta(seconds=1), timedelta(hours=2), timedelta(days=3)]))
        rows.append(
            event(
                visitor_id,
                at,
                kind,
                page=draw(st.sampled_from(PAGES)),
                product_id=draw(st.sampled_from(PRODUCTS)),
                referrer=f"https://{referrer_host}/x" if referrer_host else None,
                referrer_host=referrer_host,
                is_internal_referrer=internal,
                utm_source=utm_source,
                utm_medium=utm_medium,
                utm_campaign=utm_campaign,
                device_type=device[0],
                browser=device[1],
                os=device[2],
                country=place[0],
                city=place[1],
                is_bot=is_bot,
                customer_id=draw(st.sampled_from(customers)) if identified else None,
                received_at=at + delay,
            )
        )
    for original in list(rows):
        if draw(st.integers(0, 6)) == 0:
            shift = draw(
                st.sampled_from([timedelta(0), timedelta(minutes=-40), timedelta(hours=1)])
            )
            rows.append(
                dict(
                    original,
                    event_at=original["event_at"] + shift,
                    received_at=original["received_at"]
                    + draw(
                        st.sampled_from([timedelta(seconds=-1), timedelta(0), timedelta(days=1)])
                    ),
                )
            )
    return rows


@st.composite
def world(draw: st.DrawFn, prefix: str) -> tuple[list[dict], list[dict], list[dict]]:
    customers = [f"{prefix}c{i}" for i in range(draw(st.integers(0, 2)))]
    visitors = [f"{prefix}v{i}" for i in range(draw(st.integers(1, 4)))]
    events: list[dict] = []
    for visitor_id in visitors:
        events += draw(visitor_events(visitor_id, customers))
    orders: list[dict] = []
    for number in range(draw(st.integers(0, 3))):
        anchor = draw(st.sampled_from(events))
        visitor_id = draw(st.sampled_from([anchor["visitor_id"], None]))
        customer_id = draw(st.sampled_from(customers)) if customers else None
        created = anchor["event_at"] + draw(st.sampled_from(ORDER_OFFSETS))
        total = Decimal(draw(st.integers(1, 50_000))) / 100
        items = [
            {
                "product_id": draw(st.sampled_from(["p1", "p2"])),
                "sku": "sku",
                "name": "name",
                "quantity": draw(st.integers(1, 3)),
                "unit_price": total,
            }
        ]
        updated = created
        for step in range(draw(st.integers(1, 3))):
            status, payment = draw(st.sampled_from(STATUS_STEPS))
            updated += (
                draw(st.sampled_from([timedelta(0), timedelta(hours=1)])) if step else timedelta(0)
            )
            orders.append(
                order(
                    f"{prefix}o{number}",
                    visitor_id,
                    customer_id,
                    created,
                    total,
                    items=items,
                    order_status=status,
                    payment_status=payment,
                    customer_type=draw(st.sampled_from(["GUEST", "REGISTERED"])),
                    updated_at=updated,
                    received_at=updated
                    + draw(st.sampled_from([timedelta(seconds=1), timedelta(days=2)])),
                )
            )
    records = [
        customer(c, draw(st.sampled_from(["GUEST", "REGISTERED"])), BASE + timedelta(hours=i))
        for i, c in enumerate(customers)
        if draw(st.booleans())
    ]
    return events, orders, records


@st.composite
def traffic(draw: st.DrawFn, max_worlds: int = 4) -> tuple[list[dict], list[dict], list[dict]]:
    """(events, orders, customers) of 1..max_worlds worlds; each dataset has >= 1 row."""
    events: list[dict] = []
    orders: list[dict] = []
    customers: list[dict] = []
    for index in range(draw(st.integers(1, max_worlds))):
        more = draw(world(f"w{index}"))
        events += more[0]
        orders += more[1]
        customers += more[2]
    # the compiled SQL reads every dataset, so each needs a file: add a lone far-away row
    if not orders:
        orders.append(order("lone-order", None, None, BASE + timedelta(days=20), Decimal("1.00")))
    if not customers:
        customers.append(customer("lone-customer", "GUEST", BASE))
    return events, orders, customers
