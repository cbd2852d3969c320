"""The read-only SQL behind browsing the archive: Datasette's canned queries and page lookups.

`CANNED` maps a query name to ``{"sql", "title", "description", "params"}``; the browse package
turns it into Datasette metadata, so the SQL lives here with the rest of the storage layer.
Every query reads only: a blank parameter means "no filter" (Datasette sends missing parameters
as empty strings), so each query is useful straight from its link without filling in a form.

The queries use the tables of migration 1 directly (not the browse views), so they also work
on an archive written by an older monitor.
"""

from __future__ import annotations

from typing import TypedDict


class CannedQuery(TypedDict):
    sql: str
    title: str
    description: str
    params: list[str]


# Follows `merged_into` from the story a user asked for to the story that absorbed it.
_LIVE_STORY = """
WITH RECURSIVE chain(id, merged_into, depth) AS (
    SELECT id, merged_into, 0 FROM stories WHERE id = CAST(:story_id AS INTEGER)
    UNION ALL
    SELECT s.id, s.merged_into, c.depth + 1
    FROM stories s JOIN chain c ON s.id = c.merged_into
    WHERE c.depth < 50
),
live AS (SELECT id FROM chain WHERE merged_into IS NULL LIMIT 1)
"""

LATEST_MATCHES_PER_TOPIC = """
WITH ranked AS (
    SELECT sm.topic, sm.story_id, sm.score, sm.snippet, sm.first_matched_at,
           row_number() OVER (
               PARTITION BY sm.topic ORDER BY sm.first_matched_at DESC, sm.story_id DESC
           ) AS rank
    FROM story_matches sm JOIN stories s ON s.id = sm.story_id
    WHERE s.merged_into IS NULL AND (:topic = '' OR sm.topic = :topic)
)
SELECT r.topic, r.rank, r.first_matched_at AS matched_at, r.story_id, s.title,
       a.source, a.published, s.copies, r.score, r.snippet, a.canonical_url AS url
FROM ranked r
JOIN stories s ON s.id = r.story_id
LEFT JOIN articles a ON a.id = s.canonical_article_id
WHERE r.rank <= coalesce(CAST(nullif(:per_topic, '') AS INTEGER), 10)
ORDER BY r.topic, r.rank
"""

STORIES_MOST_OUTLETS = """
SELECT s.id AS story_id, s.title,
       count(DISTINCT x.source) AS outlets,
       count(DISTINCT a.id) AS copies,
       json_group_array(DISTINCT x.source) AS carried_by,
       min(coalesce(a.published, a.fetched_at)) AS first_published,
       s.first_seen,
       (SELECT json_group_array(topic) FROM story_matches WHERE story_id = s.id) AS topics
FROM stories s
JOIN articles a ON a.story_id = s.id
JOIN article_sources x ON x.article_id = a.id
WHERE s.merged_into IS NULL
  AND (:since = '' OR coalesce(a.published, a.fetched_at) >= :since)
GROUP BY s.id
ORDER BY outlets DESC, copies DESC, first_published DESC
LIMIT 200
"""

STORY_COPIES = (
    _LIVE_STORY
    + """
SELECT a.id AS article_id, a.story_id,
       CASE WHEN a.id = s.canonical_article_id THEN 'canonical' ELSE 'copy' END AS role,
       a.source,
       (SELECT json_group_array(source) FROM article_sources WHERE article_id = a.id)
           AS listed_by,
       a.title, a.published, a.journal, a.doi, a.nct,
       a.story_score, a.story_reason,
       length(a.text) AS text_chars,
       substr(a.text, 1, 500) AS opening,
       a.canonical_url AS url
FROM articles a JOIN stories s ON s.id = a.story_id
WHERE a.story_id = (SELECT id FROM live)
ORDER BY a.id = s.canonical_article_id DESC, a.canonical_rank, a.id
"""
)

SOURCE_HEALTH = """
WITH listed AS (  -- one pass over article_sources, not one per source
    SELECT source, count(*) AS articles, max(seen_at) AS last_article_at
    FROM article_sources GROUP BY source
)
SELECT s.name,
       CASE
           WHEN s.enabled = 0 THEN 'disabled'
           WHEN s.consecutive_failures > 0 OR s.last_status = 'error' THEN 'failing'
           WHEN s.last_poll_at IS NULL THEN 'not polled yet'
           ELSE 'ok'
       END AS health,
       s.last_status, s.last_poll_at, s.last_success_at,
       s.consecutive_failures AS failures, s.first_failure_at AS failing_since,
       s.last_error, s.next_poll_at, s.disabled_reason,
       coalesce(l.articles, 0) AS articles, l.last_article_at,
       s.url AS feed
FROM sources s LEFT JOIN listed l ON l.source = s.name
ORDER BY CASE
             WHEN s.enabled = 0 THEN 1
             WHEN s.consecutive_failures > 0 OR s.last_status = 'error' THEN 0
             ELSE 2
         END,
         s.consecutive_failures DESC, s.name
"""

