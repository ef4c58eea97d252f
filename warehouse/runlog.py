"""The pipeline's run history and its single-writer lock, kept under `$DATA/state`.

Runs are appended as JSON lines (one fsync'd line per run), so the history survives
failed runs that publish nothing; each snapshot carries a copy as `pipeline_runs`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

from warehouse.paths import DataPaths

RUNS_FILE = "pipeline_runs.jsonl"
LOCK_FILE = "pipeline.lock"


class PipelineBusyError(RuntimeError):
    """Another pipeline run holds the writer lock."""


def runs_file(paths: DataPaths) -> Path:
    return paths.state / RUNS_FILE


def append_run(paths: DataPaths, run: dict) -> None:
    """Durably add one run record (never rewrites earlier lines)."""
    paths.state.mkdir(parents=True, exist_ok=True)
    with open(runs_file(paths), "a", encoding="utf-8") as sink:
        sink.write(json.dumps(run, default=str) + "\n")
        sink.flush()
        os.fsync(sink.fileno())


def read_runs(paths: DataPaths, limit: int | None = None) -> list[dict]:
    """Recorded runs, oldest first; a torn last line (crash mid-write) is skipped."""
    try:
        lines = runs_file(paths).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    runs = []
    for line in lines:
        with contextlib.suppress(json.JSONDecodeError):
            runs.append(json.loads(line))
    return runs[-limit:] if limit else runs


@contextlib.contextmanager
def writer_lock(paths: DataPaths, wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold the one-writer lock for the data dir; wait up to `wait_seconds`, then give up.

    An fcntl lock dies with its process, so a killed run never leaves a stale lock.
    """
    paths.state.mkdir(parents=True, exist_ok=True)
    handle = open(paths.state / LOCK_FILE, "a+")  # noqa: SIM115 - held for the whole block
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise PipelineBusyError(
                        f"another footfall pipeline run is writing {paths.root} "
                        "(wait for it to finish, or pass --wait SECONDS)"
                    ) from None
                time.sleep(0.5)
        yield
    finally:
        handle.close()
