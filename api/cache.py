"""Response cache keyed by snapshot id: a snapshot never changes, so an entry is never stale.

Entries are kept for the two newest snapshots seen (a request that leased the old one just
before a swap still finds its entries) and dropped after that; the cache
is bounded (least recently used out), so a client cycling through query parameters cannot
grow it without limit.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")

DEFAULT_MAX_ENTRIES = 2048
KEEP_SNAPSHOTS = 2


class SnapshotCache:
    """A thread-safe LRU map from (snapshot id, key) to a computed value."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, Hashable], Any] = OrderedDict()
        self._snapshot_ids: list[str] = []  # in the order first seen, newest last
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_compute(self, snapshot_id: str, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached value for this snapshot and key, computing it on the first request."""
        entry_key = (snapshot_id, key)
        with self._lock:
            if snapshot_id not in self._snapshot_ids:
                self._snapshot_ids.append(snapshot_id)
                while len(self._snapshot_ids) > KEEP_SNAPSHOTS:
                    self._drop(self._snapshot_ids.pop(0))
            if entry_key in self._entries:
                self._entries.move_to_end(entry_key)
                self.hits += 1
                return self._entries[entry_key]
            self.misses += 1
        value = compute()  # outside the lock: a slow query must not block cache hits
        with self._lock:
            if snapshot_id in self._snapshot_ids:
                self._entries[entry_key] = value
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
        return value

    def _drop(self, snapshot_id: str) -> None:
        for entry_key in [k for k in self._entries if k[0] == snapshot_id]:
            del self._entries[entry_key]

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._snapshot_ids = []


def etag_for(*parts: object) -> str:
    """A strong ETag built from the snapshot id and whatever else shapes the body."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=10).hexdigest()
    return f'"{digest}"'
