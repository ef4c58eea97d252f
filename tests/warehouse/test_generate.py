"""`footfall generate`: the lake is in the collector's format and as messy as real traffic.

One small generated lake (module scope) is queried with DuckDB, one query per feature of
real traffic the generator promises; determinism, arguments and the CLI get their own runs.
"""

from __future__ import annotations

import csv
import ipaddress
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from warehouse.cli import app
from warehouse.identity import cookieless_visitor_id, truncate_ip
from warehouse.lake import RAW_SCHEMAS, lake_files
from warehouse.paths import RAW_DATASETS, DataPaths
from warehouse.settings import reset_settings
from warehouse.synthetic import GenerateSummary, generate_lake
from warehouse.synthetic.agents import BOT_AGENTS, HUMAN_AGENTS
from warehouse.synthetic.catalog import PRODUCTS, SHOP_HOST
from warehouse.synthetic.networks import draw_ipv6
from warehouse.synthetic.visits import daily_salt

REPO = Path(__file__).resolve().parents[2]
END = date(2026, 3, 14)
DAYS = 7
VISITORS = 300
SEED = 7


@pytest.fixture(scope="module")
def small_lake(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[DataPaths, GenerateSummary]]:
    root = tmp_path_factory.mktemp("generated") / "data"
    root.mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FOOTFALL_DATA_DIR", str(root))
        reset_settings()
        paths = DataPaths(root.resolve())
        summary = generate_lake(
            paths, days=DAYS, visitors_per_day=VISITORS, seed=SEED, end_date=END
        )
    reset_settings()
    yield paths, summary


@pytest.fixture(scope="module")
def lake_sql(small_lake: tuple[DataPaths, GenerateSummary]) -> Iterator[duckdb.DuckDBPyConnection]:
    """DuckDB over the generated Parquet: views events, orders, customers, visits."""
    paths, _ = small_lake
    con = duckdb.connect()
    for name in RAW_DATASETS:
        glob = paths.raw(name) / "date=*" / "*.parquet"
        con.execute(
            f"create view {name} as select * from read_parquet('{glob}', "
            "hive_partitioning = true, filename = true)"
        )
    markers = "|".join(_bot_markers()).replace("/", "\\/").replace(".", "\\.")
    con.execute(
        f"""
        create view visits as
        with human as (
            select distinct on (event_id) * from events
            where not regexp_matches(lower(user_agent), '{markers}')
        ),
        flagged as (
            select *, coalesce(event_at - lag(event_at) over by_visitor > interval 30 minute, true)
                as is_new_visit
            from human window by_visitor as (partition by visitor_id order by event_at, event_id)
        ),
        numbered as (
            select *, sum(is_new_visit::int) over (
                partition by visitor_id order by event_at, event_id rows unbounded preceding
            ) as visit_number
            from flagged
        )
        select
            visitor_id, visit_number,
            min(event_at) as started_at, max(event_at) as ended_at,
            bool_or(event_type = 'product_view') as has_product_view,
            bool_or(event_type = 'add_to_cart') as has_add_to_cart,
            bool_or(event_type = 'checkout_started') as has_checkout
        from numbered group by visitor_id, visit_number
        """
    )
    yield con
    con.close()


def _bot_markers() -> list[str]:
    with open(REPO / "seeds" / "bot_markers.csv", encoding="utf-8") as handle:
        return [row["marker"] for row in csv.DictReader(handle)]


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    return con.execute(sql).fetchone()[0]


# --- format -------------------------------------------------------------------------


@pytest.mark.parametrize("dataset", RAW_DATASETS)
def test_write_lake_files_with_exact_raw_schema(
    small_lake: tuple[DataPaths, GenerateSummary], dataset: str
) -> None:
    paths, _ = small_lake
    files = lake_files(paths.raw(dataset))
    assert files
    for file in files:
        assert pq.read_schema(file).remove_metadata() == RAW_SCHEMAS[dataset]


