"""How fast browsing stays on a large archive: search, facets, pages and canned queries.

Builds a synthetic archive through the storage API (N articles from 40 sources, a third of the
stories carried by several outlets, three topics), serves it with the same Datasette instance
`monitor browse` builds, and times requests through Datasette's in-process client (no network).
Peers side by side: the browse view `article_index` against Datasette's plain `articles`
table for the same search, and the facet page against the plain table page.

    PYTHONPATH=. python benchmarks/browse.py [--articles 20000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from monitor.browse import build_datasette, charts
from monitor.model import ArticleRecord, Match, StoryDecision
from storage import queries
from storage.archive import Archive

TOPICS = ["liver-metastases-immunotherapy", "car-t-solid-tumours", "tvec-melanoma"]
WORDS = (
    "patients trial phase response survival tumour liver metastases immunotherapy checkpoint "
    "inhibitor pembrolizumab nivolumab radiation chemotherapy biomarker cohort median months "
    "percent randomised placebo toxicity grade colitis hepatitis outcome investigators study "
    "hospital oncology cancer colorectal melanoma lung breast vaccine antibody cells immune "
    "therapy dose safety efficacy endpoint progression free overall analysis data results"
).split()
RARE = [f"zq{i:05d}" for i in range(5000)]  # rare tokens to search for


@dataclass
class _Source:
    name: str
    url: str
    enabled: bool = True
    tags: list[str] = field(default_factory=list)


@dataclass
class _Topic:
    name: str
    query: str = "@a AND @b"
    description: str = ""


@dataclass
class _Config:
    storage_path: Path
    sources: list[_Source]
    topics: list[_Topic]


def build_archive(path: Path, n: int, seed: int = 7) -> _Config:
    rng = random.Random(seed)
    sources = [
        _Source(f"Outlet {i:02d}", f"https://outlet{i:02d}.example/feed.xml") for i in range(40)
    ]
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with Archive(path) as archive:
        archive.sync_sources(sources)
        story_ids: list[int] = []
        for i in range(n):
            published = start + timedelta(minutes=rng.randrange(0, 60 * 24 * 690))
            words = rng.choices(WORDS, k=450) + [RARE[i % len(RARE)]]
            rng.shuffle(words)
            text = "\n\n".join(" ".join(words[j : j + 75]) for j in range(0, len(words), 75))
            join = story_ids and rng.random() < 0.35
            decision = StoryDecision(
                story_id=rng.choice(story_ids[-300:]) if join else None,
                score=0.8 if join else 1.0,
                reason="shared identifiers and figures" if join else "no earlier copy found",
            )
            record = ArticleRecord(
                key=f"k{i}",
                url=f"https://outlet.example/a/{i}",
                canonical_url=f"https://outlet.example/a/{i}",
                source=rng.choice(sources).name,
                title=" ".join(rng.choices(WORDS, k=10)).capitalize(),
                text=text,
                published=published,
                fetched_at=published + timedelta(hours=1),
                doi=[f"10.5555/x.{i}"] if rng.random() < 0.2 else [],
                nct=[f"NCT{i:08d}"] if rng.random() < 0.1 else [],
            )
            matches = [
                Match(topic=t, score=float(rng.randint(2, 9)), snippet="liver, immunotherapy")
                for t in TOPICS
                if rng.random() < 0.15
            ]
            _, sid, _ = archive.add_article(
                record,
                decision,
                matches,
                index_keys=[f"key{i}"],
                fingerprint_json="{}",
                canonical_rank=[i],
            )
            story_ids.append(sid)
    return _Config(path, sources, [_Topic(t) for t in TOPICS])


async def _time(client, path: str, repeat: int) -> tuple[float, dict]:
    times = []
    data: dict = {}
    for _ in range(repeat):
        t0 = time.perf_counter()
        r = await client.get(path)
        times.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, (path, r.status_code, r.text[:300])
        if path.split("?")[0].endswith(".json"):
            data = r.json()
    return statistics.median(times), data


async def run(config: _Config, repeat: int) -> list[tuple[str, str, float, str]]:
    ds = build_datasette(config.storage_path, config)
    await ds.invoke_startup()
    client = ds.client
    rows: list[tuple[str, str, float, str]] = []
    word = RARE[123]
    biggest = (await ds.get_database("archive").execute(queries.BIGGEST_STORY)).first()
    story_id, article_id = biggest[0], biggest[1]
    pages = [
        ("search, plain table", f"/archive/articles.json?_search={word}&_shape=array"),
        ("search, browse view", f"/archive/article_index.json?_search={word}&_shape=array"),
        ("common word, plain table", "/archive/articles.json?_search=liver&_size=50"),
        ("common word, browse view", "/archive/article_index.json?_search=liver&_size=50"),
        ("table page, plain", "/archive/articles"),
        ("facet page (4 facets)", "/archive/article_index"),
        ("facet page + search", "/archive/article_index?_search=liver+immunotherapy"),
        ("story facets page", "/archive/story_index"),
        ("story page", f"/archive/stories/{story_id}"),
        ("article page", f"/archive/articles/{article_id}"),
    ]
    for label, path in pages:
        ms, data = await _time(client, path, repeat)
        note = ""
        if "facet" in label:  # the same page as JSON tells whether a facet hit the time limit
            base, _, qs = path.partition("?")
            _, data = await _time(client, f"{base}.json?{qs}", 1)
            # Datasette leaves a facet that hit facet_time_limit_ms out of the JSON
            expected = {"article_index": 4, "story_index": 2}[base.rsplit("/", 1)[1]]
            got = len(data["facet_results"])
            note = f"{got} of {expected} facets" + ("" if got == expected else " (timed out)")
        elif isinstance(data, list):
            note = f"{len(data)} rows"
        elif isinstance(data, dict) and "rows" in data:
            note = f"{len(data['rows'])} rows"
        rows.append(("page", label, ms, note))
    # a DOI that is in the archive: from the first article with one the blank query lists
    listed = await client.get("/archive/articles_with_identifier.json?_shape=array&identifier=")
    doi = next(json.loads(r["doi"])[0] for r in listed.json() if json.loads(r["doi"] or "[]"))
    params = {"story_id": str(story_id), "identifier": doi}
    for name, q in queries.CANNED.items():
        qs = "&".join(f"{p}={params.get(p, '')}" for p in q["params"])
        ms, data = await _time(client, f"/archive/{name}.json?_shape=array&{qs}", repeat)
        label = f"{name} ({', '.join(q['params']) or 'no params'})"
        rows.append(("query", label, ms, f"{len(data)} rows"))
    # the charts' data, fetched as the chart pages fetch it (Datasette's JSON API, their SQL)
    dashboard = charts.dashboards()[charts.DASHBOARD]
    for slug, chart in dashboard["charts"].items():
        qs = urlencode({"sql": chart["query"], "_shape": "objects"})
        ms, data = await _time(client, f"/archive.json?{qs}", repeat)
        rows.append(("chart", slug, ms, f"{len(data['rows'])} rows"))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="monitor-browse-bench-") as tmp:
        t0 = time.perf_counter()
        config = build_archive(Path(tmp) / "archive.db", args.articles)
        built = time.perf_counter() - t0
        size = (Path(tmp) / "archive.db").stat().st_size / 2**20
        rows = asyncio.run(run(config, args.repeat))
    print(
        f"archive: {args.articles} articles, {size:.0f} MiB, built in {built:.1f} s; "
        f"median of {args.repeat} requests each"
    )
    print(f"{'kind':6} {'what':48} {'ms':>8}  notes")
    for kind, label, ms, note in rows:
        print(f"{kind:6} {label:48} {ms:8.1f}  {note}")
    by = {label: ms for _, label, ms, _ in rows}
    slowest = max((r for r in rows if r[0] == "query"), key=lambda r: r[2])
    print(
        f"SUMMARY browse @{args.articles} articles: search view/table "
        f"{by['search, browse view'] / by['search, plain table']:.2f}x "
        f"({by['search, browse view']:.1f} vs {by['search, plain table']:.1f} ms), facet page "
        f"{by['facet page (4 facets)']:.0f} ms vs plain table page {by['table page, plain']:.0f} ms "
        f"({by['facet page (4 facets)'] / by['table page, plain']:.2f}x), story page "
        f"{by['story page']:.0f} ms, slowest canned query {slowest[1]} {slowest[2]:.0f} ms"
    )


if __name__ == "__main__":
    main()
