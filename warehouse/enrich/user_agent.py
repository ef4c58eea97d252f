"""Device, browser, OS and bot flag from the User-Agent header.

`user-agents` holds the device rules (tablet / mobile / PC / spider) but feeds them from
ua-parser's legacy pure-Python API, which tries ~1,000 regexes one by one (~2 ms a
string here). ua-parser 1.0's `BestAvailableResolver` is the Rust `regex` resolver when
`ua-parser-rs` is installed (~70 µs for all three domains), so we run that (without
ua-parser's own S3-FIFO cache: ours keeps the final answer) and hand its result to
`user_agents`' rules through a small subclass — the same answers, ~20× faster per string.

Each distinct UA string of a batch is parsed once (`unique()`, then joined back), and
`UserAgentResolver` remembers results across batches. Bot markers from the seed file are
applied afterwards, vectorised over the distinct strings, so editing the seed takes
effect on the next run without clearing any cache.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import polars as pl
import ua_parser
from user_agents.parsers import (
    UserAgent,
    parse_browser,
    parse_device,
    parse_operating_system,
)

from warehouse.enrich.lookup import lookup_distinct

DEVICE_TYPES = ("desktop", "mobile", "tablet", "bot", "other")

_LIB_FIELDS = {
    "_ua_device_type": pl.String,
    "browser": pl.String,
    "browser_version": pl.String,
    "os": pl.String,
    "os_version": pl.String,
    "_ua_is_bot": pl.Boolean,
}
OUTPUT_SCHEMA = {
    "device_type": pl.String,
    "browser": pl.String,
    "browser_version": pl.String,
    "os": pl.String,
    "os_version": pl.String,
    "is_bot": pl.Boolean,
}

# A request without a User-Agent never comes from a browser running tracker.js.
_MISSING = ("bot", None, None, None, None, True)

Classified = tuple[str, str | None, str | None, str | None, str | None, bool]


class _ResolvedUserAgent(UserAgent):
    """`user_agents.UserAgent` built from a ua-parser 1.0 result instead of its legacy API."""

    def __init__(self, ua_string: str, result: ua_parser.DefaultedResult) -> None:
        browser, os, device = result.user_agent, result.os, result.device
        self.ua_string = ua_string
        self.browser = parse_browser(browser.family, browser.major, browser.minor, browser.patch)
        self.os = parse_operating_system(os.family, os.major, os.minor, os.patch, os.patch_minor)
        self.device = parse_device(device.family, device.brand, device.model)


def _device_type(agent: UserAgent) -> str:
    if agent.is_bot:
        return "bot"
    if agent.is_tablet:
        return "tablet"
    if agent.is_mobile:
        return "mobile"
    if agent.is_pc:
        return "desktop"
    return "other"


def _version(*parts: str | None) -> str | None:
    kept = []
    for part in parts:
        if not part:
            break
        kept.append(part)
    return ".".join(kept) or None


class UserAgentResolver:
    """Parses UA strings with ua-parser's fastest resolver and caches the classification.

    `parsed` counts library parses (cache misses), which is how tests prove a string is
    never parsed twice; `resolved` counts strings asked for through `parse_many`. The cache
    is bounded: past `max_entries` the oldest half goes.
    """

    def __init__(
        self, max_entries: int = 100_000, resolver: ua_parser.Resolver | None = None
    ) -> None:
        self._resolver = resolver or ua_parser.BestAvailableResolver(ua_parser.load_lazy_builtins())
        self._cache: dict[str, Classified] = {}
        self._max_entries = max_entries
        self.parsed = 0
        self.resolved = 0

    @property
    def resolver_name(self) -> str:
        """The ua-parser resolver in use (`ua_parser.regex.Resolver` is the Rust one)."""
        kind = type(self._resolver)
        return f"{kind.__module__}.{kind.__qualname__}"

    def classify(self, ua: str | None) -> Classified:
        """(device_type, browser, browser_version, os, os_version, is_bot), uncached."""
        if ua is None or not ua.strip():
            return _MISSING
        self.parsed += 1
        result = self._resolver(ua, ua_parser.Domain.ALL).complete().with_defaults()
        agent = _ResolvedUserAgent(ua, result)
        return (
            _device_type(agent),
            result.user_agent.family,
            result.user_agent.major or None,
            result.os.family,
            _version(result.os.major, result.os.minor),
            bool(agent.is_bot),
        )

    def parse(self, ua: str | None) -> Classified:
        """`classify`, remembered: each string reaches the library once."""
        if ua is None:
            return _MISSING
        hit = self._cache.get(ua)
        if hit is not None:
            return hit
        classified = self.classify(ua)
        if len(self._cache) >= self._max_entries:
            for stale in list(self._cache)[: self._max_entries // 2]:
                del self._cache[stale]
        self._cache[ua] = classified
        return classified

    def parse_many(self, user_agents: Iterable[str | None]) -> list[Classified]:
        rows = [self.parse(ua) for ua in user_agents]
        self.resolved += len(rows)
        return rows


def parse_user_agents(
    frame: pl.LazyFrame, resolver: UserAgentResolver, bot_markers: Sequence[str] = ()
) -> pl.LazyFrame:
    """Add device_type, browser, browser_version, os, os_version and is_bot.

    is_bot = the library's spider flag, OR any of `bot_markers` occurs in the UA
    (case-insensitive substring, from seeds/bot_markers.csv), OR the UA is missing.
    A bot's device_type is "bot". Each distinct UA is parsed once, then joined back.
    """
    markers = sorted({marker.lower() for marker in bot_markers if marker})

    def classify(distinct: pl.Series) -> pl.DataFrame:
        parsed = pl.DataFrame(
            resolver.parse_many(distinct.to_list()), schema=_LIB_FIELDS, orient="row"
        )
        marked = (
            distinct.str.contains_any(markers, ascii_case_insensitive=True).fill_null(False)
            if markers
            else pl.repeat(False, distinct.len(), eager=True)
        )
        is_bot = parsed["_ua_is_bot"] | marked
        return parsed.with_columns(
            is_bot=is_bot,
            device_type=pl.when(is_bot).then(pl.lit("bot")).otherwise(pl.col("_ua_device_type")),
        )

    return frame.with_columns(
        lookup_distinct("user_agent", classify, OUTPUT_SCHEMA).alias("_ua")
    ).unnest("_ua")
