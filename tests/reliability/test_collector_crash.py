"""kill -9 a real `footfall collect` at random moments under concurrent load, many rounds.

tests/ingest/test_crash.py proves the basic promise with clients that never retry. Here
the clients behave like the real tracker and shop backends: a request that got no answer
(connection reset by the kill) or a 503 is sent again, unchanged, to the next collector.
So the lake may legitimately hold a retried request twice; what must hold is:

- every acknowledged event and order is in the lake (nothing acknowledged is lost);
- after dedup on the id (what the staging models do) each appears exactly once, and a
  raw row appears more than once only for a request that was sent more than once;
- the lake holds nothing that was never sent, and no segment is left open or corrupt.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from ingest.lander import land_sealed_segments
from tests.ingest.conftest import read_raw
from tests.reliability.conftest import Figures, env_int
from tests.reliability.procs import INGEST_TOKEN, Server, footfall_env, start_server
from warehouse.paths import DataPaths

TRACK = "/api/v1/analytics/track"
ORDERS = "/api/v1/orders"
AUTH = {"Authorization": f"Bearer {INGEST_TOKEN}"}


@dataclass
class Request:
    """One request body and the ids it carries; re-sent as it is until acknowledged."""

    path: str
    body: Any
    ids: list[str]
    kind: str  # "events" or "orders"
    attempts: int = 0


def new_request(rng: random.Random) -> Request:
    if rng.random() < 0.15:
        order_id = str(uuid.uuid4())
        body = {
            "orderId": order_id,
            "sessionId": f"v-{rng.randrange(50)}",
            "total": f"{rng.randrange(1, 50000) / 100:.2f}",
            "orderStatus": "PENDING",
            "paymentStatus": "PAID",
            "createdAt": "2026-03-01T10:00:00Z",
            "items": [{"productId": "p-1", "quantity": 1, "unitPrice": "1.00"}],
        }
        return Request(ORDERS, body, [order_id], "orders")
    ids = [str(uuid.uuid4()) for _ in range(rng.randint(1, 12))]
    events = [
        {
            "eventId": event_id,
            "sessionId": f"v-{rng.randrange(50)}",
            "eventType": rng.choice(["page_view", "product_view", "add_to_cart"]),
            "page": f"/p/{rng.randrange(1000)}",
            "metadata": {"n": rng.randrange(10**6), "text": "ü" * rng.randrange(40)},
        }
        for event_id in ids
    ]
    return Request(TRACK, events if len(events) > 1 else events[0], ids, "events")


@dataclass
class Ledger:
    """What the clients sent and what the collectors acknowledged, across rounds."""

    sent: Counter[str] = field(default_factory=Counter)  # id → times sent
    acked: dict[str, set[str]] = field(default_factory=lambda: {"events": set(), "orders": set()})
    retry: list[Request] = field(default_factory=list)  # unanswered, to send again
    requests: int = 0
    acked_requests: int = 0
    unavailable: int = 0
    unexpected: int = 0  # any answer but 200 or 503: a bug
    lock: threading.Lock = field(default_factory=threading.Lock)


def client_loop(url: str, ledger: Ledger, rng: random.Random, stop: threading.Event) -> None:
    """Send requests until `stop` or until the server dies; unanswered ones go to retry."""
    with httpx.Client(base_url=url, timeout=15, headers=AUTH) as http:
        while not stop.is_set():
            with ledger.lock:
                request = ledger.retry.pop() if ledger.retry else new_request(rng)
                ledger.sent.update(request.ids)
                ledger.requests += 1
            request.attempts += 1
            try:
                response = http.post(request.path, json=request.body)
            except httpx.HTTPError:
                with ledger.lock:
                    ledger.retry.append(request)  # no answer: the client will retry it
                return
            with ledger.lock:
                if response.status_code == 200:
                    ledger.acked[request.kind].update(request.ids)
                    ledger.acked_requests += 1
                else:
                    ledger.unavailable += response.status_code == 503
                    ledger.unexpected += response.status_code != 503
                    ledger.retry.append(request)


def collector(data_dir: DataPaths, log: Path) -> Server:
    env = footfall_env(
        data_dir.root,
        FOOTFALL_RATE_LIMIT_PER_SECOND="0",
        FOOTFALL_SPOOL_SEGMENT_SECONDS="0.3",
        FOOTFALL_SPOOL_SEGMENT_BYTES="32768",
    )
    return start_server("collect", env, log, log_level="warning")


def crash_rounds(
    data_dir: DataPaths, log: Path, *, rounds: int, clients: int, seed: int, max_delay: float
) -> tuple[Ledger, dict[str, Any]]:
    rng = random.Random(seed)
    ledger = Ledger()
    delays = []
    for _ in range(rounds):
        server = collector(data_dir, log)
        stop = threading.Event()
        threads = [
            threading.Thread(
                target=client_loop, args=(server.url, ledger, random.Random(rng.random()), stop)
            )
            for _ in range(clients)
        ]
        try:
            for thread in threads:
                thread.start()
            before = ledger.acked_requests
            deadline = time.monotonic() + 30
            while ledger.acked_requests == before and time.monotonic() < deadline:
                time.sleep(0.01)
            delays.append(rng.uniform(0.0, max_delay))
            time.sleep(delays[-1])
            server.kill()  # mid-write, mid-sync, mid-seal or mid-landing
        finally:
            stop.set()
            server.kill()
            for thread in threads:
                thread.join(timeout=30)
        assert ledger.acked_requests > before, f"nothing acknowledged in a round (seed {seed})"
        assert ledger.unexpected == 0, f"answers other than 200/503 (seed {seed})"
    # A last collector gets the retries through, then stops cleanly (seals and lands).
    server = collector(data_dir, log)
    try:
        with httpx.Client(base_url=server.url, timeout=15, headers=AUTH) as http:
            while ledger.retry:
                request = ledger.retry.pop()
                ledger.sent.update(request.ids)
                ledger.requests += 1
                response = http.post(request.path, json=request.body)
                assert response.status_code == 200, response.text
                ledger.acked[request.kind].update(request.ids)
    finally:
        # uvicorn re-raises SIGTERM after its graceful shutdown (the lifespan has sealed
        # and landed the spool by then), so -15 is a clean exit too.
        assert server.stop() in (0, -15)
    leftover = land_sealed_segments(data_dir)
    stats = {"delays": delays, "late_segments": leftover.segments, "corrupt": len(leftover.corrupt)}
    return ledger, stats


def check_lake(data_dir: DataPaths, ledger: Ledger, seed: int) -> dict[str, int]:
    events = Counter(row["event_id"] for row in read_raw(data_dir, "events"))
    orders = Counter(row["order_id"] for row in read_raw(data_dir, "orders"))
    lost = (ledger.acked["events"] - events.keys()) | (ledger.acked["orders"] - orders.keys())
    phantom = (events.keys() | orders.keys()) - ledger.sent.keys()
    # A raw row repeats only if its request was sent more than once (a client retry).
    unexplained = [i for i, n in (events + orders).items() if n > ledger.sent[i]]
    duplicates = sum(n - 1 for n in (events + orders).values())
    assert not lost, f"{len(lost)} acknowledged ids lost (seed {seed})"
    assert not phantom, f"{len(phantom)} ids in the lake were never sent (seed {seed})"
    assert not unexplained, f"{len(unexplained)} ids landed more often than sent (seed {seed})"
    assert (
        list(data_dir.spool.glob("*.open")) == [] and list(data_dir.spool.glob("*.corrupt")) == []
    )
    return {
        "events_landed_distinct": len(events),
        "orders_landed_distinct": len(orders),
        "duplicate_rows_from_retries": duplicates,
    }


def run_and_record(
    data_dir: DataPaths,
    tmp_path: Path,
    figures: Figures,
    seed: int,
    *,
    rounds: int,
    clients: int,
    max_delay: float,
) -> None:
    ledger, stats = crash_rounds(
        data_dir,
        tmp_path / "collector.log",
        rounds=rounds,
        clients=clients,
        seed=seed,
        max_delay=max_delay,
    )
    acked = len(ledger.acked["events"]) + len(ledger.acked["orders"])
    figures.record(
        title="Collector killed under load",
        did=(
            f"{rounds} × kill -9 of `footfall collect` after 0–{max_delay:g} s of load from "
            f"{clients} clients (retrying unanswered requests); {ledger.requests} requests, "
            f"{len(ledger.acked['events'])} events + {len(ledger.acked['orders'])} orders "
            "acknowledged"
        ),
        lost="pending",
        seed=seed,
        rounds=rounds,
        requests=ledger.requests,
        acked_ids=acked,
        answered_503=ledger.unavailable,
        **stats,
    )
    landed = check_lake(data_dir, ledger, seed)
    figures.row["numbers"].update(landed)
    figures.row["lost"] = (
        f"nothing: {acked} of {acked} acknowledged ids landed, each once after dedup "
        f"({landed['duplicate_rows_from_retries']} raw repeats, all from client retries)"
    )


def test_collector_kill_under_load_loses_no_acknowledged_event(
    data_dir: DataPaths, tmp_path: Path, figures: Figures, seed: int
) -> None:
    run_and_record(data_dir, tmp_path, figures, seed, rounds=6, clients=4, max_delay=0.8)


@pytest.mark.slow
def test_collector_many_kills_under_load_lose_no_acknowledged_event(
    data_dir: DataPaths, tmp_path: Path, figures: Figures, seed: int
) -> None:
    rounds = env_int("FOOTFALL_CRASH_ROUNDS", 25)
    run_and_record(data_dir, tmp_path, figures, seed, rounds=rounds, clients=8, max_delay=2.0)
