"""The delivery ledger: channels, digests, and what each recipient and message part accepted.

Three levels, written together in one transaction each time:

- `digests`: one row per digest built for a channel, with the payload a retry sends again;
- `delivery_parts`: one row per recipient (email address, Slack webhook, webhook URL, Apprise
  URL) and message part (Slack splits a long digest into several messages). This is where a
  partial failure is remembered: a part that was accepted is never sent again, a part refused
  for now is retried for that recipient only, a part refused for good is shown as failed;
- `deliveries`: one row per channel and story, the summary the digest builder reads so that no
  story is selected twice. A story is `pending` while any part carrying it is pending, `sent`
  once some recipient accepted it and nothing is pending, `failed` when no one accepted it
  (then a later digest may carry it again).

A digest's own state follows its parts: pending, sent (every part), partial (some parts
failed for good, the rest were sent) or failed (no part was sent).
"""

from __future__ import annotations

import fcntl
import json
import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from storage import secrets as scrub
from storage.db import Database
from storage.rows import ChannelRow, DigestRow, digest_columns
from storage.rows import iso as _iso
from storage.rows import parse_time as _time

log = logging.getLogger("monitor.storage")

PENDING, SENT, FAILED, PARTIAL = "pending", "sent", "failed", "partial"


@dataclass
class Part:
    """One message to one recipient: the unit the ledger tracks.

    `target` names the recipient in words a person recognises and that hold no secret (an
    email address, "slack", "webhook", "url 2 (discord)"); `index` of `count` is the message
    part; `story_ids` the stories the part carries (None: all of the digest's);
    `payload` the message as first rendered, so a resend is the same message.
    """

    target: str
    index: int = 1
    count: int = 1
    story_ids: list[int] | None = None
    payload: str | None = None
    digest_id: str = ""
    state: str = PENDING
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    created_at: datetime | None = None

    @property
    def key(self) -> tuple[str, int]:
        return (self.target, self.index)

    def label(self) -> str:
        return (
            self.target if self.count == 1 else f"{self.target} part {self.index} of {self.count}"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class DigestLog(DigestRow):
    """A digest with its parts, per recipient and message part (``monitor deliveries``)."""

    parts: tuple[Part, ...]

    @classmethod
    def with_parts(cls, row: dict[str, Any], parts: Sequence[Part]) -> Self:
        return cls(**digest_columns(cls, row, parts=tuple(parts)))


def _part(row: dict) -> Part:
    return Part(
        target=row["target"],
        index=row["part"],
        count=row["parts"],
        story_ids=json.loads(row["story_ids"]) if row["story_ids"] else None,
        payload=row["payload"],
        digest_id=row["digest_id"],
        state=row["state"],
        attempts=row["attempts"],
        last_error=row["last_error"],
        next_attempt_at=_time(row["next_attempt_at"]),
        sent_at=_time(row["sent_at"]),
        created_at=_time(row["created_at"]),
    )


class Ledger:
    """The ledger's queries, on the archive's connection and inside its transactions."""

    def __init__(
        self,
        db: Database,
        transaction: Callable[[], AbstractContextManager[None]],
        path: Path,
    ):
        self.db = db
        self.transaction = transaction
        self.path = path

    def _rows(self, sql: str, params: Sequence[Any] | dict = ()) -> list[dict]:
        cur = self.db.execute(sql, params)
        cols = [c[0] for c in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]

    # ------------------------------------------------------------------ channels
    def ensure_channel(self, name: str, kind: str, now: datetime | None = None) -> ChannelRow:
        with self.transaction():
            self.db.execute(
                "INSERT OR IGNORE INTO channels (name, type, created_at) VALUES (?, ?, ?)",
                [name, kind, _iso(now or datetime.now(UTC))],
            )
        return ChannelRow.from_row(self._rows("SELECT * FROM channels WHERE name = ?", [name])[0])

    @contextmanager
    def channel_lock(self, name: str) -> Iterator[None]:
        """Hold the channel's lock file (beside the archive) for one delivery run.

        Two runs of one channel in different processes (the daemon and a manual
        `digest --channel`) would otherwise both send a digest that is pending while the other
        is sending it. flock is released by the kernel if the process dies.
        """
        safe = re.sub(r"[^A-Za-z0-9_-]", "_", name)
        lock_path = self.path.with_name(f"{self.path.name}.channel-{safe}.lock")
        try:
            handle = open(lock_path, "a+b")  # noqa: SIM115 - held for the whole run
        except OSError as e:
            log.warning("cannot open %s (%s); delivering without the channel lock", lock_path, e)
            yield
            return
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield
        finally:
            handle.close()  # closing releases the lock

    def mark_channel_run(self, name: str, now: datetime) -> None:
        with self.transaction():
            self.db.execute("UPDATE channels SET last_run_at = ? WHERE name = ?", [_iso(now), name])

    # ------------------------------------------------------------------- digests
    def create_digest(
        self,
        digest_id: str,
        channel: str,
        story_ids: Sequence[int],
        payload: str,
        now: datetime | None = None,
        parts: Sequence[Part] = (),
        headlines: Mapping[int, int] | None = None,
    ) -> set[int]:
        """Write the digest, its parts and one pending delivery per story, in one transaction,
        before anything is sent. `headlines` maps a story id to the article shown as its
        headline: what the channel saw of it if the story splits later (story_groups).

        Another process (a manual `digest --channel`, the daemon) may have claimed some of the
        stories since they were selected: then nothing is written and the claimed story ids
        are returned, for the caller to drop them and try again. Returns an empty set when
        the digest was written.
        """
        now_s = _iso(now or datetime.now(UTC))
        with self.transaction():
            taken = set()
            for i in range(0, len(story_ids), 500):
                chunk = list(story_ids[i : i + 500])
                taken.update(
                    r[0]
                    for r in self.db.execute(
                        "SELECT story_id FROM deliveries WHERE channel = ? AND state IN"
                        f" ('pending', 'sent') AND story_id IN ({','.join('?' * len(chunk))})",
                        [channel, *chunk],
                    )
                )
            if taken:
                return taken
            self.db.execute(
                "INSERT INTO digests (id, channel, created_at, state, attempts, stories, payload)"
                " VALUES (?, ?, ?, 'pending', 0, ?, ?)",
                [digest_id, channel, now_s, len(story_ids), payload],
            )
            self.db.conn.executemany(
                "INSERT INTO deliveries (channel, story_id, digest_id, state, attempts, created_at)"
                " VALUES (?, ?, ?, 'pending', 0, ?) ON CONFLICT (channel, story_id) DO UPDATE SET"
                " digest_id = excluded.digest_id, state = 'pending', attempts = 0, last_error = NULL,"
                " created_at = excluded.created_at WHERE deliveries.state = 'failed'",
                [(channel, sid, digest_id, now_s) for sid in story_ids],
            )
            self._insert_parts(digest_id, parts, now_s)
            self.db.conn.executemany(
                "INSERT OR IGNORE INTO delivered_articles (channel, article_id, digest_id)"
                " VALUES (?, ?, ?)",
                [(channel, a, digest_id) for s, a in (headlines or {}).items() if s in story_ids],
            )
        return set()

    def _insert_parts(self, digest_id: str, parts: Sequence[Part], now_s: str | None) -> None:
        self.db.conn.executemany(
            "INSERT OR IGNORE INTO delivery_parts (digest_id, target, part, parts, story_ids,"
            " payload, state, attempts, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?)",
            [
                (
                    digest_id,
                    p.target,
                    p.index,
                    p.count,
                    None if p.story_ids is None else json.dumps(p.story_ids),
                    p.payload,
                    now_s,
                )
                for p in parts
            ],
        )

    def add_parts(self, digest_id: str, parts: Sequence[Part], now: datetime) -> None:
        """Plan the parts of a digest written before parts were recorded (an older archive)."""
        with self.transaction():
            self._insert_parts(digest_id, parts, _iso(now))

    def digest(self, digest_id: str) -> DigestRow | None:
        rows = self._rows("SELECT * FROM digests WHERE id = ?", [digest_id])
        return DigestRow.from_row(rows[0]) if rows else None

    def parts(self, digest_id: str) -> list[Part]:
        return [
            _part(r)
            for r in self._rows(
                "SELECT * FROM delivery_parts WHERE digest_id = ? ORDER BY part, rowid",
                [digest_id],
            )
        ]

    def pending_digests(
        self, channel: str | None = None, now: datetime | None = None
    ) -> list[DigestRow]:
        """Digests with a part still owed; with `now`, only those whose next try is due."""
        sql = "SELECT * FROM digests WHERE state = 'pending'"
        params: list[Any] = []
        if channel:
            sql += " AND channel = ?"
            params.append(channel)
        if now is not None:
            sql += " AND (next_attempt_at IS NULL OR next_attempt_at <= ?)"
            params.append(_iso(now))
        return [DigestRow.from_row(r) for r in self._rows(sql + " ORDER BY created_at, id", params)]

    def record_part(
        self,
        digest_id: str,
        part: Part,
        *,
        state: str,
        error: str | None = None,
        next_attempt_at: datetime | None = None,
        now: datetime,
        count_attempt: bool = True,
    ) -> None:
        """One part's outcome, and what follows for its digest and stories, in one transaction."""
        now_s = _iso(now)
        with self.transaction():
            self.db.execute(
                "UPDATE delivery_parts SET state = ?, attempts = attempts + ?, last_error = ?,"
                " next_attempt_at = ?, sent_at = CASE WHEN ? THEN ? ELSE sent_at END"
                " WHERE digest_id = ? AND target = ? AND part = ? AND state = 'pending'",
                [
                    state,
                    1 if count_attempt else 0,
                    scrub.error(error),  # no credential in a stored error (storage.secrets)
                    _iso(next_attempt_at),
                    state == SENT,
                    now_s,
                    digest_id,
                    part.target,
                    part.index,
                ],
            )
            self._settle(digest_id)
            if state == SENT:
                self.db.execute(
                    "UPDATE channels SET last_success_at = ? WHERE name ="
                    " (SELECT channel FROM digests WHERE id = ?)",
                    [now_s, digest_id],
                )

    def _settle(self, digest_id: str) -> None:
        """Bring the digest's row and its stories' rows in line with its parts."""
        parts = self.parts(digest_id)
        if not parts:
            return
        state = _aggregate([p.state for p in parts])
        waiting = [p for p in parts if p.state == PENDING]
        due = [p.next_attempt_at for p in waiting]
        next_at = None if not due or None in due else min(d for d in due if d is not None)
        sent = [p.sent_at for p in parts if p.sent_at]
        errors = [f"{p.label()}: {p.last_error}" for p in parts if p.state != SENT and p.last_error]
        self.db.execute(
            "UPDATE digests SET state = ?, attempts = ?, last_error = ?, next_attempt_at = ?,"
            " sent_at = ? WHERE id = ?",
            [
                state,
                max(p.attempts for p in parts),
                "; ".join(errors)[:2000] or None,
                _iso(next_at),
                _iso(max(sent)) if sent and not waiting else None,
                digest_id,
            ],
        )
        rows = self.db.execute(
            "SELECT story_id, last_error FROM deliveries WHERE digest_id = ?", [digest_id]
        ).fetchall()
        for story_id, old_error in rows:
            carrying = [p for p in parts if p.story_ids is None or story_id in p.story_ids]
            merged = not carrying  # a story merged into one the digest carries
            carrying = carrying or parts
            story_state = _aggregate([p.state for p in carrying], partial=SENT)
            story_errors = [
                f"{p.label()}: {p.last_error}" for p in carrying if p.state != SENT and p.last_error
            ]
            story_sent = [p.sent_at for p in carrying if p.sent_at]
            self.db.execute(
                "UPDATE deliveries SET state = ?, attempts = ?, last_error = ?, sent_at = ?"
                " WHERE digest_id = ? AND story_id = ?",
                [
                    story_state,
                    max(p.attempts for p in carrying),
                    old_error if merged else ("; ".join(story_errors)[:1000] or None),
                    _iso(max(story_sent)) if story_sent else None,
                    digest_id,
                    story_id,
                ],
            )

    # ----------------------------------------------------------------- reading
    def deliveries(self, channel: str | None = None, limit: int = 50) -> list[DigestLog]:
        """Digests, newest first, each with its parts (per recipient and message part)."""
        sql = "SELECT d.* FROM digests d"
        params: list[Any] = []
        if channel:
            sql += " WHERE d.channel = ?"
            params.append(channel)
        digests = self._rows(
            sql + " ORDER BY d.created_at DESC, d.id DESC LIMIT ?", [*params, limit]
        )
        return [DigestLog.with_parts(d, self.parts(d["id"])) for d in digests]


def _aggregate(states: list[str], partial: str = PARTIAL) -> str:
    if PENDING in states:
        return PENDING
    if all(s == SENT for s in states):
        return SENT
    return partial if SENT in states else FAILED


def carry_over_merged(db: Database, keep: int, gone: int) -> None:
    """Two stories became one: what a channel received under the other id counts as received.

    Runs inside the caller's transaction (the story merge).
    """
    db.execute(
        "INSERT OR IGNORE INTO deliveries (channel, story_id, digest_id, state, attempts,"
        " last_error, created_at, sent_at) SELECT channel, ?, digest_id, state, attempts,"
        " 'merged from story ' || ?, created_at, sent_at FROM deliveries WHERE story_id = ?",
        [keep, gone, gone],
    )
