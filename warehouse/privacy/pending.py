"""A marker that a privacy job changed the lake but the marts have not been rebuilt yet.

Set before the first row is removed, cleared only after the full rebuild (and, for an
erasure, after every older snapshot is dropped). If the rebuild fails, the next privacy
run sees the marker and rebuilds even when it finds nothing new to remove; so a failed
rebuild can delay, but never skip, the marts forgetting what the lake forgot.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from warehouse.lake import fsync_dir, write_text_atomic
from warehouse.paths import DataPaths

PENDING_FILE = "privacy_rebuild_pending.json"


def pending_file(paths: DataPaths) -> Path:
    return paths.state / PENDING_FILE


def mark_rebuild_pending(paths: DataPaths, action: str, *, drop_snapshots: bool) -> None:
    """Record (durably) that the marts must be rebuilt; keeps the strictest request."""
    current = rebuild_pending(paths) or {}
    record = {
        "since": current.get("since", datetime.now(UTC).isoformat()),
        "actions": sorted({*current.get("actions", []), action}),
        "drop_snapshots": bool(current.get("drop_snapshots")) or drop_snapshots,
    }
    write_text_atomic(pending_file(paths), json.dumps(record))


def rebuild_pending(paths: DataPaths) -> dict | None:
    """The pending request, or None when the marts reflect the lake's privacy changes."""
    try:
        return json.loads(pending_file(paths).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except json.JSONDecodeError:
        # A torn marker still means "rebuild"; be strict about snapshots too.
        return {"actions": ["unknown"], "drop_snapshots": True}


def clear_rebuild_pending(paths: DataPaths) -> None:
    pending_file(paths).unlink(missing_ok=True)
    if paths.state.exists():
        fsync_dir(paths.state)
