"""Writing story membership: put each group of articles into one story, keeping story ids stable
and deliveries single. Used for every new article the story stage regroups, for an article whose
text changed, and by ``monitor stories regroup``.

Ids: groups are taken largest first; each keeps the existing story that holds most of its
articles (ties to the older id), unless a larger group took that story already; a group with no
story left gets a new one. So a group that did not change keeps its id.

Deliveries follow what a channel saw: the headline article of each story it was sent
(``delivered_articles``, written when a digest claims its stories). A story that receives
articles from another story inherits that story's delivery rows (``INSERT OR IGNORE``: its own
rows win) when it holds an article the channel saw as a headline; a story that no longer holds
any headline its channel saw loses its row and is owed again. So when stories merge, a channel
that received either does not receive the result again; when a story splits, the part with the
headline counts as received and the part the channel only saw as "also covered by" (a different
study, as the grouping now finds) is sent as itself. Rows written before headlines were recorded
carry over as before. A story left without articles is marked ``merged_into`` the story that
took most of them (links and digests follow it).

Settled groupings: an article stored by a poll is *unsettled* until the poll's articles are
grouped again together (``StoryStep.settle``); a digest leaves out stories holding an
unsettled article (``unsettled_stories``), so no channel is sent a grouping that is about to
change. A mark older than ``UNSETTLED_GRACE`` (a poll that died before settling) no longer
holds a story back; the next poll settles it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from storage import story_index

__all__ = [
    "UNSETTLED_GRACE",
    "apply_groups",
    "clear_unsettled",
    "create_tables",
    "mark_unsettled",
    "refresh_story",
    "stale_unsettled",
    "unsettled_cutoff",
]

#: how long an unsettled article holds its story back from digests (a poll that died between
#: storing and settling leaves marks behind; after this they are ignored and settled later)
UNSETTLED_GRACE = timedelta(hours=1)

SCHEMA = """
CREATE TABLE IF NOT EXISTS unsettled (
    article_id INTEGER PRIMARY KEY,
    since TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS unsettled_since ON unsettled(since);
CREATE TABLE IF NOT EXISTS delivered_articles (
    channel TEXT NOT NULL,
    article_id INTEGER NOT NULL,
    digest_id TEXT NOT NULL,
    PRIMARY KEY (channel, article_id)
);
CREATE INDEX IF NOT EXISTS delivered_articles_digest ON delivered_articles(digest_id);
"""


def _conn(db):
    return getattr(db, "conn", db)


def create_tables(db) -> None:
    for statement in SCHEMA.split(";"):
        if statement.strip():
            _conn(db).execute(statement)


def _stamp(when: datetime | None = None) -> str:
    return (when or datetime.now(UTC)).astimezone(UTC).isoformat()


def unsettled_cutoff(now: datetime | None = None) -> str:
    """Marks newer than this hold their stories back from digests."""
    return _stamp((now or datetime.now(UTC)) - UNSETTLED_GRACE)


def mark_unsettled(db, article_ids: Sequence[int], now: datetime | None = None) -> None:
    """Stored by a poll that has not grouped its articles together yet."""
    stamp = _stamp(now)
    _conn(db).executemany(
        "INSERT OR IGNORE INTO unsettled (article_id, since) VALUES (?, ?)",
        [(a, stamp) for a in article_ids],
    )


def clear_unsettled(db, article_ids: Sequence[int]) -> None:
    conn = _conn(db)
    ids = list(article_ids)
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        conn.execute(
            f"DELETE FROM unsettled WHERE article_id IN ({','.join('?' * len(chunk))})", chunk
        )


def stale_unsettled(db, now: datetime | None = None, limit: int = 1000) -> list[int]:
    """Articles a poll stored and never settled (it died in between), oldest first."""
    return [
        r[0]
        for r in _conn(db).execute(
            "SELECT article_id FROM unsettled WHERE since <= ? ORDER BY since LIMIT ?",
            [unsettled_cutoff(now), limit],
        )
    ]


def apply_groups(db, groups: Sequence[Sequence[int]], now: str | None) -> list[int]:
    """Make each group of article ids one story; returns the story id of each group."""
    conn = _conn(db)
    current: dict[int, int] = {}
    everyone = sorted({a for g in groups for a in g})
    for i in range(0, len(everyone), 500):
        chunk = everyone[i : i + 500]
        marks = ",".join("?" * len(chunk))
        for a, s in conn.execute(f"SELECT id, story_id FROM articles WHERE id IN ({marks})", chunk):
            current[a] = s
    order = sorted(range(len(groups)), key=lambda k: (-len(groups[k]), min(groups[k], default=0)))
    taken: set[int] = set()
    result: dict[int, int] = {}
    # a story sent to a channel stays with the part holding the headline the channel saw
    seen = _headlines(conn, sorted(set(current.values())))
    for k in order:
        own = sorted(seen[a] for a in groups[k] if a in seen and seen[a] == current.get(a))
        sid = next((s for s in own if s not in taken), None)
        if sid is not None:
            taken.add(sid)
            result[k] = sid
    for k in order:
        if k in result:
            continue
        group = [a for a in groups[k] if a in current]
        votes = Counter(current[a] for a in group)
        sid = next(
            (s for s, _ in sorted(votes.items(), key=lambda kv: (-kv[1], kv[0])) if s not in taken),
            None,
        )
        if sid is None:
            first = (
                conn.execute(
                    "SELECT min(first_seen), max(title) FROM stories WHERE id IN"
                    f" ({','.join('?' * len(votes))})",
                    list(votes),
                ).fetchone()
                if votes
                else (now, None)
            )
            sid = conn.execute(
                "INSERT INTO stories (title, first_seen, updated_at, copies) VALUES (?, ?, ?, 0)",
                [first[1], first[0] or now, now],
            ).lastrowid
        taken.add(sid)
        result[k] = sid
    touched: set[int] = set()
    moved_from: dict[int, Counter] = {}
    for k, sid in result.items():
        movers = [a for a in groups[k] if a in current and current[a] != sid]
        if not movers:
            continue
        touched.add(sid)
        for a in movers:
            touched.add(current[a])
            moved_from.setdefault(current[a], Counter())[sid] += 1
        conn.executemany(
            "UPDATE articles SET story_id = ? WHERE id = ?", [(sid, a) for a in movers]
        )
        conn.executemany(
            "UPDATE matches SET story_id = ? WHERE article_id = ?", [(sid, a) for a in movers]
        )
        story_index.set_story(db, movers, sid)
        for old in {current[a] for a in movers}:
            # what a channel received (or has pending) for the old story counts for this one
            conn.execute(
                "INSERT OR IGNORE INTO deliveries (channel, story_id, digest_id, state, attempts,"
                " last_error, created_at, sent_at) SELECT channel, ?, digest_id, state, attempts,"
                " 'carried over from story ' || ?, created_at, sent_at FROM deliveries d"
                f" WHERE story_id = ? AND ({_SAW_NO_HEADLINES} OR {_HOLDS_A_HEADLINE})",
                [sid, old, old, sid],
            )
            conn.execute(
                "UPDATE stories SET first_seen = min(first_seen, (SELECT first_seen FROM stories"
                " WHERE id = ?)) WHERE id = ?",
                [old, sid],
            )
    for old, dest in moved_from.items():
        left = conn.execute("SELECT count(*) FROM articles WHERE story_id = ?", [old]).fetchone()[0]
        if not left:
            target = sorted(dest.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
            conn.execute(
                "UPDATE stories SET merged_into = ?, copies = 0, updated_at = ? WHERE id = ?",
                [target, now, old],
            )
            # its topic matches are the target's now (counted once, in browse and charts)
            conn.execute("DELETE FROM story_matches WHERE story_id = ?", [old])
            touched.discard(old)
    for sid in sorted(touched):
        # a story that kept its id but lost every headline its channel saw is owed again
        conn.execute(
            f"DELETE FROM deliveries AS d WHERE story_id = ? AND NOT {_SAW_NO_HEADLINES}"
            f" AND NOT {_HOLDS_A_HEADLINE}"
            " AND EXISTS (SELECT 1 FROM articles WHERE story_id = ?)",
            [sid, sid, sid],
        )
        refresh_story(db, sid, now)
    return [result[k] for k in range(len(groups))]


def _headlines(conn, story_ids: Sequence[int]) -> dict[int, int]:
    """{article id: story id} for the articles a channel was sent as the headline of the story
    that holds them now."""
    found: dict[int, int] = {}
    for i in range(0, len(story_ids), 500):
        chunk = list(story_ids[i : i + 500])
        found.update(
            conn.execute(
                "SELECT h.article_id, d.story_id FROM deliveries d JOIN delivered_articles h"
                " ON h.channel = d.channel AND h.digest_id = d.digest_id JOIN articles a"
                " ON a.id = h.article_id AND a.story_id = d.story_id"
                f" WHERE d.story_id IN ({','.join('?' * len(chunk))})",
                chunk,
            ).fetchall()
        )
    return found


# SQL conditions on a deliveries row `d`: its digest recorded no headlines (written before they
# were recorded), and: the story `?` holds an article that the row's channel saw as a headline
_SAW_NO_HEADLINES = (
    "NOT EXISTS (SELECT 1 FROM delivered_articles h WHERE h.digest_id = d.digest_id)"
)
_HOLDS_A_HEADLINE = (
    "EXISTS (SELECT 1 FROM delivered_articles h JOIN articles a ON a.id = h.article_id"
    " WHERE h.channel = d.channel AND a.story_id = ?)"
)


def refresh_story(db, story_id: int, now: str | None, added: int | None = None) -> None:
    """Recompute a story's canonical copy, copy count and topic matches.

    When one article was ``added`` to an unchanged story, only it and the current canonical copy
    are compared; otherwise every copy is.
    """
    conn = _conn(db)
    current = conn.execute(
        "SELECT canonical_article_id FROM stories WHERE id = ?", [story_id]
    ).fetchone()[0]
    if added is not None and current is not None:
        rows = conn.execute(
            "SELECT id, title, canonical_rank FROM articles WHERE id IN (?, ?) AND story_id = ?",
            [current, added, story_id],
        ).fetchall()
    else:
        rows = conn.execute(
            "SELECT id, title, canonical_rank FROM articles WHERE story_id = ?", [story_id]
        ).fetchall()
    copies = conn.execute(
        "SELECT count(*) FROM articles WHERE story_id = ?", [story_id]
    ).fetchone()[0]
    if not rows:
        return
    best = min(rows, key=lambda r: (json.loads(r[2] or "[]"), r[0]))
    conn.execute(
        "UPDATE stories SET canonical_article_id = ?, title = ?, copies = ?, updated_at = ?,"
        " merged_into = NULL WHERE id = ?",
        [best[0], best[1], copies, now, story_id],
    )
    conn.execute("DELETE FROM story_matches WHERE story_id = ?", [story_id])
    conn.execute(
        "INSERT INTO story_matches (story_id, topic, score, snippet, explanation,"
        " first_matched_at) SELECT story_id, topic, max(score), snippet, explanation,"
        " min(matched_at) FROM matches WHERE story_id = ? GROUP BY topic",
        [story_id],
    )


def story_of_article(db, article_id: int) -> int | None:
    row = _conn(db).execute("SELECT story_id FROM articles WHERE id = ?", [article_id]).fetchone()
    return row[0] if row else None


def articles_of_story(db, story_id: int) -> list[int]:
    return [
        a
        for (a,) in _conn(db).execute(
            "SELECT id FROM articles WHERE story_id = ? ORDER BY id", [story_id]
        )
    ]


def note_decision(db, article_id: int, score: float, reason: str, canonical_rank: list) -> None:
    """Record why an article is in its story (after it was placed again)."""
    _conn(db).execute(
        "UPDATE articles SET story_score = ?, story_reason = ?, canonical_rank = ? WHERE id = ?",
        [score, reason, json.dumps(canonical_rank), article_id],
    )
