"""What every table, view and column of the archive means: the one place this prose lives.

The browse metadata is built from the live schema (the tables and columns the archive really
has) and these descriptions; a column with no entry here falls back to the `-- comment` next
to it in the schema's CREATE statement. tests/test_browse.py checks that every table and
column of a freshly migrated archive is described, so a schema change without a description
fails the tests.
"""

from __future__ import annotations

TABLES: dict[str, str] = {
    "sources": "The feeds being polled, one row per [[sources]] entry, with their health.",
    "articles": (
        "One row per article page, however many feeds list it: the extracted text without the "
        "site's boilerplate, its metadata and study identifiers, and the story it belongs to."
    ),
    "article_sources": "Every feed that listed an article (a press release is often relisted).",
    "stories": (
        "A story groups the copies of one piece of news published by different outlets; the "
        "canonical copy is the one digests link to."
    ),
    "matches": "Which topic matched which article, with the score and the evidence.",
    "story_matches": "Topic matches rolled up per story: what the digests select from.",
    "topic_definitions": (
        "What each topic's stored matches were made with: a hash of its query, min_score, "
        "synonym sets and matcher version; a topic that changes is re-matched over the archive."
    ),
    "channels": "Where digests go (email, Slack, webhook, Apprise), as configured in [[channels]].",
    "digests": "Every digest built for a channel, with its delivery state and payload.",
    "deliveries": "The ledger: one row per channel and story, so nothing is sent twice.",
    "delivery_parts": (
        "The ledger per recipient and message part: what each email recipient, Slack message "
        "part, webhook or Apprise URL accepted, so a partial failure is retried for that "
        "part only."
    ),
    "delivered_articles": (
        "The article each channel was sent as a story's headline: when a story splits, the "
        "part holding it counts as received, the other part is sent as itself."
    ),
    "unsettled": (
        "Articles a poll has stored but not yet grouped together with the rest of its batch: "
        "digests leave their stories out until then (an hour at most)."
    ),
    "page_retries": (
        "Article pages that could not be fetched yet: when each is tried again, how many "
        "tries failed and why. A row goes when its page arrives."
    ),
    "articles_fts": "Full-text index (FTS5, porter stemming) over article titles and texts.",
    "story_vocab": "The story stage's vocabulary: each feature's kind and document frequency.",
    "story_meta": "The story stage's counters (documents: articles counted in story_vocab.df).",
    "story_docs": "The story stage's compact fingerprint and story of each article.",
    "story_postings": "Inverted index of the story stage: each article's distinctive terms.",
    "story_pending": (
        "Articles the story stage has indexed but not yet counted in story_vocab.df (counted "
        "in batches; a reader adds their terms to the stored counts)."
    ),
    "site_templates": "Per site: pages the extractor learnt its template from.",
    "site_template_keys": "Per site: block keys (hashes, no text) and on how many pages each appeared.",
    "article_index": (
        "Articles for browsing: month, story and topics alongside each article, for search "
        "and facets (a view over articles, stories and story_matches)."
    ),
    "story_index": (
        "Live stories for browsing: month, copies, how many outlets carried them, topics "
        "(a view; stories merged into another are left out)."
    ),
}

# Columns that mean the same thing wherever they appear.
_COMMON: dict[str, str] = {
    "id": "Row id.",
    "title": "Headline.",
    "source": "Name of the source (feed) as configured in sources.toml.",
    "published": "Publication time given by the feed or the page (UTC, ISO 8601).",
    "story_id": "The story this belongs to (stories.id).",
    "article_id": "The article (articles.id).",
    "topic": "Name of the topic, as configured in [[topics]].",
    "score": "Match score: higher means more and stronger evidence.",
    "snippet": "The words of the text that satisfied the topic query.",
    "channel": "Name of the channel, as configured in [[channels]].",
    "state": (
        "pending (written before sending, or to be retried), sent, failed (permanent error),"
        " or for a digest partial (sent to some recipients, failed for good for others)."
    ),
    "attempts": "How many times sending was tried.",
    "last_error": "The last error message, if any.",
    "created_at": "When the row was created (UTC).",
    "sent_at": "When the delivery was accepted by the channel (UTC).",
    "month": "Year and month (YYYY-MM) of publication, or of fetching if undated.",
    "topics": "JSON list of the topics that matched the story.",
    "copies": "Number of archived articles in the story.",
    "canonical_url": "The page's own address, without tracking parameters.",
    "fetched_at": "When the page was fetched (UTC).",
    "doi": "JSON list of DOIs cited by the article.",
    "nct": "JSON list of ClinicalTrials.gov numbers (NCT...) cited by the article.",
    "journal": "Journal the reported study appeared in, when the page names it.",
    "language": "Language of the text (ISO 639-1), when known.",
}

