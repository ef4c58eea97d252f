"""Privacy at the door: proxies, opt-out signals, daily salts, cookieless ids over midnight."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from ingest.privacy import (
    ClientAddress,
    CookielessIds,
    SaltStore,
    opted_out,
    parse_networks,
    stored_ip,
)
from warehouse.settings import SettingsError

TRUSTED = parse_networks(["127.0.0.1", "::1", "10.0.0.0/8"])


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("203.0.113.5", None, "203.0.113.5"),
        ("203.0.113.5", "198.51.100.1", "203.0.113.5"),  # untrusted peer: header ignored
        ("127.0.0.1", None, "127.0.0.1"),
        ("127.0.0.1", "198.51.100.1", "198.51.100.1"),
        ("127.0.0.1", "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # left part is client-made
        ("127.0.0.1", "198.51.100.1, 10.1.2.3", "198.51.100.1"),  # skip our own proxies
        ("::1", "2001:db8::7", "2001:db8::7"),
        ("127.0.0.1", "10.0.0.1, 10.0.0.2", "10.0.0.1"),  # all trusted: the left-most
        ("127.0.0.1", "garbage", "127.0.0.1"),
        (None, None, ""),
    ],
)
def test_resolve_client_address(peer: str | None, forwarded: str | None, expected: str) -> None:
    assert ClientAddress(TRUSTED).resolve(peer, forwarded) == expected


def test_parse_networks_names_variable_on_bad_entry() -> None:
    with pytest.raises(SettingsError, match="FOOTFALL_TRUSTED_PROXIES"):
        parse_networks(["127.0.0.1", "localhost"])


@pytest.mark.parametrize(
    ("ip", "anonymize", "expected"),
    [
        ("203.0.113.77", True, "203.0.113.0"),
        ("203.0.113.77", False, "203.0.113.77"),
        ("2001:db8:1:2:3::4", True, "2001:db8:1::"),
        ("::ffff:203.0.113.77", True, "203.0.113.0"),
        ("testclient", True, None),
        ("testclient", False, None),
    ],
)
def test_stored_ip(ip: str, anonymize: bool, expected: str | None) -> None:
    assert stored_ip(ip, anonymize) == expected


@pytest.mark.parametrize(
    ("dnt", "gpc", "expected"),
    [
        (None, None, False),
        ("1", None, True),
        (None, "1", True),
        ("0", "0", False),
        (" 1", None, True),
    ],
)
def test_opted_out(dnt: str | None, gpc: str | None, expected: bool) -> None:
    assert opted_out(dnt, gpc) is expected


DAY1 = date(2026, 3, 9)
DAY2 = DAY1 + timedelta(days=1)


def test_salt_store_keeps_today_and_yesterday_and_destroys_older(tmp_path: Path) -> None:
    store = SaltStore(tmp_path)
    for offset in (3, 2, 1):
        old = DAY2 - timedelta(days=offset)
        (tmp_path / f"{old.isoformat()}.salt").write_text(f"salt-{offset}")
    today, yesterday = store.salts(DAY2)
    assert yesterday == "salt-1"
    assert len(today) == 64 and today != yesterday
    assert sorted(p.name for p in tmp_path.glob("*.salt")) == [
        f"{DAY1.isoformat()}.salt",
        f"{DAY2.isoformat()}.salt",
    ]
    assert (tmp_path / f"{DAY2.isoformat()}.salt").stat().st_mode & 0o077 == 0


def test_salt_store_shares_salt_between_processes(tmp_path: Path) -> None:
    assert SaltStore(tmp_path).salts(DAY1)[0] == SaltStore(tmp_path).salts(DAY1)[0]


def ids(tmp_path: Path, timeout: float = 1800) -> CookielessIds:
    return CookielessIds(SaltStore(tmp_path), timeout_seconds=timeout)


MIDNIGHT = 1_773_100_800.0  # 2026-03-10T00:00:00Z, the start of DAY2


def test_cookieless_id_is_stable_within_a_day(tmp_path: Path) -> None:
    store = ids(tmp_path)
    first = store.visitor_id("shop.example", "203.0.113.5", "UA", DAY1, MIDNIGHT - 7200)
    assert first == store.visitor_id("shop.example", "203.0.113.77", "UA", DAY1, MIDNIGHT - 60)
    assert first != store.visitor_id("shop.example", "203.0.114.5", "UA", DAY1, MIDNIGHT - 60)
    assert first != store.visitor_id("other.example", "203.0.113.5", "UA", DAY1, MIDNIGHT - 60)


def test_cookieless_id_survives_midnight_for_visit_in_progress(tmp_path: Path) -> None:
    store = ids(tmp_path)
    before = store.visitor_id("shop.example", "203.0.113.5", "UA", DAY1, MIDNIGHT - 300)
    after = store.visitor_id("shop.example", "203.0.113.5", "UA", DAY2, MIDNIGHT + 300)
    assert after == before
    newcomer = store.visitor_id("shop.example", "203.0.113.5", "UA/2", DAY2, MIDNIGHT + 300)
    assert newcomer.startswith("cl-") and newcomer != before


def test_cookieless_id_changes_after_midnight_when_visit_went_quiet(tmp_path: Path) -> None:
    store = ids(tmp_path, timeout=1800)
    before = store.visitor_id("shop.example", "203.0.113.5", "UA", DAY1, MIDNIGHT - 3600)
    after = store.visitor_id("shop.example", "203.0.113.5", "UA", DAY2, MIDNIGHT + 60)
    assert after != before


def test_cookieless_ids_cannot_be_linked_once_salts_are_destroyed(tmp_path: Path) -> None:
    store = ids(tmp_path)
    day1 = store.visitor_id("shop.example", "203.0.113.5", "UA", DAY1, MIDNIGHT - 60)
    day3 = DAY1 + timedelta(days=2)
    later = store.visitor_id("shop.example", "203.0.113.5", "UA", day3, MIDNIGHT + 86400 + 60)
    assert later != day1
    assert not (tmp_path / f"{DAY1.isoformat()}.salt").exists()
