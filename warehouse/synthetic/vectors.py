"""Vectorised builders for Arrow columns: UUIDs, IP prefixes, timestamps, money.

The generator never loops in Python per event. These helpers turn numpy arrays into
Arrow arrays of the lake's exact types directly from buffers (UUID text from random
bytes through a hex lookup table, decimals from integer cents), which is the difference
between seconds and minutes at 10M rows.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from warehouse.lake import MONEY, UTC_TS

# Two hex digits per byte value, as one uint16 each (little-endian: low byte first).
_HEX = b"0123456789abcdef"
_HEX_PAIRS = np.frombuffer(
    b"".join(bytes((_HEX[b >> 4], _HEX[b & 0xF])) for b in range(256)), dtype=np.uint16
)
_UUID_GROUPS = ((0, 8, 0), (9, 13, 8), (14, 18, 12), (19, 23, 16), (24, 36, 20))

MICROS = 1_000_000
DAY_US = 86_400 * MICROS


def uuid4_chars(rng: np.random.Generator, n: int) -> np.ndarray:
    """`n` random version-4 UUIDs as an (n, 36) uint8 array of their canonical text."""
    raw = np.frombuffer(rng.bytes(16 * n), dtype=np.uint8).reshape(n, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    hexed = _HEX_PAIRS[raw].view(np.uint8).reshape(n, 32)
    out = np.full((n, 36), ord("-"), dtype=np.uint8)
    for start, stop, src in _UUID_GROUPS:
        out[:, start:stop] = hexed[:, src : src + stop - start]
    return out


def fixed_width_strings(chars: np.ndarray) -> pa.StringArray:
    """An Arrow string array from an (n, width) uint8 array of ASCII text (no copy of rows)."""
    n, width = chars.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    data = np.ascontiguousarray(chars)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))


def uuid4_strings(rng: np.random.Generator, n: int) -> pa.StringArray:
    return fixed_width_strings(uuid4_chars(rng, n))


def ipv4_strings(addresses: np.ndarray, *, prefix: bool) -> pa.Array:
    """Dotted-quad text of uint32 addresses; with `prefix`, the /24 network (last octet 0)."""
    a = addresses.astype(np.int64)
    octets = [pc.cast(pa.array((a >> shift) & 0xFF), pa.string()) for shift in (24, 16, 8)]
    last = (
        pa.array(["0"] * len(a), type=pa.string())
        if prefix
        else pc.cast(pa.array(a & 0xFF), pa.string())
    )
    return pc.binary_join_element_wise(*octets, last, ".")


def timestamps(micros: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """UTC `timestamp[us]` values from int64 microseconds since the epoch."""
    return pa.array(np.asarray(micros, dtype=np.int64), type=UTC_TS, mask=null)


def money(cents: np.ndarray) -> pa.Array:
    """`decimal128(18, 2)` values from integer cents, built from the 128-bit words directly."""
    cents = np.asarray(cents, dtype=np.int64)
    words = np.empty((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = cents >> 63  # sign extension of the high word
    return pa.Array.from_buffers(MONEY, len(cents), [None, pa.py_buffer(words)])


def take(vocabulary: pa.Array, index: np.ndarray) -> pa.Array:
    """`vocabulary[index]` as one Arrow take; negative indices become nulls."""
    index = np.asarray(index)
    missing = index < 0
    if missing.any():
        return vocabulary.take(pa.array(np.where(missing, 0, index), mask=missing))
    return vocabulary.take(pa.array(index))


def segment_starts(counts: np.ndarray) -> np.ndarray:
    """First row of each segment when segment i has counts[i] rows."""
    starts = np.zeros(len(counts), dtype=np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    return starts


def round_to_ms(micros: np.ndarray) -> np.ndarray:
    """Client clocks (JavaScript `Date`) have millisecond resolution."""
    return (micros // 1000) * 1000
