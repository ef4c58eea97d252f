"""An independent reference implementation of DESIGN.md's metric semantics, in plain Python.

It shares no code with the dbt models: it reads the same lake rows (as dicts), applies the
definitions in DESIGN.md "Semantics" step by step with loops and sorts, and returns the
marts as lists of dicts with the marts' column names. The property tests require the dbt
marts and this module to agree, so a wrong model and a wrong reference would have to be
wrong in the same way.

Decisions DESIGN leaves open, made the same way on both sides (and documented in the marts'
YAML): blank strings count as missing; checkout_rate is visits with add_to_cart AND
checkout_started over visits with add_to_cart, purchase_rate converted visits with a
checkout over visits with a checkout (so both stay within 0..100); bot volume counts a bot
visit's events on the day the visit started; customers are identified by customer_id.
"""

from __future__ import annotations

import csv
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

STEPS = ["visit", "product_view", "add_to_cart", "checkout_started", "purchase"]
DIMENSIONS = [
    "channel",
    "device_type",
    "browser",
    "os",
    "country",
    "city",
    "landing_page",
    "referrer",
    "utm_campaign",
]
STATUSES = ["PENDING", "PROCESSING", "SHIPPED", "DELIVERED", "CANCELED"]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class Config:
    timezone: str = "UTC"
    timeout: timedelta = timedelta(minutes=30)
    suspect_after: timedelta = timedelta(hours=24)
    engaged_after: timedelta = timedelta(seconds=10)
    referrer_sources: list[dict] = field(default_factory=list)
    sales_goals: list[tuple[date, Decimal]] = field(default_factory=list)
    default_goal: Decimal = Decimal("20000")

    @classmethod
    def from_seeds(cls, seed_dir: Path, **kwargs: object) -> Config:
        with open(seed_dir / "referrer_sources.csv", newline="") as handle:
            sources = list(csv.DictReader(handle))
        with open(seed_dir / "sales_goals.csv", newline="") as handle:
            goals = [
                (date.fromisoformat(row["valid_from"]), Decimal(row["daily_goal"]))
                for row in csv.DictReader(handle)
            ]
        return cls(referrer_sources=sources, sales_goals=goals, **kwargs)  # type: ignore[arg-type]

    def day(self, instant: datetime) -> date:
        return instant.astimezone(ZoneInfo(self.timezone)).date()


def blank_to_none(value: object) -> object:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def micros(instant: datetime) -> int:
    delta = instant - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def rate(numerator: float, denominator: float) -> float:
    return 0.0 if not denominator else 100.0 * numerator / denominator


def money_ratio(total: Decimal, count: int) -> Decimal:
    if not count:
        return Decimal("0.00")
    return (total / count).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# -- events -----------------------------------------------------------------------------


def dedupe_events(events: list[dict]) -> list[dict]:
    """One copy per event_id: the first received (then earliest time, visitor, type, ...)."""

    def order(row: dict) -> tuple:
        return (
            row["received_at"],
            row["event_at"],
            row["visitor_id"],
            row["event_type"],
            (row["page"] is None, row["page"] or ""),
            (row["product_id"] is None, row["product_id"] or ""),
        )

    kept: dict[str, dict] = {}
    for row in events:
        current = kept.get(row["event_id"])
        if current is None or order(row) < order(current):
            kept[row["event_id"]] = row
    return list(kept.values())


TRIMMED_EVENT_FIELDS = (
    "page",
    "product_id",
    "referrer",
    "referrer_host",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "customer_id",
)


def clean_event(row: dict) -> dict:
    cleaned = dict(row)
    for key in TRIMMED_EVENT_FIELDS:
        cleaned[key] = blank_to_none(row.get(key))
    if cleaned["referrer_host"]:
        cleaned["referrer_host"] = cleaned["referrer_host"].lower()
    cleaned["is_bot"] = bool(cleaned.get("is_bot"))
    cleaned["is_internal_referrer"] = bool(cleaned.get("is_internal_referrer"))
    return cleaned


def split_visits(events: list[dict], config: Config) -> list[list[dict]]:
    """Each visitor's events in (event_at, event_id) order, cut where the gap > timeout."""
    by_visitor: dict[str, list[dict]] = defaultdict(list)
    for row in events:
        by_visitor[row["visitor_id"]].append(row)
    visits = []
    for rows in by_visitor.values():
        rows.sort(key=lambda r: (r["event_at"], r["event_id"]))
        current = [rows[0]]
        for previous, row in zip(rows, rows[1:], strict=False):
            if row["event_at"] - previous["event_at"] > config.timeout:
                visits.append(current)
                current = []
            current.append(row)
        visits.append(current)
    return visits


