"""Tests of the story stage (monitor.stories) and its step on a real archive (monitor.grouping).

Tests that read ../shared skip on a developer machine without it and fail in CI (CI=true).
"""

from __future__ import annotations

import os
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor import grouping
from monitor.config import ConfigError, load
from monitor.model import ArticleRecord
from monitor.stories import (
    MIN_WORDS,
    canonical_order,
    decode,
    encode,
    fingerprint,
)
from monitor.stories import evaluation as ev
from monitor.stories.fingerprint import coherence
from storage import story_groups
from storage.archive import Archive
from tests.conftest import count_calls

DATA = Path(__file__).parent / "data" / "stories"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
T0 = datetime(2025, 3, 1, 12, tzinfo=UTC)


def _shared(*parts: str) -> Path:
    """A path under ../shared; skipped when missing, except in CI where it must be there."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
            pytest.fail(f"{path} is missing (CI=true: tests that need ../shared fail)")
        pytest.skip(f"{path} not present (it sits beside the repository in CI)")
    return path


def rec(text: str, key: str = "k", **kw) -> ArticleRecord:
    base = dict(
        key=key,
        url=f"https://example.org/{key}",
        canonical_url=f"https://example.org/{key}",
        source="Example",
        title="",
        text=text,
        published=T0,
        fetched_at=T0,
    )
    base.update(kw)
    return ArticleRecord(**base)


def stories_of(tmp_path: Path, records, name: str = "a.db", **kw) -> list[int]:
    with Archive(tmp_path / name) as archive:
        return grouping.ingest(archive, records, **kw)


def partition(ids, sids) -> frozenset:
    groups: dict[int, set] = {}
    for i, s in zip(ids, sids, strict=True):
        groups.setdefault(s, set()).add(i)
    return frozenset(frozenset(g) for g in groups.values())


# -- the seeds: the product's defining examples ------------------------------------------------


def test_seed_pairs_are_one_story_and_002_stays_alone(tmp_path) -> None:
    """000+001 (a syndicated copy and a trade rewrite) and 003+004 (a machine-translated
    rewrite) are one story each; the patient explainer 002 (same topic, same week) is its own,
    even in an archive of five articles."""
    seeds = [x for x in ev.load_labelled(DATA) if x.id.startswith("seed")]
    got = stories_of(tmp_path, [x.record for x in seeds])
    sids = dict(zip([x.id for x in seeds], got, strict=True))
    assert sids["seed000"] == sids["seed001"]
    assert sids["seed003"] == sids["seed004"]
    assert len({sids["seed000"], sids["seed003"], sids["seed002"]}) == 3


# -- order does not decide the groups -----------------------------------------------------------


def test_shuffled_arrival_orders_end_in_the_same_stories(tmp_path) -> None:
    """One labelled set ingested as one poll in several shuffled orders (concurrent fetches
    finish in any order): the poll's settle leaves identical partitions."""
    items = ev.load_labelled(DATA)
    ids = [x.id for x in items]
    seen = set()
    for seed in range(4):
        order = list(range(len(items)))
        random.Random(seed).shuffle(order)
        sids = stories_of(tmp_path, [items[k].record for k in order], name=f"o{seed}.db")
        by_id = {ids[k]: s for k, s in zip(order, sids, strict=True)}
        seen.add(partition(ids, [by_id[i] for i in ids]))
    assert len(seen) == 1


# -- quality ---------------------------------------------------------------------------------------


def test_labelled_set_quality_does_not_regress(tmp_path) -> None:
    """The project's own labelled set (in-sample; figures in docs/stories.md)."""
    items = sorted(ev.load_labelled(DATA), key=lambda x: (x.record.published, x.id))
    pairs = ev.labelled_pairs(items, DATA)
    sids = stories_of(tmp_path, [x.record for x in items])
    p, r, kinds = ev.pairwise_scores(dict(zip([x.id for x in items], sids, strict=True)), pairs)
    assert p >= 0.98 and r >= 0.95, (p, r)  # issue 13's target; measured 1.000, 1.000
    # every kind of written hard negative stays apart (follow-ups by the same group, the same
    # drug in another cancer, roundups, explainers, same congress / journal / week)
    for kind, (ok, total) in kinds.items():
        if not kind.startswith("same:"):
            assert ok == total, kind


