"""A bounded soak of the collector and the read API together, as real processes.

Clients post event batches to `footfall collect` (from thousands of client addresses, so
the rate limiter's table is exercised) while others read every data endpoint of
`footfall api`, whose data dir is the collector's: the API serves a published snapshot and
counts realtime visitors from the lake the collector keeps landing into. Every second the
test samples both processes' RSS and open file descriptors (/proc). After a warm-up, both
must stay flat: no leak of memory, sockets, files or DuckDB connections; and no request may
fail. 25 s in the default run; the slow variant runs FOOTFALL_SOAK_SECONDS (default 300).
"""

from __future__ import annotations

import random
import shutil
import statistics
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.reliability.conftest import Figures, env_int
from tests.reliability.procs import READ_TOKEN, Usage, footfall_env, running
from tests.utils.fixtures import BuiltWarehouse
from warehouse import publish
from warehouse.paths import DataPaths

TRACK = "/api/v1/analytics/track"
WARM_UP_SHARE = 0.4
# Allowed growth between the first and the last quarter of the measured part (medians:
# open fds swing with in-flight requests and Parquet reads, a leak climbs).
RSS_SLACK_BYTES = 24 * 1024 * 1024
RSS_SLACK_SHARE = 0.10
FD_SLACK = 8


def api_urls(end: str) -> list[str]:
    days = [f"2026-03-{day:02d}" for day in range(8, 15)]
    urls = [f"/api/v1/dashboard/metrics?date={day}" for day in days]
    urls += [
        f"/api/v1/metrics/daily?start=2026-03-01&end={end}",
        f"/api/v1/funnel?start=2026-03-08&end={end}&by=channel",
        f"/api/v1/funnel?start=2026-03-08&end={end}",
        "/api/v1/retention?cohorts=8",
        f"/api/v1/products/top?start=2026-03-08&end={end}&sort=views",
        f"/api/v1/orders/status?start=2026-03-08&end={end}",
        "/api/v1/realtime",
        "/api/v1/runs?limit=5",
        "/healthz",
    ]
    urls += [f"/api/v1/breakdown/{d}?start=2026-03-08&end={end}" for d in ("device", "country")]
    return urls


@dataclass
class Traffic:
    statuses: dict[str, Counter[int]] = field(
        default_factory=lambda: {"collector": Counter(), "api": Counter()}
    )
    errors: list[str] = field(default_factory=list)
    events: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def note(self, side: str, status: int, events: int = 0) -> None:
        with self.lock:
            self.statuses[side][status] += 1
            self.events += events if status == 200 else 0


def post_events(url: str, traffic: Traffic, seed: int) -> None:
    rng = random.Random(seed)
    with httpx.Client(base_url=url, timeout=30) as http:
        while not traffic.stop.is_set():
            events = [
                {
                    "eventId": str(uuid.uuid4()),
                    "sessionId": f"soak-{rng.randrange(3000)}",
                    "eventType": rng.choice(["page_view", "product_view", "add_to_cart"]),
                    "page": f"/soak/{rng.randrange(200)}",
                }
                for _ in range(rng.randint(1, 10))
            ]
            address = f"10.{rng.randrange(20)}.{rng.randrange(250)}.{rng.randrange(1, 250)}"
            try:
                response = http.post(TRACK, json=events, headers={"X-Forwarded-For": address})
            except httpx.HTTPError as exc:
                traffic.errors.append(f"collector: {type(exc).__name__}")
                continue
            traffic.note("collector", response.status_code, len(events))
            time.sleep(0.004)


def read_api(url: str, urls: list[str], traffic: Traffic, seed: int) -> None:
    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {READ_TOKEN}"}
    with httpx.Client(base_url=url, timeout=30, headers=headers) as http:
        while not traffic.stop.is_set():
            try:
                response = http.get(rng.choice(urls))
            except httpx.HTTPError as exc:
                traffic.errors.append(f"api: {type(exc).__name__}")
                continue
            traffic.note("api", response.status_code)
            time.sleep(0.004)


