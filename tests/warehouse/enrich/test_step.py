"""The enrichment step: one enriched file per raw file, idempotent, crash-safe, and pruned."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

from tests.warehouse.enrich.conftest import (
    CHROME,
    IPHONE,
    WriteRaw,
    raw_event,
    raw_table,
)
from warehouse.enrich import (
    EnrichError,
    enrich_new_raw_files,
    prune_orphaned_enriched,
)
from warehouse.enrich.manifest import MANIFEST_FILE, Manifest
from warehouse.enrich.seeds import SEEDS_DIR
from warehouse.enrich.user_agent import UserAgentResolver
from warehouse.lake import ENRICHED_EVENT_SCHEMA, lake_files, write_parquet_atomic
from warehouse.paths import DataPaths


def _enriched_state(paths: DataPaths) -> dict[str, str]:
    """Relative path → content hash of every file under the enriched dataset (temp files too)."""
    root = paths.enriched_events
    if not root.exists():
        return {}
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _relative(paths: DataPaths, dataset: Path) -> set[str]:
    return {path.relative_to(dataset).as_posix() for path in lake_files(dataset)}


def _assert_consistent(paths: DataPaths) -> None:
    """Exactly one enriched file per raw file, same rows, all recorded in the manifest."""
    raw_dir, enriched_dir = paths.raw("events"), paths.enriched_events
    raw = _relative(paths, raw_dir)
    assert _relative(paths, enriched_dir) == raw
    assert not list(enriched_dir.rglob(".*.tmp"))
    for rel in raw:
        raw_ids = pq.read_table(raw_dir / rel, columns=["event_id"]).column(0).to_pylist()
        enriched = pq.read_table(enriched_dir / rel)
        assert enriched.schema == ENRICHED_EVENT_SCHEMA
        assert enriched.column("event_id").to_pylist() == raw_ids
    assert set(Manifest.load(paths.state / MANIFEST_FILE).entries) == raw


def test_enrich_new_raw_files_writes_one_enriched_file_per_raw_file(
    data_dir: DataPaths, write_raw: WriteRaw
) -> None:
    first, second = write_raw(30), write_raw(25, first=30)
    result = enrich_new_raw_files(data_dir)
    assert (result.files, result.rows, result.up_to_date) == (2, 55, 0)
    assert result.geoip_database.startswith("GeoLite2-City")
    _assert_consistent(data_dir)
    for raw in (first, second):
        assert (data_dir.enriched_events / raw.parent.name / raw.name).exists()
    events = pl.read_parquet(lake_files(data_dir.enriched_events), hive_partitioning=False)
    by_id = {row["event_id"]: row for row in events.iter_rows(named=True)}
    chrome, iphone, googlebot, curl = (by_id[f"event-{n:06d}"] for n in (0, 1, 2, 3))
    assert (chrome["device_type"], chrome["browser"], chrome["is_bot"]) == (
        "desktop",
        "Chrome",
        False,
    )
    assert (iphone["device_type"], iphone["os"]) == ("mobile", "iOS")
    assert (googlebot["device_type"], curl["device_type"]) == ("bot", "bot")
    assert (chrome["country_code"], chrome["city"]) == ("GB", "Willesden")  # 81.2.69.0
    assert (chrome["referrer_host"], chrome["referrer_kind"]) == ("google.de", "search")
    assert (chrome["utm_source"], chrome["utm_medium"], chrome["utm_term"]) == (
        "google",
        "cpc",
        None,
    )


def test_enrich_new_raw_files_twice_changes_nothing(
    data_dir: DataPaths, write_raw: WriteRaw
) -> None:
    write_raw(40)
    write_raw(40, first=40)
    enrich_new_raw_files(data_dir)
    before = _enriched_state(data_dir)
    mtimes = {p: p.stat().st_mtime_ns for p in lake_files(data_dir.enriched_events)}
    manifest = (data_dir.state / MANIFEST_FILE).read_bytes()
    again = enrich_new_raw_files(data_dir)
    assert (again.files, again.rows, again.up_to_date, again.batches) == (0, 0, 2, 0)
    assert _enriched_state(data_dir) == before
    assert {p: p.stat().st_mtime_ns for p in lake_files(data_dir.enriched_events)} == mtimes
    assert (data_dir.state / MANIFEST_FILE).read_bytes() == manifest


def test_enrich_new_raw_files_picks_up_only_new_files(
    data_dir: DataPaths, write_raw: WriteRaw
) -> None:
    write_raw(10)
    enrich_new_raw_files(data_dir)
    write_raw(12, first=10)
    result = enrich_new_raw_files(data_dir)
    assert (result.files, result.rows, result.up_to_date) == (1, 12, 1)
    _assert_consistent(data_dir)


def test_enrich_after_crash_before_manifest_redoes_files_without_duplicates(
    data_dir: DataPaths, write_raw: WriteRaw, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed after the enriched files were renamed into place but before they were recorded."""
    write_raw(20)
    write_raw(20, first=20)

    def crash(self: Manifest, entries: list) -> None:
        raise KeyboardInterrupt("simulated crash before the manifest update")

    with monkeypatch.context() as patch:
        patch.setattr(Manifest, "record", crash)
        with pytest.raises(KeyboardInterrupt):
            enrich_new_raw_files(data_dir)
    assert len(lake_files(data_dir.enriched_events)) == 2  # written, not recorded
    assert Manifest.load(data_dir.state / MANIFEST_FILE).entries == {}

    result = enrich_new_raw_files(data_dir)
    assert (result.files, result.rows) == (2, 40)  # redone, same names overwritten
    _assert_consistent(data_dir)
    assert enrich_new_raw_files(data_dir).files == 0


