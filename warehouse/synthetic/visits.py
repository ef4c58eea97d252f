"""Plan one day's visits: who comes, when, from where, and how far down the funnel.

Everything is decided per visit here, as numpy columns; `events.py` then expands the
plan into events. Humans come from the visitor pool (some returning, some new, a few a
known customer's second device); bots are new each day and crawl many pages fast.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from warehouse.identity import cookieless_visitor_id, keyed_hash
from warehouse.synthetic.agents import AGENTS, BOT_AGENTS, N_HUMAN_AGENTS, agent_weights
from warehouse.synthetic.catalog import SHOP_HOST, Vocabulary
from warehouse.synthetic.networks import NetworkTable
from warehouse.synthetic.population import NO_ONE, CustomerPool, VisitorPool
from warehouse.synthetic.profile import TrafficProfile
from warehouse.synthetic.sources import landing_cumulative, source_probabilities
from warehouse.synthetic.vectors import DAY_US, MICROS, ipv4_strings, uuid4_strings

# Share of a day's visits starting in each UTC hour: a European shop, evening peak.
# fmt: off
HOURLY = np.array(
    [1.2, 0.7, 0.45, 0.35, 0.35, 0.5, 1.0, 1.8, 2.6, 3.2, 3.6, 3.8,
     4.0, 3.9, 3.8, 3.8, 4.0, 4.3, 4.8, 5.3, 5.6, 5.1, 3.8, 2.3]
)
# fmt: on
HOURLY = HOURLY / HOURLY.sum()

BOT_NETWORKS = NetworkTable.of([a.network for a in BOT_AGENTS], [a.weight for a in BOT_AGENTS])
_SOURCE_P = source_probabilities()
_LANDING_CUM = landing_cumulative()
_AGENT_UA = [agent.ua for agent in AGENTS]
LANDING_HOME, LANDING_CATEGORY, LANDING_PRODUCT, LANDING_BLOG = range(4)


@dataclass
class Visits:
    """One row per visit of a simulated day (humans first, then bots)."""

    visitor: np.ndarray  # pool index; -1 for bots
    is_bot: np.ndarray
    agent: np.ndarray  # index into AGENTS
    cookieless: np.ndarray
    start_us: np.ndarray
    source: np.ndarray  # index into SOURCES; -1 = no referrer, no UTM
    landing_page: np.ndarray
    landing_product: np.ndarray  # landed on a product page
    product_base: np.ndarray
    product_step: np.ndarray
    n_browse: np.ndarray
    n_products: np.ndarray  # product pages opened after landing
    n_cart: np.ndarray
    has_checkout: np.ndarray
    has_order: np.ndarray
    customer: np.ndarray  # customer the visitor is signed in as (if login), else -1
    login: np.ndarray
    order_customer: np.ndarray  # customer of the visit's order, else -1
    skew_us: np.ndarray
    has_sent_at: np.ndarray
    late_us: np.ndarray  # > 0: the whole visit reaches the collector this much later
    visitor_id: pa.Array
    ip_prefix: pa.Array
    ip: pa.Array | None  # full client address (replay only)

    @property
    def n(self) -> int:
        return len(self.start_us)

    def select(self, keep: np.ndarray) -> Visits:
        values = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                values[f.name] = None
            elif isinstance(value, np.ndarray):
                values[f.name] = value[keep]
            else:
                values[f.name] = value.filter(pa.array(keep))
        return Visits(**values)


def daily_salt(seed: int, day: date) -> str:
    """The collector's rotating cookieless salt, reproduced from the seed."""
    return keyed_hash(f"footfall-synthetic-salt-{seed}", day.isoformat())


def _cookieless_ids(
    salt: str, ids: pa.Array, cookieless: np.ndarray, prefixes: pa.Array, agents: np.ndarray
) -> pa.Array:
    """Replace the cookie ids of cookieless visits by the collector's derived id."""
    where = np.flatnonzero(cookieless)
    if len(where) == 0:
        return ids
    # One hash per distinct (address, browser): a visitor's visits of a day share it.
    keys = pa.table({"prefix": prefixes.take(pa.array(where)), "agent": agents[where]})
    distinct = keys.group_by(["prefix", "agent"]).aggregate([])
    derived = {
        (prefix, agent): cookieless_visitor_id(salt, SHOP_HOST, prefix, _AGENT_UA[agent])
        for prefix, agent in zip(
            distinct.column("prefix").to_pylist(), distinct.column("agent").to_pylist(), strict=True
        )
    }
    values = [
        derived[key]
        for key in zip(keys.column("prefix").to_pylist(), agents[where].tolist(), strict=True)
    ]
    return pc.replace_with_mask(ids, pa.array(cookieless), pa.array(values, type=pa.string()))


