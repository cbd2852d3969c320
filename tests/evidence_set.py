"""The labelled set for evidence labels (tests/testdata/evidence/README.md): loading and scoring.

Items are split once, by a hash of their id, into a development half (used while writing the
cue tables) and a held-out half (only measured). Press releases of the InSciOut trial are read
from ../shared; the news items of a labelled study carry the study's label.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "testdata" / "evidence"
SHARED = HERE.parent.parent / "shared"
INSCIOUT = SHARED / "stories" / "insciout" / "articles.jsonl.gz"
SEEDS = SHARED / "seeds"


@dataclass
class Item:
    id: str
    source: str  # "insciout-pr", "insciout-news", "own", "seed"
    title: str
    text: str
    kind: str  # "other" = none of the kinds: the right answer is no label
    alt: list[str]
    patients: int | None
    phase: str | None
    lang: str = "en"

    @property
    def half(self) -> str:
        key = self.id.split("#")[0]
        return "dev" if hashlib.sha1(key.encode()).digest()[0] % 2 == 0 else "held-out"


def _seed_text(raw: str) -> tuple[str, str]:
    raw = re.sub(r"\[([^\]]*)\]\(#\)", r"\1", raw).strip()
    title, _, text = raw.partition("\n")
    return title.lstrip("# ").strip(), text


def load(with_news: bool = True) -> list[Item]:
    items: list[Item] = []
    for line in (DATA / "own_items.jsonl").read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        items.append(
            Item(
                f"own:{d['id']}",
                "own",
                d["title"],
                d["text"],
                d["kind"],
                d["alt"],
                d["patients"],
                d["phase"],
                d["lang"],
            )
        )
    for line in (DATA / "seeds_labels.jsonl").read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        title, text = _seed_text((SEEDS / d["file"]).read_text(encoding="utf-8"))
        items.append(
            Item(d["id"], "seed", title, text, d["kind"], d["alt"], d["patients"], d["phase"])
        )
    labels = {
        d["study"]: d
        for d in map(json.loads, (DATA / "insciout_labels.jsonl").read_text().splitlines())
    }
    with gzip.open(INSCIOUT, "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            lab = labels.get(r["study"])
            if lab is None or r["kind"] == "broadcast":
                continue
            if r["kind"] == "press_release":
                src, patients = "insciout-pr", lab["patients"]
            elif with_news and len(r["text"]) > 600:
                src, patients = "insciout-news", None  # news may round or drop the number
            else:
                continue
            items.append(
                Item(
                    f"insciout:{r['study']}#{r['id']}",
                    src,
                    r["title"] or "",
                    r["text"],
                    lab["kind"],
                    lab["alt"],
                    patients,
                    lab["phase"],
                )
            )
    return items


def evaluate(items: list[Item], classify) -> dict:
    """Kind accuracy (exact and accepting the labelled alternatives), sample-size agreement."""
    out: dict = {"n": len(items)}
    exact = lenient = 0
    n_known = n_right = 0
    confusion: Counter = Counter()
    misses = []
    for it in items:
        ev = classify(it.title, it.text)
        got = ev.kind or "other"
        ok = got == it.kind
        exact += ok
        lenient += ok or got in it.alt
        if not (ok or got in it.alt):
            confusion[(it.kind, got)] += 1
            misses.append((it.id, it.kind, got, ev.label))
        if it.patients:
            n_known += 1
            n_right += ev.patients == it.patients
    out["kind_exact"] = exact / len(items) if items else 0.0
    out["kind_lenient"] = lenient / len(items) if items else 0.0
    out["patients_known"] = n_known
    out["patients_right"] = n_right
    out["confusion"] = confusion
    shown = [m for m in misses if m[2] != "other"]
    labelled = sum(1 for it in items if (classify(it.title, it.text).kind or "other") != "other")
    out["labels_shown"] = labelled
    out["labels_wrong"] = len(shown)
    out["misses"] = misses
    return out
