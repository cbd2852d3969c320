"""What a clinician reads: the digest's header, summaries, quoted passages and evidence labels.

The demo site is polled for real; the digest is read back as JSON, text, HTML and Slack blocks.
"""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from alerts import render
from alerts.digest import split_sentences, summarize
from monitor.cli import cli

TOPIC = "liver-metastases-immunotherapy"
PHASE2 = "Checkpoint inhibitor plus targeted radiation shrinks colorectal liver metastases in phase 2 trial"
T_CELLS = "Liver metastases siphon off T cells and blunt immunotherapy throughout the body"
QA = "Can immunotherapy still help if my cancer has spread to the liver?"


def _norm(text: str) -> str:
    return " ".join(text.replace("…", " ").split())


@pytest.fixture
def demo_digest(config_file, tmp_path):
    runner = CliRunner()
    res = runner.invoke(cli, ["--config", str(config_file), "run", "--once"])
    assert res.exit_code == 0, res.output

    def get(fmt: str) -> str:
        out = runner.invoke(
            cli, ["--config", str(config_file), "digest", "--dry-run", "--format", fmt]
        )
        assert out.exit_code == 0, out.output
        return out.stdout

    db = sqlite3.connect(tmp_path / "archive.db")
    db.row_factory = sqlite3.Row
    return get, db


def test_header_counts_distinct_outlets(demo_digest):
    get, _db = demo_digest
    data = json.loads(get("json"))
    outlets = {s["source"] for s in data["stories"]} | {
        c["source"] for s in data["stories"] for c in s["also_covered_by"]
    }
    # the wire's press releases lead two stories: 5 copies, 4 outlets
    copies = sum(1 + len(s["also_covered_by"]) for s in data["stories"])
    assert len(outlets) == 4 and copies == 5
    text = get("text")
    assert text.splitlines()[0].startswith(f"[monitor] {TOPIC}: 3 stories from 4 outlets")
    assert "4 outlets ·" in get("html")


def test_every_summary_and_quote_names_the_copy_it_comes_from(demo_digest):
    get, db = demo_digest
    data = json.loads(get("json"))
    for story in data["stories"]:
        rows = db.execute(
            "SELECT source, canonical_url, title, text FROM articles WHERE story_id = ?",
            [story["story_id"]],
        ).fetchall()
        by_url = {r["canonical_url"]: r for r in rows}
        # the summary: contiguous sentences of the one copy it names
        copy = by_url[story["summary_url"]]
        assert story["summary_source"] == copy["source"]
        sentences = split_sentences(copy["text"])
        runs = {
            _norm(" ".join(sentences[i:j]))
            for i in range(len(sentences))
            for j in range(i + 1, min(i + 3, len(sentences)) + 1)
        }
        assert _norm(story["summary"]) in runs, story["summary"]
        # the matched passage, unless the summary already quotes it: found in the copy it names
        if not story["snippet"]:
            continue
        core = max(re.split(r"…", story["snippet"]), key=len).strip()
        quoted = by_url[story["snippet_url"]]
        assert story["snippet_source"] == quoted["source"]
        assert _norm(core) in _norm(quoted["title"] + " " + quoted["text"])
    text = get("text")
    for story in data["stories"]:
        assert f"Summary ({story['summary_source']}):" in text
        if story["snippet"]:
            assert f"Matched in {story['snippet_source']}:" in text


def _article(aid, source, url, title, text):
    from storage.rows import ArticleRow

    return ArticleRow(
        id=aid,
        key=url,
        url=url,
        canonical_url=url,
        source=source,
        title=title,
        text=text,
        published=None,
        fetched_at=FIRST_SEEN,
        authors=(),
        language="en",
        lead_image=None,
        doi=(),
        nct=(),
        pmid=(),
        journal=None,
        extract_note=None,
        story_id=7,
        story_score=None,
        story_reason=None,
        canonical_rank=None,
    )


FIRST_SEEN = datetime(2026, 11, 18, 9, tzinfo=UTC)


def test_a_passage_quoted_from_another_copy_is_labelled_with_that_copy():
    from alerts.digest import _item
    from storage.rows import MatchedStory, StoryMatch

    wire = _article(
        1,
        "Wire",
        "https://wire.example/a",
        "Radiation helps immunotherapy in liver metastases",
        "Radiation before pembrolizumab shrank liver metastases in a phase 2 trial of 64 "
        "patients. The trial enrolled patients whose cancer had spread to the liver after "
        "chemotherapy. Responses were durable in most of them.",
    )
    trade = _article(
        2,
        "Trade Magazine",
        "https://trade.example/b",
        "Radiation unlocks immunotherapy",
        "Thirty-eight percent of patients with liver metastases responded to the combination "
        "of radiation and immunotherapy, the investigators told the magazine.",
    )
    story = MatchedStory(
        id=7,
        canonical_article_id=1,
        title=wire.title,
        first_seen=FIRST_SEEN,
        updated_at=FIRST_SEEN,
        copies=2,
        merged_into=None,
        articles=(wire, trade),
        topic_matches=(
            StoryMatch(
                topic=TOPIC,
                score=9.0,
                snippet="…patients with liver metastases responded to the combination of "
                "radiation and immunotherapy…",
                explanation="matched: immunotherap* (body); liver metastasis (body)",
            ),
        ),
        best_score=9.0,
    )
    item = _item(story)
    assert (item.snippet_source, item.snippet_url) == ("Trade Magazine", "https://trade.example/b")
    assert (item.summary_source, item.summary_url) == ("Wire", "https://wire.example/a")
    assert item.summary.startswith("Radiation before pembrolizumab")
    assert item.evidence.kind == "trial" and item.evidence.phase == "2"
    text = render.render(render.from_dict(render.to_dict(_digest(item))), "text")
    assert "Matched in Trade Magazine:" in text and "Summary (Wire):" in text


