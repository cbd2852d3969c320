"""Apprise channel: one digest to many services (Teams, Discord, Telegram, Matrix, ntfy,
Pushover, ...) through the Apprise library, one ledger part per URL.

    [[channels]]
    name = "phones"
    type = "apprise"
    urls = ["ntfys://${NTFY_TOPIC}", "discord://${DISCORD_WEBHOOK}"]

Apprise is an optional extra (`pip install 'monitor[apprise]'`). Its URLs carry tokens and
passwords, so they are never printed, logged or stored: the ledger names each one
"url N (scheme)", and what Apprise logs while sending is captured, stripped of the URL's
secrets, and only then logged and recorded. Apprise answers success or failure without saying
whether a retry could help, so a failure is temporary: retried with backoff until the ledger
gives up on it.
"""

from __future__ import annotations

import contextvars
import logging
import re
from collections.abc import Iterator

from alerts import render
from alerts.channels import SENT, Outcome, redact
from monitor.config import ChannelConfig, url_secrets
from monitor.model import Digest
from storage.ledger import Part

log = logging.getLogger("monitor.alerts")

MISSING = "the apprise channel needs the Apprise library: pip install 'monitor[apprise]'"


def target(index: int, url: str) -> str:
    """How the ledger and the logs name a URL: its position and scheme, never its content."""
    return f"url {index} ({scheme(url)})"


def scheme(url: str) -> str:
    m = re.match(r"([A-Za-z][A-Za-z0-9+.-]*)://", url)
    return m.group(1).lower() if m else "?"


# the lines Apprise logs during the current send; a context variable, not a thread-local:
# Apprise runs services in worker threads and copies the caller's context into them
_lines: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "apprise_lines", default=None
)


class _Capture(logging.Handler):
    """Collects what Apprise logs during one send; nothing of it reaches the root logger."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)

    def emit(self, record: logging.LogRecord) -> None:
        lines = _lines.get()
        if lines is not None and record.levelno >= logging.WARNING:
            try:
                lines.append(record.getMessage())
            except Exception:  # a broken format string in a plugin
                lines.append(str(record.msg))


_capture = _Capture()


class _Quiet(logging.Filter):
    """Drops the HTTP library's debug lines (full request URLs) during an Apprise send."""

    def filter(self, record: logging.LogRecord) -> bool:
        return _lines.get() is None


def _isolate_apprise_logging() -> None:
    apprise_log = logging.getLogger("apprise")
    if _capture not in apprise_log.handlers:
        apprise_log.addHandler(_capture)
        apprise_log.propagate = False  # raw Apprise lines may hold URLs with tokens
        apprise_log.setLevel(logging.INFO)
        for name in ("urllib3.connectionpool", "requests_oauthlib.oauth2_session"):
            logging.getLogger(name).addFilter(_Quiet())


def plan(channel: ChannelConfig, digest: Digest) -> list[Part]:
    return [Part(target(i, url)) for i, url in enumerate(channel.urls, 1)]


def _notify(url: str, title: str, body: str) -> tuple[bool | None, list[str]]:
    import apprise

    _isolate_apprise_logging()
    lines: list[str] = []
    token = _lines.set(lines)
    try:
        # sequential mode: Apprise's worker threads would escape the capture above
        service = apprise.Apprise(asset=apprise.AppriseAsset(async_mode=False))
        if not service.add(url):
            return None, lines
        return bool(service.notify(body=body, title=title)), lines
    finally:
        _lines.reset(token)


def send(
    channel: ChannelConfig, digest: Digest, parts: list[Part], templates_dir=None
) -> Iterator[tuple[Part, Outcome]]:
    try:
        import apprise  # noqa: F401
    except ImportError:
        for part in parts:
            yield part, Outcome(False, MISSING, permanent=True)
        return
    title = render.subject(digest)
    body = render.render(digest, "text", templates_dir)
    urls = {target(i, url): url for i, url in enumerate(channel.urls, 1)}
    for part in parts:
        url = urls.get(part.target, "")
        secrets = [*url_secrets(url), *channel.secrets()]
        ok, lines = _notify(url, title, body)
        said = redact("; ".join(dict.fromkeys(line.strip() for line in lines))[:400], secrets)
        if ok:
            yield part, SENT
        elif ok is None:
            yield (
                part,
                Outcome(
                    False,
                    f"Apprise does not understand {part.target} (unknown scheme or a malformed URL)",
                    permanent=True,
                ),
            )
        else:
            if said:
                log.warning("channel=%r %s: %s", channel.name, part.target, said)
            yield (
                part,
                Outcome(False, f"{part.target} not accepted: {said or 'the service refused it'}"),
            )
