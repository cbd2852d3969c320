"""The story step: where the stories stage meets the archive.

    prepare(record)  -> Prepared        pure, in the analysis thread (fingerprint)
    store(record, prepared, matches)    one transaction: vocabulary and document frequencies,
                                        candidates from the inverted index, the decision
                                        (monitor.stories.cluster.decide), the article with
                                        its story, index entry and any regrouping
    reassign(article_id, record)        the same for a stored article whose text changed
    regroup(archive, since)             every article again with the current rules
    explain(archive, a, b)              the evidence between two stored articles

The vocabulary and the document frequencies live in SQLite (``storage.story_index``) and are
mirrored in memory (a dict of feature hash -> id, and :class:`~monitor.stories.weights.TermStats`);
the mirror is reloaded whenever the archive's count of indexed articles or its largest vocabulary
id differs from it (another process wrote, or a transaction rolled back). A new article's terms are
counted in memory at once and in SQLite in batches: it is filed as pending in its own transaction,
and :meth:`StoryStep.settle` counts the pending articles together once there are
:data:`COUNT_BATCH` of them (a crash loses nothing: a reload adds the pending articles' terms).
"""

from __future__ import annotations

import itertools
import logging
import math
from array import array
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import numpy as np

from monitor import stories
from monitor.model import ArticleRecord, Match, StoryDecision
from monitor.stories import NEW, Item, Stored, TermStats, cluster, evidence
from monitor.stories.fingerprint import Fingerprint, feature_kind, round_trips
from monitor.stories.weights import Vector
from storage import story_groups, story_index
from storage.archive import Archive
from storage.rows import ArticleRow

log = logging.getLogger("monitor.grouping")

__all__ = [
    "POSTINGS",
    "QUERY",
    "Prepared",
    "RegroupReport",
    "StoryStep",
    "explain",
    "regroup",
]

#: distinctive terms an article is filed under in the inverted index
POSTINGS = 16
#: distinctive terms of a new article looked up in the inverted index
QUERY = 24
#: decoded fingerprints (and unit vectors) of indexed articles kept in memory, enough for the
#: candidate window of a busy archive, so that a fingerprint is decoded about once: about 4 KB
#: each (230 terms; measured on the synthetic stream, was 7.4 KB before ids shared one array)
CACHE_SIZE = 16_000
#: candidate articles (most shared postings first) whose stories are compared with a new one
CANDIDATES = 20
#: articles settled at a time by ``monitor stories regroup`` (in publication order)
REGROUP_CHUNK = 50
#: a settled region is widened to the copies of its stories (nearest first) up to this size
SETTLE_REGION = 200
#: up to this many articles every pair is compared when settling; beyond, candidate links only
SETTLE_ALL_PAIRS = 100
#: candidates of each settled article (the nearest, at least half the threshold) in its region
SETTLE_NEAR = 8
#: candidate articles of each settled article scored to find those (each needs its exact
#: vector: most of a settle's cost). 10 and 14 grouped the InSciOut tuning half as 20 did and
#: the synthetic stream too (P 0.994 R 1.000 at 6,000); 10 cut the settle from 7.7 to 6.5 ms
#: per article in that run
SETTLE_CANDIDATES = 10
#: postings a candidate must share with the new article (one shared word is chance)
MIN_SHARED = 2
#: a candidate story is read in full only if one of its candidates scores at least this
#: fraction of the threshold with the new article (what makes a story "near")
PRUNE = 0.5
#: most recent copies of each candidate story read for a decision (bounds very large stories)
MEMBERS = 25
#: a cached unit vector is computed again once the archive has grown by this factor (+50).
#: It only steers the provisional placement (the settle of each poll uses exact vectors):
#: 1.25 and 2.0 gave the same grouping on the InSciOut tuning half, 2.0 half the recomputations
REFRESH = 2.0
#: pair scores kept for regrouping (two generations of this many; ~150 bytes a pair)
PAIR_MEMO = 20_000
#: articles whose terms are counted in the archive's document frequencies together (counting one
#: rewrites about 150 vocabulary rows on as many pages; a batch shares the pages)
COUNT_BATCH = 1000


