"""dbt runs in fresh processes forked from one server per owner, and dies with its owner."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from warehouse.dbt_forkserver import largest_build_rss_mib
from warehouse.dbt_runner import dbt_build, dbt_command
from warehouse.paths import DataPaths
from warehouse.settings import reset_settings

REPO = Path(__file__).resolve().parents[2]
SERVER_MODULE = "warehouse.dbt_forkserver"


def children_of(pid: int) -> list[int]:
    """Direct child processes of `pid`, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid:
            found.append(int(entry.name))
    return found


def is_server(pid: int) -> bool:
    try:
        return SERVER_MODULE in (Path("/proc") / str(pid) / "cmdline").read_text()
    except OSError:
        return False


def alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_invocations_share_one_server(tmp_path: Path) -> None:
    paths = DataPaths(tmp_path / "data")
    lines: list[str] = []
    first = dbt_command(["run-operation", "no_such_macro"], paths, on_line=lines.append)
    servers = [pid for pid in children_of(os.getpid()) if is_server(pid)]
    second = dbt_command(["run-operation", "no_such_macro"], paths, on_line=lambda _: None)
    assert len(servers) == 1
    assert [pid for pid in children_of(os.getpid()) if is_server(pid)] == servers
    assert first.returncode == second.returncode == 2  # dbt's own code for this error
    assert not [line for line in lines if "leaked" in line], lines
    assert any("no_such_macro" in line for line in lines), "the child's output streams back"
    # builds are the server's children: their peak RSS comes back with the exit code
    assert 50 < largest_build_rss_mib() < 4096


def test_turned_off_runs_a_plain_subprocess(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FOOTFALL_DBT_FORKSERVER", "false")
    reset_settings()
    try:
        result = dbt_command(["run-operation", "no_such_macro"], DataPaths(tmp_path), on_line=print)
    finally:
        monkeypatch.delenv("FOOTFALL_DBT_FORKSERVER")
        reset_settings()
    assert result.returncode == 2
    assert "no_such_macro" in result.summary()


@pytest.mark.slow
def test_killed_build_reports_the_signal(tmp_path: Path) -> None:
    """An OOM kill of the build is a failure with exit -9, not a hang or a success."""
    paths = DataPaths(tmp_path / "data")
    killed: list[int] = []

    def kill_once_started(line: str) -> None:
        if killed or " START " not in line:
            return
        builds = [
            child
            for server in children_of(os.getpid())
            if is_server(server)
            for child in children_of(server)
        ]
        assert len(builds) == 1, builds
        os.kill(builds[0], signal.SIGKILL)
        killed.append(builds[0])

    result = dbt_build(paths, on_line=kill_once_started)
    assert killed
    assert result.returncode == -signal.SIGKILL
    assert not result.success
    assert "failed (exit -9)" in result.summary()


@pytest.mark.slow
def test_server_and_build_die_with_their_owner(tmp_path: Path) -> None:
    """`kill -9` of the process that asked for a build takes the server and build along."""
    owner_code = textwrap.dedent(
        f"""
        from pathlib import Path
        from warehouse.dbt_runner import dbt_build
        from warehouse.paths import DataPaths
        dbt_build(DataPaths(Path({str(tmp_path / "data")!r})), on_line=print)
        """
    )
    owner = subprocess.Popen(
        [sys.executable, "-u", "-c", owner_code],  # unbuffered: START arrives as printed
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert owner.stdout is not None
        for line in owner.stdout:
            if " START " in line:
                break
        (server,) = [pid for pid in children_of(owner.pid) if is_server(pid)]
        (build,) = children_of(server)
        owner.kill()
        owner.wait(timeout=30)
        wait_for(lambda: not alive(server) and not alive(build), timeout=10)
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait()


def test_killed_server_is_replaced(tmp_path: Path) -> None:
    paths = DataPaths(tmp_path / "data")
    dbt_command(["run-operation", "no_such_macro"], paths, on_line=lambda _: None)
    (server,) = [pid for pid in children_of(os.getpid()) if is_server(pid)]
    os.kill(server, signal.SIGKILL)
    wait_for(lambda: not alive(server), timeout=10)
    result = dbt_command(["run-operation", "no_such_macro"], paths, on_line=lambda _: None)
    assert result.returncode == 2, result.summary()
    assert [pid for pid in children_of(os.getpid()) if is_server(pid) and alive(pid)] != [server]
