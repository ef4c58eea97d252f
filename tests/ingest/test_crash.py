"""Crash test: SIGKILL a real `footfall collect` under load, restart, repeat, then land.

Every eventId that got a 200 must be in the lake, exactly once; nothing that was never
sent may appear. Clients never retry here, so each id is posted once and any
duplicate would be the lander's (or recovery's) fault.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
import pytest

from ingest.lander import land_sealed_segments
from tests.ingest.conftest import read_raw
from tests.utils.servers import free_port, wait_until_up
from warehouse.paths import DataPaths

TRACK = "/api/v1/analytics/track"


class Load:
    """`clients` threads posting small batches of fresh events until stopped."""

    def __init__(self, base_url: str, clients: int, rng: random.Random) -> None:
        self.base_url = base_url
        self.acked: set[str] = set()
        self.sent: set[str] = set()
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.seeds = [rng.random() for _ in range(clients)]
        self.threads = [threading.Thread(target=self.run, args=(s,)) for s in self.seeds]

    def run(self, seed: float) -> None:
        rng = random.Random(seed)
        with httpx.Client(base_url=self.base_url, timeout=10) as client:
            while not self.stop.is_set():
                ids = [str(uuid.uuid4()) for _ in range(rng.randint(1, 8))]
                body = [{"eventId": i, "eventType": "page_view", "page": "/p"} for i in ids]
                with self.lock:
                    self.sent.update(ids)
                try:
                    response = client.post(TRACK, json=body if len(body) > 1 else body[0])
                except httpx.HTTPError:
                    return  # the server died under us: this request was never acknowledged
                if response.status_code == 200:
                    with self.lock:
                        self.acked.update(ids)

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)


def start_collector(data_dir: DataPaths, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "FOOTFALL_DATA_DIR": str(data_dir.root),
        "FOOTFALL_RATE_LIMIT_PER_SECOND": "0",
        "FOOTFALL_SPOOL_SEGMENT_SECONDS": "0.3",
        "FOOTFALL_SPOOL_SEGMENT_BYTES": "32768",
    }
    argv = [sys.executable, "-m", "warehouse.cli", "collect"]
    argv += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    return subprocess.Popen(argv, env=env, cwd=Path(__file__).resolve().parents[2])


def crash_rounds(
    data_dir: DataPaths, rounds: int, clients: int, seed: int, max_delay: float = 1.5
) -> None:
    rng = random.Random(seed)
    acked: set[str] = set()
    sent: set[str] = set()
    for _ in range(rounds):
        port = free_port()
        process = start_collector(data_dir, port)
        try:
            wait_until_up(f"http://127.0.0.1:{port}/healthz", timeout=60)
            with Load(f"http://127.0.0.1:{port}", clients, rng) as load:
                deadline = time.monotonic() + 30
                while not load.acked and time.monotonic() < deadline:
                    time.sleep(0.02)
                time.sleep(rng.uniform(0.0, max_delay))
                process.send_signal(signal.SIGKILL)  # mid-write, mid-sync, mid-landing
                process.wait()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        assert load.acked, f"no request was acknowledged in this round ({len(load.sent)} sent)"
        acked |= load.acked
        sent |= load.sent
    result = land_sealed_segments(data_dir)  # no collector left: seals what was left open
    assert list(data_dir.spool.glob("*.open")) == [] and result.corrupt == []
    landed = Counter(row["event_id"] for row in read_raw(data_dir, "events"))
    missing = acked - landed.keys()
    assert not missing, f"{len(missing)} acknowledged events lost (seed {seed})"
    assert max(landed.values()) == 1, f"an event landed twice (seed {seed})"
    assert landed.keys() <= sent, "the lake holds an event nobody sent"


def test_collector_keeps_acknowledged_events_across_kill(data_dir: DataPaths) -> None:
    seed = int.from_bytes(os.urandom(4), "big")
    crash_rounds(data_dir, rounds=2, clients=4, seed=seed, max_delay=0.5)


@pytest.mark.slow
def test_collector_keeps_acknowledged_events_across_many_kills(data_dir: DataPaths) -> None:
    crash_rounds(data_dir, rounds=6, clients=12, seed=int.from_bytes(os.urandom(4), "big"))
