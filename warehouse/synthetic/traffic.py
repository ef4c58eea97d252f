"""The day-by-day simulation: one seeded random stream, pools that persist across days.

`TrafficSimulator.days()` yields, per simulated day, the rows the collector would have
landed for that day's visits: events, order status rows and customer records (each row
carries its own `received_at`, so a late row belongs to a later partition). The same
seed and arguments give identical rows; only `now` (which cuts off the last day) changes
what exists.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from warehouse.synthetic.catalog import Vocabulary
from warehouse.synthetic.events import Delivery, EventPlan, build_events, deliver, expand
from warehouse.synthetic.orders import (
    assign_customers,
    build_customers,
    build_orders,
    time_new_customers,
)
from warehouse.synthetic.population import CustomerPool, VisitorPool
from warehouse.synthetic.profile import DEFAULT_PROFILE, TrafficProfile
from warehouse.synthetic.vectors import MICROS
from warehouse.synthetic.visits import Visits, plan_day

LATE_AFTER_US = 3600 * MICROS  # an event counts as "late" past an hour in transit


@dataclass(frozen=True)
class DayStats:
    """What one simulated day produced (rows as landed)."""

    day: date
    events: int
    bot_events: int
    duplicate_events: int
    late_events: int
    visits: int
    cookieless_visitors: int  # distinct derived ids (they change daily)
    orders: int
    order_rows: int
    customers: int  # new customers (first order this day)
    customer_rows: int


@dataclass(frozen=True)
class DayTraffic:
    """One simulated day's landed rows (lake schema) and replay-only columns beside them."""

    day: date
    events: pa.Table
    event_extras: pa.Table  # visit, is_retry, is_bot, skew_us[, ip]
    orders: pa.Table
    order_extras: pa.Table  # email
    customers: pa.Table
    customer_extras: pa.Table  # email
    stats: DayStats


@dataclass(frozen=True)
class DayPlan:
    """A simulated day before its event rows are materialised as Arrow strings.

    Materialising (UUID text, user agents, pages: most of the bytes) needs no shared state
    and has its own seeded random stream, so it can run in another thread while the next
    day is simulated, and still give the same rows.
    """

    day: date
    visits: Visits
    plan: EventPlan
    delivery: Delivery
    vocab: Vocabulary
    customer_ids: pa.Array
    visit_offset: int
    event_seed: tuple[int, int]
    orders: pa.Table
    order_extras: pa.Table
    customers: pa.Table
    customer_extras: pa.Table
    stats: DayStats

    def materialize(self) -> DayTraffic:
        events, event_extras = build_events(
            self.plan,
            self.delivery,
            self.visits,
            self.vocab,
            self.customer_ids,
            np.random.default_rng(list(self.event_seed)),
            self.visit_offset,
        )
        return DayTraffic(
            self.day,
            events,
            event_extras,
            self.orders,
            self.order_extras,
            self.customers,
            self.customer_extras,
            self.stats,
        )


def _micros(moment: datetime) -> int:
    return int(moment.timestamp() * MICROS)


def day_range(days: int, end_date: date | None, now: datetime) -> tuple[date, date, int]:
    """First and last day to simulate and the horizon (µs): the end of end_date, or now."""
    if days < 1:
        raise ValueError("days must be at least 1")
    today = now.astimezone(UTC).date()
    end = end_date or today
    if end > today:
        raise ValueError(f"end date {end.isoformat()} is in the future (today is {today})")
    end_of_end = datetime(end.year, end.month, end.day, tzinfo=UTC) + timedelta(days=1)
    horizon = min(_micros(end_of_end) - 1, _micros(now))
    return end - timedelta(days=days - 1), end, horizon


