"""Run footfall's dbt project (the repo root) against one data directory, in a subprocess.

Why a subprocess: dbt run in-process can keep DuckDB file locks after it returns
(dbt-core #11980), and publish must open the build file right after. A child process
releases every lock when it exits. The child is forked from a server that has imported
dbt already (warehouse/dbt_forkserver.py), which saves ~8 s of import per invocation.

Why a target directory per data directory (`$DATA/build/dbt_target`): run results, logs
and compiled SQL belong to one data directory, and two runs on different data directories
must not overwrite each other's.

Why dbt runs inside the data directory with FOOTFALL_DATA_DIR=".": the profile and vars
then read the same for every data directory, so dbt's partial-parse state (keyed on the
profile, vars and env vars) carries over. A fresh data directory starts from the state the
last successful run left in the project's `target/` (`SHARED_PARSE_STATE`) instead of a
full parse, which dominates small runs (10–25 s here). dbt still checks every file's
checksum and the environment, and re-parses whatever changed.

The child's environment is this process's, plus the settings dbt reads through
`env_var()` in `profiles.yml` / `dbt_project.yml` (data dir, DuckDB threads and memory
limit, reporting time zone, visit timeout).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from warehouse.dbt_forkserver import run_dbt
from warehouse.paths import DataPaths
from warehouse.settings import get_settings

logger = logging.getLogger(__name__)

PROJECT_DIR = Path(__file__).resolve().parent.parent
DBT_DATA_DIR_MARKER = "FOOTFALL_DBT_DATA_DIR"
PARSE_STATE = "partial_parse.msgpack"
SHARED_PARSE_STATE = PROJECT_DIR / "target" / "footfall-runner-partial-parse.msgpack"
FAILED_STATUSES = frozenset({"error", "fail", "runtime error"})

LineCallback = Callable[[str], None]


class DbtError(RuntimeError):
    """A dbt invocation failed; `.result` holds what it reported."""

    def __init__(self, result: DbtResult) -> None:
        super().__init__(result.summary())
        self.result = result


@dataclass(frozen=True)
class NodeResult:
    """One node (model, test, seed, unit test) as reported in run_results.json."""

    unique_id: str
    resource_type: str
    status: str
    execution_time_s: float
    message: str | None = None
    failures: int | None = None
    relation_name: str | None = None

    @property
    def name(self) -> str:
        """The node's name: `sessions`, `unique_sessions_visit_id`, a unit test's name."""
        parts = self.unique_id.split(".")
        if self.resource_type == "unit_test" or len(parts) < 3:
            return parts[-1]
        return parts[2]

    @property
    def failed(self) -> bool:
        return self.status in FAILED_STATUSES


@dataclass(frozen=True)
class DbtResult:
    """What one dbt invocation did: exit status, per-node results, elapsed wall time."""

    args: list[str]
    returncode: int
    elapsed_s: float
    nodes: list[NodeResult] = field(default_factory=list)
    log_tail: list[str] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return self.returncode == 0 and not self.failures

    @property
    def failures(self) -> list[NodeResult]:
        return [node for node in self.nodes if node.failed]

    def summary(self) -> str:
        """A short human-readable account: counts, and each failure with its message."""
        command = " ".join(self.args[:1])
        if self.success:
            return f"dbt {command}: {len(self.nodes)} nodes OK in {self.elapsed_s:.1f}s"
        lines = [f"dbt {command} failed (exit {self.returncode}) after {self.elapsed_s:.1f}s"]
        for node in self.failures:
            lines.append(f"  {node.status.upper()} {node.unique_id}: {node.message or ''}".rstrip())
        if not self.failures:
            lines.extend(f"  {line}" for line in self.log_tail[-15:])
        return "\n".join(lines)

    def raise_for_status(self) -> None:
        """Raise DbtError unless the invocation succeeded."""
        if not self.success:
            raise DbtError(self)


def target_dir(paths: DataPaths) -> Path:
    """dbt's target (and log) directory for a data directory: beside its build database."""
    return paths.build / "dbt_target"


