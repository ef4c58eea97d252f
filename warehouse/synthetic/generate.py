"""`generate_lake`: write simulated traffic straight into the raw lake, as the lander would.

The generator skips the collector and spool (that path has its own tests) but writes
the very files the lander writes: the lake's schemas, `write_partitioned` by the UTC
date of `received_at`, atomic renames. Retried (duplicate) events go to files of their
own, as a second spool segment would put them. Each day's events are landed as soon as
the day is simulated; rows that arrive on a later day, and all order and customer rows,
are landed together at the end (an interrupted run leaves a partial lake: start over in
an empty data directory).
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

from warehouse.lake import write_partitioned
from warehouse.paths import DataPaths
from warehouse.settings import get_settings
from warehouse.synthetic.traffic import DayPlan, DayStats, TrafficSimulator

WRITERS = 2  # days materialised and written concurrently (this machine has two cores)
_COUNTED = (
    "events",
    "bot_events",
    "duplicate_events",
    "late_events",
    "visits",
    "cookieless_visitors",
    "orders",
    "order_rows",
    "customers",
    "customer_rows",
)
DayResult = tuple[DayStats, int, list[pa.Table]]  # stats, files written, rows for later days
ProgressCallback = Callable[[DayStats, int, int], None]  # (day stats, days done, days total)


@dataclass(frozen=True)
class GenerateSummary:
    """What `generate_lake` wrote."""

    first_date: date
    last_date: date
    events: int
    bot_events: int
    duplicate_events: int
    late_events: int
    visitors: int  # distinct human visitor ids (cookieless ids counted per day)
    visits: int
    orders: int
    order_rows: int
    customers: int
    customer_rows: int
    files: int
    seconds: float

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


def generate_lake(
    paths: DataPaths,
    *,
    days: int,
    visitors_per_day: int,
    seed: int,
    end_date: date | None = None,
    now: datetime | None = None,
    progress: ProgressCallback | None = None,
) -> GenerateSummary:
    """Simulate `days` days ending `end_date` (default: today, cut at now) into the raw lake.

    Deterministic: the same arguments (and secret) give the same rows; file names are new.
    Raises ValueError for days < 1, visitors_per_day < 1, seed < 0 or a future end_date.
    """
    started = time.perf_counter()
    simulator = TrafficSimulator(
        days=days,
        visitors_per_day=visitors_per_day,
        seed=seed,
        secret=get_settings().secret,
        end_date=end_date,
        now=now,
    )
    totals: Counter[str] = Counter()
    total_days = (simulator.last_day - simulator.first_day).days + 1
    # Rows that arrive after their simulated day (visits across midnight, late batches,
    # order and customer updates) are gathered and landed once at the end, so a partition
    # gets a few files rather than one per earlier day that spilled into it.
    spilled: dict[str, list[pa.Table]] = {"events": [], "orders": [], "customers": []}

    def finish(job: Future[DayResult]) -> None:
        stats, files, late_events = job.result()
        spilled["events"] += late_events
        _add_day(totals, stats, files)
        if progress is not None:
            progress(stats, totals["days"], total_days)

    # The main thread simulates day d+1 while workers turn earlier days into Arrow strings
    # and Parquet (both release the GIL); at most WRITERS days wait in memory.
    with ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="lake-writer") as pool:
        pending: deque[Future[DayResult]] = deque()
        for plan in simulator.plans():
            spilled["orders"].append(plan.orders)
            spilled["customers"].append(plan.customers)
            if len(pending) >= WRITERS:
                finish(pending.popleft())
            pending.append(pool.submit(_write_day, plan, paths))
        while pending:
            finish(pending.popleft())
    for dataset, tables in spilled.items():
        if tables:
            table = pa.concat_tables(tables)
            totals["files"] += len(write_partitioned(table, paths.raw(dataset)))
    return GenerateSummary(
        first_date=simulator.first_day,
        last_date=simulator.last_day,
        events=totals["events"],
        bot_events=totals["bot_events"],
        duplicate_events=totals["duplicate_events"],
        late_events=totals["late_events"],
        visitors=simulator.distinct_visitors + totals["cookieless_visitors"],
        visits=totals["visits"],
        orders=totals["orders"],
        order_rows=totals["order_rows"],
        customers=totals["customers"],
        customer_rows=totals["customer_rows"],
        files=totals["files"],
        seconds=time.perf_counter() - started,
    )


def _write_day(plan: DayPlan, paths: DataPaths) -> DayResult:
    """Materialise and land one day's events received that day; return the later ones."""
    traffic = plan.materialize()
    events = traffic.events
    retry = traffic.event_extras.column("is_retry").to_numpy()
    received = events.column("received_at").cast(pa.int64()).to_numpy()
    next_midnight = _day_start_us(plan.day + timedelta(days=1))
    written: list[Path] = []
    late: list[pa.Table] = []
    # Rows are sorted by (is_retry, received_at): first responses, then retries, each in
    # arrival order; retries get files of their own, as a later spool segment would.
    first_retry = int(retry.argmax()) if retry.any() else len(retry)
    for start, stop in ((0, first_retry), (first_retry, len(retry))):
        cut = start + int(np.searchsorted(received[start:stop], next_midnight))
        if cut > start:
            written += write_partitioned(events.slice(start, cut - start), paths.raw("events"))
        if stop > cut:  # a copy: a slice would keep the whole day's buffers alive
            late.append(events.take(pa.array(np.arange(cut, stop))))
    return traffic.stats, len(written), late


def _day_start_us(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) * 1_000_000


def _add_day(totals: Counter, stats: DayStats, files: int) -> None:
    totals["days"] += 1
    totals["files"] += files
    for name in _COUNTED:
        totals[name] += getattr(stats, name)