def funnel_times(events: list[dict]) -> tuple[bool, bool, datetime | None]:
    """Ordered funnel within one visit: (viewed, carted after a view, first checkout after)."""
    viewed = carted = False
    checkout_at = None
    for row in events:
        kind = row["event_type"]
        if kind == "product_view":
            viewed = True
        elif kind == "add_to_cart" and viewed:
            carted = True
        elif kind == "checkout_started" and carted and checkout_at is None:
            checkout_at = row["event_at"]
    return viewed, carted, checkout_at


# -- channels ---------------------------------------------------------------------------


def host_matches(host: str, known: str) -> bool:
    if "." in known:
        return host == known or host.endswith("." + known)
    return known in host.split(".")


def source_kinds(name: str | None, is_utm: bool, config: Config) -> set[str]:
    kinds: set[str] = set()
    if name is None:
        return kinds
    for row in config.referrer_sources:
        known = row["host"].lower()
        if host_matches(name, known) or (is_utm and name == row["source_name"].lower()):
            kinds.add(row["kind"])
    return kinds


def channel(
    utm_source: str | None,
    utm_medium: str | None,
    has_utm: bool,
    referrer_host: str | None,
    config: Config,
) -> str:
    source = utm_source.lower() if utm_source else None
    medium = utm_medium.lower() if utm_medium else None
    named = source if source is not None else referrer_host
    kinds = source_kinds(named, source is not None, config)
    if medium in ("email", "e-mail"):
        return "Email"
    if (medium in ("cpc", "ppc", "paid search") or (medium or "").startswith("paid")) and (
        "search" in kinds
    ):
        return "Paid Search"
    if "social" in kinds:
        return "Social"
    if "search" in kinds or medium == "organic":
        return "Organic Search"
    if (source is None and referrer_host is not None) or medium == "referral":
        return "Referral"
    if referrer_host is None and not has_utm:
        return "Direct"
    return "Other"


# -- orders -----------------------------------------------------------------------------


def current_orders(order_rows: list[dict]) -> list[dict]:
    """Newest updated_at per order; ties: received last, then status/payment alphabetically."""
    best: dict[str, dict] = {}
    counts: dict[str, int] = defaultdict(int)

    def key(row: dict) -> tuple:
        return (
            -micros(row["updated_at"]),
            -micros(row["received_at"]),
            row["order_status"],
            row["payment_status"],
        )

    for raw in order_rows:
        row = {
            k: blank_to_none(v) if k in ("visitor_id", "customer_id") else v for k, v in raw.items()
        }
        row["order_status"] = row["order_status"].upper()
        row["payment_status"] = row["payment_status"].upper()
        if row.get("customer_type"):
            row["customer_type"] = row["customer_type"].upper()
        counts[row["order_id"]] += 1
        if row["order_id"] not in best or key(row) < key(best[row["order_id"]]):
            best[row["order_id"]] = row
    for order_id, row in best.items():
        row["status_rows"] = counts[order_id]
    return list(best.values())


# -- the whole model --------------------------------------------------------------------


@dataclass
class Marts:
    sessions: list[dict]
    daily_metrics: list[dict]
    funnel_daily: list[dict]
    daily_breakdowns: list[dict]
    retention_weekly: list[dict]
    customer_retention_monthly: list[dict]
    orders: list[dict]
    customers: list[dict]
    products: list[dict]


