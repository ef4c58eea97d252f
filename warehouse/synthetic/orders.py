"""Orders, their status history and customer records, from the day's converting visits.

An order is created a minute or few after its visit's checkout_started, then changes
status over the following days; every change is a new row with a later `updated_at`
(DESIGN "Order"), and only changes that happened before the simulation's "now" exist.
Customers are guests or registered; some guests register days later, and some orders
come from a known customer on a device not linked to them yet (one person, two browsers).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from warehouse.lake import ORDER_ITEM_TYPE, RAW_CUSTOMER_SCHEMA, RAW_ORDER_SCHEMA
from warehouse.synthetic.catalog import CURRENCY, Vocabulary
from warehouse.synthetic.events import CART_ADDS, EventPlan
from warehouse.synthetic.population import NEVER, NO_ONE, CustomerPool, VisitorPool
from warehouse.synthetic.profile import TrafficProfile
from warehouse.synthetic.vectors import DAY_US, MICROS, money, take, timestamps, uuid4_strings
from warehouse.synthetic.visits import Visits

ORDER_STATUSES = pa.array(["PENDING", "PROCESSING", "SHIPPED", "DELIVERED", "CANCELED"])
PENDING, PROCESSING, SHIPPED, DELIVERED, CANCELED = range(5)
PAYMENT_STATUSES = pa.array(["PENDING", "PAID", "REFUNDED"])
PAY_PENDING, PAID, REFUNDED = range(3)
CUSTOMER_TYPES = pa.array(["GUEST", "REGISTERED"])
HOUR_US = 3600 * MICROS


def assign_customers(
    rng: np.random.Generator,
    visits: Visits,
    visitors: VisitorPool,
    customers: CustomerPool,
    profile: TrafficProfile,
) -> np.ndarray:
    """Decide who buys: the visitor's customer, a known customer on a new device, or a new one.

    Returns the indices of customers created today (their times are set after timing).
    """
    ordering = np.flatnonzero(visits.has_order)
    linked = visitors.cols.customer[visits.visitor[ordering]]
    visits.order_customer[ordering] = linked
    unlinked = ordering[linked == NO_ONE]
    if len(unlinked) == 0:
        return np.zeros(0, dtype=np.int64)
    people, inverse = np.unique(visits.visitor[unlinked], return_inverse=True)
    known_before = customers.size
    reuse = (rng.random(len(people)) < profile.known_customer_new_device_rate) & (known_before > 0)
    assigned = np.empty(len(people), dtype=np.int32)
    assigned[reuse] = rng.integers(0, max(known_before, 1), int(reuse.sum()))
    new = customers.add(rng, int((~reuse).sum()))
    assigned[~reuse] = new
    visits.order_customer[unlinked] = assigned[inverse]
    visitors.cols.customer[people] = assigned
    return new


def time_new_customers(
    rng: np.random.Generator,
    new: np.ndarray,
    visits: Visits,
    plan: EventPlan,
    customers: CustomerPool,
    profile: TrafficProfile,
) -> None:
    """A new customer exists from their first order; some register then, some days later."""
    if len(new) == 0:
        return
    ordering = np.flatnonzero(visits.has_order)
    first = np.full(customers.size, NEVER, dtype=np.int64)
    np.minimum.at(first, visits.order_customer[ordering], plan.order_created_us[ordering])
    created = first[new]
    at_checkout = rng.random(len(new)) < profile.register_at_checkout_rate
    later = rng.random(len(new)) < profile.register_later_rate
    delay = (rng.uniform(1.0, 14 * 24.0, len(new)) * HOUR_US).astype(np.int64)
    registered = np.where(at_checkout, created, np.where(later, created + delay, NEVER))
    customers.set_times(new, created, registered)


def build_orders(
    rng: np.random.Generator,
    visits: Visits,
    plan: EventPlan,
    customers: CustomerPool,
    vocab: Vocabulary,
    profile: TrafficProfile,
    horizon_us: int,
    first_number: int,
) -> tuple[pa.Table, pa.Table]:
    """Every status row (up to the horizon) of the orders created in these visits."""
    ordering = np.flatnonzero(visits.has_order)
    n = len(ordering)
    selected = (plan.block == CART_ADDS) & visits.has_order[plan.visit]
    product = plan.product[selected]
    quantity = plan.quantity[selected].astype(np.int64)
    n_items = visits.n_cart[ordering].astype(np.int64)
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(n_items, out=offsets[1:])
    line_cents = quantity * vocab.product_prices[product]
    subtotal = np.add.reduceat(line_cents, offsets[:-1]) if n else np.zeros(0, np.int64)
    items = pa.ListArray.from_arrays(
        pa.array(offsets, type=pa.int32()),
        pa.StructArray.from_arrays(
            [
                vocab.product_ids.take(pa.array(product)),
                vocab.product_skus.take(pa.array(product)),
                vocab.product_names.take(pa.array(product)),
                pa.array(quantity, type=pa.int32()),
                money(vocab.product_prices[product]),
            ],
            fields=list(ORDER_ITEM_TYPE),
        ),
        type=RAW_ORDER_SCHEMA.field("items").type,
    )

    created = plan.order_created_us[ordering]
    by_time = np.argsort(created, kind="stable")
    ordering, created, subtotal = ordering[by_time], created[by_time], subtotal[by_time]
    items = items.take(pa.array(by_time))
    tax = np.round(subtotal * profile.tax_rate).astype(np.int64)
    shipping = np.where(subtotal >= profile.free_shipping_cents, 0, profile.shipping_cents)
    customer = visits.order_customer[ordering]
    registered = customers.cols.registered_us[customer] <= created
    visitor_id = visits.visitor_id.take(pa.array(ordering))
    # The shop only knows the cookie id; a visitor without consent has none.
    visitor_id = pc.if_else(
        pa.array(visits.cookieless[ordering]), pa.scalar(None, pa.string()), visitor_id
    )
    order = {
        "order_id": uuid4_strings(rng, n),
        "order_number": pa.array(
            [f"FF-{number}" for number in range(first_number, first_number + n)], pa.string()
        ),
        "visitor_id": visitor_id,
        "customer_id": pa.array([customers.ids[c] for c in customer.tolist()], pa.string()),
        "email_hash": pa.array([customers.email_hashes[c] for c in customer.tolist()], pa.string()),
        "customer_type": take(CUSTOMER_TYPES, registered.astype(np.int8)),
        "items": items,
        "subtotal": money(subtotal),
        "tax": money(tax),
        "shipping": money(shipping),
        "total": money(subtotal + tax + shipping),
        "currency": pa.array([CURRENCY] * n, pa.string()),
    }
    emails = pa.array([customers.emails[c] for c in customer.tolist()], pa.string())

    row_order, status, payment, updated = _status_history(rng, created, profile)
    received = updated + rng.integers(50_000, 2_000_000, len(updated))
    arrived = received <= horizon_us
    keep = np.flatnonzero(arrived)[np.argsort(received[arrived], kind="stable")]
    row_order, status, payment = row_order[keep], status[keep], payment[keep]
    updated, received = updated[keep], received[keep]
    index = pa.array(row_order)
    columns = {name: values.take(index) for name, values in order.items()}
    columns.update(
        order_status=take(ORDER_STATUSES, status),
        payment_status=take(PAYMENT_STATUSES, payment),
        created_at=timestamps(created[row_order]),
        updated_at=timestamps(updated),
        received_at=timestamps(received),
    )
    table = pa.Table.from_pydict(columns, schema=RAW_ORDER_SCHEMA)
    return table, pa.table({"email": emails.take(index)})


def _status_history(
    rng: np.random.Generator, created: np.ndarray, profile: TrafficProfile
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Up to five rows per order: placed, paid (or abandoned), shipped, delivered, refunded."""
    n = len(created)

    def hours(low: float, high: float) -> np.ndarray:
        return (rng.uniform(low, high, n) * HOUR_US).astype(np.int64)

    paid = rng.random(n) >= profile.payment_fail_rate
    cancel_paid = paid & (rng.random(n) < profile.cancel_after_pay_rate)
    shipped = paid & ~cancel_paid
    returned = shipped & (rng.random(n) < profile.return_rate)

    t1 = created + np.where(paid, hours(20 / 3600, 10 / 60), hours(1, 3))
    t2 = t1 + np.where(cancel_paid, hours(1, 30), hours(12, 60))
    t3 = t2 + hours(24, 96)
    t4 = t3 + (rng.uniform(2, 12, n) * DAY_US).astype(np.int64)
    rows = [
        (np.ones(n, bool), np.full(n, PENDING), np.full(n, PAY_PENDING), created),
        (
            np.ones(n, bool),
            np.where(paid, PROCESSING, CANCELED),
            np.where(paid, PAID, PAY_PENDING),
            t1,
        ),
        (paid, np.where(cancel_paid, CANCELED, SHIPPED), np.where(cancel_paid, REFUNDED, PAID), t2),
        (shipped, np.full(n, DELIVERED), np.full(n, PAID), t3),
        (returned, np.full(n, DELIVERED), np.full(n, REFUNDED), t4),
    ]
    valid = np.concatenate([r[0] for r in rows])
    order_index = np.tile(np.arange(n), len(rows))[valid]
    status = np.concatenate([r[1] for r in rows])[valid].astype(np.int8)
    payment = np.concatenate([r[2] for r in rows])[valid].astype(np.int8)
    updated = np.concatenate([r[3] for r in rows])[valid].astype(np.int64)
    return order_index, status, payment, updated


