"""The people behind the traffic: a pool of visitors (browsers) and of customers.

Both persist across simulated days, which is what makes returning visitors, repeat
buyers, guests who register later and one customer on two devices possible. Columns
are numpy arrays grown by doubling, so a day adds tens of thousands of people at once.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from warehouse.identity import hash_email
from warehouse.synthetic.agents import HUMAN_AGENTS, agent_weights
from warehouse.synthetic.catalog import customer_emails
from warehouse.synthetic.networks import CONSUMER_V4, IPV6_SHARE, draw_ipv6
from warehouse.synthetic.profile import TrafficProfile
from warehouse.synthetic.vectors import MICROS, fixed_width_strings, ipv4_strings, uuid4_chars

NEVER = np.iinfo(np.int64).max
NO_ONE = -1


class _Columns:
    """Named numpy columns that grow together (amortised O(1) append)."""

    def __init__(self, spec: dict[str, tuple[np.dtype, tuple[int, ...]]]) -> None:
        self.size = 0
        self._spec = spec
        self._data = {name: np.empty((16, *shape), dtype) for name, (dtype, shape) in spec.items()}

    def __getattr__(self, name: str) -> np.ndarray:
        data = self.__dict__.get("_data")
        if data is None or name not in data:
            raise AttributeError(name)
        return data[name][: self.size]

    def append(self, **columns: np.ndarray) -> np.ndarray:
        """Add rows; returns their indices."""
        n = len(next(iter(columns.values())))
        need = self.size + n
        capacity = len(next(iter(self._data.values())))
        if need > capacity:
            capacity = max(need, capacity * 2)
            for name, old in self._data.items():
                grown = np.empty((capacity, *old.shape[1:]), old.dtype)
                grown[: self.size] = old[: self.size]
                self._data[name] = grown
        for name, values in columns.items():
            self._data[name][self.size : need] = values
        index = np.arange(self.size, need)
        self.size = need
        return index


class VisitorPool:
    """Every browser seen so far: its cookie id, device, address, clock and customer link."""

    def __init__(self) -> None:
        self.cols = _Columns(
            {
                "uuid": (np.dtype(np.uint8), (36,)),
                "agent": (np.dtype(np.int16), ()),
                "ipv4": (np.dtype(np.uint32), ()),
                "ipv6": (np.dtype(np.int32), ()),  # index into ipv6_full, or -1
                "cookieless": (np.dtype(np.bool_), ()),
                "skew_us": (np.dtype(np.int64), ()),
                "has_sent_at": (np.dtype(np.bool_), ()),
                "customer": (np.dtype(np.int32), ()),
                "second_device": (np.dtype(np.bool_), ()),
                "seen": (np.dtype(np.bool_), ()),
            }
        )
        self.ipv6_full: list[str] = []
        self.ipv6_prefix: list[str] = []
        self._agent_p = agent_weights(HUMAN_AGENTS)

    @property
    def size(self) -> int:
        return self.cols.size

    def add(self, rng: np.random.Generator, n: int, profile: TrafficProfile) -> np.ndarray:
        """Create `n` new visitors; returns their pool indices."""
        v6 = rng.random(n) < IPV6_SHARE
        v6_index = np.full(n, -1, dtype=np.int32)
        n6 = int(v6.sum())
        if n6:
            full, prefixes = draw_ipv6(rng, n6)
            v6_index[v6] = np.arange(len(self.ipv6_full), len(self.ipv6_full) + n6)
            self.ipv6_full += full
            self.ipv6_prefix += prefixes
        return self.cols.append(
            uuid=uuid4_chars(rng, n),
            agent=rng.choice(len(HUMAN_AGENTS), size=n, p=self._agent_p).astype(np.int16),
            ipv4=CONSUMER_V4.draw(rng, n),
            ipv6=v6_index,
            cookieless=rng.random(n) < profile.cookieless_rate,
            skew_us=_clock_skews(rng, n, profile),
            has_sent_at=rng.random(n) >= profile.no_sent_at_rate,
            customer=np.full(n, NO_ONE, dtype=np.int32),
            second_device=np.zeros(n, dtype=bool),
            seen=np.zeros(n, dtype=bool),
        )

    def addresses(self, index: np.ndarray, *, prefix: bool) -> pa.Array:
        """The visitors' client addresses (or their truncated prefixes) as text."""
        text = ipv4_strings(self.cols.ipv4[index], prefix=prefix)
        v6 = self.cols.ipv6[index]
        mask = v6 >= 0
        if mask.any():
            source = self.ipv6_prefix if prefix else self.ipv6_full
            values = pa.array([source[k] for k in v6[mask].tolist()], type=pa.string())
            text = pa.compute.replace_with_mask(text, pa.array(mask), values)
        return text

    def cookie_ids(self, index: np.ndarray) -> pa.Array:
        return fixed_width_strings(self.cols.uuid[index])


def _clock_skews(rng: np.random.Generator, n: int, profile: TrafficProfile) -> np.ndarray:
    """Per-device clock error: most within a second, some minutes, hours or days off."""
    skew = rng.normal(0.0, 0.3, n) * MICROS
    u = rng.random(n)
    sign = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    minutes = u < profile.skew_minutes_rate
    hours = (u >= profile.skew_minutes_rate) & (
        u < profile.skew_minutes_rate + profile.skew_hours_rate
    )
    days = (u >= profile.skew_minutes_rate + profile.skew_hours_rate) & (
        u < profile.skew_minutes_rate + profile.skew_hours_rate + profile.skew_days_rate
    )
    skew = np.where(minutes, sign * rng.uniform(60, 1800, n) * MICROS, skew)
    skew = np.where(hours, sign * rng.uniform(3600, 12 * 3600, n) * MICROS, skew)
    skew = np.where(days, sign * rng.uniform(86_400, 5 * 86_400, n) * MICROS, skew)
    return skew.astype(np.int64)


class CustomerPool:
    """Every customer so far: id, email (plain for replay, hashed for the lake), registration."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.cols = _Columns(
            {
                "created_us": (np.dtype(np.int64), ()),
                "registered_us": (np.dtype(np.int64), ()),  # NEVER while a guest
            }
        )
        self.ids: list[str] = []
        self.emails: list[str] = []
        self.email_hashes: list[str] = []

    @property
    def size(self) -> int:
        return self.cols.size

    def add(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Create `n` customers (times are set by the caller once orders are timed)."""
        start = self.size
        emails = customer_emails(rng, range(start + 1, start + n + 1))
        self.ids += [f"cus_{100001 + number}" for number in range(start, start + n)]
        self.emails += emails
        self.email_hashes += [hash_email(email, self.secret) for email in emails]
        return self.cols.append(
            created_us=np.full(n, NEVER, dtype=np.int64),
            registered_us=np.full(n, NEVER, dtype=np.int64),
        )

    def set_times(
        self, index: np.ndarray, created_us: np.ndarray, registered_us: np.ndarray
    ) -> None:
        self.cols._data["created_us"][index] = created_us
        self.cols._data["registered_us"][index] = registered_us

    def id_array(self) -> pa.Array:
        return pa.array(self.ids, type=pa.string())
