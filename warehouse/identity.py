"""Pseudonymisation shared by the collector and the generator, so both write identical values.

Pure functions only: the keyed hashes make erasure by email possible without keeping
plain emails, and the IP truncation is what lets footfall store no full address at all.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

IPV4_PREFIX = 24
IPV6_PREFIX = 48


def truncate_ip(ip: str) -> str | None:
    """The network an address belongs to (IPv4 /24, IPv6 /48) as its base address, or None."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    prefix = IPV4_PREFIX if address.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address)


def normalize_email(email: str) -> str:
    return email.strip().lower()


def hash_email(email: str, secret: str) -> str:
    """Keyed hash (HMAC-SHA256, hex) of a normalised email address."""
    return keyed_hash(secret, normalize_email(email))


def keyed_hash(secret: str, *parts: str) -> str:
    """HMAC-SHA256 over the parts joined by a separator no part can contain."""
    message = "\x1f".join(parts).encode("utf-8")
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def cookieless_visitor_id(salt: str, host: str, ip_prefix: str, user_agent: str) -> str:
    """Plausible-style daily visitor id: hash(salt, host, truncated ip, user agent)."""
    return "cl-" + keyed_hash(salt, host.lower(), ip_prefix, user_agent)[:32]
