"""User agents: device class, browser, OS and bot flag, each distinct string parsed once."""

from __future__ import annotations

import csv

import polars as pl
import pytest
import ua_parser
import user_agents

from tests.warehouse.enrich.conftest import CHROME, FIXTURES, GOOGLEBOT, IPHONE
from warehouse.enrich.seeds import load_seeds
from warehouse.enrich.user_agent import UserAgentResolver, parse_user_agents

with open(FIXTURES / "user_agents.csv", newline="", encoding="utf-8") as _source:
    UA_CASES = list(csv.DictReader(_source))

COLUMNS = ("device_type", "browser", "browser_version", "os", "os_version", "is_bot")


def _expected(case: dict[str, str]) -> dict[str, object]:
    expected: dict[str, object] = {name: case[name] or None for name in COLUMNS}
    expected["is_bot"] = case["is_bot"] == "true"
    return expected


@pytest.fixture
def resolver(fresh_resolver: UserAgentResolver) -> UserAgentResolver:
    return fresh_resolver


@pytest.fixture(scope="module")
def markers() -> tuple[str, ...]:
    return load_seeds().bot_markers


@pytest.mark.parametrize("case", UA_CASES, ids=[case["case"] for case in UA_CASES])
def test_parse_user_agents_matches_fixture(
    case: dict[str, str], resolver: UserAgentResolver, markers: tuple[str, ...]
) -> None:
    frame = pl.LazyFrame({"user_agent": [case["user_agent"]]}, schema={"user_agent": pl.String})
    row = parse_user_agents(frame, resolver, markers).collect().row(0, named=True)
    assert {name: row[name] for name in COLUMNS} == _expected(case)


@pytest.mark.parametrize(
    "case",
    [case for case in UA_CASES if case["user_agent"]],
    ids=[case["case"] for case in UA_CASES if case["user_agent"]],
)
def test_classify_agrees_with_user_agents_library(
    case: dict[str, str], resolver: UserAgentResolver
) -> None:
    """The fast resolver feeds user_agents' own rules: same class as its slow legacy path."""
    legacy = user_agents.parse(case["user_agent"])
    if legacy.is_bot:
        legacy_class = "bot"
    elif legacy.is_tablet:
        legacy_class = "tablet"
    elif legacy.is_mobile:
        legacy_class = "mobile"
    elif legacy.is_pc:
        legacy_class = "desktop"
    else:
        legacy_class = "other"
    device_type, browser, _, os, _, is_bot = resolver.classify(case["user_agent"])
    assert (device_type, browser, os, is_bot) == (
        legacy_class,
        legacy.browser.family,
        legacy.os.family,
        legacy.is_bot,
    )


def test_resolver_uses_rust_regex_resolver() -> None:
    assert UserAgentResolver().resolver_name == "ua_parser.regex.Resolver"


def test_parse_user_agents_parses_each_distinct_string_once(resolver: UserAgentResolver) -> None:
    agents = [CHROME, IPHONE, GOOGLEBOT, None] * 250
    frame = pl.LazyFrame({"user_agent": agents, "n": range(len(agents))})
    out = parse_user_agents(frame, resolver, ("curl/",)).collect()
    assert resolver.parsed == 3  # the null is never handed to the library
    assert out.height == len(agents)
    assert out["n"].to_list() == list(range(len(agents)))  # row order kept
    assert out["device_type"].to_list()[:4] == ["desktop", "mobile", "bot", "bot"]


def test_parse_user_agents_reuses_cache_across_batches(resolver: UserAgentResolver) -> None:
    for batch in ([CHROME, IPHONE], [IPHONE, GOOGLEBOT], [CHROME, GOOGLEBOT, IPHONE]):
        parse_user_agents(pl.LazyFrame({"user_agent": batch}), resolver).collect()
    assert resolver.parsed == 3
    assert resolver.resolved == 7


def test_parse_user_agents_flags_seed_marker_case_insensitively(
    resolver: UserAgentResolver,
) -> None:
    ua = CHROME + " FootfallProbe/1.0"
    frame = pl.LazyFrame({"user_agent": [ua, CHROME]})
    plain = parse_user_agents(frame, resolver).collect()
    marked = parse_user_agents(frame, resolver, ("footfallprobe",)).collect()
    assert plain["is_bot"].to_list() == [False, False]
    assert marked["is_bot"].to_list() == [True, False]
    assert marked["device_type"].to_list() == ["bot", "desktop"]
    assert marked["browser"].to_list() == ["Chrome", "Chrome"]  # still parsed


def test_resolver_cache_stays_bounded(_ua_parser_resolver: ua_parser.Resolver) -> None:
    resolver = UserAgentResolver(max_entries=10, resolver=_ua_parser_resolver)
    for number in range(25):
        resolver.parse(f"{CHROME} build/{number}")
    assert len(resolver._cache) <= 10
    resolver.parse(f"{CHROME} build/24")  # recent entries survive eviction
    assert resolver.parsed == 25
