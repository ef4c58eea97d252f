"""The naive baseline: what a user might write instead of footfall — a row upsert per event.

This is the product brief's `trackEvent` (find the visitor's visit, create or update it,
insert the event) done in Python against SQLite, the fastest embedded row store at hand:
for every event, in arrival (`received_at`) order,

1. parse its user agent (ua-parser, the same library and resolver footfall uses, with no
   cache — the brief builds a `new UAParser(ua)` per event) and look its IP prefix up in
   the same GeoIP database;
2. read the visitor's latest visit; it continues if the event is at most 30 minutes after
   the visit's last event, else a new visit starts (session continuation in Python);
3. `insert … on conflict(visit_id) do update` the visit (last seen, duration, counters),
   insert the event row, and commit — one transaction per event, as a request handler
   would.

The database runs in WAL mode with `synchronous=NORMAL` (no fsync per commit), so the
baseline is flattered, not handicapped. It computes only visits — no bots, channels,
funnels, attribution, retention or tests, which footfall's path does — so the speed-up
reported against it is a floor. It runs on a sample of the benchmark's own events (the
earliest `rows` by arrival) and is extrapolated per event.
"""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from warehouse.lake import PARTITION_COLUMN
from warehouse.paths import DataPaths

SCHEMA = """
create table visits (
    visit_id     integer primary key,
    visitor_id   text not null,
    started_at   text not null,
    last_seen_at text not null,
    duration_s   real not null default 0,
    events       integer not null default 1,
    page_views   integer not null default 0,
    landing_page text,
    referrer     text,
    device_type  text,
    browser      text,
    os           text,
    country      text,
    city         text
);
create index visits_by_visitor on visits (visitor_id, started_at);
create table visit_events (
    event_id   text primary key,
    visit_id   integer not null,
    event_type text not null,
    page       text,
    product_id text,
    event_at   text not null
);
"""

UPSERT_VISIT = """
insert into visits (visit_id, visitor_id, started_at, last_seen_at, duration_s, events,
                    page_views, landing_page, referrer, device_type, browser, os, country, city)
values (?, ?, ?, ?, 0, 1, ?, ?, ?, ?, ?, ?, ?, ?)
on conflict (visit_id) do update set
    last_seen_at = max(visits.last_seen_at, excluded.last_seen_at),
    duration_s = (julianday(max(visits.last_seen_at, excluded.last_seen_at))
                  - julianday(visits.started_at)) * 86400.0,
    events = visits.events + 1,
    page_views = visits.page_views + excluded.page_views
"""
STAMP = "%Y-%m-%d %H:%M:%S.%f"  # one fixed width, so text order is time order
COLUMNS = ("event_id", "visitor_id", "event_type", "page", "product_id", "referrer")
COLUMNS += ("event_at", "received_at", "ip_prefix", "user_agent")


def _parse(stamp: str) -> datetime:
    return datetime.strptime(stamp, STAMP).replace(tzinfo=UTC)


def sample_events(paths: DataPaths, rows: int) -> pl.DataFrame:
    """The earliest `rows` raw events by arrival, reading only the partitions needed."""
    frames: list[pl.DataFrame] = []
    have = 0
    for partition in sorted(paths.raw("events").glob(f"{PARTITION_COLUMN}=*")):
        files = sorted(partition.glob("*.parquet"))
        if not files:
            continue
        frame = pl.read_parquet(files, columns=list(COLUMNS), hive_partitioning=False)
        frames.append(frame)
        have += frame.height
        if have >= rows:
            break
    if not frames:
        return pl.DataFrame()
    return pl.concat(frames).sort("received_at").head(rows)


def run_naive_upsert(paths: DataPaths, rows: int, timeout_minutes: int = 30) -> dict[str, Any]:
    """Run the per-event upsert path over the first `rows` events; returns its figures."""
    from warehouse.enrich.geo import _place  # the same record → place mapping as footfall
    from warehouse.enrich.geoip_database import open_geoip_database
    from warehouse.enrich.user_agent import UserAgentResolver

    events = sample_events(paths, rows)
    database = paths.root / "naive-baseline.sqlite"
    database.unlink(missing_ok=True)
    con = sqlite3.connect(database, isolation_level=None)
    con.execute("pragma journal_mode=wal")
    con.execute("pragma synchronous=normal")
    con.executescript(SCHEMA)
    agents = UserAgentResolver()
    geo = open_geoip_database()
    timeout = timedelta(minutes=timeout_minutes)
    parse_s = db_s = 0.0
    next_visit = 1
    started = time.perf_counter()
    for event in events.iter_rows(named=True):
        tick = time.perf_counter()
        device, browser, _, os_name, _, _ = agents.classify(event["user_agent"])
        try:
            place = _place(geo.get(event["ip_prefix"])) if event["ip_prefix"] else None
        except ValueError:
            place = None
        country, city = (place[1], place[3]) if place else (None, None)
        tock = time.perf_counter()
        parse_s += tock - tick
        event_at: datetime = event["event_at"]
        con.execute("begin")
        latest = con.execute(
            "select visit_id, last_seen_at from visits where visitor_id = ? "
            "order by started_at desc limit 1",
            (event["visitor_id"],),
        ).fetchone()
        if latest is not None and event_at - _parse(latest[1]) <= timeout:
            visit_id = latest[0]
        else:
            visit_id, next_visit = next_visit, next_visit + 1
        stamp = event_at.strftime(STAMP)
        con.execute(
            UPSERT_VISIT,
            (
                visit_id, event["visitor_id"], stamp, stamp,
                1 if event["event_type"] == "page_view" else 0,
                event["page"], event["referrer"], device, browser, os_name, country, city,
            ),
        )  # fmt: skip
        con.execute(
            "insert into visit_events values (?, ?, ?, ?, ?, ?) on conflict do nothing",
            (
                event["event_id"], visit_id, event["event_type"], event["page"],
                event["product_id"], stamp,
            ),
        )  # fmt: skip
        con.execute("commit")
        db_s += time.perf_counter() - tock
    seconds = time.perf_counter() - started
    visits = con.execute("select count(*) from visits").fetchone()[0]
    con.close()
    geo.close()
    return {
        "events": events.height,
        "visits": visits,
        "seconds": round(seconds, 3),
        "parse_s": round(parse_s, 3),
        "upsert_s": round(db_s, 3),
        "events_per_s": round(events.height / seconds) if seconds > 0 else 0,
        "database": "sqlite " + sqlite3.sqlite_version + " (WAL, synchronous=NORMAL)",
    }


def naive_upsert_stage(root: str, *, rows: int) -> dict[str, Any]:
    """Child-process entry (benchmarks.child): the naive baseline on the data dir `root`."""
    from warehouse.settings import get_settings

    return run_naive_upsert(
        DataPaths(Path(root)), rows, timeout_minutes=get_settings().session_timeout_minutes
    )