def build_marts(
    events: list[dict], orders: list[dict], customers: list[dict], config: Config
) -> Marts:
    events = dedupe_events([clean_event(row) for row in events])
    all_visits = [_visit(rows, config) for rows in split_visits(events, config)] if events else []
    bot_visitors = {
        v["visitor_id"]
        for v in all_visits
        if v["has_bot_event"] or v["duration"] > config.suspect_after
    }
    human = [v for v in all_visits if v["visitor_id"] not in bot_visitors]
    bots = [v for v in all_visits if v["visitor_id"] in bot_visitors]

    order_rows = current_orders(orders)
    person_of = _stitch(events, order_rows)
    attributed = _attribute(order_rows, human, config)
    orders_by_visit: dict[str, list[dict]] = defaultdict(list)
    for order in order_rows:
        if attributed.get(order["order_id"]):
            orders_by_visit[attributed[order["order_id"]]].append(order)

    sessions = [_session(v, person_of, orders_by_visit, config) for v in human]
    order_mart = _orders(order_rows, person_of, attributed, config)
    return Marts(
        sessions=[s["public"] for s in sessions],
        daily_metrics=_daily_metrics(sessions, order_mart, bots, config),
        funnel_daily=_funnel_daily(sessions),
        daily_breakdowns=_breakdowns(sessions),
        retention_weekly=_retention_weekly(sessions),
        customer_retention_monthly=_customer_retention(order_mart),
        orders=[{k: v for k, v in o.items() if k != "items"} for o in order_mart],
        customers=_customers(customers, order_mart),
        products=_products(events, human, bot_visitors, order_rows, orders_by_visit, order_mart),
    )


def _visit(rows: list[dict], config: Config) -> dict:
    first = rows[0]
    viewed, carted, checkout_at = funnel_times(rows)
    utm = [
        first.get(k)
        for k in ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
    ]
    referrer_host = None if first["is_internal_referrer"] else first.get("referrer_host")
    return {
        "visitor_id": first["visitor_id"],
        "visit_id": hashlib.md5(
            f"{first['visitor_id']}|{micros(first['event_at'])}".encode()
        ).hexdigest(),
        "started_at": first["event_at"],
        "ended_at": rows[-1]["event_at"],
        "duration": rows[-1]["event_at"] - first["event_at"],
        "events": rows,
        "event_count": len(rows),
        "page_views": sum(r["event_type"] == "page_view" for r in rows),
        "product_views": sum(r["event_type"] == "product_view" for r in rows),
        "add_to_carts": sum(r["event_type"] == "add_to_cart" for r in rows),
        "checkouts": sum(r["event_type"] == "checkout_started" for r in rows),
        "has_bot_event": any(r["is_bot"] for r in rows),
        "viewed": viewed,
        "carted": carted,
        "checkout_at": checkout_at,
        "landing_page": first.get("page"),
        "referrer": referrer_host,
        "channel": channel(utm[0], utm[1], any(v is not None for v in utm), referrer_host, config),
        "utm_source": utm[0],
        "utm_medium": utm[1],
        "utm_campaign": utm[2],
        "device_type": first.get("device_type"),
        "browser": first.get("browser"),
        "os": first.get("os"),
        "country": first.get("country"),
        "city": first.get("city"),
    }


def _stitch(events: list[dict], orders: list[dict]) -> dict[str, str]:
    links: dict[str, tuple[datetime, str]] = {}
    candidates = [(o["visitor_id"], o["customer_id"], o["created_at"]) for o in orders]
    candidates += [(e["visitor_id"], e.get("customer_id"), e["event_at"]) for e in events]
    for visitor, customer, at in candidates:
        if visitor is None or customer is None:
            continue
        if visitor not in links or (at, customer) > links[visitor]:
            links[visitor] = (at, customer)
    return {visitor: customer for visitor, (_, customer) in links.items()}


def _attribute(orders: list[dict], visits: list[dict], config: Config) -> dict[str, str | None]:
    by_visitor: dict[str, list[dict]] = defaultdict(list)
    for visit in visits:
        by_visitor[visit["visitor_id"]].append(visit)
    result: dict[str, str | None] = {}
    for order in orders:
        open_visits = [
            v
            for v in by_visitor.get(order["visitor_id"], [])
            if v["started_at"] <= order["created_at"] <= v["ended_at"] + config.timeout
        ]
        open_visits.sort(key=lambda v: (-micros(v["started_at"]), v["visit_id"]))
        result[order["order_id"]] = open_visits[0]["visit_id"] if open_visits else None
    return result


