"""The delivery ledger: each matched story reaches each channel once, through crashes and outages.

For one channel run:
1. digests left `pending` by an earlier run (crash, outage) are sent again, from their stored
   payload and with their original id — so an email resend carries the same Message-ID;
2. a new digest is built from the stories not yet pending or sent on this channel;
3. its rows are written as `pending` in one transaction, *then* it is sent, *then* marked `sent`.

A run holds the channel's lock file (beside the archive) from step 1 to 3, so the daemon and a
manual `digest --channel` in another process never send the same pending digest at once, and
step 3 re-checks the claim in its transaction.

A crash between the send and the commit leaves the digest pending: the next run sends the same
digest id again (the one documented case of a repeat). Permanent failures (a 4xx from Slack, a
5xx SMTP reply) are marked `failed` with the reason and are not retried automatically.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from alerts import digest as digest_mod
from alerts import email, render, slack, webhook
from alerts.channels import DeliveryError, redact
from monitor.config import ChannelConfig, Config
from monitor.model import Digest
from storage.archive import Archive, parse_time

log = logging.getLogger("monitor.alerts")

Sender = Callable[[ChannelConfig, Digest], None]


@dataclass
class ChannelRun:
    channel: str
    sent: list[str] = field(default_factory=list)  # digest ids
    failed: list[tuple[str, str]] = field(default_factory=list)  # (digest id, reason)
    stories: int = 0
    skipped_empty: bool = False
    preview: Digest | None = None  # dry runs


def default_sender(config: Config) -> Sender:
    def send(channel: ChannelConfig, d: Digest) -> None:
        if channel.type == "email":
            email.send(channel, d, config.alerts.templates_dir)
        elif channel.type == "slack":
            slack.send(channel, d)
        else:
            webhook.send(channel, d)

    return send


def new_digest_id(channel: str, now: datetime) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in channel)
    return f"{safe}-{now:%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"


def _attempt(
    archive: Archive,
    channel: ChannelConfig,
    d: Digest,
    sender: Sender,
    now: datetime,
    run: ChannelRun,
    attempts_so_far: int,
) -> None:
    try:
        sender(channel, d)
    except DeliveryError as e:
        reason = redact(str(e), channel.secrets())
        retry_in = e.retry_after or min(60 * 2**attempts_so_far, 6 * 3600)
        archive.record_attempt(
            d.digest_id,
            ok=False,
            error=reason,
            permanent=e.permanent,
            next_attempt_at=None if e.permanent else now + timedelta(seconds=retry_in),
            now=now,
        )
        run.failed.append((d.digest_id, reason))
        log.error(
            "channel=%r digest=%s %s: %s",
            channel.name,
            d.digest_id,
            "failed permanently" if e.permanent else "failed, will retry",
            reason,
        )
        return
    archive.record_attempt(d.digest_id, ok=True, now=now)
    run.sent.append(d.digest_id)
    run.stories += len(d.items)
    log.info("channel=%r digest=%s sent stories=%d", channel.name, d.digest_id, len(d.items))


def _owed(
    config: Config, archive: Archive, channel: ChannelConfig, now: datetime, since: datetime | None
) -> Digest:
    """The stories matched for this channel and not yet pending or sent on it."""
    return digest_mod.build(
        archive,
        topics=channel.topics,
        now=now,
        since=since,
        channel=channel.name,
        max_items=config.alerts.max_items,
    )


def run_channel(
    config: Config,
    archive: Archive,
    channel: ChannelConfig,
    *,
    now: datetime,
    since: datetime | None = None,
    dry_run: bool = False,
    sender: Sender | None = None,
    retry_all_pending: bool = False,
    only_pending: bool = False,
) -> ChannelRun:
    """Send what is owed to one channel. Never raises for a delivery failure."""
    sender = sender or default_sender(config)
    run = ChannelRun(channel.name)
    row = archive.ensure_channel(channel.name, channel.type, now)
    if since is None:
        since = parse_time(row["created_at"])
    if dry_run:
        run.preview = _owed(config, archive, channel, now, since)
        return run
    with archive.channel_lock(channel.name):
        _send_owed(
            config, archive, channel, run, sender, now, since, retry_all_pending, only_pending
        )
    return run


def _send_owed(
    config: Config,
    archive: Archive,
    channel: ChannelConfig,
    run: ChannelRun,
    sender: Sender,
    now: datetime,
    since: datetime | None,
    retry_all_pending: bool,
    only_pending: bool,
) -> None:
    for pending in archive.pending_digests(channel.name, None if retry_all_pending else now):
        d = render.from_dict(json.loads(pending["payload"]))
        _attempt(archive, channel, d, sender, now, run, pending["attempts"])
    if only_pending:
        return
    archive.mark_channel_run(channel.name, now)
    d = _owed(config, archive, channel, now, since)
    if not d.items and not channel.send_empty:
        run.skipped_empty = True
        return
    d.digest_id = new_digest_id(channel.name, now)
    while True:
        # the claim is checked and written in one transaction: a story selected here and by a
        # concurrent run of the same channel (daemon and manual digest) is sent by one of them
        taken = archive.create_digest(
            d.digest_id,
            channel.name,
            [i.story_id for i in d.items],
            json.dumps(render.to_dict(d)),
            now,
        )
        if not taken:
            break
        d.items = [i for i in d.items if i.story_id not in taken]
        if not d.items:
            run.skipped_empty = True
            return
    _attempt(archive, channel, d, sender, now, run, 0)
