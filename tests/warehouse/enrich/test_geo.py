"""GeoIP: prefixes resolve to country, region and city; unknown or bad input gives nulls."""

from __future__ import annotations

import json
from pathlib import Path

import geoip2.database
import polars as pl
import pytest

from tests.warehouse.enrich.conftest import FIXTURES
from warehouse.enrich.geo import GeoResolver, geolocate
from warehouse.enrich.geoip_database import (
    GeoIPDatabaseError,
    bundled_geoip_path,
    describe_geoip_database,
    geoip_database_path,
)
from warehouse.settings import reset_settings

GEO = json.loads((FIXTURES / "geo.json").read_text(encoding="utf-8"))
PLACE = ("country_code", "country", "region", "city")


@pytest.fixture
def resolver(tiny_geoip: Path) -> GeoResolver:
    return GeoResolver(tiny_geoip)


@pytest.mark.parametrize("case", GEO["lookups"], ids=[case["case"] for case in GEO["lookups"]])
def test_geolocate_matches_fixture(case: dict, resolver: GeoResolver) -> None:
    frame = pl.LazyFrame({"ip_prefix": [case["ip_prefix"]]}, schema={"ip_prefix": pl.String})
    row = geolocate(frame, resolver).collect().row(0, named=True)
    assert tuple(row[name] for name in PLACE) == tuple(case["expected"])


def test_tiny_database_has_the_shape_geoip2_reads(tiny_geoip: Path) -> None:
    """The test database is a real GeoIP2 City file, not just something maxminddb opens."""
    with geoip2.database.Reader(str(tiny_geoip)) as reader:
        city = reader.city("81.2.69.0")
        assert reader.metadata().database_type == "GeoLite2-City"
    assert (city.country.iso_code, city.subdivisions[0].name, city.city.name) == (
        "GB",
        "England",
        "London",
    )


def test_geolocate_looks_up_each_distinct_prefix_once(resolver: GeoResolver) -> None:
    prefixes = ["81.2.69.0", "2001:db8:1::", "10.1.2.0", None] * 100
    out = geolocate(pl.LazyFrame({"ip_prefix": prefixes}), resolver).collect()
    assert resolver.lookups == 3
    assert out.height == len(prefixes)
    assert out["country_code"].to_list()[:4] == ["GB", "DE", None, None]
    geolocate(pl.LazyFrame({"ip_prefix": prefixes}), resolver).collect()
    assert resolver.lookups == 3  # cached across batches


def test_locate_many_reads_a_shared_network_once(resolver: GeoResolver) -> None:
    """Prefixes inside one database network (here a /16 and a /32) cost one read each."""
    places = resolver.locate_many(
        ["89.160.1.0", "89.160.200.0", "89.160.7.0", "2001:db8:1::", "2001:db8:ff::"]
    )
    assert resolver.lookups == 2
    assert [place[0] for place in places] == ["SE", "SE", "SE", "DE", "DE"]


def test_describe_geoip_database_names_file_type_and_date(
    tiny_geoip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FOOTFALL_GEOIP_DB", str(tiny_geoip))
    reset_settings()
    assert geoip_database_path() == tiny_geoip
    text = describe_geoip_database()
    assert text.startswith("GeoLite2-City (built 20")
    assert str(tiny_geoip) in text


def test_default_geoip_database_is_bundled_geolite2() -> None:
    assert geoip_database_path() == bundled_geoip_path()
    assert describe_geoip_database() == (
        f"GeoLite2-City (built 2018-07-03, IPv6) from {bundled_geoip_path()}"
    )


@pytest.mark.parametrize(
    ("prefix", "country_code"),
    [("81.2.69.0", "GB"), ("8.8.8.0", "US"), ("2a00:1450:4001::", "DE"), ("192.168.1.0", None)],
)
def test_bundled_geolite2_resolves_public_prefixes(prefix: str, country_code: str | None) -> None:
    place = GeoResolver().locate(prefix)
    assert place[0] == country_code
    if country_code:
        assert place[1]  # an English country name


def test_open_non_mmdb_file_raises_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "not-a-database.mmdb"
    bogus.write_bytes(b"definitely not maxmind data" * 10)
    with pytest.raises(GeoIPDatabaseError, match="not-a-database.mmdb"):
        GeoResolver(bogus)