DELIVERY_LOG = """
SELECT d.created_at, d.channel, c.type AS channel_type, d.state, d.stories, d.attempts,
       d.sent_at, d.next_attempt_at, d.last_error, d.id AS digest_id,
       (SELECT json_group_array(story_id) FROM deliveries WHERE digest_id = d.id) AS story_ids,
       (SELECT json_group_array(p.target
                                || CASE WHEN p.parts > 1 THEN ' part ' || p.part || '/' || p.parts
                                        ELSE '' END
                                || ': ' || p.state
                                || CASE WHEN p.state != 'sent' AND p.last_error IS NOT NULL
                                        THEN ' (' || p.last_error || ')' ELSE '' END)
        FROM delivery_parts p WHERE p.digest_id = d.id) AS recipients
FROM digests d LEFT JOIN channels c ON c.name = d.channel
WHERE (:channel = '' OR d.channel = :channel) AND (:state = '' OR d.state = :state)
ORDER BY d.created_at DESC, d.id DESC
LIMIT 500
"""

ARTICLES_WITH_IDENTIFIER = """
WITH q AS (
    SELECT lower(trim(replace(replace(replace(replace(trim(:identifier),
               'https://doi.org/', ''), 'http://doi.org/', ''), 'https://dx.doi.org/', ''),
               'doi:', ''))) AS ident
)
SELECT a.id AS article_id, a.source, a.title, a.published, a.doi, a.nct, a.pmid, a.journal,
       a.story_id, a.canonical_url AS url
FROM articles a, q
WHERE CASE
    WHEN q.ident = '' THEN
        json_array_length(coalesce(nullif(a.doi, ''), '[]')) > 0
        OR json_array_length(coalesce(nullif(a.nct, ''), '[]')) > 0
    ELSE
        EXISTS (SELECT 1 FROM json_each(coalesce(nullif(a.doi, ''), '[]')) j
                WHERE lower(j.value) = q.ident)
        OR EXISTS (SELECT 1 FROM json_each(coalesce(nullif(a.nct, ''), '[]')) j
                   WHERE lower(j.value) = q.ident)
        OR instr(lower(coalesce(a.text, '')), q.ident) > 0
        OR instr(lower(coalesce(a.title, '')), q.ident) > 0
    END
ORDER BY coalesce(a.published, a.fetched_at) DESC, a.id DESC
LIMIT 500
"""

CANNED: dict[str, CannedQuery] = {
    "latest_matches_per_topic": {
        "sql": LATEST_MATCHES_PER_TOPIC,
        "title": "Latest matches per topic",
        "description": (
            "The most recent stories matched by each topic, newest first (one row per story, "
            "shown through its canonical copy). Leave topic blank for every topic; per_topic "
            "defaults to 10."
        ),
        "params": ["topic", "per_topic"],
    },
    "stories_most_outlets": {
        "sql": STORIES_MOST_OUTLETS,
        "title": "Stories carried by the most outlets",
        "description": (
            "Stories ordered by how many different sources carried a copy (a feed listing an "
            "article counts as carrying it). since: only copies published on or after this "
            "date (2026-03-01), blank for all time."
        ),
        "params": ["since"],
    },
    "story_copies": {
        "sql": STORY_COPIES,
        "title": "One story, all its copies side by side",
        "description": (
            "Every archived copy of one story: the canonical copy first, then the others with "
            "the evidence that joined them to the story. A story merged into another is "
            "followed to the surviving one."
        ),
        "params": ["story_id"],
    },
    "source_health": {
        "sql": SOURCE_HEALTH,
        "title": "Source health",
        "description": (
            "Every configured source, failing ones first: last poll and success, consecutive "
            "failures and since when, the last error, next poll, articles listed."
        ),
        "params": [],
    },
    "delivery_log": {
        "sql": DELIVERY_LOG,
        "title": "Delivery log",
        "description": (
            "Digests sent or attempted per channel, newest first: state (pending, sent, "
            "partial, failed), attempts, last error, the stories each carried, and each "
            "recipient or message part with its own state. Filter by channel or state, or "
            "leave blank."
        ),
        "params": ["channel", "state"],
    },
    "articles_with_identifier": {
        "sql": ARTICLES_WITH_IDENTIFIER,
        "title": "Articles mentioning a DOI or NCT number",
        "description": (
            "Articles citing a study identifier: a DOI (10.1038/..., with or without "
            "https://doi.org/) or a ClinicalTrials.gov number (NCT01234567), found in the "
            "extracted identifiers or the text. Leave blank to list every article that cites "
            "any DOI or NCT number."
        ),
        "params": ["identifier"],
    },
}

