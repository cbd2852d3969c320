"""The Datasette plugin behind `monitor browse`: read-only connections and readable pages.

- every connection to the archive is `query_only` on top of Datasette's `mode=ro`, with a
  busy timeout, so nothing served here can write or hold a lock against the daemon;
- article pages show the text as paragraphs, the topics that matched and the other copies
  of the story; story pages show every copy side by side (templates in ./templates);
- DOIs, NCT numbers, JSON lists and ids render as links and plain lists in tables.

Registered by monitor.browse.build_datasette; the SQL it runs comes from storage.queries.
"""

from __future__ import annotations

from typing import Any

from datasette import hookimpl
from markupsafe import Markup, escape

from monitor.browse.render import identifier_links, json_list, paragraphs
from storage import browse as storage_browse
from storage import queries

ARCHIVE = "archive"  # the database name monitor browse serves the archive under
CSS_URL = "/monitor-static/monitor.css"
_JSON_LIST_COLUMNS = {"topics", "carried_by", "listed_by", "authors", "tags"}
_ARTICLE_LINK_COLUMNS = {"article_id", "canonical_article_id"}
_STORY_LINK_COLUMNS = {"story_id"}
_STATUS_CLASS = {
    "ok": "good",
    "sent": "good",
    "pending": "wait",
    "not polled yet": "wait",
    "failing": "bad",
    "failed": "bad",
    "disabled": "off",
}
# Datasette ignores a falsy render_cell result, so an empty list renders as an empty span.
_EMPTY = Markup('<span class="monitor-none"></span>')


def _rows(results: Any) -> list[dict]:
    return [dict(zip(results.columns, row, strict=True)) for row in results.rows]


@hookimpl
def prepare_connection(conn: Any, database: str, datasette: Any) -> None:
    if database != ARCHIVE:
        return
    # Datasette already opens the file with mode=ro; storage.browse adds query_only, a busy
    # timeout and SQLite's own limits (value length, SQL length, ...) to every connection.
    storage_browse.harden(conn)


@hookimpl
def extra_css_urls(template: str, database: str | None, table: str | None) -> list[str]:
    return [CSS_URL]


@hookimpl
def render_cell(value: Any, column: str, table: str | None, database: str | None) -> Any:
    if database != ARCHIVE or value is None:
        return None
    if column in ("doi", "nct", "pmid"):
        items = json_list(value)
        if items is None:
            return None
        return identifier_links(column, items) if items else _EMPTY
    if column in ("health", "state") and value in _STATUS_CLASS:
        return Markup('<span class="monitor-status monitor-status-{}">{}</span>').format(
            _STATUS_CLASS[value], value
        )
    if column in _JSON_LIST_COLUMNS:
        items = json_list(value)
        if items is not None:
            return Markup(", ").join(escape(str(v)) for v in items) if items else _EMPTY
    if isinstance(value, int) and column in _ARTICLE_LINK_COLUMNS:
        return Markup('<a href="/{}/articles/{}">{}</a>').format(ARCHIVE, value, value)
    if isinstance(value, int) and column in _STORY_LINK_COLUMNS:
        return Markup('<a href="/{}/stories/{}">{}</a>').format(ARCHIVE, value, value)
    if column == "id" and isinstance(value, int) and table in ("article_index", "story_index"):
        target = "articles" if table == "article_index" else "stories"
        return Markup('<a href="/{}/{}/{}">{}</a>').format(ARCHIVE, target, value, value)
    return None


@hookimpl
def extra_template_vars(
    template: str,
    database: str | None,
    table: str | None,
    view_name: str,
    request: Any,
    datasette: Any,
) -> Any:
    if database != ARCHIVE or view_name != "row" or table not in ("articles", "stories"):
        return {}

    async def inner() -> dict:
        pks = (request.url_vars or {}).get("pks", "")
        try:
            row_id = int(pks)
        except ValueError:
            return {}
        db = datasette.get_database(ARCHIVE)
        if table == "articles":
            return await _article_vars(db, row_id)
        return await _story_vars(db, row_id)

    return inner


async def _article_vars(db: Any, article_id: int) -> dict:
    ctx = _rows(await db.execute(queries.ARTICLE_CONTEXT, {"article_id": article_id}))
    copies = _rows(await db.execute(queries.ARTICLE_STORY_COPIES, {"article_id": article_id}))
    context = ctx[0] if ctx else {}
    matches = [m for m in (json_list(context.get("matches")) or []) if m.get("topic")]
    return {
        "monitor_article": {
            "story_id": context.get("story_id"),
            "story_title": context.get("story_title"),
            "listed_by": json_list(context.get("listed_by")) or [],
            "matches": matches,
            "copies": [c for c in copies if c["id"] != article_id],
            "is_canonical": any(c["id"] == article_id and c["canonical"] for c in copies),
        },
        "monitor_paragraphs": paragraphs,
        "monitor_identifier_links": identifier_links,
        "monitor_json_list": lambda v: json_list(v) or [],
    }


async def _story_vars(db: Any, story_id: int) -> dict:
    copies = _rows(await db.execute(queries.STORY_PAGE_COPIES, {"story_id": story_id}))
    topics = _rows(await db.execute(queries.STORY_TOPICS, {"story_id": story_id}))
    for c in copies:
        c["paragraphs"] = paragraphs(c.pop("text"))
        c["listed_by"] = json_list(c["listed_by"]) or []
        c["doi"] = json_list(c["doi"]) or []
        c["nct"] = json_list(c["nct"]) or []
    outlets = sorted({s for c in copies for s in c["listed_by"]} | {c["source"] for c in copies})
    return {
        "monitor_story": {"copies": copies, "topics": topics, "outlets": outlets},
        "monitor_identifier_links": identifier_links,
    }
