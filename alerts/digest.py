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

from monitor import evidence
from monitor.model import Copy, Digest, DigestItem
from storage.archive import Archive
from storage.rows import ArticleRow, MatchedStory

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


# A sentence that leans on the one before it ("This", "The same effect", "She added") cannot
# open a summary: without its antecedent it says something else.
_ANAPHORIC_START = re.compile(
    r"^[\"“(]?(?:this|these|that|those|such|it|its|they|their|them|he|she|his|her|both|"
    r"the same|the (?:other|latter|former)|"
    r"but|however|also|still|yet|instead|similarly|meanwhile|moreover|in addition|"
    r"dies|diese[rsn]?|sie|er|cela|ces|ils|elle|esto|estos|ellos|ella)\b",
    re.IGNORECASE,
)
MIN_SENTENCE, MAX_SENTENCE = 25, 500
CAVEATS = {"preliminary", "not peer reviewed"}
# direct speech reports a view; the summary should first say what was found
_QUOTED = re.compile(r"^[\"“„«]")


def summarize(
    text: str,
    evidence: set[str] | str,
    *,
    avoid: str = "",
    max_sentences: int = 3,
    max_chars: int = 500,
) -> str:
    """2-3 contiguous sentences of one article that carry the topic's evidence.

    Sentences are never taken from different places of the text and joined: a run of adjacent
    sentences is chosen, so what one sentence qualifies ("In mouse models, ...", "In this phase 2
    trial of 64 patients, ...", "The results are preliminary") stays with what it qualifies.
    Runs are scored by the distinct evidence terms they hold (a term matches a word it starts,
    so "immunotherap" finds "immunotherapy"), plus the qualifiers they keep (species, phase,
    sample size, "preliminary", "not peer reviewed"); a run may not open with a sentence that
    leans on the one before it ("The same effect...", "She added..."). The passage shown beside
    the summary (`avoid`) is not repeated. Without evidence, the opening sentences are taken.
    """
    from monitor.evidence import qualifier_spans

    if isinstance(evidence, str):
        evidence = {w.lower() for w in _WORD.findall(evidence) if len(w) > 2}
    avoid_norm = " ".join(avoid.replace("…", " ").split())
    sentences = split_sentences(text)
    if not sentences:
        return ""
    usable = [
        MIN_SENTENCE <= len(s) <= MAX_SENTENCE and not s.endswith(":") and s[-1:] in '.!?"”’)'
        for s in sentences
    ]
    stems = {t: _stem(t) for t in evidence}
    hits, quals = [], []
    for s in sentences:
        words = {_stem(w) for w in _WORD.findall(s)}
        hits.append({t for t, st in stems.items() if any(w.startswith(st) for w in words)})
        quals.append({kind for _a, _b, kind in qualifier_spans(s)})
    # what the whole article qualifies: a summary of an article that reports animal or cell
    # work must say so, and should keep "preliminary" / "not peer reviewed" when it can
    article_quals = set().union(*quals)
    best: tuple[float, int, int] | None = None
    for i in range(len(sentences)):
        if not usable[i] or _ANAPHORIC_START.match(sentences[i]) and i > 0:
            continue
        for j in range(i + 1, min(i + max_sentences, len(sentences)) + 1):
            if not all(usable[i:j]):
                break
            run = " ".join(sentences[i:j])
            if len(run) > max_chars and j > i + 1:
                break
            if avoid_norm and _overlaps(run, avoid_norm):
                continue
            terms = set().union(*hits[i:j])
            kept = set().union(*quals[i:j])
            score = len(terms) + 0.5 * len(kept)
            if "species" in article_quals and "species" not in kept:
                score -= 1.5
            score -= 0.5 * len(article_quals & CAVEATS - kept)
            # two or three sentences read better than one, if they carry something
            score += sum(0.3 if hits[k] or quals[k] else -0.3 for k in range(i, j))
            score -= 0.6 * sum(1 for k in range(i, j) if _QUOTED.match(sentences[k]))
            score -= 0.1 * i  # earlier is better: news puts the finding first
            if not evidence or not terms:
                score = 0.3 * (j - i) - 0.5 * i  # no evidence: the opening of the article
            if best is None or score > best[0]:
                best = (score, i, j)
    if best is None:
        first = next((s for s, ok in zip(sentences, usable, strict=True) if ok), sentences[0])
        return first[:max_chars].strip()
    _score, i, j = best
    return " ".join(sentences[i:j])


