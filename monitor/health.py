"""Per-source health and the arithmetic of when to poll next.

Pure functions over a small ``Health`` record (the archive stores it per source): after a
success the next poll is one interval away (longer if the server's Cache-Control max-age
asks for it), with a little jitter; after a failure it backs off exponentially with
jitter, honours ``Retry-After``, is capped, and a source that has failed for
``disable_after_days`` is disabled (and reported by ``monitor sources``) instead of being
retried forever. ``first_poll_delay`` spreads the first polls of many feeds over an
interval (at most a few minutes) deterministically, so feeds of one host do not all fire at start-up.

No clock is read and no randomness is drawn here except from the ``now`` and ``rng``
passed in, so every schedule can be tested exactly.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

__all__ = [
    "MAX_BACKOFF_S",
    "MAX_RETRY_AFTER_S",
    "Health",
    "after_failure",
    "after_success",
    "first_poll_delay",
    "is_due",
]

MAX_BACKOFF_S = 24 * 3600.0  # the longest wait after errors (unless Retry-After says more)
MAX_RETRY_AFTER_S = 7 * 24 * 3600.0  # a server's Retry-After is honoured up to this
MAX_AGE_CAP_S = 24 * 3600.0  # Cache-Control max-age can stretch an interval up to this
SUCCESS_JITTER = 0.1  # +-10 % on the interval after a success
FAILURE_JITTER = 0.25  # backoff delays are drawn from [1 - 0.25, 1] x the nominal delay

_shared_rng = random.Random()


@dataclass
class Health:
    consecutive_failures: int = 0
    first_failure_at: datetime | None = None  # start of the current run of failures
    last_success_at: datetime | None = None
    last_error: str | None = None
    next_poll_at: datetime | None = None  # None: poll now (never polled); disabled: None
    disabled: bool = False


def after_success(
    h: Health,
    now: datetime,
    interval_s: float,
    max_age: float | None = None,
    jitter: random.Random | None = None,
) -> Health:
    """Health after a successful poll (a 304 counts as success).

    The next poll is ``interval_s`` away, or the server's ``max_age`` when that is longer
    (capped at a day), times a random factor in [0.9, 1.1) from ``jitter``.
    """
    rng = jitter if jitter is not None else _shared_rng
    delay = float(interval_s)
    if max_age is not None and max_age > delay:
        delay = min(float(max_age), max(MAX_AGE_CAP_S, delay))
    delay *= 1.0 + SUCCESS_JITTER * (2.0 * rng.random() - 1.0)
    return replace(
        h,
        consecutive_failures=0,
        first_failure_at=None,
        last_success_at=now,
        last_error=None,
        next_poll_at=now + timedelta(seconds=max(1.0, delay)),
        disabled=False,
    )


def backoff_delay(
    failures: int, interval_s: float, rng: random.Random, max_backoff_s: float = MAX_BACKOFF_S
) -> float:
    """Nominal delay ``interval * 2**(failures-1)``, capped, with jitter drawn from
    [0.75, 1] of it so that sources failing together spread out."""
    exponent = min(max(failures - 1, 0), 40)
    nominal = min(max_backoff_s, float(interval_s) * 2.0**exponent)
    return nominal * (1.0 - FAILURE_JITTER * rng.random())


def after_failure(
    h: Health,
    now: datetime,
    interval_s: float,
    error: str,
    retry_after: float | None,
    rng: random.Random | None = None,
    disable_after_days: float = 7,
    max_backoff_s: float = MAX_BACKOFF_S,
) -> Health:
    """Health after a failed poll (network error, timeout, 429, 5xx, bad feed...).

    Backs off exponentially from ``interval_s`` (capped at ``max_backoff_s``), never
    earlier than a server's ``Retry-After`` (honoured up to a week), and disables the
    source once its current run of failures has lasted ``disable_after_days``.
    """
    rng = rng if rng is not None else _shared_rng
    failures = h.consecutive_failures + 1
    first = h.first_failure_at or now
    delay = backoff_delay(failures, interval_s, rng, max_backoff_s)
    if retry_after is not None and retry_after > 0:
        delay = max(delay, min(float(retry_after), MAX_RETRY_AFTER_S))
    disabled = now - first >= timedelta(days=disable_after_days)
    return replace(
        h,
        consecutive_failures=failures,
        first_failure_at=first,
        last_error=error,
        next_poll_at=None if disabled else now + timedelta(seconds=delay),
        disabled=disabled,
    )


def is_due(h: Health, now: datetime) -> bool:
    """Whether a source should be polled at ``now``."""
    if h.disabled:
        return False
    return h.next_poll_at is None or h.next_poll_at <= now


def first_poll_delay(url: str, interval_s: float, max_spread_s: float = 300.0) -> float:
    """A delay in [0, min(interval_s, max_spread_s)) fixed for ``url``: the same after
    every restart and spread evenly across feeds, so feeds of one host do not fire
    together, while a freshly started service still polls everything within minutes."""
    digest = hashlib.sha256(url.strip().encode("utf-8", "replace")).digest()
    fraction = int.from_bytes(digest[:8], "big") / 2**64
    return fraction * min(float(interval_s), float(max_spread_s))