def _session(
    visit: dict, person_of: dict[str, str], orders_by_visit: dict[str, list[dict]], config: Config
) -> dict:
    orders = orders_by_visit.get(visit["visit_id"], [])
    converted = bool(orders)
    customer = person_of.get(visit["visitor_id"])
    step = 0
    if visit["viewed"]:
        step = 1
    if visit["carted"]:
        step = 2
    if visit["checkout_at"] is not None:
        step = 3
        if any(o["created_at"] >= visit["checkout_at"] for o in orders):
            step = 4
    public = {
        "visit_id": visit["visit_id"],
        "visitor_id": visit["visitor_id"],
        "person_id": customer or visit["visitor_id"],
        "customer_id": customer,
        "visit_date": config.day(visit["started_at"]),
        "started_at": visit["started_at"],
        "ended_at": visit["ended_at"],
        "duration_s": visit["duration"] / timedelta(microseconds=1) / 1_000_000,
        "page_views": visit["page_views"],
        "landing_page": visit["landing_page"],
        "referrer": visit["referrer"],
        "channel": visit["channel"],
        "utm_source": visit["utm_source"],
        "utm_medium": visit["utm_medium"],
        "utm_campaign": visit["utm_campaign"],
        "device_type": visit["device_type"],
        "browser": visit["browser"],
        "os": visit["os"],
        "country": visit["country"],
        "city": visit["city"],
        "is_bounce": visit["page_views"] == 1 and visit["event_count"] == 1,
        "is_engaged": visit["duration"] >= config.engaged_after
        or visit["page_views"] >= 2
        or converted,
        "has_add_to_cart": visit["add_to_carts"] > 0,
        "has_checkout": visit["checkouts"] > 0,
        "is_converted": converted,
        "event_count": visit["event_count"],
        "product_views": visit["product_views"],
        "funnel_step": step,
        "orders": len(orders),
        "sales": sum(
            (o["total"] for o in orders if o["payment_status"] == "PAID"), Decimal("0.00")
        ),
    }
    return {"public": public, "visit": visit}


def _orders(
    orders: list[dict], person_of: dict[str, str], attributed: dict[str, str | None], config: Config
) -> list[dict]:
    result = []
    for order in orders:
        items = order.get("items") or []
        result.append(
            {
                "order_id": order["order_id"],
                "visitor_id": order["visitor_id"],
                "person_id": person_of.get(order["visitor_id"])
                or order["visitor_id"]
                or order["customer_id"],
                "customer_id": order["customer_id"],
                "customer_type": order.get("customer_type"),
                "order_status": order["order_status"],
                "payment_status": order["payment_status"],
                "is_paid": order["payment_status"] == "PAID",
                "total": order["total"],
                "units": sum(item["quantity"] for item in items),
                "created_at": order["created_at"],
                "order_date": config.day(order["created_at"]),
                "status_rows": order["status_rows"],
                "visit_id": attributed.get(order["order_id"]),
                "is_attributed": attributed.get(order["order_id"]) is not None,
                "items": items,
            }
        )
    return result


def _days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _daily_metrics(
    sessions: list[dict], orders: list[dict], bots: list[dict], config: Config
) -> list[dict]:
    public = [s["public"] for s in sessions]
    first_visit: dict[str, date] = {}
    for s in public:
        if s["person_id"] not in first_visit or s["visit_date"] < first_visit[s["person_id"]]:
            first_visit[s["person_id"]] = s["visit_date"]
    first_order: dict[str, date] = {}
    for o in orders:
        if o["customer_id"] is not None:
            day = first_order.get(o["customer_id"])
            if day is None or o["order_date"] < day:
                first_order[o["customer_id"]] = o["order_date"]
    bot_days = [config.day(v["started_at"]) for v in bots]
    days = [s["visit_date"] for s in public] + [o["order_date"] for o in orders] + bot_days
    if not days:
        return []
    rows = []
    for day in _days_between(min(days), max(days)):
        visits = [s for s in public if s["visit_date"] == day]
        persons = {s["person_id"] for s in visits}
        new_users = sum(1 for p in persons if first_visit[p] == day)
        paid = [o for o in orders if o["order_date"] == day and o["is_paid"]]
        created = [o for o in orders if o["order_date"] == day]
        sales = sum((o["total"] for o in paid), Decimal("0"))
        page_views = sum(s["page_views"] for s in visits)
        n = len(visits)
        carts = [s for s in visits if s["has_add_to_cart"]]
        checkouts = [s for s in visits if s["has_checkout"]]
        goal = config.default_goal
        applicable = [(d, g) for d, g in config.sales_goals if d <= day]
        if applicable:
            goal = max(applicable)[1]
        day_bots = [v for v in bots if config.day(v["started_at"]) == day]
        row = {
            "metric_date": day,
            "total_visits": n,
            "unique_visitors": len(persons),
            "new_users": new_users,
            "existing_users": len(persons) - new_users,
            "total_page_views": page_views,
            "avg_page_views_per_visit": page_views / n if n else 0.0,
            "avg_visit_duration_s": sum(s["duration_s"] for s in visits) / n if n else 0.0,
            "bounce_rate": rate(sum(s["is_bounce"] for s in visits), n),
            "engagement_rate": rate(sum(s["is_engaged"] for s in visits), n),
            "cart_rate": rate(len(carts), n),
            "checkout_rate": rate(sum(s["has_checkout"] for s in carts), len(carts)),
            "purchase_rate": rate(sum(s["is_converted"] for s in checkouts), len(checkouts)),
            "conversion_rate": rate(sum(s["is_converted"] for s in visits), n),
            "total_sales": sales,
            "total_orders": len(paid),
            "average_order_value": money_ratio(sales, len(paid)),
            "new_customers": sum(1 for d in first_order.values() if d == day),
            "sales_goal": goal,
            "sales_goal_progress": rate(float(sales), float(goal)),
            "bot_events": sum(v["event_count"] for v in day_bots),
            "bot_visits": len(day_bots),
        }
        for status in STATUSES:
            row[f"{status.lower()}_orders"] = sum(1 for o in created if o["order_status"] == status)
        rows.append(row)
    return rows


