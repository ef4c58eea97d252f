"""Which raw event files are enriched: a JSON-lines log under $DATA/state.

A raw file is done when its entry matches its current size and mtime and its enriched
file exists. Entries are appended (and fsync'd) only after the enriched files are
durably in place, so a crash in between means "redo", never "lost". A torn last line
(crash mid-append) is ignored; a "removed" line cancels an entry. When dead lines pile
up, or the file ends torn, the log is rewritten whole by temp file + atomic rename.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from warehouse.lake import write_text_atomic

MANIFEST_FILE = "enrich_manifest.jsonl"


@dataclass(frozen=True)
class ManifestEntry:
    """One enriched raw file: its path relative to the raw dataset dir and identity."""

    raw: str
    size: int
    mtime_ns: int
    rows: int
    seeds: str  # fingerprint of the seed files it was enriched with


class Manifest:
    """The enrichment manifest at `path` (load with `Manifest.load`)."""

    def __init__(self, path: Path, entries: dict[str, ManifestEntry], lines: int, torn: bool):
        self.path = path
        self.entries = entries
        self._lines = lines
        self._torn = torn

    @classmethod
    def load(cls, path: Path) -> Manifest:
        entries: dict[str, ManifestEntry] = {}
        lines = 0
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(path, entries, 0, False)
        for line in text.splitlines():
            try:
                record = json.loads(line)
                if record.get("removed"):
                    entries.pop(record["raw"], None)
                else:
                    entries[record["raw"]] = ManifestEntry(**record)
                lines += 1
            except (json.JSONDecodeError, TypeError, KeyError):
                continue  # a torn line from a crash mid-append
        return cls(path, entries, lines, torn=bool(text) and not text.endswith("\n"))

    def is_done(self, raw: str, size: int, mtime_ns: int) -> bool:
        entry = self.entries.get(raw)
        return entry is not None and entry.size == size and entry.mtime_ns == mtime_ns

    def _append(self, records: list[dict]) -> None:
        if self._torn:
            self.compact()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as sink:
            sink.write("".join(json.dumps(record) + "\n" for record in records))
            sink.flush()
            os.fsync(sink.fileno())
        self._lines += len(records)

    def record(self, entries: list[ManifestEntry]) -> None:
        """Durably mark `entries` done (call after their enriched files are in place)."""
        if not entries:
            return
        self._append([asdict(entry) for entry in entries])
        self.entries.update((entry.raw, entry) for entry in entries)

    def forget(self, raws: list[str]) -> None:
        """Durably drop entries (their raw file is gone)."""
        gone = [raw for raw in raws if raw in self.entries]
        if not gone:
            return
        self._append([{"raw": raw, "removed": True} for raw in gone])
        for raw in gone:
            del self.entries[raw]

    def compact_if_needed(self) -> None:
        if self._torn or self._lines > 2 * len(self.entries) + 1000:
            self.compact()

    def compact(self) -> None:
        """Rewrite the log with one line per live entry, atomically."""
        lines = [json.dumps(asdict(entry)) + "\n" for entry in self.entries.values()]
        write_text_atomic(self.path, "".join(lines))
        self._lines = len(self.entries)
        self._torn = False
