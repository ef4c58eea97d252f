"""The lander: sealed spool segments → Parquet in the lake, then the segment goes.

Idempotent by construction: a segment's Parquet files are named after the segment
(`<segment id>.parquet` in each dataset and day it touches), and `warehouse.lake`
writes them by atomic rename. A crash after writing Parquet but before removing the
segment lands it again onto the same names: overwritten, never doubled.

Safe beside a running collector: only `.sealed` segments are touched (the writer
never changes one again), and a lock file (`state/lander.lock`, flock) keeps two
landers (the collector's thread, a pipeline run) from landing at the same time.
Segments a crashed collector left `.open` are sealed here only if no collector holds
the spool.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ingest.segments import (
    CORRUPT_SUFFIX,
    SEALED_SUFFIX,
    read_segment,
    seal_orphans,
    sealed_segments,
    segment_id,
    try_collector_lock,
)
from ingest.tables import segment_tables
from warehouse.lake import fsync_dir, write_partitioned
from warehouse.paths import DataPaths

log = logging.getLogger(__name__)

LOCK_NAME = "lander.lock"
LANDER_NICE = 10


@dataclass
class LandResult:
    """What one landing pass did."""

    segments: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    corrupt: list[Path] = field(default_factory=list)
    skipped_busy: bool = False  # another lander held the lock (only when wait=False)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


@contextlib.contextmanager
def lander_lock(paths: DataPaths, wait: bool) -> Iterator[bool]:
    """Hold the lander lock; with wait=False yield False at once if another lander has it."""
    paths.state.mkdir(parents=True, exist_ok=True)
    with open(paths.state / LOCK_NAME, "a+b") as handle:
        flags = fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB
        try:
            fcntl.flock(handle.fileno(), flags)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def land_sealed_segments(paths: DataPaths, *, wait: bool = True) -> LandResult:
    """Land every sealed spool segment into `lake/raw/…` and remove it.

    Callable from any process at any time. Without a running collector it first
    seals segments a crash left open (dropping their torn tail), so nothing waits
    for the collector's next start.
    """
    result = LandResult()
    if not paths.spool.is_dir():
        return result
    with lander_lock(paths, wait) as held:
        if not held:
            result.skipped_busy = True
            return result
        with try_collector_lock(paths.spool) as no_collector:
            if no_collector:
                seal_orphans(paths.spool)
        for segment in sealed_segments(paths.spool):
            land_segment(segment, paths, result)
    return result


def land_segment(segment: Path, paths: DataPaths, result: LandResult) -> None:
    """Land one sealed segment (idempotent), then remove it."""
    frames, good, size = read_segment(segment)
    stem = segment_id(segment)
    tables = segment_tables(frames)
    for kind, table in tables.items():
        result.files.extend(write_partitioned(table, paths.raw(kind), file_id=stem))
        result.rows[kind] = result.rows.get(kind, 0) + table.num_rows
    if good < size:
        # Sealed segments are checked when sealed, so this is damage after the fact
        # (bit rot, a stray write). Keep the bytes for an operator; land what is intact.
        target = segment.with_name(stem + CORRUPT_SUFFIX)
        os.replace(segment, target)
        result.corrupt.append(target)
        log.error("lander: %s is damaged after byte %d; kept as %s", segment, good, target.name)
    else:
        segment.unlink()
    fsync_dir(segment.parent)
    result.segments += 1


@dataclass
class LanderStatus:
    """What /healthz reports about landing."""

    last_run_at: float | None = None
    last_error: str | None = None
    segments_landed: int = 0
    rows_landed: int = 0


class LanderThread:
    """The collector's background lander: lands soon after each seal, and at least
    every `interval` seconds (to pick up segments another process left)."""

    def __init__(self, paths: DataPaths, interval: float = 1.0) -> None:
        self.paths = paths
        self.interval = interval
        self.status = LanderStatus()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="lander", daemon=True)
        self._thread.start()

    def notify(self, _segment: Path | None = None) -> None:
        """Called by the spool when it seals a segment."""
        self._wake.set()

    def stop(self, final_pass: bool = True) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if final_pass:
            self.run_once(wait=True)

    def run_once(self, wait: bool = False) -> LandResult | None:
        try:
            result = land_sealed_segments(self.paths, wait=wait)
        except Exception as exc:  # keep the thread alive; the segment stays for next time
            log.exception("lander: landing failed")
            self.status.last_error = f"{type(exc).__name__}: {exc}"
            return None
        self.status.last_run_at = time.time()
        if not result.skipped_busy:
            self.status.last_error = None
        self.status.segments_landed += result.segments
        self.status.rows_landed += result.total_rows
        return result

    def _run(self) -> None:
        # Landing can wait; acknowledging requests cannot. On Linux a thread has its
        # own nice value, so under CPU contention the request thread goes first.
        with contextlib.suppress(AttributeError, OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LANDER_NICE)
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stop.is_set():
                break
            self.run_once()


def spool_backlog(paths: DataPaths) -> dict[str, float | int]:
    """Segments not yet landed, their bytes, and the lander lag: how long the oldest
    sealed segment has waited since its last write (0 when the lander keeps up)."""
    segments = 0
    nbytes = 0
    oldest_sealed: float | None = None
    now = time.time()
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(paths.spool):
            if entry.name.startswith("."):
                continue
            try:
                stat = entry.stat()
            except FileNotFoundError:
                continue
            segments += 1
            nbytes += stat.st_size
            if entry.name.endswith(SEALED_SUFFIX):
                written = stat.st_mtime
                oldest_sealed = written if oldest_sealed is None else min(oldest_sealed, written)
    lag = 0.0 if oldest_sealed is None else max(0.0, now - oldest_sealed)
    return {"segments": segments, "bytes": nbytes, "lander_lag_seconds": round(lag, 3)}
