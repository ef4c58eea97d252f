"""Serving stages: publish a snapshot, load the read API (quiet and during publishes), and
the collector.

The API stage starts a real `footfall api` subprocess on a free 127.0.0.1 port over the
benchmark's data dir and drives it with `benchmarks.api.run_api_bench` three times: one
client (the latency figures), `concurrency` clients (requests/s), then `concurrency`
clients while a publish loop in another process keeps writing new snapshots and swapping
the pointer (the error count: a swap must never fail a request). The server's own peak
RSS is read from /proc before it is stopped. The collector stage is
`benchmarks.collector.run_collector_bench` (which starts its own server).
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.machine import vm_hwm_mib
from warehouse.paths import DataPaths

REPO = Path(__file__).resolve().parents[1]
MAX_BUSY_SECONDS = 300.0  # run_api_bench's own cap


def publish_stage(root: str) -> dict[str, Any]:
    """Copy the marts from the build file into a new snapshot and swap the pointer, timed."""
    from warehouse.lake import newest_received_at
    from warehouse.publish import publish_snapshot

    paths = DataPaths(Path(root))
    snapshot = publish_snapshot(
        paths, data_as_of=newest_received_at(paths.raw("events")), pipeline_runs=[]
    )
    return {
        "seconds": round(snapshot.seconds, 3),
        "bytes": snapshot.bytes,
        "tables": len(snapshot.tables),
        "rows": sum(snapshot.tables.values()),
        "sessions_rows": snapshot.tables.get("sessions", 0),
    }


def publish_loop_stage(
    root: str, *, ready_file: str, stop_file: str, max_seconds: float
) -> dict[str, Any]:
    """Publish snapshot after snapshot (and drop expired ones) until `stop_file` appears.

    Touches `ready_file` once imports are done, so the load starts with publishing under way.
    """
    from warehouse.lake import newest_received_at
    from warehouse.publish import drop_old_snapshots, publish_snapshot

    paths = DataPaths(Path(root))
    data_as_of = newest_received_at(paths.raw("events"))
    stop = Path(stop_file)
    Path(ready_file).touch()
    deadline = time.monotonic() + max_seconds
    durations: list[float] = []
    swapped_at: list[float] = []  # wall-clock times the pointer moved to a new snapshot
    while not stop.exists() and time.monotonic() < deadline:
        durations.append(publish_snapshot(paths, data_as_of=data_as_of, pipeline_runs=[]).seconds)
        swapped_at.append(time.time())
        drop_old_snapshots(paths)
    return {
        "publishes": len(durations),
        "mean_publish_s": round(sum(durations) / len(durations), 3) if durations else 0.0,
        "swapped_at": swapped_at,
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(flag: Path, process: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    """Until a child touches `flag` (RuntimeError if it exits or times out first)."""
    deadline = time.monotonic() + timeout
    while not flag.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"publish loop did not start (exit {process.poll()})")
        time.sleep(0.05)


@contextlib.contextmanager
def _api_server(port: int, log: Path):
    with open(log, "ab") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "warehouse.cli", "api", "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "warning"],
            cwd=REPO, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def api_stage(
    root: str, *, seconds: float, concurrency: int, scratch: str, publish_seconds: float = 0.0
) -> dict[str, Any]:
    """Read API latency (one client), throughput (several), then errors during publishes.

    The load during publishes lasts long enough for about two pointer swaps
    (`publish_seconds` is one publish measured before, without load), and only swaps that
    happened while the load ran are counted.
    """
    from benchmarks.api import run_api_bench
    from benchmarks.child import read_result, start_stage
    from warehouse.settings import get_settings

    token = get_settings().api_token[0]
    work_dir = Path(scratch)
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    with _api_server(port, work_dir / "api-server.log") as server:
        # One client back to back: the latency a dashboard user sees. Then `concurrency`
        # clients: throughput (their latencies include queueing on a saturated server).
        single = run_api_bench(base_url, token, seconds=seconds, concurrency=1)
        loaded = run_api_bench(base_url, token, seconds=seconds, concurrency=concurrency)
        stop, ready = work_dir / "publish-loop.stop", work_dir / "publish-loop.ready"
        stop.unlink(missing_ok=True)
        ready.unlink(missing_ok=True)
        loop_result, loop_log = work_dir / "publish-loop.json", work_dir / "publish_loop.log"
        loop = start_stage(
            "publish_loop", Path(root), result_path=loop_result, log_path=loop_log,
            ready_file=str(ready), stop_file=str(stop), max_seconds=seconds * 4 + 120,
        )  # fmt: skip
        busy_seconds = min(MAX_BUSY_SECONDS, max(seconds, 3.0 * publish_seconds))
        try:
            _wait_for(ready, loop)
            load_from = time.time()
            busy = run_api_bench(base_url, token, seconds=busy_seconds, concurrency=concurrency)
            load_until = time.time()
        finally:
            stop.touch()
        publishing = read_result("publish_loop", loop, loop_result, loop_log)
        swaps = [t for t in publishing["swapped_at"] if load_from <= t <= load_until]
        server_peak = vm_hwm_mib(server.pid)
    return {
        "single_client": single,
        "loaded": loaded,
        "during_publish": busy,
        "publishes_during_load": len(swaps),
        "busy_seconds": busy_seconds,
        "mean_publish_s_during_load": publishing["mean_publish_s"],
        "publish_loop_peak_rss_mib": publishing["peak_rss_mib"],
        "server_peak_rss_mib": round(server_peak, 1) if server_peak is not None else None,
    }


def collector_stage(
    root: str, *, seconds: float, concurrency: int, batch_size: int, rounds: int
) -> dict[str, Any]:
    """The collector benchmark (its own server and spool in a temporary directory)."""
    from benchmarks.collector import run_collector_bench

    return run_collector_bench(
        seconds=seconds, concurrency=concurrency, batch_size=batch_size, rounds=rounds
    )
