"""Digest -> text, JSON, HTML (Jinja2, autoescaped) and Slack Block Kit messages."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, select_autoescape

from monitor import evidence as evidence_mod
from monitor.model import Digest, DigestItem

SLACK_MAX_BLOCKS = 50
SLACK_MAX_SECTION = 3000
SLACK_MAX_HEADER = 150


def _date(dt: datetime | None) -> str:
    return dt.strftime("%Y-%m-%d") if dt else ""


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


def doi_url(doi: str) -> str:
    return f"https://doi.org/{doi}"


def nct_url(nct: str) -> str:
    return f"https://clinicaltrials.gov/study/{nct}"


def to_dict(digest: Digest) -> dict[str, Any]:
    """The JSON shape of `monitor digest --format json` and of webhook deliveries."""
    return {
        "generated_at": _iso(digest.generated_at),
        "channel": digest.channel,
        "digest_id": digest.digest_id,
        "since": _iso(digest.since),
        "stories": [
            {
                "story_id": it.story_id,
                "article_id": it.article_id,
                "title": it.title,
                "url": it.url,
                "source": it.source,
                "published": _iso(it.published),
                "topics": it.topics,
                "evidence": evidence_mod.to_dict(it.evidence),
                "summary": it.summary,
                "summary_source": it.summary_source or None,
                "summary_url": it.summary_url or None,
                "snippet": it.snippet,
                "snippet_source": it.snippet_source or None,
                "snippet_url": it.snippet_url or None,
                "score": it.score,
                "journal": it.journal,
                "doi": it.doi,
                "nct": it.nct,
                "also_covered_by": [
                    {"source": c.source, "url": c.url, "title": c.title} for c in it.also_covered_by
                ],
            }
            for it in digest.items
        ],
    }


def to_json(digest: Digest) -> str:
    return json.dumps(to_dict(digest), indent=2, ensure_ascii=False)


def outlet_count(digest: Digest) -> int:
    """Distinct outlets in the digest (a wire service carried by three stories counts once)."""
    names = {i.source for i in digest.items} | {
        c.source for i in digest.items for c in i.also_covered_by
    }
    return len({n for n in names if n})


def evidence_label(item: DigestItem) -> str:
    if item.evidence is None:
        return ""
    return item.evidence.label or evidence_mod.describe(item.evidence)


def subject(digest: Digest) -> str:
    n = len(digest.items)
    outlets = outlet_count(digest)
    topics = sorted({t for i in digest.items for t in i.topics})
    what = ", ".join(topics) if topics else (digest.channel or "monitor")
    return (
        f"[monitor] {what}: {n} {'story' if n == 1 else 'stories'} from {outlets} "
        f"{'outlet' if outlets == 1 else 'outlets'} — {_date(digest.generated_at)}"
    )


def environment(templates_dir: Path | None = None) -> Environment:
    loaders = [PackageLoader("alerts", "templates")]
    if templates_dir:
        loaders.insert(0, FileSystemLoader(str(templates_dir)))
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(["html", "htm", "xml"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["date"] = _date
    env.globals.update(doi_url=doi_url, nct_url=nct_url, evidence_label=evidence_label)
    return env


def atom_feed(
    topic: str, items: list[DigestItem], updated: datetime, templates_dir: Path | None = None
) -> str:
    """An Atom document of a topic's stories, for people who read alerts in a feed reader."""
    env = environment(templates_dir)
    item_template = env.from_string(
        "{% if evidence_label(it) %}<p><strong>{{ evidence_label(it) }}</strong></p>{% endif %}"
        "<p>{% if it.summary_source %}{{ it.summary_source }}: {% endif %}{{ it.summary }}</p>"
        "{% if it.snippet %}<p><em>{% if it.snippet_source %}Matched in {{ it.snippet_source }}: "
        "{% endif %}{{ it.snippet }}</em></p>{% endif %}"
        '{% for doi in it.doi %}<p>DOI: <a href="{{ doi_url(doi) }}">{{ doi }}</a></p>{% endfor %}'
        '{% for nct in it.nct %}<p>Trial: <a href="{{ nct_url(nct) }}">{{ nct }}</a></p>{% endfor %}'
        "{% if it.also_covered_by %}<p>Also covered by: {% for c in it.also_covered_by %}"
        '<a href="{{ c.url }}">{{ c.source }}</a>{% if not loop.last %}, {% endif %}{% endfor %}'
        "</p>{% endif %}"
    )
    return env.get_template("feed.xml").render(
        topic=topic,
        items=items,
        updated=updated.isoformat(),
        entry_html=lambda it: item_template.render(it=it),
    )


def render(digest: Digest, fmt: str, templates_dir: Path | None = None) -> str:
    if fmt == "json":
        return to_json(digest)
    env = environment(templates_dir)
    name = {"text": "digest.txt", "html": "digest.html"}[fmt]
    return env.get_template(name).render(
        d=digest,
        subject=subject(digest),
        count=len(digest.items),
        outlets=outlet_count(digest),
        with_ids=sum(1 for i in digest.items if i.doi or i.nct),
    )