@pytest.mark.parametrize("dataset", RAW_DATASETS)
def test_write_lake_partition_is_utc_date_of_received_at(
    lake_sql: duckdb.DuckDBPyConnection, dataset: str
) -> None:
    misplaced = _scalar(
        lake_sql,
        f"select count(*) from {dataset} "
        "where cast(date as date) <> cast(timezone('UTC', received_at) as date)",
    )
    assert _scalar(lake_sql, f"select count(*) from {dataset}") > 0
    assert misplaced == 0


def test_generate_lake_summary_matches_files(
    small_lake: tuple[DataPaths, GenerateSummary], lake_sql: duckdb.DuckDBPyConnection
) -> None:
    paths, summary = small_lake
    assert summary.events == _scalar(lake_sql, "select count(*) from events")
    assert summary.order_rows == _scalar(lake_sql, "select count(*) from orders")
    assert summary.orders == _scalar(lake_sql, "select count(distinct order_id) from orders")
    assert summary.customer_rows == _scalar(lake_sql, "select count(*) from customers")
    recorded = _scalar(lake_sql, "select count(distinct customer_id) from customers")
    assert 0 < recorded <= summary.customers
    assert summary.files == sum(len(lake_files(paths.raw(name))) for name in RAW_DATASETS)
    assert (summary.first_date, summary.last_date) == (END - timedelta(days=DAYS - 1), END)


# --- realism: one query per feature of real traffic ------------------------------------

FEATURES = [
    ("retried duplicate events", "select count(*) - count(distinct event_id) from events"),
    (
        "duplicates landed in different files",
        "select count(*) from (select event_id from events group by 1 "
        "having count(distinct filename) > 1)",
    ),
    (
        "late events partitioned on a later day",
        "select count(*) from events where received_at - event_at > interval 1 hour "
        "and cast(date as date) > cast(timezone('UTC', event_at) as date)",
    ),
    (
        "skewed client clocks corrected by sentAt",
        "select count(*) from events where sent_at is not null "
        "and abs(epoch(client_ts) - epoch(event_at)) > 300",
    ),
    ("events without sentAt", "select count(*) from events where sent_at is null"),
    (
        "visits crossing midnight UTC",
        "select count(*) from visits where cast(timezone('UTC', started_at) as date) "
        "<> cast(timezone('UTC', ended_at) as date)",
    ),
    (
        "returning visitors (visits on several days)",
        "select count(*) from (select visitor_id from visits group by 1 "
        "having count(distinct cast(started_at as date)) > 1)",
    ),
    (
        "customers on two devices",
        "select count(*) from (select customer_id from ("
        "  select customer_id, visitor_id from events where customer_id is not null"
        "  union select customer_id, visitor_id from orders where visitor_id is not null"
        ") group by 1 having count(distinct visitor_id) > 1)",
    ),
    (
        "identified events after login (not the order confirmation)",
        "select count(*) from events where customer_id is not null and page <> '/checkout/success'",
    ),
    (
        "cookieless visitors",
        "select count(*) from events where is_cookieless and visitor_id like 'cl-%'",
    ),
    (
        "bots crawling many pages fast",
        "select count(*) from (select visitor_id from events "
        "where regexp_matches(user_agent, 'Googlebot|bingbot|AhrefsBot|HeadlessChrome|"
        "python-requests|curl|GPTBot|SemrushBot') group by 1 "
        "having count(*) >= 20 and epoch(max(event_at) - min(event_at)) / count(*) < 5)",
    ),
    ("IPv6 visitors", "select count(*) from events where ip_prefix like '%::'"),
    (
        "orders changing status over days",
        "select count(*) from (select order_id from orders group by 1 "
        "having count(distinct order_status) >= 3 and count(distinct date) > 1)",
    ),
    (
        "payment PENDING then PAID",
        "select count(*) from (select order_id from orders group by 1 having "
        "bool_or(payment_status = 'PENDING') and bool_or(payment_status = 'PAID'))",
    ),
    ("canceled orders", "select count(*) from orders where order_status = 'CANCELED'"),
    ("refunds", "select count(*) from orders where payment_status = 'REFUNDED'"),
    ("delivered orders", "select count(*) from orders where order_status = 'DELIVERED'"),
    ("guest orders", "select count(*) from orders where customer_type = 'GUEST'"),
    ("registered orders", "select count(*) from orders where customer_type = 'REGISTERED'"),
    (
        "guests who register later",
        "select count(*) from customers c where c.customer_type = 'REGISTERED' and exists ("
        "  select 1 from orders o where o.customer_id = c.customer_id "
        "  and o.customer_type = 'GUEST' and o.created_at < c.updated_at)",
    ),
    (
        "repeat buyers",
        "select count(*) from (select customer_id from orders group by 1 "
        "having count(distinct order_id) > 1)",
    ),
    ("unattributed orders (no cookie)", "select count(*) from orders where visitor_id is null"),
    ("email campaigns", "select count(*) from events where utm_medium in ('email', 'e-mail')"),
    (
        "paid search",
        "select count(*) from events where utm_medium = 'cpc' and utm_source = 'google'",
    ),
    (
        "organic search referrers",
        "select count(distinct referrer) from events where referrer in "
        "('https://www.google.com/', 'https://www.bing.com/', 'https://duckduckgo.com/')",
    ),
    (
        "social referrers",
        "select count(*) from events where regexp_matches(referrer, "
        "'facebook\\.com|instagram\\.com|//t\\.co/|reddit\\.com')",
    ),
    (
        "referrals from other sites",
        "select count(*) from events where referrer like 'https://www.trustpilot.com/%'",
    ),
    (
        "direct landings",
        "select count(*) from events where referrer is null and utm_source is null",
    ),
    ("product pages", "select count(*) from events where page like '/products/%'"),
    ("category pages", "select count(*) from events where page like '/category/%'"),
    ("blog pages", "select count(*) from events where page like '/blog/%'"),
    ("custom event types", "select count(*) from events where event_type = 'search'"),
]


