"""The delivery ledger in use: each matched story reaches each recipient of a channel once,
through crashes, outages and partial failures.

For one channel run:
1. digests with parts still owed from an earlier run (crash, outage, a recipient refused for
   now) are sent again to those parts only, from their stored payload and with their original
   id, so an email resend carries the same Message-ID and a Slack part the same content;
2. a new digest is built from the stories not yet pending or sent on this channel;
3. the digest, its parts (one per recipient and message part) and its stories are written as
   `pending` in one transaction, *then* sent, and each part is marked as its server answers.

A run holds the channel's lock file (beside the archive) from step 1 to 3, so the daemon and a
manual `digest --channel` in another process never send the same pending part at once, and
step 3 re-checks the claim in its transaction.

A part refused for now (a 4xx SMTP reply, an HTTP 5xx or 429, a timeout, a dropped connection)
is tried again after a backoff, or when the server's Retry-After says (clamped to the channel's
`retry_after_max`), for that part only; after GIVE_UP_AFTER it is marked failed. A part refused
for good (a 5xx SMTP reply, an HTTP 4xx) is marked failed at once, with the reason, for that
recipient only: the others still get theirs.

The one documented repeat: a crash, or an answer lost after the server accepted, between the
send and the commit leaves the part pending, and the next run sends it again with the same
digest id (and, for webhooks, the same Idempotency-Key).
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import ModuleType

from alerts import apprise_channel, email, render, slack, webhook
from alerts import digest as digest_mod
from alerts.channels import Outcome, redact
from monitor.config import ChannelConfig, Config
from monitor.model import Digest
from storage.archive import Archive
from storage.ledger import FAILED, PENDING, SENT, Part

log = logging.getLogger("monitor.alerts")

Sender = Callable[[ChannelConfig, Digest, list[Part]], Iterable[tuple[Part, Outcome]]]

CHANNELS: dict[str, ModuleType] = {
    "email": email,
    "slack": slack,
    "webhook": webhook,
    "apprise": apprise_channel,
}
GIVE_UP_AFTER = timedelta(days=5)  # like a mail server: a part failing this long is failed
MAX_BACKOFF = 6 * 3600.0


@dataclass
class ChannelRun:
    channel: str
    sent: list[str] = field(default_factory=list)  # digest ids every part of which is now sent
    failed: list[tuple[str, str]] = field(default_factory=list)  # (digest id, part: reason)
    stories: int = 0  # stories that reached a recipient in this run
    skipped_empty: bool = False
    preview: Digest | None = None  # dry runs


def default_sender(config: Config) -> Sender:
    def send(channel: ChannelConfig, d: Digest, parts: list[Part]) -> Iterable:
        module = CHANNELS[channel.type]
        if channel.type in ("email", "apprise"):
            return module.send(channel, d, parts, config.alerts.templates_dir)
        return module.send(channel, d, parts)

    return send


def plan(channel: ChannelConfig, d: Digest) -> list[Part]:
    """The parts a digest becomes on this channel: one per recipient and message part."""
    return CHANNELS[channel.type].plan(channel, d)


def new_digest_id(channel: str, now: datetime) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in channel)
    return f"{safe}-{now:%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"


def backoff(attempts: int) -> float:
    """Seconds before the next try of a part that failed `attempts` times before this one."""
    return min(60.0 * 2 ** min(attempts, 20), MAX_BACKOFF)


def _record(
    archive: Archive,
    channel: ChannelConfig,
    d: Digest,
    part: Part,
    outcome: Outcome,
    created: datetime,
    now: datetime,
    run: ChannelRun,
) -> None:
    label = part.label()
    if outcome.ok:
        archive.ledger.record_part(d.digest_id, part, state=SENT, now=now)
        carried = len(d.items) if part.story_ids is None else len(part.story_ids)
        run.stories += carried
        log.info(
            "channel=%r digest=%s %s accepted (%d stories)",
            channel.name,
            d.digest_id,
            label,
            carried,
        )
        return
    reason = redact(outcome.error or "not accepted", channel.secrets())
    tries = part.attempts + 1
    if outcome.permanent:
        state, next_at = FAILED, None
    elif now - created >= GIVE_UP_AFTER:
        state, next_at = FAILED, None
        days = GIVE_UP_AFTER.total_seconds() / 86400
        reason = f"gave up after {tries} attempts over {days:g} days; last: {reason}"
    else:
        wait = outcome.retry_after if outcome.retry_after is not None else backoff(part.attempts)
        wait = min(max(wait, 0.0), max(channel.retry_after_max, MAX_BACKOFF))
        state, next_at = PENDING, now + timedelta(seconds=wait)
    archive.ledger.record_part(
        d.digest_id, part, state=state, error=reason, next_attempt_at=next_at, now=now
    )
    run.failed.append((d.digest_id, f"{label}: {reason}"))
    if state == FAILED:
        log.error(
            "channel=%r digest=%s %s failed permanently (attempt %d): %s",
            channel.name,
            d.digest_id,
            label,
            tries,
            reason,
        )
    else:
        log.warning(
            "channel=%r digest=%s %s failed (attempt %d), next try at %s: %s",
            channel.name,
            d.digest_id,
            label,
            tries,
            next_at.isoformat(timespec="seconds") if next_at else "-",
            reason,
        )


def _deliver(
    archive: Archive,
    channel: ChannelConfig,
    d: Digest,
    sender: Sender,
    now: datetime,
    run: ChannelRun,
    force: bool,
) -> None:
    """Send the parts of digest `d` still owed and due; record each outcome as it comes."""
    ledger = archive.ledger
    row = ledger.digest(d.digest_id or "")
    if row is None:
        return
    created = row.created_at
    current = plan(channel, d)
    parts = ledger.parts(d.digest_id)
    if not parts:  # a digest written by a version without parts (an upgraded archive)
        ledger.add_parts(d.digest_id, current, now)
        parts = ledger.parts(d.digest_id)
    configured = {p.target for p in current}
    due = []
    for p in parts:
        if p.state != PENDING:
            continue
        if p.target not in configured:
            ledger.record_part(
                d.digest_id,
                p,
                state=FAILED,
                error="no longer among the channel's recipients in the configuration",
                now=now,
                count_attempt=False,
            )
            continue
        if force or p.next_attempt_at is None or p.next_attempt_at <= now:
            due.append(p)
    done: set[tuple[str, int]] = set()
    try:
        for part, outcome in sender(channel, d, due):
            _record(archive, channel, d, part, outcome, created, now, run)
            done.add(part.key)
    except Exception as e:  # a bug or an unforeseen library error: recorded, never a traceback
        reason = redact(f"unexpected error: {type(e).__name__}: {e}", channel.secrets())
        log.debug("channel=%r digest=%s", channel.name, d.digest_id, exc_info=True)
        for part in due:
            if part.key not in done:
                _record(archive, channel, d, part, Outcome(False, reason), created, now, run)
    after = ledger.digest(d.digest_id)
    if due and after and after.state == SENT:
        run.sent.append(d.digest_id)
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
    """Send what is owed to one channel. Never raises for a delivery failure.

    Without `since`, the stories are those first seen since the channel was created, less its
    `backfill` window, so a new channel's first digest is not empty.
    """
    sender = sender or default_sender(config)
    run = ChannelRun(channel.name)
    row = archive.ensure_channel(channel.name, channel.type, now)
    if since is None:
        since = row.created_at - timedelta(seconds=channel.backfill)
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
        d = render.from_dict(json.loads(pending.payload))
        d.digest_id = pending.id
        _deliver(archive, channel, d, sender, now, run, retry_all_pending)
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
            parts=plan(channel, d),
            headlines={i.story_id: i.article_id for i in d.items if i.article_id is not None},
        )
        if not taken:
            break
        d.items = [i for i in d.items if i.story_id not in taken]
        if not d.items:
            run.skipped_empty = True
            return
    _deliver(archive, channel, d, sender, now, run, True)
