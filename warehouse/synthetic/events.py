"""Expand planned visits into events, time them, deliver them, and build the Arrow table.

A visit's events are laid out in blocks (landing page, landing product view, browsing,
product pages, add-to-carts, cart, checkout, order confirmation), so the funnel order
within a visit always holds. Delivery is where the mess of real traffic comes in: client
clock skew, batches that reach the collector days late, retried requests that land the
same event twice, and visits still running when the simulation stops ("now").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from warehouse.lake import RAW_EVENT_SCHEMA
from warehouse.synthetic.agents import AGENTS
from warehouse.synthetic.catalog import Vocabulary
from warehouse.synthetic.profile import TrafficProfile
from warehouse.synthetic.sources import SOURCE_COLUMNS, SOURCES, source_column
from warehouse.synthetic.vectors import (
    DAY_US,
    MICROS,
    fixed_width_strings,
    round_to_ms,
    segment_starts,
    take,
    timestamps,
    uuid4_chars,
)
from warehouse.synthetic.visits import Visits

EVENT_TYPES = ("page_view", "product_view", "add_to_cart", "checkout_started", "search")
PAGE_VIEW, PRODUCT_VIEW, ADD_TO_CART, CHECKOUT_STARTED, SEARCH = range(len(EVENT_TYPES))
# Blocks of a visit, in order.
LANDING, LANDING_PRODUCT, BROWSE, PRODUCTS, CART_ADDS, CART_PAGE, CHECKOUT, SUCCESS = range(8)
MAX_EVENT_AGE_US = 7 * DAY_US  # DESIGN "Event time": clamp to [received_at - 7 days, received_at]

_TYPE_NAMES = pa.array(EVENT_TYPES, type=pa.string())
_USER_AGENTS = pa.array([agent.ua for agent in AGENTS], type=pa.string())
_SOURCE_ARRAYS = {name: source_column(name) for name in SOURCE_COLUMNS}


@dataclass
class EventPlan:
    """Events in visit order, with their true times (before any delivery effect)."""

    visit: np.ndarray
    pos: np.ndarray
    block: np.ndarray
    event_type: np.ndarray
    page: np.ndarray
    product: np.ndarray  # -1 = none
    meta: np.ndarray  # -1 = null
    quantity: np.ndarray
    t_us: np.ndarray
    order_created_us: np.ndarray  # per visit; meaningful where the visit has an order


def expand(
    visits: Visits, rng: np.random.Generator, vocab: Vocabulary, profile: TrafficProfile
) -> EventPlan:
    """Lay out every visit's events and give each its true time."""
    v = visits
    counts = np.stack(
        [
            np.ones(v.n, dtype=np.int64),
            v.landing_product,
            v.n_browse,
            2 * v.n_products,
            v.n_cart,
            v.n_cart > 0,
            2 * v.has_checkout,
            v.has_order,
        ],
        axis=1,
    ).astype(np.int64)
    total = counts.sum(axis=1)
    visit = np.repeat(np.arange(v.n), total)
    n = len(visit)
    row = np.arange(n)
    pos = row - np.repeat(segment_starts(total), total)
    flat = counts.ravel()  # visit-major, block-minor: the order events are laid out in
    block = np.repeat(np.tile(np.arange(counts.shape[1], dtype=np.int8), v.n), flat)
    offset = row - np.repeat(segment_starts(flat), flat)

    def product_at(slot: np.ndarray) -> np.ndarray:
        return (v.product_base[visit] + slot * v.product_step[visit]) % vocab.n_products

    event_type = np.full(n, PAGE_VIEW, dtype=np.int8)
    page = v.landing_page[visit].astype(np.int32)
    product = np.full(n, -1, dtype=np.int32)
    meta = np.full(n, -1, dtype=np.int32)
    quantity = np.zeros(n, dtype=np.int32)

    # Landing on a product page also fires product_view.
    at = block == LANDING_PRODUCT
    product[at] = product_at(np.zeros(n, dtype=np.int64))[at]
    # Browsing: humans open home/category/blog/static pages or search; bots crawl anything.
    at = block == BROWSE
    human = at & ~v.is_bot[visit]
    pages, shares = vocab.browse_pages
    page[human] = rng.choice(pages, size=int(human.sum()), p=shares)
    searching = human & (rng.random(n) < profile.search_share)
    event_type[searching] = SEARCH
    page[searching] = vocab.search_page
    meta[searching] = vocab.meta_search0 + rng.integers(0, vocab.n_search_queries, searching.sum())
    crawling = at & v.is_bot[visit]
    page[crawling] = rng.integers(0, vocab.cart_page, crawling.sum())
    # Product pages: a page_view, then the product_view it fires.
    at = block == PRODUCTS
    slot = offset // 2 + v.landing_product[visit]
    product[at] = product_at(slot)[at]
    event_type[at & (offset % 2 == 1)] = PRODUCT_VIEW
    # Add to cart: the first viewed products, mostly one of each.
    at = block == CART_ADDS
    product[at] = product_at(offset)[at]
    event_type[at] = ADD_TO_CART
    qty = 1 + (rng.random(n) < 0.15) + (rng.random(n) < 0.05)
    quantity[at] = qty[at]
    meta[at] = vocab.meta_add_to_cart0 + product[at] * 3 + quantity[at] - 1
    has_product = product >= 0
    page[has_product] = vocab.product_page0 + product[has_product]
    viewing = has_product & ((block == LANDING_PRODUCT) | (event_type == PRODUCT_VIEW))
    event_type[block == LANDING_PRODUCT] = PRODUCT_VIEW
    meta[viewing] = vocab.meta_product_view0 + product[viewing]
    # Cart, checkout, confirmation.
    page[block == CART_PAGE] = vocab.cart_page
    at = block == CHECKOUT
    page[at] = vocab.checkout_page
    starts_checkout = at & (offset == 1)
    event_type[starts_checkout] = CHECKOUT_STARTED
    items = np.minimum(v.n_cart[visit], 3)
    meta[starts_checkout] = vocab.meta_checkout0 + items[starts_checkout] - 1
    page[block == SUCCESS] = vocab.success_page
    product[event_type == PAGE_VIEW] = -1  # the product is on product_view / add_to_cart

    # Time between events: reading time for humans, a second or two for crawlers;
    # an event a page fires on load comes right after its page_view.
    gap = np.exp(rng.normal(np.log(15.0), 0.9, n)).clip(1.0, 1200.0)
    gap = np.where(v.is_bot[visit], rng.uniform(0.3, 3.0, n), gap)
    fired = (event_type == PRODUCT_VIEW) & (pos > 0) | starts_checkout
    fired |= block == LANDING_PRODUCT
    gap = np.where(fired, rng.uniform(0.2, 1.5, n), gap)
    form_s = rng.uniform(40.0, 300.0, n)  # filling in the checkout form
    confirm_s = rng.uniform(1.0, 4.0, n)
    success = block == SUCCESS
    gap = np.where(success, form_s + confirm_s, gap)
    gap_us = (gap * MICROS).astype(np.int64)
    gap_us[pos == 0] = 0
    elapsed = np.cumsum(gap_us)
    elapsed -= np.repeat(elapsed[segment_starts(total)], total)
    t_us = v.start_us[visit] + elapsed

    order_created_us = np.zeros(v.n, dtype=np.int64)
    order_created_us[visit[success]] = t_us[success] - (confirm_s[success] * MICROS).astype(
        np.int64
    )
    return EventPlan(
        visit, pos, block, event_type, page, product, meta, quantity, t_us, order_created_us
    )


