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
        for k, (score, why) in sorted(worst.items()):
            print(f"  closest {k}: {why}")
    n_pos = sum(1 for p_ in pairs if p_[2])
    return {
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
    print(f"{'monitor.stories (index + decide)':<34}{q['ours']['precision']:>10.3f}"
          f"{q['ours']['recall']:>8.3f}")
    print(f"{'baseline shingle Jaccard >= 0.5':<34}{q['baseline']['precision']:>10.3f}"
          f"{q['baseline']['recall']:>8.3f}")
    print(f"\n{'pair kind':<44}{'ours':>10}{'baseline':>10}")
    for kind in sorted(q["ours"]["by_kind"]):
        o = q["ours"]["by_kind"][kind]
        b = q["baseline"]["by_kind"][kind]
        print(f"{kind:<44}{o[0]:>5}/{o[1]:<4}{b[0]:>5}/{b[1]:<4}")