def _insciout_sample(n_studies: int = 45):
    items = ev.load_insciout(_shared("stories", "insciout"))
    tuning, _ = ev.split_insciout(items)
    studies = sorted(tuning)[:n_studies] + ["22-020"]
    part = [i for i in items if i.study in studies]
    recs = ev.insciout_records(part)
    order = sorted(range(len(part)), key=lambda k: (recs[k].published or recs[k].fetched_at, k))
    return part, recs, order


def test_insciout_sample_is_grouped_by_study(tmp_path) -> None:
    """A slice of the tuning half (real press releases and news) as a stream by day."""
    part, recs, order = _insciout_sample()
    sids = stories_of(
        tmp_path,
        [recs[k] for k in order],
        batch=lambda r: (r.published or r.fetched_at).date(),
    )
    pred = [0] * len(part)
    for k, s in zip(order, sids, strict=True):
        pred[k] = s
    news = {"news", "press_release"}
    score = ev.all_pairs(
        [i.study for i in part], pred, lambda i, j: {part[i].kind, part[j].kind} <= news
    )
    assert score.precision >= 0.9 and score.recall >= 0.55, score  # measured: 1.00, 0.65


def test_explain_shows_the_new_evidence_on_a_real_rewrite(tmp_path) -> None:
    """A press release and a newspaper's own story of it (22-020: no 5-word phrase shared)."""
    part, recs, order = _insciout_sample()
    with Archive(tmp_path / "x.db") as archive:
        grouping.ingest(archive, [recs[k] for k in order])
        pos = {part[k].id: n + 1 for n, k in enumerate(order)}
        text = grouping.explain(archive, str(pos["22-020:1"]), str(pos["22-020:5"]))
    assert text.startswith("SAME STORY")
    assert "text similarity (TF-IDF cosine" in text and "from terms:" in text
    assert "shared facts" in text and "time factor" in text
    assert "dishonesti" in text  # the study's own word, stemmed


# -- bad input never bridges stories ---------------------------------------------------------------

STUDY_A = (
    "Researchers at the Orchard Valley Cancer Institute treated 212 patients with liver "
    "metastases with nivolumab after microwave ablation. Lena Hartmann, who led the trial, "
    "said the response rate of 38.5% was higher than expected, and lesions that were never "
    "ablated shrank too. The median survival was 19.4 months. Omar Saleh said a larger "
    "trial of ablation and nivolumab will follow at Orchard Valley next spring."
)
STUDY_B = (
    "Teenagers who keep their phones in the bedroom sleep 40 minutes less on school nights, "
    "according to a survey of 3,412 pupils by the Northfield Sleep Unit. Priya Anand, who "
    "ran the survey, said screens before bed delayed sleep by about an hour. Pupils who "
    "left their phones downstairs reported better moods and fewer headaches. Tom Berridge "
    "said schools in Northfield will now advise parents to charge phones outside bedrooms."
)


def _rewrite(text: str, seed: int) -> str:
    sentences = text.split(". ")
    random.Random(seed).shuffle(sentences)
    return ". ".join(sentences)


def test_a_roundup_of_two_studies_does_not_merge_them(tmp_path) -> None:
    a = [rec(_rewrite(STUDY_A, s), key=f"a{s}") for s in range(2)]
    b = [rec(_rewrite(STUDY_B, s), key=f"b{s}") for s in range(2)]
    filler = (
        "In other news this week, hospitals reported longer waits in emergency departments, "
        "a charity opened a new hospice, and a council debated parking charges near clinics. "
    )
    roundup = rec(
        "\n\n".join([STUDY_A, filler * 3, STUDY_B, filler * 3, "Weather: rain later."]),
        key="roundup",
        published=T0 + timedelta(hours=5),
    )
    # two sentences, one of each study: long enough to compare, close to both
    bridge = rec(STUDY_A.split(".")[0] + ". " + STUDY_B.split(".")[0], key="bridge")
    short = rec(" ".join((STUDY_A + " " + STUDY_B).split()[:20]), key="short")
    # a brief of 30 words (all of study A's opening): compared, weak, joins one story at most
    brief = rec(" ".join((STUDY_A + " " + STUDY_B).split()[:30]), key="brief")
    sids = stories_of(tmp_path, [*a, *b, roundup, bridge, short, brief])
    assert sids[0] == sids[1] and sids[2] == sids[3]
    assert sids[0] != sids[2]
    assert sids[6] not in (sids[0], sids[2])  # the short text is its own story
    assert sids[7] == sids[0]


def test_short_text_gets_its_own_story() -> None:
    fp = fingerprint(rec("Too short to say which study this is."))
    assert fp.short and fp.length < MIN_WORDS and not fp.features