@pytest.mark.parametrize(("feature", "sql"), FEATURES, ids=[f for f, _ in FEATURES])
def test_generate_lake_has_real_traffic_feature(
    lake_sql: duckdb.DuckDBPyConnection, feature: str, sql: str
) -> None:
    assert _scalar(lake_sql, sql) > 0, f"no {feature} in the generated lake"


INVARIANTS = [
    (
        "event_at outside [received_at - 7 days, received_at]",
        "select count(*) from events where event_at > received_at "
        "or event_at < received_at - interval 7 day",
    ),
    (
        "event_at not as the collector computes it",
        "select count(*) from events where event_at <> greatest(received_at - interval 7 day, "
        "least(received_at, case when sent_at is null then client_ts "
        "else received_at - (sent_at - client_ts) end))",
    ),
    (
        "client_ts and sent_at skewed differently (sent before the event)",
        "select count(*) from events where sent_at < client_ts",
    ),
    (
        "order total <> subtotal + tax + shipping",
        "select count(*) from orders where total <> subtotal + tax + shipping",
    ),
    (
        "order subtotal <> sum of items",
        "select count(*) from orders where subtotal <> "
        "list_sum(list_transform(items, lambda i: i.quantity * i.unit_price))",
    ),
    (
        "order row received before its update",
        "select count(*) from orders where received_at < updated_at or updated_at < created_at",
    ),
    (
        "email hash not a 64-hex HMAC",
        "select count(*) from orders where not regexp_full_match(email_hash, '[0-9a-f]{64}')",
    ),
    (
        "event type not allowed by DESIGN",
        "select count(*) from events "
        "where not regexp_full_match(event_type, '[a-z][a-z0-9_]{0,63}')",
    ),
    (
        "product id on an event that is not product_view / add_to_cart",
        "select count(*) from events where product_id is not null "
        "and event_type not in ('product_view', 'add_to_cart')",
    ),
    (
        "product_view / add_to_cart without a product id",
        "select count(*) from events where product_id is null "
        "and event_type in ('product_view', 'add_to_cart')",
    ),
    ("metadata that is not JSON", "select count(*) from events where not json_valid(metadata)"),
    ("visitor without an id", "select count(*) from events where visitor_id is null"),
    (
        "cookie ids that are not UUIDs",
        "select count(*) from events where not is_cookieless and not regexp_full_match("
        "visitor_id, '[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}')",
    ),
]


