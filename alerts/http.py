"""POST a JSON message with retries, for the Slack and webhook channels.

Within one run a message is tried up to `attempts` times: a network error, a timeout or a 5xx
backs off and tries again; a 429 (or 503) with a Retry-After short enough waits that long.
What is still failing after that is handed back as a temporary Outcome, and the delivery ledger
schedules the next try (at Retry-After, clamped, when the server gave one). A 4xx other than
408/425/429 is permanent: the same request would be refused again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from http import HTTPStatus

import httpx

from alerts.channels import SENT, Outcome, parse_retry_after, redact, where

BACKOFF_BASE = 1.0  # seconds before the first retry of a 5xx or network error; doubles each time
IN_RUN_WAIT_MAX = 30.0  # a longer Retry-After ends the run; the ledger tries again then
TIMEOUT = 20.0
TEMPORARY_4XX = (408, 425, 429)


def _status(code: int) -> str:
    try:
        return f"HTTP {code} {HTTPStatus(code).phrase}"
    except ValueError:
        return f"HTTP {code}"


def _reply(r: httpx.Response, secrets: list[str]) -> str:
    try:
        body = " ".join(r.text.split())[:200]
    except Exception:  # undecodable body
        body = ""
    return f", reply {redact(body, secrets)!r}" if body else ""


def post(
    url: str,
    payload: dict,
    *,
    secrets: list[str],
    attempts: int = 4,
    sleep: Callable[[float], None] = time.sleep,
    timeout: float | None = None,
    headers: dict[str, str] | None = None,
    retry_after_max: float = 3600.0,
) -> Outcome:
    """POST `payload` as JSON; the Outcome says in plain words what the server answered."""
    delay = BACKOFF_BASE
    host = where(url)
    last = ""
    asked: float | None = None
    for attempt in range(1, attempts + 1):
        asked = None
        try:
            r = httpx.post(url, json=payload, timeout=timeout or TIMEOUT, headers=headers or {})
        except httpx.TimeoutException:
            last = (
                f"no answer from {host} within {timeout or TIMEOUT:g}s (the receiver may have"
                " processed it; a retry carries the same Idempotency-Key)"
            )
        except httpx.HTTPError as e:
            last = redact(f"cannot reach {host}: {type(e).__name__}: {e}", secrets)
        else:
            if 200 <= r.status_code < 300:
                return SENT
            what = f"{host} answered {_status(r.status_code)}{_reply(r, secrets)}"
            if r.status_code in (429, 503) or r.headers.get("retry-after") is not None:
                asked = parse_retry_after(
                    r.headers.get("retry-after"), maximum=retry_after_max, source=host
                )
                if r.headers.get("retry-after") is not None and asked is None:
                    what += f" (its Retry-After {r.headers['retry-after'][:40]!r} was ignored)"
            if r.status_code < 500 and r.status_code not in TEMPORARY_4XX:
                hint = " (deliveries do not follow redirects)" if r.status_code < 400 else ""
                return Outcome(False, f"refused: {what}{hint}", permanent=True)
            last = what
            if asked is not None:
                if attempt < attempts and asked <= IN_RUN_WAIT_MAX:
                    sleep(asked)
                    continue
                if asked > IN_RUN_WAIT_MAX:
                    return Outcome(False, f"{what}; asked to wait {asked:g}s", retry_after=asked)
        if attempt < attempts:
            sleep(delay)
            delay *= 2
    return Outcome(False, f"{last} (tried {attempts} times)", retry_after=asked)
