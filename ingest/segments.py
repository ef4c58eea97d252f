"""Spool segment files: the on-disk format, and the operations both the writer and
the lander need.

Frame: 4-byte big-endian payload length, 4-byte CRC32 of the payload, payload.
A crash mid-write leaves a torn tail whose length or CRC does not check out; the
reader stops there. Those bytes were never acknowledged, so dropping them loses
nothing that a client was told is stored.

Segment lifecycle (names are `<time-ordered id>.<state>`):
`<id>.open` (the writer appends) → `<id>.sealed` (complete, immutable; only the
lander touches it) → landed as `lake/raw/<kind>/date=…/<id>.parquet`, then removed.
`.collector.lock` (flock) marks the directory as owned by a running collector.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import secrets
import struct
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

from warehouse.lake import fsync_dir

log = logging.getLogger(__name__)

HEADER = struct.Struct(">II")
MAX_FRAME_BYTES = 64 * 1024 * 1024
OPEN_SUFFIX = ".open"
SEALED_SUFFIX = ".sealed"
CORRUPT_SUFFIX = ".corrupt"
COLLECTOR_LOCK = ".collector.lock"


def encode_frame(payload: bytes) -> bytes:
    """One record as it sits on disk: length, CRC32, payload."""
    if len(payload) > MAX_FRAME_BYTES:
        raise ValueError("record larger than the spool's frame limit")
    return HEADER.pack(len(payload), zlib.crc32(payload)) + payload


def decode_frames(data: bytes) -> tuple[list[bytes], int]:
    """The intact records at the start of `data`, and how many bytes they span.

    Stops at the first frame that is short or fails its CRC: that is the torn tail.
    """
    frames: list[bytes] = []
    offset = 0
    end = len(data)
    view = memoryview(data)
    while offset + HEADER.size <= end:
        length, crc = HEADER.unpack_from(data, offset)
        start = offset + HEADER.size
        if length > MAX_FRAME_BYTES or start + length > end:
            break
        payload = bytes(view[start : start + length])
        if zlib.crc32(payload) != crc:
            break
        frames.append(payload)
        offset = start + length
    return frames, offset


def read_segment(path: Path) -> tuple[list[bytes], int, int]:
    """(records, bytes they span, file size) of one segment file."""
    data = path.read_bytes()
    frames, good = decode_frames(data)
    return frames, good, len(data)


def new_segment_id() -> str:
    """Time-ordered, unique: the lander derives the Parquet file name from it."""
    return f"{time.time_ns():020d}-{secrets.token_hex(6)}"


def segment_id(path: Path) -> str:
    return path.name.split(".", 1)[0]


def segment_created_at(path: Path) -> float:
    """Creation time (epoch seconds) encoded in a segment's name."""
    try:
        return int(segment_id(path).split("-", 1)[0]) / 1e9
    except ValueError:
        return path.stat().st_mtime


def sealed_segments(directory: Path) -> list[Path]:
    """Sealed segments in creation order (the order the lander lands them)."""
    return sorted(directory.glob(f"*{SEALED_SUFFIX}"))


def open_segments(directory: Path) -> list[Path]:
    return sorted(directory.glob(f"*{OPEN_SUFFIX}"))


def seal_segment(path: Path) -> Path | None:
    """Cut a segment back to its intact records and seal it; remove it if it holds none.

    Used for the writer's own active segment and for segments a crash left open.
    """
    _, good, size = read_segment(path)
    if good == 0:
        path.unlink()
        fsync_dir(path.parent)
        return None
    if good < size:
        log.warning("spool: dropping a torn tail of %d bytes from %s", size - good, path.name)
        with open(path, "r+b") as handle:
            handle.truncate(good)
            handle.flush()
            os.fsync(handle.fileno())
    target = path.with_name(segment_id(path) + SEALED_SUFFIX)
    os.replace(path, target)
    fsync_dir(path.parent)
    return target


def seal_orphans(directory: Path) -> list[Path]:
    """Seal every segment a crashed collector left open. Caller holds the collector lock."""
    sealed = []
    for path in open_segments(directory):
        result = seal_segment(path)
        if result is not None:
            sealed.append(result)
    return sealed


@contextlib.contextmanager
def try_collector_lock(directory: Path) -> Iterator[bool]:
    """Hold the spool's collector lock if free (yields True), else yield False at once."""
    directory.mkdir(parents=True, exist_ok=True)
    handle = open(directory / COLLECTOR_LOCK, "a+b")  # noqa: SIM115 - held across the yield
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    finally:
        handle.close()
