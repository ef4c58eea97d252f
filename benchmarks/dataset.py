"""The benchmark's data: simulated shop traffic, one day held back, and the enrichment stages.

`footfall bench` generates `days + 1` days with `warehouse.synthetic.generate_lake` and
moves the newest day's raw partitions (events, orders, customers; every partition from
that date on, so late rows that spill past midnight go with it) aside. The full build runs
on the `days` days; releasing the held-back day afterwards gives a realistic incremental
run: one new day of data arriving on top of a built warehouse.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from warehouse.lake import PARTITION_COLUMN, lake_files
from warehouse.paths import DataPaths

DATASETS = ("events", "orders", "customers")
# Events per (visitor per day) that generate_lake writes, measured over 30 days: 5.8.
EVENTS_PER_VISITOR_DAY = 5.8
# A fixed past end date: the same seed gives the same traffic from run to run.
END_DATE = date(2026, 3, 1)


def visitors_per_day(events: int, days: int) -> int:
    """The generator's visitors per day that gives about `events` events over `days` days."""
    return max(1, round(events / (days * EVENTS_PER_VISITOR_DAY)))


def _end_date() -> date:
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    return min(END_DATE, yesterday)


def _paths(root: str) -> DataPaths:
    return DataPaths(Path(root))


def _move_partitions(source_root: Path, target_root: Path, first_day: date | None) -> int:
    """Move `date=D` partition files (D ≥ first_day, or all) from one tree to another."""
    moved = 0
    for dataset in DATASETS:
        source = source_root / dataset
        if not source.is_dir():
            continue
        for partition in sorted(source.glob(f"{PARTITION_COLUMN}=*")):
            day = date.fromisoformat(partition.name.split("=", 1)[1])
            if first_day is not None and day < first_day:
                continue
            target = target_root / dataset / partition.name
            target.mkdir(parents=True, exist_ok=True)
            for path in sorted(partition.glob("*.parquet")):
                os.replace(path, target / path.name)
                moved += 1
            if not any(partition.iterdir()):
                partition.rmdir()
    return moved


def generate_stage(root: str, *, events: int, days: int, seed: int, holdback: str) -> dict:
    """Generate `days + 1` days (~`events` in the first `days`); hold the newest day back."""
    from warehouse.synthetic import generate_lake

    paths = _paths(root)
    end = _end_date()
    per_day = visitors_per_day(events, days)
    summary = generate_lake(paths, days=days + 1, visitors_per_day=per_day, seed=seed, end_date=end)
    held = _move_partitions(paths.lake / "raw", Path(holdback), end)
    return {
        "days": days,
        "visitors_per_day": per_day,
        "first_date": summary.first_date.isoformat(),
        "new_day": end.isoformat(),
        "generated_events": summary.events,
        "generated_bot_events": summary.bot_events,
        "generated_orders": summary.orders,
        "generate_s": round(summary.seconds, 2),
        "held_back_files": held,
        "lake_events": _count_rows(lake_files(paths.raw("events"))),
        "held_back_events": _count_rows(lake_files(Path(holdback) / "events")),
    }


def _count_rows(files: list[Path]) -> int:
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(path).metadata.num_rows for path in files)


def release_new_day_stage(root: str, *, holdback: str) -> dict:
    """Move the held-back day into the raw lake, as if the lander had just landed it."""
    moved = _move_partitions(Path(holdback), _paths(root).lake / "raw", None)
    return {"released_files": moved}


def enrich_stage(root: str) -> dict[str, Any]:
    """Enrich every raw event file not enriched yet (footfall's own step), timed."""
    from warehouse.enrich import enrich_new_raw_files

    started, cpu = time.perf_counter(), time.process_time()
    result = enrich_new_raw_files(_paths(root))
    seconds = time.perf_counter() - started
    return {
        "events": result.rows,
        "files": result.files,
        "seconds": round(seconds, 3),
        "cpu_s": round(time.process_time() - cpu, 3),
        "events_per_s": round(result.rows / seconds) if seconds > 0 else 0,
        "user_agents_distinct": result.user_agents_distinct,
        "ip_prefixes_distinct": result.ip_prefixes_distinct,
    }


def enrich_speedup_stage(root: str, *, rows: int) -> dict[str, Any]:
    """Distinct-value UA parsing vs a naive parse of every row, on the lake's first `rows`."""
    from benchmarks.enrich import distinct_vs_per_row

    return distinct_vs_per_row(_paths(root), rows)


def enrich_speedup_realistic_stage(root: str, *, rows: int) -> dict[str, Any]:
    """The same comparison on `rows` events with real-world UA variety.

    The simulator draws from few UA strings (~60 per 100k events); real traffic has far
    more (Safari patch releases, Android device models, in-app browsers: ~1,000 per 100k),
    which is what `benchmarks.enrich.write_sample_lake` writes. Fewer repeats, less gain:
    this is the conservative figure. Written beside, never into, the benchmark's lake.
    """
    import shutil
    import tempfile

    from benchmarks.enrich import distinct_vs_per_row, write_sample_lake

    scratch = Path(tempfile.mkdtemp(prefix="ua-sample-", dir=Path(root).parent))
    try:
        paths = DataPaths(scratch)
        write_sample_lake(paths, rows)
        return distinct_vs_per_row(paths, rows)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
