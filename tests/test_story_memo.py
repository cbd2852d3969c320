"""The pair-score memo of the story decision (monitor.stories.cluster.PairMemo): a memoised
score is the score itself, a new vector version is scored again, the memo stays bounded, and a
step with the memo places every article where it would without it."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor import grouping
from monitor.stories import NEW, Item, PairMemo, Stored, TermStats, average_link, cluster
from monitor.stories import evaluation as ev
from storage.archive import Archive
from tests.conftest import count_calls

DATA = Path(__file__).parent / "data" / "stories"
T0 = datetime(2025, 3, 1, tzinfo=UTC)


def _items(n: int, seed: int = 3) -> tuple[list[Item], TermStats]:
    """``n`` articles on a few themes: the words of a theme shared, some of their own."""
    rng = random.Random(seed)
    stats = TermStats()
    items = []
    for k in range(n):
        theme = k % 4
        terms = {100 * theme + rng.randrange(40): 1 for _ in range(60)}
        terms.update({10_000 + rng.randrange(5_000): 1 for _ in range(30)})
        stats.add(terms)
        st = Stored(terms=terms, length=400)
        items.append(Item(k + 1, None, st, T0 + timedelta(hours=k), None, None, version=1))
    for it in items:
        it.vector(stats)
    return items, stats


@pytest.fixture
def counted(monkeypatch) -> list[int]:
    return count_calls(monkeypatch, cluster, "score")


def test_a_memoised_score_is_the_score_and_a_new_version_is_scored_again(counted) -> None:
    items, stats = _items(5)
    a, b = items[0], items[4]  # one theme
    memo = PairMemo(10)
    first = memo.score(a, b, stats, None)
    assert first == cluster.score(a, b, stats, None)
    assert counted[0] == 2
    assert memo.score(b, a, stats, None) == first  # either order: one pair
    assert counted[0] == 2
    b.version = 2  # its vector was computed again
    b.unit = dict(a.unit)
    again = memo.score(a, b, stats, None)
    assert counted[0] == 3
    assert again == cluster.score(a, b, stats, None)
    assert 0 < first < again


def test_the_new_article_is_scored_once_per_placement_and_never_kept(counted) -> None:
    items, stats = _items(4)
    new = Item(NEW, None, items[0].stored, T0, items[0].unit, None)
    memo = PairMemo(10)
    memo.begin(new)
    s = [memo.score(new, it, stats, None) for it in items[1:]]
    assert [memo.score(it, new, stats, None) for it in items[1:]] == s
    assert counted[0] == 3
    assert len(memo) == 0  # pairs with the article being placed are not kept past it
    other = Item(NEW, None, items[1].stored, T0, items[1].unit, None)
    memo.begin(other)
    memo.score(other, items[2], stats, None)
    assert counted[0] == 4


def test_the_memo_is_bounded_to_two_generations() -> None:
    items, stats = _items(30)
    memo = PairMemo(50)
    for i, a in enumerate(items):
        for b in items[i + 1 :]:
            memo.score(a, b, stats, None)
    assert 50 <= len(memo) <= 100


def test_grouping_with_the_memo_is_grouping_without_it(counted) -> None:
    items, stats = _items(40)
    plain = average_link(items, stats, threshold=0.2)
    memo = PairMemo()
    with_memo = average_link(items, stats, threshold=0.2, memo=memo)
    ids = [[i.article_id for i in g] for g in plain]
    assert [[i.article_id for i in g] for g in with_memo] == ids
    assert 1 < len(ids) < len(items)  # the themes make groups: the check means something
    before = counted[0]
    again = average_link(items, stats, threshold=0.2, memo=memo)
    assert [[i.article_id for i in g] for g in again] == ids
    assert counted[0] == before  # every pair came from the memo


def test_a_step_with_the_memo_places_every_article_as_one_without_it(tmp_path, monkeypatch):
    """The labelled set through the story step, with and without the memo: the same stories
    (and the memo served pairs)."""
    records = [x.record for x in ev.load_labelled(DATA)]
    with Archive(tmp_path / "memo.db") as archive:
        with_memo = grouping.ingest(archive, records)
    served = [0]
    real = PairMemo.scores

    def plain(self, a, others, stats, window):
        served[0] += 1
        return cluster.scores(a, others, stats, window)

    monkeypatch.setattr(PairMemo, "scores", plain)
    with Archive(tmp_path / "plain.db") as archive:
        without = grouping.ingest(archive, records)
    assert with_memo == without
    assert served[0] > 0 and real is not plain


def test_an_indexed_article_keeps_the_scores_of_its_placement(counted) -> None:
    items, stats = _items(5)
    memo = PairMemo(10)
    for placed_id, others in ((9, items[1:4]), (1, items[2:5])):  # id above and below theirs
        new = Item(NEW, None, items[0].stored, T0, items[0].unit, None)
        memo.begin(new)
        s = [memo.score(new, it, stats, None) for it in others]
        before = counted[0]
        memo.adopt(placed_id, version=5)  # indexed, its vector kept as version 5
        placed = Item(placed_id, None, items[0].stored, T0, items[0].unit, None, version=5)
        assert [memo.score(it, placed, stats, None) for it in others] == s
        assert counted[0] == before  # served
        placed.version = 6  # its vector was computed again
        memo.score(placed, others[0], stats, None)
        assert counted[0] == before + 1


def test_a_stored_article_is_cached_as_the_index_holds_it(tmp_path, monkeypatch) -> None:
    """The step keeps a newly stored article as it placed it: the fingerprint the index gives
    back, the vector it was placed with (single precision), no second vector computation."""
    from dataclasses import replace

    from monitor import stories
    from storage import story_index

    labelled = ev.load_labelled(DATA)
    with Archive(tmp_path / "seed.db") as archive:
        names = sorted({x.record.source for x in labelled})
        archive.sync_sources([grouping._Source(n, f"https://{n}.invalid/feed") for n in names])
        step = grouping.StoryStep(archive)
        record = labelled[1].record
        aid, created = step.store(record, grouping.prepare(record))
        assert created
        cached = step._cache[aid]
        row = story_index.doc(archive.db, aid)
        held = stories.decode(row.fp)
        assert cached.stored == replace(held, terms={})
        assert dict(zip(cached.term_ids, cached.counts, strict=True)) == held.terms
        vectors = count_calls(monkeypatch, stories, "unit_vector")
        stats = step._sync_stats()
        stored, unit, version = step._vector(row, stats)
        assert vectors[0] == 0 and version == cached.version
        assert list(unit.values()) == cached.unit_weights.tolist()
        # compact: the vector's ids are the term ids' array, 4 bytes each
        assert cached.unit_ids is cached.term_ids and cached.term_ids.itemsize == 4
        assert grouping._id_array([1, 2**31]).tolist() == [1, 2**31]


def test_what_the_index_gives_back() -> None:
    from monitor.stories.fingerprint import decode, encode, round_trips

    labelled = ev.load_labelled(DATA)
    vocabulary: dict[str, int] = {}
    for x in labelled:
        fp = grouping.prepare(x.record).fingerprint
        st = stories_stored(fp, vocabulary)
        assert round_trips(st)
        assert decode(encode(st)) == st
    heavy = Stored(terms={1: 300, 2: 1}, length=400)
    assert not round_trips(heavy)
    assert decode(encode(heavy)).terms == {1: 255, 2: 1}


def stories_stored(fp, vocabulary: dict[str, int]) -> Stored:
    from monitor import stories

    return stories.stored(
        fp, lambda keys: [vocabulary.setdefault(k, len(vocabulary)) for k in keys]
    )


def test_terms_are_ranked_by_weight_then_id() -> None:
    import numpy as np

    from monitor.stories import Vector

    unit = {7: 0.5, 3: 0.25, 9: 0.5, 1: 0.25, 4: 0.75}
    vector = Vector(np.array(list(unit)), np.array(list(unit.values())))
    assert vector.ranked() == [4, 7, 9, 1, 3]
    assert vector.ranked() == sorted(unit, key=lambda t: (-unit[t], t))
