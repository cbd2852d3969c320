"""Slack channel: Block Kit messages to an incoming webhook."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from alerts import render
from alerts.channels import DeliveryError, redact
from monitor.config import ChannelConfig
from monitor.model import Digest

# Slack's answers that no retry will fix
PERMANENT = (
    "invalid_payload",
    "invalid_blocks",
    "channel_not_found",
    "channel_is_archived",
    "no_service",
    "no_text",
    "action_prohibited",
    "posting_to_general_channel_denied",
    "invalid_token",
    "team_disabled",
)
BACKOFF_BASE = 1.0  # seconds before the first retry of a 5xx or network error; doubles each time


def _retry_after(r: httpx.Response) -> float | None:
    try:
        return float(r.headers.get("retry-after", ""))
    except ValueError:
        return None


def post(
    url: str,
    payload: dict,
    *,
    secrets: list[str],
    attempts: int = 4,
    sleep: Callable[[float], None] = time.sleep,
    timeout: float = 20.0,
    headers: dict[str, str] | None = None,
) -> None:
    """POST JSON with retries: 429 waits Retry-After, 5xx and network errors back off; 4xx fail."""
    delay = BACKOFF_BASE
    last = ""
    for attempt in range(1, attempts + 1):
        try:
            r = httpx.post(url, json=payload, timeout=timeout, headers=headers or {})
        except httpx.HTTPError as e:
            last = redact(f"{type(e).__name__}: {e}", secrets)
        else:
            body = r.text.strip()[:200]
            if r.status_code < 300:
                return
            if r.status_code == 429:
                wait = _retry_after(r) or delay
                last = f"rate limited (429), Retry-After {wait:g}s"
                if attempt < attempts and wait <= 300:
                    sleep(wait)
                    continue
                raise DeliveryError(last, retry_after=wait)
            if 400 <= r.status_code < 500:
                reason = body or f"HTTP {r.status_code}"
                raise DeliveryError(
                    f"webhook refused the message: {r.status_code} {reason}", permanent=True
                )
            last = f"HTTP {r.status_code} {body}".strip()
        if attempt < attempts:
            sleep(delay)
            delay *= 2
    raise DeliveryError(f"webhook not reachable after {attempts} attempts: {last}")


def send(
    channel: ChannelConfig, digest: Digest, *, sleep: Callable[[float], None] = time.sleep
) -> None:
    for message in render.slack_messages(digest):
        post(channel.webhook_url or "", message, secrets=channel.secrets(), sleep=sleep)