# Page lookups used by the browse plugin's templates (not listed as canned queries).

# The copies of an article's story, for the "other copies" panel of the article page.
ARTICLE_STORY_COPIES = """
SELECT a.id, a.source, a.title, a.published, a.canonical_url,
       a.id = s.canonical_article_id AS canonical, a.story_score, a.story_reason
FROM articles a JOIN stories s ON s.id = a.story_id
WHERE a.story_id = (SELECT story_id FROM articles WHERE id = :article_id)
ORDER BY a.id = s.canonical_article_id DESC, a.canonical_rank, a.id
"""

# Everything the article page shows besides the row itself.
ARTICLE_CONTEXT = """
SELECT s.id AS story_id, s.title AS story_title, s.copies, s.merged_into,
       (SELECT json_group_array(source) FROM article_sources WHERE article_id = a.id)
           AS listed_by,
       (SELECT json_group_array(json_object('topic', topic, 'score', score,
                                            'snippet', snippet))
        FROM matches WHERE article_id = a.id) AS matches
FROM articles a LEFT JOIN stories s ON s.id = a.story_id
WHERE a.id = :article_id
"""

# The story page: every copy with its full text, the canonical copy first.
STORY_PAGE_COPIES = """
SELECT a.id, a.source, a.title, a.published, a.canonical_url, a.text, a.journal, a.doi,
       a.nct, a.id = s.canonical_article_id AS canonical, a.story_score, a.story_reason,
       (SELECT json_group_array(source) FROM article_sources WHERE article_id = a.id)
           AS listed_by
FROM articles a JOIN stories s ON s.id = a.story_id
WHERE a.story_id = :story_id
ORDER BY a.id = s.canonical_article_id DESC, a.canonical_rank, a.id
"""

STORY_TOPICS = """
SELECT topic, score, snippet, first_matched_at FROM story_matches
WHERE story_id = :story_id ORDER BY score DESC, topic
"""

# The sources shown on the archive's front page (names and links).
SOURCE_LIST = "SELECT name, url, enabled, last_status FROM sources ORDER BY name"

SCHEMA_VERSION = "PRAGMA user_version"

# The views browsing needs (schema step "browse views" in storage/migrations.py).
BROWSE_VIEWS = ("article_index", "story_index")
BROWSE_VIEWS_PRESENT = "SELECT name FROM sqlite_master WHERE type = 'view' AND name IN ('article_index', 'story_index')"

# The live story with the most copies, and its canonical article (benchmarks, examples).
BIGGEST_STORY = """
SELECT s.id, s.canonical_article_id FROM stories s
WHERE s.merged_into IS NULL ORDER BY s.copies DESC, s.id LIMIT 1
"""

# ------------------------------------------------------------------------------ charts
# The data behind the charts of `monitor browse` (monitor/browse/charts.py turns them into
# datasette-dashboards charts; the browser fetches each through Datasette's read-only JSON API,
# so they run under the same connection and time limit as any other query). Like the canned
# queries, a blank parameter means its default. Every row count is bounded.

# The topics offered in the charts' topic filter.
CHART_TOPICS = "SELECT DISTINCT topic FROM story_matches ORDER BY topic LIMIT 500"

