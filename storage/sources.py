"""The sources table: one row per configured source, keyed by its name, holding no secret.

The configuration is the only place a source's real address exists: its ``user:password@``,
a ``${VAR}`` token in its query, a webhook-like path. The table keeps ``url`` (the address
polled, updated on a permanent redirect) and ``configured_url`` masked by
``monitor.logsafe.mask``, and its error texts masked too, so nothing that reads the archive
(``monitor sources``, ``monitor browse``, a copy of the file) can learn a credential.

The pipeline asks ``feed_url(name, configured)`` for the address to fetch: the configured one,
with its credentials, unless the source moved permanently to another usable address.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from monitor.logsafe import MASK, holds_secret, mask, registered
from storage.rows import SourceOverview, SourceState, SourceUpdate

#: the columns of `sources` that hold text a credential could reach
MASKED_COLUMNS = ("url", "configured_url", "last_error", "disabled_reason")


def stored(value: Any) -> Any:
    """What the archive keeps of a value bound for a masked column."""
    return mask(value) if isinstance(value, str) else value


def sync(conn: Any, sources: Iterable[Any], created_at: str) -> None:
    """Make the table reflect the config (adds new sources, updates flags); in a transaction.

    A source whose configured address changed (compared masked: a new password alone is no
    new address) goes back to polling that address, whatever redirect was stored before.
    """
    # one read of the table and a write only for what changed: every command runs this, and
    # 10,000 sources must not cost 20,000 statements each time
    current = {
        r[0]: (r[1], r[2], r[3])
        for r in conn.execute("SELECT name, configured_url, enabled, tags FROM sources")
    }
    inserts = []
    for s in sources:
        configured = stored(s.url)
        tags = json.dumps(s.tags)
        row = current.get(s.name)
        if row is None:
            inserts.append((s.name, configured, configured, int(s.enabled), tags, created_at))
            continue
        if row == (configured, int(s.enabled), tags):
            continue
        url_sql = ", url = ?" if row[0] != configured else ""
        params = [int(s.enabled), tags, configured]
        if url_sql:
            params.append(configured)
        conn.execute(
            f"UPDATE sources SET enabled = ?, tags = ?, configured_url = ?{url_sql} WHERE name = ?",
            [*params, s.name],
        )
    if inserts:
        conn.executemany(
            "INSERT INTO sources (name, url, configured_url, enabled, tags, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            inserts,
        )
    rescrub(conn)


def rescrub(conn: Any) -> int:
    """Mask again every source row with the secrets known now; returns the rows changed.

    A row written before a secret was registered (an archive migrated by a process that had
    not read the configuration) is cleaned at the next start that has. Every value was
    masked on its way in (``stored``), so only a registered secret can be left to mask:
    rows without one are passed over with a single regex search (every command runs this;
    masking all of 10,000 rows again took 0.35 s).
    """
    if not registered():
        return 0
    changed = 0
    cols = ", ".join(MASKED_COLUMNS)
    for row in conn.execute(f"SELECT name, {cols} FROM sources").fetchall():
        name, values = row[0], row[1:]
        if not any(isinstance(v, str) and holds_secret(v) for v in values):
            continue
        clean = [stored(v) for v in values]
        if clean != list(values):
            sets = ", ".join(f"{c} = ?" for c in MASKED_COLUMNS)
            conn.execute(f"UPDATE sources SET {sets} WHERE name = ?", [*clean, name])
            changed += 1
    return changed


def state(conn: Any, name: str) -> SourceState | None:
    cur = conn.execute("SELECT * FROM sources WHERE name = ?", [name])
    cols = [c[0] for c in cur.description]
    row = cur.fetchone()
    return SourceState.from_row(dict(zip(cols, row, strict=True))) if row else None


def update(conn: Any, name: str, change: SourceUpdate) -> None:
    """Set the given columns of one source; masked columns are masked on the way in."""
    values = {k: (stored(v) if k in MASKED_COLUMNS else v) for k, v in change.columns().items()}
    if not values:
        return
    sets = ", ".join(f"{k} = ?" for k in values)
    conn.execute(f"UPDATE sources SET {sets} WHERE name = ?", [*values.values(), name])


def overview(conn: Any) -> list[SourceOverview]:
    cur = conn.execute(
        "SELECT s.*, (SELECT count(*) FROM article_sources a WHERE a.source = s.name)"
        " AS articles FROM sources s ORDER BY s.name"
    )
    cols = [c[0] for c in cur.description]
    return [SourceOverview.from_row(dict(zip(cols, row, strict=True))) for row in cur.fetchall()]


def feed_url(conn: Any, name: str, configured: str) -> str:
    """The address to poll: the configured one (the only one with the credentials), unless the
    source moved permanently to another address that is usable as stored."""
    row = conn.execute("SELECT url FROM sources WHERE name = ?", [name]).fetchone()
    moved = row[0] if row else None
    if not moved or moved == stored(configured) or MASK in moved:
        # not moved, or moved to an address that held a credential (masked, so unusable):
        # the configured address is polled and redirects again
        return configured
    return moved
