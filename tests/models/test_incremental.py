"""An incremental `dbt build` gives exactly what a full refresh gives on the same lake.

Data directory A is built in full, then receives late and new data (events before a
visitor's first event, a visit extended across the old boundary, a file landing late in an
older partition, resent duplicates, an event id reused by another visitor, a visitor
turning out to be a bot, a late add_to_cart raising an old visit's funnel step, new
orders and status changes for old visits, a new customer link, two browsers of one day
linked to one customer) and is built incrementally; data
directory B gets everything at once and a full build. Every mart must match row by row.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.models.factories import customer, event, land, order, utc
from tests.utils.marts import mart_rows
from warehouse.dbt_runner import PROJECT_DIR, UNIT_TESTS, DbtResult, dbt_build
from warehouse.paths import DataPaths

MARTS = sorted(path.stem for path in (PROJECT_DIR / "models" / "marts").glob("*.sql"))
START = utc(2024, 5, 6, 21, 0)
FUNNEL_VISIT_AT = START - timedelta(days=1, hours=8)


def first_batch(rng: random.Random) -> tuple[list[dict], list[dict], list[dict]]:
    """Eight days of ordinary traffic from 30 visitors (longer than the lookback), some orders."""
    events, orders = [], []
    for number in range(30):
        visitor = f"v{number}"
        # v0..v4 start early, so their first visits lie before the next run's lookback window
        hours = rng.randrange(0, 24) if number < 5 else rng.randrange(0, 200)
        at = START + timedelta(hours=hours, minutes=rng.randrange(60))
        for _ in range(rng.randrange(1, 9)):
            at += timedelta(minutes=rng.choice([1, 5, 29, 31, 90, 600]))
            kind = rng.choice(["page_view", "product_view", "add_to_cart", "checkout_started"])
            events.append(
                event(
                    visitor,
                    at,
                    kind,
                    page=rng.choice(["/", "/a", "/b"]),
                    product_id=rng.choice(["p1", "p2"]),
                    referrer_host=rng.choice([None, "google.com", "t.co", "example.org"]),
                    utm_source=rng.choice([None, None, "newsletter"]),
                    utm_medium=rng.choice([None, "email"]),
                    device_type=rng.choice(["desktop", "mobile"]),
                    received_at=at + timedelta(seconds=rng.choice([1, 30, 7200])),
                )
            )
        if number % 4 == 0:
            orders.append(order(f"o{number}", visitor, f"c{number % 7}", at + timedelta(minutes=2)))
    # a one-event visitor received last; the next batch holds an earlier-received copy of
    # its event under another visitor, so it ends up with no event at all
    last = max(row["received_at"] for row in events)
    events.append(
        event("v-single", last - timedelta(hours=1), received_at=last + timedelta(seconds=1))
    )
    # two visitors alone on a day of their own, long before the lookback: the next batch
    # turns one into a bot, so that day loses a visit although nothing of it is rebuilt
    for name, minute in (("v-alone-bot", 10), ("v-alone", 40)):
        at = START - timedelta(days=2, minutes=-minute)
        events.append(event(name, at, "page_view", received_at=at + timedelta(seconds=1)))
    # a visit alone on the day before, viewing a product: the next batch brings a late
    # add_to_cart into it, so its funnel step rises while its dimensions stay the same
    for kind, minutes in (("page_view", 0), ("product_view", 2)):
        at = FUNNEL_VISIT_AT + timedelta(minutes=minutes)
        events.append(
            event("v-funnel", at, kind, product_id="p1", received_at=at + timedelta(seconds=1))
        )
    # two browsers of one shopper on the first day, not linked to each other yet
    for visitor, minutes in (("v-phone", 30), ("v-laptop", 45)):
        at = START + timedelta(minutes=minutes)
        events.append(event(visitor, at, "page_view", received_at=at + timedelta(seconds=1)))
    return events, orders, [customer("c1", "GUEST", START)]


def second_batch(
    first_events: list[dict], first_orders: list[dict]
) -> tuple[list[dict], list[dict], list[dict]]:
    """A later day: new traffic plus data that changes what the first batch meant."""
    latest = max(row["received_at"] for row in first_events)
    single = next(row for row in first_events if row["visitor_id"] == "v-single")
    arrive = latest + timedelta(hours=6)
    by_visitor: dict[str, list[dict]] = {}
    for row in first_events:
        by_visitor.setdefault(row["visitor_id"], []).append(row)
    v0, v1, v2, v3, v4 = (
        sorted(by_visitor[f"v{i}"], key=lambda r: r["event_at"]) for i in range(5)
    )
    events = [
        # late: happened before v0's first event, arrives now; moves the visit start
        event(
            "v0",
            v0[0]["event_at"] - timedelta(minutes=3),
            "page_view",
            page="/late",
            referrer_host="bing.com",
            received_at=arrive,
        ),
        # extends v1's last visit across the old batch boundary
        event(
            "v1", v1[-1]["event_at"] + timedelta(minutes=12), "checkout_started", received_at=arrive
        ),
        # a resent copy of v2's first event: the first-received copy stays
        dict(v2[0], received_at=arrive),
        # v3 turns out to be a bot, and so does the visitor alone on an early day
        event(
            "v-alone-bot",
            next(r for r in first_events if r["visitor_id"] == "v-alone-bot")["event_at"]
            + timedelta(minutes=1),
            is_bot=True,
            received_at=arrive,
        ),
        event("v3", v3[-1]["event_at"] + timedelta(minutes=1), is_bot=True, received_at=arrive),
        # another visitor reuses v4's first event id, received later: v4 keeps it
        dict(
            event("v99", arrive - timedelta(minutes=1)),
            event_id=v4[0]["event_id"],
            received_at=arrive,
        ),
        # landing late but received just before v-single's event, a copy of it under another
        # visitor wins (within the lookback): v-single is left with nothing
        dict(
            single, visitor_id="v98", received_at=single["received_at"] - timedelta(microseconds=1)
        ),
        # a file landing late into an older partition (a day before the newest one, inside
        # the lookback): that day must be re-read, not only the newest
        event(
            "v-late-file",
            latest - timedelta(days=1, minutes=5),
            "page_view",
            received_at=latest - timedelta(days=1),
        ),
        # a late add_to_cart in v-funnel's old visit: only its funnel inputs tell funnel_daily
        # that this day changed
        event(
            "v-funnel",
            FUNNEL_VISIT_AT + timedelta(minutes=4),
            "add_to_cart",
            product_id="p1",
            received_at=arrive,
        ),
        # identified event links v2 to customer c3 (re-stitches v2's old visits)
        event("v2", v2[-1]["event_at"] + timedelta(hours=5), customer_id="c3", received_at=arrive),
        # identified events link both browsers to one customer: on their first day two
        # persons become one, so that day's visitor counts drop and it must be rebuilt
        event("v-phone", arrive - timedelta(minutes=20), customer_id="c-both", received_at=arrive),
        event("v-laptop", arrive - timedelta(minutes=19), customer_id="c-both", received_at=arrive),
    ]
    for number in range(30, 40):  # new visitors on the new day
        at = arrive - timedelta(minutes=50 - number)
        events.append(event(f"v{number}", at, "page_view", received_at=at + timedelta(seconds=1)))
        events.append(
            event(
                f"v{number}",
                at + timedelta(minutes=3),
                "product_view",
                product_id="p3",
                received_at=at + timedelta(minutes=3, seconds=1),
            )
        )
    orders = [
        # an order for v1's extended visit, and a status change of an old order
        order(
            "o-late",
            "v1",
            "c9",
            v1[-1]["event_at"] + timedelta(minutes=14),
            Decimal("42.10"),
            payment_status="PAID",
            received_at=arrive,
        ),
        order(
            "o0",
            "v0",
            "c0",
            v0[-1]["event_at"] + timedelta(minutes=2),
            Decimal("10.00"),
            order_status="SHIPPED",
            payment_status="PAID",
            updated_at=arrive - timedelta(minutes=5),
            received_at=arrive,
        ),
    ]
    # orders alone (no new events) for v8 and v12: a payment for an old order, a new order
    # inside an old visit; their sessions change though their events do not
    v8_order = next(o for o in first_orders if o["order_id"] == "o8")
    v12 = sorted(by_visitor["v12"], key=lambda r: r["event_at"])
    orders += [
        dict(
            v8_order,
            payment_status="PAID",
            updated_at=arrive - timedelta(minutes=1),
            received_at=arrive,
        ),
        order(
            "o-v12",
            "v12",
            "c12",
            v12[0]["event_at"] + timedelta(seconds=30),
            Decimal("7.50"),
            payment_status="PAID",
            received_at=arrive,
        ),
    ]
    return events, orders, [customer("c1", "REGISTERED", arrive - timedelta(hours=1))]


def build(paths: DataPaths, full_refresh: bool = False) -> DbtResult:
    """`dbt build` with its data tests; the unit tests run in test_dbt_runner instead."""
    result = dbt_build(paths, full_refresh=full_refresh, exclude=UNIT_TESTS)
    assert result.success, result.summary()
    return result


@pytest.mark.slow
def test_build_incremental_equal_to_full_refresh(tmp_path: Path) -> None:
    rng = random.Random(20240506)
    first = first_batch(rng)
    second = second_batch(first[0], first[1])
    incremental = DataPaths(tmp_path / "incremental")
    full = DataPaths(tmp_path / "full")

    land(incremental, *first)
    build(incremental, full_refresh=True)
    land(incremental, *second)
    build(incremental)

    land(full, *first)
    land(full, *second)
    build(full, full_refresh=True)

    # the reused event id and v0's visit lie before the lookback window: the run must find
    # their owners in the stored rows, not in the re-read lake
    cutoff = max(row["received_at"] for row in first[0]) - timedelta(days=3)
    v4_first = min((r for r in first[0] if r["visitor_id"] == "v4"), key=lambda r: r["event_at"])
    assert v4_first["received_at"] < cutoff

    expected = mart_rows(full.build_db, MARTS)
    assert sum(len(rows) for rows in expected.values()) > 100
    actual = mart_rows(incremental.build_db, MARTS)
    for name in MARTS:
        assert actual[name] == expected[name], f"mart {name} differs after the incremental run"

    build(incremental)  # nothing new: still the same
    assert mart_rows(incremental.build_db, MARTS) == expected
