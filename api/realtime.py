"""Realtime visitors, computed on read from the newest landed raw events (not from marts).

Marts are as fresh as the last pipeline run; the lander seals spool segments every few
seconds, so the raw lake is the freshest data there is. Only the partitions that can hold
an event of the last 30 minutes are read: an event's time never exceeds its arrival time
(DESIGN "Event time"), so such an event arrived in the last 30 minutes, i.e. on the UTC date
of now − 30 min or of now. Counting uses the corrected event time, so a batch held offline
for days does not count as current. Bots are excluded by the analyst-editable markers in
`seeds/bot_markers.csv` (case-insensitive substring of the User-Agent).
"""

from __future__ import annotations

import csv
import functools
import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from warehouse.lake import partition_dir
from warehouse.paths import DataPaths

log = logging.getLogger(__name__)

WINDOW_MINUTES = 30
MTIME_MARGIN = timedelta(minutes=5)
BOT_MARKERS_CSV = Path(__file__).resolve().parents[1] / "seeds" / "bot_markers.csv"
FALLBACK_BOT_MARKERS = ("bot", "crawler", "spider", "headless", "curl/", "wget/")


@dataclass(frozen=True)
class RealtimeCounts:
    """Visitors in the last 30 minutes and per minute (oldest minute first)."""

    as_of: datetime
    active_users: int
    per_minute: list[tuple[datetime, int]]
    newest_event_at: datetime | None

    @property
    def users_per_minute(self) -> float:
        if not self.per_minute:
            return 0.0
        return round(sum(count for _, count in self.per_minute) / len(self.per_minute), 2)


@functools.cache
def bot_markers(path: Path = BOT_MARKERS_CSV) -> tuple[str, ...]:
    """Lower-case User-Agent markers of bots, from the seed analysts edit."""
    try:
        with open(path, newline="", encoding="utf-8") as source:
            markers = tuple(
                row["marker"].strip().lower() for row in csv.DictReader(source) if row["marker"]
            )
    except (OSError, KeyError) as exc:
        log.warning("cannot read bot markers from %s (%s); using a built-in list", path, exc)
        return FALLBACK_BOT_MARKERS
    return markers or FALLBACK_BOT_MARKERS


def _minute_floor(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _candidate_files(paths: DataPaths, now: datetime) -> list[str]:
    """The files of the window's partitions that were written after the window began.

    A landed file holds only events received before it was written, so a file last
    modified before the window began has none of its events: skipping it spares opening
    most of a busy day's thousands of small files every few seconds. (A privacy rewrite
    writes a new file, so it is read again; the margin absorbs a clock step.)
    """
    dataset = paths.raw("events")
    since = now - timedelta(minutes=WINDOW_MINUTES)
    oldest_mtime = (since - MTIME_MARGIN).timestamp()
    files: list[str] = []
    for day in sorted({since.date(), now.date()}):
        for path in sorted(partition_dir(dataset, day).glob("*.parquet")):
            try:
                if path.stat().st_mtime >= oldest_mtime:
                    files.append(str(path))
            except FileNotFoundError:  # removed by a privacy job since the listing
                continue
    return files


_QUERY = """
with recent as (
    select visitor_id, event_at, date_trunc('minute', event_at) as minute
    from read_parquet($files, hive_partitioning = false)
    where received_at >= $since
      and event_at >= $since
      and event_at <= $now
      and visitor_id is not null
      and not list_has_any(
          [contains(lower(coalesce(user_agent, '')), marker) for marker in $markers], [true]
      )
)
select 'all' as kind, null as minute, count(distinct visitor_id) as visitors from recent
union all
select 'minute', minute, count(distinct visitor_id) from recent group by minute
union all
select 'newest', max(event_at), null from recent
"""


def compute_realtime(paths: DataPaths, now: datetime | None = None) -> RealtimeCounts:
    """Active visitors in the last 30 minutes and their per-minute series (zeros if none)."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    since = now - timedelta(minutes=WINDOW_MINUTES)
    first_minute = _minute_floor(now) - timedelta(minutes=WINDOW_MINUTES - 1)
    minutes = [first_minute + timedelta(minutes=i) for i in range(WINDOW_MINUTES)]
    files = _candidate_files(paths, now)
    total, by_minute, newest = 0, {}, None
    if files:
        rows = _run_query(files, since, now)
        for kind, minute, visitors in rows:
            if kind == "all":
                total = int(visitors)
            elif kind == "minute" and minute is not None:
                by_minute[minute.astimezone(UTC)] = int(visitors)
            elif kind == "newest" and minute is not None:
                newest = minute.astimezone(UTC)
    series = [(minute, by_minute.get(minute, 0)) for minute in minutes]
    return RealtimeCounts(now, total, series, newest)


def _run_query(files: list[str], since: datetime, now: datetime) -> list[tuple]:
    params = {"files": files, "since": since, "now": now, "markers": list(bot_markers())}
    for attempt in range(2):
        # A short-lived in-memory database: never the build file, never a shared connection.
        con = duckdb.connect(":memory:", config={"threads": "1"})
        try:
            con.execute("set TimeZone = 'UTC'")
            return con.execute(_QUERY, params).fetchall()
        except duckdb.IOException:
            # A privacy job may swap a partition's file between the listing and the read.
            if attempt:
                raise
            files = [path for path in files if Path(path).exists()]
            if not files:
                return []
        finally:
            con.close()
    return []


class RealtimeCache:
    """Recompute realtime at most every `ttl` seconds: the lake changes every few seconds."""

    def __init__(self, paths: DataPaths, ttl: float = 2.0) -> None:
        self.paths = paths
        self.ttl = ttl
        self._lock = threading.Lock()
        self._value: RealtimeCounts | None = None
        self._computed_at = float("-inf")

    def get(self) -> RealtimeCounts:
        with self._lock:
            if self._value is not None and time.monotonic() - self._computed_at < self.ttl:
                return self._value
            value = compute_realtime(self.paths)
            self._value, self._computed_at = value, time.monotonic()
            return value