def dbt_environment(paths: DataPaths) -> dict[str, str]:
    """The child's environment: inherited, plus the settings the dbt project reads.

    The data directory itself is the child's working directory (see the module doc).
    """
    settings = get_settings()
    env = dict(os.environ)
    env.update(
        {
            "FOOTFALL_DATA_DIR": ".",  # dbt runs in the data directory: see the module doc
            # Not read by dbt: names the data dir of this build for `ps e` and crash checks.
            DBT_DATA_DIR_MARKER: str(paths.root),
            "FOOTFALL_DUCKDB_THREADS": str(settings.duckdb_threads),
            "FOOTFALL_DUCKDB_MEMORY_LIMIT": settings.duckdb_memory_limit,
            "FOOTFALL_DUCKDB_DISABLED_COMPRESSION": (
                "" if settings.duckdb_compress_strings else "dict_fsst"
            ),
            "FOOTFALL_REPORTING_TZ": settings.reporting_tz,
            "FOOTFALL_SESSION_TIMEOUT_MINUTES": str(settings.session_timeout_minutes),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DO_NOT_TRACK": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def dbt_command(
    args: Sequence[str],
    paths: DataPaths,
    *,
    vars: dict | None = None,
    on_line: LineCallback | None = None,
    check: bool = False,
) -> DbtResult:
    """Run `dbt <args>` for the data directory `paths` in a subprocess and report on it.

    Progress lines go to `on_line` (default: this module's logger at INFO). Returns a
    DbtResult whether or not dbt succeeded; with `check=True` a failure raises DbtError.
    """
    paths = DataPaths(paths.root.resolve())  # dbt's working directory is the data dir
    target = target_dir(paths)
    target.mkdir(parents=True, exist_ok=True)
    paths.build.mkdir(parents=True, exist_ok=True)
    _copy_quietly(SHARED_PARSE_STATE, target / PARSE_STATE, only_if_missing=True)
    run_results = target / "run_results.json"
    run_results.unlink(missing_ok=True)
    full_args = [
        *args,
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
        "--target-path",
        str(target),
        "--log-path",
        str(target / "logs"),
    ]
    if vars:
        full_args += ["--vars", json.dumps(vars, sort_keys=True)]
    emit = on_line or (lambda line: logger.info("dbt: %s", line))
    tail: list[str] = []
    started = time.monotonic()

    def on_output(line: str) -> None:
        nonlocal tail
        tail = [*tail[-49:], line]
        emit(line)

    returncode = run_dbt(full_args, paths.root, dbt_environment(paths), on_output)
    elapsed = time.monotonic() - started
    result = DbtResult(
        args=list(args),
        returncode=returncode,
        elapsed_s=elapsed,
        nodes=_read_run_results(run_results),
        log_tail=tail,
    )
    if returncode == 0:
        _copy_quietly(target / PARSE_STATE, SHARED_PARSE_STATE)
    if check:
        result.raise_for_status()
    return result


def _copy_quietly(source: Path, destination: Path, *, only_if_missing: bool = False) -> None:
    """Copy dbt's parse state, atomically; a cache only, so any failure is just logged."""
    if not source.is_file() or (only_if_missing and destination.exists()):
        return
    partial = destination.with_name(f".{destination.name}.{os.getpid()}.partial")
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, partial)
        os.replace(partial, destination)
    except OSError as exc:
        logger.debug("dbt parse state not copied to %s: %s", destination, exc)
        partial.unlink(missing_ok=True)


# Unit tests check the SQL, not the data: dbt advises running them in development and CI
# only (CI does: tests/models/test_dbt_runner.py), so no pipeline run repeats them.
UNIT_TESTS = "resource_type:unit_test"
# The data tests that scan every event: only the (nightly) full refresh runs them.
FULL_CHECK_TESTS = "tag:full_check"


def left_out_of_build(full_refresh: bool) -> str:
    """The dbt --exclude selectors of a pipeline run or a benchmark build (their union)."""
    return UNIT_TESTS if full_refresh else f"{UNIT_TESTS} {FULL_CHECK_TESTS}"


def dbt_build(
    paths: DataPaths,
    *,
    full_refresh: bool = False,
    select: str | None = None,
    vars: dict | None = None,
    on_line: LineCallback | None = None,
    check: bool = False,
    exclude: str | None = None,
) -> DbtResult:
    """`dbt build` (seeds, models, unit and data tests) of the data directory `paths`.

    Incremental unless `full_refresh`; `select` and `exclude` are dbt selectors (e.g.
    "+daily_metrics"; exclude="tag:full_check" skips the tests that scan the event tables).
    """
    args = ["build"]
    if full_refresh:
        args.append("--full-refresh")
    if select:
        args += ["--select", select]
    if exclude:
        args += ["--exclude", exclude]
    return dbt_command(args, paths, vars=vars, on_line=on_line, check=check)


def _read_run_results(path: Path) -> list[NodeResult]:
    if not path.is_file():
        return []
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        logger.warning("cannot read %s: %s", path, exc)
        return []
    nodes = []
    for item in payload.get("results", []):
        unique_id = item.get("unique_id", "?")
        nodes.append(
            NodeResult(
                unique_id=unique_id,
                resource_type=unique_id.split(".", 1)[0],
                status=str(item.get("status", "")),
                execution_time_s=float(item.get("execution_time") or 0.0),
                message=item.get("message"),
                failures=item.get("failures"),
                relation_name=item.get("relation_name"),
            )
        )
    return nodes
