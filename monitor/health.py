"""Per-source health and backoff arithmetic (minimal version; the Polling issue deepens it)."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta


@dataclass
class Health:
    consecutive_failures: int = 0
    first_failure_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    next_poll_at: datetime | None = None
    disabled: bool = False


def after_success(
    h: Health,
    now: datetime,
    interval_s: float,
    max_age: float | None = None,
    jitter: random.Random | None = None,
) -> Health:
    wait = max(interval_s, max_age or 0)
    return replace(
        h,
        consecutive_failures=0,
        first_failure_at=None,
        last_success_at=now,
        last_error=None,
        next_poll_at=now + timedelta(seconds=wait),
    )


def after_failure(
    h: Health,
    now: datetime,
    interval_s: float,
    error: str,
    retry_after: float | None,
    rng: random.Random | None = None,
    disable_after_days: float = 7,
) -> Health:
    rng = rng or random.Random()
    n = h.consecutive_failures + 1
    first = h.first_failure_at or now
    wait = min(interval_s * 2 ** (n - 1), 86400) * (0.8 + 0.4 * rng.random())
    if retry_after:
        wait = max(wait, retry_after)
    disabled = (now - first) >= timedelta(days=disable_after_days)
    return replace(
        h,
        consecutive_failures=n,
        first_failure_at=first,
        last_error=error,
        next_poll_at=now + timedelta(seconds=wait),
        disabled=disabled,
    )


def first_poll_delay(url: str, interval_s: float) -> float:
    return (hash(url) % 1000) / 1000 * min(interval_s, 60)