def plan_day(
    rng: np.random.Generator,
    *,
    day: date,
    day_index: int,
    day_start_us: int,
    visitors_per_day: int,
    seed: int,
    visitors: VisitorPool,
    customers: CustomerPool,
    vocab: Vocabulary,
    profile: TrafficProfile,
    with_addresses: bool,
) -> Visits:
    """The visits of one day (not yet cut at the horizon)."""
    humans = _plan_humans(
        rng,
        day_index,
        day_start_us,
        visitors_per_day,
        visitors,
        customers,
        vocab,
        profile,
        with_addresses,
    )
    bots = _plan_bots(rng, day_start_us, humans.n, vocab, profile, with_addresses)
    merged = {}
    for f in fields(Visits):
        a, b = getattr(humans, f.name), getattr(bots, f.name)
        if a is None:
            merged[f.name] = None
        elif isinstance(a, np.ndarray):
            merged[f.name] = np.concatenate([a, b])
        else:
            merged[f.name] = pa.concat_arrays([a, b])
    visits = Visits(**merged)
    visits.visitor_id = _cookieless_ids(
        daily_salt(seed, day), visits.visitor_id, visits.cookieless, visits.ip_prefix, visits.agent
    )
    return visits


def _plan_humans(
    rng: np.random.Generator,
    day_index: int,
    day_start_us: int,
    visitors_per_day: int,
    pool: VisitorPool,
    customers: CustomerPool,
    vocab: Vocabulary,
    profile: TrafficProfile,
    with_addresses: bool,
) -> Visits:
    weekday = (day_start_us // DAY_US + 3) % 7  # 1970-01-01 was a Thursday
    volume = visitors_per_day * profile.weekday_factor[weekday]
    volume *= 1.0 + rng.normal(0.0, profile.daily_noise)
    n_people = max(1, round(volume))

    # Returning visitors from the pool, then new ones.
    share = profile.max_return_share * (1.0 - np.exp(-day_index / profile.return_ramp_days))
    n_return = min(int(rng.binomial(n_people, share)), pool.size)
    returning = rng.choice(pool.size, size=n_return, replace=False) if n_return else []
    new = pool.add(rng, n_people - n_return, profile)
    _link_second_devices(rng, new, pool, customers, day_start_us, profile)
    people = np.concatenate([np.asarray(returning, dtype=np.int64), new])

    per_person = 1 + (rng.random(len(people)) < profile.second_visit_rate)
    per_person += rng.random(len(people)) < profile.third_visit_rate
    visitor = np.repeat(people, per_person)
    n = len(visitor)

    hour = rng.choice(24, size=n, p=HOURLY)
    start_us = day_start_us + hour * 3600 * MICROS + rng.integers(0, 3600 * MICROS, n)

    source = rng.choice(len(_SOURCE_P), size=n, p=_SOURCE_P).astype(np.int16)
    landing = (rng.random(n)[:, None] > _LANDING_CUM[source]).sum(axis=1)
    landing = np.minimum(landing, LANDING_BLOG)
    product_base = rng.choice(vocab.n_products, size=n, p=vocab.product_popularity)
    product_step = rng.integers(1, 4, n)
    landing_product = landing == LANDING_PRODUCT
    landing_page = np.select(
        [landing == LANDING_HOME, landing == LANDING_CATEGORY, landing_product],
        [
            np.zeros(n, dtype=np.int64),
            vocab.category_page0 + rng.integers(0, vocab.product_page0 - vocab.category_page0, n),
            vocab.product_page0 + product_base,
        ],
        vocab.blog_page0 + rng.integers(0, vocab.static_page0 - vocab.blog_page0, n),
    )

    bounce = rng.random(n) < profile.bounce_rate
    n_browse = np.where(bounce, 0, rng.geometric(1.0 - profile.browse_continue, n) - 1)
    views = ~bounce & (rng.random(n) < profile.product_rate)
    n_products = np.where(views, rng.geometric(1.0 - profile.product_continue, n), 0)
    viewed = landing_product.astype(np.int64) + n_products
    has_cart = ~bounce & (viewed > 0) & (rng.random(n) < profile.cart_rate)
    n_cart = np.where(has_cart, 1 + (rng.random(n) < profile.second_item_rate), 0)
    n_cart = np.minimum(n_cart, viewed)
    has_checkout = has_cart & (rng.random(n) < profile.checkout_rate)
    has_order = has_checkout & (rng.random(n) < profile.order_rate)

    cookieless = pool.cols.cookieless[visitor]
    customer = pool.cols.customer[visitor]
    registered = np.zeros(n, dtype=bool)
    known = customer != NO_ONE
    registered[known] = customers.cols.registered_us[customer[known]] <= start_us[known]
    login_rate = np.where(
        pool.cols.second_device[visitor], profile.second_device_login_rate, profile.login_rate
    )
    login = registered & ~cookieless & (rng.random(n) < login_rate)

    late = rng.random(n) < profile.late_visit_rate
    delay_s = np.exp(rng.normal(np.log(6 * 3600), 1.2, n)).clip(1800, 6 * 86_400)
    late_us = np.where(late, (delay_s * MICROS).astype(np.int64), 0)

    return Visits(
        visitor=visitor,
        is_bot=np.zeros(n, dtype=bool),
        agent=pool.cols.agent[visitor].astype(np.int32),
        cookieless=cookieless,
        start_us=start_us.astype(np.int64),
        source=source.astype(np.int32),
        landing_page=landing_page.astype(np.int32),
        landing_product=landing_product,
        product_base=product_base.astype(np.int32),
        product_step=product_step.astype(np.int32),
        n_browse=n_browse.astype(np.int32),
        n_products=n_products.astype(np.int32),
        n_cart=n_cart.astype(np.int32),
        has_checkout=has_checkout,
        has_order=has_order,
        customer=np.where(login, customer, NO_ONE).astype(np.int32),
        login=login,
        order_customer=np.full(n, NO_ONE, dtype=np.int32),
        skew_us=pool.cols.skew_us[visitor],
        has_sent_at=pool.cols.has_sent_at[visitor],
        late_us=late_us,
        visitor_id=pool.cookie_ids(visitor),
        ip_prefix=pool.addresses(visitor, prefix=True),
        ip=pool.addresses(visitor, prefix=False) if with_addresses else None,
    )


def _link_second_devices(
    rng: np.random.Generator,
    new: np.ndarray,
    pool: VisitorPool,
    customers: CustomerPool,
    day_start_us: int,
    profile: TrafficProfile,
) -> None:
    """Some new browsers are a registered customer's phone or laptop: they will sign in."""
    registered = np.flatnonzero(customers.cols.registered_us <= day_start_us)
    if len(registered) == 0 or len(new) == 0:
        return
    chosen = new[rng.random(len(new)) < profile.second_device_rate]
    pool.cols.customer[chosen] = rng.choice(registered, size=len(chosen))
    pool.cols.second_device[chosen] = True
    pool.cols.cookieless[chosen] = False


def _plan_bots(
    rng: np.random.Generator,
    day_start_us: int,
    n_human_visits: int,
    vocab: Vocabulary,
    profile: TrafficProfile,
    with_addresses: bool,
) -> Visits:
    n = max(1, round(n_human_visits * profile.bot_visit_rate))
    bot = rng.choice(len(BOT_AGENTS), size=n, p=agent_weights(BOT_AGENTS))
    address = BOT_NETWORKS.draw(rng, n, which=bot)
    n_pages = np.exp(rng.normal(np.log(profile.bot_median_events), 0.9, n)).clip(3, 400)
    zeros = np.zeros(n, dtype=np.int32)
    return Visits(
        visitor=np.full(n, -1, dtype=np.int64),
        is_bot=np.ones(n, dtype=bool),
        agent=(N_HUMAN_AGENTS + bot).astype(np.int32),
        cookieless=rng.random(n) < profile.bot_cookieless_rate,
        start_us=(day_start_us + rng.integers(0, DAY_US, n)).astype(np.int64),
        source=np.full(n, -1, dtype=np.int32),
        landing_page=rng.integers(0, vocab.cart_page, n).astype(np.int32),
        landing_product=np.zeros(n, dtype=bool),
        product_base=zeros,
        product_step=zeros + 1,
        n_browse=(n_pages - 1).astype(np.int32),
        n_products=zeros,
        n_cart=zeros,
        has_checkout=np.zeros(n, dtype=bool),
        has_order=np.zeros(n, dtype=bool),
        customer=zeros - 1,
        login=np.zeros(n, dtype=bool),
        order_customer=zeros - 1,
        skew_us=np.zeros(n, dtype=np.int64),
        has_sent_at=np.ones(n, dtype=bool),
        late_us=np.zeros(n, dtype=np.int64),
        visitor_id=uuid4_strings(rng, n),
        ip_prefix=ipv4_strings(address, prefix=True),
        ip=ipv4_strings(address, prefix=False) if with_addresses else None,
    )
