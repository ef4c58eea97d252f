"""Enrichment test helpers: raw event rows, raw lake files, and a tiny GeoIP database."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import ua_parser
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from warehouse.enrich.user_agent import UserAgentResolver
from warehouse.lake import RAW_EVENT_SCHEMA, write_partitioned
from warehouse.paths import DataPaths

FIXTURES = Path(__file__).parent / "fixtures"
DAY = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
USER_AGENTS = (CHROME, IPHONE, GOOGLEBOT, "curl/8.5.0")
IP_PREFIXES = ("81.2.69.0", "8.8.8.0", "10.0.0.0", "2a00:1450:4001::")


def raw_event(number: int, **overrides: Any) -> dict[str, Any]:
    """One raw event row; the number picks the UA, IP and referrer round-robin."""
    at = DAY + timedelta(seconds=number)
    row: dict[str, Any] = {
        "event_id": f"event-{number:06d}",
        "visitor_id": f"visitor-{number % 7}",
        "is_cookieless": False,
        "event_type": "page_view",
        "page": f"/products/p{number % 11}",
        "product_id": None,
        "metadata": None,
        "referrer": ("https://www.google.de/", None, "https://shop.example.com/cart")[number % 3],
        "utm_source": " Google " if number % 5 == 0 else None,
        "utm_medium": "CPC" if number % 5 == 0 else None,
        "utm_campaign": None,
        "utm_term": "",
        "utm_content": None,
        "customer_id": None,
        "client_ts": at,
        "sent_at": at,
        "received_at": at,
        "event_at": at,
        "ip_prefix": IP_PREFIXES[number % len(IP_PREFIXES)],
        "user_agent": USER_AGENTS[number % len(USER_AGENTS)],
    }
    row.update(overrides)
    return row


def raw_table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=RAW_EVENT_SCHEMA)


WriteRaw = Callable[..., Path]


@pytest.fixture
def write_raw(data_dir: DataPaths) -> WriteRaw:
    """Land raw event files as the lander does: `write_raw(count, first=0, **overrides)`."""

    def write(count: int, first: int = 0, **overrides: Any) -> Path:
        rows = [raw_event(first + number, **overrides) for number in range(count)]
        (written,) = write_partitioned(raw_table(rows), data_dir.raw("events"))
        return written

    return write


def build_tiny_geoip(target: Path) -> Path:
    """A GeoLite2-City-shaped .mmdb with the networks of fixtures/geo.json."""
    spec = json.loads((FIXTURES / "geo.json").read_text(encoding="utf-8"))
    writer = MMDBWriter(
        ip_version=6,
        ipv4_compatible=True,
        database_type="GeoLite2-City",
        languages=["en"],
        description="footfall test networks",
    )
    for network in spec["networks"]:
        writer.insert_network(IPSet([network["network"]]), network["record"])
    writer.to_db_file(str(target))
    return target


@pytest.fixture(scope="session")
def tiny_geoip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_geoip(tmp_path_factory.mktemp("geoip") / "tiny-city.mmdb")


@pytest.fixture(scope="session")
def _ua_parser_resolver() -> ua_parser.Resolver:
    """ua-parser's Rust resolver takes ~1 s to build: build it once per session."""
    return ua_parser.BestAvailableResolver(ua_parser.load_lazy_builtins())


@pytest.fixture
def fresh_resolver(_ua_parser_resolver: ua_parser.Resolver) -> UserAgentResolver:
    """A UserAgentResolver with an empty cache and zeroed counters."""
    return UserAgentResolver(resolver=_ua_parser_resolver)
