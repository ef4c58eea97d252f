"""The analyst-edited seed files enrichment reads at run time (the dbt models read the same).

They are read on every run, never cached, so an edit takes effect on the next run. A
missing file or column raises `SeedError` naming the file.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

import polars as pl

import warehouse

SEEDS_DIR = Path(warehouse.__file__).resolve().parents[1] / "seeds"
BOT_MARKERS_FILE = "bot_markers.csv"
REFERRER_SOURCES_FILE = "referrer_sources.csv"
REFERRER_KINDS = ("search", "social")


class SeedError(ValueError):
    """A seed file is missing or malformed; the message names the file and row."""


@dataclass(frozen=True)
class Seeds:
    """What enrichment takes from seeds/: bot markers and the referrer host mapping."""

    bot_markers: tuple[str, ...]
    referrer_sources: pl.DataFrame  # host, kind, source_name — lower-case hosts
    fingerprint: str  # hash of both files, recorded with every enriched file


def _rows(path: Path, columns: tuple[str, ...]) -> list[dict[str, str]]:
    try:
        with open(path, newline="", encoding="utf-8") as source:
            reader = csv.DictReader(source)
            missing = [name for name in columns if name not in (reader.fieldnames or [])]
            if missing:
                raise SeedError(f"{path}: missing column(s) {', '.join(missing)}")
            return [
                {name: (row.get(name) or "").strip() for name in columns}
                for row in reader
                if any((value or "").strip() for value in row.values())
            ]
    except FileNotFoundError:
        raise SeedError(f"seed file not found: {path}") from None


def load_seeds(seeds_dir: Path = SEEDS_DIR) -> Seeds:
    """Read seeds/bot_markers.csv and seeds/referrer_sources.csv."""
    markers_path = seeds_dir / BOT_MARKERS_FILE
    sources_path = seeds_dir / REFERRER_SOURCES_FILE
    markers = tuple(
        dict.fromkeys(row["marker"].lower() for row in _rows(markers_path, ("marker", "kind")))
    )
    if "" in markers:
        raise SeedError(f"{markers_path}: a row has an empty marker")
    sources = _rows(sources_path, ("host", "kind", "source_name"))
    for number, row in enumerate(sources, start=2):
        if not row["host"]:
            raise SeedError(f"{sources_path}:{number}: empty host")
        if row["kind"] not in REFERRER_KINDS:
            raise SeedError(
                f"{sources_path}:{number}: kind {row['kind']!r} is not one of "
                f"{', '.join(REFERRER_KINDS)}"
            )
        row["host"] = row["host"].lower().removeprefix("www.")
    digest = hashlib.sha256()
    for path in (markers_path, sources_path):
        digest.update(path.read_bytes())
    return Seeds(
        bot_markers=markers,
        referrer_sources=pl.DataFrame(
            sources, schema={"host": pl.String, "kind": pl.String, "source_name": pl.String}
        ),
        fingerprint=digest.hexdigest()[:16],
    )