def quarter_medians(values: list[int]) -> tuple[float, float]:
    quarter = max(1, len(values) // 4)
    return statistics.median(values[:quarter]), statistics.median(values[-quarter:])


def soak(
    built: BuiltWarehouse, data_dir: DataPaths, tmp_path: Path, seconds: int, figures: Figures
) -> None:
    data_dir.published.mkdir(parents=True)
    current = publish.current_snapshot_path(built.paths)
    shutil.copy2(current, data_dir.published / current.name)
    shutil.copy2(built.paths.current_pointer, data_dir.current_pointer)
    env = footfall_env(data_dir.root)
    traffic = Traffic()
    usage: dict[str, Usage] = {}
    with (
        running("collect", env, tmp_path / "collector.log", log_level="warning") as collector,
        running("api", env, tmp_path / "api.log", log_level="warning") as api,
    ):
        usage = {"collector": Usage(collector.pid), "api": Usage(api.pid)}
        urls = api_urls(str(built.end_date))
        threads = [
            threading.Thread(target=post_events, args=(collector.url, traffic, n)) for n in (1, 2)
        ] + [threading.Thread(target=read_api, args=(api.url, urls, traffic, n)) for n in (3, 4)]
        for thread in threads:
            thread.start()
        try:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                for sampler in usage.values():
                    sampler.sample()
                time.sleep(1.0)
        finally:
            traffic.stop.set()
            for thread in threads:
                thread.join(timeout=60)
        time.sleep(3)  # past the realtime cache's refresh: nothing may stay open now
        for sampler in usage.values():
            sampler.sample()
    numbers: dict[str, object] = {"seconds": seconds, "events_acknowledged": traffic.events}
    problems = []
    for side, sampler in usage.items():
        measured = sampler.after(WARM_UP_SHARE)
        first, last = quarter_medians(measured.rss)
        numbers[side] = {
            "requests": sum(traffic.statuses[side].values()),
            "statuses": dict(traffic.statuses[side]),
            "rss_mib_start": round(sampler.rss[0] / 2**20, 1),
            "rss_mib_after_warm_up": round(first / 2**20, 1),
            "rss_mib_end": round(last / 2**20, 1),
            "rss_mib_per_min": round(measured.rss_growth_per_minute() / 2**20, 2),
            "fds_min_max": [min(measured.fds), max(measured.fds)],
            "deleted_files_held_max": max(sampler.deleted),
        }
        if last - first > max(RSS_SLACK_BYTES, first * RSS_SLACK_SHARE):
            problems.append(f"{side} RSS grew {first / 2**20:.0f} → {last / 2**20:.0f} MiB")
        # Lake files are left out: the realtime query holds the Parquet files of the last 30
        # minutes while it runs, and the collector keeps landing more. They must all be
        # closed once the traffic stops (checked below).
        fds_first, fds_last = quarter_medians(measured.fds_outside(data_dir.lake))
        if fds_last - fds_first > FD_SLACK:
            problems.append(
                f"{side} open fds grew {fds_first} → {fds_last}: {measured.fd_growth()}"
            )
        if max(measured.deleted) > 0:
            problems.append(f"{side} kept deleted files open")
        if held := sampler.held_under(data_dir.lake):
            problems.append(f"{side} still holds lake files after the traffic: {held[:5]}")
    c, a = numbers["collector"], numbers["api"]
    figures.record(
        title=f"Soak: collector and API together, {seconds} s",
        did=(
            f"{c['requests']} track requests ({traffic.events} events) and {a['requests']} API "
            f"reads in {seconds} s; RSS collector {c['rss_mib_after_warm_up']}→"
            f"{c['rss_mib_end']} MiB, API {a['rss_mib_after_warm_up']}→{a['rss_mib_end']} MiB "
            f"after warm-up; fds collector {c['fds_min_max']}, API {a['fds_min_max']}"
        ),
        lost=f"nothing: {len(traffic.errors)} failed requests, "
        f"{sum(n for s, n in traffic.statuses['collector'].items() if s != 200)} + "
        f"{sum(n for s, n in traffic.statuses['api'].items() if s != 200)} non-200 answers",
        **numbers,
    )
    assert not traffic.errors, traffic.errors[:5]
    assert set(traffic.statuses["collector"]) == {200}, traffic.statuses
    assert set(traffic.statuses["api"]) == {200}, traffic.statuses
    assert not problems, problems


def test_soak_collector_and_api_stay_flat(
    built_warehouse: BuiltWarehouse, data_dir: DataPaths, tmp_path: Path, figures: Figures
) -> None:
    soak(built_warehouse, data_dir, tmp_path, 25, figures)


@pytest.mark.slow
def test_long_soak_collector_and_api_stay_flat(
    built_warehouse: BuiltWarehouse, data_dir: DataPaths, tmp_path: Path, figures: Figures
) -> None:
    soak(built_warehouse, data_dir, tmp_path, env_int("FOOTFALL_SOAK_SECONDS", 300), figures)
