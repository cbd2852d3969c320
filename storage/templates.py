"""Per-site template memory: on how many pages of a site each block key appeared.

Two tables, written only here:

* ``site_templates(site, pages, recent)``: pages learnt from, and the keys of the last pages
  (a page learnt twice, after a crash before its article was stored, counts once);
* ``site_template_keys(site, key, pages, last_page)``: per block key (a 64-bit hash from
  ``monitor.extract.templates``; no text), the pages that showed it and the number of the last.

Bounded per site: at most MAX_KEYS_PER_SITE keys. Keys seen on one page only, and not in the
last FORGET_AFTER_PAGES pages, go first (they are article text); then the least seen. ``get``
returns every key with its count: a key seen on one earlier page already marks a block outside
the article's paragraphs as the site's (the template goes from a site's second page on). One site's rows
never answer for another's. The caller (the archive) owns the connection and the transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from monitor.model import SiteTemplate
from storage.db import Database

__all__ = ["FORGET_AFTER_PAGES", "MAX_KEYS_PER_SITE", "create_tables", "get", "learn", "page_id"]

#: block keys kept per site (~30 bytes a row)
MAX_KEYS_PER_SITE = 4000
#: keys seen once and not in this many recent pages are forgotten first
FORGET_AFTER_PAGES = 50
#: recent pages remembered to learn each page once
RECENT_PAGES = 64

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS site_templates (
        site TEXT PRIMARY KEY,
        pages INTEGER NOT NULL DEFAULT 0,
        recent TEXT NOT NULL DEFAULT '[]'   -- JSON list of page ids (see page_id)
    )""",
    """CREATE TABLE IF NOT EXISTS site_template_keys (
        site TEXT NOT NULL,
        key INTEGER NOT NULL,
        pages INTEGER NOT NULL,
        last_page INTEGER NOT NULL,
        PRIMARY KEY (site, key)
    ) WITHOUT ROWID""",
)


def create_tables(db: Database) -> None:
    for statement in _SCHEMA:
        db.execute(statement)


def page_id(url: str) -> str:
    """A short stable id of a page address."""
    return hashlib.blake2b(url.encode(), digest_size=8).hexdigest()


def get(db: Database, site: str) -> SiteTemplate:
    """What the archive knows of ``site`` (empty for a site not seen yet)."""
    row = db.execute("SELECT pages FROM site_templates WHERE site = ?", [site]).fetchone()
    if row is None:
        return SiteTemplate(site)
    counts = dict(
        db.execute("SELECT key, pages FROM site_template_keys WHERE site = ?", [site]).fetchall()
    )
    return SiteTemplate(site, row[0], counts)


def learn(db: Database, site: str, page: str, keys: Iterable[int]) -> bool:
    """Count one page of ``site`` showing ``keys``; False when that page was learnt already."""
    row = db.execute("SELECT pages, recent FROM site_templates WHERE site = ?", [site]).fetchone()
    pages, recent = (row[0], json.loads(row[1])) if row else (0, [])
    if page in recent:
        return False
    pages += 1
    recent = [*recent[-(RECENT_PAGES - 1) :], page]
    db.execute(
        "INSERT INTO site_templates (site, pages, recent) VALUES (?, ?, ?) "
        "ON CONFLICT(site) DO UPDATE SET pages = excluded.pages, recent = excluded.recent",
        [site, pages, json.dumps(recent)],
    )
    db.conn.executemany(
        "INSERT INTO site_template_keys (site, key, pages, last_page) VALUES (?, ?, 1, ?) "
        "ON CONFLICT(site, key) DO UPDATE SET pages = pages + 1, last_page = excluded.last_page",
        [(site, key, pages) for key in dict.fromkeys(keys)],
    )
    _prune(db, site, pages)
    return True


def _prune(db: Database, site: str, pages: int) -> None:
    count = db.execute("SELECT COUNT(*) FROM site_template_keys WHERE site = ?", [site]).fetchone()[
        0
    ]
    if count <= MAX_KEYS_PER_SITE:
        return
    db.execute(
        "DELETE FROM site_template_keys WHERE site = ? AND pages = 1 AND last_page < ?",
        [site, pages - FORGET_AFTER_PAGES],
    )
    db.execute(
        "DELETE FROM site_template_keys WHERE site = ? AND key IN ("
        " SELECT key FROM site_template_keys WHERE site = ?"
        " ORDER BY pages DESC, last_page DESC LIMIT -1 OFFSET ?)",
        [site, site, MAX_KEYS_PER_SITE],
    )
