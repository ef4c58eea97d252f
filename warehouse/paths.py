"""Where every stage reads and writes under the data directory (DESIGN.md "The data path")."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from warehouse.settings import get_settings

RAW_DATASETS = ("events", "orders", "customers")


@dataclass(frozen=True)
class DataPaths:
    """The layout of one data directory; each property is one stage's home."""

    root: Path

    @property
    def spool(self) -> Path:
        return self.root / "spool"

    @property
    def lake(self) -> Path:
        return self.root / "lake"

    def raw(self, dataset: str) -> Path:
        if dataset not in RAW_DATASETS:
            raise ValueError(f"unknown raw dataset {dataset!r}")
        return self.lake / "raw" / dataset

    @property
    def enriched_events(self) -> Path:
        return self.lake / "enriched" / "events"

    @property
    def state(self) -> Path:
        """Small bookkeeping files (manifests, salts, locks, audit logs)."""
        return self.root / "state"

    @property
    def build(self) -> Path:
        return self.root / "build"

    @property
    def build_db(self) -> Path:
        return self.build / "footfall.duckdb"

    @property
    def published(self) -> Path:
        return self.root / "published"

    @property
    def current_pointer(self) -> Path:
        return self.published / "CURRENT"


def data_paths() -> DataPaths:
    """The layout of the configured data directory, as an absolute path."""
    return DataPaths(get_settings().data_dir.resolve())