def test_roundup_reads_as_several_pieces() -> None:
    one = "\n\n".join(_rewrite(STUDY_A, s) for s in range(4))
    parking = (
        "Parking charges rise at the town hall car park after councillors voted on the budget "
        "for roads, bins and street lights, and traders say the change will cost them trade. "
    )
    many = "\n\n".join([STUDY_A, parking * 2, STUDY_B, parking * 2, STUDY_A])
    assert coherence(one) > coherence(many)


# -- the stored form --------------------------------------------------------------------------------


def test_stored_fingerprint_round_trips_and_is_compact() -> None:
    fp = fingerprint(rec(STUDY_A * 3, doi=["10.1/abc"], nct=["NCT01234567"]))
    ids = {k: i + 1 for i, k in enumerate(sorted(fp.features))}
    from monitor.stories import stored

    st = stored(fp, lambda keys: [ids[k] for k in keys])
    st.postings = (3, 1, 7)
    blob = encode(st)
    back = decode(blob)
    assert back == st
    assert back.cohorts == (212,)
    assert len(blob) < 6 * len(st.terms) + 200


def test_postings_are_stored_as_positions_and_older_fingerprints_still_read() -> None:
    """Version 3 files the postings as positions among the term ids (a byte where a large id
    takes three); version 2 (ids) is still read, and written when a posting is not a term."""
    fp = fingerprint(rec(STUDY_A * 3))
    from monitor.stories import stored

    big = {k: 100_000 + 7 * i for i, k in enumerate(sorted(fp.features))}
    st = stored(fp, lambda keys: [big[k] for k in keys])
    st.postings = tuple(sorted(st.terms)[-16:])
    blob = encode(st)
    assert blob[0] == 3 and decode(blob) == st
    as_ids = encode(replace(st, postings=(*st.postings[:-1], 99)))  # 99 is no term
    assert as_ids[0] == 2 and decode(as_ids).postings == (*st.postings[:-1], 99)
    assert len(blob) <= len(as_ids) - 16  # at least a byte less per posting


# -- canonical copy ----------------------------------------------------------------------------------


def test_canonical_copy_comes_from_the_source_kind_not_its_name() -> None:
    early, late = T0, T0 + timedelta(hours=3)
    news_named_press = canonical_order("news", "", early, 500, False, "medicalxpress.com")
    release = canonical_order("press-release", "", late, 300, False, "University newsroom")
    page_says_release = canonical_order("news", "press-release", late, 300, False, "x")
    assert release < page_says_release < news_named_press
    short = canonical_order("journal", "", early, 10, True)
    assert news_named_press < short


def test_press_release_page_is_recognised_from_its_text() -> None:
    fp = fingerprint(rec(STUDY_A + "\n\nMedia contact: press office, +44 20 0000 0000"))
    assert fp.page_kind == "press-release"
    assert fingerprint(rec(STUDY_A)).page_kind == ""