# Matching stories per week for each topic, a row per topic and week with zeros filled in, over
# the :weeks (26, at most 260) weeks ending with the current one. A story counts in the week
# (Monday to Sunday, UTC) of its earliest copy's publication (fetch time when undated); merged
# stories count once, through the story that absorbed them.
TOPIC_WEEKLY_STORIES = """
WITH RECURSIVE
span(n) AS (
    SELECT min(max(coalesce(CAST(nullif(:weeks, '') AS INTEGER), 26), 1), 260)
),
weeks(week, i) AS (
    SELECT date('now', '-6 days', 'weekday 1'), 1
    UNION ALL
    SELECT date(week, '-7 days'), i + 1 FROM weeks, span WHERE i < span.n
),
topics AS (
    SELECT DISTINCT topic FROM story_matches WHERE :topic = '' OR topic = :topic
),
story_week AS (
    SELECT sm.topic,
           date(coalesce(
               (SELECT min(coalesce(a.published, a.fetched_at)) FROM articles a
                WHERE a.story_id = sm.story_id),
               s.first_seen
           ), '-6 days', 'weekday 1') AS week
    FROM story_matches sm JOIN stories s ON s.id = sm.story_id
    WHERE s.merged_into IS NULL AND (:topic = '' OR sm.topic = :topic)
      -- only stories first fetched in the period (or 4 weeks before: a copy dated later than
      -- it was fetched): the cost follows the period, not the archive's age
      AND s.first_seen >= (SELECT date(min(week), '-28 days') FROM weeks)
),
counted AS (
    SELECT topic, week, count(*) AS stories FROM story_week GROUP BY topic, week
)
SELECT t.topic, w.week, coalesce(c.stories, 0) AS stories
FROM topics t CROSS JOIN weeks w
LEFT JOIN counted c ON c.topic = t.topic AND c.week = w.week
ORDER BY w.week, t.topic
LIMIT 5000
"""

# One story's copies on a time line by outlet: a row per (copy, feed that listed it). The
# outlet that published a copy is placed at its publication time; another feed listing the
# same copy (an aggregator) at the time it was seen there. :story_id blank means the live story
# carried by the most outlets; a merged story is followed to the story that absorbed it.
STORY_SPREAD = """
WITH RECURSIVE
wanted(id) AS (
    SELECT coalesce(
        CAST(nullif(trim(:story_id), '') AS INTEGER),
        (SELECT a.story_id FROM articles a
         JOIN stories s ON s.id = a.story_id AND s.merged_into IS NULL
         JOIN article_sources x ON x.article_id = a.id
         GROUP BY a.story_id ORDER BY count(DISTINCT x.source) DESC, a.story_id DESC LIMIT 1)
    )
),
chain(id, merged_into, depth) AS (
    SELECT s.id, s.merged_into, 0 FROM stories s, wanted WHERE s.id = wanted.id
    UNION ALL
    SELECT s.id, s.merged_into, c.depth + 1
    FROM stories s JOIN chain c ON s.id = c.merged_into
    WHERE c.depth < 50
),
live AS (SELECT id FROM chain WHERE merged_into IS NULL LIMIT 1)
SELECT x.source AS outlet,
       CASE WHEN x.source = a.source THEN 'published' ELSE 'listed by another feed' END
           AS event,
       CASE WHEN x.source = a.source THEN coalesce(a.published, x.seen_at) ELSE x.seen_at END
           AS at,
       a.id AS article_id,
       a.source AS publisher,
       a.title,
       CASE WHEN a.id = s.canonical_article_id THEN 'canonical copy' ELSE 'copy' END AS role,
       s.id AS story_id,
       s.title AS story
FROM articles a
JOIN stories s ON s.id = a.story_id
JOIN article_sources x ON x.article_id = a.id
WHERE a.story_id = (SELECT id FROM live)
ORDER BY at, outlet
LIMIT 1000
"""

# Sources by articles and failures: articles listed in the :weeks (26) weeks up to now, the
# current run of failed polls and the health that source_health shows. Failing sources come
# first, then the busiest; at most :limit (40, at most 200) sources.
SOURCE_ACTIVITY = """
WITH listed AS (
    SELECT source, count(*) AS articles FROM article_sources
    WHERE seen_at >= datetime('now', '-' || (
        min(max(coalesce(CAST(nullif(:weeks, '') AS INTEGER), 26), 1), 260) * 7) || ' days')
    GROUP BY source
),
rows AS (
    SELECT s.name AS source,
           coalesce(l.articles, 0) AS articles,
           s.consecutive_failures AS failures,
           s.first_failure_at AS failing_since,
           s.last_success_at,
           CASE
               WHEN s.enabled = 0 THEN 'disabled'
               WHEN s.consecutive_failures > 0 OR s.last_status = 'error' THEN 'failing'
               WHEN s.last_poll_at IS NULL THEN 'not polled yet'
               ELSE 'ok'
           END AS health
    FROM sources s LEFT JOIN listed l ON l.source = s.name
)
SELECT * FROM rows
ORDER BY health = 'failing' DESC, articles DESC, failures DESC, source
LIMIT min(max(coalesce(CAST(nullif(:limit, '') AS INTEGER), 40), 1), 200)
"""
