"""The one place where the stages meet.

    poll(source): fetch feed -> parse feed -> for each new entry: fetch page -> extract
                  -> group into a story -> match topics -> store (one transaction per article)
                  -> pages that failed earlier and are due: fetch again -> update the article
                  -> story and topics again

Every other module knows only its own stage. The source's validators and health are saved
only after all of its new articles are stored, so a crash mid-poll means the next poll sees
the same entries again (and the archive's uniqueness on the entry key keeps them single).

Concurrency: every source and every page is its own task. Network waits (a host's
politeness delay, a slow server) are queued per host inside the Fetcher and hold no limit
of the pipeline; the pipeline's limits bound CPU and memory work only: feeds parsed at
once (``[fetch] concurrent_sources``; without pages a feed keeps its slot until its articles
are written), pages extracted at once (``concurrent_pages``) and extracted pages not yet
stored (4 x ``concurrent_pages``: the store is the slowest step, and each waiting page holds
its fingerprint). The pure CPU work runs in
worker processes (``[fetch] cpu_workers``, ``monitor.workers.CpuPool``): feed parsing, and a
new entry's page in one trip (extraction, the record, its fingerprint and topic matches:
``_extract_and_analyse``); with ``cpu_workers = 0`` parsing and extraction run in two threads
and the analysis in one (the topic matcher is not thread-safe), as they do in-process when a
worker died under a task. The archive work (the story step and its writes) stays in this
process, on the loop, one piece per turn of the loop (``_in_turn``) so that the fetches in
flight are served between pieces. So a slow or strict host delays its own source's articles
only.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import time
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from urllib.parse import urlsplit

from monitor import extract, feeds, grouping, health, topics, workers
from monitor.config import Config, SourceConfig
from monitor.fetch import Fetcher, FetchError, Response, Validators
from monitor.model import Article, ArticleRecord, Entry, Match, ParsedFeed, SiteTemplate
from monitor.settings import FetchSettings
from monitor.urls import (
    hide_credentials,
    prefer_canonical,
    with_userinfo_of,
    without_userinfo,
)
from storage.archive import Archive
from storage.errors import ArchiveError
from storage.rows import UNSET, SourceState, SourceUpdate

log = logging.getLogger("monitor.pipeline")

Clock = Callable[[], datetime]
T = TypeVar("T")
Progress = Callable[[str, dict], None]

#: a page that failed is fetched again after these delays (seconds after the previous try):
#: with the first fetch, 4 tries within about 10 hours
PAGE_RETRY_DELAYS = (15 * 60.0, 2 * 3600.0, 8 * 3600.0)
PAGE_RETRIES_PER_POLL = 50  # due retries taken per poll of a source
#: polls finishing within this many seconds of each other write their states in one commit
STATE_COMMIT_S = 0.02


def pages_in_hand(pages: int, sources: int) -> int:
    """How many fetched pages may wait for extraction and the store (``_LoopLimits.in_hand``)
    before further page requests wait for their turn: enough to keep every page slot busy
    many times over while the next pages are on the network."""
    return max(256, 16 * (pages + sources))


# C0/C1 control characters (not tab or newline) and bidi overrides: a page or feed can carry
# them, and they would reach terminals (`monitor stories`), digests and Slack unchanged
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]")


def clean_text(value: str | None) -> str | None:
    """Drop control characters and bidi overrides from text that came from the web."""
    return _CONTROL.sub("", value) if value else value


def site_of(url: str) -> str:
    """The site a page belongs to for template memory: its host, without "www."."""
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def utcnow() -> datetime:
    return datetime.now(UTC)


def article_record(
    source: str,
    entry: Entry,
    article: Article,
    canonical: str,
    note: str | None,
    fetched_at: datetime,
) -> ArticleRecord:
    """What the archive stores of an entry: the page's article where it has one, the feed's
    entry for the rest (``Article()``: the feed's summary alone)."""
    text = article.text or entry.summary
    return ArticleRecord(
        key=entry.key,
        url=entry.url,
        canonical_url=canonical,
        source=source,
        title=clean_text(article.title or entry.title),
        text=clean_text(text),
        published=entry.published or article.published,
        fetched_at=fetched_at,
        authors=[clean_text(a) for a in (article.authors or entry.authors)],
        language=article.language,
        lead_image=article.lead_image,
        doi=article.doi,
        nct=article.nct,
        pmid=article.pmid,
        journal=clean_text(article.journal),
        extract_note=note,
    )


def page_record(
    source: str, entry: Entry, article: Article, page_url: str, fetched_at: datetime
) -> ArticleRecord:
    """The record of an entry whose page was fetched and extracted."""
    canonical = prefer_canonical(page_url, article.canonical_url)
    note = None if article.text else f"extraction: {article.reason or 'no text'}; feed summary kept"
    return article_record(source, entry, article, canonical, note, fetched_at)


@dataclass
class Extracted:
    """A page extracted; with an entry, also its record and the record's analysis."""

    article: Article
    record: ArticleRecord | None = None
    analysis: Analysis | None = None


class _LoopLimits:
    """The pipeline's limits on one event loop (a semaphore or lock belongs to one loop, and a
    Pipeline may serve several: each ``asyncio.run`` of a library user makes one). None of
    them is ever held while a request waits for the network or its host's turn; ``in_hand``
    is entered once the turn has come, as the fetcher's global connection slot is."""

    __slots__ = ("loop", "pages", "sources", "turn", "unstored", "sites", "in_hand", "held")

    def __init__(self, loop: asyncio.AbstractEventLoop, pages: int, sources: int) -> None:
        self.loop = loop
        self.pages = asyncio.Semaphore(pages)  # pages in extraction
        self.sources = asyncio.Semaphore(sources)  # feeds in processing
        self.turn = asyncio.Lock()  # one piece of archive work at a time (_in_turn)
        # extracted pages whose article is not yet stored: the store (single writer, on the
        # loop) is the slowest step, and an analysed page waiting for it holds ~60 kB (its
        # fingerprint); without a bound a cold start of thousands of feeds piled them up
        self.unstored = asyncio.Semaphore(4 * pages)
        self.sites: dict[str, _SiteTurn] = {}  # the sites with a page in extraction
        # pages in hand: from their request (once its host's turn has come, see
        # ``fetch.hosts.Admission``) until their article is stored. A fetched page waiting
        # for extraction and the store holds its body, response and tasks (~25 kB); on a
        # 10,000-feed cold start the polls due outran the CPU work and thousands piled up
        self.in_hand = asyncio.Semaphore(pages_in_hand(pages, sources))
        self.held = 0


class _SiteTurn:
    """A site's turn for extraction, and how many pages hold or wait for it."""

    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class _Place:
    """A page's place among the pages in hand (``_LoopLimits.in_hand``: entered by the
    fetcher when the request's turn has come, a ``fetch.hosts.Admission``) and among the
    extracted pages not yet stored (``_LoopLimits.unstored``: taken when its extraction
    starts); both given back once the article is stored or failed."""

    __slots__ = ("sem", "limits", "entered")

    def __init__(self, limits: _LoopLimits) -> None:
        self.sem: asyncio.Semaphore | None = None
        self.limits = limits
        self.entered = False

    async def enter(self) -> None:
        if not self.entered:
            await self.limits.in_hand.acquire()
            self.entered = True
            self.limits.held += 1

    def leave(self) -> None:
        if self.entered:
            self.entered = False
            self.limits.held -= 1
            self.limits.in_hand.release()

    async def take(self, sem: asyncio.Semaphore) -> None:
        await sem.acquire()
        self.sem = sem

    def give_back(self) -> None:
        if self.sem is not None:
            self.sem.release()
            self.sem = None
        self.leave()


@dataclass
class Analysis:
    prepared: grouping.Prepared
    matches: list[Match]


def analyse(record: ArticleRecord, matcher: topics.Matcher) -> Analysis:
    """The pure, CPU-heavy part of storing: fingerprint and topic matches."""
    return Analysis(grouping.prepare(record), matcher.match(record.title, record.text))


# ---------------------------------------------------------------- in a CPU worker process
# The tasks ``workers.CpuPool`` runs in its processes (module-level, so that they pickle
# by name); each is the same call as its in-process twin in ``Pipeline``.

_worker_matcher: topics.Matcher | None = None


def _worker_setup(matcher: topics.Matcher) -> None:
    """Once in each worker: the pipeline's topic matcher (its own word cache per process)."""
    global _worker_matcher
    _worker_matcher = matcher


def _analyse_all(records: list[ArticleRecord]) -> list[Analysis]:
    assert _worker_matcher is not None, "a CPU worker without its setup"
    return [analyse(r, _worker_matcher) for r in records]


def _extract_page(
    body: bytes, url: str, content_type: str | None, template: SiteTemplate | None
) -> Article:
    return extract.extract(body, url, content_type=content_type, template=template)


def extract_and_analyse(
    body: bytes,
    url: str,
    content_type: str | None,
    template: SiteTemplate | None,
    entry: tuple[str, Entry, datetime],
    matcher: topics.Matcher,
) -> Extracted:
    """A new entry's page: the article, its record, its analysis."""
    article = _extract_page(body, url, content_type, template)
    record = page_record(*entry[:2], article, url, entry[2])
    return Extracted(article, record, analyse(record, matcher))


def _extract_and_analyse(
    body: bytes,
    url: str,
    content_type: str | None,
    template: SiteTemplate | None,
    entry: tuple[str, Entry, datetime],
) -> Extracted:
    """``extract_and_analyse`` in one trip to a worker, with the worker's matcher."""
    assert _worker_matcher is not None, "a CPU worker without its setup"
    return extract_and_analyse(body, url, content_type, template, entry, _worker_matcher)


def _parse_feed(
    body: bytes, url: str, content_type: str | None, now: datetime, max_entries: int
) -> ParsedFeed:
    return feeds.parse(body, url, content_type=content_type, now=now, max_entries=max_entries)


@dataclass
class PollResult:
    source: str
    url: str
    status: str  # ok | not-modified | error | disabled
    entries: int = 0
    new_articles: int = 0
    page_errors: int = 0
    pages_retried: int = 0  # earlier failed pages fetched again in this poll
    pages_recovered: int = 0  # of which arrived (article text updated)
    error: str | None = None
    warning: str | None = None
    duration: float = 0.0
    article_ids: list[int] = field(default_factory=list)


def fetch_settings(config: Config) -> FetchSettings:
    """The fetcher's settings: the configuration's ``[fetch]`` itself (one type)."""
    return config.fetch


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
        page_concurrency: int | None = None,
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
        self._limits = (
            page_concurrency or config.fetch.concurrent_pages,
            config.fetch.concurrent_sources,
        )
        self._loop_limits: _LoopLimits | None = None
        # source states waiting for the next group commit (``_save_state``)
        self._state_queue: list[tuple[str, SourceUpdate, asyncio.Future[None]]] = []
        self._state_flush: asyncio.Future[None] | None = None
        # one thread: the topic matcher keeps a word cache and is not thread-safe
        self._analysis_thread = ThreadPoolExecutor(1, thread_name_prefix="monitor-analysis")
        # feed parsing and page extraction: CPU work under the GIL, so two threads are as
        # fast as many, and fewer threads keep fewer malloc arenas (memory) around
        self._cpu_threads = ThreadPoolExecutor(2, thread_name_prefix="monitor-cpu")
        # or all three in worker processes ([fetch] cpu_workers), started on first use
        self.cpu = workers.CpuPool(
            workers.resolve_workers(config.fetch.cpu_workers),
            memory_cap=config.fetch.cpu_worker_memory,
            setup=_worker_setup,
            setup_args=(self.matcher,),
        )
        archive.sync_sources(config.sources, clock())

    def close(self) -> None:
        """Stop the CPU worker processes and threads (a later poll starts them again)."""
        self.cpu.close()

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def poll_all(
        self, sources: Sequence[SourceConfig] | None = None, fetcher: Fetcher | None = None
    ) -> list[PollResult]:
        sources = [s for s in (sources or self.config.sources) if s.enabled]
        if fetcher is None:
            async with Fetcher(fetch_settings(self.config)) as f:
                return await self.poll_all(sources, f)
        return list(await asyncio.gather(*(self.poll(s, fetcher) for s in sources)))

    def _limits_here(self) -> _LoopLimits:
        """The limits of the running event loop."""
        loop = asyncio.get_running_loop()
        if self._loop_limits is None or self._loop_limits.loop is not loop:
            self._loop_limits = _LoopLimits(loop, *self._limits)
        return self._loop_limits

    async def _in_turn(self, work: Callable[[], T]) -> T:
        """Run synchronous archive work (the story step and its writes) on the loop, one piece
        per turn of the loop: pieces of different polls would otherwise run back to back in one
        turn, and with a few hundred sources in flight a turn took seconds, long enough for
        servers to close connections opened before it but not yet sent their request."""
        async with self._limits_here().turn:
            result = work()
            await asyncio.sleep(0)  # the fetches in flight run before the next piece
        return result

    async def poll(self, source: SourceConfig, fetcher: Fetcher) -> PollResult:
        """Poll one source into the archive (its feed's processing takes one of the
        [fetch] concurrent_sources slots, its network waits take none)."""
        return await self._poll(source, fetcher)

    @property
    def pages_in_hand(self) -> int:
        """Pages requested or fetched whose article is not yet stored (at most
        ``pages_in_hand(...)``; a page waiting for its host's turn is not counted)."""
        limits = self._loop_limits
        return 0 if limits is None else limits.held

    async def _poll(self, source: SourceConfig, fetcher: Fetcher) -> PollResult:
        t0 = time.monotonic()
        state = self.archive.source_state(source.name)
        # the configured address (the only place its credentials exist) or a stored 301
        url = self.archive.feed_url(source.name, source.url)
        result = PollResult(source.name, url, "ok")
        if state is not None and state.disabled_reason:
            result.status, result.error = "disabled", state.disabled_reason
            self.progress("source", {"result": result})
            return result
        allow_private = source.allow_private
        try:
            validators = Validators(state.etag, state.last_modified) if state else Validators()
            resp = await fetcher.get_feed(url, validators, allow_private=allow_private)
            now = self.clock()
            if resp.not_modified:
                result.status = "not-modified"
                await self._save_state(
                    source.name,
                    self._success(source, state, now, resp.max_age, status="not-modified"),
                )
            else:
                # in a worker thread, like extraction: a hostile feed (deep nesting, 10 MiB of
                # entries) takes seconds to parse and must not stall every other poll
                async with self._limits_here().sources:
                    parsed = await self._parse(resp, now)
                    resp.body = b""  # the entries are all that is needed from here
                result.warning = parsed.warning
                result.entries = len(parsed.entries)
                try:
                    await self._store_entries(source, parsed.entries, fetcher, result)
                finally:
                    # the poll's articles are all in (or the poll failed half-way): group them
                    # again with what is near them, so that the order in which their fetches
                    # finished decides nothing, and digests may send their stories
                    await self._in_turn(lambda: self._settle(source, result))
                moved_to = None
                if resp.permanent_redirect and resp.permanent_redirect != url:
                    log.warning(
                        "source=%r moved permanently: %s -> %s (stored address updated)",
                        source.name,
                        hide_credentials(url),
                        hide_credentials(resp.permanent_redirect),
                    )
                    moved_to = resp.permanent_redirect
                await self._save_state(
                    source.name,
                    self._success(
                        source,
                        state,
                        self.clock(),
                        resp.max_age,
                        validators=resp.validators,
                        moved_to=moved_to,
                    ),
                )
        except (FetchError, feeds.FeedError) as e:
            result.status, result.error = "error", str(e)
            await self._save_state(source.name, self._failure(source, state, e))
        except ArchiveError as e:
            # the archive refused a write (disk or [storage] max_size full, a locked file...):
            # the source's validators were not saved, so the next poll fetches these entries again
            result.status = "error"
            result.error = (
                f"archive write failed ({e}); {result.new_articles} of the new articles were "
                f"stored, the rest will be fetched again on the next poll. Free disk space or "
                f"raise [storage] max_size in {self.config.path}"
            )
            log.error("source=%r url=%s: %s", source.name, hide_credentials(url), result.error)
        if result.status in ("ok", "not-modified") and self.config.fetch.fetch_pages:
            try:
                await self._retry_pages(source, fetcher, result)
            except ArchiveError as e:
                log.error("source=%r: page retries not stored: %s", source.name, e)
        result.duration = time.monotonic() - t0
        log.info(
            "poll source=%r url=%s status=%s entries=%d new=%d page_errors=%d"
            " pages_retried=%d recovered=%d duration=%.2fs%s",
            source.name,
            hide_credentials(url),
            result.status,
            result.entries,
            result.new_articles,
            result.page_errors,
            result.pages_retried,
            result.pages_recovered,
            result.duration,
            f" error={result.error!r}" if result.error else "",
        )
        self.progress("source", {"result": result})
        return result

    async def _parse(self, resp: Response, now: datetime) -> ParsedFeed:
        args = (
            resp.body,
            without_userinfo(resp.url),  # entry links resolve without credentials
            resp.headers.get("content-type"),
            now,
            self.config.fetch.max_entries_per_feed,
        )
        try:
            return await self._cpu(_parse_feed, args, self._cpu_threads)
        except workers.WorkerMemoryError as e:
            raise feeds.FeedError(args[1], f"not parsed: {e}") from None

    async def _cpu(self, remote: Callable[..., T], args: tuple, threads: ThreadPoolExecutor) -> T:
        """``remote(*args)`` in a CPU worker, or in ``threads`` of this process (no workers,
        or the worker died under it)."""
        return await self.cpu.run(remote, args, functools.partial(remote, *args), threads)

    # ------------------------------------------------------------------ entries
    def _settle(self, source: SourceConfig, result: PollResult) -> None:
        try:
            self.story_step.settle(result.article_ids)
            self.story_step.settle_stale()
        except ArchiveError as e:
            # the marks stay; after story_groups.UNSETTLED_GRACE a later poll settles them
            log.error("source=%r: stories of this poll not settled: %s", source.name, e)

    async def _store_entries(
        self, source: SourceConfig, entries: list[Entry], fetcher: Fetcher, result: PollResult
    ) -> None:
        known = self.archive.known_keys(e.key for e in entries)
        # with pages, an entry whose URL is archived under another key is only noted (its
        # page is not fetched again); without pages add_article notes it itself
        look_up_urls = self.config.fetch.fetch_pages
        fresh: list[Entry] = []
        for e in entries:
            existing = (
                self.archive.article_id_for(e.key, e.url)
                if e.key not in known and look_up_urls
                else None
            )
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

        if not self.config.fetch.fetch_pages:
            await self._store_summaries(source, fresh, result)
            return

        async def one(entry: Entry) -> None:
            place = _Place(self._limits_here())
            try:
                record, failure, analysis = await self._article_record(
                    source, entry, fetcher, result, place
                )
                article_id, created = await self.store_async(record, analysis)
            finally:
                place.give_back()
            if created:
                result.new_articles += 1
                result.article_ids.append(article_id)
                if failure is not None and failure.retryable:
                    self._schedule_retry(article_id, entry.url, source.name, 1, failure)
            self.progress("article", {"source": source.name, "url": entry.url, "created": created})

        await asyncio.gather(*(one(e) for e in fresh))

    async def _store_summaries(
        self, source: SourceConfig, entries: list[Entry], result: PollResult
    ) -> None:
        """Without pages every record of a feed is ready at once: analysed in one hop to
        the analysis thread and stored in one transaction (each article still all or
        nothing, as a savepoint). If the batch cannot be written (a full archive), the
        articles are stored one by one, so that as many as fit are kept."""
        if not entries:
            return
        # a feed slot ([fetch] concurrent_sources) from the analysis until the batch is
        # written: polls that wait for their turn at the archive hold their fingerprints, and
        # without it a thousand feeds' of them piled up (400 MB)
        async with self._limits_here().sources:
            records = [self._record(source, e, Article(), e.url, None) for e in entries]
            analyses = await self._analyse_all(records)
            pairs = list(zip(entries, records, analyses, strict=True))
            await self._write_summaries(source, pairs, result)

    async def _write_summaries(
        self,
        source: SourceConfig,
        pairs: list[tuple[Entry, ArticleRecord, Analysis]],
        result: PollResult,
    ) -> None:
        """Write a feed's analysed records in one transaction, in the archive's turn."""

        def write() -> list[tuple[int, bool]]:
            with self.archive.transaction():
                return [self.commit(r, a) for _e, r, a in pairs]

        try:
            stored = await self._in_turn(write)
        except ArchiveError:
            # one by one: each article that fits is kept; the first that does not fails
            # the poll (the validators are not saved, the rest comes again next time)
            for entry, r, a in pairs:
                self._stored(source, entry, *self.commit(r, a), result)
            return
        for (entry, _r, _a), (article_id, created) in zip(pairs, stored, strict=True):
            self._stored(source, entry, article_id, created, result)

    def _stored(
        self, source: SourceConfig, entry: Entry, article_id: int, created: bool, result: PollResult
    ) -> None:
        if created:
            result.new_articles += 1
            result.article_ids.append(article_id)
        self.progress("article", {"source": source.name, "url": entry.url, "created": created})

    async def _page(
        self,
        source: SourceConfig,
        url: str,
        fetcher: Fetcher,
        entry: Entry | None = None,
        place: _Place | None = None,
    ) -> tuple[Extracted, str]:
        """Fetch and extract one page: the fetch waits in its host's queue holding nothing,
        the extraction (``_extract``) takes one of the page slots."""
        page = await fetcher.get_page(
            with_userinfo_of(url, source.url),  # the feed's credentials, for its own site only
            allow_private=source.allow_private,
            admission=place,  # in hand from the request until stored (``one``)
        )
        page_url = without_userinfo(page.url)
        for_entry = None if entry is None else (source.name, entry, self.clock())
        return await self._extract(page, page_url, for_entry, place), page_url

    async def _article_record(
        self,
        source: SourceConfig,
        entry: Entry,
        fetcher: Fetcher,
        result: PollResult,
        place: _Place | None = None,
    ) -> tuple[ArticleRecord, FetchError | None, Analysis | None]:
        """The entry's record, the page's failure if it was not fetched, and the record's
        analysis when it came with the extraction (from a CPU worker). ``place``: taken when
        the extraction starts, for the caller to give back once the article is stored."""
        try:
            done, page_url = await self._page(source, entry.url, fetcher, entry, place)
        except FetchError as e:
            result.page_errors += 1
            later = "retried later" if e.retryable else "not retried"
            note = f"page not fetched ({e}); feed summary kept, {later}"
            log.warning("source=%r page %s: %s", source.name, hide_credentials(entry.url), e)
            return self._record(source, entry, Article(), entry.url, note), e, None
        if done.record is not None:
            return done.record, None, done.analysis
        return page_record(source.name, entry, done.article, page_url, self.clock()), None, None

    def _record(
        self,
        source: SourceConfig,
        entry: Entry,
        article: Article,
        canonical: str,
        note: str | None,
    ) -> ArticleRecord:
        return article_record(source.name, entry, article, canonical, note, self.clock())

    async def _extract(
        self,
        page: Response,
        page_url: str,
        for_entry: tuple[str, Entry, datetime] | None = None,
        place: _Place | None = None,
    ) -> Extracted:
        """Extract one fetched page with what the archive learnt of its site's template, then
        teach the archive this page. Pages of one site go one at a time (their fetches do not),
        so that each sees the pages before it; other sites are not held up."""
        site = site_of(page_url)
        async with self._site_turn(site):
            template = self.archive.site_template(site)
            if place is not None:  # wait while too many extracted pages are not yet stored
                await place.take(self._limits_here().unstored)
            # the page slot (CPU work) is taken inside the site's turn, never while waiting
            # for it: pages of one busy site must not hold every slot
            async with self._limits_here().pages:
                args = (page.body, page_url, page.headers.get("content-type"), template)
                try:
                    if for_entry is None or self.cpu.in_process:
                        done = Extracted(await self._cpu(_extract_page, args, self._cpu_threads))
                    else:  # with its analysis, in one trip; here in the analysis thread
                        done = await self.cpu.run(
                            _extract_and_analyse,
                            (*args, for_entry),
                            functools.partial(extract_and_analyse, *args, for_entry, self.matcher),
                            self._analysis_thread,
                        )
                except workers.WorkerMemoryError as e:
                    log.warning("page %s not extracted: %s", hide_credentials(page_url), e)
                    done = Extracted(Article(reason=f"page not extracted: {e}"))
            if done.article.template_keys:
                self.archive.learn_site_template(site, page_url, done.article.template_keys)
        return done

    @contextlib.asynccontextmanager
    async def _site_turn(self, site: str) -> AsyncIterator[None]:
        """One page of ``site`` at a time. A site's entry lives while a page of it holds or
        waits for its turn, so the table holds only the sites in flight (it was cleared past
        1,000 sites while other pages were still in their turn: a KeyError failed their polls,
        and a page of a cleared site could run beside another of the same site)."""
        turns = self._limits_here().sites
        turn = turns.get(site)
        if turn is None:
            turn = turns[site] = _SiteTurn()
        turn.users += 1
        try:
            async with turn.lock:
                yield
        finally:
            turn.users -= 1
            if turn.users == 0:
                del turns[site]

    def analyse(self, record: ArticleRecord) -> Analysis:
        """The pure, CPU-heavy part of storing: fingerprint and topic matches."""
        return analyse(record, self.matcher)

    async def _analyse_all(self, records: list[ArticleRecord]) -> list[Analysis]:
        """``analyse`` of each record in a CPU worker (one trip), or in the analysis thread
        (through the method, which the benchmark times)."""
        return await self.cpu.run(
            _analyse_all,
            (records,),
            lambda: [self.analyse(r) for r in records],
            self._analysis_thread,
        )

    def commit(self, record: ArticleRecord, a: Analysis) -> tuple[int, bool]:
        """Find the story and store the article with it and its matches, in one transaction.

        Synchronous, so no other task interleaves between reading the candidates and writing.
        """
        return self.story_step.store(record, a.prepared, a.matches)

    def store(self, record: ArticleRecord) -> tuple[int, bool]:
        """Group, match and store one article."""
        return self.commit(record, self.analyse(record))

    async def store_async(
        self, record: ArticleRecord, analysis: Analysis | None = None
    ) -> tuple[int, bool]:
        """store(), with the CPU-heavy part in a CPU worker or the analysis thread so that the
        event loop keeps serving the fetches in flight (a blocked loop turns into connect and
        read timeouts). ``analysis``: the record's, when it is already done."""
        (a,) = [analysis] if analysis is not None else await self._analyse_all([record])
        return await self._in_turn(lambda: self.commit(record, a))

    # ------------------------------------------------------------- page retries
    def _schedule_retry(
        self, article_id: int, url: str, source: str, attempts: int, error: FetchError
    ) -> None:
        """Record a failed page: tried again after PAGE_RETRY_DELAYS[attempts - 1] (or
        the server's Retry-After, if longer), given up after the last delay."""
        now = self.clock()
        if error.retryable and attempts <= len(PAGE_RETRY_DELAYS):
            delay = max(PAGE_RETRY_DELAYS[attempts - 1], error.retry_after or 0.0)
            next_at: datetime | None = now + timedelta(seconds=delay)
        else:
            next_at = None
        self.archive.schedule_page_retry(
            article_id, url, source, attempts, next_at, str(error), now
        )

    async def _retry_pages(
        self, source: SourceConfig, fetcher: Fetcher, result: PollResult
    ) -> None:
        due = self.archive.due_page_retries(source.name, self.clock(), PAGE_RETRIES_PER_POLL)
        if not due:
            return

        async def one(retry) -> None:  # type: ignore[no-untyped-def]
            result.pages_retried += 1
            try:
                done, page_url = await self._page(source, retry.url, fetcher)
                article = done.article
            except FetchError as e:
                log.info(
                    "source=%r page %s still failing (try %d): %s",
                    source.name,
                    hide_credentials(retry.url),
                    retry.attempts + 1,
                    e,
                )
                self._schedule_retry(
                    retry.article_id, retry.url, source.name, retry.attempts + 1, e
                )
                return
            stored = self.archive.article(retry.article_id)
            if stored is None:
                self.archive.finish_page_retry(retry.article_id)
                return
            if not article.text:
                note = f"extraction: {article.reason or 'no text'}; feed summary kept"
                article = Article()
            else:
                note = f"page fetched on try {retry.attempts + 1}"
            entry = Entry(
                key=stored.key,
                url=stored.url,
                title=stored.title or "",
                summary=stored.text or "",
                published=stored.published,
                authors=stored.authors,
            )
            canonical = prefer_canonical(page_url, article.canonical_url)
            record = self._record(source, entry, article, canonical, note)
            if not article.text:
                self.archive.finish_page_retry(retry.article_id)
                return
            await self.restory(retry.article_id, record)
            result.pages_recovered += 1

        await asyncio.gather(*(one(r) for r in due))

    async def restory(self, article_id: int, record: ArticleRecord) -> int:
        """The story and topic stages again, for an article whose text changed (its page
        arrived on a retry). Returns its story id.

        The article's row and topic matches are replaced (``Archive.update_article``) and the
        story step places it again (``StoryStep.reassign``), in one transaction. A story
        already delivered is not delivered again (deliveries carry over).
        """
        (a,) = await self._analyse_all([record])
        return self._reassign(article_id, record, a)

    def _reassign(self, article_id: int, record: ArticleRecord, a: Analysis) -> int:
        with self.archive.transaction():
            story = self.archive.update_article(
                article_id,
                record,
                a.matches,
                canonical_rank=self.story_step.canonical_rank(a.prepared.fingerprint),
            )
            if story is None:
                return 0
            return self.story_step.reassign(article_id, record, a.prepared)

    # ------------------------------------------------------------------- health
    def _health(self, state: SourceState | None) -> health.Health:
        if state is None:
            return health.Health()
        return health.Health(
            consecutive_failures=state.consecutive_failures,
            first_failure_at=state.first_failure_at,
            last_success_at=state.last_success_at,
            last_error=state.last_error,
            next_poll_at=state.next_poll_at,
        )

    async def _save_state(self, name: str, change: SourceUpdate) -> None:
        """Write a source's state after its poll, returning once it is written: the polls that
        finish within ``STATE_COMMIT_S`` of each other share one transaction (group commit),
        so 1,000 feeds answering 304 cost a few dozen commits, not 1,000. If the shared
        transaction fails, each update is written alone, so each poll gets its own outcome."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._state_queue.append((name, change, done))
        if self._state_flush is None or self._state_flush.get_loop() is not loop:
            self._state_flush = asyncio.ensure_future(self._flush_states())
        await done

    async def _flush_states(self) -> None:
        cancelled = None
        try:
            await asyncio.sleep(STATE_COMMIT_S)
        except asyncio.CancelledError as e:  # the polls waiting still get their states written
            cancelled = e
        batch, self._state_queue = self._state_queue, []
        self._state_flush = None
        try:
            self._write_states(batch)
        finally:
            if cancelled is not None:
                raise cancelled

    def _write_states(self, batch: list[tuple[str, SourceUpdate, asyncio.Future[None]]]) -> None:
        try:
            self.archive.update_sources([(n, c) for n, c, _f in batch])
        except Exception:  # noqa: BLE001 - each update alone below, each with its own error
            for name, change, done in batch:
                try:
                    self.archive.update_source(name, change)
                except Exception as e:  # noqa: BLE001 - handed to the poll that waits
                    if not done.done():
                        done.set_exception(e)
                else:
                    if not done.done():
                        done.set_result(None)
            return
        for _n, _c, done in batch:
            if not done.done():
                done.set_result(None)

    def _success(
        self,
        source: SourceConfig,
        state: SourceState | None,
        now: datetime,
        max_age: float | None,
        *,
        status: str = "ok",
        validators: Validators | None = None,
        moved_to: str | None = None,
    ) -> SourceUpdate:
        """The state after a poll that worked: health reset; new validators and a permanent
        redirect kept (a validator the response did not send leaves the stored one as it was)."""
        h = health.after_success(self._health(state), now, source.interval, max_age)
        v = validators or Validators()
        return SourceUpdate(
            last_poll_at=now,
            last_status=status,
            last_success_at=h.last_success_at,
            consecutive_failures=0,
            first_failure_at=None,
            last_error=None,
            next_poll_at=h.next_poll_at,
            etag=UNSET if v.etag is None else v.etag,
            last_modified=UNSET if v.last_modified is None else v.last_modified,
            url=UNSET if moved_to is None else moved_to,
        )

    def _failure(
        self, source: SourceConfig, state: SourceState | None, error: Exception
    ) -> SourceUpdate:
        now = self.clock()
        h = health.after_failure(
            self._health(state),
            now,
            source.interval,
            str(error),
            getattr(error, "retry_after", None),
            disable_after_days=self.config.fetch.disable_after_days,
        )
        disabled_reason: str | None = None
        if h.disabled:
            disabled_reason = (
                f"failing since {h.first_failure_at:%Y-%m-%d %H:%M} UTC: {h.last_error}; fix the "
                "address in sources.toml (or remove the source) and run `monitor sources --enable "
                f"{source.name!r}`"
            )
            log.error(
                "source=%r disabled after failing for %s days: %s",
                source.name,
                self.config.fetch.disable_after_days,
                h.last_error,
            )
        return SourceUpdate(
            last_poll_at=now,
            last_status="disabled" if disabled_reason else "error",
            consecutive_failures=h.consecutive_failures,
            first_failure_at=h.first_failure_at,
            last_error=h.last_error,
            next_poll_at=h.next_poll_at,
            disabled_reason=UNSET if disabled_reason is None else disabled_reason,
        )


def due_at(state: SourceState | None, source: SourceConfig) -> datetime | None:
    """When the source should be polled next (None: now), by the *current* configuration:
    a healthy source is due one interval after its last poll at the latest, so shortening
    its interval takes effect at once instead of after the stored next-poll time; a failing
    source keeps its backoff."""
    if state is None:
        return None
    at, last = state.next_poll_at, state.last_poll_at
    if at is not None and last is not None and not state.consecutive_failures:
        at = min(at, last + timedelta(seconds=source.interval))
    return at


def next_due(archive: Archive, source: SourceConfig, now: datetime) -> float:
    """Seconds until the source should be polled again (0 if overdue)."""
    at = due_at(archive.source_state(source.name), source)
    return 0.0 if at is None else max(0.0, (at - now).total_seconds())
