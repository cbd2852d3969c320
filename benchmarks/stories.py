"""Benchmark of story grouping: quality on the labelled pairs, cost at scale.

Quality: the labelled articles in tests/data/stories/ go through the real pipeline shape
(fingerprint -> story index in SQLite -> decide, with merges) in publication order; the resulting
grouping is scored pairwise (precision, recall) against the labels, beside the baseline
"word 3-shingle Jaccard >= 0.5, transitively grouped".

Scale: a synthetic stream (default 200,000 articles; many distinct stories, some with 2-20 copies
at several rewrite levels) goes through fingerprint + story index (a real SQLite file) + decide;
per-article cost is reported at 10k, 50k and the end, with peak RSS. References in the same run:
naive all-pairs comparison on the first 5,000 articles, and datasketch's in-memory MinHashLSH
(insert + query per article). Each part runs in its own process so peak RSS is its own.

    PYTHONPATH=. python benchmarks/stories.py                # everything
    PYTHONPATH=. python benchmarks/stories.py --quality      # labelled set only (seconds)
    PYTHONPATH=. python benchmarks/stories.py --n 20000      # a smaller stream
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.model import ArticleRecord
from monitor.stories import (
    Candidate,
    Fingerprint,
    candidate_keys,
    compare,
    decide,
    fingerprint,
    shingles,
)
from storage import story_index

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "stories"
WINDOW = timedelta(days=21)

# -- the labelled set ------------------------------------------------------------------------


@dataclass
class Labelled:
    id: str
    story: str
    kind: str
    record: ArticleRecord


_HEADER = re.compile(r"(\w+)=(.*?)(?=\s+\w+=|$)")


def load_labelled(root: Path = DATA) -> list[Labelled]:
    """Read tests/data/stories/articles/*.txt (format in the README there)."""
    out: list[Labelled] = []
    for path in sorted((root / "articles").glob("*.txt")):
        meta: dict[str, str] | None = None
        body: list[str] = []

        def flush(meta=None, body=None) -> None:
            if meta is None:
                return
            text = "\n".join(body).strip()
            if "file" in meta:
                text = (root / meta["file"]).read_text(encoding="utf-8")
            published = datetime.fromisoformat(meta["published"].replace("Z", "+00:00"))
            rec = ArticleRecord(
                key=f"test:{meta['id']}",
                url=meta.get("url", ""),
                canonical_url=meta.get("url", ""),
                source=meta.get("source", ""),
                title=meta.get("title", ""),
                text=text,
                published=published,
                fetched_at=published,
                doi=[d for d in meta.get("doi", "").split("|") if d],
                nct=[n for n in meta.get("nct", "").split("|") if n],
                journal=meta.get("journal") or None,
            )
            out.append(Labelled(meta["id"], meta["story"], meta.get("kind", "article"), rec))

        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("@@ "):
                fields = dict(_HEADER.findall(line[3:].strip()))
                if "id" in fields:
                    flush(meta, body)
                    meta, body = {}, []
                meta.update(fields)  # type: ignore[union-attr]
            else:
                body.append(line)
        flush(meta, body)
    return out


def load_relations(root: Path = DATA) -> dict[frozenset[str], str]:
    rel = {}
    for line in (root / "relations.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            a, b, kind = line.split("\t")[:3]
            rel[frozenset((a, b))] = kind
    return rel


def labelled_pairs(items: Sequence[Labelled]) -> list[tuple[str, str, bool, str]]:
    """Every pair of labelled articles: (id_a, id_b, same, kind)."""
    rel = load_relations()
    pairs = []
    for a, b in itertools.combinations(items, 2):
        if a.story == b.story:
            kind = "same:" + "+".join(sorted({a.kind, b.kind}))
        else:
            kind = rel.get(frozenset((a.story, b.story)), "different")
        pairs.append((a.id, b.id, a.story == b.story, kind))
    return pairs


# -- grouping ---------------------------------------------------------------------------------


class _Union:
    def __init__(self) -> None:
        self.parent: dict = {}

    def find(self, x):
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a, b) -> None:
        self.parent[self.find(a)] = self.find(b)


def group_with_index(records: Sequence[ArticleRecord], db) -> list[int]:
    """Assign stories to records in the given order through the story index; returns the final
    story id of each record (merges applied)."""
    story_index.create_tables(db)
    story_of: list[int] = []
    next_story = 1
    merged_into: dict[int, int] = {}

    def resolve(s: int) -> int:
        while s in merged_into:
            s = merged_into[s]
        return s

    for i, rec in enumerate(records):
        fp = fingerprint(rec)
        keys = candidate_keys(fp)
        when = rec.published or rec.fetched_at
        cands = story_index.candidates(db, keys, when - WINDOW, when + timedelta(days=1))
        d = decide(fp, cands)
        if d.story_id is None:
            sid = next_story
            next_story += 1
        else:
            sid = d.story_id
            for other in d.merge_story_ids:
                merged_into[other] = sid
                story_index.move_story(db, other, sid)
        story_index.add(db, i + 1, sid, when, keys, fp.to_json())
        story_of.append(sid)
    return [resolve(s) for s in story_of]


def shingle_baseline(records: Sequence[ArticleRecord], threshold: float = 0.5) -> list[int]:
    """Baseline: exact Jaccard of word 3-shingle sets >= threshold, grouped transitively."""
    sets = [shingles(re.findall(r"[^\W_]+", r.text.lower())) for r in records]
    uf = _Union()
    for i in range(len(sets)):
        uf.find(i)
        for j in range(i):
            a, b = sets[i], sets[j]
            if a and b and len(a & b) / len(a | b) >= threshold:
                uf.union(i, j)
    return [uf.find(i) for i in range(len(sets))]


def pairwise_scores(
    groups: dict[str, object], pairs: Iterable[tuple[str, str, bool, str]]
) -> tuple[float, float, dict[str, tuple[int, int]]]:
    """Pairwise precision and recall of a grouping; per kind: (correct, total)."""
    tp = fp = fn = 0
    by_kind: dict[str, list[int]] = {}
    for a, b, same, kind in pairs:
        together = groups[a] == groups[b]
        tp += same and together
        fp += (not same) and together
        fn += same and not together
        k = by_kind.setdefault(kind, [0, 0])
        k[0] += together == same
        k[1] += 1
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, {k: (v[0], v[1]) for k, v in by_kind.items()}


REAL_TRUTH = Path(os.environ.get("MONITOR_SHARED", "/work/shared")) / "extraction" / "truth.jsonl"


def real_news() -> tuple[list[tuple[str, ArticleRecord]], list[tuple[str, str, bool, str]]] | None:
    """The real news pages of the shared extraction set with the same-story clusters labelled
    in tests/data/stories/real_clusters.tsv; None when the shared set is not there."""
    if not REAL_TRUTH.exists():
        return None
    labels: dict[str, str] = {}
    ambiguous: list[set[str]] = []
    for line in (DATA / "real_clusters.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        f = line.split("\t")
        if f[0] == "ambiguous":
            ambiguous.append(set(f[1].split()))
        else:
            labels[f[0]] = f[1]
    when = datetime(2019, 11, 19, 12, tzinfo=UTC)  # the pages were saved within a few days
    recs = []
    for line in REAL_TRUTH.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        host = row["url"].split("/")[2]
        recs.append(
            (
                row["id"][:8],
                ArticleRecord(row["id"], row["url"], row["url"], host, "", row["text"], when, when),
            )
        )
    pairs = []
    for (a, _), (b, _) in itertools.combinations(recs, 2):
        if any(a in amb and b in amb for amb in ambiguous):
            continue
        same = a in labels and labels.get(a) == labels.get(b)
        pairs.append((a, b, same, "real:same" if same else "real:different"))
    return recs, pairs


def quality(verbose: bool = False) -> dict:
    items = sorted(load_labelled(), key=lambda x: (x.record.published, x.id))
    pairs = labelled_pairs(items)
    db = sqlite3.connect(":memory:")
    ours = group_with_index([x.record for x in items], db)
    base = shingle_baseline([x.record for x in items])
    g_ours = {x.id: s for x, s in zip(items, ours, strict=True)}
    g_base = {x.id: s for x, s in zip(items, base, strict=True)}
    p, r, kinds = pairwise_scores(g_ours, pairs)
    bp, br, bkinds = pairwise_scores(g_base, pairs)
    if verbose:
        fps = {x.id: fingerprint(x.record) for x in items}
        worst: dict[str, tuple[float, str]] = {}
        for a, b, same, kind in pairs:
            ev = compare(fps[a], fps[b])
            if (g_ours[a] == g_ours[b]) != same:
                print(f"  WRONG {a} {b} [{kind}] {ev.reason}")
            k = "positives" if same else kind
            score = -ev.score if same else ev.score
            if k not in worst or score > worst[k][0]:
                worst[k] = (score, f"{a} {b}: {ev.reason}")
        for k, (_score, why) in sorted(worst.items()):
            print(f"  closest {k}: {why}")
    n_pos = sum(1 for p_ in pairs if p_[2])
    real = real_news()
    real_result = None
    if real is not None:
        recs, rpairs = real
        db = sqlite3.connect(":memory:")
        g = group_with_index([r for _, r in recs], db)
        gb = shingle_baseline([r for _, r in recs])
        ids = [i for i, _ in recs]
        rp, rr, _ = pairwise_scores(dict(zip(ids, g, strict=True)), rpairs)
        rbp, rbr, _ = pairwise_scores(dict(zip(ids, gb, strict=True)), rpairs)
        real_result = {
            "pages": len(recs),
            "pairs": len(rpairs),
            "positive_pairs": sum(1 for p_ in rpairs if p_[2]),
            "ours": {"precision": rp, "recall": rr},
            "baseline": {"precision": rbp, "recall": rbr},
        }
    return {
        "real": real_result,
        "articles": len(items),
        "stories": len({x.story for x in items}),
        "pairs": len(pairs),
        "positive_pairs": n_pos,
        "ours": {"precision": p, "recall": r, "by_kind": kinds},
        "baseline": {"precision": bp, "recall": br, "by_kind": bkinds},
    }


def print_quality(q: dict) -> None:
    print(
        f"Labelled set: {q['articles']} articles, {q['stories']} stories, {q['pairs']} pairs"
        f" ({q['positive_pairs']} same-story)"
    )
    print(f"{'method':<34}{'precision':>10}{'recall':>8}")
    print(
        f"{'monitor.stories (index + decide)':<34}{q['ours']['precision']:>10.3f}"
        f"{q['ours']['recall']:>8.3f}"
    )
    print(
        f"{'baseline shingle Jaccard >= 0.5':<34}{q['baseline']['precision']:>10.3f}"
        f"{q['baseline']['recall']:>8.3f}"
    )
    if q.get("real"):
        r = q["real"]
        print(
            f"\nReal news (shared extraction set, {r['pages']} pages, {r['pairs']} pairs,"
            f" {r['positive_pairs']} same-story; independent reporting, not press-release copies)"
        )
        print(
            f"{'monitor.stories (index + decide)':<34}{r['ours']['precision']:>10.3f}"
            f"{r['ours']['recall']:>8.3f}"
        )
        print(
            f"{'baseline shingle Jaccard >= 0.5':<34}{r['baseline']['precision']:>10.3f}"
            f"{r['baseline']['recall']:>8.3f}"
        )
    print(f"\n{'pair kind':<44}{'ours':>10}{'baseline':>10}")
    for kind in sorted(q["ours"]["by_kind"]):
        o = q["ours"]["by_kind"][kind]
        b = q["baseline"]["by_kind"][kind]
        print(f"{kind:<44}{o[0]:>5}/{o[1]:<4}{b[0]:>5}/{b[1]:<4}")


# -- the synthetic stream ---------------------------------------------------------------------

_SYL = [
    "ka",
    "lo",
    "mi",
    "ne",
    "tu",
    "ra",
    "vi",
    "so",
    "de",
    "pa",
    "ri",
    "xo",
    "bel",
    "tan",
    "gor",
    "mun",
    "sel",
    "vor",
    "lin",
    "cha",
    "dru",
    "fen",
    "hal",
    "jor",
    "qui",
    "zen",
]


def _pseudo_words(rng: random.Random, n: int, lo: int = 2, hi: int = 4) -> list[str]:
    seen: set[str] = set()
    while len(seen) < n:
        seen.add("".join(rng.choice(_SYL) for _ in range(rng.randint(lo, hi))))
    return sorted(seen)


class Synth:
    """Deterministic generator of a news stream: stories with 1-20 copies at rewrite levels."""

    VARIANTS = ("verbatim", "light", "rewrite", "brief")

    def __init__(self, n: int, seed: int = 7, days_per_10k: float = 20.0) -> None:
        rng = random.Random(seed)
        self.vocab = _pseudo_words(rng, 30000)
        rng.shuffle(self.vocab)
        self.cum = list(itertools.accumulate(1 / (i + 1) ** 0.85 for i in range(len(self.vocab))))
        self.first = [w.capitalize() for w in _pseudo_words(rng, 600, 2, 3)]
        self.last = [w.capitalize() for w in _pseudo_words(rng, 3000, 2, 4)]
        self.places = [w.capitalize() for w in _pseudo_words(rng, 800, 2, 3)]
        self.sites = [f"site{i}" for i in range(300)]
        span = n / 10000 * days_per_10k * 86400
        self.t0 = datetime(2024, 1, 1, tzinfo=UTC)
        # the schedule: (seconds, story, copy) for exactly n articles
        sched: list[tuple[float, int, int]] = []
        story = 0
        while len(sched) < n:
            r = rng.random()
            copies = 1 if r < 0.6 else (rng.randint(2, 4) if r < 0.92 else rng.randint(5, 20))
            start = rng.uniform(0, span)
            for c in range(min(copies, n - len(sched))):
                sched.append((start + (0 if c == 0 else rng.uniform(0, 5 * 86400)), story, c))
            story += 1
        sched.sort()
        self.schedule = sched
        self.stories = story

    STOCK = (
        "according to the study",
        "the researchers said",
        "in a statement",
        "the results show",
        "patients in the trial",
        "more research is needed",
        "the authors note that",
        "compared with placebo",
        "at the annual meeting",
        "the study found that",
        "in an interview",
        "published in the journal",
        "the team plans to",
        "side effects",
    )

    def _words(self, rng: random.Random, k: int) -> list[str]:
        words = rng.choices(self.vocab, cum_weights=self.cum, k=k)
        if k > 8 and rng.random() < 0.5:  # stock phrases make unrelated articles overlap a little
            at = rng.randint(0, k - 1)
            words[at:at] = rng.choice(self.STOCK).split()
        return words

    def _facts(self, story: int) -> dict:
        rng = random.Random(story * 7919 + 1)
        people = [
            f"{rng.choice(self.first)} {rng.choice(self.last)}" for _ in range(rng.randint(1, 3))
        ]
        inst = f"University of {rng.choice(self.places)}"
        nums = [
            str(rng.randint(40, 4000)),
            f"{rng.uniform(1, 99):.1f}%",
            f"{rng.uniform(0.3, 1.2):.2f}",
            f"{rng.uniform(2, 40):.1f}",
        ]
        quotes = [" ".join(self._words(rng, rng.randint(12, 22))) for _ in range(rng.randint(0, 2))]
        doi = f"10.{rng.randint(1000, 9999)}/x{story}" if rng.random() < 0.4 else None
        nct = f"NCT{rng.randint(10**7, 10**8 - 1)}" if rng.random() < 0.25 else None
        sentences = []
        for _ in range(rng.randint(8, 14)):
            sentences.append(" ".join(self._words(rng, rng.randint(12, 24))).capitalize() + ".")
        return {
            "people": people,
            "inst": inst,
            "nums": nums,
            "quotes": quotes,
            "doi": doi,
            "nct": nct,
            "sentences": sentences,
            "rng": rng,
        }

    def record(self, i: int) -> tuple[int, ArticleRecord]:
        """The i-th article of the stream and its true story."""
        secs, story, copy = self.schedule[i]
        f = self._facts(story)
        rng = random.Random(i * 104729 + 3)
        variant = "verbatim" if copy == 0 else rng.choice(self.VARIANTS)
        p, inst, nums = f["people"], f["inst"], f["nums"]
        frng = random.Random(story * 31 + 5)  # the facts' wording is the story's, not the copy's

        def w(k: int = 3) -> str:
            return " ".join(self._words(frng, frng.randint(1, k)))

        fact_lines = [
            f"{w().capitalize()} {inst} {w()} {nums[0]} {w()} {nums[1]} {w(5)}.",
            f"{w().capitalize()} {nums[2]} {w()} {nums[3]} {w(5)}.",
            f"{w().capitalize()} Dr. {p[0]} {w()} {inst} {w(4)}.",
        ] + [f'"{q}," said {p[j % len(p)]}.' for j, q in enumerate(f["quotes"])]
        sents = list(f["sentences"])
        if variant == "verbatim":
            body = sents[:3] + fact_lines + sents[3:]
            body.append(f"Provided by {rng.choice(self.sites)} news service.")
        elif variant == "light":
            body = [s for s in sents if rng.random() > 0.15]
            body = [
                " ".join(w if rng.random() > 0.06 else rng.choice(self.vocab) for w in s.split())
                for s in body
            ]
            body = body[:3] + fact_lines + body[3:]
        elif variant == "rewrite":
            body = [
                " ".join(self._words(rng, rng.randint(12, 24))).capitalize() + "."
                for _ in range(rng.randint(5, 9))
            ]
            body[2:2] = fact_lines
        else:
            body = [fact_lines[0], fact_lines[1], " ".join(self._words(rng, 20)) + "."]
        text = "\n\n".join(body)
        when = self.t0 + timedelta(seconds=secs)
        rec = ArticleRecord(
            key=f"synth:{i}",
            url=f"https://{rng.choice(self.sites)}.example/{i}",
            canonical_url=f"https://x.example/{i}",
            source=rng.choice(self.sites),
            title=" ".join(f["sentences"][0].split()[:8]),
            text=text,
            published=when,
            fetched_at=when,
            doi=[f["doi"]] if f["doi"] and variant != "rewrite" else [],
            nct=[f["nct"]] if f["nct"] else [],
        )
        return story, rec


# -- scale runs (each in its own process) ------------------------------------------------------


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pct(xs: Sequence[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


def _checkpoints(n: int) -> list[int]:
    return [c for c in (10_000, 50_000) if c < n] + [n]


def _pairwise_from_labels(truth: Sequence[int], pred: Sequence[int]) -> tuple[float, float]:
    from collections import Counter

    def pairs(counter: Counter) -> int:
        return sum(c * (c - 1) // 2 for c in counter.values())

    tp = pairs(Counter(zip(truth, pred, strict=True)))
    pred_pairs, true_pairs = pairs(Counter(pred)), pairs(Counter(truth))
    return (tp / pred_pairs if pred_pairs else 1.0), (tp / true_pairs if true_pairs else 1.0)


def run_ours(n: int, path: str, commit_every: int = 1) -> dict:
    """The product path: fingerprint -> candidate keys -> story_index.candidates -> decide ->
    story_index.add, one SQLite transaction per article (WAL, synchronous=NORMAL)."""
    synth = Synth(n)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    for pragma in story_index.RECOMMENDED_PRAGMAS:
        conn.execute(pragma)
    story_index.create_tables(conn)
    conn.commit()
    times: list[float] = []
    truth: list[int] = []
    assigned: list[int] = []
    merged_into: dict[int, int] = {}
    next_story = 1
    cands_seen: list[int] = []
    cpu: list[float] = []
    marks = {}
    for i in range(n):
        story, rec = synth.record(i)
        t = time.perf_counter()
        c0 = time.process_time()
        fp = fingerprint(rec)
        keys = candidate_keys(fp)
        when = rec.published
        cands = story_index.candidates(conn, keys, when - WINDOW, when + timedelta(days=1))
        d = decide(fp, cands)
        if d.story_id is None:
            sid, next_story = next_story, next_story + 1
        else:
            sid = d.story_id
            for other in d.merge_story_ids:
                merged_into[other] = sid
                story_index.move_story(conn, other, sid)
        story_index.add(conn, i + 1, sid, when, keys, fp.to_json())
        if (i + 1) % commit_every == 0:
            conn.commit()
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        cands_seen.append(len(cands))
        truth.append(story)
        assigned.append(sid)
        if i + 1 in _checkpoints(n):
            window = times[max(0, i + 1 - 5000) :]
            marks[i + 1] = {
                "p50": _pct(window, 0.5),
                "p95": _pct(window, 0.95),
                "p99": _pct(window, 0.99),
                "mean": statistics.fmean(window),
                "cpu_p50": _pct(cpu[max(0, i + 1 - 5000) :], 0.5),
                "cpu_p95": _pct(cpu[max(0, i + 1 - 5000) :], 0.95),
                "load": os.getloadavg()[0],
                "cands_mean": statistics.fmean(cands_seen[max(0, i + 1 - 5000) :]),
                "rss_mb": _peak_rss_mb(),
            }
            print(f"  ours {i + 1}: {marks[i + 1]}", file=sys.stderr, flush=True)
    conn.commit()

    def resolve(s: int) -> int:
        while s in merged_into:
            s = merged_into[s]
        return s

    precision, recall = _pairwise_from_labels(truth, [resolve(s) for s in assigned])
    conn.close()
    return {
        "marks": marks,
        "total_s": sum(times) / 1000,
        "precision": precision,
        "recall": recall,
        "peak_rss_mb": _peak_rss_mb(),
        "db_mb": os.path.getsize(path) / 1e6,
        "stories": synth.stories,
    }


def run_naive(n: int) -> dict:
    """Reference: compare each article with every earlier one (no index), first n articles."""
    synth = Synth(n)
    fps: list[Fingerprint] = []
    stories: list[int] = []
    times: list[float] = []
    marks = {}
    for i in range(n):
        _story, rec = synth.record(i)
        t = time.perf_counter()
        fp = fingerprint(rec)
        d = decide(fp, [Candidate(j + 1, stories[j], f) for j, f in enumerate(fps)])
        stories.append(d.story_id if d.story_id is not None else i + 1)
        fps.append(fp)
        times.append((time.perf_counter() - t) * 1000)
        if i + 1 in (1000, n):
            window = times[max(0, i + 1 - 500) :]
            marks[i + 1] = {"p50": _pct(window, 0.5), "p95": _pct(window, 0.95)}
    return {"marks": marks, "total_s": sum(times) / 1000, "peak_rss_mb": _peak_rss_mb()}


def run_datasketch(n: int) -> dict:
    """Reference: datasketch MinHash (64 permutations, word 3-shingles) + in-memory MinHashLSH at
    threshold 0.5, query then insert per article."""
    from datasketch import MinHash, MinHashLSH

    synth = Synth(n)
    lsh = MinHashLSH(threshold=0.5, num_perm=64)
    times: list[float] = []
    truth: list[int] = []
    uf = _Union()
    marks = {}
    word = re.compile(r"[^\W_]+")
    for i in range(n):
        story, rec = synth.record(i)
        t = time.perf_counter()
        m = MinHash(num_perm=64)
        m.update_batch([s.encode("utf-8") for s in shingles(word.findall(rec.text.lower()))])
        for other in lsh.query(m):
            uf.union(i, other)
        lsh.insert(i, m)
        uf.find(i)
        times.append((time.perf_counter() - t) * 1000)
        truth.append(story)
        if i + 1 in _checkpoints(n):
            window = times[max(0, i + 1 - 5000) :]
            marks[i + 1] = {
                "p50": _pct(window, 0.5),
                "p95": _pct(window, 0.95),
                "rss_mb": _peak_rss_mb(),
            }
            print(f"  datasketch {i + 1}: {marks[i + 1]}", file=sys.stderr, flush=True)
    precision, recall = _pairwise_from_labels(truth, [uf.find(i) for i in range(n)])
    return {
        "marks": marks,
        "total_s": sum(times) / 1000,
        "peak_rss_mb": _peak_rss_mb(),
        "precision": precision,
        "recall": recall,
    }


def _child(part: str, n: int) -> dict:
    """Run one part in a fresh interpreter; its JSON result is the last line of stdout."""
    cmd = [sys.executable, __file__, "--part", part, "--n", str(n)]
    env = dict(os.environ)
    env["PYTHONPATH"] = (
        str(Path(__file__).resolve().parent.parent) + os.pathsep + env.get("PYTHONPATH", "")
    )
    out = subprocess.run(cmd, env=env, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=200_000, help="articles in the synthetic stream")
    ap.add_argument("--naive-n", type=int, default=5_000, help="articles for the all-pairs run")
    ap.add_argument("--quality", action="store_true", help="only the labelled-set part")
    ap.add_argument("--no-datasketch", action="store_true", help="skip the datasketch reference")
    ap.add_argument("--verbose", action="store_true", help="print wrong and closest pairs")
    ap.add_argument("--part", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.part:  # a child process: print one JSON line
        if args.part == "ours":
            with tempfile.TemporaryDirectory() as tmp:
                result = run_ours(args.n, os.path.join(tmp, "stories.db"))
        elif args.part == "naive":
            result = run_naive(args.n)
        elif args.part == "datasketch":
            result = run_datasketch(args.n)
        else:
            raise SystemExit(f"unknown part {args.part}")
        print(json.dumps(result))
        return

    q = quality(verbose=args.verbose)
    print_quality(q)
    summary = (
        f"stories: labelled P={q['ours']['precision']:.3f} R={q['ours']['recall']:.3f}"
        f" (baseline Jaccard>=0.5 P={q['baseline']['precision']:.3f}"
        f" R={q['baseline']['recall']:.3f})"
    )
    if q.get("real"):
        r = q["real"]
        summary += (
            f"; real news P={r['ours']['precision']:.3f} R={r['ours']['recall']:.3f}"
            f" (baseline P={r['baseline']['precision']:.3f} R={r['baseline']['recall']:.3f})"
        )
    if args.quality:
        print("\n" + summary)
        return

    print(
        f"\nScale: synthetic stream of {args.n:,} articles (per-article ms over the 5,000"
        " articles before each mark; one transaction per article)"
    )
    ours = _child("ours", args.n)
    naive = _child("naive", min(args.naive_n, args.n))
    ds = None if args.no_datasketch else _child("datasketch", args.n)
    print(f"{'method':<40}{'articles':>9}{'p50 ms':>9}{'p95 ms':>9}{'peak RSS MB':>13}")
    for mark, m in ours["marks"].items():
        print(
            f"{'monitor.stories + SQLite index':<40}{int(mark):>9,}{m['p50']:>9.2f}"
            f"{m['p95']:>9.2f}{m['rss_mb']:>13.0f}   (CPU p50 {m['cpu_p50']:.2f} p95"
            f" {m['cpu_p95']:.2f} ms, p99 {m['p99']:.1f} ms, load {m['load']:.1f})"
        )
    for mark, m in naive["marks"].items():
        print(
            f"{'naive all-pairs compare()':<40}{int(mark):>9,}{m['p50']:>9.2f}{m['p95']:>9.2f}"
            f"{naive['peak_rss_mb']:>13.0f}"
        )
    if ds:
        for mark, m in ds["marks"].items():
            print(
                f"{'datasketch MinHashLSH (in memory)':<40}{int(mark):>9,}{m['p50']:>9.2f}"
                f"{m['p95']:>9.2f}{m['rss_mb']:>13.0f}"
            )
    print(
        f"\nsynthetic grouping: ours P={ours['precision']:.3f} R={ours['recall']:.3f}"
        + (f"; datasketch J>=0.5 P={ds['precision']:.3f} R={ds['recall']:.3f}" if ds else "")
        + f"; SQLite file {ours['db_mb']:.0f} MB; ours total {ours['total_s']:.0f} s"
    )
    last = ours["marks"][str(args.n)] if str(args.n) in ours["marks"] else ours["marks"][args.n]
    print(
        "\n" + summary + f"; scale {args.n:,}: p50={last['p50']:.2f} ms p95={last['p95']:.2f} ms"
        f" peak RSS={ours['peak_rss_mb']:.0f} MB"
    )


if __name__ == "__main__":
    main()
