"""Real processes for the reliability suite: start `footfall` servers, watch their memory and
file descriptors, find children that outlived a killed parent, and mount tiny file systems.

Everything talks to 127.0.0.1 only. Servers write their output to a log file (never a pipe
nobody reads), so the secrets test can grep exactly what an operator would see.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.utils.servers import free_port, wait_until_up

REPO = Path(__file__).resolve().parents[2]
INGEST_TOKEN = "reliability-ingest-token"
READ_TOKEN = "reliability-read-token"


# Root without the capabilities that skip file permission checks: permissions apply to it
# like to the operator's service user, and it can still run the root-owned interpreter.
WITHOUT_ROOT_OVERRIDES = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner", "--"]


def footfall_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a `footfall` child: this process's plus the data dir and tokens."""
    env = {
        **os.environ,
        "FOOTFALL_DATA_DIR": str(data_dir),
        "FOOTFALL_INGEST_TOKEN": INGEST_TOKEN,
        "FOOTFALL_API_TOKEN": READ_TOKEN,
        "PYTHONUNBUFFERED": "1",
    }
    env.update(extra)
    return env


@dataclass
class Server:
    """A `footfall collect` or `footfall api` child process and where it listens."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self) -> None:
        """SIGKILL: no clean-up code runs, as in a power cut of the process."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM and wait (uvicorn shuts down, the collector seals and lands)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return self.process.returncode

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def start_server(
    command: str,
    env: dict[str, str],
    log: Path,
    *,
    timeout: float = 90.0,
    wrapper: list[str] | None = None,
    **options: str,
) -> Server:
    """Start `footfall <command> --host 127.0.0.1 --port P` and wait for /healthz to answer.

    `wrapper`: a command the server runs under (e.g. `WITHOUT_ROOT_OVERRIDES`).
    """
    port = free_port()
    argv = [*(wrapper or []), sys.executable, "-m", "warehouse.cli", command]
    argv += ["--host", "127.0.0.1"]
    argv += ["--port", str(port)]
    for name, value in options.items():
        argv += [f"--{name.replace('_', '-')}", value]
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as sink:
        process = subprocess.Popen(
            argv,
            env=env,
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=sink,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + "/healthz", timeout=timeout)
    except TimeoutError:
        process.kill()
        process.wait()
        raise
    return Server(process, url, log)


@contextlib.contextmanager
def running(command: str, env: dict[str, str], log: Path, **options: str) -> Iterator[Server]:
    """`start_server` for a block; the server is stopped (or killed) at the end."""
    server = start_server(command, env, log, **options)
    try:
        yield server
    finally:
        server.stop()


# -- what a process holds ---------------------------------------------------------------


def rss_bytes(pid: int) -> int:
    """Resident set size of a live process (from /proc, Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def open_fds(pid: int) -> list[str]:
    """What each open file descriptor of a process points at (sockets, files, pipes)."""
    targets = []
    fd_dir = Path(f"/proc/{pid}/fd")
    for entry in fd_dir.iterdir():
        with contextlib.suppress(FileNotFoundError):
            targets.append(os.readlink(entry))
    return targets


@dataclass
class Usage:
    """RSS and fd samples of one process, taken by `sample()` at the caller's pace."""

    pid: int
    times: list[float] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)
    fds: list[int] = field(default_factory=list)
    deleted: list[int] = field(default_factory=list)  # fds on files already unlinked
    targets: list[list[str]] = field(default_factory=list, repr=False)  # what each fd points at

    def sample(self) -> None:
        targets = open_fds(self.pid)
        self.targets.append(sorted(targets))
        self.times.append(time.monotonic())
        self.rss.append(rss_bytes(self.pid))
        self.fds.append(len(targets))
        self.deleted.append(sum(target.endswith("(deleted)") for target in targets))

    def after(self, share: float) -> Usage:
        """The samples after the first `share` of the run (the warm-up is left out)."""
        start = int(len(self.rss) * share)
        return Usage(
            self.pid,
            self.times[start:],
            self.rss[start:],
            self.fds[start:],
            self.deleted[start:],
            self.targets[start:],
        )

    def fds_outside(self, directory: Path) -> list[int]:
        """Open fds per sample, leaving out files under `directory` (e.g. the lake, whose
        Parquet files a query holds while it runs: more files landed, more held at once)."""
        prefix = f"{directory}/"
        return [sum(not t.startswith(prefix) for t in targets) for targets in self.targets]

    def held_under(self, directory: Path) -> list[str]:
        """Files under `directory` open at the last sample."""
        prefix = f"{directory}/"
        return [t for t in self.targets[-1] if t.startswith(prefix)] if self.targets else []

    def fd_growth(self) -> list[str]:
        """What the last sample holds open beyond the first (a leak report names its files)."""
        if not self.targets:
            return []
        remaining = list(self.targets[0])
        extra = []
        for target in self.targets[-1]:
            if target in remaining:
                remaining.remove(target)
            else:
                extra.append(target)
        return extra

    def rss_growth_per_minute(self) -> float:
        """Least-squares slope of RSS over time, in bytes per minute."""
        n = len(self.rss)
        if n < 3:
            return 0.0
        mean_t = sum(self.times) / n
        mean_r = sum(self.rss) / n
        var = sum((t - mean_t) ** 2 for t in self.times)
        cov = sum((t - mean_t) * (r - mean_r) for t, r in zip(self.times, self.rss, strict=True))
        return cov / var * 60 if var else 0.0


def processes_with_env(name: str, value: str) -> list[tuple[int, str]]:
    """(pid, command line) of every process whose environment has name=value.

    A child inherits its parent's environment, so this finds what a killed `footfall`
    left running even after init adopted it.
    """
    wanted = f"{name}={value}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            environ = (proc / "environ").read_bytes()
            cmdline = (proc / "cmdline").read_bytes()
        except (FileNotFoundError, PermissionError, ProcessLookupError):
            continue
        if wanted in environ.split(b"\0"):
            found.append((int(proc.name), cmdline.replace(b"\0", b" ").decode(errors="replace")))
    return found


# -- file systems ------------------------------------------------------------------------


def can_mount() -> bool:
    """True when this process may mount a tmpfs (root with CAP_SYS_ADMIN)."""
    return os.geteuid() == 0 and sys.platform.startswith("linux")


@contextlib.contextmanager
def tmpfs(target: Path, size: str) -> Iterator[Path]:
    """A size-limited tmpfs mounted on `target` (created if needed) for the block."""
    target.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(target)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        raise PermissionError(f"cannot mount a tmpfs on {target}: {mounted.stderr.decode()}")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], capture_output=True, check=False)


def remount(target: Path, mode: str) -> None:
    """Remount a tmpfs read-only ("ro") or read-write ("rw"): EROFS even for root."""
    subprocess.run(["mount", "-o", f"remount,{mode}", str(target)], check=True)


def fill(directory: Path, leave_bytes: int = 0) -> Path:
    """Fill the file system under `directory` up to `leave_bytes` of free space."""
    ballast = directory / ".ballast"
    stats = os.statvfs(directory)
    free = stats.f_bavail * stats.f_frsize
    with open(ballast, "ab") as sink, contextlib.suppress(OSError):
        sink.write(b"\0" * max(0, free - leave_bytes))
        sink.flush()
        os.fsync(sink.fileno())
    return ballast
