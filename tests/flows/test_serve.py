"""`footfall serve`: the schedules it registers, and a scheduled run that really fires."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from warehouse.paths import DataPaths
from warehouse.settings import reset_settings

SERVER_START_SECONDS = 240  # ~30 s on an idle 2-core machine; 150 s was once too short in CI
FIRST_RUN_SECONDS = 180  # interval 6 s + runner poll 10 s + a pipeline on an empty lake
STOP_SECONDS = 60


@pytest.mark.parametrize(
    ("env", "minutes", "nightly", "weekly", "tz"),
    [
        ({}, 15, "30 3 * * *", "0 4 * * 0", "UTC"),
        (
            {
                "FOOTFALL_PIPELINE_INTERVAL_MINUTES": "5",
                "FOOTFALL_FULL_CHECK_CRON": "0 2 * * *",
                "FOOTFALL_RETENTION_CRON": "15 5 * * 1",
                "FOOTFALL_REPORTING_TZ": "Europe/Berlin",
            },
            5,
            "0 2 * * *",
            "15 5 * * 1",
            "Europe/Berlin",
        ),
    ],
)
def test_deployments_follow_settings(
    monkeypatch: pytest.MonkeyPatch, env: dict, minutes: int, nightly: str, weekly: str, tz: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    reset_settings()
    from flows.schedules import deployments

    pipeline, retention = deployments()
    assert (pipeline.flow_name, retention.flow_name) == ("pipeline", "retention")
    assert pipeline.entrypoint == "flows.pipeline.pipeline"  # importable by any worker
    every, full = pipeline.schedules
    assert every.schedule.interval == timedelta(minutes=minutes)
    assert every.parameters.get("full_refresh") is None  # incremental
    assert (full.schedule.cron, full.schedule.timezone) == (nightly, tz)
    assert full.parameters["full_refresh"] is True
    (weekly_schedule,) = retention.schedules
    assert (weekly_schedule.schedule.cron, weekly_schedule.schedule.timezone) == (weekly, tz)
    assert pipeline.paused is False and retention.paused is False


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("FOOTFALL_FULL_CHECK_CRON", "61 * * * *", "FOOTFALL_FULL_CHECK_CRON: Invalid cron"),
        ("FOOTFALL_RETENTION_CRON", "weekly", "FOOTFALL_RETENTION_CRON"),
        ("FOOTFALL_PIPELINE_INTERVAL_MINUTES", "0", "FOOTFALL_PIPELINE_INTERVAL_MINUTES"),
    ],
)
def test_serve_rejects_bad_schedule_setting(
    data_dir: DataPaths, variable: str, value: str, message: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "warehouse.cli", "serve"],
        env={**os.environ, variable: value},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert not (data_dir.root / "prefect" / "server.json").exists()  # no server started


def _completed_scheduled_runs(api_url: str) -> list:
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    completed = FlowRunFilter(
        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.COMPLETED]))
    )
    with SyncPrefectClient(api_url) as client:
        return [
            run for run in client.read_flow_runs(flow_run_filter=completed) if run.auto_scheduled
        ]


def _wait_for(what: str, check, seconds: float, log: Path, process: subprocess.Popen):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, f"footfall serve exited early:\n{log.read_text()[-3000:]}"
        with contextlib.suppress(httpx.HTTPError):
            result = check()
            if result:
                return result
        time.sleep(2)
    # The Prefect server writes its own log beside server.json: show it too.
    server_log = log.parent / "data" / "prefect" / "server.log"
    server_text = server_log.read_text()[-3000:] if server_log.exists() else "(none)"
    raise AssertionError(
        f"{what} within {seconds} s; log:\n{log.read_text()[-3000:]}\n"
        f"Prefect server log:\n{server_text}"
    )


@pytest.mark.slow
@pytest.mark.timeout(SERVER_START_SECONDS + FIRST_RUN_SECONDS + STOP_SECONDS + 80)
def test_serve_fires_scheduled_pipeline_run(data_dir: DataPaths, tmp_path: Path) -> None:
    from flows.prefect_server import free_port

    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    log = tmp_path / "serve.log"
    env = {**os.environ, "FOOTFALL_PIPELINE_INTERVAL_MINUTES": "0.1"}  # every 6 s
    env.pop("PREFECT_API_URL", None)
    with open(log, "wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "warehouse.cli", "serve", "--port", str(port), "--no-ui"]
            + ["--startup-timeout", str(SERVER_START_SECONDS)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server_pid = None
    try:
        server_info = data_dir.root / "prefect" / "server.json"

        def healthy() -> bool:
            # serve writes server.json once its own health check passed, maybe after ours
            ok = httpx.get(f"{api_url}/health", timeout=2).status_code == 200
            return ok and server_info.exists()

        # A little longer than serve's own timeout, so that serve's error is what shows.
        wait = SERVER_START_SECONDS + 20
        _wait_for("the local Prefect server answered", healthy, wait, log, process)
        info = json.loads(server_info.read_text())
        assert info["api_url"] == api_url
        server_pid = info["pid"]

        runs = _wait_for(
            "a scheduled pipeline run completed",
            lambda: _completed_scheduled_runs(api_url),
            FIRST_RUN_SECONDS,
            log,
            process,
        )
        assert runs[0].parameters.get("wait_seconds") == 120.0  # the interval schedule's
        assert (data_dir.published / "CURRENT").exists()  # it published a snapshot

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=STOP_SECONDS) == 0
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{api_url}/health", timeout=2)  # the owned server is gone too
        assert not (data_dir.root / "prefect" / "server.json").exists()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        if server_pid is not None:  # the server runs in a process group of its own
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server_pid, signal.SIGKILL)
