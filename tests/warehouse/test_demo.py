"""`footfall demo` end to end: builds, serves the dashboard, and stops its servers on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.utils.servers import free_port, wait_until_up
from warehouse.paths import DataPaths


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return (
        Path(f"/proc/{pid}").exists()
        and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()
    )


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_demo_serves_dashboard_and_stops_servers_on_sigterm(
    data_dir: DataPaths, tmp_path: Path
) -> None:
    port, collector_port = free_port(), free_port()
    log = tmp_path / "demo.log"
    with open(log, "wb") as sink:
        demo = subprocess.Popen(
            [sys.executable, "-m", "warehouse.cli", "demo", "--days", "2"]
            + ["--visitors-per-day", "20", "--port", str(port)]
            + ["--collector-port", str(collector_port)],
            env={**os.environ, "FOOTFALL_DATA_DIR": str(data_dir.root)},
            stdout=sink,
            stderr=subprocess.STDOUT,
            # Like `systemd stop` or `kill`: SIGINT may be ignored in a background job.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
        )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz", timeout=300)
        wait_until_up(f"http://127.0.0.1:{collector_port}/healthz", timeout=60)
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=10).status_code == 200
        children = [
            int(pid)
            for pid in subprocess.run(
                ["pgrep", "-P", str(demo.pid)], capture_output=True, text=True, check=False
            ).stdout.split()
        ]
        assert len(children) == 2, log.read_text()
        demo.send_signal(signal.SIGTERM)
        assert demo.wait(timeout=60) == 0, log.read_text()
        deadline = time.monotonic() + 15
        while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_alive(pid) for pid in children), "a demo server outlived `kill`"
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait(timeout=10)
