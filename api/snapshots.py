"""Serve the current published snapshot and switch to a new one between requests.

The API never opens the build file: it reads `published/<id>.duckdb` read-only, named by
`published/CURRENT`. The pointer is checked with a cheap `stat` at most every
`check_interval` seconds; a new id opens the new file and retires the old connection, which
is closed once no request uses it and its grace period has passed. DuckDB's Python client
caches database instances by path, so closing old connections matters: each snapshot has
its own file name, and nothing keeps a retired one alive.

Requests use one cursor each (`con.cursor()`), the thread-safe way to share a connection.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from warehouse.paths import DataPaths
from warehouse.publish import read_current_snapshot_id, snapshot_path

log = logging.getLogger(__name__)

DEFAULT_CHECK_INTERVAL = 0.5
DEFAULT_GRACE_SECONDS = 5.0
# Snapshots hold only marts (small); keep the reader's footprint modest beside the pipeline.
# Applied with SET after connecting: a `config=` at connect time would make any other
# connect() to the same file in this process (an analyst's, a test's) fail, because the
# duckdb client shares one instance per path and refuses a second configuration.
READ_SETTINGS = ("set threads = 2", "set memory_limit = '1GB'")


class NoSnapshotError(RuntimeError):
    """Nothing has been published yet (or the current snapshot cannot be opened)."""


@dataclass(eq=False)
class Snapshot:
    """One open, read-only snapshot file and what it says about itself."""

    snapshot_id: str
    path: Path
    connection: duckdb.DuckDBPyConnection
    published_at: datetime | None
    data_as_of: datetime | None
    tables: frozenset[str]
    users: int = 0
    retired_at: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def age_seconds(self) -> float | None:
        if self.published_at is None:
            return None
        return max(0.0, (datetime.now(UTC) - self.published_at).total_seconds())

    def has_table(self, name: str) -> bool:
        return name in self.tables


def _as_utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def open_snapshot(paths: DataPaths, snapshot_id: str) -> Snapshot:
    """Open one snapshot read-only and read its `snapshot_info`."""
    path = snapshot_path(paths, snapshot_id)
    if not path.is_file():
        raise NoSnapshotError(f"snapshot file {path.name} is missing")
    con = duckdb.connect(str(path), read_only=True)
    try:
        for statement in READ_SETTINGS:
            con.execute(statement)
        tables = frozenset(
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables where table_schema = 'main'"
            ).fetchall()
        )
        published_at = data_as_of = None
        if "snapshot_info" in tables:
            row = con.execute("select published_at, data_as_of from snapshot_info").fetchone()
            if row:
                published_at, data_as_of = _as_utc(row[0]), _as_utc(row[1])
    except BaseException:
        con.close()
        raise
    return Snapshot(snapshot_id, path, con, published_at, data_as_of, tables)


class Lease:
    """One request's hold on a snapshot, taken on first use and released at the end.

    Taking it lazily lets parameter validation answer 422 before "no snapshot" answers
    503, and a cache hit never opens a cursor.
    """

    def __init__(self, reader: SnapshotReader) -> None:
        self._reader = reader
        self._snapshot: Snapshot | None = None
        self._cursor: duckdb.DuckDBPyConnection | None = None

    @property
    def snapshot(self) -> Snapshot:
        """The snapshot this request reads (raises NoSnapshotError before the first publish)."""
        if self._snapshot is None:
            self._snapshot = self._reader.take()
        return self._snapshot

    @property
    def snapshot_id(self) -> str:
        return self.snapshot.snapshot_id

    @property
    def cursor(self) -> duckdb.DuckDBPyConnection:
        if self._cursor is None:
            self._cursor = self.snapshot.connection.cursor()
        return self._cursor

    def release(self) -> None:
        if self._cursor is not None:
            with contextlib.suppress(duckdb.Error):
                self._cursor.close()
            self._cursor = None
        if self._snapshot is not None:
            self._reader.give_back(self._snapshot)
            self._snapshot = None


class SnapshotReader:
    """Hands out the current snapshot to requests and retires old ones safely."""

    def __init__(
        self,
        paths: DataPaths,
        *,
        check_interval: float = DEFAULT_CHECK_INTERVAL,
        grace_seconds: float = DEFAULT_GRACE_SECONDS,
    ) -> None:
        self.paths = paths
        self.check_interval = check_interval
        self.grace_seconds = grace_seconds
        self._lock = threading.Lock()
        self._current: Snapshot | None = None
        self._retired: list[Snapshot] = []
        self._pointer_stamp: tuple[int, int, int] | None = None
        self._checked_at = float("-inf")
        self._failed_id: str | None = None
        self.swaps = 0

    # -- pointer ---------------------------------------------------------------------------

    def _stamp(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.paths.current_pointer)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _refresh(self) -> None:
        """Switch to the snapshot CURRENT names if it changed (caller holds the lock)."""
        now = time.monotonic()
        if self._current is not None and now - self._checked_at < self.check_interval:
            return
        self._checked_at = now
        stamp = self._stamp()
        if stamp == self._pointer_stamp and self._current is not None:
            return
        snapshot_id = read_current_snapshot_id(self.paths)
        if snapshot_id is None:
            self._pointer_stamp = stamp
            return
        if self._current is not None and snapshot_id == self._current.snapshot_id:
            self._pointer_stamp = stamp
            return
        try:
            fresh = open_snapshot(self.paths, snapshot_id)
        except (duckdb.Error, OSError, NoSnapshotError) as exc:
            # Keep serving what we have; try again at the next check (say so once).
            if snapshot_id != self._failed_id:
                log.warning("cannot open snapshot %s: %s", snapshot_id, exc)
                self._failed_id = snapshot_id
            return
        self._pointer_stamp = stamp
        if self._current is not None:
            self._current.retired_at = now
            self._retired.append(self._current)
        self._current = fresh
        self.swaps += 1
        log.info("serving snapshot %s", snapshot_id)

    def _close_retired(self) -> None:
        now = time.monotonic()
        keep = []
        for snap in self._retired:
            with snap.lock:
                idle = snap.users == 0
            if idle and snap.retired_at is not None and now - snap.retired_at >= self.grace_seconds:
                with contextlib.suppress(duckdb.Error):
                    snap.connection.close()
            else:
                keep.append(snap)
        self._retired = keep

    # -- public ----------------------------------------------------------------------------

    def current(self) -> Snapshot | None:
        """The snapshot new requests should use, or None before the first publish."""
        with self._lock:
            self._refresh()
            self._close_retired()
            return self._current

    def take(self) -> Snapshot:
        """The current snapshot, counted as in use until `give_back`."""
        with self._lock:
            self._refresh()
            self._close_retired()
            snap = self._current
            if snap is None:
                raise NoSnapshotError("no snapshot yet")
            with snap.lock:
                snap.users += 1
            return snap

    def give_back(self, snap: Snapshot) -> None:
        with snap.lock:
            snap.users -= 1

    @contextlib.contextmanager
    def acquire(self) -> Iterator[Lease]:
        """A lease on the current snapshot for one request (taken on first use)."""
        lease = Lease(self)
        try:
            yield lease
        finally:
            lease.release()

    def close(self) -> None:
        """Close every connection (application shutdown)."""
        with self._lock:
            for snap in [*self._retired, *([self._current] if self._current else [])]:
                with contextlib.suppress(duckdb.Error):
                    snap.connection.close()
            self._retired = []
            self._current = None
            self._pointer_stamp = None