@dataclass
class Prepared:
    """The pure part of the story step for one article (computed off the event loop)."""

    fingerprint: Fingerprint
    keys: list[str]  # feature keys, sorted
    hashes: list[tuple[int, int]]  # (hash, kind) per key


def prepare(record: ArticleRecord) -> Prepared:
    fp = stories.fingerprint(record)
    keys = sorted(fp.features)
    return Prepared(fp, keys, [(story_index.feature_hash(k), feature_kind(k)) for k in keys])


def _id_array(ids: Iterable[int]) -> array:
    """Vocabulary ids as a compact array: 4 bytes each while they fit (they are row ids)."""
    ids = list(ids)
    return array("i" if max(ids, default=0) < 2**31 else "q", ids)


def _kept(term_ids: array, unit: Vector) -> tuple[array, np.ndarray, Vector]:
    """A unit vector as the cache keeps it: its ids (the term ids' array itself unless a
    weightless term was left out), its weights in single precision, and the vector as read
    back from them. One version is one such vector."""
    ids = term_ids if len(unit) == len(term_ids) else _id_array(unit.ids.tolist())
    weights = unit.w.astype(np.float32)
    return ids, weights, _read_back(ids, weights, unit.top)


def _read_back(ids: array, weights: np.ndarray, top: int) -> Vector:
    """A kept vector as the decision reads it (its single-precision weights in double)."""
    return Vector(np.asarray(ids), weights.astype(np.float64), top)


def _remember(lru: OrderedDict, key: int, value: object, size: int) -> None:
    """Put ``value`` in ``lru`` as its most recently used entry; the least recent beyond
    ``size`` goes."""
    lru[key] = value
    lru.move_to_end(key)
    if len(lru) > size:
        lru.popitem(last=False)


@dataclass(slots=True)
class _Cached:
    """A decoded fingerprint kept in memory: the stored fingerprint without its term counts,
    which are kept as compact arrays (a dict of 230 floats costs 16 KB, these 1.2 KB), and
    its unit vector with the archive's document count when that was computed. The vector's
    ids are the array of term ids itself unless a weightless term was left out of it."""

    stored: Stored
    term_ids: array
    counts: array
    unit_ids: array | None = None
    unit_weights: np.ndarray | None = None
    unit_top: int = -1  # the vector's largest id
    unit_at: int = -1
    version: int = 0  # which computation of the unit vector (one per step, never reused)


@dataclass
class _Placement:
    stored: Stored
    decision: StoryDecision
    entry: story_index.Entry
    outcome: stories.Outcome | None
    # the article as the cache keeps it, with the vector it was placed with (see _seed)
    seed: _Cached | None = None
    unit: Vector | None = None