def test_enrich_after_crash_mid_write_removes_temp_file(
    data_dir: DataPaths, write_raw: WriteRaw
) -> None:
    """Killed while writing: a partial hidden temp file is all that is left of the output."""
    raw = write_raw(15)
    partition = data_dir.enriched_events / raw.parent.name
    partition.mkdir(parents=True)
    leftover = partition / f".{raw.name}.tmp"
    leftover.write_bytes(b"PAR1 half a file")
    result = enrich_new_raw_files(data_dir)
    assert (result.files, result.temp_files_removed) == (1, 1)
    assert not leftover.exists()
    _assert_consistent(data_dir)


def test_enrich_after_crash_mid_manifest_append_ignores_torn_line(
    data_dir: DataPaths, write_raw: WriteRaw
) -> None:
    write_raw(5)
    enrich_new_raw_files(data_dir)
    manifest = data_dir.state / MANIFEST_FILE
    with open(manifest, "a", encoding="utf-8") as sink:
        sink.write('{"raw": "date=2026-03-02/torn')  # no newline: the crash hit mid-append
    write_raw(6, first=5)
    result = enrich_new_raw_files(data_dir)
    assert (result.files, result.up_to_date) == (1, 1)
    assert manifest.read_text(encoding="utf-8").endswith("\n")
    _assert_consistent(data_dir)


def test_enrich_replaces_output_of_a_raw_file_rewritten_by_privacy_job(
    data_dir: DataPaths, write_raw: WriteRaw
) -> None:
    """Erasure writes a new raw file without the person's rows, then deletes the old one."""
    old = write_raw(20)
    enrich_new_raw_files(data_dir)
    kept = [raw_event(n) for n in range(20) if n % 7 != 3]  # visitor-3 erased
    new = old.with_name("99999999999999999999-rewritten.parquet")
    write_parquet_atomic(raw_table(kept), new)
    old.unlink()
    result = enrich_new_raw_files(data_dir)
    assert (result.files, result.rows, result.orphans_removed) == (1, len(kept), 1)
    _assert_consistent(data_dir)
    events = pl.read_parquet(lake_files(data_dir.enriched_events), hive_partitioning=False)
    assert "visitor-3" not in events["visitor_id"].to_list()


def test_prune_orphaned_enriched_removes_output_of_deleted_raw_file(
    data_dir: DataPaths, write_raw: WriteRaw
) -> None:
    doomed = write_raw(8)
    enrich_new_raw_files(data_dir)
    doomed.unlink()  # retention
    doomed.parent.rmdir()
    pruned = prune_orphaned_enriched(data_dir)
    assert (pruned.orphans_removed, pruned.entries_forgotten) == (1, 1)
    assert not (data_dir.enriched_events / doomed.parent.name).exists()  # empty day dir gone
    assert Manifest.load(data_dir.state / MANIFEST_FILE).entries == {}
    assert enrich_new_raw_files(data_dir).orphans_removed == 0


def test_enrich_redoes_raw_file_changed_in_place(data_dir: DataPaths, write_raw: WriteRaw) -> None:
    raw = write_raw(10)
    enrich_new_raw_files(data_dir)
    write_parquet_atomic(raw_table([raw_event(n) for n in range(4)]), raw)
    result = enrich_new_raw_files(data_dir)
    assert (result.files, result.rows) == (1, 4)
    _assert_consistent(data_dir)


