"""The one place where the stages meet.

    poll(source): fetch feed -> parse feed -> for each new entry: fetch page -> extract
                  -> group into a story -> match topics -> store (one transaction per article)

Every other module knows only its own stage. The source's validators and health are saved
only after all of its new articles are stored, so a crash mid-poll means the next poll sees
the same entries again (and the archive's uniqueness on the entry key keeps them single).
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from monitor import extract, feeds, grouping, health, topics
from monitor.config import Config, SourceConfig
from monitor.fetch import Fetcher, FetchError, FetchSettings, Validators
from monitor.model import Article, ArticleRecord, Entry, Match
from monitor.urls import hide_credentials, prefer_canonical
from storage.archive import Archive, parse_time

log = logging.getLogger("monitor.pipeline")

Clock = Callable[[], datetime]
Progress = Callable[[str, dict], None]


# C0/C1 control characters (not tab or newline) and bidi overrides: a page or feed can carry
# them, and they would reach terminals (`monitor stories`), digests and Slack unchanged
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]")


def clean_text(value: str | None) -> str | None:
    """Drop control characters and bidi overrides from text that came from the web."""
    return _CONTROL.sub("", value) if value else value


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Analysis:
    prepared: grouping.Prepared
    matches: list[Match]


@dataclass
class PollResult:
    source: str
    url: str
    status: str  # ok | not-modified | error | disabled
    entries: int = 0
    new_articles: int = 0
    page_errors: int = 0
    error: str | None = None
    warning: str | None = None
    duration: float = 0.0
    article_ids: list[int] = field(default_factory=list)


def fetch_settings(config: Config) -> FetchSettings:
    f = config.fetch
    ua = f.user_agent + (f" (+{f.contact_url})" if f.contact_url else "")
    return FetchSettings(
        user_agent=ua,
        connect_timeout=f.connect_timeout,
        read_timeout=f.read_timeout,
        total_timeout=f.total_timeout,
        max_feed_bytes=f.max_feed_bytes,
        max_page_bytes=f.max_page_bytes,
        max_redirects=f.max_redirects,
        allow_private=f.allow_private,
        per_host_concurrency=f.per_host_concurrency,
        per_host_delay=f.per_host_delay,
        respect_robots=f.respect_robots,
        ca_file=str(f.ca_file) if f.ca_file else None,
    )


def compile_topics(config: Config) -> topics.Matcher:
    specs = [topics.TopicSpec(t.name, t.query, t.min_score) for t in config.topics]
    return topics.compile_topics(specs, config.synonyms)


class Pipeline:
    """Polls sources into an archive. One instance per process; not shared across threads."""

    def __init__(
        self,
        config: Config,
        archive: Archive,
        *,
        matcher: topics.Matcher | None = None,
        clock: Clock = utcnow,
        progress: Progress | None = None,
        page_concurrency: int = 8,
    ):
        self.config = config
        self.archive = archive
        self.story_step = grouping.StoryStep(
            archive,
            config.stories.window_days,
            {s.name: s.kind for s in config.sources},
        )
        self.matcher = matcher or compile_topics(config)
        self.clock = clock
        self.progress = progress or (lambda event, info: None)
        self._limits = (page_concurrency, config.fetch.concurrent_sources)
        self._slots: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore, asyncio.Semaphore] | None
        self._slots = None
        # one thread: the topic matcher keeps a word cache and is not thread-safe
        self._analysis_thread = ThreadPoolExecutor(1, thread_name_prefix="monitor-analysis")
        archive.sync_sources(config.sources, clock())

    async def poll_all(
        self, sources: Sequence[SourceConfig] | None = None, fetcher: Fetcher | None = None
    ) -> list[PollResult]:
        sources = [s for s in (sources or self.config.sources) if s.enabled]
        if fetcher is None:
            async with Fetcher(fetch_settings(self.config)) as f:
                return await self.poll_all(sources, f)
        return list(await asyncio.gather(*(self.poll(s, fetcher) for s in sources)))

    def _semaphores(self) -> tuple[asyncio.Semaphore, asyncio.Semaphore]:
        """(pages, sources) limits of the running event loop: a semaphore belongs to one loop,
        and a Pipeline may serve several (each `asyncio.run` of a library user makes one)."""
        loop = asyncio.get_running_loop()
        if self._slots is None or self._slots[0] is not loop:
            pages, sources = self._limits
            self._slots = (loop, asyncio.Semaphore(pages), asyncio.Semaphore(sources))
        return self._slots[1], self._slots[2]

    async def poll(self, source: SourceConfig, fetcher: Fetcher) -> PollResult:
        """Poll one source (at most [fetch] concurrent_sources at a time) into the archive."""
        async with self._semaphores()[1]:
            return await self._poll(source, fetcher)

    async def _poll(self, source: SourceConfig, fetcher: Fetcher) -> PollResult:
        t0 = time.monotonic()
        state = self.archive.source_state(source.name) or {}
        url = state.get("url") or source.url
        result = PollResult(source.name, url, "ok")
        if state.get("disabled_reason"):
            result.status, result.error = "disabled", state["disabled_reason"]
            self.progress("source", {"result": result})
            return result
        allow_private = source.allow_private
        try:
            validators = Validators(state.get("etag"), state.get("last_modified"))
            resp = await fetcher.get_feed(url, validators, allow_private=allow_private)
            now = self.clock()
            if resp.not_modified:
                result.status = "not-modified"
                self._record_success(source, state, now, resp.max_age, status="not-modified")
            else:
                # in a worker thread, like extraction: a hostile feed (deep nesting, 10 MiB of
                # entries) takes seconds to parse and must not stall every other poll
                parsed = await asyncio.to_thread(
                    feeds.parse,
                    resp.body,
                    resp.url,
                    content_type=resp.headers.get("content-type"),
                    now=now,
                    max_entries=self.config.fetch.max_entries_per_feed,
                )
                result.warning = parsed.warning
                result.entries = len(parsed.entries)
                await self._store_entries(source, parsed.entries, fetcher, result)
                # the poll's articles are all in: group them again with what is near them, so
                # that the order in which their fetches finished decides nothing
                self.story_step.settle(result.article_ids)
                fields = {
                    "etag": resp.validators.etag,
                    "last_modified": resp.validators.last_modified,
                }
                if resp.permanent_redirect and resp.permanent_redirect != url:
                    log.warning(
                        "source=%r moved permanently: %s -> %s (stored address updated)",
                        source.name,
                        hide_credentials(url),
                        hide_credentials(resp.permanent_redirect),
                    )
                    fields["url"] = resp.permanent_redirect
                self._record_success(source, state, self.clock(), resp.max_age, **fields)
        except (FetchError, feeds.FeedError) as e:
            result.status, result.error = "error", str(e)
            self._record_failure(source, state, e)
        except sqlite3.Error as e:
            # the archive refused a write (disk or [storage] max_size full, a locked file...):
            # the source's validators were not saved, so the next poll fetches these entries again
            result.status = "error"
            result.error = (
                f"archive write failed ({e}); {result.new_articles} of the new articles were "
                f"stored, the rest will be fetched again on the next poll. Free disk space or "
                f"raise [storage] max_size in {self.config.path}"
            )
            log.error("source=%r url=%s: %s", source.name, hide_credentials(url), result.error)
        result.duration = time.monotonic() - t0
        log.info(
            "poll source=%r url=%s status=%s entries=%d new=%d page_errors=%d duration=%.2fs%s",
            source.name,
            hide_credentials(url),
            result.status,
            result.entries,
            result.new_articles,
            result.page_errors,
            result.duration,
            f" error={result.error!r}" if result.error else "",
        )
        self.progress("source", {"result": result})
        return result

    # ------------------------------------------------------------------ entries
    async def _store_entries(
        self, source: SourceConfig, entries: list[Entry], fetcher: Fetcher, result: PollResult
    ) -> None:
        known = self.archive.known_keys(e.key for e in entries)
        fresh: list[Entry] = []
        for e in entries:
            existing = None if e.key in known else self.archive.article_id_for(e.key, e.url)
            if e.key in known or existing is not None:
                aid = existing or self.archive.article_id_for(e.key)
                if aid is not None:
                    self.archive.note_listing(aid, source.name, e.url, self.clock())
                continue
            fresh.append(e)
        cap = self.config.fetch.max_entries_per_feed
        if len(fresh) > cap:
            log.warning(
                "source=%r lists %d new entries; processing the newest %d this poll",
                source.name,
                len(fresh),
                cap,
            )
            fresh = sorted(fresh, key=lambda e: e.published or self.clock(), reverse=True)[:cap]

        async def one(entry: Entry) -> None:
            record = await self._article_record(source, entry, fetcher, result)
            article_id, created = await self.store_async(record)
            if created:
                result.new_articles += 1
                result.article_ids.append(article_id)
            self.progress("article", {"source": source.name, "url": entry.url, "created": created})

        await asyncio.gather(*(one(e) for e in fresh))

    async def _article_record(
        self, source: SourceConfig, entry: Entry, fetcher: Fetcher, result: PollResult
    ) -> ArticleRecord:
        article = Article()
        note = None
        canonical = entry.url
        if self.config.fetch.fetch_pages:
            try:
                async with self._semaphores()[0]:
                    page = await fetcher.get_page(entry.url, allow_private=source.allow_private)
                article = await asyncio.to_thread(extract.extract, page.body, page.url)
                canonical = prefer_canonical(page.url, article.canonical_url)
                if not article.text:
                    note = f"extraction: {article.reason or 'no text'}; feed summary kept"
            except FetchError as e:
                result.page_errors += 1
                note = f"page not fetched ({e}); feed summary kept, will not be refetched"
                log.warning("source=%r page %s: %s", source.name, hide_credentials(entry.url), e)
        text = article.text or entry.summary
        return ArticleRecord(
            key=entry.key,
            url=entry.url,
            canonical_url=canonical,
            source=source.name,
            title=clean_text(article.title or entry.title),
            text=clean_text(text),
            published=entry.published or article.published,
            fetched_at=self.clock(),
            authors=[clean_text(a) for a in (article.authors or entry.authors)],
            language=article.language,
            lead_image=article.lead_image,
            doi=article.doi,
            nct=article.nct,
            pmid=article.pmid,
            journal=clean_text(article.journal),
            extract_note=note,
        )

    def analyse(self, record: ArticleRecord) -> Analysis:
        """The pure, CPU-heavy part of storing: fingerprint and topic matches."""
        return Analysis(grouping.prepare(record), self.matcher.match(record.title, record.text))

    def commit(self, record: ArticleRecord, a: Analysis) -> tuple[int, bool]:
        """Find the story and store the article with it and its matches, in one transaction.

        Synchronous, so no other task interleaves between reading the candidates and writing.
        """
        return self.story_step.store(record, a.prepared, a.matches)

    def store(self, record: ArticleRecord) -> tuple[int, bool]:
        """Group, match and store one article."""
        return self.commit(record, self.analyse(record))

    async def store_async(self, record: ArticleRecord) -> tuple[int, bool]:
        """store(), with the CPU-heavy part in the analysis thread so that the event loop keeps
        serving the fetches in flight (a blocked loop turns into connect and read timeouts)."""
        loop = asyncio.get_running_loop()
        a = await loop.run_in_executor(self._analysis_thread, self.analyse, record)
        result = self.commit(record, a)
        await asyncio.sleep(0)
        return result

    # ------------------------------------------------------------------- health
    def _health(self, state: dict) -> health.Health:
        return health.Health(
            consecutive_failures=state.get("consecutive_failures") or 0,
            first_failure_at=parse_time(state.get("first_failure_at")),
            last_success_at=parse_time(state.get("last_success_at")),
            last_error=state.get("last_error"),
            next_poll_at=parse_time(state.get("next_poll_at")),
        )

    def _record_success(
        self,
        source: SourceConfig,
        state: dict,
        now: datetime,
        max_age: float | None,
        status: str = "ok",
        **fields,
    ) -> None:
        h = health.after_success(self._health(state), now, source.interval, max_age)
        self.archive.update_source(
            source.name,
            last_poll_at=now,
            last_status=status,
            last_success_at=h.last_success_at,
            consecutive_failures=0,
            first_failure_at=None,
            last_error=None,
            next_poll_at=h.next_poll_at,
            **{k: v for k, v in fields.items() if v is not None},
        )

    def _record_failure(self, source: SourceConfig, state: dict, error: Exception) -> None:
        now = self.clock()
        h = health.after_failure(
            self._health(state),
            now,
            source.interval,
            str(error),
            getattr(error, "retry_after", None),
            disable_after_days=self.config.fetch.disable_after_days,
        )
        fields = dict(
            last_poll_at=now,
            last_status="error",
            consecutive_failures=h.consecutive_failures,
            first_failure_at=h.first_failure_at,
            last_error=h.last_error,
            next_poll_at=h.next_poll_at,
        )
        if h.disabled:
            fields["disabled_reason"] = (
                f"failing since {h.first_failure_at:%Y-%m-%d %H:%M} UTC: {h.last_error}; fix the "
                "address in sources.toml (or remove the source) and run `monitor sources --enable "
                f"{source.name!r}`"
            )
            fields["last_status"] = "disabled"
            log.error(
                "source=%r disabled after failing for %s days: %s",
                source.name,
                self.config.fetch.disable_after_days,
                h.last_error,
            )
        self.archive.update_source(source.name, **fields)


def next_due(archive: Archive, source: SourceConfig, now: datetime) -> float:
    """Seconds until the source should be polled again (0 if overdue)."""
    state = archive.source_state(source.name) or {}
    at = parse_time(state.get("next_poll_at"))
    return 0.0 if at is None else max(0.0, (at - now).total_seconds())
