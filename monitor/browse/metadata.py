"""Datasette metadata for the archive, built from its live schema, the config and storage.queries.

`read_schema` lists the tables, views and columns the archive really has (with the `-- comment`
beside each column in its CREATE statement); `build_metadata` describes each of them from
monitor.browse.docs, adds the facets, full-text search and sort order of the browsing tables,
the canned queries of storage.queries, the configured sources and topics with their links, and
the licence and attribution notes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from monitor.browse import charts, docs
from monitor.logsafe import mask
from storage import browse as storage_browse
from storage import queries

DB_NAME = "archive"
_COLUMN_LINE = re.compile(r"^\s*\"?(\w+)\"?\s+[A-Za-z].*?--\s*(.+?)\s*$")
_FTS_SHADOW = re.compile(r"_fts_(data|idx|docsize|config|content)$")

LICENSE = (
    "Article texts and headlines © their publishers: archived for private monitoring; "
    "cite and link to the original article"
)
ATTRIBUTION = (
    "Every article links to its original page and names the outlet that published it. "
    "Headlines and texts are copyright of their publishers; the archive keeps them so that "
    "the people monitoring a topic can search what they have already been sent. Do not "
    "republish them: quote briefly and link to the source. DOIs resolve at doi.org, trial "
    "numbers at ClinicalTrials.gov."
)


@dataclass
class TableSchema:
    name: str
    kind: str  # table | view
    columns: list[str]
    comments: dict[str, str] = field(default_factory=dict)


def read_schema(conn: Any) -> dict[str, TableSchema]:
    """Tables and views of the archive (FTS shadow tables left out), in schema order."""
    out: dict[str, TableSchema] = {}
    for name, kind, sql in storage_browse.schema_objects(conn):
        if _FTS_SHADOW.search(name):
            continue
        columns = storage_browse.column_names(conn, name)
        comments = {}
        for line in (sql or "").splitlines():
            m = _COLUMN_LINE.match(line)
            if m and m.group(1) in columns:
                comments[m.group(1)] = m.group(2)
        out[name] = TableSchema(name, kind, columns, comments)
    return out


def open_read_only(path: str | Path) -> Any:
    """A hardened read-only connection that never blocks the daemon (storage.browse)."""
    return storage_browse.open_read_only(path)


def missing_descriptions(schema: Mapping[str, TableSchema]) -> list[str]:
    """`table` and `table.column` names that have no description (empty when complete)."""
    missing = []
    for t in schema.values():
        if not docs.TABLES.get(t.name):
            missing.append(t.name)
        for c in t.columns:
            if not docs.column_description(t.name, c, t.comments.get(c)):
                missing.append(f"{t.name}.{c}")
    return missing


# Facets, search and order for the tables people browse; columns must exist to be used.
_TABLE_OPTIONS: dict[str, dict[str, Any]] = {
    "article_index": {
        "facets": ["source", {"array": "topics"}, "story", "month"],
        "sort_desc": "published",
        "fts_table": "articles_fts",
        "fts_pk": "id",
        "label_column": "title",
    },
    "story_index": {
        # carried_by is an array facet too (?_facet_array=carried_by), but Datasette's array
        # facet deduplicates whole rows: too slow to run on every page of a large archive
        "facets": [{"array": "topics"}, "month"],
        "sort_desc": "first_published",
        "label_column": "title",
    },
    "articles": {
        "facets": ["source", "story_id"],
        "sort_desc": "published",
        "label_column": "title",
        # explicit: Datasette's own detection misses an FTS table declared as content=articles
        "fts_table": "articles_fts",
        "fts_pk": "id",
    },
    "stories": {"sort_desc": "first_seen", "label_column": "title"},
    "sources": {"sort": "name", "label_column": "name"},
    "matches": {"facets": ["topic"], "sort_desc": "matched_at"},
    "story_matches": {"facets": ["topic"], "sort_desc": "first_matched_at"},
    "digests": {"facets": ["channel", "state"], "sort_desc": "created_at"},
    "deliveries": {"facets": ["channel", "state"], "sort_desc": "created_at"},
}


def _facet_column(facet: Any) -> str:
    return facet if isinstance(facet, str) else next(iter(facet.values()))


def _table_metadata(t: TableSchema) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "description": docs.TABLES.get(t.name, ""),
        "columns": {
            c: d for c in t.columns if (d := docs.column_description(t.name, c, t.comments.get(c)))
        },
    }
    if t.name in docs.HIDDEN:
        meta["hidden"] = True
    for key, value in _TABLE_OPTIONS.get(t.name, {}).items():
        if key == "facets":
            value = [f for f in value if _facet_column(f) in t.columns]
        elif key in ("sort", "sort_desc", "label_column", "fts_pk") and value not in t.columns:
            continue
        meta[key] = value
    return meta


def _site(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/" if parts.scheme and parts.netloc else url


def _sources_html(sources: Iterable[Mapping[str, Any]]) -> str:
    items = []
    for s in sources:
        url = str(s["url"])
        status = "" if s.get("enabled", True) else " (disabled)"
        items.append(
            f'<li><a href="/{DB_NAME}/article_index?source={escape(_q(s["name"]))}">'
            f"{escape(str(s['name']))}</a>{status} — "
            f'<a href="{escape(_site(url))}" rel="noopener">{escape(_site(url))}</a> · '
            f'<a href="{escape(url)}" rel="noopener">feed</a></li>'
        )
    return '<ul class="monitor-sources">' + "".join(items) + "</ul>" if items else ""


def _q(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def _topics_html(topics: Iterable[Any]) -> str:
    items = [
        f'<li><a href="/{DB_NAME}/latest_matches_per_topic?topic={escape(_q(t.name))}">'
        f"{escape(t.name)}</a>: <code>{escape(t.query)}</code>"
        + (f" — {escape(t.description)}" if t.description else "")
        + "</li>"
        for t in topics
    ]
    return "<ul>" + "".join(items) + "</ul>" if items else ""


def _front_html(sources_html: str, topics_html: str) -> str:
    search = (
        f'<form class="monitor-search" action="/{DB_NAME}/article_index" method="get">'
        '<input type="search" name="_search" placeholder="Search article texts, e.g. '
        'pembrolizumab liver" aria-label="Search articles">'
        '<input type="submit" value="Search"></form>'
    )
    links = (
        "<p>"
        f'<a href="/{DB_NAME}/article_index">Articles</a> by source, topic, story and month · '
        f'<a href="/{DB_NAME}/story_index">Stories</a> · '
        f'<a href="/{DB_NAME}/latest_matches_per_topic">Latest matches</a> · '
        f'<a href="/{DB_NAME}/stories_most_outlets">Most-carried stories</a> · '
        f'<a href="/{DB_NAME}/source_health">Source health</a> · '
        f'<a href="/{DB_NAME}/delivery_log">Delivery log</a> · '
        f'<a href="/{DB_NAME}/articles_with_identifier">DOIs and NCT numbers</a> · '
        f'<a href="/-/dashboards/{charts.DASHBOARD}">Charts</a>: topics per week, how a story '
        "spread, sources by articles and failures"
        "</p>"
    )
    parts = [search, links]
    if topics_html:
        parts.append("<h3>Topics</h3>" + topics_html)
    if sources_html:
        parts.append("<h3>Sources</h3>" + sources_html)
    parts.append(f'<p class="monitor-attribution">{escape(ATTRIBUTION)}</p>')
    return "".join(parts)


def build_metadata(
    schema: Mapping[str, TableSchema],
    *,
    sources: Iterable[Mapping[str, Any]] = (),
    topics: Iterable[Any] = (),
    overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The Datasette metadata dict for the archive served as database `archive`.

    `sources` are mappings with name, url and enabled (config first, then any only in the
    archive); `topics` are TopicConfig-like objects (name, query, description); `overrides`
    (from `monitor browse --metadata FILE`) is merged on top, key by key.
    """
    front = _front_html(_sources_html(sources), _topics_html(topics))
    meta: dict[str, Any] = {
        "title": "monitor: the news archive",
        "description_html": (
            "<p>Medical news collected by <strong>monitor</strong>: every article fetched "
            "from the configured feeds, grouped into stories and matched against topics.</p>"
            + front
        ),
        "license": LICENSE,
        "source": "the configured feeds (see Sources)",
        "source_url": f"/{DB_NAME}/source_health",
        "about": "monitor — medical news monitoring",
        "databases": {
            DB_NAME: {
                "description_html": (
                    "<p>The archive, read-only. Search and facet articles in "
                    f'<a href="/{DB_NAME}/article_index">article_index</a>, stories in '
                    f'<a href="/{DB_NAME}/story_index">story_index</a>, or run one of the '
                    "queries below.</p>" + front
                ),
                "tables": {name: _table_metadata(t) for name, t in schema.items()},
                "queries": {
                    name: {
                        "sql": q["sql"].strip(),
                        "title": q["title"],
                        "description": q["description"],
                        "params": list(q["params"]),
                        "hide_sql": True,
                    }
                    for name, q in queries.CANNED.items()
                },
            }
        },
        "plugins": charts.plugin_config(DB_NAME),
    }
    if overrides:
        _merge(meta, overrides)
    return meta


def _merge(base: dict, extra: Mapping[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value


def sources_for(config: Any, conn: Any | None) -> list[dict[str, Any]]:
    """Configured sources, then any the archive knows that the config no longer lists."""
    # the configured address is masked: credentials live only in the configuration
    out = [{"name": s.name, "url": mask(s.url), "enabled": s.enabled} for s in config.sources]
    if conn is not None:
        named = {s["name"] for s in out}
        for name, url, enabled, _status in storage_browse.archived_sources(conn):
            if name not in named:
                out.append({"name": name, "url": mask(url), "enabled": bool(enabled)})
    return out