def test_enrich_redoes_file_whose_enriched_output_was_deleted(
    data_dir: DataPaths, write_raw: WriteRaw
) -> None:
    raw = write_raw(10)
    enrich_new_raw_files(data_dir)
    (data_dir.enriched_events / raw.parent.name / raw.name).unlink()
    assert enrich_new_raw_files(data_dir).files == 1
    _assert_consistent(data_dir)


def test_enrich_in_small_batches_parses_each_user_agent_once(
    data_dir: DataPaths, write_raw: WriteRaw, fresh_resolver: UserAgentResolver
) -> None:
    for start in range(0, 60, 10):
        write_raw(10, first=start)
    calls: list[tuple[int, int]] = []
    resolver = fresh_resolver
    result = enrich_new_raw_files(
        data_dir,
        batch_rows=20,
        user_agent_resolver=resolver,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert (result.files, result.batches) == (6, 3)
    assert resolver.parsed == 4 == result.user_agents_parsed  # 4 distinct UAs, 3 batches
    assert result.user_agents_distinct == 12  # 4 per batch were asked for, 8 from the cache
    assert calls == [(2, 6), (4, 6), (6, 6)]
    _assert_consistent(data_dir)


def test_enrich_marks_internal_referrers_from_settings(
    data_dir: DataPaths, write_raw: WriteRaw, monkeypatch: pytest.MonkeyPatch
) -> None:
    from warehouse.settings import reset_settings

    monkeypatch.setenv("FOOTFALL_SHOP_HOSTS", "www.shop.example.com")
    reset_settings()
    write_raw(3)
    enrich_new_raw_files(data_dir)
    events = pl.read_parquet(lake_files(data_dir.enriched_events), hive_partitioning=False)
    assert events.sort("event_id")["is_internal_referrer"].to_list() == [False, False, True]


def test_enrich_reads_bot_markers_from_seed_file_at_run_time(
    data_dir: DataPaths, write_raw: WriteRaw, tmp_path: Path
) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, seeds)
    write_raw(2, user_agent=CHROME + " AcmeMonitor/2.0")
    first = enrich_new_raw_files(data_dir, seeds_dir=seeds)
    with open(seeds / "bot_markers.csv", "a", encoding="utf-8") as sink:
        sink.write("acmemonitor,monitor\n")
    assert enrich_new_raw_files(data_dir, seeds_dir=seeds).stale_seed_files == 1
    refreshed = enrich_new_raw_files(data_dir, seeds_dir=seeds, full_refresh=True)
    assert (first.files, refreshed.files) == (1, 1)
    events = pl.read_parquet(lake_files(data_dir.enriched_events), hive_partitioning=False)
    assert events["is_bot"].to_list() == [True, True]
    assert events["device_type"].to_list() == ["bot", "bot"]


def test_enrich_empty_lake_does_nothing(data_dir: DataPaths) -> None:
    result = enrich_new_raw_files(data_dir)
    assert (result.files, result.rows, result.up_to_date, result.batches) == (0, 0, 0, 0)
    assert _enriched_state(data_dir) == {}


def test_enrich_keeps_raw_columns_unchanged_except_utm(
    data_dir: DataPaths, write_raw: WriteRaw
) -> None:
    raw = write_raw(9, user_agent=IPHONE, metadata='{"a": 1}', product_id="p-1")
    enrich_new_raw_files(data_dir)
    before = pq.read_table(raw).drop_columns(["utm_source", "utm_medium", "utm_term"])
    after = pq.read_table(data_dir.enriched_events / raw.parent.name / raw.name)
    assert after.select(before.column_names).equals(before)


def test_enrich_unreadable_raw_file_raises_naming_it(
    data_dir: DataPaths, write_raw: WriteRaw
) -> None:
    raw = write_raw(3)
    broken = raw.with_name("00000000000000000001-broken.parquet")
    broken.write_bytes(b"not parquet at all")
    os.utime(broken)
    with pytest.raises(EnrichError, match="broken.parquet"):
        enrich_new_raw_files(data_dir)


def test_enrich_uses_configured_geoip_database(
    data_dir: DataPaths, write_raw: WriteRaw, tiny_geoip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from warehouse.settings import reset_settings

    monkeypatch.setenv("FOOTFALL_GEOIP_DB", str(tiny_geoip))
    reset_settings()
    write_raw(4)
    result = enrich_new_raw_files(data_dir)
    assert str(tiny_geoip) in result.geoip_database
    events = pl.read_parquet(lake_files(data_dir.enriched_events), hive_partitioning=False)
    cities = dict(zip(events["ip_prefix"], events["city"], strict=True))
    assert cities == {
        "81.2.69.0": "London",
        "8.8.8.0": None,
        "10.0.0.0": None,
        "2a00:1450:4001::": None,
    }
