"""Backoff and health arithmetic, with an injected clock (``now``) and rng: no sleeps."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from monitor.health import (
    MAX_BACKOFF_S,
    Health,
    after_failure,
    after_success,
    first_poll_delay,
    is_due,
)

T0 = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)


class FixedRng(random.Random):
    """random() returns a fixed value: the extremes of the jitter range can be checked."""

    def __init__(self, value: float) -> None:
        super().__init__(0)
        self.value = value

    def random(self) -> float:
        return self.value


def secs(h: Health, now: datetime) -> float:
    assert h.next_poll_at is not None
    return (h.next_poll_at - now).total_seconds()


def test_success_schedules_one_interval_with_jitter() -> None:
    h = after_success(Health(), T0, 600, jitter=FixedRng(0.5))
    assert secs(h, T0) == 600 and h.last_success_at == T0 and h.consecutive_failures == 0
    assert secs(after_success(Health(), T0, 600, jitter=FixedRng(0.0)), T0) == 540
    assert secs(after_success(Health(), T0, 600, jitter=FixedRng(0.999)), T0) < 660


def test_success_honours_longer_max_age_only() -> None:
    assert secs(after_success(Health(), T0, 600, max_age=3600, jitter=FixedRng(0.5)), T0) == 3600
    assert secs(after_success(Health(), T0, 600, max_age=60, jitter=FixedRng(0.5)), T0) == 600
    capped = after_success(Health(), T0, 600, max_age=30 * 86400, jitter=FixedRng(0.5))
    assert secs(capped, T0) == 86400


def test_exponential_backoff_then_cap() -> None:
    rng = FixedRng(0.0)  # no jitter reduction: the nominal delays
    h, now, delays = Health(), T0, []
    for _ in range(12):
        h = after_failure(h, now, 600, "HTTP 503", None, rng)
        delays.append(secs(h, now))
        now = h.next_poll_at  # type: ignore[assignment]
    assert delays[:5] == [600, 1200, 2400, 4800, 9600]
    assert max(delays) == MAX_BACKOFF_S and delays[-1] == MAX_BACKOFF_S
    assert h.consecutive_failures == 12 and h.first_failure_at == T0
    assert h.last_error == "HTTP 503"


def test_backoff_jitter_spreads_sources() -> None:
    rng = random.Random(7)
    values = {secs(after_failure(Health(), T0, 600, "x", None, rng), T0) for _ in range(50)}
    assert len(values) > 40
    assert all(450 <= v <= 600 for v in values)


def test_retry_after_is_honoured_and_bounded() -> None:
    h = after_failure(Health(), T0, 600, "HTTP 429", 7200, FixedRng(0.0))
    assert secs(h, T0) == 7200
    h = after_failure(Health(), T0, 600, "HTTP 429", 5, FixedRng(0.0))
    assert secs(h, T0) == 600  # never sooner than the backoff
    h = after_failure(Health(), T0, 600, "HTTP 429", 10 * 365 * 86400, FixedRng(0.0))
    assert secs(h, T0) == 7 * 86400


def test_success_resets_failures() -> None:
    h = after_failure(Health(), T0, 600, "timeout", None, FixedRng(0.0))
    h = after_success(h, T0 + timedelta(hours=1), 600, jitter=FixedRng(0.5))
    assert h.consecutive_failures == 0 and h.first_failure_at is None and h.last_error is None
    h = after_failure(h, T0 + timedelta(hours=2), 600, "timeout", None, FixedRng(0.0))
    assert h.first_failure_at == T0 + timedelta(hours=2) and secs(h, T0 + timedelta(hours=2)) == 600


def test_disabled_after_n_days_of_failures() -> None:
    h, now = Health(), T0
    while not h.disabled:
        h = after_failure(h, now, 3600, "HTTP 500", None, FixedRng(0.0), disable_after_days=3)
        if h.next_poll_at is not None:
            now = h.next_poll_at
        assert now - T0 < timedelta(days=5)
    assert now - T0 >= timedelta(days=3)
    assert h.next_poll_at is None and not is_due(h, now + timedelta(days=30))
    assert h.last_error == "HTTP 500"
    # a manual success (e.g. the user re-enabled and it worked) clears it
    assert not after_success(h, now, 3600, jitter=FixedRng(0.5)).disabled


def test_is_due() -> None:
    assert is_due(Health(), T0)
    h = after_success(Health(), T0, 600, jitter=FixedRng(0.5))
    assert not is_due(h, T0 + timedelta(seconds=599))
    assert is_due(h, T0 + timedelta(seconds=600))


def test_first_poll_delay_is_deterministic_and_spread() -> None:
    urls = [f"https://host.example.com/feeds/{i}.xml" for i in range(200)]
    delays = [first_poll_delay(u, 3600, max_spread_s=3600) for u in urls]
    assert delays == [first_poll_delay(u, 3600, max_spread_s=3600) for u in urls]
    assert all(0 <= d < 3600 for d in delays)
    assert all(0 <= first_poll_delay(u, 3600) < 300 for u in urls)  # default spread
    assert all(0 <= first_poll_delay(u, 120) < 120 for u in urls)
    # spread: every tenth of the interval gets some feeds, none gets a crowd
    buckets = [0] * 10
    for d in delays:
        buckets[int(d // 360)] += 1
    assert min(buckets) >= 5 and max(buckets) <= 40
