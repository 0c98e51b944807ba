"""Fixed-window rate limits in Django's cache (database or Redis), shared by all processes."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpRequest

from kamtibmas.env import ConfigError

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int


def parse_rate(rate: str) -> tuple[int, int]:
    """'10/h' -> (10, 3600)."""
    try:
        count, period = rate.split("/")
        return int(count), PERIODS[period.strip()[0]]
    except (ValueError, KeyError, IndexError):
        raise ConfigError(f"bad rate {rate!r}: use COUNT/PERIOD, e.g. 10/h") from None


def client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", "unknown"))


def hit(scope: str, ident: str, rate: str) -> Verdict:
    """Count one request for (scope, ident); refuse once the window's budget is spent."""
    limit, period = parse_rate(rate)
    window = int(time.time()) // period
    key = f"throttle:{scope}:{ident}:{window}"
    cache.add(key, 0, timeout=period + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=period + 5)
        count = 1
    if count > limit:
        return Verdict(False, (window + 1) * period - int(time.time()))
    return Verdict(True, 0)
