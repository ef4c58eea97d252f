"""The enrichment manifest: appended durably, torn lines ignored, compacted atomically."""

from __future__ import annotations

from pathlib import Path

from warehouse.enrich.manifest import Manifest, ManifestEntry


def _entry(number: int, size: int = 100) -> ManifestEntry:
    return ManifestEntry(f"date=2026-03-02/{number:04d}.parquet", size, 1, 10, "seeds")


def test_manifest_round_trips_entries_and_removals(tmp_path: Path) -> None:
    manifest = Manifest.load(tmp_path / "m.jsonl")
    manifest.record([_entry(1), _entry(2)])
    manifest.forget([_entry(1).raw, "never-recorded"])
    manifest.record([_entry(2, size=200)])
    loaded = Manifest.load(tmp_path / "m.jsonl")
    assert loaded.entries == {_entry(2).raw: _entry(2, size=200)}
    assert loaded.is_done(_entry(2).raw, 200, 1)
    assert not loaded.is_done(_entry(2).raw, 100, 1)


def test_manifest_skips_torn_last_line_and_repairs_on_append(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    Manifest.load(path).record([_entry(1)])
    with open(path, "a", encoding="utf-8") as sink:
        sink.write('{"raw": "date=2026-03-02/00')
    manifest = Manifest.load(path)
    assert set(manifest.entries) == {_entry(1).raw}
    manifest.record([_entry(2)])
    assert set(Manifest.load(path).entries) == {_entry(1).raw, _entry(2).raw}
    assert all(line.startswith('{"raw"') for line in path.read_text().splitlines())


def test_manifest_compacts_when_dead_lines_pile_up(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    manifest = Manifest.load(path)
    manifest.record([_entry(number) for number in range(1500)])
    manifest.forget([_entry(number).raw for number in range(1500)])
    manifest.record([_entry(9999)])
    manifest.compact_if_needed()
    assert path.read_text().count("\n") == 1
    assert not list(tmp_path.glob(".*.tmp"))
    assert set(Manifest.load(path).entries) == {_entry(9999).raw}
