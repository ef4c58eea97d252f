"""Fixtures of the reliability suite, and the recorder behind docs/RELIABILITY.md's table.

Each test calls `figures.record(...)` with what it did (rounds, events, faults) and what
was lost; the recorder adds the outcome and duration and merges the rows into
`test-artifacts/reliability/results.json` at the end of the session, keyed by test id,
so running one test refreshes its own row only. `python -m benchmarks.reliability_report`
runs the suite and renders that file into the doc.

Knobs (environment, read here and nowhere in product code):
- FOOTFALL_SOAK_SECONDS: length of the slow soak (default 300); the CI soak is 25 s.
- FOOTFALL_CRASH_ROUNDS: kill rounds of the slow collector crash test (default 25).
- FOOTFALL_PUBLISH_SWAPS: publishes in the slow publish-swap test (default 80).
- FOOTFALL_RELIABILITY_SEED: a fixed seed for the random kill points (default: random,
  printed in every failure message).
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.procs import can_mount

RESULTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "reliability" / "results.json"

_rows: dict[str, dict[str, Any]] = {}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, "") or default)


class Figures:
    """One test's row in the results table."""

    def __init__(self, nodeid: str) -> None:
        self.nodeid = nodeid
        self.row: dict[str, Any] = {}

    def record(self, *, title: str, did: str, lost: str = "nothing", **numbers: Any) -> None:
        """`did`: what the test did, in words with its numbers; `lost`: what was lost."""
        self.row.update(title=title, did=did, lost=lost, numbers=numbers)


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Iterator[Figures]:
    recorder = Figures(request.node.nodeid)
    started = time.monotonic()
    yield recorder
    if recorder.row:
        recorder.row["seconds"] = round(time.monotonic() - started, 1)
        recorder.row["slow"] = request.node.get_closest_marker("slow") is not None
        _rows.setdefault(request.node.nodeid, {}).update(recorder.row)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        row = _rows.setdefault(item.nodeid, {})
        row["outcome"] = report.outcome
        row["ran_at"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return report


def pytest_sessionfinish(session: pytest.Session) -> None:
    rows = {nodeid: row for nodeid, row in _rows.items() if row.get("title")}
    if not rows:
        return
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    # Parallel test workers (pytest-xdist) each merge their own rows: one at a time.
    with open(RESULTS.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            merged = json.loads(RESULTS.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            merged = {}
        merged.update(rows)
        partial = RESULTS.with_suffix(f".{os.getpid()}.partial")
        partial.write_text(json.dumps(merged, indent=2, sort_keys=True), encoding="utf-8")
        os.replace(partial, RESULTS)


@pytest.fixture
def seed() -> int:
    """The random seed of this test's kill points and payloads (fixed by env, else fresh)."""
    fixed = os.environ.get("FOOTFALL_RELIABILITY_SEED")
    return int(fixed) if fixed else random.SystemRandom().randrange(2**32)


@pytest.fixture
def needs_mount() -> None:
    if not can_mount():
        pytest.skip("needs root to mount a size-limited tmpfs")