COLUMNS: dict[str, dict[str, str]] = {
    "sources": {
        "name": "Name of the source, unique (from sources.toml).",
        "url": "Current feed address (follows permanent redirects).",
        "configured_url": "Feed address as written in sources.toml.",
        "enabled": "1 if the source is polled; 0 if disabled in the config or after failing.",
        "tags": "JSON list of tags from the config.",
        "etag": "ETag of the last feed response, sent back as If-None-Match.",
        "last_modified": "Last-Modified of the last feed response, sent back as If-Modified-Since.",
        "last_poll_at": "When the feed was last polled (UTC).",
        "last_status": "Result of the last poll: ok, not-modified, error or disabled.",
        "last_success_at": "When the feed was last fetched successfully (UTC).",
        "consecutive_failures": "Failed polls in a row; reset by a success.",
        "first_failure_at": "When the current run of failures began (UTC).",
        "last_error": "Why the last poll failed.",
        "next_poll_at": "When the feed is due next (UTC), after backoff.",
        "disabled_reason": "Why the source was disabled automatically.",
        "created_at": "When the source first appeared in the archive (UTC).",
    },
    "articles": {
        "key": "Identity of the feed entry (guid, canonical URL or content hash).",
        "url": "The link as the feed gave it.",
        "source": "The first source (feed) that listed the article.",
        "text": "The article text extracted from the page, paragraphs separated by blank lines.",
        "authors": "JSON list of author names.",
        "lead_image": "Address of the article's main image, if any.",
        "pmid": "JSON list of PubMed ids cited by the article.",
        "extract_note": "Why extraction fell back (feed summary kept, page not fetched, ...).",
        "story_score": "How strongly the article matched the story it joined (0 to 1).",
        "story_reason": "The evidence that joined the article to its story, in words.",
        "canonical_rank": "JSON sort key choosing the canonical copy: lower is better.",
    },
    "article_sources": {
        "url": "The link as this feed gave it.",
        "seen_at": "When this feed first listed the article (UTC).",
    },
    "stories": {
        "canonical_article_id": "The copy digests link to: the most original, fullest one.",
        "title": "Headline of the canonical copy.",
        "first_seen": "When the first copy was fetched (UTC).",
        "updated_at": "When a copy last joined or the story last changed (UTC).",
        "merged_into": "Set when two stories were found to be one: the story that absorbed it.",
    },
    "matches": {
        "explanation": "How the topic query matched, clause by clause.",
        "matched_at": "When the match was recorded (UTC).",
    },
    "topic_definitions": {
        "topic": "Topic name (from sources.toml).",
        "definition": "Hash of the query, min_score, synonym sets and matcher version.",
        "through_article_id": "The last article id matched with this definition.",
        "applied_at": "When the archive was last re-matched for the topic (UTC).",
    },
    "story_matches": {
        "score": "Best score among the story's copies.",
        "first_matched_at": "When a copy of the story first matched the topic (UTC).",
    },
    "channels": {
        "name": "Name of the channel (from sources.toml).",
        "type": "email, slack, webhook or apprise.",
        "last_run_at": "Last scheduled or manual run of the channel (UTC).",
        "last_success_at": "Last digest accepted by the channel (UTC).",
    },
    "digests": {
        "id": "Digest id; also the local part of the email Message-ID.",
        "next_attempt_at": "When a pending digest is retried (UTC).",
        "stories": "Number of stories in the digest.",
        "payload": "The digest as JSON, so a retry sends exactly the same thing.",
    },
    "deliveries": {
        "digest_id": "The digest that carried the story (digests.id).",
    },
    "delivery_parts": {
        "digest_id": "The digest this part belongs to (digests.id).",
        "target": (
            "The recipient: an email address, slack, webhook, or 'url N (scheme)' for an "
            "Apprise URL (never the URL itself: it may hold a token); * for digests sent "
            "before per-recipient records."
        ),
        "part": "Which message part (1-based); a long Slack digest is split into parts.",
        "parts": "How many message parts the digest has for this recipient.",
        "story_ids": "JSON list of the stories this part carries (empty: all of the digest's).",
        "payload": "The message as first rendered (Slack), so a resend is the same message.",
        "next_attempt_at": "When a pending part is tried again (UTC).",
    },
    "delivered_articles": {
        "channel": "The channel (channels.name).",
        "article_id": "The article shown as a story's headline (articles.id).",
        "digest_id": "The digest that showed it (digests.id).",
    },
    "unsettled": {
        "article_id": "The article stored by a poll still in progress (articles.id).",
        "since": "When it was stored (UTC); after an hour it no longer holds its story back.",
    },
    "page_retries": {
        "article_id": "The article whose page is retried (articles.id).",
        "url": "The page address, as the feed gave it.",
        "source": "The feed that listed it (sources.name).",
        "attempts": "Failed fetches so far, the first one included.",
        "next_attempt_at": "When the page is tried again (UTC); empty: given up.",
        "last_error": "Why the last try failed.",
        "created_at": "When the first try failed (UTC).",
    },
    "articles_fts": {
        "title": "Indexed headline.",
        "text": "Indexed article text.",
    },
    "story_vocab": {
        "id": "Vocabulary id (used in story_docs.fp and story_postings.term).",
        "hash": "64-bit hash of the feature's text (a word stem, a name, a number with unit).",
        "kind": "0 body word, 1 title word.",
        "df": "Number of indexed articles that hold the feature.",
    },
    "story_meta": {
        "key": "Name of the counter (documents; rebuilt: times the index was rebuilt).",
        "value": "Its value.",
    },
    "story_docs": {
        "article_id": "The article (articles.id).",
        "story_id": "The article's story (stories.id).",
        "published": "Publication time of the article (Unix seconds), if known.",
        "placed": "Publication or fetch time (Unix seconds): places it in the candidate window.",
        "fp": "The fingerprint the decision reads (binary: term ids and counts, identifiers).",
    },
    "story_postings": {
        "term": "A distinctive term of the article (story_vocab.id).",
        "day": "The UTC day the article is placed on (days since 1970-01-01).",
        "article_id": "The article (articles.id).",
    },
    "story_pending": {
        "article_id": "The article (articles.id) whose terms are still to be counted.",
    },
    "site_templates": {
        "site": "The site (host without www.).",
        "pages": "Pages of the site learnt from.",
        "recent": "Ids of the last pages learnt (JSON), so a page counts once.",
    },
    "site_template_keys": {
        "site": "The site (site_templates.site).",
        "key": "64-bit hash of a block's normalised text, or of its place and first words.",
        "pages": "Pages of the site that showed the block.",
        "last_page": "Number of the last such page (site_templates.pages at the time).",
    },
    "article_index": {
        "id": "The article (articles.id).",
        "story": "The story's id and the start of its headline, for faceting.",
        "story_copies": "Number of archived copies in the article's story.",
    },
    "story_index": {
        "id": "The story (stories.id).",
        "first_published": "Earliest publication time among the copies (UTC).",
        "first_seen": "When the first copy was fetched (UTC).",
        "outlets": "Number of different sources that carried a copy.",
        "carried_by": "JSON list of the sources that carried a copy.",
        "best_score": "Best topic score of the story.",
        "canonical_article_id": "The canonical copy (articles.id).",
        "url": "Address of the canonical copy.",
    },
}

# Internal tables hidden from the database page (still reachable by URL and SQL).
HIDDEN = {
    "story_vocab",
    "story_meta",
    "story_docs",
    "story_postings",
    "story_pending",
    "site_templates",
    "site_template_keys",
}


def column_description(table: str, column: str, schema_comment: str | None = None) -> str | None:
    """The description of `table.column`: this module first, then the schema's own comment."""
    return COLUMNS.get(table, {}).get(column) or _COMMON.get(column) or schema_comment
