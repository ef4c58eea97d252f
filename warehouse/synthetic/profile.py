"""The knobs of the simulated shop, with the reasons for their values, in one place.

Rates are per visit unless said otherwise. They are rough figures from public e-commerce
benchmarks (bounce ~40 %, ~2–3 % of visits convert, ~1 in 10 visitors returns within a
month), pushed a little where a rare case would otherwise be missing from a small run.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TrafficProfile:
    # --- visitors -------------------------------------------------------------------
    weekday_factor: tuple[float, ...] = (1.0, 0.97, 0.95, 0.98, 1.02, 1.12, 1.18)  # Mon..Sun
    daily_noise: float = 0.04  # relative sd of each day's volume
    max_return_share: float = 0.32  # share of a day's visitors who were seen before
    return_ramp_days: float = 4.0  # the pool fills over the first days
    second_visit_rate: float = 0.10  # a visitor comes back the same day
    third_visit_rate: float = 0.02
    cookieless_rate: float = 0.08  # no consent: the collector derives a daily id
    second_device_rate: float = 0.03  # new visitor = a registered customer's other device
    # --- client clocks and delivery ---------------------------------------------------
    skew_minutes_rate: float = 0.08  # clock off by 1–30 min
    skew_hours_rate: float = 0.03  # off by hours (time-zone bugs)
    skew_days_rate: float = 0.01  # off by days (a dead CMOS battery)
    no_sent_at_rate: float = 0.03  # old trackers send no sentAt
    late_visit_rate: float = 0.015  # the whole visit reaches the collector hours/days later
    duplicate_rate: float = 0.006  # a retried request lands an event twice
    # --- funnel -----------------------------------------------------------------------
    bounce_rate: float = 0.38  # one page, then gone
    browse_continue: float = 0.5  # chance of one more browse page (geometric)
    product_rate: float = 0.62  # non-bounced visits that view products
    product_continue: float = 0.55  # chance of one more product page
    cart_rate: float = 0.28  # product viewers who add to cart
    second_item_rate: float = 0.3
    checkout_rate: float = 0.5  # carts that start checkout
    order_rate: float = 0.62  # checkouts that complete
    search_share: float = 0.08  # browse events that are site searches
    login_rate: float = 0.55  # registered customers who sign in on a visit
    second_device_login_rate: float = 0.9
    # --- customers and orders ---------------------------------------------------------
    known_customer_new_device_rate: float = 0.07  # an order from a device not yet linked
    register_at_checkout_rate: float = 0.35
    register_later_rate: float = 0.25  # guests who create an account later
    payment_fail_rate: float = 0.05  # PENDING payment, then CANCELED
    cancel_after_pay_rate: float = 0.03  # CANCELED + REFUNDED before shipping
    return_rate: float = 0.04  # DELIVERED, then REFUNDED
    tax_rate: float = 0.19
    free_shipping_cents: int = 7500
    shipping_cents: int = 495
    # --- bots -------------------------------------------------------------------------
    bot_visit_rate: float = 0.015  # bot visits per human visitor
    bot_median_events: float = 40.0
    bot_cookieless_rate: float = 0.7


DEFAULT_PROFILE = TrafficProfile()