def _stem(word: str) -> str:
    """A crude stem so that "metastasis" finds "metastases" and "tumor" finds "tumours"."""
    w = word.lower()
    if w.endswith("our"):
        w = w[:-3] + "or"
    elif w.endswith("ours"):
        w = w[:-4] + "ors"
    for suffix in ("es", "is", "s"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 4:
            return w[: -len(suffix)]
    return w


def _overlaps(run: str, passage: str) -> bool:
    """True when `run` repeats a good part of `passage` (the matched snippet)."""
    run_norm = " ".join(run.split())
    passage = " ".join(passage.replace("…", " ").split())
    pieces = [p.strip() for p in re.split(r"[.!?]\s+", passage) if len(p.strip()) >= 40]
    return any(p[:60] in run_norm for p in pieces)


def _copy_with(articles: Sequence[ArticleRow], passage: str) -> ArticleRow | None:
    """The copy whose title or text holds `passage` (a snippet, possibly cut with "…")."""
    pieces = [p.strip() for p in re.split(r"…|\.\.\.", passage) if len(p.strip()) >= 20]
    if not pieces:
        return None
    needle = " ".join(max(pieces, key=len).split())
    for a in articles:
        hay = " ".join(f"{a.title or ''} {a.text or ''}".split())
        if needle in hay:
            return a
    return None


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


def _item(story: MatchedStory) -> DigestItem:
    articles = story.articles
    canonical = story.canonical
    if canonical is None:
        raise ValueError(f"story {story.id} has no stored copy")
    matches = sorted(story.topic_matches, key=lambda m: -m.score)
    snippet = matches[0].snippet or ""
    doi = sorted({d for a in articles for d in a.doi})
    nct = sorted({n for a in articles for n in a.nct})
    journal = canonical.journal or next((a.journal for a in articles if a.journal), None)
    copies, seen = [], {canonical.canonical_url}
    for a in articles:
        if a.id == canonical.id or a.canonical_url in seen:
            continue
        seen.add(a.canonical_url)
        copies.append(Copy(a.id, a.source, a.canonical_url, a.title or "", a.published))
    # the summary quotes one copy: the canonical one, unless it has (almost) no text
    ordered = [canonical, *(a for a in articles if a.id != canonical.id)]
    quoted = next((a for a in ordered if len(a.text or "") >= 200), canonical)
    snippet_copy = _copy_with(ordered, snippet) if snippet else None
    terms = set().union(*(evidence_terms(m.explanation or "") for m in matches))
    summary = summarize(
        quoted.text or "",
        terms or (snippet + " " + " ".join(m.topic for m in matches)),
    )
    if snippet and summary and _overlaps(summary, snippet):
        snippet, snippet_copy = "", None  # the summary already quotes the matched passage
    return DigestItem(
        story_id=story.id,
        article_id=canonical.id,
        title=canonical.title or "(untitled)",
        url=canonical.canonical_url,
        source=canonical.source,
        published=canonical.published,
        topics=sorted({m.topic for m in matches}),
        summary=summary,
        snippet=snippet,
        score=max(m.score for m in matches),
        doi=doi,
        nct=nct,
        journal=journal,
        also_covered_by=copies,
        first_seen=story.first_seen,
        evidence=evidence.combine((a.title or "", a.text or "") for a in ordered),
        summary_source=quoted.source if summary else "",
        summary_url=quoted.canonical_url if summary else "",
        snippet_source=snippet_copy.source if snippet_copy else "",
        snippet_url=snippet_copy.canonical_url if snippet_copy else "",
    )


def outlets(digest: Digest) -> list[str]:
    """The distinct outlets of a digest's stories (canonical copies and the copies beside them)."""
    names = {i.source for i in digest.items} | {
        c.source for i in digest.items for c in i.also_covered_by
    }
    return sorted(n for n in names if n)
