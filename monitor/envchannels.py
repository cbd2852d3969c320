"""Digest channels from environment variables, for containers and twelve-factor setups.

A container is configured by its environment: `docker compose` passes what `.env` sets. Each
channel below exists when its variable is set (and not empty); the config file's own
[[channels]] stay as they are. Every value is checked as a [[channels]] table would be.

    MONITOR_SLACK_WEBHOOK_URL     a Slack channel "slack" (incoming-webhook address)
    MONITOR_WEBHOOK_URL           a webhook channel "webhook" (the digest JSON is POSTed)
    MONITOR_WEBHOOK_TOKEN         optional: sent as "Authorization: Bearer <token>"
    MONITOR_SMTP_HOST             an email channel "email", with
      MONITOR_EMAIL_FROM, MONITOR_EMAIL_TO (comma-separated) required, and optional
      MONITOR_SMTP_PORT, MONITOR_SMTP_SECURITY (starttls|tls|none), MONITOR_SMTP_USER,
      MONITOR_SMTP_PASSWORD
    MONITOR_DIGEST_SCHEDULE       cron for all three (default "0 7 * * *")
    MONITOR_DIGEST_TIMEZONE       IANA zone (default "UTC")
    MONITOR_DIGEST_TOPICS         comma-separated topic names (default: every topic)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

PREFIX = "MONITOR_"


class EnvChannelError(ValueError):
    pass


def _get(env: Mapping[str, str], name: str) -> str:
    return (env.get(PREFIX + name) or "").strip()


def _list(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def channel_tables(env: Mapping[str, str], topics: Sequence[str]) -> list[dict[str, Any]]:
    """[[channels]] tables (as dicts) for the channels the environment asks for."""
    common: dict[str, Any] = {
        "schedule": _get(env, "DIGEST_SCHEDULE") or "0 7 * * *",
        "timezone": _get(env, "DIGEST_TIMEZONE") or "UTC",
        "topics": _list(_get(env, "DIGEST_TOPICS")) or list(topics),
    }
    tables: list[dict[str, Any]] = []
    if _get(env, "SLACK_WEBHOOK_URL"):
        tables.append(
            {
                "name": "slack",
                "type": "slack",
                "webhook_url": _get(env, "SLACK_WEBHOOK_URL"),
                **common,
            }
        )
    if _get(env, "WEBHOOK_URL"):
        table = {"name": "webhook", "type": "webhook", "url": _get(env, "WEBHOOK_URL"), **common}
        if _get(env, "WEBHOOK_TOKEN"):
            table["headers"] = {"Authorization": f"Bearer {_get(env, 'WEBHOOK_TOKEN')}"}
        tables.append(table)
    if _get(env, "SMTP_HOST"):
        missing = [n for n in ("EMAIL_FROM", "EMAIL_TO") if not _get(env, n)]
        if missing:
            raise EnvChannelError(
                f"{PREFIX}SMTP_HOST is set but {', '.join(PREFIX + m for m in missing)} "
                "is not: the email channel needs a sender and recipients"
            )
        table = {
            "name": "email",
            "type": "email",
            "smtp_host": _get(env, "SMTP_HOST"),
            "from": _get(env, "EMAIL_FROM"),
            "to": _list(_get(env, "EMAIL_TO")),
            "security": _get(env, "SMTP_SECURITY") or "starttls",
            **common,
        }
        if _get(env, "SMTP_PORT"):
            try:
                table["smtp_port"] = int(_get(env, "SMTP_PORT"))
            except ValueError:
                raise EnvChannelError(f"{PREFIX}SMTP_PORT must be a number") from None
        for key, var in (("username", "SMTP_USER"), ("password", "SMTP_PASSWORD")):
            if _get(env, var):
                table[key] = _get(env, var)
        tables.append(table)
    return tables
