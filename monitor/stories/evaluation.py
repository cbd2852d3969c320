"""Evaluation tools for story grouping: labelled-set readers, the InSciOut split, and scores.

Used by ``benchmarks/stories.py`` and ``tests/test_stories.py`` (tests do not import benchmarks).
Nothing here is on the pipeline's path.

The InSciOut split (``../shared/stories/insciout/``) is fixed before any result on that data was
looked at: studies are sorted by (number of items, study id) and taken two at a time; for each
consecutive pair a coin from ``random.Random(INSCIOUT_SEED)`` sends one study to the tuning half
and the other to the held-out half (an odd last study goes to tuning). Stratifying by size keeps
the few very large studies, which dominate all-pairs figures, balanced between the halves.
"""

from __future__ import annotations

import gzip
import itertools
import json
import math
import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from monitor.model import ArticleRecord

__all__ = [
    "INSCIOUT_SEED",
    "InSciOutItem",
    "Labelled",
    "insciout_records",
    "labelled_pairs",
    "load_labelled",
    "load_relations",
    "pairwise_scores",
    "real_news",
    "PairScore",
    "all_pairs",
    "balanced_pairs",
    "bcubed",
    "load_insciout",
    "shingle_jaccard",
    "single_link",
    "split_insciout",
    "tfidf_cosines",
]

#: the seed of the tuning / held-out split of the InSciOut studies (issue 13)
INSCIOUT_SEED = 13


@dataclass(frozen=True)
class InSciOutItem:
    """One record of ``articles.jsonl.gz`` (format in that directory's README)."""

    id: str
    study: str
    kind: str  # press_release | news | broadcast
    outlet: str | None
    title: str | None
    published: str | None  # YYYY-MM-DD
    text: str


def load_insciout(path: Path) -> list[InSciOutItem]:
    """Read ``articles.jsonl.gz`` (or a directory holding it)."""
    if path.is_dir():
        path = path / "articles.jsonl.gz"
    out = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            out.append(
                InSciOutItem(
                    r["id"],
                    r["study"],
                    r["kind"],
                    r["outlet"],
                    r["title"],
                    r["published"],
                    r["text"],
                )
            )
    return out


def split_insciout(
    items: Iterable[InSciOutItem], seed: int = INSCIOUT_SEED
) -> tuple[set[str], set[str]]:
    """The study ids of the (tuning, held-out) halves; see the module docstring for the method."""
    sizes = Counter(i.study for i in items)
    order = sorted(sizes, key=lambda s: (sizes[s], s))
    rng = random.Random(seed)
    tuning: set[str] = set()
    held: set[str] = set()
    for k in range(0, len(order), 2):
        pair: Sequence[str] = order[k : k + 2]
        if len(pair) == 1:
            tuning.add(pair[0])
            break
        first = rng.random() < 0.5
        tuning.add(pair[0] if first else pair[1])
        held.add(pair[1] if first else pair[0])
    return tuning, held


