"""Which GeoIP database enrichment uses, and what it is (logged at the start of every run).

`FOOTFALL_GEOIP_DB` names a GeoLite2/GeoIP2 City file; unset, footfall falls back to the
GeoLite2 City file shipped in the `maxminddb-geolite2` wheel (built 2018 — old, but it
needs no account and no download; operators should point the setting at a fresh file).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import maxminddb

from warehouse.settings import get_settings

SUPPORTED_TYPES = ("City", "Country")


class GeoIPDatabaseError(RuntimeError):
    """The GeoIP file cannot be opened or is not a City/Country database; names the file."""


def bundled_geoip_path() -> Path:
    """The GeoLite2-City.mmdb that ships inside the maxminddb-geolite2 package."""
    from _maxminddb_geolite2 import geolite2_database

    return Path(geolite2_database())


def geoip_database_path() -> Path:
    """settings.geoip_db when set, else the bundled GeoLite2 City file."""
    configured = get_settings().geoip_db
    return Path(configured) if configured is not None else bundled_geoip_path()


def open_geoip_database(path: Path | None = None) -> maxminddb.Reader:
    """Open the database memory-mapped through maxminddb's C extension."""
    path = path or geoip_database_path()
    try:
        reader = maxminddb.open_database(str(path), maxminddb.MODE_MMAP_EXT)
    except (OSError, ValueError, maxminddb.InvalidDatabaseError) as exc:
        raise GeoIPDatabaseError(f"cannot open GeoIP database {path}: {exc}") from None
    kind = reader.metadata().database_type
    if not any(supported in kind for supported in SUPPORTED_TYPES):
        reader.close()
        raise GeoIPDatabaseError(
            f"GeoIP database {path} is of type {kind!r}; footfall needs a City (or Country) one"
        )
    return reader


def describe_geoip_database(path: Path | None = None) -> str:
    """One line naming the file, its database type and build date, e.g. for the run log."""
    path = path or geoip_database_path()
    reader = open_geoip_database(path)
    try:
        meta = reader.metadata()
        built = datetime.fromtimestamp(meta.build_epoch, tz=UTC).date().isoformat()
        return f"{meta.database_type} (built {built}, IPv{meta.ip_version}) from {path}"
    finally:
        reader.close()
