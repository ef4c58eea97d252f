"""Privacy at the door: what the collector does to personal data before anything is written.

- The client address is resolved (X-Forwarded-For only from trusted proxies) and
  truncated (IPv4 /24, IPv6 /48) before it reaches the spool, unless the operator
  turns anonymisation off.
- Without a consented cookie id the visitor gets a cookieless id: a keyed hash of a
  daily salt, the site host, the truncated address and the User-Agent (Plausible's
  scheme). Salts are random, live under `state/salts/`, rotate at UTC midnight and
  are destroyed after two days, after which nobody (us included) can link the ids.
  Yesterday's salt is still tried, so a visit that spans midnight keeps its id.
- `DNT: 1` or `Sec-GPC: 1` means "do not track me": the event is still counted, but
  cookieless: the cookie id and the customer id are dropped, so it links to nothing.
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import os
import secrets
import threading
from datetime import date, timedelta
from pathlib import Path

from warehouse.identity import cookieless_visitor_id, truncate_ip
from warehouse.settings import SettingsError

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: list[str]) -> list[IPNetwork]:
    """Trusted proxy list (IPs or CIDRs) from settings; a bad entry names the variable."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            raise SettingsError(
                f"FOOTFALL_TRUSTED_PROXIES: {value!r} is not an IP address or network"
            ) from None
    return networks


class ClientAddress:
    """Finds the real client address of a request, believing only trusted proxies."""

    def __init__(self, trusted: list[IPNetwork]) -> None:
        self.trusted = trusted
        self._cache: dict[str, bool] = {}

    def is_trusted(self, address: str) -> bool:
        known = self._cache.get(address)
        if known is None:
            try:
                ip = ipaddress.ip_address(address)
            except ValueError:
                known = False
            else:
                known = any(ip in network for network in self.trusted)
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[address] = known
        return known

    def resolve(self, peer: str | None, forwarded_for: str | None) -> str:
        """The right-most X-Forwarded-For hop that is not a trusted proxy, else the peer."""
        peer = peer or ""
        if not forwarded_for or not self.is_trusted(peer):
            return peer
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        for hop in reversed(hops):
            if not self.is_trusted(hop):
                return hop if _is_ip(hop) else peer
        return hops[0] if hops and _is_ip(hops[0]) else peer


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


@functools.lru_cache(maxsize=65536)
def stored_ip(ip: str, anonymize: bool) -> str | None:
    """What the lake keeps of an address: its truncated network unless anonymisation is off.

    Cached: parsing addresses with `ipaddress` costs more than the rest of a request's
    privacy work, and a collector sees the same clients again and again.
    """
    if not anonymize:
        return ip if _is_ip(ip) else None
    return truncate_ip(ip)


def opted_out(dnt: str | None, gpc: str | None) -> bool:
    """Do-Not-Track or Global Privacy Control asks us not to follow this browser."""
    return (dnt or "").strip() == "1" or (gpc or "").strip() == "1"


class SaltStore:
    """Daily random salts on disk: today's and yesterday's; older ones are destroyed.

    On disk (not only in memory) so a restarted collector, or several collectors
    sharing the data dir, produce the same cookieless ids within a day.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._day: date | None = None
        self._today = ""
        self._yesterday: str | None = None

    def salts(self, day: date) -> tuple[str, str | None]:
        """(today's salt, yesterday's salt or None) for UTC day `day`."""
        if day != self._day:
            with self._lock:
                if day != self._day:
                    self._rotate(day)
        return self._today, self._yesterday

    def _rotate(self, day: date) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        today = self._load_or_create(day)
        yesterday = self._load(day - timedelta(days=1))
        self._destroy_before(day - timedelta(days=1))
        self._today, self._yesterday, self._day = today, yesterday, day

    def _path(self, day: date) -> Path:
        return self.directory / f"{day.isoformat()}.salt"

    def _load(self, day: date) -> str | None:
        try:
            return self._path(day).read_text().strip() or None
        except FileNotFoundError:
            return None

    def _load_or_create(self, day: date) -> str:
        existing = self._load(day)
        if existing:
            return existing
        target = self._path(day)
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, secrets.token_hex(32).encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, target)  # first writer wins; a racing process reads the winner's
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
        salt = self._load(day)
        assert salt is not None
        return salt

    def _destroy_before(self, keep_from: date) -> None:
        for path in self.directory.glob("*.salt"):
            try:
                day = date.fromisoformat(path.stem)
            except ValueError:
                continue
            if day < keep_from:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()


class CookielessIds:
    """Cookieless visitor ids that survive midnight for a visit in progress.

    Ids issued under each day's salt are remembered in memory with their last-seen
    time. After midnight, a request whose id under yesterday's salt was seen within
    the visit timeout keeps that id; otherwise it gets today's id.
    """

    def __init__(self, salts: SaltStore, timeout_seconds: float, max_remembered: int = 200_000):
        self.salts = salts
        self.timeout = timeout_seconds
        self.max_remembered = max_remembered
        self._seen: dict[date, dict[str, float]] = {}
        self._lock = threading.Lock()

    def visitor_id(self, host: str, ip: str, user_agent: str, day: date, now: float) -> str:
        """The cookieless id for a browser on `host`, at epoch second `now` of UTC `day`."""
        today_salt, yesterday_salt = self.salts.salts(day)
        prefix = stored_ip(ip, True) or ""
        with self._lock:
            if yesterday_salt is not None:
                earlier = self._seen.get(day - timedelta(days=1))
                if earlier:
                    kept = cookieless_visitor_id(yesterday_salt, host, prefix, user_agent)
                    last = earlier.get(kept)
                    if last is not None and now - last <= self.timeout:
                        earlier[kept] = now
                        return kept
            visitor = cookieless_visitor_id(today_salt, host, prefix, user_agent)
            seen = self._seen.get(day)
            if seen is None:
                seen = self._seen[day] = {}
                for old in [d for d in self._seen if d < day - timedelta(days=1)]:
                    del self._seen[old]
            seen[visitor] = now
            if len(seen) > self.max_remembered:
                self._forget_idle(seen, now)
            return visitor

    def _forget_idle(self, seen: dict[str, float], now: float) -> None:
        for key in [key for key, last in seen.items() if now - last > self.timeout]:
            del seen[key]
        while len(seen) > self.max_remembered:  # still too many: drop the oldest
            del seen[next(iter(seen))]
