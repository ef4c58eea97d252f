"""The collector's durable spool writer: every 2xx is fsync'd to a segment file first.

Why a spool and not Parquet directly: an HTTP request must be durable within
milliseconds, and Parquet wants large files. So every accepted request becomes one
framed record (ingest/segments.py) appended to the active segment; a single writer
thread drains the queue of pending records, writes them with one `write`, makes them
durable with one `fdatasync` and only then resolves every waiting request (group
commit: N concurrent requests share one sync). Segments are sealed by age and size;
the lander then turns sealed segments into Parquet.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from ingest.segments import (
    COLLECTOR_LOCK,
    OPEN_SUFFIX,
    SEALED_SUFFIX,
    encode_frame,
    new_segment_id,
    seal_orphans,
    seal_segment,
    segment_id,
)
from warehouse.lake import fsync_dir

log = logging.getLogger(__name__)

# Keep one group's write bounded so a backlog cannot make one sync take long.
MAX_GROUP_BYTES = 8 * 1024 * 1024
# How often a segment whose seal failed (directory unwritable) is tried again.
SEAL_RETRY_SECONDS = 1.0


class SpoolError(RuntimeError):
    """The spool cannot start (another collector owns it, or the directory is unusable)."""


class SpoolUnavailable(RuntimeError):
    """A record could not be made durable (disk full, I/O error): answer 503, never 2xx."""


@dataclass
class _Pending:
    frame: bytes
    # Exactly one of: an asyncio future (+ its loop) or a concurrent Future.
    future: asyncio.Future[None] | Future[None]
    loop: asyncio.AbstractEventLoop | None


@dataclass
class SpoolStats:
    """What /healthz reports about the writer."""

    records_written: int = 0
    syncs: int = 0
    segments_sealed: int = 0
    last_error: str | None = None
    last_error_at: float | None = None
    last_ok_at: float | None = None


_STOP = object()


@dataclass
class _SealRequest:
    done: Future[None]


class Spool:
    """Owner of one spool directory: the single writer thread and the active segment.

    `append()` (async) and `append_sync()` return only after the record is on disk.
    `write` and `sync` are the OS-call seam (default `os.write`, `os.fdatasync`); tests
    inject failures there to prove that an unwritable disk yields errors, not acks.
    """

    def __init__(
        self,
        directory: Path,
        *,
        segment_seconds: float,
        segment_bytes: int,
        on_seal: Callable[[Path], None] | None = None,
        write: Callable[[int, memoryview], int] = os.write,
        sync: Callable[[int], None] = os.fdatasync,
    ) -> None:
        self.directory = directory
        self.segment_seconds = segment_seconds
        self.segment_bytes = segment_bytes
        self.on_seal = on_seal
        self._write = write
        self._sync = sync
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock_handle: object | None = None
        self._fd: int | None = None
        self._path: Path | None = None
        self._size = 0
        self._opened_at = 0.0
        # Segments whose seal failed: they hold acknowledged records, so they are sealed
        # (and landed) as soon as the directory is writable again, not at the next start.
        self._unsealed: list[Path] = []
        self._seal_retry_at = 0.0
        self.stats = SpoolStats()
        self.recovered: list[Path] = []
        self._accepting = False  # a plain flag: Thread.is_alive() takes a lock per call

    # -- lifecycle ---------------------------------------------------------------

    def start(self, lock_timeout: float = 5.0) -> None:
        """Take the spool (one collector per directory), seal crash leftovers, start writing."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            handle = open(self.directory / COLLECTOR_LOCK, "a+b")  # noqa: SIM115
        except OSError as exc:
            raise SpoolError(f"spool directory {self.directory} is unusable: {exc}") from exc
        deadline = time.monotonic() + lock_timeout
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                # A lander in another process may hold it for a moment while it seals
                # orphans; a second collector holds it for good.
                if time.monotonic() > deadline:
                    handle.close()
                    raise SpoolError(
                        f"another collector is using the spool {self.directory}"
                    ) from None
                time.sleep(0.05)
        self._lock_handle = handle
        try:
            self.recovered = seal_orphans(self.directory)
        except OSError as exc:
            raise SpoolError(f"cannot recover spool segments in {self.directory}: {exc}") from exc
        if self.recovered:
            log.info("spool: recovered %d segment(s) left open", len(self.recovered))
        self._thread = threading.Thread(target=self._run, name="spool-writer", daemon=True)
        self._accepting = True
        self._thread.start()

    def close(self) -> None:
        """Write what is pending, seal the active segment, release the spool."""
        self._accepting = False
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join()
            self._thread = None
        if self._lock_handle is not None:
            self._lock_handle.close()  # type: ignore[attr-defined]
            self._lock_handle = None

    @property
    def running(self) -> bool:
        return self._accepting

    # -- producers ---------------------------------------------------------------

    async def append(self, payload: bytes) -> None:
        """Append one record; returns once it is durable, raises SpoolUnavailable if not."""
        if not self.running:
            raise SpoolUnavailable("spool writer is not running")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._queue.put(_Pending(encode_frame(payload), future, loop))
        await future

    def append_sync(self, payload: bytes, timeout: float | None = 30.0) -> None:
        """Blocking `append` for threads and scripts."""
        if not self.running:
            raise SpoolUnavailable("spool writer is not running")
        future: Future[None] = Future()
        self._queue.put(_Pending(encode_frame(payload), future, None))
        future.result(timeout)

    def seal(self, timeout: float | None = 30.0) -> None:
        """Seal the active segment now (after what is already queued), for prompt landing."""
        if not self.running:
            return
        done: Future[None] = Future()
        self._queue.put(_SealRequest(done))
        done.result(timeout)

    # -- the writer thread -----------------------------------------------------------

    def _run(self) -> None:
        try:
            self._loop()
        except BaseException as exc:  # never leave a request waiting on a dead writer
            self._accepting = False
            log.exception("spool: writer thread failed")
            self.stats.last_error = f"writer failed: {type(exc).__name__}"
            self.stats.last_error_at = time.time()
            self._refuse_queued()
            raise

    def _refuse_queued(self) -> None:
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, _Pending):
                _resolve([item], SpoolUnavailable("collector is shutting down"))
            elif isinstance(item, _SealRequest):
                item.done.set_result(None)

    def _loop(self) -> None:
        stopping = False
        while not stopping:
            try:
                first = self._queue.get(timeout=self._seconds_to_seal())
            except queue.Empty:
                self._seal_if_due()
                continue
            group: list[_Pending] = []
            seal_requests: list[_SealRequest] = []
            nbytes = 0
            item: object = first
            while True:
                if item is _STOP:
                    stopping = True
                elif isinstance(item, _SealRequest):
                    seal_requests.append(item)
                    break  # records queued after the request go to the next segment
                else:
                    assert isinstance(item, _Pending)
                    group.append(item)
                    nbytes += len(item.frame)
                    if nbytes >= MAX_GROUP_BYTES:
                        break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if group:
                self._commit(group)
            if seal_requests:
                self._seal_active()
                for request in seal_requests:
                    request.done.set_result(None)
            self._seal_if_due()
        # Anything that raced in after the stop marker is refused, not dropped silently.
        self._refuse_queued()
        self._seal_active()
        self._retry_unsealed(force=True)

    def _seconds_to_seal(self) -> float | None:
        now = time.monotonic()
        retry = max(0.0, self._seal_retry_at - now) if self._unsealed else None
        if self._fd is None:
            return retry
        due = max(0.0, self._opened_at + self.segment_seconds - now)
        return due if retry is None else min(due, retry)

    def _commit(self, group: list[_Pending]) -> None:
        data = b"".join(item.frame for item in group)
        error: BaseException | None = None
        try:
            if self._fd is None:
                self._open_segment()
            assert self._fd is not None
            view = memoryview(data)
            written = 0
            while written < len(view):
                written += self._write(self._fd, view[written:])
            self._sync(self._fd)
            self._size += len(data)
            self.stats.records_written += len(group)
            self.stats.syncs += 1
            self.stats.last_ok_at = time.time()
        except OSError as exc:
            error = SpoolUnavailable(f"spool write failed: {exc.strerror or exc}")
            self.stats.last_error = str(error)
            self.stats.last_error_at = time.time()
            log.error("spool: %s", error)
            self._abandon_segment()
        _resolve(group, error)

    def _open_segment(self) -> None:
        path = self.directory / (new_segment_id() + OPEN_SUFFIX)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o640)
        try:
            fsync_dir(self.directory)  # the file itself must survive a crash
        except OSError:
            os.close(fd)
            path.unlink(missing_ok=True)
            raise
        self._fd, self._path, self._size = fd, path, 0
        self._opened_at = time.monotonic()

    def _abandon_segment(self) -> None:
        """After a failed write: cut back to the last durable record and seal, so the
        partial bytes can never sit in front of later, acknowledged records."""
        if self._fd is None:
            return
        fd, path, size = self._fd, self._path, self._size
        self._fd = self._path = None
        self._size = 0
        with contextlib.suppress(OSError):
            os.ftruncate(fd, size)
        with contextlib.suppress(OSError):
            os.close(fd)
        assert path is not None
        try:
            sealed = seal_segment(path)
        except OSError as exc:
            # Left as `.open` for now, tried again later (seal_segment drops only bytes past
            # the last intact frame); an offline lander or the next start would seal it too.
            log.error("spool: cannot seal %s after a write error: %s", path.name, exc)
            self._unsealed.append(path)
            return
        self._after_seal(sealed)

    def _seal_if_due(self) -> None:
        if self._unsealed:
            self._retry_unsealed()
        if self._fd is None:
            return
        aged = time.monotonic() - self._opened_at >= self.segment_seconds
        if aged or self._size >= self.segment_bytes:
            self._seal_active()

    def _seal_active(self) -> None:
        if self._fd is None:
            return
        fd, path = self._fd, self._path
        self._fd = self._path = None
        self._size = 0
        os.close(fd)
        assert path is not None
        try:
            # Every byte of our own segment was synced whole (failed writes are cut
            # back), so no need to re-read it: rename and make the rename durable.
            sealed = path.with_name(segment_id(path) + SEALED_SUFFIX)
            os.replace(path, sealed)
            fsync_dir(self.directory)
        except OSError as exc:
            log.error("spool: cannot seal %s: %s", path.name, exc)
            self.stats.last_error = f"cannot seal segment: {exc.strerror or exc}"
            self.stats.last_error_at = time.time()
            self._unsealed.append(path)
            return
        self._after_seal(sealed)

    def _retry_unsealed(self, force: bool = False) -> None:
        """Seal the segments whose seal failed earlier, at most every SEAL_RETRY_SECONDS."""
        now = time.monotonic()
        if not force and now < self._seal_retry_at:
            return
        self._seal_retry_at = now + SEAL_RETRY_SECONDS
        while self._unsealed:
            try:
                sealed = seal_segment(self._unsealed[0])
            except FileNotFoundError:
                sealed = None  # sealed by someone else (an offline lander) meanwhile
            except OSError as exc:
                log.warning("spool: still cannot seal %s: %s", self._unsealed[0].name, exc)
                return
            self._unsealed.pop(0)
            self._after_seal(sealed)

    def _after_seal(self, sealed: Path | None) -> None:
        if sealed is None:
            return
        self.stats.segments_sealed += 1
        if self.on_seal is not None:
            try:
                self.on_seal(sealed)
            except Exception:  # a notification must never stop the writer
                log.exception("spool: on_seal callback failed")


def _resolve(group: list[_Pending], error: BaseException | None) -> None:
    """Wake every waiter of a group: one loop callback per event loop, not per record."""
    by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
    for item in group:
        if item.loop is None:
            future = item.future
            assert isinstance(future, Future)
            if error is None:
                future.set_result(None)
            else:
                future.set_exception(error)
        else:
            by_loop.setdefault(item.loop, []).append(item.future)  # type: ignore[arg-type]
    for loop, futures in by_loop.items():
        with contextlib.suppress(RuntimeError):  # loop already closed: nobody is waiting
            loop.call_soon_threadsafe(_settle, futures, error)


def _settle(futures: list[asyncio.Future[None]], error: BaseException | None) -> None:
    for future in futures:
        if future.done():  # the client went away; the record is stored all the same
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)
