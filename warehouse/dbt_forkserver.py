"""Run each dbt invocation in a fresh process forked from a server that imported dbt once.

Why: importing dbt costs about 8 s of CPU on this machine (mashumaro generates serialisers
for hundreds of dataclasses at import), and every `python -m dbt.cli.main` pays it again.
A process that runs many builds (the test suite, a notebook, the benchmark) or wants its
one build sooner (the pipeline warms the server up while landing and enrichment run)
forks each build from a small server that has dbt imported already. Each build is still
a process of its own that exits when dbt is done, so every DuckDB lock goes with it
(dbt-core #11980 is why builds never run inside the caller's process).

How:
- The server is `python -m warehouse.dbt_forkserver FD`, one per owning process, started
  on first use. It imports dbt, then reads requests (argv, working directory,
  environment) from a Unix socket, each with two pipe ends: one for dbt's output, one
  for the exit status. It forks one child per request and goes back to waiting.
- The child points stdout and stderr at the output pipe, takes the request's working
  directory and environment, runs dbt's CLI, and writes its exit code to the status pipe.
  A child that dies without writing one (killed) reads as -SIGKILL.
- Lifetimes: the server gets SIGKILL when its owner process dies (PR_SET_PDEATHSIG, from
  a thread that lives as long as the owner), and each child gets SIGKILL when the server
  dies. A `kill -9` of `footfall run` therefore takes its dbt build with it, as the
  reliability tests require (warehouse/children.py).

Set FOOTFALL_DBT_FORKSERVER=false to start a plain `python -m dbt.cli.main` per invocation
instead (also the fallback where PR_SET_PDEATHSIG does not exist).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import NoReturn

from warehouse.children import die_with_parent, tied_preexec
from warehouse.settings import get_settings

LineCallback = Callable[[str], None]
MAX_REQUEST_BYTES = 1 << 20
KILLED = -signal.SIGKILL
READY = b"ready"


def enabled() -> bool:
    """Whether dbt runs through the fork server (Linux, unless turned off)."""
    return tied_preexec() is not None and get_settings().dbt_forkserver


class _Server:
    """The owner's handle on its fork server: started on first use, restarted if it died."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner = os.getpid()
        self._process: subprocess.Popen | None = None
        self._socket: socket.socket | None = None
        self._ready = False  # the server said it has imported dbt

    def _connected(self) -> socket.socket:
        if self._owner != os.getpid():  # a forked copy of the owner: the server is not ours
            self._owner, self._process, self._socket = os.getpid(), None, None
        if self._process is not None and self._process.poll() is None and self._socket:
            return self._socket
        if self._socket is not None:
            self._socket.close()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        started = threading.Event()

        failure: list[BaseException] = []

        def keep() -> None:
            # PR_SET_PDEATHSIG fires when the *thread* that started the server exits: this
            # one lives (blocked in wait) until the server or the whole owner process ends.
            try:
                self._process = subprocess.Popen(
                    [sys.executable, "-m", __name__, str(theirs.fileno())],
                    pass_fds=[theirs.fileno()],
                    stdin=subprocess.DEVNULL,
                    preexec_fn=tied_preexec(),
                )
            except BaseException as exc:  # reported by the thread that asked for it
                failure.append(exc)
                return
            finally:
                started.set()
            self._process.wait()

        threading.Thread(target=keep, name="dbt-forkserver", daemon=True).start()
        started.wait()
        theirs.close()
        if failure:
            ours.close()
            raise failure[0]
        self._socket = ours
        self._ready = False
        return ours

    def warm_up(self, wait: bool) -> None:
        with self._lock:
            connection = self._connected()
            if wait and not self._ready:
                if connection.recv(64) != READY:
                    raise RuntimeError("the dbt fork server exited while importing dbt")
                self._ready = True

    def submit(self, request: bytes, fds: list[int]) -> None:
        with self._lock:
            try:
                socket.send_fds(self._connected(), [request], fds)
            except (BrokenPipeError, ConnectionResetError):
                # The server died (killed?) after the liveness check: start a new one, once.
                assert self._process is not None
                self._process.wait()
                socket.send_fds(self._connected(), [request], fds)


_SERVER = _Server()
_largest_build_kib = 0


def warm_up(*, wait: bool = False) -> None:
    """Start the fork server now, so dbt is imported by the time a build asks for it.

    With `wait`, return only once it has imported dbt (a benchmark times builds after it).
    """
    if enabled():
        _SERVER.warm_up(wait)