@dataclass
class Delivery:
    """The rows the collector lands: which planned event, and its four timestamps."""

    src: np.ndarray  # index into the EventPlan
    is_retry: np.ndarray
    client_ts: np.ndarray
    sent_at: np.ndarray
    has_sent_at: np.ndarray
    received_at: np.ndarray
    event_at: np.ndarray


def event_time(
    received: np.ndarray, client_ts: np.ndarray, sent_at: np.ndarray, has_sent_at: np.ndarray
) -> np.ndarray:
    """DESIGN "Event time": received_at − (sentAt − timestamp), clamped to the last 7 days."""
    corrected = np.where(has_sent_at, received - (sent_at - client_ts), client_ts)
    return np.clip(corrected, received - MAX_EVENT_AGE_US, received)


def deliver(
    plan: EventPlan,
    visits: Visits,
    rng: np.random.Generator,
    profile: TrafficProfile,
    horizon_us: int,
) -> Delivery:
    """Send every event through a skewed client clock and the network; keep what has arrived."""
    visit = plan.visit
    n = len(visit)
    skew = visits.skew_us[visit]
    send_delay = rng.integers(5_000, 1_500_000, n)  # the tracker's small batching delay
    latency = rng.integers(15_000, 600_000, n)
    true_send = plan.t_us + send_delay
    # A late visit is held on the device and sent in one batch hours or days later.
    # Events are laid out visit by visit in time order: a visit's last event ends its run.
    ends = np.flatnonzero(np.diff(visit, append=visits.n)) if n else np.zeros(0, np.int64)
    last_t = np.zeros(visits.n, dtype=np.int64)
    last_t[visit[ends]] = plan.t_us[ends]
    late = visits.late_us[visit] > 0
    true_send = np.where(late, last_t[visit] + visits.late_us[visit], true_send)
    received = true_send + latency
    client_ts = round_to_ms(plan.t_us + skew)
    sent_at = round_to_ms(true_send + skew)
    has_sent = visits.has_sent_at[visit]

    # Retries: the response was lost, the tracker sends the same body again.
    retried = np.flatnonzero(rng.random(n) < profile.duplicate_rate)
    later = rng.uniform(0.5, 120.0, len(retried))
    much_later = rng.random(len(retried)) < 0.05
    later = np.where(much_later, rng.uniform(600.0, 6 * 3600.0, len(retried)), later)
    retry_received = received[retried] + (later * MICROS).astype(np.int64)

    src = np.concatenate([np.arange(n), retried])
    is_retry = np.concatenate([np.zeros(n, dtype=bool), np.ones(len(retried), dtype=bool)])
    received_all = np.concatenate([received, retry_received])
    arrived = received_all <= horizon_us
    src, is_retry, received_all = src[arrived], is_retry[arrived], received_all[arrived]
    order = np.lexsort((received_all, is_retry))
    src, is_retry, received_all = src[order], is_retry[order], received_all[order]
    c, s, h = client_ts[src], sent_at[src], has_sent[src]
    return Delivery(src, is_retry, c, s, h, received_all, event_time(received_all, c, s, h))