@pytest.mark.parametrize(("problem", "sql"), INVARIANTS, ids=[p for p, _ in INVARIANTS])
def test_generate_lake_never_has(
    lake_sql: duckdb.DuckDBPyConnection, problem: str, sql: str
) -> None:
    assert _scalar(lake_sql, sql) == 0, problem


def test_generate_lake_funnel_drops_at_every_step(lake_sql: duckdb.DuckDBPyConnection) -> None:
    visits, product, cart, checkout = lake_sql.execute(
        "select count(*), count(*) filter (where has_product_view), "
        "count(*) filter (where has_add_to_cart), count(*) filter (where has_checkout) from visits"
    ).fetchone()
    orders = _scalar(lake_sql, "select count(distinct order_id) from orders")
    assert visits > product > cart > checkout > orders > 0


def test_generate_lake_orders_created_just_after_checkout(
    lake_sql: duckdb.DuckDBPyConnection,
) -> None:
    attributed, inside = lake_sql.execute(
        """
        with first_rows as (
            select distinct on (order_id) * from orders order by order_id, updated_at
        )
        select count(*), count(*) filter (where exists (
            select 1 from events e where e.visitor_id = o.visitor_id
            and e.event_type = 'checkout_started'
            and e.event_at between o.created_at - interval 10 minute and o.created_at))
        from first_rows o where o.visitor_id is not null
        """
    ).fetchone()
    assert attributed > 0
    assert inside / attributed >= 0.95


def test_generate_lake_uses_catalogue_products(lake_sql: duckdb.DuckDBPyConnection) -> None:
    seen = {
        row[0]
        for row in lake_sql.execute(
            "select distinct product_id from events where product_id is not null "
            "union select distinct unnest(list_transform(items, lambda i: i.product_id)) "
            "from orders"
        ).fetchall()
    }
    assert seen <= {product.product_id for product in PRODUCTS}
    assert len(seen) >= 50


def test_generate_lake_spreads_real_user_agents(lake_sql: duckdb.DuckDBPyConnection) -> None:
    agents = {
        row[0] for row in lake_sql.execute("select distinct user_agent from events").fetchall()
    }
    assert len(agents) >= 40
    for family in [
        "Windows NT",
        "Macintosh",
        "X11; Linux",
        "iPhone",
        "Android",
        "iPad",
        "SM-X710",
        "Googlebot",
        "bingbot",
        "AhrefsBot",
        "HeadlessChrome",
        "python-requests",
    ]:
        assert any(family in agent for agent in agents), family


def test_agents_are_flagged_by_the_bot_markers_exactly_when_bots() -> None:
    markers = _bot_markers()
    for agent in HUMAN_AGENTS:
        assert not any(marker in agent.ua.lower() for marker in markers), agent.ua
    for agent in BOT_AGENTS:
        assert any(marker in agent.ua.lower() for marker in markers), agent.ua


def test_generate_lake_ip_prefixes_are_truncated_and_geolocated(
    lake_sql: duckdb.DuckDBPyConnection,
) -> None:
    from geolite2 import geolite2

    prefixes = [
        row[0] for row in lake_sql.execute("select distinct ip_prefix from events").fetchall()
    ]
    assert all(truncate_ip(prefix) == prefix for prefix in prefixes)
    reader = geolite2.reader()
    countries = set()
    for prefix in prefixes:
        found = reader.get(prefix)
        if found and "country" in found:
            countries.add(found["country"]["iso_code"])
    assert len(countries) >= 10
    assert {"DE", "FR", "GB", "US"} <= countries


def test_draw_ipv6_prefix_matches_truncate_ip() -> None:
    full, prefixes = draw_ipv6(np.random.default_rng(3), 2000)
    assert [truncate_ip(ip) for ip in full] == prefixes
    assert all(ipaddress.ip_address(ip).is_global for ip in full[:50])


