"""A local Prefect server owned by `footfall serve`, for when no PREFECT_API_URL is given.

Schedules need a server's scheduler service: Prefect's ephemeral in-process server serves
deployments but never creates their scheduled runs (measured). So `footfall serve`
starts `prefect server start` as a child in its own process group (SQLite under
`$DATA/prefect`, 127.0.0.1, a free port unless one is given), waits for `/api/health`
(about 30 s on a small machine), and stops the whole group when it exits.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from warehouse.children import tied_preexec
from warehouse.paths import DataPaths
from warehouse.prefect_setup import STARTUP_TIMEOUT_SECONDS

STOP_SECONDS = 20.0


class PrefectServerError(RuntimeError):
    """The local Prefect server did not start; the message points at its log."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def prefect_home(paths: DataPaths) -> Path:
    return paths.root / "prefect"


def _tail(log: Path, lines: int = 15) -> str:
    try:
        return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


def wait_for_health(api_url: str, process: subprocess.Popen, timeout: float, log: Path) -> float:
    """Poll `<api_url>/health` until it answers 200; returns the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise PrefectServerError(
                f"prefect server exited with code {process.returncode}; see {log}:\n{_tail(log)}"
            )
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{api_url}/health", timeout=2.0).status_code == 200:
                return time.monotonic() - started
        time.sleep(0.5)
    raise PrefectServerError(
        f"prefect server did not answer {api_url}/health within {timeout:.0f} s; see {log}"
    )


def stop_process_group(process: subprocess.Popen, timeout: float = STOP_SECONDS) -> None:
    """SIGTERM the child's process group, then SIGKILL what is left after `timeout`."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextlib.contextmanager
def local_prefect_server(
    paths: DataPaths,
    *,
    port: int = 0,
    ui: bool = True,
    startup_timeout: float = STARTUP_TIMEOUT_SECONDS,
) -> Iterator[str]:
    """Run `prefect server start` on 127.0.0.1 for the block; yields its API URL."""
    home = prefect_home(paths)
    home.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    log = home / "server.log"
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }
    env.pop("PREFECT_API_URL", None)  # the server must not point at another server
    command = [sys.executable, "-m", "prefect", "server", "start"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--analytics-off"]
    command += ["--ui" if ui else "--no-ui"]
    with open(log, "ab") as sink:
        process = subprocess.Popen(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as a whole, not by Ctrl-C
            preexec_fn=tied_preexec(),  # and killed with us, even by kill -9 of `footfall serve`
        )
    info = home / "server.json"
    try:
        wait_for_health(api_url, process, startup_timeout, log)
        info.write_text(json.dumps({"api_url": api_url, "pid": process.pid}), encoding="utf-8")
        yield api_url
    finally:
        info.unlink(missing_ok=True)
        stop_process_group(process)
