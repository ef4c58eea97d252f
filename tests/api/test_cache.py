"""The per-snapshot response cache: bounded, never serves another snapshot's entry."""

from __future__ import annotations

from api.cache import KEEP_SNAPSHOTS, SnapshotCache, etag_for


def test_cache_computes_once_per_snapshot_and_key() -> None:
    cache = SnapshotCache()
    calls: list[str] = []

    def compute(value: str) -> str:
        calls.append(value)
        return value

    assert cache.get_or_compute("s1", "k", lambda: compute("a")) == "a"
    assert cache.get_or_compute("s1", "k", lambda: compute("b")) == "a"
    assert cache.get_or_compute("s2", "k", lambda: compute("c")) == "c"
    assert calls == ["a", "c"]


def test_cache_forgets_snapshots_past_the_newest_two() -> None:
    cache = SnapshotCache()
    for n in range(KEEP_SNAPSHOTS + 2):
        cache.get_or_compute(f"s{n}", "k", lambda n=n: n)
    assert len(cache) == KEEP_SNAPSHOTS
    assert cache.get_or_compute("s0", "k", lambda: "fresh") == "fresh"


def test_cache_is_bounded() -> None:
    cache = SnapshotCache(max_entries=10)
    for n in range(25):
        cache.get_or_compute("s1", n, lambda n=n: n)
    assert len(cache) == 10
    assert cache.get_or_compute("s1", 24, lambda: "recomputed") == 24  # newest kept
    assert cache.get_or_compute("s1", 0, lambda: "recomputed") == "recomputed"


def test_etag_differs_by_snapshot_and_key() -> None:
    tags = {etag_for(s, k) for s in ("s1", "s2") for k in ("a", "b")}
    assert len(tags) == 4
    assert etag_for("s1", "a") == etag_for("s1", "a")
