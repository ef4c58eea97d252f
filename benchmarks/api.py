"""Read API benchmark: latency of the dashboard's main reads, cached and uncached.

Method. `concurrency` client threads (httpx, keep-alive) run a closed loop against a
running `footfall api` on 127.0.0.1 for `seconds` in total, split in two halves:

1. cached — each thread cycles through the same three URLs (dashboard metrics for the
   newest data day, the channel breakdown and the funnel for the 7 days up to it): after
   the first request per URL these are answers from the per-snapshot cache, so this is
   the HTTP + auth + serialisation path (+ the realtime lake scan every 2 s);
2. uncached — every request asks for a different day or range (the date walks back one day
   per request, up to 366 distinct keys per endpoint), so most requests run their SQL on
   the snapshot: the cost of a cache miss.

For each phase and endpoint: p50/p95/p99 latency in ms and the request count; per phase:
requests/s over all endpoints; overall: the number of non-200 answers and transport errors.
The client runs on the same machine and shares its cores with the server, so the figures
are a floor on what the API does, not its ceiling. Load goes only to 127.0.0.1.
"""

from __future__ import annotations

import itertools
import statistics
import threading
import time
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx

ENDPOINTS = ("dashboard_metrics", "breakdown_channel", "funnel")
MAX_SECONDS = 300.0
MAX_CONCURRENCY = 16


def _check_local(base_url: str) -> None:
    host = urlsplit(base_url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"benchmarks only run against this machine, not {host!r}")


def _wait_until_up(client: httpx.Client, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.get("/healthz")
            return
        except httpx.TransportError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.2)


def _newest_day(client: httpx.Client) -> date:
    """The newest day with data (from the snapshot's dataAsOf), else today."""
    _wait_until_up(client)
    response = client.get("/api/v1/runs", params={"limit": 1})
    response.raise_for_status()
    body = response.json()
    return date.fromisoformat((body.get("dataAsOf") or body["today"])[:10])


def _urls(endpoint: str, newest: date, back: int) -> tuple[str, dict[str, str]]:
    end = newest - timedelta(days=back)
    start = end - timedelta(days=6)
    if endpoint == "dashboard_metrics":
        return "/api/v1/dashboard/metrics", {"date": end.isoformat()}
    if endpoint == "breakdown_channel":
        return "/api/v1/breakdown/channel", {"start": start.isoformat(), "end": end.isoformat()}
    return "/api/v1/funnel", {"start": start.isoformat(), "end": end.isoformat()}


def _percentiles(samples: list[float]) -> dict[str, float | int]:
    if not samples:
        return {"count": 0}
    ordered = sorted(samples)
    cuts = statistics.quantiles(ordered, n=100, method="inclusive") if len(ordered) > 1 else []

    def pick(p: int) -> float:
        return round(1000 * (cuts[p - 1] if cuts else ordered[0]), 2)

    return {"count": len(ordered), "p50_ms": pick(50), "p95_ms": pick(95), "p99_ms": pick(99)}


def _run_phase(
    base_url: str, token: str, seconds: float, concurrency: int, newest: date, vary: bool
) -> tuple[dict[str, list[float]], int, int]:
    latencies: dict[str, list[float]] = {endpoint: [] for endpoint in ENDPOINTS}
    errors = 0
    lock = threading.Lock()
    counter = itertools.count()
    deadline = time.perf_counter() + seconds

    def worker(offset: int) -> None:
        nonlocal errors
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=30.0) as client:
            i = offset
            while time.perf_counter() < deadline:
                endpoint = ENDPOINTS[i % len(ENDPOINTS)]
                back = (next(counter) % 366) if vary else 0
                path, params = _urls(endpoint, newest, back)
                started = time.perf_counter()
                try:
                    response = client.get(path, params=params)
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                elapsed = time.perf_counter() - started
                with lock:
                    if ok:
                        latencies[endpoint].append(elapsed)
                    else:
                        errors += 1
                i += 1

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return latencies, errors, wall


def run_api_bench(
    base_url: str, token: str, seconds: float = 10.0, concurrency: int = 4
) -> dict[str, Any]:
    """Measure the read API at `base_url` (127.0.0.1 only); see the module docstring."""
    _check_local(base_url)
    seconds = min(max(seconds, 1.0), MAX_SECONDS)
    concurrency = min(max(concurrency, 1), MAX_CONCURRENCY)
    with httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30.0
    ) as client:
        newest = _newest_day(client)
    result: dict[str, Any] = {
        "base_url": base_url,
        "seconds": seconds,
        "concurrency": concurrency,
        "newest_day": newest.isoformat(),
        "errors": 0,
    }
    for phase, vary in (("cached", False), ("uncached", True)):
        latencies, errors, wall = _run_phase(
            base_url, token, seconds / 2, concurrency, newest, vary
        )
        total = sum(len(samples) for samples in latencies.values())
        result[phase] = {
            "requests_per_s": round(total / wall, 1) if wall else 0.0,
            **{endpoint: _percentiles(samples) for endpoint, samples in latencies.items()},
        }
        result["errors"] += errors
    return result


if __name__ == "__main__":
    import json
    import sys

    if len(sys.argv) < 3:
        sys.exit("usage: python benchmarks/api.py BASE_URL TOKEN [SECONDS] [CONCURRENCY]")
    figures = run_api_bench(
        sys.argv[1],
        sys.argv[2],
        float(sys.argv[3]) if len(sys.argv) > 3 else 10.0,
        int(sys.argv[4]) if len(sys.argv) > 4 else 4,
    )
    sys.stdout.write(json.dumps(figures, indent=2) + "\n")
