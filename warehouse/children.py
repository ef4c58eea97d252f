"""Child processes that must not outlive the footfall process that started them.

A `kill -9` (or an OOM kill, or `timeout` sending SIGTERM, which Python does not turn into
clean-up) of `footfall run` gives it no chance to stop its children; they are adopted by
init and keep running. Measured (tests/reliability/test_pipeline_crash.py): the dbt build
went on writing the build database, holding its lock against the next run, and Prefect's
temporary API server stayed up for good, holding a port and ~200 MB. Linux signals a
child when its parent dies if the child asks for it (PR_SET_PDEATHSIG); elsewhere these
helpers do nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import signal
import subprocess
import sys
from collections.abc import Callable

PR_SET_PDEATHSIG = 1

_libc: ctypes.CDLL | None = None
if sys.platform.startswith("linux"):
    with contextlib.suppress(OSError):
        _libc = ctypes.CDLL(None, use_errno=True)


def die_with_parent() -> None:
    """`preexec_fn` for Popen: SIGKILL the child when the thread that started it exits.

    The parent *thread* counts, so start children with it from a thread that outlives them
    (the main thread, or one that waits for the child, as `dbt_runner` does).
    """
    if _libc is not None:
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def tied_preexec() -> Callable[[], None] | None:
    """The `preexec_fn` to pass to Popen (None where the platform cannot do it)."""
    return die_with_parent if _libc is not None else None


def start_prefect_server_tied() -> None:
    """Start Prefect's temporary API server now, from this thread, tied to this process.

    Prefect starts it on first use (no PREFECT_API_URL) with a plain Popen; starting it here
    first, with `die_with_parent`, makes Prefect reuse this instance. Call from the main
    thread of a one-off command such as `footfall run`, before the flow runs.
    """
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_API_URL

    if PREFECT_API_URL.value() or _libc is None:
        return
    popen = subprocess.Popen
    subprocess.Popen = functools.partial(popen, preexec_fn=die_with_parent)  # type: ignore[misc]
    try:
        SubprocessASGIServer().start()
    finally:
        subprocess.Popen = popen  # type: ignore[misc]