class StoryStep:
    """The story step of the pipeline, bound to one archive (one thread)."""

    def __init__(
        self,
        archive: Archive,
        window_days: float = 21.0,
        source_kinds: Mapping[str, str] | None = None,
    ) -> None:
        self.archive = archive
        self.window = timedelta(days=window_days)
        self.source_kinds = dict(source_kinds or {})
        self.stats: TermStats | None = None
        # the vocabulary (feature hash -> id) and its largest id, as the archive holds them
        self._vocab: dict[int, int] = {}
        self._vocab_top = 0
        self._rebuilt = 0
        # decoded fingerprints and their unit vectors, most recently used last
        self._cache: OrderedDict[int, _Cached] = OrderedDict()
        # scores of pairs of indexed articles under those vectors (regrouping a region again)
        self._memo = stories.PairMemo(PAIR_MEMO)
        self._versions = itertools.count(1)

    # -- statistics ------------------------------------------------------------------------
    def _sync_stats(self) -> TermStats:
        db = self.archive.db
        documents, top, rebuilt = story_index.state(db)
        if (
            self.stats is None
            or self.stats.documents != documents
            or (self._vocab_top, self._rebuilt) != (top, rebuilt)
        ):
            n, df, kind = story_index.load_stats(db)
            stats = TermStats(n, df, kind)
            for _, fp in story_index.pending_docs(db):
                terms = stories.decode(fp).terms
                if terms:
                    stats.add(terms)
            self.stats = stats
            self._vocab = story_index.load_vocabulary(db)
            self._vocab_top, self._rebuilt = top, rebuilt
            self._cache.clear()  # another writer may have rebuilt the index (new term ids)
            self._memo = stories.PairMemo(PAIR_MEMO)
        return self.stats

    def _ids(self, hashes: Sequence[tuple[int, int]]) -> tuple[list[int], dict[int, int]]:
        """The vocabulary ids of ``hashes`` (hash, kind), in their order, and the kinds of
        those that are not body words: new features are added to the archive's vocabulary
        (inside the caller's transaction; call :meth:`_sync_stats` first)."""
        vocab = self._vocab
        got = list(map(vocab.get, [h for h, _ in hashes]))
        if None in got:
            missing = [hk for hk, i in zip(hashes, got, strict=True) if i is None]
            added = story_index.vocabulary(self.archive.db, missing)
            vocab.update(added)
            self._vocab_top = max(self._vocab_top, *added.values())
            got = [added[hk[0]] if i is None else i for hk, i in zip(hashes, got, strict=True)]
        kinds = {i: k for i, (_, k) in zip(got, hashes, strict=True) if k}
        return got, kinds  # type: ignore[return-value]

    def _count_pending(self, at_least: int | None = None) -> int:
        """Count the pending articles' terms in the archive's document frequencies, once there
        are ``at_least`` (default COUNT_BATCH) of them (inside the caller's transaction).
        Returns the number counted."""
        db = self.archive.db
        if story_index.pending_count(db) < max(1, COUNT_BATCH if at_least is None else at_least):
            return 0
        docs = story_index.pending_docs(db)
        df: Counter[int] = Counter()
        for _, fp in docs:
            df.update(stories.decode(fp).terms.keys())
        story_index.count_pending(db, df, [a for a, _ in docs])
        return len(docs)

    prepare = staticmethod(prepare)

    def canonical_rank(self, fp: Fingerprint) -> tuple:
        return stories.canonical_order(
            self.source_kinds.get(fp.source),
            fp.page_kind,
            fp.published,
            fp.length,
            fp.short,
            fp.source,
            fp.url,
        )

    # -- one article -----------------------------------------------------------------------
    def _place(self, p: Prepared, exclude: int | None = None) -> _Placement:
        """Count the article's terms, find its candidates and decide (inside a transaction)."""
        fp = p.fingerprint
        db = self.archive.db
        stats = self._sync_stats()
        placed = fp.placed or fp.published
        assert placed is not None
        if fp.short:
            st = Stored(terms={}, length=fp.length, weak=True, page_kind=fp.page_kind)
            decision = StoryDecision(None, 0.0, "new story: text too short to compare")
            entry = story_index.Entry(stories.encode(st), (), fp.published, placed)
            return _Placement(st, decision, entry, None)
        ids, kinds = self._ids(p.hashes)
        st = stories.stored(fp, lambda keys: ids)  # p.hashes are those of the sorted keys
        stats.add(st.terms, kinds)  # counted in the archive later (pending, see COUNT_BATCH)
        # the terms in id order, as the index gives them back
        ids_in_order = sorted(st.terms)  # the vocabulary's own int objects, not new ones
        term_counts = [st.terms[t] for t in ids_in_order]
        term_ids = _id_array(ids_in_order)
        # in single precision, as every cached vector: the article is placed with the vector
        # it is kept with once indexed, so the scores of this placement stay valid (_seed)
        unit_ids, unit_weights, unit = _kept(
            term_ids, stories.unit_vector_of(ids_in_order, term_counts, stats)
        )
        ranked = unit.ranked()
        st.postings = tuple(ranked[:POSTINGS])
        rows = story_index.candidates(
            db,
            ranked[:QUERY],
            placed - self.window,
            placed + self.window,
            exclude=exclude,
            limit=CANDIDATES,
            min_shared=MIN_SHARED,
            with_fp=False,
        )
        neighbours: dict[int, Item] = {}
        new = Item(NEW, None, st, fp.published, unit, placed)
        memo = self._memo
        memo.begin(new)
        # a story is read in full only if one of its candidates comes within reach
        floor = evidence.THRESHOLD * PRUNE
        near_stories = set()
        seen: dict[int, Item] = {}  # candidates are often copies of the stories read next
        for r in rows:
            seen[r.article_id] = self._item(r, stats)
        found = memo.scores(new, [seen[r.article_id] for r in rows], stats, None)
        for r, s in zip(rows, found, strict=True):
            if s >= floor:
                near_stories.add(r.story_id)
        rows = [r for r in rows if r.story_id in near_stories]
        if rows:
            found = story_index.members(db, {r.story_id for r in rows}, MEMBERS, with_fp=False)
            for r in found:
                if r.article_id == exclude:
                    continue
                it = seen.get(r.article_id)
                if it is None or it.story_id != r.story_id:
                    it = self._item(r, stats)
                neighbours[r.article_id] = it
        outcome = stories.decide(new, list(neighbours.values()), stats, memo=memo)
        groups = tuple(tuple(g) for g in outcome.groups) if outcome.regrouped else ()
        decision = StoryDecision(
            outcome.story_id, round(outcome.score, 4), outcome.reason, groups=groups
        )
        entry = story_index.Entry(
            stories.encode(st), st.postings, fp.published, placed, pending=True
        )
        seed = None
        if round_trips(st):  # what the index will give back (every count fits a byte)
            seed = _Cached(
                replace(st, terms={}),
                term_ids,
                array("B", term_counts),
                unit_ids=unit_ids,
                unit_weights=unit_weights,
                unit_top=unit.top,
                unit_at=stats.documents,
            )
        return _Placement(st, decision, entry, outcome, seed, unit)

    def _seed(self, article_id: int, placement: _Placement) -> None:
        """Keep a newly indexed article in the cache as it was placed, with its vector under
        a new version, and the pair scores of its placement in the memo: the next articles
        of its story read it and group its story's copies again (about one vector and a few
        pair scores fewer each)."""
        e = placement.seed
        if e is None or placement.unit is None:
            return
        e.version = next(self._versions)
        _remember(self._cache, article_id, e, CACHE_SIZE)
        self._memo.adopt(article_id, e.version)

    def _entry(self, row: story_index.DocRow) -> _Cached:
        """The cached decoded fingerprint of an indexed article, read from the row, or from
        the index when the row came without it."""
        hit = self._cache.get(row.article_id)
        if hit is not None:
            self._cache.move_to_end(row.article_id)
            return hit
        s = stories.decode(row.fp or story_index.fingerprint(self.archive.db, row.article_id))
        terms, s.terms = s.terms, {}
        hit = _Cached(s, _id_array(terms), array("B", terms.values()))
        _remember(self._cache, row.article_id, hit, CACHE_SIZE)
        return hit

    def _terms(self, row: story_index.DocRow) -> tuple[Stored, dict[int, int]]:
        e = self._entry(row)
        return e.stored, dict(zip(e.term_ids, e.counts, strict=True))

    def _item(self, row: story_index.DocRow, stats: TermStats) -> Item:
        """An indexed article as the decision reads it (see :meth:`_vector`)."""
        stored, unit, version = self._vector(row, stats)
        return Item(row.article_id, row.story_id, stored, row.published, unit, row.placed, version)

    def _vector(self, row: story_index.DocRow, stats: TermStats) -> tuple[Stored, Vector, int]:
        """An indexed article, its unit vector and that vector's version (pair scores are
        memoised by version). The vector is computed again once the archive has grown by
        REFRESH since (weights move slowly; this keeps decisions cheap). Every read returns
        the vector as kept (single precision), so one version is one vector."""
        e = self._entry(row)
        if e.unit_ids is not None and stats.documents <= e.unit_at * REFRESH + 50:
            u = _read_back(e.unit_ids, e.unit_weights, e.unit_top)  # type: ignore[arg-type]
            return e.stored, u, e.version
        e.unit_ids, e.unit_weights, u = _kept(
            e.term_ids, stories.unit_vector_of(e.term_ids, e.counts, stats)
        )
        e.unit_top = u.top
        e.unit_at = stats.documents
        e.version = next(self._versions)
        return e.stored, u, e.version

    def _exact(self, row: story_index.DocRow, stats: TermStats, memo: dict[int, Item]) -> Item:
        """An indexed article with its unit vector under the current weights exactly (a settle
        depends on the set of articles and the weights, not on what this process cached)."""
        it = memo.get(row.article_id)
        if it is None:
            e = self._entry(row)
            u = stories.unit_vector_of(e.term_ids, e.counts, stats)
            it = Item(row.article_id, row.story_id, e.stored, row.published, u, row.placed)
            memo[row.article_id] = it
        return it

    def store(
        self, record: ArticleRecord, prepared: Prepared, matches: Sequence[Match] = ()
    ) -> tuple[int, bool]:
        """Group, index and store one new article in one transaction: (article_id, created)."""
        with self.archive.transaction():
            existing = self.archive.article_id_for(record.key, record.canonical_url)
            if existing is not None:
                aid, _, created = self.archive.add_article(
                    record, StoryDecision(None, 0.0, ""), matches
                )
                return aid, created
            placement = self._place(prepared)
            aid, _, created = self.archive.add_article(
                record,
                placement.decision,
                matches,
                index=placement.entry,
                canonical_rank=self.canonical_rank(prepared.fingerprint),
            )
            if created:
                # no digest sends its story until the poll settles it (see settle)
                story_groups.mark_unsettled(self.archive.db, [aid])
        if created:  # committed
            self._seed(aid, placement)
        return aid, created

    def reassign(
        self, article_id: int, record: ArticleRecord, prepared: Prepared | None = None
    ) -> int:
        """The story of a stored article whose text changed (its page arrived on a retry):
        its index entry and document frequencies are replaced, it is placed again like a new
        article, and story ids and deliveries carry over as for any regrouping. The caller
        updates the article's own row (text, matches). Returns its story id."""
        prepared = prepared or prepare(record)
        db = self.archive.db
        with self.archive.transaction():
            self._unindex(article_id)
            placement = self._place(prepared, exclude=article_id)
            old_story = story_groups.story_of_article(db, article_id)
            groups = _groups_for(article_id, placement)
            if old_story is not None:
                rest = [
                    a
                    for a in story_groups.articles_of_story(db, old_story)
                    if a != article_id and not any(a in g for g in groups)
                ]
                if rest:
                    groups.append(rest)
            story_index.add(
                db,
                article_id,
                old_story or 0,
                placement.entry.published,
                placement.entry.placed,
                placement.entry.fp,
                placement.entry.postings,
                pending=placement.entry.pending,
            )
            now = datetime.now().astimezone().isoformat()
            sids = story_groups.apply_groups(db, groups, now)
            sid = sids[next(i for i, g in enumerate(groups) if article_id in g)]
            story_index.set_story(db, [article_id], sid)
            story_groups.note_decision(
                db,
                article_id,
                placement.decision.score,
                placement.decision.reason,
                list(self.canonical_rank(prepared.fingerprint)),
            )
            story_groups.refresh_story(db, sid, now)
        self._seed(article_id, placement)
        return sid

    def _index_only(self, article_id: int, story_id: int, p: Prepared) -> None:
        """File an article in the index under its current story, without a decision."""
        fp = p.fingerprint
        db = self.archive.db
        placed = fp.placed or fp.published
        assert placed is not None
        if fp.short:
            st = Stored(terms={}, length=fp.length, weak=True, page_kind=fp.page_kind)
            story_index.add(db, article_id, story_id, fp.published, placed, stories.encode(st), ())
            return
        stats = self._sync_stats()
        ids, kinds = self._ids(p.hashes)
        st = stories.stored(fp, lambda keys: ids)
        stats.add(st.terms, kinds)
        unit = stories.unit_vector(st.terms, stats)
        st.postings = tuple(unit.ranked()[:POSTINGS])
        story_index.add(
            db,
            article_id,
            story_id,
            fp.published,
            placed,
            stories.encode(st),
            st.postings,
            pending=bool(st.terms),
        )

    def settle(self, article_ids: Sequence[int], now: datetime | None = None) -> int:
        """Group the articles of one batch (a poll) again with everything near them, now that
        the whole batch is in: the result depends on which articles arrived, not on the order
        in which their fetches finished. Returns the number of articles that changed story.

        The batch's postings are chosen again with the current frequencies; the region is the
        batch, its candidates and the copies of their stories; it is grouped from scratch by
        :func:`monitor.stories.group_all` (every pair compared when the region is small, the
        candidate links otherwise) and written with stable story ids and carried deliveries.
        Until then, :meth:`store` has marked the batch unsettled and digests leave its stories
        out; the marks go in the same transaction as the grouping.
        """
        ids = sorted(set(article_ids))
        if not ids:
            return 0
        db = self.archive.db
        with self.archive.transaction():
            story_groups.clear_unsettled(db, ids)
            stats = self._sync_stats()
            rows = {r.article_id: r for r in (story_index.doc(db, a) for a in ids) if r}
            links: dict[int, set[int]] = {}
            region: dict[int, story_index.DocRow] = dict(rows)
            memo: dict[int, Item] = {}
            nearest: dict[int, float] = {}  # story id -> best score of a near candidate in it
            floor = evidence.THRESHOLD * PRUNE
            for a, r in rows.items():
                st = self._entry(r).stored
                if st.short:
                    continue
                it = self._exact(r, stats, memo)
                assert it.unit is not None  # _exact computes it
                ranked = it.unit.ranked()
                postings = tuple(ranked[:POSTINGS])
                if postings != st.postings:
                    _, terms = self._terms(r)
                    fp_bytes = stories.encode(replace(st, postings=postings, terms=terms))
                    story_index.repost(db, a, st.postings, postings, fp_bytes)
                    st.postings = postings
                found = story_index.candidates(
                    db,
                    ranked[:QUERY],
                    r.placed - self.window,
                    r.placed + self.window,
                    exclude=a,
                    limit=SETTLE_CANDIDATES,
                    min_shared=MIN_SHARED,
                    with_fp=False,
                )
                # only candidates within reach join the region (as in _place): a pair below
                # half the threshold is never an edge of the grouping; the nearest SETTLE_NEAR
                # (bounds the region when every text looks alike)
                near_items = [self._exact(c, stats, memo) for c in found]
                scored = list(zip(cluster.scores(it, near_items, stats), found, strict=True))
                scored.sort(key=lambda sc: (-sc[0], sc[1].article_id))
                near = [(sc, c) for sc, c in scored[:SETTLE_NEAR] if sc >= floor]
                links[a] = {c.article_id for _, c in near}
                for sc, c in near:
                    region.setdefault(c.article_id, c)
                    nearest[c.story_id] = max(nearest.get(c.story_id, 0.0), sc)
            # widened by the copies of its stories, the batch's own first, then the nearest,
            # while the region stays within SETTLE_REGION
            order = sorted(
                {r.story_id for r in region.values()},
                key=lambda sid: (-nearest.get(sid, math.inf), sid),
            )
            copies: dict[int, list[story_index.DocRow]] = {}
            for m in story_index.members(db, order, MEMBERS, with_fp=False):
                copies.setdefault(m.story_id, []).append(m)
            for sid in order:
                new = [m for m in copies.get(sid, ()) if m.article_id not in region]
                if len(region) + len(new) > SETTLE_REGION:
                    break
                for m in new:
                    region[m.article_id] = m
            self._count_pending()
            if len(region) < 2:
                return 0
            items = [self._exact(r, stats, memo) for r in region.values()]
            for it in items:
                links.setdefault(it.article_id, set())
            pairs = None if len(items) <= SETTLE_ALL_PAIRS else links
            groups = stories.group_all(items, stats, links=pairs, window=self.window)
            before = {it.article_id: it.story_id for it in items}
            stamp = (now or datetime.now().astimezone()).isoformat()
            sids = story_groups.apply_groups(db, [[i.article_id for i in g] for g in groups], stamp)
            moved = 0
            for g, sid in zip(groups, sids, strict=True):
                story_index.set_story(db, [i.article_id for i in g], sid)
                moved += sum(1 for i in g if before[i.article_id] != sid)
            return moved

    def settle_stale(self, now: datetime | None = None) -> int:
        """Settle what a poll stored and never settled (the process died in between), once
        its marks are older than ``story_groups.UNSETTLED_GRACE``. Returns the articles
        settled."""
        ids = story_groups.stale_unsettled(self.archive.db, now)
        if ids:
            log.info("settling %d articles a poll stored and never settled", len(ids))
            self.settle(ids, now)
        return len(ids)

    def _unindex(self, article_id: int) -> None:
        db = self.archive.db
        self._cache.pop(article_id, None)
        row = story_index.doc(db, article_id)
        if row is None:
            return
        st = stories.decode(row.fp)
        stats = self._sync_stats()
        counted = not story_index.is_pending(db, article_id)
        story_index.remove(db, article_id, st.postings)
        if st.terms:
            if counted:
                story_index.count_documents(db, st.terms, -1)
            stats.remove(st.terms)


