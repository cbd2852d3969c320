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
    real = PairMemo.score

    def plain(self, a, b, stats, window):
        served[0] += 1
        return cluster.score(a, b, stats, window)

    monkeypatch.setattr(PairMemo, "score", plain)
    with Archive(tmp_path / "plain.db") as archive:
        without = grouping.ingest(archive, records)
    assert with_memo == without
    assert served[0] > 0 and real is not plain