# ---------------------------------------------------------------------- Slack
def slack_escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_link(url: str, label: str) -> str:
    # '|' would end the URL part of a link; '>' and '<' are escaped in the label
    return (
        f"<{url.replace('>', '%3E').replace('<', '%3C').replace('|', '%7C')}|{slack_escape(label)}>"
    )


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _slack_section(item: DigestItem) -> str:
    lines = [f"*{_slack_link(item.url, item.title)}*"]
    meta = " · ".join(x for x in (item.source, _date(item.published), item.journal or "") if x)
    lines.append(slack_escape(meta))
    label = evidence_label(item)
    if label:
        lines.append(f"Evidence: *{slack_escape(label)}*")
    summary_line = ""
    if item.summary:
        source = item.summary_source or item.source
        summary_line = f"_{slack_escape(source)}:_ {slack_escape(item.summary)}"
        lines.append(summary_line)
    ids = [_slack_link(doi_url(d), f"doi:{d}") for d in item.doi]
    ids += [_slack_link(nct_url(n), n) for n in item.nct]
    if ids:
        lines.append(" ".join(ids))
    if item.also_covered_by:
        lines.append(
            "Also covered by: "
            + ", ".join(_slack_link(c.url, c.source) for c in item.also_covered_by)
        )
    text = "\n".join(lines)
    if len(text) > SLACK_MAX_SECTION:
        # drop the summary first, then cut: a section must stay under Slack's limit
        lines = [ln for ln in lines if ln != summary_line]
        text = _truncate("\n".join(lines), SLACK_MAX_SECTION)
    return text


def slack_messages(digest: Digest) -> list[dict[str, Any]]:
    """Block Kit payloads, split so that no message exceeds Slack's 50-block limit."""
    return [message for _, message in slack_parts(digest)]


def slack_parts(digest: Digest) -> list[tuple[list[int], dict[str, Any]]]:
    """The Slack messages of a digest, each with the ids of the stories it carries.

    Each message ends with a context block naming the digest and "part i of n", so a person
    can tell a resent part from a new digest.
    """
    header_text = _truncate(subject(digest).replace("[monitor] ", ""), SLACK_MAX_HEADER)
    per_item = [
        (
            item.story_id,
            [
                {"type": "section", "text": {"type": "mrkdwn", "text": _slack_section(item)}},
                {"type": "divider"},
            ],
        )
        for item in digest.items
    ]
    budget = SLACK_MAX_BLOCKS - 2  # the header and the context block
    chunks: list[tuple[list[int], list[dict]]] = []
    for story_id, blocks in per_item:
        if not chunks or len(chunks[-1][1]) + len(blocks) > budget:
            chunks.append(([], []))
        chunks[-1][0].append(story_id)
        chunks[-1][1].extend(blocks)
    if not chunks:
        chunks = [
            ([], [{"type": "section", "text": {"type": "mrkdwn", "text": "No new stories."}}])
        ]
    messages = []
    for n, (story_ids, blocks) in enumerate(chunks, 1):
        title = (
            header_text
            if len(chunks) == 1
            else _truncate(f"{header_text} ({n}/{len(chunks)})", SLACK_MAX_HEADER)
        )
        context = [f"digest {digest.digest_id}"] if digest.digest_id else []
        if len(chunks) > 1:
            context.append(f"part {n} of {len(chunks)}")
        messages.append(
            (
                story_ids,
                {
                    "text": title,
                    "blocks": [
                        {"type": "header", "text": {"type": "plain_text", "text": title}},
                        *blocks,
                        *(
                            [
                                {
                                    "type": "context",
                                    "elements": [
                                        {
                                            "type": "mrkdwn",
                                            "text": slack_escape(" · ".join(context)),
                                        }
                                    ],
                                }
                            ]
                            if context
                            else []
                        ),
                    ],
                },
            )
        )
    return messages


def from_dict(data: dict[str, Any]) -> Digest:
    """Inverse of to_dict: a stored digest payload back into a Digest (for retries)."""
    from monitor.model import Copy

    def dt(value: str | None) -> datetime | None:
        return datetime.fromisoformat(value) if value else None

    items = [
        DigestItem(
            story_id=s["story_id"],
            article_id=s.get("article_id"),
            title=s["title"],
            url=s["url"],
            source=s["source"],
            published=dt(s.get("published")),
            topics=s.get("topics", []),
            summary=s.get("summary", ""),
            snippet=s.get("snippet", ""),
            evidence=evidence_mod.from_dict(s.get("evidence")),
            summary_source=s.get("summary_source") or "",
            summary_url=s.get("summary_url") or "",
            snippet_source=s.get("snippet_source") or "",
            snippet_url=s.get("snippet_url") or "",
            score=s.get("score", 0.0),
            doi=s.get("doi", []),
            nct=s.get("nct", []),
            journal=s.get("journal"),
            also_covered_by=[
                Copy(0, c["source"], c["url"], c.get("title", ""))
                for c in s.get("also_covered_by", [])
            ],
        )
        for s in data.get("stories", [])
    ]
    return Digest(
        generated_at=dt(data["generated_at"]),
        channel=data.get("channel"),
        since=dt(data.get("since")),
        items=items,
        digest_id=data.get("digest_id"),
    )
