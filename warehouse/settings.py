"""The one place footfall reads its configuration from (environment and an optional `.env`).

Everything else imports `get_settings()`; nothing else reads `os.environ`, so every knob
is documented here and validated once, at start, with a message that names the variable.
"""

from __future__ import annotations

import functools
import zoneinfo
from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ENV_PREFIX = "FOOTFALL_"


class SettingsError(RuntimeError):
    """A setting has a value footfall cannot use; the message names the variable."""


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """footfall's settings. Each field is read from `FOOTFALL_<NAME>`."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Field(Path("data"), description="Root of spool, lake, build and snapshots.")
    api_token: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["dev-read-token"],
        description="Read API bearer token(s), comma-separated to allow rotation.",
    )
    ingest_token: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["dev-ingest-token"],
        description="Token(s) for POST /api/v1/orders and /customers, comma-separated.",
    )
    secret: str = Field(
        "dev-secret-change-me",
        min_length=8,
        description="Key for email hashes and cookieless ids (keep it secret and stable).",
    )
    geoip_db: Path | None = Field(
        None, description="GeoLite2/GeoIP2 City .mmdb; default: maxminddb-geolite2's file."
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Shop origins allowed to POST events (comma-separated)."
    )
    reporting_tz: str = Field("UTC", description="IANA time zone that defines a reporting day.")
    shop_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="The shop's own hosts (comma-separated): their referrers are internal.",
    )
    anonymize_ip: bool = Field(True, description="Truncate client IPs (IPv4 /24, IPv6 /48).")
    session_timeout_minutes: int = Field(30, ge=1, le=24 * 60, description="Visit gap cut-off.")
    duckdb_memory_limit: str = Field(
        "3GB", description="DuckDB memory_limit for dbt builds (dbt itself adds ~300 MiB)."
    )
    duckdb_threads: int = Field(2, ge=1, le=256, description="DuckDB threads for dbt builds.")
    duckdb_compress_strings: bool = Field(
        True,
        description="Let dbt builds compress text columns with DuckDB's dict_fsst: the build "
        "database is ~3x smaller and incremental runs read less (10M events: incremental "
        "5-10 % faster, full build 0-4 % slower); false stores text uncompressed (published "
        "snapshots are always compressed).",
    )
    dbt_forkserver: bool = Field(
        True,
        description="Fork each dbt build from a server that imported dbt once (Linux); "
        "false runs a plain `python -m dbt.cli.main` per build.",
    )
    max_body_bytes: int = Field(256 * 1024, ge=1024, description="Largest accepted request body.")
    max_batch_events: int = Field(500, ge=1, description="Most events in one track batch.")
    spool_segment_seconds: float = Field(
        2.0, gt=0, description="A spool segment is sealed and landed after this many seconds."
    )
    spool_segment_bytes: int = Field(
        16 * 1024 * 1024, ge=4096, description="A spool segment is sealed past this size."
    )
    compact_min_files: int = Field(
        32,
        ge=2,
        description="A closed lake partition with at least this many files is merged "
        "(see warehouse.compaction).",
    )
    compact_max_rows: int = Field(
        1_000_000, ge=1_000, description="Most rows in one file written by lake compaction."
    )
    rate_limit_per_second: float = Field(
        50.0, ge=0, description="Track requests per second per client IP (token bucket); 0 = off."
    )
    rate_limit_burst: int = Field(200, ge=1, description="Track requests a client IP may burst.")
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["127.0.0.1", "::1"],
        description="Peers (IPs or CIDRs, comma-separated) whose X-Forwarded-For is believed.",
    )
    pipeline_interval_minutes: float = Field(
        15, gt=0, le=24 * 60, description="`footfall serve` runs the pipeline this often."
    )
    full_check_cron: str = Field(
        "30 3 * * *", description="Cron (reporting tz) of the nightly full-refresh pipeline run."
    )
    retention_cron: str = Field(
        "0 4 * * 0", description="Cron (reporting tz) of the weekly retention run."
    )
    retention_days: int = Field(
        90, ge=1, description="Anonymous visitors' events older than this many days are deleted."
    )

    @field_validator(
        "api_token", "ingest_token", "cors_origins", "shop_hosts", "trusted_proxies", mode="before"
    )
    @classmethod
    def _csv(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("api_token", "ingest_token")
    @classmethod
    def _tokens_strong_enough(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("at least one token is required")
        for token in value:
            if len(token) < 8:
                raise ValueError("each token must be at least 8 characters")
        return value

    @field_validator("full_check_cron", "retention_cron")
    @classmethod
    def _five_cron_fields(cls, value: str) -> str:
        if len(value.split()) != 5:
            raise ValueError("must be a 5-field cron expression such as '30 3 * * *'")
        return value.strip()

    @field_validator("reporting_tz")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("must be an IANA time zone name such as UTC or Europe/Berlin") from exc
        return value

    @field_validator("data_dir")
    @classmethod
    def _no_quote_in_data_dir(cls, value: Path) -> Path:
        # dbt's sources put the lake's path inside SQL string literals.
        if "'" in str(value):
            raise ValueError("must not contain a single quote (')")
        return value

    @field_validator("geoip_db")
    @classmethod
    def _geoip_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no such file: {value}")
        return value


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        field = str(item["loc"][0]) if item["loc"] else "?"
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"{ENV_PREFIX}{field.upper()}: {message}")
    return "invalid settings:\n  " + "\n  ".join(lines)


@functools.cache
def get_settings() -> Settings:
    """The validated settings, read once per process; raises SettingsError naming the variable."""
    try:
        return Settings()
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None


def reset_settings() -> None:
    """Forget the cached settings (tests and the CLI change the environment, then call this)."""
    get_settings.cache_clear()