def run_dbt(argv: Sequence[str], cwd: Path, env: Mapping[str, str], on_line: LineCallback) -> int:
    """Run `dbt <argv>` in a fresh process; stream its output lines; return its exit code.

    The exit code is dbt's own (0 success, 1 failures, 2 error), or negative for a signal.
    """
    if not enabled():
        return _run_subprocess(argv, cwd, env, on_line)
    out_r, out_w = os.pipe()
    status_r, status_w = os.pipe()
    request = json.dumps({"argv": list(argv), "cwd": str(cwd), "env": dict(env)}).encode()
    try:
        _SERVER.submit(request, [out_w, status_w])
    except OSError:
        os.close(out_r)
        os.close(status_r)
        raise
    finally:
        os.close(out_w)
        os.close(status_w)
    with open(out_r, encoding="utf-8", errors="replace") as output:
        for raw in output:
            on_line(raw.rstrip("\n"))
    with open(status_r, "rb") as status:
        reported = status.read().split()
    if not reported:
        return KILLED
    global _largest_build_kib
    if len(reported) > 1:
        _largest_build_kib = max(_largest_build_kib, int(reported[1]))
    return int(reported[0])


def largest_build_rss_mib() -> float:
    """The largest peak RSS of any build this process forked from its server, in MiB.

    Those builds are the server's children, not ours, so `getrusage(RUSAGE_CHILDREN)`
    never sees them; each reports its own VmHWM with its exit code instead.
    """
    return _largest_build_kib / 1024


def _run_subprocess(
    argv: Sequence[str], cwd: Path, env: Mapping[str, str], on_line: LineCallback
) -> int:
    with subprocess.Popen(
        [sys.executable, "-m", "dbt.cli.main", *argv],
        cwd=cwd,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        bufsize=1,
        # This thread waits for dbt below, so dbt dies with it: a killed run must not leave
        # a build running that holds the build database's lock (warehouse/children.py).
        preexec_fn=tied_preexec(),
    ) as process:
        assert process.stdout is not None
        for raw in process.stdout:
            on_line(raw.rstrip("\n"))
        return process.wait()


# --- the server process ------------------------------------------------------------------


def _serve(fd: int) -> None:
    """Import dbt, then fork one child per request until the owner hangs up."""
    import dbt.cli.main  # noqa: F401  (the point of the server: import once, fork many)

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the children
    server_pid = os.getpid()
    with socket.socket(fileno=fd) as requests:
        requests.send(READY)  # read by warm_up(wait=True) only; otherwise left unread
        while True:
            message, fds, _flags, _addr = socket.recv_fds(requests, MAX_REQUEST_BYTES, 2)
            if not message:
                return  # the owner closed its end: nothing more to run
            sys.stdout.flush()
            sys.stderr.flush()
            if os.fork() == 0:
                requests.close()
                _child(json.loads(message), *fds, server_pid=server_pid)
            for passed in fds:
                os.close(passed)


def _child(request: dict, out_fd: int, status_fd: int, *, server_pid: int) -> NoReturn:
    """One dbt invocation, ending in a normal interpreter exit (never returns).

    A normal exit, not os._exit: dbt's multiprocessing locks are then released by their
    finalizers, as in a `python -m dbt.cli.main` of its own.
    """
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    die_with_parent()  # the server's only thread forked us: die with the server
    if os.getppid() != server_pid:
        os._exit(1)  # the server died before the line above took effect
    code = 2
    try:
        os.dup2(out_fd, 1)
        os.dup2(out_fd, 2)
        os.close(out_fd)
        sys.stdout = open(1, "w", encoding="utf-8", errors="replace", buffering=1, closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", encoding="utf-8", errors="replace", buffering=1, closefd=False)  # noqa: SIM115
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        code = _invoke_dbt(request["argv"])
    except BaseException:
        traceback.print_exc()
    sys.stdout.flush()
    sys.stderr.flush()
    os.write(status_fd, f"{code} {_peak_rss_kib()}".encode())
    os.close(status_fd)
    sys.exit(code)


def _peak_rss_kib() -> int:
    """This process's peak RSS (VmHWM) in KiB, 0 if /proc cannot tell."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _invoke_dbt(argv: list[str]) -> int:
    """What `python -m dbt.cli.main ARGV` does, returning the exit code it would exit with."""
    from dbt.cli.main import cli

    try:
        cli.main(args=argv, prog_name="dbt")
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    return 0


if __name__ == "__main__":
    _serve(int(sys.argv[1]))
