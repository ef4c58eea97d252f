"""Collector benchmark: what durability costs, batch throughput, ack latency.

Method. One collector server (uvicorn, one process, real spool + lander, rate limit
off) in a subprocess on 127.0.0.1; the same app also gets a no-op POST route that
reads the body and answers the same small JSON without storing anything. One
client (this process: asyncio + uvloop over raw keep-alive HTTP/1.1 connections,
so the client's own cost stays small) drives, in this order:

1. no-op vs durable single-event POSTs, closed loop, `concurrency` connections,
   alternated `rounds` times (so background load hits both alike) → requests/s
   each and their ratio (durable / no-op);
2. batch POSTs of `batch_size` events → events/s;
3. open loop at half of the durable single-event peak: requests are scheduled at
   fixed times and latency is measured from the scheduled time (no coordinated
   omission) → p50/p99 ack latency; then the same schedule against the no-op route,
   as the reference for what the machine (scheduling, other load) adds.

Server CPU per request/event (utime + stime of all its threads, landing included)
is reported too: on a shared machine it is steadier than wall-clock rates.

Every acknowledged request in (1)-(3) was fsync'd to the spool before its 200.
Called by `run_collector_bench()`; `python benchmarks/collector.py` prints the dict.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import orjson
from fastapi import Request, Response

REPO = Path(__file__).resolve().parents[1]
NOOP_PATH = "/bench/noop"
TRACK_PATH = "/api/v1/analytics/track"


def bench_app() -> Any:
    """The collector app plus a no-op POST route (uvicorn --factory target)."""
    from ingest.app import create_app

    app = create_app()

    @app.post(NOOP_PATH, include_in_schema=False)
    async def noop(request: Request) -> Response:
        await request.body()
        return Response(b'{"success":true,"accepted":1}', media_type="application/json")

    return app


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _event(now: float) -> dict[str, Any]:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + ".000Z"
    return {
        "eventId": str(uuid.uuid4()),
        "sessionId": str(uuid.uuid4()),
        "eventType": "page_view",
        "page": "/products/sku-1234?color=blue",
        "referrer": "https://www.google.com/",
        "utm_source": "newsletter",
        "metadata": {"title": "Blue shirt", "price": 19.99},
        "timestamp": stamp,
        "sentAt": stamp,
    }


def _request(path: str, body: bytes, port: int) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nUser-Agent: footfall-bench/1.0\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> int:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


async def _closed_loop(
    port: int, requests: list[bytes], concurrency: int, seconds: float
) -> tuple[int, int]:
    """(acknowledged, failed) requests in `seconds` with `concurrency` busy connections."""
    deadline = time.perf_counter() + seconds
    ok = failed = 0

    async def worker(offset: int) -> None:
        nonlocal ok, failed
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        i = offset
        while time.perf_counter() < deadline:
            status = await _exchange(reader, writer, requests[i % len(requests)])
            i += concurrency
            if status == 200:
                ok += 1
            else:
                failed += 1
        writer.close()

    await asyncio.gather(*(worker(n) for n in range(concurrency)))
    return ok, failed


async def _open_loop(
    port: int, requests: list[bytes], rate: float, seconds: float, connections: int
) -> list[float]:
    """Latencies (s) of requests scheduled at `rate`/s, measured from their scheduled time."""
    start = time.perf_counter() + 0.1
    total = int(rate * seconds)
    latencies: list[float] = []
    per_conn = [list(range(n, total, connections)) for n in range(connections)]

    async def worker(indices: list[int]) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for i in indices:
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            status = await _exchange(reader, writer, requests[i % len(requests)])
            if status == 200:
                latencies.append(time.perf_counter() - due)
        writer.close()

    await asyncio.gather(*(worker(idx) for idx in per_conn))
    return latencies


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("collector exited during start-up")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    raise RuntimeError("collector did not start listening")


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system, all threads) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _wait_landed(port: int, timeout: float = 30.0) -> None:
    """Until the spool is empty: everything acknowledged so far is Parquet."""
    request = f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            if orjson.loads(await reader.readexactly(length))["spool"]["segments"] == 0:
                return
            await asyncio.sleep(0.2)
    finally:
        writer.close()


async def _phase(
    port: int, pid: int, requests: list[bytes], concurrency: int, seconds: float, land: bool
) -> tuple[float, float]:
    """(acknowledged requests per second, server CPU µs per acknowledged request).

    With `land`, the CPU of landing what the phase wrote (seal + Parquet) is included.
    """
    cpu = _cpu_seconds(pid)
    ok, failed = await _closed_loop(port, requests, concurrency, seconds)
    if failed:
        raise RuntimeError(f"{failed} requests failed during the benchmark")
    if land:
        await _wait_landed(port)
    return ok / seconds, (_cpu_seconds(pid) - cpu) / max(ok, 1) * 1e6


async def _drive(
    port: int, pid: int, seconds: float, concurrency: int, batch_size: int, rounds: int
) -> dict[str, Any]:
    now = time.time()
    singles = [orjson.dumps(_event(now)) for _ in range(2000)]
    noop_reqs = [_request(NOOP_PATH, body, port) for body in singles]
    track_reqs = [_request(TRACK_PATH, body, port) for body in singles]
    batches = [
        _request(TRACK_PATH, orjson.dumps([_event(now) for _ in range(batch_size)]), port)
        for _ in range(20)
    ]
    await _closed_loop(port, track_reqs, concurrency, 1.0)  # warm-up
    await _wait_landed(port)
    noop, durable, noop_cpu, durable_cpu = [], [], [], []
    for _ in range(rounds):
        rate, cpu = await _phase(port, pid, noop_reqs, concurrency, seconds, land=False)
        noop.append(rate)
        noop_cpu.append(cpu)
        rate, cpu = await _phase(port, pid, track_reqs, concurrency, seconds, land=True)
        durable.append(rate)
        durable_cpu.append(cpu)
    batch_rate, batch_cpu = await _phase(
        port, pid, batches, max(2, concurrency // 8), seconds, land=True
    )
    peak = statistics.mean(durable)
    connections = max(64, 2 * concurrency)
    latencies = await _open_loop(port, track_reqs, peak / 2, seconds, connections)
    # The same schedule against the no-op route: what the machine itself adds to latency.
    reference = await _open_loop(port, noop_reqs, peak / 2, seconds, connections)
    noop_rate = statistics.mean(noop)
    return {
        "noop_requests_per_s": round(noop_rate),
        "durable_requests_per_s": round(peak),
        "durable_vs_noop": round(peak / noop_rate, 3),
        "noop_cpu_us_per_request": round(statistics.mean(noop_cpu), 1),
        "durable_cpu_us_per_request": round(statistics.mean(durable_cpu), 1),
        "durable_vs_noop_by_cpu": round(
            statistics.mean(noop_cpu) / statistics.mean(durable_cpu), 3
        ),
        "batch_size": batch_size,
        "batch_events_per_s": round(batch_rate * batch_size),
        "batch_cpu_us_per_event": round(batch_cpu / batch_size, 2),
        "batch_events_per_cpu_second": round(1e6 / (batch_cpu / batch_size)),
        "half_peak_rate_per_s": round(peak / 2),
        "ack_latency_p50_ms": round(_percentile(latencies, 0.50) * 1000, 2),
        "ack_latency_p99_ms": round(_percentile(latencies, 0.99) * 1000, 2),
        "noop_latency_p50_ms": round(_percentile(reference, 0.50) * 1000, 2),
        "noop_latency_p99_ms": round(_percentile(reference, 0.99) * 1000, 2),
        "concurrency": concurrency,
        "seconds_per_phase": seconds,
        "rounds": rounds,
    }


def run_collector_bench(
    seconds: float = 3.0,
    concurrency: int = 32,
    batch_size: int = 200,
    rounds: int = 2,
    data_dir: Path | None = None,
) -> dict[str, Any]:
    """Start a collector on a free 127.0.0.1 port, measure, stop it; returns the figures."""
    with tempfile.TemporaryDirectory(prefix="footfall-bench-") as scratch:
        root = data_dir or Path(scratch) / "data"
        port = _free_port()
        env = {
            **os.environ,
            "FOOTFALL_DATA_DIR": str(root),
            "FOOTFALL_RATE_LIMIT_PER_SECOND": "0",
            "FOOTFALL_MAX_BATCH_EVENTS": str(max(batch_size, 500)),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        }
        argv = [
            sys.executable, "-m", "uvicorn", "--factory", "benchmarks.collector:bench_app",
            "--host", "127.0.0.1", "--port", str(port), "--no-proxy-headers",
            "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip
        proc = subprocess.Popen(argv, cwd=REPO, env=env)
        try:
            _wait_ready(port, proc)
            import uvloop

            load_before = os.getloadavg()[0]
            result = uvloop.run(_drive(port, proc.pid, seconds, concurrency, batch_size, rounds))
            result["load_average_1m"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        result["server"] = "uvicorn (uvloop, httptools), 1 process"
        return result


if __name__ == "__main__":
    sys.stdout.write(orjson.dumps(run_collector_bench(), option=orjson.OPT_INDENT_2).decode())
    sys.stdout.write("\n")