def build_events(
    plan: EventPlan,
    delivery: Delivery,
    visits: Visits,
    vocab: Vocabulary,
    customer_ids: pa.Array,
    rng: np.random.Generator,
    visit_offset: int,
) -> tuple[pa.Table, pa.Table]:
    """The landed rows in the lake's exact schema, plus replay-only columns alongside."""
    src = delivery.src
    visit = plan.visit[src]
    pos = plan.pos[src]
    block = plan.block[src]
    event_ids = uuid4_chars(rng, len(plan.visit))[src]

    source = visits.source[visit]
    is_bot = visits.is_bot[visit]
    landing = pos == 0
    previous_page = plan.page[np.maximum(src - 1, 0)]
    n_sources = len(SOURCES)
    referrer_vocab = pa.concat_arrays([_SOURCE_ARRAYS["referrer"], vocab.internal_referrers])
    referrer = np.where(landing, source, np.where(is_bot, -1, n_sources + previous_page))
    utm_index = np.where(landing, source, -1)

    signed_in = visits.login[visit] & (pos >= 1)
    customer = np.where(signed_in, visits.customer[visit], -1)
    customer = np.where(block == SUCCESS, visits.order_customer[visit], customer)
    visit_index = pa.array(visit)

    columns = {
        "event_id": fixed_width_strings(event_ids),
        "visitor_id": visits.visitor_id.take(visit_index),
        "is_cookieless": pa.array(visits.cookieless[visit]),
        "event_type": take(_TYPE_NAMES, plan.event_type[src]),
        "page": take(vocab.pages, plan.page[src]),
        "product_id": take(vocab.product_ids, plan.product[src]),
        "metadata": take(vocab.metadata, plan.meta[src]),
        "referrer": take(referrer_vocab, referrer),
        **{name: take(_SOURCE_ARRAYS[name], utm_index) for name in SOURCE_COLUMNS[1:]},
        "customer_id": take(customer_ids, customer),
        "client_ts": timestamps(delivery.client_ts),
        "sent_at": timestamps(delivery.sent_at, null=~delivery.has_sent_at),
        "received_at": timestamps(delivery.received_at),
        "event_at": timestamps(delivery.event_at),
        "ip_prefix": visits.ip_prefix.take(visit_index),
        "user_agent": take(_USER_AGENTS, visits.agent[visit]),
    }
    table = pa.Table.from_pydict(columns, schema=RAW_EVENT_SCHEMA)
    extras = {
        "visit": pa.array(visit + visit_offset),
        "is_retry": pa.array(delivery.is_retry),
        "is_bot": pa.array(is_bot),
        "skew_us": pa.array(visits.skew_us[visit]),
    }
    if visits.ip is not None:
        extras["ip"] = visits.ip.take(visit_index)
    return table, pa.table(extras)