def _groups_for(article_id: int, placement: _Placement) -> list[list[int]]:
    o = placement.outcome
    if o is None:
        return [[article_id]]
    if o.regrouped or o.story_id is not None:
        return [[article_id if a == NEW else a for a in g] for g in o.groups]
    return [[article_id]]


# -- the whole archive -------------------------------------------------------------------------


@dataclass
class RegroupReport:
    articles: int = 0
    stories_before: int = 0
    stories_after: int = 0
    unchanged: int = 0  # stories whose articles are exactly the same before and after
    moved: int = 0  # articles now in another story
    seconds: float = 0.0
    changes: list[str] = field(default_factory=list)


def _record(row: ArticleRow) -> ArticleRecord:
    return ArticleRecord(
        key=row.key,
        url=row.url,
        canonical_url=row.canonical_url,
        source=row.source,
        title=row.title or "",
        text=row.text or "",
        published=row.published,
        fetched_at=row.fetched_at,
        doi=list(row.doi),
        nct=list(row.nct),
        pmid=list(row.pmid),
        journal=row.journal,
        extract_note=row.extract_note,
    )


def regroup(
    archive: Archive,
    since: datetime | None = None,
    window_days: float = 21.0,
    source_kinds: Mapping[str, str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RegroupReport:
    """Group the archive's articles again with the current rules (``monitor stories regroup``).

    Articles fetched at or after ``since`` (all when None) are fingerprinted again from their
    stored text and indexed (vocabulary, document frequencies, postings); then they are settled
    in publication order, :data:`REGROUP_CHUNK` at a time, exactly as the pipeline settles a poll
    (:meth:`StoryStep.settle`): story ids stay where groups do not change, a group keeps the
    story that held most of its articles, and deliveries carry over
    (:func:`storage.story_groups.apply_groups`), so no story is delivered twice. One transaction.
    """
    import time

    t0 = time.perf_counter()
    step = StoryStep(archive, window_days, source_kinds)
    db = archive.db
    report = RegroupReport()
    with archive.transaction():
        rows = list(archive.iter_articles(since))
        records = sorted(
            ((r.id, _record(r), r.story_id) for r in rows),
            key=lambda x: (x[1].published or x[1].fetched_at, x[0]),
        )
        old = {aid: sid for aid, _, sid in records}
        before = {sid: set() for sid in old.values()}
        for aid, sid in old.items():
            before[sid].add(aid)
        report.articles = len(records)
        report.stories_before = len(before)
        if since is None:
            story_index.clear(db)
            step.stats = None
            step._cache.clear()
        else:
            for aid in old:
                step._unindex(aid)
        for aid, record, sid in records:
            step._index_only(aid, sid, prepare(record))
        ids = [aid for aid, _, _ in records]
        for k in range(0, len(ids), REGROUP_CHUNK):
            step.settle(ids[k : k + REGROUP_CHUNK])
            if progress:
                progress(min(len(ids), k + REGROUP_CHUNK), len(ids))
        step._count_pending(at_least=1)
        after: dict[int, set[int]] = {}
        for aid in ids:
            sid = story_groups.story_of_article(db, aid)
            report.moved += sid != old[aid]
            after.setdefault(sid, set()).add(aid)
        report.stories_after = len(after)
        report.unchanged = sum(1 for sid, arts in after.items() if before.get(sid) == arts)
    report.seconds = time.perf_counter() - t0
    return report


def explain(archive: Archive, ref_a: str, ref_b: str) -> str:
    """``monitor stories explain A B``: fingerprint both stored articles again and compare them
    with the archive's current document frequencies."""
    recs = []
    for ref in (ref_a, ref_b):
        row = archive.find_article(ref)
        if row is None:
            raise LookupError(f"no article {ref!r} in the archive (give an id or a URL)")
        recs.append(_record(row))
    step = StoryStep(archive)
    stats = step._sync_stats()
    preps = [prepare(r) for r in recs]
    ids = story_index.vocabulary(archive.db, [h for p in preps for h in p.hashes], create=False)
    names: dict[int, str] = {}
    kinds: dict[int, int] = {}
    st = []
    for p in preps:
        known = [(k, h) for k, (h, kd) in zip(p.keys, p.hashes, strict=True) if h in ids]
        for k, h in known:
            names[ids[h]] = k.lstrip("^")
            kinds[ids[h]] = feature_kind(k)
        lookup = dict(known)
        st.append(
            stories.stored(
                p.fingerprint,
                lambda keys, lookup=lookup: [ids.get(lookup.get(k, 0), -1) for k in keys],
            )
        )
        st[-1].terms.pop(-1, None)
    units = [stories.unit_vector(s.terms, stats) for s in st]
    a, b = preps[0].fingerprint, preps[1].fingerprint
    from monitor.stories.evidence import days_apart

    ev = stories.compare(
        st[0],
        st[1],
        units[0],
        units[1],
        days_apart(a.published, b.published),
        name=lambda t: names.get(t, str(t)),
        kind=lambda t: kinds.get(t, 0),
        named=(a, b),
    )
    return stories.explain(a, b, ev)


@dataclass(frozen=True)
class _Source:
    name: str
    url: str
    enabled: bool = True
    tags: tuple[str, ...] = ()


def ingest(
    archive: Archive,
    records: Sequence[ArticleRecord],
    window_days: float = 21.0,
    source_kinds: Mapping[str, str] | None = None,
    timings: list[float] | None = None,
    batch: Callable[[ArticleRecord], object] | None = None,
) -> list[int]:
    """Store records one by one through the story step, in the order given, as polls would
    (benchmarks and tests); sources missing from the archive are added. Consecutive records
    with the same ``batch(record)`` form one poll, settled when it ends (:meth:`StoryStep.settle`;
    without ``batch`` all records are one poll). Returns each record's story id at the end.
    ``timings`` receives the CPU seconds of each store."""
    import time

    names = sorted({r.source for r in records})
    archive.sync_sources(
        [_Source(n, f"https://{i}.sources.invalid/feed") for i, n in enumerate(names)]
    )
    step = StoryStep(archive, window_days, source_kinds)
    ids: list[int] = []
    pending: list[int] = []
    key = object()
    for r in records:
        k = batch(r) if batch else None
        if pending and k != key:
            step.settle(pending)
            pending = []
        key = k
        p = prepare(r)
        t = time.process_time()
        aid, _ = step.store(r, p)
        if timings is not None:
            timings.append(time.process_time() - t)
        ids.append(aid)
        pending.append(aid)
    step.settle(pending)
    return [story_groups.story_of_article(archive.db, a) or 0 for a in ids]
