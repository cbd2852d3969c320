"""Writing story membership: put each group of articles into one story, keeping story ids stable
and deliveries single. Used for every new article the story stage regroups, for an article whose
text changed, and by ``monitor stories regroup``.

Ids: groups are taken largest first; each keeps the existing story that holds most of its
articles (ties to the older id), unless a larger group took that story already; a group with no
story left gets a new one. So a group that did not change keeps its id.

Deliveries: a story that receives articles from another story inherits that story's delivery
rows (``INSERT OR IGNORE``: its own rows win). A channel that received either story does not
receive the result again, whether stories merged or one split. A story left without articles is
marked ``merged_into`` the story that took most of them (links and digests follow it).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence

from storage import story_index

__all__ = ["apply_groups", "refresh_story"]


def _conn(db):
    return getattr(db, "conn", db)


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
    for k in order:
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
                " 'carried over from story ' || ?, created_at, sent_at FROM deliveries"
                " WHERE story_id = ?",
                [sid, old, old],
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
            touched.discard(old)
    for sid in sorted(touched):
        refresh_story(db, sid, now)
    return [result[k] for k in range(len(groups))]


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