def test_generate_lake_cookieless_ids_are_the_collectors(
    lake_sql: duckdb.DuckDBPyConnection,
) -> None:
    rows = lake_sql.execute(
        "select visitor_id, ip_prefix, user_agent, min(event_at) from events "
        "where is_cookieless group by all order by 4 limit 20"
    ).fetchall()
    assert rows
    matched = 0
    for visitor_id, prefix, agent, first_seen in rows:
        day = first_seen.astimezone(UTC).date()
        candidates = {
            cookieless_visitor_id(daily_salt(SEED, d), SHOP_HOST, prefix, agent)
            for d in (day, day - timedelta(days=1))
        }
        matched += visitor_id in candidates
    assert matched == len(rows)


# --- determinism, arguments, the last day ---------------------------------------------


def _read_all(paths: DataPaths, dataset: str, key: list[str]):
    import pyarrow.dataset as ds

    table = ds.dataset(paths.raw(dataset), format="parquet", partitioning="hive").to_table(
        columns=RAW_SCHEMAS[dataset].names
    )
    return table.sort_by([(name, "ascending") for name in key])


def _generate(tmp_path: Path, name: str, **kwargs: object) -> DataPaths:
    paths = DataPaths((tmp_path / name).resolve())
    generate_lake(paths, **{"days": 3, "visitors_per_day": 120, "end_date": END, **kwargs})
    return paths


@pytest.mark.usefixtures("data_dir")
def test_generate_lake_same_seed_gives_same_rows(tmp_path: Path) -> None:
    first = _generate(tmp_path, "a", seed=11)
    second = _generate(tmp_path, "b", seed=11)
    other = _generate(tmp_path, "c", seed=12)
    keys = {
        "events": ["received_at", "event_id"],
        "orders": ["received_at", "order_id", "updated_at"],
        "customers": ["received_at", "customer_id"],
    }
    for dataset, key in keys.items():
        assert _read_all(first, dataset, key).equals(_read_all(second, dataset, key)), dataset
    assert not _read_all(first, "events", keys["events"]).equals(
        _read_all(other, "events", keys["events"])
    )


@pytest.mark.usefixtures("data_dir")
def test_generate_lake_today_stops_at_now(tmp_path: Path) -> None:
    now = datetime(2026, 3, 14, 13, 30, tzinfo=UTC)
    paths = DataPaths((tmp_path / "today").resolve())
    summary = generate_lake(paths, days=2, visitors_per_day=150, seed=5, now=now)
    assert summary.last_date == now.date()
    con = duckdb.connect()
    glob = paths.raw("events") / "*" / "*.parquet"
    latest, today = con.execute(
        f"select max(received_at), count(*) filter (where received_at >= '2026-03-14') "
        f"from read_parquet('{glob}')"
    ).fetchone()
    assert today > 0
    assert latest <= now


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"days": 0}, "days"),
        ({"visitors_per_day": 0}, "visitors_per_day"),
        ({"seed": -1}, "seed"),
        ({"end_date": datetime.now(UTC).date() + timedelta(days=2)}, "future"),
    ],
)
@pytest.mark.usefixtures("data_dir")
def test_generate_lake_rejects_bad_arguments(
    tmp_path: Path, arguments: dict[str, object], message: str
) -> None:
    paths = DataPaths(tmp_path.resolve())
    with pytest.raises(ValueError, match=message):
        generate_lake(paths, **{"days": 1, "visitors_per_day": 10, "seed": 1, **arguments})
    assert not lake_files(paths.raw("events"))


# --- CLI --------------------------------------------------------------------------------

runner = CliRunner()


def test_cli_generate_writes_lake_and_summary(data_dir: DataPaths) -> None:
    result = runner.invoke(
        app,
        [
            "generate",
            "--days",
            "2",
            "--visitors-per-day",
            "40",
            "--seed",
            "3",
            "--end-date",
            "2026-03-01",
        ],
    )
    assert result.exit_code == 0, result.output
    for label in [
        "events",
        "bot events",
        "duplicate",
        "late events",
        "visitors",
        "orders",
        "files written",
        "seconds",
    ]:
        assert label in result.output
    assert lake_files(data_dir.raw("events"))