def _dimension_groups(public: list[dict]) -> dict[tuple[date, str, str], list[dict]]:
    groups: dict[tuple[date, str, str], list[dict]] = defaultdict(list)
    for s in public:
        groups[(s["visit_date"], "all", "all")].append(s)
        for dim in DIMENSIONS:
            value = s[dim] if dim != "referrer" else s["referrer"]
            groups[(s["visit_date"], dim, "(not set)" if value is None else str(value))].append(s)
    return groups


def _funnel_daily(sessions: list[dict]) -> list[dict]:
    rows = []
    for (day, dim, value), group in _dimension_groups([s["public"] for s in sessions]).items():
        counts = [sum(1 for s in group if s["funnel_step"] >= i) for i in range(5)]
        for number, name in enumerate(STEPS, start=1):
            visits = counts[number - 1]
            previous = counts[max(number - 2, 0)]
            rows.append(
                {
                    "funnel_date": day,
                    "dimension": dim,
                    "dimension_value": value,
                    "step_number": number,
                    "step_name": name,
                    "visits": visits,
                    "previous_step_visits": previous,
                    "first_step_visits": counts[0],
                    "step_rate": rate(visits, previous),
                    "overall_rate": rate(visits, counts[0]),
                }
            )
    return rows


def _breakdowns(sessions: list[dict]) -> list[dict]:
    rows = []
    for (day, dim, value), group in _dimension_groups([s["public"] for s in sessions]).items():
        n = len(group)
        rows.append(
            {
                "breakdown_date": day,
                "dimension": dim,
                "dimension_value": value,
                "visits": n,
                "visitors": len({s["person_id"] for s in group}),
                "page_views": sum(s["page_views"] for s in group),
                "bounced_visits": sum(s["is_bounce"] for s in group),
                "engaged_visits": sum(s["is_engaged"] for s in group),
                "converted_visits": sum(s["is_converted"] for s in group),
                "orders": sum(s["orders"] for s in group),
                "sales": sum((s["sales"] for s in group), Decimal("0")),
            }
        )
    return rows


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _retention_weekly(sessions: list[dict]) -> list[dict]:
    weeks: dict[str, set[date]] = defaultdict(set)
    for s in sessions:
        weeks[s["public"]["person_id"]].add(_monday(s["public"]["visit_date"]))
    if not weeks:
        return []
    cohort = {person: min(active) for person, active in weeks.items()}
    last = max(max(active) for active in weeks.values())
    rows = []
    for start in sorted(set(cohort.values())):
        members = [p for p, c in cohort.items() if c == start]
        for offset in range((last - start).days // 7 + 1):
            week = start + timedelta(weeks=offset)
            active = sum(1 for p in members if week in weeks[p])
            rows.append(
                {
                    "cohort_week": start,
                    "week_offset": offset,
                    "week_start": week,
                    "cohort_size": len(members),
                    "active_persons": active,
                    "retention_rate": rate(active, len(members)),
                }
            )
    return rows


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _customer_retention(orders: list[dict]) -> list[dict]:
    months: dict[str, set[int]] = defaultdict(set)
    for o in orders:
        if o["customer_id"] is not None:
            months[o["customer_id"]].add(_month_index(o["order_date"]))
    if not months:
        return []
    cohort = {c: min(m) for c, m in months.items()}
    last = max(max(m) for m in months.values())
    rows = []
    for start in sorted(set(cohort.values())):
        members = [c for c, m in cohort.items() if m == start]
        for offset in range(last - start + 1):
            ordering = sum(1 for c in members if start + offset in months[c])
            rows.append(
                {
                    "cohort_month": date(start // 12, start % 12 + 1, 1),
                    "month_offset": offset,
                    "cohort_size": len(members),
                    "ordering_customers": ordering,
                    "retention_rate": rate(ordering, len(members)),
                }
            )
    return rows


def _customers(customer_rows: list[dict], orders: list[dict]) -> list[dict]:
    records: dict[str, dict] = {}
    for row in customer_rows:
        key = (row["updated_at"], row["received_at"], row["customer_type"])
        current = records.get(row["customer_id"])
        if current is None or key > current["key"]:
            records[row["customer_id"]] = {"key": key, "type": row["customer_type"].upper()}
    by_customer: dict[str, list[dict]] = defaultdict(list)
    for o in orders:
        if o["customer_id"] is not None:
            by_customer[o["customer_id"]].append(o)
    result = []
    for customer in set(records) | set(by_customer):
        placed = by_customer.get(customer, [])
        paid = [o for o in placed if o["is_paid"]]
        registered = (records.get(customer, {}).get("type") == "REGISTERED") or any(
            o["customer_type"] == "REGISTERED" for o in placed
        )
        spent = sum((o["total"] for o in paid), Decimal("0.00"))
        result.append(
            {
                "customer_id": customer,
                "customer_type": "REGISTERED" if registered else "GUEST",
                "first_order_date": min((o["order_date"] for o in placed), default=None),
                "last_order_date": max((o["order_date"] for o in placed), default=None),
                "total_orders": len(placed),
                "paid_orders": len(paid),
                "total_spent": spent,
                "average_order_value": money_ratio(spent, len(paid)),
            }
        )
    return result


def _products(
    events: list[dict],
    human: list[dict],
    bot_visitors: set[str],
    orders: list[dict],
    orders_by_visit: dict[str, list[dict]],
    order_mart: list[dict],
) -> list[dict]:
    stats: dict[str, dict] = defaultdict(
        lambda: {
            "product_views": 0,
            "add_to_carts": 0,
            "units_sold": 0,
            "revenue": Decimal("0"),
            "view_visits": 0,
            "cart_visits": 0,
            "view_cart": 0,
            "cart_purchase": 0,
        }
    )
    for visit in human:
        per_product: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for row in visit["events"]:
            if row.get("product_id") and row["event_type"] in ("product_view", "add_to_cart"):
                per_product[row["product_id"]][row["event_type"] == "add_to_cart"] += 1
        bought = {
            item["product_id"]
            for order in orders_by_visit.get(visit["visit_id"], [])
            for item in order.get("items") or []
        }
        for product, (views, carts) in per_product.items():
            entry = stats[product]
            entry["product_views"] += views
            entry["add_to_carts"] += carts
            entry["view_visits"] += views > 0
            entry["cart_visits"] += carts > 0
            entry["view_cart"] += views > 0 and carts > 0
            entry["cart_purchase"] += carts > 0 and product in bought
    for order in order_mart:
        for item in order["items"]:
            if item.get("product_id") is None:
                continue
            entry = stats[item["product_id"]]
            if order["is_paid"]:
                entry["units_sold"] += item["quantity"]
                entry["revenue"] += item["quantity"] * item["unit_price"]
    return [
        {
            "product_id": product,
            "product_views": s["product_views"],
            "add_to_carts": s["add_to_carts"],
            "units_sold": s["units_sold"],
            "revenue": s["revenue"],
            "view_visits": s["view_visits"],
            "cart_visits": s["cart_visits"],
            "view_to_cart_rate": rate(s["view_cart"], s["view_visits"]),
            "cart_to_purchase_rate": rate(s["cart_purchase"], s["cart_visits"]),
        }
        for product, s in stats.items()
    ]