# -- scores ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PairScore:
    """Precision and recall over pairs of items, with the counts behind them."""

    precision: float
    recall: float
    true_pairs: int  # same-story pairs in the labels
    predicted_pairs: int  # same-story pairs in the grouping
    correct: int

    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def all_pairs(
    labels: Sequence[str],
    groups: Sequence[int | str],
    keep: Callable[[int, int], bool] | None = None,
) -> PairScore:
    """Precision and recall over every pair of items (as an archive sees them: each
    different-story pair counts). ``keep(i, j)`` restricts the pairs counted; without it the
    counts come from cluster sizes (fast)."""
    if keep is None:
        both = Counter(zip(labels, groups, strict=True))
        true = sum(n * (n - 1) // 2 for n in Counter(labels).values())
        pred = sum(n * (n - 1) // 2 for n in Counter(groups).values())
        ok = sum(n * (n - 1) // 2 for n in both.values())
    else:
        true = pred = ok = 0
        by_label: dict[Any, list[int]] = {}
        by_group: dict[Any, list[int]] = {}
        for i, (lab, g) in enumerate(zip(labels, groups, strict=True)):
            by_label.setdefault(lab, []).append(i)
            by_group.setdefault(g, []).append(i)
        for members in by_label.values():
            for i, j in itertools.combinations(members, 2):
                if keep(i, j):
                    true += 1
                    ok += groups[i] == groups[j]
        for members in by_group.values():
            for i, j in itertools.combinations(members, 2):
                if keep(i, j):
                    pred += 1
    return PairScore(ok / pred if pred else 1.0, ok / true if true else 1.0, true, pred, ok)


def bcubed(labels: Sequence[str], groups: Sequence[int | str]) -> tuple[float, float]:
    """B-cubed precision and recall (per item, averaged)."""
    both = Counter(zip(labels, groups, strict=True))
    tl, tg = Counter(labels), Counter(groups)
    n = len(labels) or 1
    p = sum(both[(lab, g)] / tg[g] for lab, g in zip(labels, groups, strict=True)) / n
    r = sum(both[(lab, g)] / tl[lab] for lab, g in zip(labels, groups, strict=True)) / n
    return p, r


def balanced_pairs(labels: Sequence[str], groups: Sequence[int | str], seed: int = 1) -> PairScore:
    """Precision and recall on a balanced sample: every same-story pair and as many
    different-story pairs drawn at random (fixed seed), as pair benchmarks are usually built."""
    rng = random.Random(seed)
    n = len(labels)
    pos = [(i, j) for i, j in itertools.combinations(range(n), 2) if labels[i] == labels[j]]
    neg: set[tuple[int, int]] = set()
    while len(neg) < len(pos) and n > 1:
        i, j = sorted(rng.sample(range(n), 2))
        if labels[i] != labels[j]:
            neg.add((i, j))
    tp = sum(groups[i] == groups[j] for i, j in pos)
    fp = sum(groups[i] == groups[j] for i, j in neg)
    return PairScore(
        tp / (tp + fp) if tp + fp else 1.0, tp / len(pos) if pos else 1.0, len(pos), tp + fp, tp
    )


def shingle_jaccard(a: str, b: str, k: int = 5) -> float:
    """Jaccard similarity of word k-shingles (for telling near-duplicate copies)."""
    wa, wb = a.lower().split(), b.lower().split()
    sa = {" ".join(wa[i : i + k]) for i in range(max(1, len(wa) - k + 1))}
    sb = {" ".join(wb[i : i + k]) for i in range(max(1, len(wb) - k + 1))}
    return len(sa & sb) / len(sa | sb) if sa | sb else 0.0


def single_link(n: int, edges: Iterable[tuple[int, int]]) -> list[int]:
    """Connected components (single-link clustering) of n items: a label per item."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j in edges:
        a, b = find(i), find(j)
        if a != b:
            parent[max(a, b)] = min(a, b)
    return [find(i) for i in range(n)]


def tfidf_cosines(texts: Sequence[str], min_cosine: float = 0.1) -> dict[tuple[int, int], float]:
    """Plain TF-IDF cosine of every pair of texts above ``min_cosine``: scikit-learn's
    TfidfVectorizer with its defaults (tokens of two or more word characters, lower-cased, raw
    counts, smoothed idf ln((1 + n) / (1 + df)) + 1, L2 norm), fitted on the texts themselves."""
    token = re.compile(r"(?u)\b\w\w+\b")
    docs = [Counter(token.findall(t.lower())) for t in texts]
    df: Counter = Counter()
    for d in docs:
        df.update(d.keys())
    n = len(docs)
    vecs = []
    for d in docs:
        v = {t: c * (math.log((1 + n) / (1 + df[t])) + 1) for t, c in d.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        vecs.append({t: x / norm for t, x in v.items()})
    postings: dict[str, list[tuple[int, float]]] = {}
    for i, v in enumerate(vecs):
        for t, x in v.items():
            postings.setdefault(t, []).append((i, x))
    sims: dict[tuple[int, int], float] = {}
    for post in postings.values():
        for (i, x), (j, y) in itertools.combinations(post, 2):
            sims[(i, j)] = sims.get((i, j), 0.0) + x * y
    return {k: s for k, s in sims.items() if s >= min_cosine}


# -- the project's labelled set (tests/data/stories) ---------------------------------------------


@dataclass
class Labelled:
    """One article of the labelled set, with its story label and how the copy was produced."""

    id: str
    story: str
    kind: str
    record: ArticleRecord


_HEADER = re.compile(r"(\w+)=(.*?)(?=\s+\w+=|$)")


def load_labelled(root: Path) -> list[Labelled]:
    """Read ``articles/*.txt`` of a labelled set (format in tests/data/stories/README.md)."""
    out: list[Labelled] = []
    for path in sorted((root / "articles").glob("*.txt")):
        meta: dict[str, str] | None = None
        body: list[str] = []

        def flush(meta: dict[str, str] | None, body: list[str]) -> None:
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
                found = dict(_HEADER.findall(line[3:].strip()))
                if "id" in found:
                    flush(meta, body)
                    meta, body = {}, []
                if meta is not None:
                    meta.update(found)
            else:
                body.append(line)
        flush(meta, body)
    return out


def load_relations(root: Path) -> dict[frozenset[str], str]:
    """The hard-negative kind of story pairs (``relations.tsv``)."""
    rel = {}
    for line in (root / "relations.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            a, b, kind = line.split("\t")[:3]
            rel[frozenset((a, b))] = kind
    return rel


def labelled_pairs(items: Sequence[Labelled], root: Path) -> list[tuple[str, str, bool, str]]:
    """Every pair of labelled articles: (id_a, id_b, same, kind of pair)."""
    rel = load_relations(root)
    pairs = []
    for a, b in itertools.combinations(items, 2):
        if a.story == b.story:
            kind = "same:" + "+".join(sorted({a.kind, b.kind}))
        else:
            kind = rel.get(frozenset((a.story, b.story)), "different")
        pairs.append((a.id, b.id, a.story == b.story, kind))
    return pairs


def pairwise_scores(
    groups: dict[str, object], pairs: Iterable[tuple[str, str, bool, str]]
) -> tuple[float, float, dict[str, tuple[int, int]]]:
    """Pairwise precision and recall of a grouping; per kind of pair: (correct, total)."""
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


def real_news(
    truth: Path, clusters: Path, dated: bool = False
) -> tuple[list[tuple[str, ArticleRecord]], list[tuple[str, str, bool, str]]]:
    """The real news pages of the shared extraction set (``truth.jsonl``) with the same-story
    clusters labelled in ``real_clusters.tsv``: (records, pairs). Ambiguous pairs are left out."""
    labels: dict[str, str] = {}
    ambiguous: list[set[str]] = []
    for line in clusters.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        f = line.split("\t")
        if f[0] == "ambiguous":
            ambiguous.append(set(f[1].split()))
        else:
            labels[f[0]] = f[1]
    # the pages were saved within a few days and carry no date: as the pipeline would see them,
    # they are undated and fetched on one day (``dated=True``: published that day, as before)
    when = datetime(2019, 11, 19, 12, tzinfo=UTC)
    recs = []
    for line in truth.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        host = row["url"].split("/")[2]
        recs.append(
            (
                row["id"][:8],
                ArticleRecord(
                    row["id"],
                    row["url"],
                    row["url"],
                    host,
                    "",
                    row["text"],
                    when if dated else None,
                    when,
                ),
            )
        )
    pairs = []
    for (a, _), (b, _) in itertools.combinations(recs, 2):
        if any(a in amb and b in amb for amb in ambiguous):
            continue
        same = a in labels and labels.get(a) == labels.get(b)
        pairs.append((a, b, same, "real:same" if same else "real:different"))
    return recs, pairs


def insciout_records(items: Sequence[InSciOutItem]) -> list[ArticleRecord]:
    """InSciOut items as the pipeline would hand them on, in the same order.

    Dated items are published at noon UTC of their date. An undated item (8 % of the set) is
    given no publication date and is fetched on its study's press-release date (or the middle
    date of the set): in a real archive every article has a fetch time, and this one is the
    only honest guess at it (it tells the time window where to look, not the story).
    """
    release = {i.study: i.published for i in items if i.kind == "press_release" and i.published}
    dated = sorted(i.published for i in items if i.published)
    middle = dated[len(dated) // 2] if dated else "2016-06-01"
    out = []
    for i in items:
        day = i.published or release.get(i.study) or middle
        at = datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)
        out.append(
            ArticleRecord(
                key=f"insciout:{i.id}",
                url=f"https://insciout.invalid/{i.id}",
                canonical_url=f"https://insciout.invalid/{i.id}",
                source=i.outlet or "(unknown outlet)",
                title=i.title or "",
                text=i.text,
                published=at if i.published else None,
                fetched_at=at,
            )
        )
    return out
