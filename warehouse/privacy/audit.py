"""The privacy audit log: what each retention, erasure and export did, without personal data.

One JSON line per job under `$DATA/state/privacy_audit.jsonl`, fsync'd, never rewritten:
when, which action, counts, and for person requests only a keyed hash of the request
(`PersonRequest.key`), which lets the operator show a given request was honoured without
the log naming anyone.
"""

from __future__ import annotations

import contextlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from warehouse.paths import DataPaths

AUDIT_FILE = "privacy_audit.jsonl"


def audit_file(paths: DataPaths) -> Path:
    return paths.state / AUDIT_FILE


def append_audit(paths: DataPaths, action: str, **fields: Any) -> dict[str, Any]:
    """Durably append one record; returns it."""
    record = {"at": datetime.now(UTC).isoformat(), "action": action, **fields}
    paths.state.mkdir(parents=True, exist_ok=True)
    with open(audit_file(paths), "a", encoding="utf-8") as sink:
        sink.write(json.dumps(record, default=str, sort_keys=True) + "\n")
        sink.flush()
        os.fsync(sink.fileno())
    return record


def read_audit(paths: DataPaths) -> list[dict[str, Any]]:
    """Every record, oldest first; a torn last line (crash mid-write) is skipped."""
    try:
        lines = audit_file(paths).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    records = []
    for line in lines:
        with contextlib.suppress(json.JSONDecodeError):
            records.append(json.loads(line))
    return records
