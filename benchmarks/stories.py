"""Benchmark of story grouping: quality on labelled real and written data, cost at scale.

Every part runs the shipped story step (``monitor.grouping.StoryStep`` on a real SQLite archive,
``storage.story_index``), article by article, as the pipeline does.

Parts (``--part``, default: all of the quick run):

* ``labelled``: the project's own labelled set (tests/data/stories, written for the first
  stories issue; in-sample for every version since) and the real news pages of the shared
  extraction set with hand-labelled same-story clusters, ingested undated as they are (and
  again all given one publication date, as the first pass of issue 13 measured them);
* ``insciout``: the shared InSciOut data (real UK press releases and the news that reported them),
  one half of the studies (``--half tuning`` or ``--half held-out``; the split is fixed in
  ``monitor.stories.evaluation``) ingested as a stream in date order and scored over all pairs,
  beside a plain TF-IDF cosine single-link clustering at each threshold (the best marked), and
  again in a shuffled order (partition agreement);
* ``scale``: a synthetic stream whose copies are rewritten (sentence order, synonyms, dropped and
  added paragraphs, facts reworded), per-article assignment CPU time at checkpoints, peak RSS,
  the size of the story index tables.

    PYTHONPATH=. python benchmarks/stories.py                      # quick: labelled, tuning half,
                                                                   # scale to 20,000 (minutes)
    PYTHONPATH=. python benchmarks/stories.py --half held-out --part insciout   # report once
    PYTHONPATH=. python benchmarks/stories.py --part scale --n 200000           # the full scale run
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor import grouping
from monitor.model import ArticleRecord
from monitor.stories import evaluation as ev
from storage.archive import Archive

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "stories"
SHARED = ROOT.parent / "shared"
INSCIOUT = SHARED / "stories" / "insciout"
REAL_TRUTH = SHARED / "extraction" / "truth.jsonl"


def _pct(xs: Sequence[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_stream(
    records: Sequence[ArticleRecord], source_kinds=None, by_day: bool = False
) -> tuple[list[int], list[float]]:
    """Store records in the given order through the story step, settling each poll (all
    records as one poll, or each run of consecutive records of one day); (story ids, CPU s per
    article)."""
    with tempfile.TemporaryDirectory() as d:
        archive = Archive(Path(d) / "bench.db")
        timings: list[float] = []
        sids = grouping.ingest(
            archive,
            records,
            source_kinds=source_kinds,
            timings=timings,
            batch=(lambda r: (r.published or r.fetched_at).date()) if by_day else None,
        )
        archive.close()
    return sids, timings


# -- the labelled sets -------------------------------------------------------------------------


def labelled(verbose: bool = False) -> dict:
    items = sorted(ev.load_labelled(DATA), key=lambda x: (x.record.published, x.id))
    pairs = ev.labelled_pairs(items, DATA)
    sids, _ = run_stream([x.record for x in items])
    groups = {x.id: s for x, s in zip(items, sids, strict=True)}
    p, r, kinds = ev.pairwise_scores(groups, pairs)
    out = {
        "articles": len(items),
        "stories": len({x.story for x in items}),
        "pairs": len(pairs),
        "positive_pairs": sum(1 for q in pairs if q[2]),
        "precision": p,
        "recall": r,
        "by_kind": kinds,
    }
    if REAL_TRUTH.exists():
        for key, dated in (("real", False), ("real_dated", True)):
            recs, rpairs = ev.real_news(REAL_TRUTH, DATA / "real_clusters.tsv", dated=dated)
            rs, _ = run_stream([r for _, r in recs])
            by = {i: s for (i, _), s in zip(recs, rs, strict=True)}
            rp, rr, _ = ev.pairwise_scores(by, rpairs)
            out[key] = {
                "pages": len(recs),
                "pairs": len(rpairs),
                "positive_pairs": sum(1 for q in rpairs if q[2]),
                "precision": rp,
                "recall": rr,
            }
    return out


def print_labelled(q: dict) -> None:
    print(
        f"Own labelled set (tests/data/stories; written for issue 6, in-sample): {q['articles']}"
        f" articles, {q['stories']} stories, {q['pairs']} pairs ({q['positive_pairs']} same-story)"
    )
    print(f"  precision {q['precision']:.3f}  recall {q['recall']:.3f}")
    wrong = {k: v for k, v in q["by_kind"].items() if v[0] != v[1]}
    for k, (ok, n) in sorted(wrong.items()):
        print(f"  wrong pairs: {k}: {n - ok} of {n}")
    if "real" in q:
        r = q["real"]
        print(
            f"Real news pages (shared extraction set, {r['pages']} pages, {r['pairs']} pairs,"
            f" {r['positive_pairs']} same-story; independent reports of one event)"
        )
        print(
            f"  undated (as the pages are)       precision {r['precision']:.3f}  recall {r['recall']:.3f}"
        )
        d = q.get("real_dated")
        if d:
            print(
                f"  all given one publication date   precision {d['precision']:.3f}"
                f"  recall {d['recall']:.3f}"
            )


# -- InSciOut ------------------------------------------------------------------------------------


def insciout(half: str, shuffled: bool = True) -> dict:
    items = ev.load_insciout(INSCIOUT)
    tuning, held = ev.split_insciout(items)
    chosen = tuning if half == "tuning" else held
    part = [i for i in items if i.study in chosen]
    recs = ev.insciout_records(part)
    kinds = {
        r.source: "press-release"
        for r, i in zip(recs, part, strict=True)
        if i.kind == "press_release"
    }
    order = sorted(
        range(len(part)), key=lambda k: (recs[k].published or recs[k].fetched_at, part[k].id)
    )
    t0, c0 = time.perf_counter(), time.process_time()
    sids, timings = run_stream([recs[k] for k in order], kinds, by_day=True)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    pred = [0] * len(part)
    for k, s in zip(order, sids, strict=True):
        pred[k] = s
    labels = [i.study for i in part]
    kind = [i.kind for i in part]
    out = {
        "half": half,
        "items": len(part),
        "studies": len(chosen),
        "wall": wall,
        "cpu": cpu,
        "p50_ms": 1000 * _pct(timings, 0.5),
        "p95_ms": 1000 * _pct(timings, 0.95),
    }
    out["ours"] = _scores(labels, kind, part, pred)
    if shuffled:
        order2 = list(range(len(part)))
        random.Random(1).shuffle(order2)
        sids2, _ = run_stream([recs[k] for k in order2], kinds, by_day=True)
        pred2 = [0] * len(part)
        for k, s in zip(order2, sids2, strict=True):
            pred2[k] = s
        out["shuffled"] = _scores(labels, kind, part, pred2)
        agree = ev.all_pairs([str(x) for x in pred], pred2)
        out["agreement"] = (agree.precision, agree.recall)
    # the baseline: TF-IDF cosine single link over the same items, every threshold
    sims = ev.tfidf_cosines([r.title + "\n" + r.text for r in recs], 0.1)
    base = []
    for th in [x / 100 for x in range(10, 95, 5)]:
        g = ev.single_link(len(part), [k for k, s in sims.items() if s >= th])
        base.append((th, _scores(labels, kind, part, g, cheap=True)))
    out["baseline"] = base
    return out


def _scores(labels, kind, part, pred, cheap: bool = False) -> dict:
    news = {"news", "press_release"}
    is_pr = [k == "press_release" for k in kind]
    text = [i.text for i in part]

    def nb(i, j):
        return kind[i] in news and kind[j] in news

    res = {"all": ev.all_pairs(labels, pred, nb)}
    if cheap:
        return res
    res["release-news"] = ev.all_pairs(labels, pred, lambda i, j: nb(i, j) and is_pr[i] != is_pr[j])
    res["news-news"] = ev.all_pairs(
        labels, pred, lambda i, j: kind[i] == "news" and kind[j] == "news"
    )
    res["with-broadcast"] = ev.all_pairs(labels, pred)
    near: set[tuple[int, int]] = set()
    by: dict = {}
    for i, (lab, g) in enumerate(zip(labels, pred, strict=True)):
        by.setdefault(("l", lab), []).append(i)
        by.setdefault(("g", g), []).append(i)
    for members in by.values():
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                i, j = members[x], members[y]
                if (i, j) not in near and ev.shingle_jaccard(text[i], text[j]) >= 0.8:
                    near.add((i, j))
    res["no-near-duplicates"] = ev.all_pairs(
        labels, pred, lambda i, j: nb(i, j) and (min(i, j), max(i, j)) not in near
    )
    res["near_duplicate_pairs"] = len(near)
    mask = [k in news for k in kind]
    sub_l = [lab for lab, m in zip(labels, mask, strict=True) if m]
    sub_p = [p for p, m in zip(pred, mask, strict=True) if m]
    res["bcubed"] = ev.bcubed(sub_l, sub_p)
    res["balanced"] = ev.balanced_pairs(sub_l, sub_p)
    return res


def print_insciout(q: dict) -> None:
    print(
        f"InSciOut {q['half']} half ({'held-out' if q['half'] != 'tuning' else 'in-sample'}):"
        f" {q['items']} items of {q['studies']} studies, stream in date order through the story"
        f" step; {q['wall']:.0f} s wall, {q['cpu']:.0f} s CPU, per article p50"
        f" {q['p50_ms']:.1f} ms p95 {q['p95_ms']:.1f} ms CPU"
    )

    def line(name, s: ev.PairScore) -> str:
        return (
            f"  {name:<38} P {s.precision:.3f}  R {s.recall:.3f}   ({s.correct} of"
            f" {s.true_pairs} same-study pairs found, {s.predicted_pairs} pairs grouped)"
        )

    o = q["ours"]
    print(line("all pairs, news + releases", o["all"]))
    print(line("  release-news", o["release-news"]))
    print(line("  news-news", o["news-news"]))
    print(line(f"  near-duplicates dropped ({o['near_duplicate_pairs']})", o["no-near-duplicates"]))
    print(line("  with broadcast transcripts", o["with-broadcast"]))
    print(f"  {'B-cubed, news + releases':<38} P {o['bcubed'][0]:.3f}  R {o['bcubed'][1]:.3f}")
    b = o["balanced"]
    print(f"  {'balanced pairs (1:1 random negatives)':<38} P {b.precision:.3f}  R {b.recall:.3f}")
    if "shuffled" in q:
        s = q["shuffled"]["all"]
        print(
            f"  {'same items, shuffled order':<38} P {s.precision:.3f}  R {s.recall:.3f};"
            f" partition agreement with date order (pairs) {q['agreement'][0]:.4f}"
            f" / {q['agreement'][1]:.4f}"
        )
    print("  baseline TF-IDF cosine single-link (all pairs, news + releases):")
    best = max(q["baseline"], key=lambda t: t[1]["all"].f1())
    for th, s in q["baseline"]:
        mark = "  <- best F1" if (th, s) == best else ""
        a = s["all"]
        print(f"    cosine >= {th:.2f}  P {a.precision:.3f}  R {a.recall:.3f}{mark}")


# -- synthetic scale stream ----------------------------------------------------------------------

_SYL = "ba be bi bo bu da de di do du ka ke ki ko ku la le li lo lu ma me mi mo mu na ne ni no nu \
ra re ri ro ru sa se si so su ta te ti to tu va ve vi vo vu za ze zi zo zu".split()


def _pseudo(rng: random.Random, n: int, lo: int = 2, hi: int = 4) -> list[str]:
    seen: set[str] = set()
    while len(seen) < n:
        seen.add("".join(rng.choice(_SYL) for _ in range(rng.randint(lo, hi))))
    return sorted(seen)


class Synth:
    """A deterministic news stream: stories of 1-20 copies on 60 beats; every copy after the
    first is rewritten: its own sentence order, synonyms for a fifth of the words, a third of
    the sentences dropped, paragraphs of its own added, the facts said in other words (numbers
    rounded or left out, names placed elsewhere)."""

    def __init__(self, n: int, seed: int = 7, days_per_10k: float = 20.0) -> None:
        rng = random.Random(seed)
        vocab = _pseudo(rng, 40000)
        rng.shuffle(vocab)
        self.common = vocab[:3000]
        self.cum = [1 / (i + 1) ** 0.9 for i in range(len(self.common))]
        acc = 0.0
        for i, w in enumerate(self.cum):
            acc += w
            self.cum[i] = acc
        self.synonym = {w: vocab[3000 + i] for i, w in enumerate(self.common)}
        self.beats = [vocab[6000 + 150 * b : 6000 + 150 * (b + 1)] for b in range(60)]
        self.rare = vocab[15000:]
        self.first = [w.capitalize() for w in _pseudo(rng, 600, 2, 3)]
        self.last = [w.capitalize() for w in _pseudo(rng, 3000, 2, 4)]
        self.sites = [f"site{i}" for i in range(300)]
        span = n / 10000 * days_per_10k * 86400
        self.t0 = datetime(2024, 1, 1, tzinfo=UTC)
        sched: list[tuple[float, int, int]] = []
        story = 0
        while len(sched) < n:
            r = rng.random()
            copies = 1 if r < 0.6 else (rng.randint(2, 4) if r < 0.92 else rng.randint(5, 20))
            start = rng.uniform(0, span)
            for c in range(min(copies, n - len(sched))):
                sched.append((start + (0 if c == 0 else rng.uniform(0, 4 * 86400)), story, c))
            story += 1
        sched.sort()
        self.schedule = sched

    def _study(self, story: int) -> dict:
        rng = random.Random(story * 7919 + 1)
        beat = self.beats[rng.randrange(len(self.beats))]
        special = rng.sample(self.rare, 6)
        people = [f"{rng.choice(self.first)} {rng.choice(self.last)}" for _ in range(2)]
        nums = [rng.randint(100, 90000), round(rng.uniform(5, 95), 1), rng.randint(2, 30)]
        sents = []
        for _ in range(rng.randint(10, 16)):
            k = rng.randint(14, 26)
            words = rng.choices(self.common, cum_weights=self.cum, k=k)
            for _ in range(rng.randint(2, 4)):
                words.insert(rng.randrange(k), rng.choice(beat))
            if rng.random() < 0.5:
                words.insert(rng.randrange(k), rng.choice(special))
            sents.append(words)
        return {
            "beat": beat,
            "special": special,
            "people": people,
            "nums": nums,
            "sents": sents,
            "inst": f"University of {rng.choice(self.last)}",
        }

    def record(self, i: int) -> tuple[int, ArticleRecord]:
        secs, story, copy = self.schedule[i]
        s = self._study(story)
        rng = random.Random(i * 104729 + 3)
        sents = [list(x) for x in s["sents"]]
        if copy:
            rng.shuffle(sents)
            sents = [x for x in sents if rng.random() > 0.33] or sents[:3]
            sents = [
                [self.synonym.get(w, w) if rng.random() < 0.2 else w for w in x] for x in sents
            ]
            for _ in range(rng.randint(1, 4)):  # a paragraph of its own
                k = rng.randint(14, 26)
                words = rng.choices(self.common, cum_weights=self.cum, k=k)
                words.insert(0, rng.choice(s["beat"]))
                sents.insert(rng.randrange(len(sents) + 1), words)
        n0, pct, years = s["nums"]
        p1, p2 = s["people"]
        facts = [
            f"The team at the {s['inst']} followed {n0:,} patients for {years} years.",
            f"Dr {p1} said the risk fell by {pct}% in the group that took part.",
            f"{p2}, a co-author, said the work on {' '.join(s['special'][:2])} would go on.",
        ]
        if copy:
            facts = [
                f"Some {round(n0, -2):,} patients were followed by {p1} and colleagues at the"
                f" {s['inst']}.",
                f"The risk was {round(pct)}% lower, said {p2}."
                if rng.random() < 0.7
                else f"{p2} of the {s['inst']} said the {s['special'][0]} results were clear.",
            ]
        body = [" ".join(x).capitalize() + "." for x in sents]
        for f in facts:
            body.insert(rng.randrange(len(body) + 1), f)
        paras = ["  ".join(body[k : k + 3]) for k in range(0, len(body), 3)]
        when = self.t0 + timedelta(seconds=secs)
        title = " ".join(s["sents"][0][:4] + s["special"][:1]).capitalize()
        rec = ArticleRecord(
            key=f"synth:{i}",
            url=f"https://x.example/{i}",
            canonical_url=f"https://x.example/{i}",
            source=rng.choice(self.sites),
            title=title,
            text="\n\n".join(paras),
            published=when,
            fetched_at=when,
        )
        return story, rec


#: articles per poll in the scale stream (each poll ends with a settle, as in the pipeline)
POLL_BATCH = 25


def scale(n: int, checkpoints: Sequence[int]) -> dict:
    synth = Synth(n)
    out: dict = {"n": n, "checkpoints": []}
    with tempfile.TemporaryDirectory() as d:
        archive = Archive(Path(d) / "scale.db")
        names = sorted({synth.record(i)[1].source for i in range(min(n, 3000))} | set(synth.sites))
        archive.sync_sources([grouping._Source(x, f"https://{x}.invalid/feed") for x in names])
        step = grouping.StoryStep(archive)
        # the decision alone (candidates, scores, grouping again): what the story stage adds
        # to storing an article; the whole store also writes the article's row, its full-text
        # index entry and the story rows, and commits
        decide: list[float] = []
        place = step._place

        def timed_place(*a: object, **kw: object) -> object:
            c = time.process_time()
            try:
                return place(*a, **kw)  # type: ignore[arg-type]
            finally:
                decide.append(time.process_time() - c)

        step._place = timed_place  # type: ignore[method-assign]
        truth: list[int] = []
        ids: list[int] = []
        window: list[float] = []
        prep: list[float] = []
        settle: list[float] = []
        batch: list[int] = []
        t0 = time.perf_counter()
        for i in range(n):
            story, rec = synth.record(i)
            c0 = time.process_time()
            p = grouping.prepare(rec)
            c1 = time.process_time()
            aid, _ = step.store(rec, p)
            c2 = time.process_time()
            prep.append(c1 - c0)
            window.append(c2 - c1)
            truth.append(story)
            ids.append(aid)
            batch.append(aid)
            if len(batch) == POLL_BATCH or i + 1 == n:  # a poll ends: settle its articles
                c3 = time.process_time()
                step.settle(batch)
                settle.append((time.process_time() - c3) / len(batch))
                batch = []
            if i + 1 in checkpoints:
                size = archive.db.execute(
                    "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'story_%' OR name LIKE"
                    " 'sqlite_autoindex_story_%'"
                ).fetchone()[0]
                last = window[-2000:]
                out["checkpoints"].append(
                    {
                        "articles": i + 1,
                        "p50_ms": 1000 * _pct(last, 0.5),
                        "p95_ms": 1000 * _pct(last, 0.95),
                        "decide_p50_ms": 1000 * _pct(decide[-2000:], 0.5),
                        "decide_p95_ms": 1000 * _pct(decide[-2000:], 0.95),
                        "prepare_p50_ms": 1000 * _pct(prep[-2000:], 0.5),
                        # a poll's settle, per article of the poll (the last 2,000 articles)
                        "settle_mean_ms": 1000 * statistics.fmean(settle[-(2000 // POLL_BATCH) :]),
                        "index_mb": size / 1e6,
                        "rss_mb": _peak_rss_mb(),
                        "wall_s": time.perf_counter() - t0,
                    }
                )
                print(json.dumps(out["checkpoints"][-1]), file=sys.stderr, flush=True)
        pred = [a for (a,) in archive.db.execute("SELECT story_id FROM articles ORDER BY id")]
        archive.close()
    s = ev.all_pairs(truth, pred)
    out["precision"], out["recall"] = s.precision, s.recall
    out["peak_rss_mb"] = _peak_rss_mb()
    return out


def print_scale(q: dict) -> None:
    print(
        f"Scale: synthetic stream of {q['n']:,} articles with rewritten copies, through the story"
        " step on a real SQLite archive (CPU time per article, last 2,000 before each point;"
        " decide = candidates, scores and grouping again; store = the whole transaction:"
        " decide, the article row with its full-text entry, index and story rows, commit;"
        " settle = the poll's grouping again when it ends, per article of the poll, mean;"
        " p95/fp = decide p95 over the fingerprint p50 of the same articles: the fingerprint"
        " never reads the archive, so this ratio shows growth with the archive apart from the"
        " machine's speed, which varies about 2x between runs on shared cores)"
    )
    print(
        "  articles   decide p50   decide p95   store p50   store p95   settle   fingerprint p50"
        "   p95/fp   index MB   MB/200k   RSS MB"
    )
    for c in q["checkpoints"]:
        per200k = c["index_mb"] / c["articles"] * 200_000
        print(
            f"  {c['articles']:>8,}   {c['decide_p50_ms']:7.2f} ms   {c['decide_p95_ms']:7.2f} ms"
            f"   {c['p50_ms']:6.2f} ms   {c['p95_ms']:6.2f} ms   {c['settle_mean_ms']:3.2f} ms"
            f"   {c['prepare_p50_ms']:12.2f} ms"
            f"   {c['decide_p95_ms'] / c['prepare_p50_ms']:6.2f}"
            f"   {c['index_mb']:8.1f}   {per200k:7.1f}"
            f"   {c['rss_mb']:6.0f}"
        )
    print(
        f"  grouping of the synthetic stream: P {q['precision']:.3f}  R {q['recall']:.3f};"
        f" peak RSS {q['peak_rss_mb']:.0f} MB"
    )


# -- main ------------------------------------------------------------------------------------------


def _child(args: list[str]) -> None:
    subprocess.run([sys.executable, __file__, *args], check=True)


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--part", choices=("labelled", "insciout", "scale"), action="append")
    ap.add_argument("--half", choices=("tuning", "held-out"), default="tuning")
    ap.add_argument("--n", type=int, default=20_000, help="articles in the synthetic stream")
    ap.add_argument("--no-shuffle", action="store_true", help="skip the shuffled-order run")
    a = ap.parse_args(argv)
    parts = a.part or ["labelled", "insciout", "scale"]
    if len(parts) > 1:  # each part in its own process, so that peak RSS is its own
        for p in parts:
            extra = ["--half", a.half, "--n", str(a.n)] + (["--no-shuffle"] if a.no_shuffle else [])
            _child(["--part", p, *extra])
        return
    part = parts[0]
    if part == "labelled":
        print_labelled(labelled())
    elif part == "insciout":
        if not INSCIOUT.exists():
            sys.exit(f"{INSCIOUT} is missing")
        print_insciout(insciout(a.half, shuffled=not a.no_shuffle))
    else:
        cps = sorted({c for c in (10_000, 50_000, 100_000) if c < a.n} | {a.n})
        print_scale(scale(a.n, cps))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
