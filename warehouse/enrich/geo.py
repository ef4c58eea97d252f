"""Country, region and city of the (already truncated) client IP prefix.

The lake stores prefixes such as 81.2.69.0 (IPv4 /24) or 2001:db8:1:: (IPv6 /48); each
distinct prefix is looked up once and joined back. Lookups go straight to maxminddb's C
reader and read the GeoIP2 City record (country.iso_code, country.names.en,
subdivisions[0].names.en, city.names.en) — the very record `geoip2.models.City` wraps.
Skipping geoip2's model objects makes a lookup ~2.7× cheaper (17 vs 45 µs measured),
which matters with hundreds of thousands of prefixes. Unknown, private or malformed
addresses give nulls, never errors.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import maxminddb
import polars as pl

from warehouse.enrich.geoip_database import geoip_database_path, open_geoip_database
from warehouse.enrich.lookup import lookup_distinct

_FIELDS = {"country_code": pl.String, "country": pl.String, "region": pl.String, "city": pl.String}

Place = tuple[str | None, str | None, str | None, str | None]
_NOWHERE: Place = (None, None, None, None)


def _name(record: Any) -> str | None:
    if not isinstance(record, dict):
        return None
    name = (record.get("names") or {}).get("en")
    return name if isinstance(name, str) else None


def _place(record: Any) -> Place:
    if not isinstance(record, dict):
        return _NOWHERE
    country = record.get("country") or {}
    code = country.get("iso_code")
    subdivisions = record.get("subdivisions") or [None]
    return (
        code if isinstance(code, str) else None,
        _name(country),
        _name(subdivisions[0]),
        _name(record.get("city")),
    )


class GeoResolver:
    """Looks IP prefixes up in one GeoIP database and caches the answers (bounded).

    `lookups` counts database reads (at most one per distinct prefix, fewer when several
    prefixes share a network); `resolved` counts prefixes asked for through `locate_many`.
    """

    def __init__(self, path: Path | None = None, max_entries: int = 200_000) -> None:
        self.path = path or geoip_database_path()
        self._reader: maxminddb.Reader = open_geoip_database(self.path)
        self._cache: dict[str, Place] = {}
        self._places: dict[Place, Place] = {}  # one tuple per distinct place: a small cache
        self._max_entries = max_entries
        self.lookups = 0
        self.resolved = 0

    def close(self) -> None:
        self._reader.close()

    def _remember(self, ip: str, place: Place) -> None:
        if len(self._cache) >= self._max_entries:
            for stale in list(self._cache)[: self._max_entries // 2]:
                del self._cache[stale]
        self._cache[ip] = place

    def _read(self, ip: str) -> tuple[Place, int | None]:
        """One database read: the place and the prefix length of the network it is in."""
        self.lookups += 1
        try:
            record, prefix_len = self._reader.get_with_prefix_len(ip)
        except ValueError:  # not an IP address, or IPv6 in an IPv4-only database
            return _NOWHERE, None
        place = _place(record)
        return self._places.setdefault(place, place), prefix_len

    def locate(self, ip: str | None) -> Place:
        """(country_code, country, region, city) for one address; nulls when unknown."""
        if not ip:
            return _NOWHERE
        hit = self._cache.get(ip)
        if hit is None:
            hit = self._read(ip.strip())[0]
            self._remember(ip, hit)
        return hit

    def locate_many(self, ips: Iterable[str | None]) -> list[Place]:
        """`locate` for many addresses, reading the database once per network.

        Addresses not in the cache are visited in numeric order; one that falls in the
        network the previous read returned (GeoLite networks are often /20–/23, and an
        ISP's IPv6 allocation far wider than a /48) gets that network's place unread.
        """
        ips = list(ips)
        places: list[Place | None] = [None] * len(ips)
        misses: list[tuple[int, int, int, str]] = []
        for index, ip in enumerate(ips):
            if not ip:
                places[index] = _NOWHERE
                continue
            hit = self._cache.get(ip)
            if hit is not None:
                places[index] = hit
                continue
            key = _numeric(ip)
            if key is None:
                places[index] = _NOWHERE
                self._remember(ip, _NOWHERE)
            else:
                misses.append((*key, index, ip))
        misses.sort()
        network: tuple[int, int, int] | None = None  # (bits, first, last)
        place = _NOWHERE
        for bits, number, index, ip in misses:
            if network is None or network[0] != bits or not network[1] <= number <= network[2]:
                place, prefix_len = self._read(ip.strip())
                if prefix_len is None:
                    network = None
                else:
                    size = 1 << (bits - prefix_len)
                    first = number & ~(size - 1)
                    network = (bits, first, first + size - 1)
            places[index] = place
            self._remember(ip, place)
        self.resolved += len(ips)
        return places  # type: ignore[return-value]


def _numeric(ip: str) -> tuple[int, int] | None:
    """(bit width, address as an integer), or None when `ip` is not an IP address."""
    text = ip.strip()
    family, bits = (socket.AF_INET6, 128) if ":" in text else (socket.AF_INET, 32)
    try:
        return bits, int.from_bytes(socket.inet_pton(family, text), "big")
    except OSError:
        return None


def geolocate(frame: pl.LazyFrame, resolver: GeoResolver) -> pl.LazyFrame:
    """Add country_code, country, region and city from ip_prefix (one lookup per distinct)."""

    def places(distinct: pl.Series) -> pl.DataFrame:
        return pl.DataFrame(resolver.locate_many(distinct.to_list()), schema=_FIELDS, orient="row")

    return frame.with_columns(lookup_distinct("ip_prefix", places, _FIELDS).alias("_geo")).unnest(
        "_geo"
    )