def test_source_kind_is_validated(tmp_path) -> None:
    base = '[[sources]]\nname = "n"\nurl = "https://example.org/feed"\n'
    path = tmp_path / "s.toml"
    path.write_text(base + 'kind = "press-release"\n', encoding="utf-8")
    assert load(path).sources[0].kind == "press-release"
    path.write_text(base, encoding="utf-8")
    assert load(path).sources[0].kind == "news"
    path.write_text(base + 'kind = "wordpress"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="kind"):
        load(path)


# -- regroup and re-assignment -------------------------------------------------------------------


def _split_story(archive: Archive, article_id: int) -> int:
    """Simulate an archive grouped by older rules: move one article to a story of its own."""
    db = archive.db.conn
    now = T0.isoformat()
    sid = db.execute(
        "INSERT INTO stories (title, first_seen, updated_at, copies) VALUES ('x', ?, ?, 1)",
        [now, now],
    ).lastrowid
    db.execute("UPDATE articles SET story_id = ? WHERE id = ?", [sid, article_id])
    story_groups.refresh_story(archive.db, sid, now)
    return sid


def test_regroup_keeps_ids_and_never_delivers_twice(tmp_path) -> None:
    a = [rec(_rewrite(STUDY_A, s), key=f"a{s}") for s in range(3)]
    b = [rec(_rewrite(STUDY_B, s), key=f"b{s}") for s in range(2)]
    with Archive(tmp_path / "r.db") as archive:
        sids = grouping.ingest(archive, [*a, *b])
        story_a, story_b = sids[0], sids[3]
        assert sids[:3] == [story_a] * 3 and sids[3:] == [story_b] * 2
        # an old grouping split study A, and the split-off part was delivered to a channel
        lone = _split_story(archive, 3)
        archive.ensure_channel("mail", "email")
        archive.create_digest("d1", "mail", [lone], "{}")
        report = grouping.regroup(archive)
        after = [story_groups.story_of_article(archive.db, i) for i in range(1, 6)]
        assert after[:3] == [story_a] * 3  # the larger part kept its id
        assert after[3:] == [story_b] * 2  # unchanged group, unchanged id
        assert report.moved == 1 and report.articles == 5
        # the delivery made for the split-off part counts for the reunited story
        row = archive.db.conn.execute(
            "SELECT state, digest_id FROM deliveries WHERE channel = 'mail' AND story_id = ?",
            [story_a],
        ).fetchone()
        assert row == ("pending", "d1")
        assert archive.db.conn.execute(
            "SELECT merged_into FROM stories WHERE id = ?", [lone]
        ).fetchone() == (story_a,)
        # a second regroup changes nothing
        again = grouping.regroup(archive)
        assert again.moved == 0


def test_reassign_moves_an_article_whose_text_arrived_late(tmp_path) -> None:
    a = [rec(_rewrite(STUDY_A, s), key=f"a{s}") for s in range(2)]
    failed = rec("Page could not be read.", key="late", extract_note="page timed out")
    with Archive(tmp_path / "t.db") as archive:
        sids = grouping.ingest(archive, [*a, failed])
        assert sids[2] != sids[0]  # a failed page is its own story
        step = grouping.StoryStep(archive)
        full = rec(_rewrite(STUDY_A, 7), key="late")
        assert step.reassign(3, full) == sids[0]
        # and again with a text of another study: it leaves the story
        other = rec(_rewrite(STUDY_B, 1), key="late")
        assert step.reassign(3, other) not in (sids[0],)
        assert story_groups.story_of_article(archive.db, 1) == sids[0]


def test_a_different_cohort_halves_the_score(tmp_path) -> None:
    """The same wording about another group of patients: a follow-up, not a copy."""
    follow_up = STUDY_A.replace("212 patients", "480 patients")
    with Archive(tmp_path / "c.db") as archive:
        grouping.ingest(
            archive,
            [rec(STUDY_A, key="a"), rec(_rewrite(STUDY_A, 1), key="b"), rec(follow_up, key="c")],
        )
        same = grouping.explain(archive, "1", "2")
        other = grouping.explain(archive, "1", "3")
    assert "groups studied differ" in other and "groups studied differ" not in same
    score = float(other.splitlines()[-1].split("=")[1])
    assert score < 0.6 * float(same.splitlines()[-1].split("=")[1])


# -- the bound that spares a settled poll most pair comparisons -------------------------------


def _items_of(records):
    from monitor.stories import Item, TermStats, stored
    from monitor.stories.fingerprint import feature_kind

    fps = [fingerprint(r) for r in records]
    vocab: dict[str, int] = {}
    for fp in fps:
        for k in sorted(fp.features):
            vocab.setdefault(k, len(vocab) + 1)
    stats = TermStats()
    items = []
    for n, fp in enumerate(fps, 1):
        st = stored(fp, lambda keys: [vocab[k] for k in keys])
        if not st.short:
            stats.add(st.terms, {vocab[k]: feature_kind(k) for k in fp.features})
        items.append(Item(n, n, st, fp.published, None, fp.placed))
    return items, stats


def _diverse_records(n: int = 240, seed: int = 7):
    """Articles on unrelated subjects (each its own invented words, as different studies use
    different names), all with a few words of the one topic; every third one has a rewrite a
    day later, with 60-95 % of its words changed (pairs on both sides of the threshold)."""
    rng = random.Random(seed)
    letters = "bcdfghklmnprstvz"
    vowels = "aeiou"
    vocab = sorted(
        {"".join(rng.choice(letters) + rng.choice(vowels) for _ in range(3)) for _ in range(4000)}
    )
    topic = "liver metastases immunotherapy checkpoint patients tumour survival trial".split()
    out = []
    for k in range(n):
        words = [rng.choice(vocab) for _ in range(90)]
        for j in range(0, 90, 8):
            words[j] = rng.choice(topic)
        out.append(rec(" ".join(words), key=f"d{k}", published=T0 + timedelta(hours=k)))
        if k % 3 == 0:
            changed = 0.6 + 0.35 * rng.random()  # from close rewrites to barely related
            copy = [w if rng.random() > changed else rng.choice(vocab) for w in words]
            out.append(rec(" ".join(copy), key=f"c{k}", published=T0 + timedelta(hours=k + 24)))
    for k in range(6):  # news briefs of the topic itself: what they share is common words
        words = [rng.choice(topic) for j in range(60)]
        out.append(rec(" ".join(words), key=f"t{k}", published=T0 + timedelta(hours=k)))
    return out


def _check_pruning(items, stats, monkeypatch) -> tuple[int, int, int]:
    from monitor.stories import cluster, evidence

    reach = cluster.may_reach(items, stats, evidence.THRESHOLD)
    at_threshold = kept = total = 0
    for i, a in enumerate(items):
        for b in items[i + 1 :]:
            total += 1
            kept += reach is None or b.article_id in reach.get(a.article_id, ())
            if cluster.score(a, b, stats) >= evidence.THRESHOLD:
                at_threshold += 1
                assert reach is None or b.article_id in reach[a.article_id], (a, b)
    pruned = cluster.group_all(items, stats)
    with monkeypatch.context() as m:
        m.setattr(cluster, "may_reach", lambda *a: None)
        every_pair = cluster.group_all(items, stats)
    ids = lambda groups: [[i.article_id for i in g] for g in groups]  # noqa: E731
    assert ids(pruned) == ids(every_pair)
    return at_threshold, kept, total


def test_pruned_pairs_miss_no_pair_at_the_threshold(monkeypatch) -> None:
    """Every pair scoring at or above the threshold is among the pairs ``may_reach`` keeps, and
    grouping with it gives the same stories as comparing every pair: on articles of unrelated
    subjects (where it spares most comparisons) and on real press releases and news of 46
    studies (which share so much vocabulary that it declines and every pair is compared)."""
    items, stats = _items_of(_diverse_records())
    at_threshold, kept, total = _check_pruning(items, stats, monkeypatch)
    assert 30 <= at_threshold <= 90  # some of the 80 rewrites, the briefs with each other
    assert kept < total / 10, (kept, total)
    _part, recs, order = _insciout_sample()
    items, stats = _items_of([recs[k] for k in order])
    at_threshold, kept, total = _check_pruning(items, stats, monkeypatch)
    assert at_threshold > 20


# -- the cost stays bounded when every text looks alike -----------------------------------------


def test_comparisons_per_article_are_bounded_when_all_texts_look_alike(tmp_path, monkeypatch):
    """Texts drawn uniformly from one small vocabulary (the first polling farm's) share a fifth
    of their words: every article is near every story. The comparisons per article must stay
    bounded (nearest candidates per settled article, near stories regrouped per decision, all
    pairs only in small regions), not grow with the archive as they did (a region of every near
    story's copies compared pair by pair: 228 s CPU for 2,000 such articles)."""
    from monitor.stories import cluster

    rng = random.Random(3)
    letters = "bcdfghklmnprstvz"
    vocab = sorted(
        {"".join(rng.choice(letters) + rng.choice("aeiou") for _ in range(3)) for _ in range(400)}
    )
    records = [
        rec(
            " ".join(rng.choice(vocab) for _ in range(300)),
            key=f"u{k}",
            source=f"host{k // 10}",
            published=T0 + timedelta(minutes=k),
        )
        for k in range(150)
    ]
    calls = count_calls(monkeypatch, cluster, "pair_score")
    per_poll: list[int] = []
    with Archive(tmp_path / "alike.db") as archive:
        sids = grouping.ingest(archive, records, batch=lambda r: r.source)
        for k in range(5):  # five more polls of ten, counted one by one
            before = calls[0]
            more = [
                rec(
                    " ".join(rng.choice(vocab) for _ in range(300)),
                    key=f"v{k}-{j}",
                    source=f"late{k}",
                    published=T0 + timedelta(minutes=200 + 10 * k + j),
                )
                for j in range(10)
            ]
            grouping.ingest(archive, more, batch=lambda r: r.source)
            per_poll.append((calls[0] - before) // 10)
    assert len(set(sids)) < 0.8 * len(records)  # they do look alike: many join stories
    # per article: candidates screened, the copies of the near candidate stories, a regrouping
    # of at most NEAR_STORIES stories and NEAR_REGION copies, its share of a settled region of
    # the nearest SETTLE_NEAR candidates (before these bounds: 560-807, growing poll by poll)
    assert max(per_poll) < 500, per_poll
