"""Per-client token bucket for the public track endpoint.

In memory on purpose: a limit that needs a database round trip costs more than the
request it protects, and a restart forgetting the buckets is harmless. Memory stays
bounded: when the table grows large, buckets that have refilled (idle clients) go.
"""

from __future__ import annotations

import math
import time


class RateLimiter:
    """`rate` requests per second per key, bursts of up to `burst`; rate 0 turns it off."""

    def __init__(self, rate: float, burst: int, max_keys: int = 100_000) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.max_keys = max_keys
        self._buckets: dict[str, list[float]] = {}

    def retry_after(self, key: str, now: float | None = None) -> int:
        """0 if the request may go ahead (and take a token), else whole seconds to wait."""
        if self.rate <= 0:
            return 0
        now = time.monotonic() if now is None else now
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._prune(now)
            self._buckets[key] = [self.burst - 1.0, now]
            return 0
        tokens = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
        bucket[1] = now
        if tokens >= 1.0:
            bucket[0] = tokens - 1.0
            return 0
        bucket[0] = tokens
        return max(1, math.ceil((1.0 - tokens) / self.rate))

    def _prune(self, now: float) -> None:
        refill = self.burst / self.rate
        idle = [key for key, (_, last) in self._buckets.items() if now - last >= refill]
        for key in idle:
            del self._buckets[key]
        if len(self._buckets) >= self.max_keys:  # a flood of distinct keys: start over
            self._buckets.clear()
