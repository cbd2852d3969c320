"""Archive -> Digest: which stories, in which order, with which summary.

Selection is by the delivery ledger, not by timestamps alone: a channel's digest holds the
stories matched by its topics that were first seen after the channel was created (or --since)
and have no pending or sent delivery on that channel yet. So nothing is sent twice and a story
that arrived while a delivery was failing is not skipped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from monitor.model import Copy, Digest, DigestItem
from storage.archive import Archive

_SENTENCE = re.compile(r"(?<=[.!?])[\"”’)]?\s+(?=[\"“(]?[A-Z0-9])")
_WORD = re.compile(r"\w+")


def split_sentences(text: str) -> list[str]:
    out: list[str] = []
    for para in re.split(r"\n\s*\n", text or ""):
        para = " ".join(para.split())
        if para:
            out.extend(s.strip() for s in _SENTENCE.split(para) if s.strip())
    return out


def evidence_terms(explanation: str) -> set[str]:
    """Words of the matched clauses ("immunotherap*", "liver metastasis", ...), lower-cased.

    A trailing * in the explanation is a prefix; the word is kept as that prefix.
    """
    terms = set()
    for clause in re.split(r"[;\n]", explanation or ""):
        clause = re.sub(r"\([^)]*\)", " ", clause.split(":", 1)[-1])
        terms.update(w.lower() for w in _WORD.findall(clause) if len(w) > 2 and not w.isdigit())
    terms -= {"title", "lead", "body", "matched", "the", "and", "near", "not"}
    return terms


def summarize(
    text: str,
    evidence: set[str] | str,
    *,
    avoid: str = "",
    max_sentences: int = 3,
    max_chars: int = 420,
) -> str:
    """2-3 sentences of the article that carry the topic's evidence, in their original order.

    Sentences are scored by how many distinct evidence terms they hold (a term matches a word it
    starts, so "immunotherap" finds "immunotherapy"); the first sentences are only the fallback
    when nothing carries evidence. A sentence equal to `avoid` (the snippet shown beside the
    summary) is passed over, so the digest does not say the same thing twice.
    """
    if isinstance(evidence, str):
        evidence = {w.lower() for w in _WORD.findall(evidence) if len(w) > 2}
    avoid_norm = " ".join(avoid.replace("…", "").split())[:80]
    sentences = [
        s
        for s in split_sentences(text)
        if 40 <= len(s) <= 500 and not (avoid_norm and s.startswith(avoid_norm[:60]))
    ]
    if not sentences:
        return (text or "")[:max_chars].strip()
    scored = []
    for i, s in enumerate(sentences):
        words = {w.lower() for w in _WORD.findall(s)}
        hits = sum(1 for t in evidence if any(w.startswith(t) for w in words))
        scored.append((hits, -i))
    if not evidence or max(h for h, _ in scored) == 0:
        chosen = list(range(min(2, len(sentences))))
    else:
        best = sorted(scored, reverse=True)[:max_sentences]
        chosen = sorted(-i for h, i in best if h > 0)
    out: list[str] = []
    for i in chosen:
        if len(" ".join([*out, sentences[i]])) > max_chars and out:
            break
        out.append(sentences[i])
    return " ".join(out)


def _evidence_key(item: DigestItem) -> tuple:
    has_id = bool(item.doi or item.nct)
    outlets = 1 + len(item.also_covered_by)
    when = item.published or item.first_seen
    return (not has_id, -outlets, -item.score, -(when.timestamp() if when else 0))


def build(
    archive: Archive,
    *,
    topics: Sequence[str] | None,
    now: datetime,
    since: datetime | None = None,
    channel: str | None = None,
    max_items: int | None = None,
) -> Digest:
    """Select and order the stories of a digest (reads only)."""
    rows = archive.stories_matching(topics, since=since, exclude_delivered_to=channel)
    items = [_item(row) for row in rows]
    items.sort(key=_evidence_key)
    if max_items:
        items = items[:max_items]
    return Digest(generated_at=now, channel=channel, since=since, items=items)


def _item(story: dict) -> DigestItem:
    articles = story["articles"]
    canonical = next((a for a in articles if a["id"] == story["canonical_article_id"]), articles[0])
    matches = sorted(story["topic_matches"], key=lambda m: -m["score"])
    snippet = matches[0]["snippet"] or ""
    doi = sorted({d for a in articles for d in a["doi"]})
    nct = sorted({n for a in articles for n in a["nct"]})
    journal = canonical.get("journal") or next(
        (a["journal"] for a in articles if a["journal"]), None
    )
    copies, seen = [], {canonical["canonical_url"]}
    for a in articles:
        if a["id"] == canonical["id"] or a["canonical_url"] in seen:
            continue
        seen.add(a["canonical_url"])
        copies.append(
            Copy(a["id"], a["source"], a["canonical_url"], a["title"] or "", a["published"])
        )
    return DigestItem(
        story_id=story["id"],
        title=canonical["title"] or "(untitled)",
        url=canonical["canonical_url"],
        source=canonical["source"],
        published=canonical["published"],
        topics=sorted({m["topic"] for m in matches}),
        summary=summarize(
            canonical["text"] or "",
            set().union(*(evidence_terms(m.get("explanation") or "") for m in matches))
            or (snippet + " " + " ".join(m["topic"] for m in matches)),
            avoid=snippet,
        ),
        snippet=snippet,
        score=max(m["score"] for m in matches),
        doi=doi,
        nct=nct,
        journal=journal,
        also_covered_by=copies,
        first_seen=datetime.fromisoformat(story["first_seen"]),
    )
