"""Referrers: host parsing, the shop's own host, and search/social kinds from the seed file."""

from __future__ import annotations

import json

import polars as pl
import pytest

from tests.warehouse.enrich.conftest import FIXTURES
from warehouse.enrich.referrer import parse_referrers
from warehouse.enrich.seeds import load_seeds

SPEC = json.loads((FIXTURES / "referrers.json").read_text(encoding="utf-8"))
CASES = SPEC["cases"]
COLUMNS = ("referrer_host", "is_internal_referrer", "referrer_kind")


@pytest.fixture(scope="module")
def sources() -> pl.DataFrame:
    return load_seeds().referrer_sources


@pytest.mark.parametrize("case", CASES, ids=[case["case"] for case in CASES])
def test_parse_referrers_matches_fixture(case: dict, sources: pl.DataFrame) -> None:
    frame = pl.LazyFrame({"referrer": [case["referrer"]]}, schema={"referrer": pl.String})
    row = parse_referrers(frame, sources, SPEC["shop_hosts"]).collect().row(0, named=True)
    assert {name: row[name] for name in COLUMNS} == {name: case[name] for name in COLUMNS}


def test_parse_referrers_keeps_rows_and_order(sources: pl.DataFrame) -> None:
    referrers = [case["referrer"] for case in CASES] * 3
    frame = pl.LazyFrame({"referrer": referrers, "n": range(len(referrers))})
    out = parse_referrers(frame, sources, SPEC["shop_hosts"]).collect()
    assert out["n"].to_list() == list(range(len(referrers)))
    assert out["referrer_host"].to_list() == [case["referrer_host"] for case in CASES] * 3


@pytest.mark.parametrize(
    ("rows", "host", "kind"),
    [
        # The longest matching seed host wins, whatever the file order.
        (
            [("example.com", "social"), ("shop.example.com", "search")],
            "a.shop.example.com",
            "search",
        ),
        (
            [("shop.example.com", "search"), ("example.com", "social")],
            "a.shop.example.com",
            "search",
        ),
        # A dotless label rule and a dotted rule: the dotted one is longer, so it wins.
        ([("maps", "social"), ("maps.example", "search")], "maps.example", "search"),
        ([("maps", "social")], "a.maps.b", "social"),
        ([], "www.google.com", None),
    ],
)
def test_parse_referrers_applies_seed_rows(
    rows: list[tuple[str, str]], host: str, kind: str | None
) -> None:
    sources = pl.DataFrame(
        {
            "host": [h for h, _ in rows],
            "kind": [k for _, k in rows],
            "source_name": ["x"] * len(rows),
        },
        schema={"host": pl.String, "kind": pl.String, "source_name": pl.String},
    )
    frame = pl.LazyFrame({"referrer": [f"https://{host}/path"]})
    assert parse_referrers(frame, sources).collect()["referrer_kind"].to_list() == [kind]
