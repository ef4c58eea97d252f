"""The spool and its segment files: framing, torn tails, group commit, rotation, recovery,
write failures."""

from __future__ import annotations

import errno
import os
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.segments import (
    HEADER,
    decode_frames,
    encode_frame,
    open_segments,
    read_segment,
    seal_orphans,
    sealed_segments,
)
from ingest.spool import Spool, SpoolError, SpoolUnavailable


def records(n: int, size: int = 40) -> list[bytes]:
    return [f"record-{i:05d}-".encode().ljust(size, b"x") for i in range(n)]


@pytest.fixture
def spool_dir(tmp_path: Path) -> Path:
    return tmp_path / "spool"


@pytest.fixture
def spool(spool_dir: Path) -> Iterator[Spool]:
    spool = Spool(spool_dir, segment_seconds=60, segment_bytes=1 << 20)
    spool.start()
    yield spool
    spool.close()


def segment_records(directory: Path) -> list[bytes]:
    found = []
    for path in sealed_segments(directory):
        frames, good, size = read_segment(path)
        assert good == size
        found.extend(frames)
    return found


def test_decode_frames_round_trips_records() -> None:
    data = b"".join(encode_frame(r) for r in records(5))
    frames, good = decode_frames(data)
    assert frames == records(5)
    assert good == len(data)


TORN_TAILS = [
    ("header-cut", lambda last: last[: HEADER.size - 1]),
    ("payload-cut", lambda last: last[:-1]),
    ("header-only", lambda last: last[: HEADER.size]),
    ("crc-wrong", lambda last: last[:-1] + bytes([last[-1] ^ 0xFF])),
    ("length-huge", lambda last: b"\xff\xff\xff\xff" + last[4:]),
    ("zeros", lambda last: b"\x00" * 3),
    ("garbage", lambda last: os.urandom(7)),
]


@pytest.mark.parametrize("tear", [t[1] for t in TORN_TAILS], ids=[t[0] for t in TORN_TAILS])
def test_decode_frames_drops_torn_tail(tear) -> None:  # noqa: ANN001
    good_part = b"".join(encode_frame(r) for r in records(3))
    last = encode_frame(b"the unacknowledged record")
    frames, good = decode_frames(good_part + tear(last))
    assert frames == records(3)
    assert good == len(good_part)


def test_decode_frames_keeps_empty_payload() -> None:
    data = encode_frame(b"") + encode_frame(b"a")
    assert decode_frames(data) == ([b"", b"a"], len(data))


@pytest.mark.parametrize("cut", [1, 5, 8, 20, 47])
def test_seal_orphans_truncates_torn_tail_of_open_segment(spool_dir: Path, cut: int) -> None:
    spool_dir.mkdir()
    intact = b"".join(encode_frame(r) for r in records(4))
    torn = encode_frame(b"y" * 40)[:cut]
    (spool_dir / "00000000000000000001-aaaa.open").write_bytes(intact + torn)
    [sealed] = seal_orphans(spool_dir)
    assert sealed.name == "00000000000000000001-aaaa.sealed"
    assert sealed.read_bytes() == intact
    assert open_segments(spool_dir) == []


def test_seal_orphans_removes_segment_without_intact_record(spool_dir: Path) -> None:
    spool_dir.mkdir()
    (spool_dir / "00000000000000000001-aaaa.open").write_bytes(encode_frame(b"zz")[:5])
    assert seal_orphans(spool_dir) == []
    assert list(spool_dir.iterdir()) == []


def test_append_sync_makes_records_readable_after_seal(spool: Spool, spool_dir: Path) -> None:
    for record in records(10):
        spool.append_sync(record)
    spool.seal()
    assert segment_records(spool_dir) == records(10)
    assert open_segments(spool_dir) == []


