"""Real public address blocks of consumer ISPs, so GeoIP resolves visitors to countries.

Each block was checked against the bundled GeoLite2 City database (every sampled
address resolved to the listed country). Weights model a European shop with some
North American and overseas traffic. IPv6 blocks are the ISPs' real allocations; about
one visitor in eight arrives over IPv6, roughly what DE/FR/US broadband shows.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


@dataclass(frozen=True)
class Network:
    """An ISP's address block a visitor's address is drawn from."""

    country: str  # ISO 3166-1 alpha-2, as GeoLite2 resolves it
    isp: str
    cidr: str
    weight: float


NETWORKS: tuple[Network, ...] = (
    Network("DE", "Deutsche Telekom", "79.192.0.0/12", 9.0),
    Network("DE", "Deutsche Telekom", "93.192.0.0/12", 5.0),
    Network("DE", "Deutsche Telekom", "87.128.0.0/12", 2.0),
    Network("DE", "Vodafone Kabel", "95.88.0.0/14", 4.0),
    Network("DE", "Vodafone Kabel", "188.192.0.0/14", 3.0),
    Network("DE", "Telefonica O2 mobile", "176.0.0.0/14", 3.0),
    Network("FR", "Orange", "86.192.0.0/12", 5.0),
    Network("FR", "Free", "82.64.0.0/14", 3.0),
    Network("GB", "BT", "81.128.0.0/12", 3.5),
    Network("GB", "BT", "86.0.0.0/13", 1.5),
    Network("GB", "Sky", "2.24.0.0/13", 2.0),
    Network("GB", "Virgin Media", "82.0.0.0/14", 1.5),
    Network("NL", "Ziggo", "84.24.0.0/14", 2.5),
    Network("NL", "KPN", "77.160.0.0/13", 2.0),
    Network("AT", "A1 Telekom", "80.108.0.0/15", 2.5),
    Network("CH", "Swisscom", "85.0.0.0/14", 1.5),
    Network("CH", "Swisscom", "178.192.0.0/14", 1.0),
    Network("ES", "Telefonica", "83.32.0.0/12", 2.0),
    Network("ES", "Telefonica", "88.0.0.0/13", 1.0),
    Network("IT", "Telecom Italia", "79.0.0.0/13", 1.5),
    Network("IT", "Telecom Italia", "93.32.0.0/12", 1.5),
    Network("BE", "Proximus", "81.240.0.0/13", 1.2),
    Network("DK", "TDC", "87.48.0.0/13", 0.8),
    Network("SE", "Telia", "81.224.0.0/13", 1.0),
    Network("NO", "Telenor", "84.208.0.0/14", 0.6),
    Network("FI", "Elisa", "91.152.0.0/14", 0.5),
    Network("IE", "Eir", "86.40.0.0/14", 0.6),
    Network("PT", "MEO", "85.240.0.0/14", 0.5),
    Network("PL", "Orange Polska", "83.0.0.0/12", 1.0),
    Network("CZ", "O2 Czech", "78.102.0.0/15", 0.5),
    Network("US", "Comcast", "73.0.0.0/10", 3.0),
    Network("US", "Comcast", "73.128.0.0/10", 2.0),
    Network("US", "Verizon", "71.160.0.0/12", 1.0),
    Network("US", "AT&T", "99.0.0.0/12", 1.0),
    Network("US", "Charter", "24.0.0.0/13", 0.8),
    Network("US", "T-Mobile US", "172.32.0.0/12", 1.0),
    Network("CA", "Rogers", "99.224.0.0/12", 0.8),
    Network("CA", "Bell", "70.48.0.0/13", 0.5),
    Network("BR", "Vivo", "177.0.0.0/13", 0.4),
    Network("IN", "Reliance Jio", "49.32.0.0/13", 0.4),
    Network("JP", "NTT", "153.128.0.0/12", 0.3),
    Network("AU", "Telstra", "1.120.0.0/14", 0.4),
)

NETWORKS_V6: tuple[Network, ...] = (
    Network("DE", "Vodafone Kabel", "2a02:8108::/32", 3.0),
    Network("DE", "Deutsche Telekom", "2003:e0::/28", 4.0),
    Network("FR", "Free", "2a01:e0a::/32", 1.5),
    Network("FR", "Orange", "2a01:cb00::/24", 1.5),
    Network("US", "Comcast", "2601::/20", 1.5),
    Network("US", "T-Mobile US", "2607:fb90::/32", 1.0),
    Network("GB", "BT", "2a00:23c0::/29", 1.0),
    Network("GB", "Sky", "2a02:c7c::/30", 0.6),
    Network("NL", "Ziggo", "2001:1c00::/24", 0.8),
)

IPV6_SHARE = 0.12


@dataclass(frozen=True)
class NetworkTable:
    """IPv4 blocks as integer base/size arrays, for drawing many addresses at once."""

    base: np.ndarray  # uint32 first address
    size: np.ndarray  # int64 number of addresses
    p: np.ndarray  # selection probabilities

    @classmethod
    def of(cls, cidrs: list[str], weights: list[float]) -> NetworkTable:
        nets = [ipaddress.IPv4Network(cidr) for cidr in cidrs]
        w = np.array(weights, dtype=np.float64)
        return cls(
            base=np.array([int(n.network_address) for n in nets], dtype=np.uint32),
            size=np.array([n.num_addresses for n in nets], dtype=np.int64),
            p=w / w.sum(),
        )

    def draw(self, rng: np.random.Generator, n: int, which: np.ndarray | None = None) -> np.ndarray:
        """`n` addresses (uint32); `which` fixes the block per address, else it is drawn."""
        if which is None:
            which = rng.choice(len(self.base), size=n, p=self.p)
        offset = (rng.random(n) * self.size[which]).astype(np.int64)
        # Avoid .0 and .255 host parts: a real client address is neither.
        host = offset & 0xFF
        offset = offset - host + 1 + (host % 254)
        return (self.base[which].astype(np.int64) + offset).astype(np.uint32)


CONSUMER_V4 = NetworkTable.of([n.cidr for n in NETWORKS], [n.weight for n in NETWORKS])


_HEX_GROUPS = pa.array([f"{value:x}" for value in range(0x10000)], type=pa.string())


def draw_ipv6(rng: np.random.Generator, n: int) -> tuple[list[str], list[str]]:
    """`n` IPv6 client addresses from the consumer blocks, and their /48 prefixes.

    Formatted with Arrow (ipaddress is ~100x slower) exactly the way
    `warehouse.identity.truncate_ip` writes a prefix, which a test checks.
    """
    nets = [ipaddress.IPv6Network(net.cidr) for net in NETWORKS_V6]
    weights = np.array([net.weight for net in NETWORKS_V6])
    which = rng.choice(len(nets), size=n, p=weights / weights.sum())
    top = np.array([int(net.network_address) >> 80 for net in nets], dtype=np.int64)  # 48 bits
    free = np.array([max(0, 48 - net.prefixlen) for net in nets], dtype=np.int64)
    site = top[which] | (rng.integers(0, 2**47, n, dtype=np.int64) & ((1 << free[which]) - 1))
    interface = rng.integers(1, 0x10000, (5, n), dtype=np.int64)
    groups = [site >> 32, (site >> 16) & 0xFFFF, site & 0xFFFF]
    hexed = [_HEX_GROUPS.take(pa.array(group)) for group in groups]
    full = pc.binary_join_element_wise(
        *hexed, *(_HEX_GROUPS.take(pa.array(group)) for group in interface), ":"
    )
    prefix = pc.binary_join_element_wise(*hexed, "", "", ":")  # "g0:g1:g2::"
    prefixes = prefix.to_pylist()
    # A zero group shortens the text ("g0:g1::"); rare enough to let ipaddress write it.
    for k in np.flatnonzero((groups[1] == 0) | (groups[2] == 0)).tolist():
        prefixes[k] = str(ipaddress.ip_network(f"{full[k]}/48", strict=False).network_address)
    return full.to_pylist(), prefixes
