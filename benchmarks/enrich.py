"""Benchmark of the enrichment step: end-to-end events/s, peak memory, distinct-value speed-up.

    .venv/bin/python -m benchmarks.enrich --events 2000000 [--dir /tmp/bench]

The default input (`source="sample"`) is a raw event lake written here with realistic
cardinality: ~5,400 UA strings in browser families with real shares and a Zipf tail
inside each (reduced Chrome UAs, Safari by iOS patch release, Samsung Internet and
in-app browsers with device models: ~1,000 distinct UAs per 100k events), ~3 % bots
and scripts, 8 events per visitor (arriving over time, a quarter of events from
returning visitors), one IP prefix per 2 visitors drawn at random from
public IPv4 /8s plus ~15 % IPv6 /48s (pessimistic for GeoIP: little sharing), origin-only
external referrers and full-URL internal ones, unique event ids. `source="synthetic"`
uses `warehouse.synthetic.generate_lake` instead (a week of simulated shop traffic; few
distinct UAs). The enrichment runs in a child process, so the peak RSS it reports is
the step's own (read + enrich + write), not the generator's.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from benchmarks.machine import vm_hwm_mib
from warehouse.lake import RAW_EVENT_SCHEMA, lake_files, write_partitioned
from warehouse.paths import DataPaths

TARGET_EVENTS = 10_000_000
SAMPLE_ROWS = 100_000
SYNTHETIC_EVENTS_PER_VISITOR = 5.9  # measured on generate_lake output
EVENTS_PER_VISITOR = 8

_WEBKIT = "AppleWebKit/537.36 (KHTML, like Gecko)"
_SAFARI = "AppleWebKit/605.1.15 (KHTML, like Gecko)"
_DESKTOPS = (
    "Windows NT 10.0; Win64; x64",
    "Macintosh; Intel Mac OS X 10_15_7",
    "X11; Linux x86_64",
    "X11; CrOS x86_64 14541.0.0",
)
_SAMSUNG_MODELS = [
    f"SM-{series}{n}{suffix}"
    for series in "SAGN"
    for n in (515, 536, 546, 911, 918)
    for suffix in "BU"
]
_ANDROID_MODELS = tuple(
    _SAMSUNG_MODELS
    + ["Pixel 6", "Pixel 7", "Pixel 7a", "Pixel 8", "Pixel 8 Pro", "K", "moto g(40)", "22111317G",
       "2201117TG", "CPH2409", "RMX3630", "M2101K6G", "ONEPLUS A6013", "LM-Q730"]
)  # fmt: skip
_TABLET_MODELS = ("SM-X710", "SM-T510", "SM-X200", "Lenovo TB-X606F", "KFTRWI")
_BOTS = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    f"Mozilla/5.0 (X11; Linux x86_64) {_WEBKIT} HeadlessChrome/124.0.6367.60 Safari/537.36",
    "python-requests/2.31.0",
    "python-requests/2.32.3",
    "curl/8.5.0",
    "curl/7.88.1",
    "Go-http-client/1.1",
)
_V4_FIRST_OCTETS = (2, 5, 24, 31, 37, 46, 50, 62, 66, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78)
_V4_FIRST_OCTETS += (79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 96, 97)
_V4_FIRST_OCTETS += (98, 99, 104, 107, 108, 109, 151, 173, 174, 176, 178, 185, 188, 193, 212, 217)
_V6_BLOCKS = ("2003:e5", "2a02:810", "2a01:cb00", "2a00:23c5", "2601:18", "2a02:a45", "2a0a:a540")
_EXTERNAL_REFERRERS = (
    ("https://www.google.com/", 30.0),
    ("https://www.google.de/", 8.0),
    ("https://www.google.co.uk/", 4.0),
    ("https://www.bing.com/", 3.0),
    ("https://duckduckgo.com/", 2.0),
    ("https://www.ecosia.org/", 1.0),
    ("https://l.facebook.com/", 4.0),
    ("https://www.instagram.com/", 3.0),
    ("https://t.co/", 1.0),
    ("https://www.pinterest.com/", 1.0),
    ("https://www.reddit.com/", 1.0),
    ("android-app://com.google.android.gm/", 1.0),
)


def _ios_versions() -> list[tuple[str, str]]:
    """(iOS token, Safari version), newest first: 18.2 … 15.0 with patch releases."""
    versions = []
    for major in (18, 17, 16, 15):
        for minor in range(7, -1, -1):
            for patch in ("_2", "_1", ""):
                versions.append(
                    (f"{major}_{minor}{patch}", f"{major}.{minor}{patch.replace('_', '.')}")
                )
    return versions


def _user_agent_families() -> list[tuple[float, list[str]]]:
    """(share of human visitors, UA strings most popular first) per browser family.

    Chrome (since v110) and Edge send a reduced UA ("Android 10; K", minor versions
    zeroed), so they have few distinct strings; Safari varies by iOS patch release;
    Samsung Internet and in-app browsers (Instagram, Facebook) carry device models and
    app builds and make the long tail.
    """
    chrome = range(132, 117, -1)
    ios = _ios_versions()
    samsung_models = _ANDROID_MODELS[:24]
    return [
        (0.30, [
            f"Mozilla/5.0 ({platform}) {_WEBKIT} Chrome/{v}.0.0.0 Safari/537.36"
            for v in chrome for platform in _DESKTOPS
        ]),
        (0.05, [
            f"Mozilla/5.0 ({_DESKTOPS[0]}) {_WEBKIT} Chrome/{v}.0.0.0 Safari/537.36 "
            f"Edg/{v}.0.{2800 + v}.{build}"
            for v in chrome for build in (86, 67, 45)
        ]),
        (0.04, [
            f"Mozilla/5.0 ({platform}; rv:{v}.0) Gecko/20100101 Firefox/{v}.0"
            for v in range(134, 114, -1)
            for platform in ("Windows NT 10.0; Win64; x64", "X11; Ubuntu; Linux x86_64",
                             "Macintosh; Intel Mac OS X 10.15")
        ]),
        (0.05, [
            f"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) {_SAFARI} "
            f"Version/{version} Safari/605.1.15"
            for _, version in ios[:30]
        ]),
        (0.22, [
            f"Mozilla/5.0 (Linux; Android 10; K) {_WEBKIT} Chrome/{v}.0.0.0 Mobile Safari/537.36"
            for v in chrome
        ]),
        (0.05, [
            f"Mozilla/5.0 (Linux; Android {android}; SAMSUNG {model}) {_WEBKIT} "
            f"SamsungBrowser/{v}.0 Chrome/{v + 95}.0.0.0 Mobile Safari/537.36"
            for v in range(27, 21, -1) for android in (14, 13, 12) for model in samsung_models
        ]),
        (0.18, [
            f"Mozilla/5.0 (iPhone; CPU iPhone OS {token} like Mac OS X) {_SAFARI} "
            f"Version/{version} Mobile/15E148 Safari/604.1"
            for token, version in ios
        ]),
        (0.02, [
            f"Mozilla/5.0 (iPad; CPU OS {token} like Mac OS X) {_SAFARI} "
            f"Version/{version} Mobile/15E148 Safari/604.1"
            for token, version in ios
        ]),
        (0.03, [
            f"Mozilla/5.0 (iPhone; CPU iPhone OS {token} like Mac OS X) {_SAFARI} "
            f"CriOS/{v}.0.6834.{build} Mobile/15E148 Safari/604.1"
            for v in chrome for token, _ in ios[:24] for build in (78, 100)
        ]),
        (0.03, [
            f"Mozilla/5.0 (iPhone; CPU iPhone OS {token} like Mac OS X) {_SAFARI} "
            f"Mobile/15E148 Instagram {app}.0.0.{build}.{build * 3} "
            f"(iPhone{phone},{variant}; iOS {token}; de_DE; de; scale=3.00; 1170x2532; "
            f"{app}{build})"
            for app in range(365, 345, -1) for token, _ in ios[:12]
            for phone, variant in ((14, 5), (15, 2), (16, 1)) for build in (21, 34)
        ] + [
            f"Mozilla/5.0 (Linux; Android {android}; {model} Build/UP1A.231005.007; wv) "
            f"{_WEBKIT} Version/4.0 Chrome/{v}.0.0.0 Mobile Safari/537.36 "
            f"[FB_IAB/FB4A;FBAV/{app}.0.0.{build}.{build + 40};]"
            for app in range(490, 470, -1) for v in chrome[:4] for android in (13, 14)
            for model in _ANDROID_MODELS[40:] for build in (31,)
        ]),
        (0.02, [
            f"Mozilla/5.0 (Linux; Android {android}; {model}) {_WEBKIT} "
            f"Chrome/{v}.0.0.0 Safari/537.36"
            for v in chrome for android in (13, 14) for model in _TABLET_MODELS
        ] + [
            f"Mozilla/5.0 (Android 14; Mobile; rv:{v}.0) Gecko/{v}.0 Firefox/{v}.0"
            for v in range(134, 120, -1)
        ]),
    ]  # fmt: skip


def _human_user_agents(rng: np.random.Generator) -> tuple[list[str], np.ndarray]:
    """All human UA strings and their probabilities (family share × Zipf within family)."""
    agents: list[str] = []
    weights: list[np.ndarray] = []
    for share, family in _user_agent_families():
        zipf = 1.0 / np.arange(1, len(family) + 1) ** 1.0
        agents.extend(family)
        weights.append(share * zipf / zipf.sum())
    probabilities = np.concatenate(weights)
    return agents, probabilities / probabilities.sum()


def _random_ids(rng: np.random.Generator, n: int) -> pl.Series:
    """Random 32-character hex ids (uuid-like entropy, fast to make in bulk)."""
    raw = rng.integers(0, 2**63, size=(n, 2), dtype=np.int64)
    frame = pl.DataFrame({"a": raw[:, 0], "b": raw[:, 1]})
    return frame.select(
        pl.format("{}{}", pl.col("a").cast(pl.String), pl.col("b").cast(pl.String))
        .str.slice(0, 32)
        .alias("id")
    )["id"]


def _ip_prefixes(rng: np.random.Generator, n: int) -> list[str]:
    v6 = rng.random(n) < 0.15
    octets = rng.choice(np.array(_V4_FIRST_OCTETS), size=n)
    second, third = rng.integers(0, 256, size=n), rng.integers(0, 256, size=n)
    blocks = rng.integers(0, len(_V6_BLOCKS), size=n)
    tail = rng.integers(0, 65536, size=n)
    return [
        f"{_V6_BLOCKS[blocks[i]]}:{tail[i]:x}::"
        if v6[i]
        else f"{octets[i]}.{second[i]}.{third[i]}.0"
        for i in range(n)
    ]


def write_sample_lake(
    paths: DataPaths, events: int, *, seed: int = 1, events_per_file: int = 50_000
) -> int:
    """Write `events` raw events as time-ordered files of `events_per_file`; returns files."""
    rng = np.random.default_rng(seed)
    humans, human_weights = _human_user_agents(rng)
    visitors = max(1, events // EVENTS_PER_VISITOR)
    is_bot = rng.random(visitors) < 0.03
    agent = np.where(
        is_bot,
        rng.integers(0, len(_BOTS), size=visitors),
        rng.choice(len(humans), size=visitors, p=human_weights),
    )
    agents = pl.Series(humans)
    bots = pl.Series(list(_BOTS))
    visitor_ua = pl.select(
        pl.when(pl.Series(is_bot))
        .then(bots.gather(np.where(is_bot, agent, 0)))
        .otherwise(agents.gather(np.where(is_bot, 0, agent)))
    ).to_series()
    prefixes = pl.Series(_ip_prefixes(rng, max(1, visitors // 2)))
    visitor_ip = prefixes.gather(rng.integers(0, len(prefixes), size=visitors))
    visitor_ids = _random_ids(rng, visitors)
    ext_refs = pl.Series([ref for ref, _ in _EXTERNAL_REFERRERS])
    ext_weights = np.array([w for _, w in _EXTERNAL_REFERRERS])
    ext_weights /= ext_weights.sum()
    start = datetime(2026, 1, 5, tzinfo=UTC)
    span_us = int(timedelta(days=max(1, events // 1_000_000)).total_seconds() * 1e6)
    files = 0
    for first in range(0, events, events_per_file):
        n = min(events_per_file, events - first)
        # Visitors arrive over time: an event belongs to a visitor active around then, or
        # (one event in four) to a returning visitor from any earlier time.
        arrival = (first + np.arange(n)) // EVENTS_PER_VISITOR
        around = arrival + rng.integers(-2000, 2000, size=n)
        earlier = (rng.random(n) * (arrival + 1)).astype(np.int64)
        who = np.clip(np.where(rng.random(n) < 0.25, earlier, around), 0, visitors - 1)
        offset = (first + np.arange(n)) * (span_us // max(events, 1))
        received = pl.Series(offset, dtype=pl.Int64).cast(pl.Duration("us")) + start
        kind = rng.random(n)
        product = rng.integers(1, 5000, size=n)
        frame = pl.DataFrame(
            {
                "event_id": _random_ids(rng, n),
                "visitor_id": visitor_ids.gather(who),
                "is_cookieless": rng.random(n) < 0.3,
                "kind": kind,
                "product": product,
                "referrer_kind": rng.random(n),
                "ext": ext_refs.gather(rng.choice(len(ext_refs), size=n, p=ext_weights)),
                "prev": rng.integers(1, 5000, size=n),
                "utm": rng.random(n) < 0.1,
                "received_at": received,
                "ip_prefix": visitor_ip.gather(who),
                "user_agent": visitor_ua.gather(who),
            }
        ).with_columns(
            event_type=pl.when(pl.col("kind") < 0.6)
            .then(pl.lit("page_view"))
            .when(pl.col("kind") < 0.85)
            .then(pl.lit("product_view"))
            .when(pl.col("kind") < 0.95)
            .then(pl.lit("add_to_cart"))
            .otherwise(pl.lit("checkout_started")),
            page=pl.format("/products/p{}", pl.col("product")),
            product_id=pl.format("p{}", pl.col("product")),
            metadata=pl.when(pl.col("kind") >= 0.9).then(pl.lit('{"qty": 1}')),
            referrer=pl.when(pl.col("referrer_kind") < 0.5)
            .then(pl.format("https://shop.example/products/p{}", pl.col("prev")))
            .when(pl.col("referrer_kind") < 0.75)
            .then(None)
            .otherwise(pl.col("ext")),
            utm_source=pl.when(pl.col("utm")).then(pl.lit(" Newsletter ")),
            utm_medium=pl.when(pl.col("utm")).then(pl.lit("Email")),
            utm_campaign=pl.when(pl.col("utm")).then(pl.lit("spring-sale")),
            utm_term=pl.lit(None, pl.String),
            utm_content=pl.when(pl.col("utm")).then(pl.lit("")),
            customer_id=pl.lit(None, pl.String),
            client_ts=pl.col("received_at"),
            sent_at=pl.col("received_at"),
            event_at=pl.col("received_at"),
        )
        table = frame.select(RAW_EVENT_SCHEMA.names).to_arrow().cast(RAW_EVENT_SCHEMA)
        files += len(write_partitioned(table, paths.raw("events")))
    return files


def _child(root: str) -> None:
    """Run in a fresh process: enrich everything under `root`, report time and peak RSS."""
    from warehouse.enrich import enrich_new_raw_files
    from warehouse.settings import reset_settings

    os.environ["FOOTFALL_DATA_DIR"] = root
    reset_settings()
    started, cpu_started = time.perf_counter(), time.process_time()
    result = enrich_new_raw_files(DataPaths(Path(root)))
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    peak_mib = vm_hwm_mib() or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures = {"seconds": seconds, "cpu_seconds": cpu_seconds, "peak_rss_mib": peak_mib}
    sys.stdout.write(json.dumps({**figures, "result": vars(result)}))


def _distinct_speedup(paths: DataPaths, rows: int) -> dict:
    """Parse every row vs. the distinct-value approach, on the first `rows` raw events.

    Both sides use the same fast resolver and apply the bot markers; "per row" calls the
    library once per event (no cache), "distinct" is `parse_user_agents` with a cold
    cache. `legacy_per_row_s` extrapolates plain `user_agents.parse` (ua-parser's
    pure-Python legacy path, its small cache cleared) to every row, for scale.
    """
    import user_agents

    from warehouse.enrich.seeds import load_seeds
    from warehouse.enrich.user_agent import UserAgentResolver, parse_user_agents

    sample = pl.scan_parquet(lake_files(paths.raw("events")), hive_partitioning=False)
    sample = sample.select("user_agent").head(rows).collect()
    markers = list(load_seeds().bot_markers)
    agents = sample["user_agent"].to_list()

    per_row = UserAgentResolver()
    started, cpu = time.perf_counter(), time.process_time()
    parsed = pl.DataFrame([per_row.classify(ua) for ua in agents], orient="row")
    parsed.with_columns(
        marked=sample["user_agent"].str.contains_any(markers, ascii_case_insensitive=True)
    )
    per_row_s, per_row_cpu = time.perf_counter() - started, time.process_time() - cpu

    distinct = UserAgentResolver()
    started, cpu = time.perf_counter(), time.process_time()
    parse_user_agents(sample.lazy(), distinct, markers).collect()
    distinct_s, distinct_cpu = time.perf_counter() - started, time.process_time() - cpu

    from ua_parser import user_agent_parser

    subsample = list(dict.fromkeys(ua for ua in agents if ua))[:200]
    user_agents.parse(subsample[0])  # load its regexes outside the timing
    started = time.perf_counter()
    for ua in subsample:
        user_agent_parser._PARSE_CACHE.clear()  # time parsing, not its 200-entry cache
        user_agents.parse(ua)
    legacy_s = (time.perf_counter() - started) / max(1, len(subsample)) * len(agents)
    return {
        "sample_rows": sample.height,
        "distinct_user_agents": distinct.parsed,
        "per_row_s": round(per_row_s, 3),
        "distinct_s": round(distinct_s, 4),
        "speedup": round(per_row_s / distinct_s, 1),
        "speedup_cpu": round(per_row_cpu / distinct_cpu, 1),
        "legacy_per_row_s": round(legacy_s, 1),
    }


def distinct_vs_per_row(paths: DataPaths, rows: int = SAMPLE_ROWS) -> dict:
    """The distinct-value vs per-row UA parsing comparison on an existing raw lake.

    For `footfall bench`, which generates its own lake and enriches it separately.
    """
    return _distinct_speedup(paths, rows)


def _write_synthetic_lake(paths: DataPaths, events: int, seed: int) -> int:
    """About `events` events of simulated shop traffic over a week; returns raw event files."""
    from datetime import date

    from warehouse.synthetic import generate_lake

    days = 7
    summary = generate_lake(
        paths,
        days=days,
        visitors_per_day=max(1, round(events / SYNTHETIC_EVENTS_PER_VISITOR / days)),
        seed=seed,
        end_date=date(2026, 3, 1),
    )
    return len(lake_files(paths.raw("events"))) if summary.events else 0


def run_enrich_bench(
    paths_or_tmpdir: DataPaths | Path,
    events: int,
    *,
    seed: int = 1,
    sample_rows: int = SAMPLE_ROWS,
    source: str = "sample",
) -> dict:
    """Generate ~`events` raw events, enrich them in a child process, and measure.

    Returns events/s end to end (read + enrich + write), wall and CPU seconds and peak
    RSS of the step, the extrapolated time for 10M events, and the speed-up of parsing
    distinct UAs over parsing every row on `sample_rows` events. `source` is "sample"
    (this module's generator) or "synthetic" (`warehouse.synthetic.generate_lake`).
    """
    paths = (
        paths_or_tmpdir
        if isinstance(paths_or_tmpdir, DataPaths)
        else DataPaths(Path(paths_or_tmpdir).resolve())
    )
    started = time.perf_counter()
    if source == "synthetic":
        files = _write_synthetic_lake(paths, events, seed)
    elif source == "sample":
        files = write_sample_lake(paths, events, seed=seed)
    else:
        raise ValueError(f"source must be 'sample' or 'synthetic', not {source!r}")
    generate_s = time.perf_counter() - started
    child = subprocess.run(
        [sys.executable, "-m", "benchmarks.enrich", "--child", str(paths.root)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    measured = json.loads(child.stdout)
    seconds = measured["seconds"]
    enriched = measured["result"]["rows"]
    return {
        "source": source,
        "events": enriched,
        "raw_files": files,
        "generate_s": round(generate_s, 2),
        "enrich_s": round(seconds, 2),
        "enrich_cpu_s": round(measured["cpu_seconds"], 2),
        "events_per_s": round(enriched / seconds),
        "extrapolated_10m_s": round(TARGET_EVENTS / (enriched / seconds), 1),
        "peak_rss_mib": round(measured["peak_rss_mib"]),
        "load_average": [round(value, 2) for value in os.getloadavg()],
        "cpus": os.cpu_count(),
        "step": measured["result"],
        "distinct_vs_per_row": _distinct_speedup(paths, sample_rows),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--source", choices=("sample", "synthetic"), default="sample")
    parser.add_argument("--dir", type=Path, default=None, help="data dir (default: a temp dir)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child)
        return
    if args.dir is not None:
        figures = run_enrich_bench(args.dir, args.events, source=args.source)
    else:
        with tempfile.TemporaryDirectory(prefix="footfall-enrich-bench-") as tmp:
            figures = run_enrich_bench(Path(tmp), args.events, source=args.source)
    sys.stdout.write(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