def test_append_groups_concurrent_records_into_few_syncs(spool_dir: Path) -> None:
    syncs = []

    def slow_sync(fd: int) -> None:  # a slow disk makes waiting writers pile up
        time.sleep(0.01)
        os.fdatasync(fd)
        syncs.append(fd)

    spool = Spool(spool_dir, segment_seconds=60, segment_bytes=1 << 20, sync=slow_sync)
    spool.start()
    try:
        threads = [
            threading.Thread(target=lambda i=i: spool.append_sync(records(200)[i]))
            for i in range(200)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        spool.seal()
    finally:
        spool.close()
    assert sorted(segment_records(spool_dir)) == records(200)
    assert len(syncs) < 100  # many requests shared each sync
    assert spool.stats.records_written == 200


def test_spool_rotates_segment_by_size(spool_dir: Path) -> None:
    spool = Spool(spool_dir, segment_seconds=60, segment_bytes=4096)
    spool.start()
    try:
        for record in records(30, size=1000):
            spool.append_sync(record)
        spool.seal()
    finally:
        spool.close()
    segments = sealed_segments(spool_dir)
    frame = 1000 + HEADER.size  # a segment is sealed once it reaches 4096 bytes: 5 frames
    assert [path.stat().st_size for path in segments] == [5 * frame] * 6
    assert segment_records(spool_dir) == records(30, size=1000)


def test_spool_seals_segment_by_age(spool_dir: Path) -> None:
    sealed = threading.Event()
    spool = Spool(
        spool_dir, segment_seconds=0.2, segment_bytes=1 << 20, on_seal=lambda _p: sealed.set()
    )
    spool.start()
    try:
        spool.append_sync(b"one")
        assert sealed.wait(5), "an idle segment was not sealed by age"
        assert segment_records(spool_dir) == [b"one"]
        assert open_segments(spool_dir) == []
    finally:
        spool.close()


def test_spool_start_recovers_segment_left_open(spool_dir: Path) -> None:
    spool_dir.mkdir()
    left = spool_dir / "00000000000000000001-bbbb.open"
    left.write_bytes(encode_frame(b"acked") + encode_frame(b"torn")[:6])
    spool = Spool(spool_dir, segment_seconds=60, segment_bytes=1 << 20)
    spool.start()
    try:
        assert [p.name for p in spool.recovered] == ["00000000000000000001-bbbb.sealed"]
        spool.append_sync(b"after")
        spool.seal()
    finally:
        spool.close()
    assert segment_records(spool_dir) == [b"acked", b"after"]


def test_spool_refuses_second_owner(spool: Spool, spool_dir: Path) -> None:
    other = Spool(spool_dir, segment_seconds=60, segment_bytes=1 << 20)
    with pytest.raises(SpoolError, match="another collector"):
        other.start(lock_timeout=0.2)


def test_spool_start_fails_when_directory_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "spool"
    blocker.write_text("not a directory")
    with pytest.raises(SpoolError, match="unusable"):
        Spool(blocker, segment_seconds=60, segment_bytes=1 << 20).start()


class FailingDisk:
    """The OS-call seam: `write` fails with `error` while `failing` is set."""

    def __init__(self, error: int, partial: bool) -> None:
        self.error = error
        self.partial = partial
        self.failing = False

    def write(self, fd: int, data: memoryview) -> int:
        if not self.failing:
            return os.write(fd, data)
        if self.partial and len(data) > 4:
            os.write(fd, data[: len(data) // 2])  # half a record reaches the file first
        raise OSError(self.error, os.strerror(self.error))


@pytest.mark.parametrize("partial", [False, True], ids=["nothing-written", "half-written"])
@pytest.mark.parametrize("error", [errno.ENOSPC, errno.EIO, errno.EDQUOT])
def test_append_raises_when_disk_fails_and_keeps_acked_records(
    spool_dir: Path, error: int, partial: bool
) -> None:
    disk = FailingDisk(error, partial)
    spool = Spool(spool_dir, segment_seconds=60, segment_bytes=1 << 20, write=disk.write)
    spool.start()
    try:
        spool.append_sync(b"acked-1")
        disk.failing = True
        with pytest.raises(SpoolUnavailable):
            spool.append_sync(b"refused")
        disk.failing = False
        spool.append_sync(b"acked-2")
        spool.seal()
    finally:
        spool.close()
    assert segment_records(spool_dir) == [b"acked-1", b"acked-2"]


def test_append_raises_when_sync_fails(spool_dir: Path) -> None:
    def broken_sync(fd: int) -> None:
        raise OSError(errno.EIO, "I/O error")

    spool = Spool(spool_dir, segment_seconds=60, segment_bytes=1 << 20, sync=broken_sync)
    spool.start()
    try:
        with pytest.raises(SpoolUnavailable):
            spool.append_sync(b"never durable")
    finally:
        spool.close()
    assert segment_records(spool_dir) == []


def test_frame_crc_is_crc32_of_payload() -> None:
    frame = encode_frame(b"payload")
    length, crc = HEADER.unpack_from(frame)
    assert (length, crc) == (7, zlib.crc32(b"payload"))