def test_cli_generate_refuses_non_empty_lake_without_append(data_dir: DataPaths) -> None:
    arguments = ["generate", "--days", "1", "--visitors-per-day", "20", "--end-date", "2026-03-01"]
    assert runner.invoke(app, arguments).exit_code == 0
    files = len(lake_files(data_dir.raw("events")))
    refused = runner.invoke(app, arguments)
    assert refused.exit_code == 1
    assert "--append" in refused.output
    assert len(lake_files(data_dir.raw("events"))) == files
    assert runner.invoke(app, [*arguments, "--append"]).exit_code == 0
    assert len(lake_files(data_dir.raw("events"))) > files


@pytest.mark.parametrize(
    ("arguments", "mentions"),
    [
        (["--days", "0"], "--days"),
        (["--days", "many"], "--days"),
        (["--visitors-per-day", "0"], "--visitors-per-day"),
        (["--seed", "-1"], "--seed"),
        (["--end-date", "2026-02-30"], "--end-date"),
        (["--end-date", "14.03.2026"], "--end-date"),
        (["--end-date", (date.today() + timedelta(days=3)).isoformat()], "future"),
        (["--replay-url", "127.0.0.1:8000"], "--replay-url"),
    ],
)
def test_cli_generate_rejects_bad_input(
    data_dir: DataPaths, arguments: list[str], mentions: str
) -> None:
    result = runner.invoke(app, ["generate", "--visitors-per-day", "5", *arguments])
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit)  # a clean exit, not a crash
    assert "Traceback" not in result.output
    assert mentions in result.output
    assert not lake_files(data_dir.raw("events"))


def test_console_script_generate_rejects_bad_input_without_traceback(data_dir: DataPaths) -> None:
    process = subprocess.run(
        [sys.executable, "-m", "warehouse.cli", "generate", "--days", "0"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "FOOTFALL_DATA_DIR": str(data_dir.root)},
    )
    assert process.returncode == 2
    assert "Traceback" not in process.stderr
    assert "--days" in process.stderr


def test_cli_generate_help_documents_every_option() -> None:
    result = runner.invoke(app, ["generate", "--help"], terminal_width=200)
    assert result.exit_code == 0
    for option in [
        "--days",
        "--visitors-per-day",
        "--seed",
        "--end-date",
        "--append",
        "--replay-url",
        "--ingest-token",
        "--concurrency",
        "--batch-size",
    ]:
        assert option in result.output


# --- a month at the CLI's default volume: rates a shop would recognise ---------------------


@pytest.mark.slow
def test_generate_lake_month_has_plausible_rates(tmp_path: Path) -> None:
    paths = DataPaths((tmp_path / "month").resolve())
    summary = generate_lake(paths, days=30, visitors_per_day=2000, seed=42, end_date=END)
    con = duckdb.connect()
    events = f"read_parquet('{paths.raw('events')}/*/*.parquet', hive_partitioning = true)"
    orders = f"read_parquet('{paths.raw('orders')}/*/*.parquet', hive_partitioning = true)"
    per_day = [
        row[0]
        for row in con.execute(
            f"select count(*) from {events} group by date order by date"
        ).fetchall()
    ]
    assert len(per_day) == 30
    assert max(per_day) < 1.5 * min(per_day)  # weekday swings, no holes
    assert 0.01 < summary.orders / summary.visits < 0.06
    assert 0.05 < summary.bot_events / summary.events < 0.25
    assert 0.002 < summary.duplicate_events / summary.events < 0.015
    returning = _scalar(
        con,
        f"select avg((days > 1)::int) from (select visitor_id, count(distinct "
        f"cast(event_at as date)) as days from {events} where not is_cookieless group by 1)",
    )
    assert 0.05 < returning < 0.5
    settled = _scalar(
        con,
        f"""
        with current as (
            select distinct on (order_id) order_id, order_status, created_at
            from {orders} order by order_id, updated_at desc
        )
        select avg((order_status in ('DELIVERED', 'CANCELED'))::int) from current
        where created_at < timestamptz '{END - timedelta(days=10)}'
        """,
    )
    assert settled > 0.9
