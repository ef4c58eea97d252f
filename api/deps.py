"""Shared request dependencies as `Annotated` aliases: auth, the snapshot lease, date ranges.

They are `async def` because none of them blocks (the lease takes the snapshot lazily, in
the handler's thread): a sync dependency would cost a thread-pool hop per request each.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, HTTPException, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BeforeValidator

from api.cache import SnapshotCache
from api.errors import ParameterError
from api.realtime import RealtimeCache
from api.snapshots import Lease, SnapshotReader
from warehouse.settings import Settings

MAX_RANGE_DAYS = 366
DEFAULT_RANGE_DAYS = 30

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _require_iso_day(value: object) -> object:
    """Only YYYY-MM-DD: pydantic alone would read `0` or `1700000000` as a Unix time."""
    if not isinstance(value, str) or not _ISO_DAY.fullmatch(value):
        raise ValueError("must be a day written as YYYY-MM-DD")
    return value


IsoDay = Annotated[date, BeforeValidator(_require_iso_day)]

_bearer = HTTPBearer(auto_error=False, description="A read token from FOOTFALL_API_TOKEN.")


async def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


async def get_reader(request: Request) -> SnapshotReader:
    return request.app.state.reader


async def get_cache(request: Request) -> SnapshotCache:
    return request.app.state.cache


async def get_realtime(request: Request) -> RealtimeCache:
    return request.app.state.realtime


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
ReaderDep = Annotated[SnapshotReader, Depends(get_reader)]
CacheDep = Annotated[SnapshotCache, Depends(get_cache)]
RealtimeDep = Annotated[RealtimeCache, Depends(get_realtime)]


def token_matches(presented: str, allowed: list[str]) -> bool:
    """Constant-time check against every allowed token (several, for rotation)."""
    given = presented.encode()
    matched = False
    for token in allowed:
        matched |= hmac.compare_digest(given, token.encode())
    return matched


async def require_token(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """401 unless the request carries a valid read token as a bearer credential."""
    if (
        credentials is None
        or credentials.scheme.lower() != "bearer"
        or not token_matches(credentials.credentials, settings.api_token)
    ):
        raise HTTPException(
            status_code=401,
            detail="a valid bearer token is required (Authorization: Bearer <token>)",
            headers={"WWW-Authenticate": "Bearer"},
        )


async def lease_snapshot(reader: ReaderDep) -> AsyncIterator[Lease]:
    """This request's hold on the current snapshot (503 on use before the first publish)."""
    with reader.acquire() as lease:
        yield lease


SnapshotDep = Annotated[Lease, Depends(lease_snapshot)]


def today_in(settings: Settings) -> date:
    """Today's reporting date in the configured time zone."""
    return datetime.now(ZoneInfo(settings.reporting_tz)).date()


@dataclass(frozen=True)
class DateRange:
    """An inclusive range of reporting days, checked: start ≤ end, at most 366 days."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> DateRange:
        """The period of equal length just before this one."""
        return DateRange(self.start - timedelta(days=self.days), self.start - timedelta(days=1))


# Far enough from date.min/max that the default start and the previous period never overflow.
EARLIEST_DAY = date(1970, 1, 1)
LATEST_DAY = date(2999, 12, 31)


async def date_range(
    settings: SettingsDep,
    start: Annotated[
        IsoDay | None, Query(description="First day (YYYY-MM-DD); default end − 29 days.")
    ] = None,
    end: Annotated[IsoDay | None, Query(description="Last day, inclusive; default today.")] = None,
) -> DateRange:
    for name, value in (("start", start), ("end", end)):
        if value is not None and not EARLIEST_DAY <= value <= LATEST_DAY:
            raise ParameterError(name, f"must be between {EARLIEST_DAY} and {LATEST_DAY}")
    end = end or today_in(settings)
    start = start or end - timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if start > end:
        raise ParameterError("start", "must be on or before end")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise ParameterError("start", f"the range may span at most {MAX_RANGE_DAYS} days")
    return DateRange(start, end)


DateRangeDep = Annotated[DateRange, Depends(date_range)]