def _digest(item):
    from datetime import UTC, datetime

    from monitor.model import Digest

    return Digest(
        generated_at=datetime(2026, 11, 20, tzinfo=UTC), channel=None, since=None, items=[item]
    )


def test_summaries_keep_the_qualifiers(demo_digest):
    get, _db = demo_digest
    stories = {s["title"]: s for s in json.loads(get("json"))["stories"]}
    t_cells = stories[T_CELLS]["summary"]
    # the summary reports patient data and the mouse experiments: the species must be there
    assert re.search(r"\bmouse|\bmice\b", t_cells), t_cells
    assert "512 patients" in t_cells
    phase2 = stories[PHASE2]["summary"]
    assert "phase 2" in phase2 and "64 patients" in phase2


def test_each_story_carries_its_evidence_label_in_every_format(demo_digest):
    get, _db = demo_digest
    stories = {s["title"]: s for s in json.loads(get("json"))["stories"]}
    ev = stories[PHASE2]["evidence"]
    assert (ev["kind"], ev["phase"], ev["patients"]) == ("trial", "2", 64)
    assert ev["label"] == "Phase 2 trial, 64 patients"
    ev = stories[T_CELLS]["evidence"]
    assert ev["kind"] == "preclinical" and ev["species"] == ["mice"]
    assert "observational" in ev["also"] and ev["patients"] == 512
    assert stories[QA]["evidence"]["kind"] == "explainer"
    labels = [s["evidence"]["label"] for s in stories.values()]
    text, html = get("text"), get("html")
    for label in labels:
        assert f"Evidence: {label}" in text
        assert label.replace("&", "&amp;") in html
    blocks = [
        b
        for m in render.slack_messages(render.from_dict(json.loads(get("json"))))
        for b in m["blocks"]
    ]
    sections = " ".join(b["text"]["text"] for b in blocks if b["type"] == "section")
    for label in labels:
        assert f"Evidence: *{render.slack_escape(label)}*" in sections
    assert "_Health Sciences Wire:_" in sections  # the summary names its copy in Slack too


def test_stored_digest_round_trips_with_evidence_and_sources(demo_digest):
    get, _db = demo_digest
    data = json.loads(get("json"))
    again = render.to_dict(render.from_dict(data))
    assert again["stories"] == data["stories"]


TRIAL_TEXT = """Researchers at a cancer centre tested a new drug combination.

In a study in mice carrying liver tumours, the combination of the vaccine and a PD-1 inhibitor shrank liver metastases in most animals. Treated mice lived twice as long as untreated ones.

The findings are preliminary and have not been peer reviewed. The team now plans a phase 1 trial in patients with liver metastases.

The centre's director said the work was funded by a foundation."""


def test_summary_does_not_lose_the_species_or_the_caveat():
    s = summarize(TRIAL_TEXT, {"liver", "metastas", "pd"})
    assert "In a study in mice" in s or "mice lived" in s
    # the finding "Treated mice lived twice as long" never appears without its species
    assert "preliminary" in s or "mice" in s


def test_summary_never_opens_with_a_sentence_that_leans_on_the_one_before():
    text = (
        "A new report describes the state of the hospital's car parks in detail.\n\n"
        "The same effect was seen in patients with liver metastases given pembrolizumab "
        "immunotherapy in the second cohort of the study.\n\n"
        "Weather was mild."
    )
    s = summarize(text, {"liver", "metastas", "pembrolizumab", "immunotherap"})
    assert not s.startswith("The same effect")


def test_summary_is_one_contiguous_run():
    text = (
        "Liver metastases and immunotherapy: patients with liver metastases did worse.\n\n"
        "Unrelated sentence about the institute's new building and its parking spaces.\n\n"
        "Another unrelated sentence about the funding of the institute by a foundation.\n\n"
        "Immunotherapy with pembrolizumab helped liver metastases shrink in mice."
    )
    s = summarize(text, {"liver", "metastas", "immunotherap", "pembrolizumab"})
    sentences = split_sentences(text)
    runs = [" ".join(sentences[i:j]) for i in range(4) for j in range(i + 1, 5)]
    assert s in runs