def build_customers(
    rng: np.random.Generator, new: np.ndarray, customers: CustomerPool, horizon_us: int
) -> tuple[pa.Table, pa.Table]:
    """Customer records of today's new customers: their creation and, later, registration."""
    created = customers.cols.created_us[new]
    registered_us = customers.cols.registered_us[new]
    at_checkout = registered_us == created
    later = (registered_us > created) & (registered_us != NEVER)
    who = np.concatenate([new, new[later]])
    kind = np.concatenate([at_checkout, np.ones(int(later.sum()), bool)]).astype(np.int8)
    updated = np.concatenate([created, registered_us[later]])
    received = updated + rng.integers(100_000, 3_000_000, len(updated))
    keep = np.flatnonzero(received <= horizon_us)
    keep = keep[np.argsort(received[keep], kind="stable")]
    who, kind, updated, received = who[keep], kind[keep], updated[keep], received[keep]
    table = pa.Table.from_pydict(
        {
            "customer_id": pa.array([customers.ids[c] for c in who.tolist()], pa.string()),
            "email_hash": pa.array([customers.email_hashes[c] for c in who.tolist()], pa.string()),
            "customer_type": take(CUSTOMER_TYPES, kind),
            "updated_at": timestamps(updated),
            "received_at": timestamps(received),
        },
        schema=RAW_CUSTOMER_SCHEMA,
    )
    emails = pa.array([customers.emails[c] for c in who.tolist()], pa.string())
    return table, pa.table({"email": emails})