class TrafficSimulator:
    """Seeded, vectorised shop traffic for `days` days ending `end_date` (default today)."""

    def __init__(
        self,
        *,
        days: int,
        visitors_per_day: int,
        seed: int,
        secret: str,
        end_date: date | None = None,
        now: datetime | None = None,
        profile: TrafficProfile = DEFAULT_PROFILE,
        with_addresses: bool = False,
    ) -> None:
        if visitors_per_day < 1:
            raise ValueError("visitors_per_day must be at least 1")
        if seed < 0:
            raise ValueError("seed must not be negative")
        self.now = now or datetime.now(UTC)
        self.first_day, self.last_day, self.horizon_us = day_range(days, end_date, self.now)
        self.days_count = days
        self.visitors_per_day = visitors_per_day
        self.seed = seed
        self.profile = profile
        self.with_addresses = with_addresses
        self.rng = np.random.default_rng(seed)
        self.vocab = Vocabulary()
        self.visitors = VisitorPool()
        self.customers = CustomerPool(secret)
        self._next_order_number = 100_001
        self._visit_offset = 0

    @property
    def distinct_visitors(self) -> int:
        """Browsers with a cookie seen so far (cookieless ids are counted per day by stats)."""
        return int(self.visitors.cols.seen.sum())

    def days(self) -> Iterator[DayTraffic]:
        """Each day's landed rows, in day order."""
        for plan in self.plans():
            yield plan.materialize()

    def plans(self) -> Iterator[DayPlan]:
        """Each day's simulation, to be materialised by the caller (possibly in a thread)."""
        for index in range(self.days_count):
            day = self.first_day + timedelta(days=index)
            start_us = _micros(datetime(day.year, day.month, day.day, tzinfo=UTC))
            if start_us > self.horizon_us:
                return
            yield self._simulate(day, index, start_us)

    def _simulate(self, day: date, index: int, start_us: int) -> DayPlan:
        rng, profile, vocab = self.rng, self.profile, self.vocab
        visits = plan_day(
            rng,
            day=day,
            day_index=index,
            day_start_us=start_us,
            visitors_per_day=self.visitors_per_day,
            seed=self.seed,
            visitors=self.visitors,
            customers=self.customers,
            vocab=vocab,
            profile=profile,
            with_addresses=self.with_addresses,
        )
        visits = visits.select(visits.start_us <= self.horizon_us)
        new_customers = assign_customers(rng, visits, self.visitors, self.customers, profile)
        plan = expand(visits, rng, vocab, profile)
        time_new_customers(rng, new_customers, visits, plan, self.customers, profile)
        delivery = deliver(plan, visits, rng, profile, self.horizon_us)
        visit_offset = self._visit_offset
        orders, order_extras = build_orders(
            rng,
            visits,
            plan,
            self.customers,
            vocab,
            profile,
            self.horizon_us,
            self._next_order_number,
        )
        customers, customer_extras = build_customers(
            rng, new_customers, self.customers, self.horizon_us
        )
        self._next_order_number += int(visits.has_order.sum())
        self._visit_offset += visits.n

        landed = np.zeros(visits.n, dtype=bool)
        landed[plan.visit[delivery.src]] = True
        landed_visits = np.flatnonzero(landed)
        humans = landed_visits[~visits.is_bot[landed_visits]]
        self.visitors.cols.seen[visits.visitor[humans[~visits.cookieless[humans]]]] = True
        cookieless = humans[visits.cookieless[humans]]
        cookieless_ids = visits.visitor_id.take(pa.array(cookieless))
        in_transit = delivery.received_at - delivery.event_at
        stats = DayStats(
            day=day,
            events=len(delivery.src),
            bot_events=int(visits.is_bot[plan.visit[delivery.src]].sum()),
            duplicate_events=int(delivery.is_retry.sum()),
            late_events=int((in_transit > LATE_AFTER_US).sum()),
            visits=len(humans),
            cookieless_visitors=len(pc.unique(cookieless_ids)),
            orders=len(pc.unique(orders.column("order_id"))),
            order_rows=orders.num_rows,
            customers=len(new_customers),
            customer_rows=customers.num_rows,
        )
        return DayPlan(
            day=day,
            visits=visits,
            plan=plan,
            delivery=delivery,
            vocab=vocab,
            customer_ids=self.customers.id_array(),
            visit_offset=visit_offset,
            event_seed=(self.seed, index),
            orders=orders,
            order_extras=order_extras,
            customers=customers,
            customer_extras=customer_extras,
            stats=stats,
        )
