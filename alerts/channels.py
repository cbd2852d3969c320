"""What every channel shares: the outcome of one message to one recipient, in plain words.

A channel module has two functions:

- `plan(channel, digest) -> list[Part]`: the messages a digest becomes, one per recipient and
  message part (storage.ledger.Part), written to the ledger before anything is sent;
- `send(channel, digest, parts) -> Iterator[tuple[Part, Outcome]]`: send the parts still owed
  and yield each one's outcome as soon as it is known, so the ledger records an accepted part
  before the next one is tried.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

log = logging.getLogger("monitor.alerts")


@dataclass(frozen=True)
class Outcome:
    """What one recipient's server answered to one message part."""

    ok: bool
    error: str | None = None  # plain words, secrets removed
    permanent: bool = False  # no retry will fix it (5xx SMTP, 4xx HTTP other than 408/429)
    retry_after: float | None = None  # seconds the server asked us to wait (already clamped)


SENT = Outcome(ok=True)


def redact(text: str, secrets: list[str] | tuple[str, ...] = ()) -> str:
    """Remove credentials from a message: configured secrets and user:pass@ in URLs."""
    for s in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(s, "***")
    return re.sub(r"(\w+://)[^/@\s:]+:[^/@\s]+@", r"\1***@", text)


def where(url: str) -> str:
    """The host (and port) of a URL: enough to say where a failure happened, never a secret."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        return f"{host}:{parts.port}" if parts.port else host
    except ValueError:
        return "?"


# ---------------------------------------------------------------- Retry-After
_DELTA = re.compile(r"[0-9]+")
_HTTP_DATE_FORMATS = (
    "%a, %d %b %Y %H:%M:%S GMT",  # IMF-fixdate, the one servers should send
    "%A, %d-%b-%y %H:%M:%S GMT",  # obsolete RFC 850
    "%a %b %d %H:%M:%S %Y",  # obsolete asctime
)


def parse_retry_after(
    value: str | None, *, maximum: float, now: datetime | None = None, source: str = ""
) -> float | None:
    """Seconds to wait from a Retry-After header, or None when absent or malformed.

    Only the two forms of RFC 9110 are accepted: delta-seconds (digits only) and an HTTP
    date. The result is clamped to [0, maximum]. Anything else ("-5", "inf", "nan", "1e12",
    "soon") is treated as absent and logged, so the caller falls back to its own backoff.
    """
    if value is None:
        return None
    raw = value.strip()
    if _DELTA.fullmatch(raw):
        return float(min(int(raw), maximum)) if maximum >= 0 else 0.0
    for fmt in _HTTP_DATE_FORMATS:
        try:
            when = datetime.strptime(raw, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
        wait = (when - (now or datetime.now(UTC))).total_seconds()
        if math.isfinite(wait):
            return min(max(wait, 0.0), maximum)
    log.warning(
        "ignoring Retry-After %r%s: neither seconds nor an HTTP date",
        raw[:60],
        f" from {source}" if source else "",
    )
    return None
