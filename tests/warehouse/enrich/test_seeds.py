"""Seed files: read at run time, validated with messages that name the file and row."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from warehouse.enrich.seeds import SEEDS_DIR, SeedError, load_seeds


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, target)
    return target


def test_load_seeds_reads_repo_seed_files() -> None:
    loaded = load_seeds()
    assert {"googlebot", "headlesschrome", "python-requests", "curl/"} <= set(loaded.bot_markers)
    hosts = dict(zip(loaded.referrer_sources["host"], loaded.referrer_sources["kind"], strict=True))
    assert (hosts["google"], hosts["facebook.com"]) == ("search", "social")


def test_load_seeds_lowercases_and_dedups_markers(seeds: Path) -> None:
    (seeds / "bot_markers.csv").write_text("marker,kind\nFooBot,crawler\nfoobot,crawler\n")
    assert load_seeds(seeds).bot_markers == ("foobot",)


@pytest.mark.parametrize(
    ("file", "text", "message"),
    [
        ("bot_markers.csv", "pattern,kind\nx,y\n", "bot_markers.csv: missing column"),
        ("referrer_sources.csv", "host,kind\ngoogle,search\n", "missing column"),
        ("referrer_sources.csv", "host,kind,source_name\ngoogle,paid,G\n", "csv:2: kind 'paid'"),
        ("referrer_sources.csv", "host,kind,source_name\n,search,G\n", "csv:2: empty host"),
    ],
)
def test_load_seeds_rejects_malformed_file(seeds: Path, file: str, text: str, message: str) -> None:
    (seeds / file).write_text(text)
    with pytest.raises(SeedError, match=message):
        load_seeds(seeds)


def test_load_seeds_missing_file_names_it(seeds: Path) -> None:
    (seeds / "referrer_sources.csv").unlink()
    with pytest.raises(SeedError, match="referrer_sources.csv"):
        load_seeds(seeds)


def test_seed_fingerprint_changes_with_content(seeds: Path) -> None:
    before = load_seeds(seeds).fingerprint
    with open(seeds / "bot_markers.csv", "a", encoding="utf-8") as sink:
        sink.write("newbot,crawler\n")
    assert load_seeds(seeds).fingerprint != before
